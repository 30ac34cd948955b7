/**
 * The public surface and its documentation (issue 13): every function and class an entry point
 * exports has an `@example` that runs (not `ignore`) and asserts its result (`deno test --doc`
 * in `deno task test` runs them); the root module's export list stays small; the README's
 * library snippet is the root module's example, word for word.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const ENTRY_POINTS = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)))
  .exports as Record<
    string,
    string
  >;

interface DocSymbol {
  name: string;
  declarations: {
    kind: string;
    location: { filename: string };
    jsDoc?: { tags?: { kind: string; doc?: string }[] };
  }[];
}

async function symbols(entry: string): Promise<DocSymbol[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const doc = JSON.parse(new TextDecoder().decode(out.stdout));
  return (Object.values(doc.nodes)[0] as { symbols: DocSymbol[] }).symbols;
}

Deno.test("every exported function and class has a runnable @example that asserts", async () => {
  const bad: string[] = [];
  for (const [name, file] of Object.entries(ENTRY_POINTS)) {
    if (name === "./cli") continue; // a program, documented by its --help
    for (const s of await symbols(file)) {
      const d = s.declarations[0];
      if (d.kind !== "function" && d.kind !== "class") continue;
      const examples = (d.jsDoc?.tags ?? []).filter((t) => t.kind === "example").map((t) =>
        t.doc ?? ""
      );
      const ok = examples.some((e) => /```ts\n/.test(e) && /assert/.test(e));
      if (!ok) bad.push(`${name}: ${s.name} (${d.location.filename.replace(ROOT.href, "")})`);
    }
  }
  assert.deepEqual(bad, [], "exports without a runnable, asserting example");
});

Deno.test("the root module exports what an application needs, and no more", async () => {
  const names = (await symbols("mod.ts")).map((s) => s.name);
  for (const needed of ["startNode", "ChatterNode", "textType", "ChatterError", "NodeOptions"]) {
    assert.ok(names.includes(needed), needed);
  }
  for (const internal of ["PeerDb", "planBroadcast", "DedupWindow", "MemoryNetwork", "v2Codec"]) {
    assert.ok(!names.includes(internal), `${internal} is internal`);
  }
  assert.ok(names.length <= 60, `root exports ${names.length} symbols`);
  const text = await Deno.readTextFile(new URL("mod.ts", ROOT));
  assert.ok(!/export \*/.test(text), "explicit export lists only");
});

Deno.test("the README's library snippet is the root module's example", async () => {
  const mod = await Deno.readTextFile(new URL("mod.ts", ROOT));
  const m = /@example Three nodes on the in-memory network\n \* ```ts\n([\s\S]*?)\n \* ```/.exec(
    mod,
  );
  assert.ok(m, "the root module has the three-node example");
  const code = m[1].split("\n").map((l) => l.replace(/^ \* ?/, "")).join("\n");
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  assert.ok(readme.includes("```ts\n" + code + "\n```"), "README carries the same snippet");
});
