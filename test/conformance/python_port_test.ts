/**
 * The Python port (conformance/ports/python/: legacy and v2, written from spec/ alone) passes
 * every case it declares. Reported as ignored (with the reason) when Debian's python3 or its
 * modules are missing; .ci/run installs them.
 */

import { deepStrictEqual as eq, ok } from "node:assert/strict";
import { hex } from "../../conformance/runner/hex.ts";
import { runOffline } from "../../conformance/runner/offline.ts";
import { snappyCompress } from "../../src/wire/snappy.ts";
import { writeFixtureVectors } from "./_fixture_vectors.ts";

import { named, PYTHON as PY, pythonMissing } from "../_helpers/requires.ts";
const TESTEE = `${PY} conformance/ports/python/testee.py`;

async function hasVectors(dir: string): Promise<boolean> {
  try {
    for await (const e of Deno.readDir(dir)) if (e.name.endsWith(".json")) return true;
  } catch { /* none */ }
  return false;
}

async function check(vectorsDir: string, testee = TESTEE) {
  const out = await runOffline({ testee, vectorsDir, specDir: "spec" });
  const bad = out.results.filter((r) =>
    r.status === "FAIL" || r.status === "ERROR" ||
    // Only an encoder may differ from the vector, and only in its snappy block.
    (r.status === "PASS-NONSTRICT" &&
      !(r.id.endsWith("/encode") && /snappy block|only in its compression/.test(r.detail!)))
  );
  eq(bad.map((r) => `${r.status} ${r.id}: ${r.detail}`), []);
  // Everything it declares (the legacy profile and the primitives) ran.
  ok(out.results.filter((r) => r.status === "PASS").length > 0);
  // It declares both wire profiles, their ops and the membership ops: nothing is unsupported.
  eq(out.results.filter((r) => r.status === "UNSUPPORTED").map((r) => r.id), []);
  eq(out.verdict.problems, []);
  return out;
}

const NO_PYTHON = await pythonMissing(["cryptography", "snappy", "xxhash"]);

Deno.test({
  name: named("python port: passes every case it declares", NO_PYTHON),
  ignore: NO_PYTHON !== undefined,
}, async (t) => {
  await t.step("fixture vectors", async () => {
    const dir = await writeFixtureVectors(await Deno.makeTempDir());
    try {
      await check(dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step("Appendix B compressor matches the reference on 40 inputs", async () => {
    // The port's pure-Python compressor, written from spec/wire.md Appendix B, against the
    // reference: random, repetitive and multi-fragment inputs, byte for byte.
    let seed = 1;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 8;
    const inputs: Uint8Array[] = [];
    for (let k = 0; k < 40; k++) {
      const n = [20, 100, 300, 1000, 5000, 70000, 140000][k % 7];
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        b[i] = k % 3 === 0 || i % 97 < 60 ? rnd() & 0xff : b[Math.max(0, i - 50)];
      }
      inputs.push(b);
    }
    const script = [
      "import sys, importlib.util",
      "s = importlib.util.spec_from_file_location('t', 'conformance/ports/python/testee.py')",
      "t = importlib.util.module_from_spec(s); s.loader.exec_module(t)",
      "for line in sys.stdin: print(t.reference_compress(bytes.fromhex(line.strip())).hex())",
    ].join("\n");
    const child = new Deno.Command(PY, { args: ["-c", script], stdin: "piped", stdout: "piped" })
      .spawn();
    // Read while writing: both directions go through bounded pipes.
    const output = child.output();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(inputs.map(hex).join("\n") + "\n"));
    await w.close();
    const got = new TextDecoder().decode((await output).stdout).trim().split("\n");
    eq(got.length, inputs.length);
    for (const [i, b] of inputs.entries()) eq(got[i], hex(snappyCompress(b)), `input ${i}`);
  });
  if (await hasVectors("vectors")) {
    await t.step("golden vectors", async () => {
      const out = await check("vectors");
      const nonstrict = out.results.filter((r) => r.status === "PASS-NONSTRICT").length;
      // membership.py (spec/membership.md alone) passes every membership case strictly.
      const mem = out.results.filter((r) => r.id.startsWith("membership/"));
      ok(mem.length >= 59, `${mem.length} membership cases`);
      eq(mem.filter((r) => r.status !== "PASS").map((r) => `${r.status} ${r.id}`), []);
      console.log(
        `python port: ${out.verdict.counts.PASS} PASS, ${nonstrict} PASS-NONSTRICT (compressor choice), ` +
          `${out.verdict.counts.UNSUPPORTED} UNSUPPORTED`,
      );
    });
    await t.step(
      "golden vectors, Appendix B compressor: byte-exact, nothing non-strict",
      async () => {
        const out = await check("vectors", `CHATTER_PY_COMPRESSOR=reference ${TESTEE}`);
        eq(out.results.filter((r) => r.status === "PASS-NONSTRICT").map((r) => r.id), []);
      },
    );
  }
});
