// vectors/ must not import anything from conformance/ (the runner and the testee depend on the
// vectors, never the other way round): the cycle the surface work broke must not come back.
// Checked on the module graph Deno itself resolves (`deno info --json`), static and dynamic
// imports included.

import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url);

async function graph(file: URL): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", file.href],
    env: { DENO_NO_UPDATE_CHECK: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  return info.modules.map((m) => m.specifier);
}

Deno.test("vectors/ imports nothing from conformance/ (no vectors <-> conformance cycle)", async () => {
  const conformance = new URL("conformance/", root).href;
  const files = [...Deno.readDirSync(new URL("vectors/", root))]
    .filter((e) => e.isFile && e.name.endsWith(".ts"))
    .map((e) => new URL(`vectors/${e.name}`, root));
  assert.ok(files.length >= 5, "the vectors modules were found");
  const offenders: string[] = [];
  for (const f of files) {
    for (const s of await graph(f)) {
      if (s.startsWith(conformance)) offenders.push(`${f.pathname.split("/").pop()} -> ${s}`);
    }
  }
  assert.deepEqual(offenders, []);
});

Deno.test("the cycle check sees conformance/ imports where they exist", async () => {
  // The runner imports the vectors and itself: a check that sees no conformance/ module here
  // would pass for a cycle too.
  const specs = await graph(new URL("conformance/runner.ts", root));
  assert.ok(specs.some((s) => s.includes("/conformance/runner/")));
  assert.ok(specs.some((s) => s.includes("/vectors/")));
});
