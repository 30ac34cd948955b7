/**
 * The Python port (conformance/ports/python/testee.py, written from spec/ alone) passes every
 * case it declares. Skips, with a visible line, when Debian's python3 or its modules are
 * missing.
 */

import { deepStrictEqual as eq, ok } from "node:assert/strict";
import { runOffline } from "../../conformance/runner/offline.ts";
import { writeFixtureVectors } from "./_fixture_vectors.ts";

const PY = "/usr/bin/python3";
const TESTEE = `${PY} conformance/ports/python/testee.py`;

async function pythonReady(): Promise<string | undefined> {
  try {
    const r = await new Deno.Command(PY, {
      args: ["-c", "import cryptography, snappy, xxhash"],
      stdout: "null",
      stderr: "null",
    }).output();
    return r.success
      ? undefined
      : `${PY} lacks python3-cryptography, python3-snappy or python3-xxhash`;
  } catch {
    return `${PY} not found`;
  }
}

async function hasVectors(dir: string): Promise<boolean> {
  try {
    for await (const e of Deno.readDir(dir)) if (e.name.endsWith(".json")) return true;
  } catch { /* none */ }
  return false;
}

async function check(vectorsDir: string) {
  const out = await runOffline({ testee: TESTEE, vectorsDir, specDir: "spec" });
  const bad = out.results.filter((r) =>
    r.status === "FAIL" || r.status === "ERROR" ||
    // Only an encoder may differ from the vector, and only in its snappy block.
    (r.status === "PASS-NONSTRICT" && !(r.id.endsWith("/encode") && /snappy block/.test(r.detail!)))
  );
  eq(bad.map((r) => `${r.status} ${r.id}: ${r.detail}`), []);
  // Everything it declares (the legacy profile and the primitives) ran.
  ok(out.results.filter((r) => r.status === "PASS").length > 0);
  for (const r of out.results) {
    if (r.status === "UNSUPPORTED") ok(r.profile !== "legacy", `${r.id} unsupported`);
  }
  eq(out.verdict.problems, []);
  return out;
}

Deno.test("python port: passes every case it declares", async (t) => {
  const why = await pythonReady();
  if (why) {
    console.log(`SKIP python port conformance: ${why}`);
    return;
  }
  await t.step("fixture vectors", async () => {
    const dir = await writeFixtureVectors(await Deno.makeTempDir());
    try {
      await check(dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  if (await hasVectors("vectors")) {
    await t.step("golden vectors", async () => {
      const out = await check("vectors");
      const nonstrict = out.results.filter((r) => r.status === "PASS-NONSTRICT").length;
      console.log(
        `python port: ${out.verdict.counts.PASS} PASS, ${nonstrict} PASS-NONSTRICT (snappy block), ` +
          `${out.verdict.counts.UNSUPPORTED} UNSUPPORTED`,
      );
    });
  }
});
