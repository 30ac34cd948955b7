// `./conformance` from JSR needs no checkout: without --vectors/--spec the runner reads the
// vectors and spec published with it, found relative to its own module (a file: directory is
// listed; an https: one, as on JSR, is read by the file names the runner knows).

import assert from "node:assert/strict";
import { loadSpec } from "../../conformance/runner/spec_index.ts";
import {
  BUNDLED_SPEC,
  BUNDLED_VECTORS,
  SPEC_FILES,
  VECTOR_FILES,
} from "../../conformance/runner/suite_files.ts";
import { loadVectors } from "../../conformance/runner/vectors.ts";

const root = new URL("../../", import.meta.url);

function listing(dir: URL, ext: string): string[] {
  return [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(ext))
    .map((e) => e.name).sort();
}

Deno.test("the runner's file lists name every published vector and spec file", () => {
  assert.equal(BUNDLED_VECTORS.href, new URL("vectors/", root).href);
  assert.equal(BUNDLED_SPEC.href, new URL("spec/", root).href);
  assert.deepEqual([...VECTOR_FILES], listing(BUNDLED_VECTORS, ".json"));
  assert.deepEqual([...SPEC_FILES], listing(BUNDLED_SPEC, ".md"));
  // Published: deno.json "publish" excludes neither directory.
  const cfg = JSON.parse(Deno.readTextFileSync(new URL("deno.json", root)));
  const exclude: string[] = cfg.publish?.exclude ?? [];
  for (const d of ["vectors", "spec", "conformance"]) {
    assert.ok(!exclude.some((x) => x.replace(/\/$/, "") === d), `${d}/ is published`);
  }
});

Deno.test("vectors and spec load over https-like URLs (as from JSR) as they do from disk", async () => {
  // Serve the repository over loopback HTTP: no directory listing, like a package registry.
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    async (req) => {
      const path = new URL(req.url).pathname;
      try {
        return new Response(await Deno.readFile(new URL(`.${path}`, root)));
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  try {
    const base = `http://127.0.0.1:${server.addr.port}/`;
    const fromDisk = await loadVectors();
    const overHttp = await loadVectors(new URL("vectors/", base));
    assert.equal(overHttp.digest, fromDisk.digest);
    assert.equal(overHttp.vectors.length, fromDisk.vectors.length);
    assert.ok(fromDisk.vectors.length > 100);
    const specDisk = await loadSpec();
    const specHttp = await loadSpec(new URL("spec/", base));
    assert.deepEqual([...specHttp.keys()], [...specDisk.keys()]);
    assert.ok(specDisk.size > 100);
    // The same as the explicit relative directories a checkout uses.
    assert.equal((await loadVectors("vectors")).digest, fromDisk.digest);
  } finally {
    ac.abort();
    await server.finished;
  }
});

Deno.test("the runner passes the built-in testee from another working directory, no --vectors/--spec", async () => {
  const cwd = await Deno.makeTempDir();
  try {
    const runner = new URL("conformance/runner.ts", root).pathname;
    const testee = new URL("conformance/testee.ts", root).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--unstable-net",
        runner,
        "--testee",
        `"${Deno.execPath()}" run --allow-read "${testee}"`,
        "--quiet",
      ],
      cwd,
      env: { DENO_NO_UPDATE_CHECK: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    const m = text.match(/(\d+) passed, (\d+) passed non-strict, 0 failed, 0 errors/);
    assert.ok(m, text);
    assert.ok(Number(m[1]) > 600, text);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
