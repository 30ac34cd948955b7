/**
 * The spec's requirement tags are a namespace the tests, vectors and conformance cases point into:
 * a tag defined twice makes the spec index silently keep the first definition (the second rule is
 * then never checked under its own name), and a tag that tests or vectors name but the spec never
 * defines is a rule without text. Both fail here, naming the tags.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const TAG = /\b(R-[A-Z0-9]+(?:-[A-Z0-9]+)*-\d{3})\b/g;
// A definition opens a list item: "- [R-X-001] A receiver MUST ...", as conformance/runner/spec_index.ts reads it.
const DEFINITION = /^\s*[-*+]\s+\[(R-[A-Z0-9-]+-\d{3})\]/;
// Tags made up by tests of the tooling itself (a spec fixture, a fixture vector), not spec rules.
const FIXTURE_TAGS = new Set(["R-X-001", "R-PAYLOAD-001"]);

async function files(dir: URL, exts: string[]): Promise<URL[]> {
  const out: URL[] = [];
  for await (const e of Deno.readDir(dir)) {
    const u = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
    if (e.isDirectory) out.push(...await files(u, exts));
    else if (exts.some((x) => e.name.endsWith(x))) out.push(u);
  }
  return out;
}

const rel = (u: URL) => u.pathname.slice(ROOT.pathname.length);

async function definitions(): Promise<Map<string, string[]>> {
  const defs = new Map<string, string[]>();
  for (const f of await files(new URL("spec/", ROOT), [".md"])) {
    const lines = (await Deno.readTextFile(f)).split("\n");
    lines.forEach((line, i) => {
      const tag = DEFINITION.exec(line)?.[1];
      if (tag) defs.set(tag, [...defs.get(tag) ?? [], `${rel(f)}:${i + 1}`]);
    });
  }
  return defs;
}

Deno.test("spec: every requirement tag is defined once", async () => {
  const defs = await definitions();
  assert.ok(defs.size > 200, `only ${defs.size} tags found: is the definition pattern right?`);
  const twice = [...defs].filter(([, at]) => at.length > 1).map(([t, at]) =>
    `${t} (${at.join(", ")})`
  );
  assert.deepEqual(twice, [], `tags defined more than once: ${twice.join("; ")}`);
});

Deno.test("spec: every tag that code, tests, vectors and conformance cases name is defined", async () => {
  const defs = await definitions();
  const missing = new Map<string, string>();
  for (const dir of ["src/", "test/", "conformance/", "vectors/", "bench/", "sim/"]) {
    for (const f of await files(new URL(dir, ROOT), [".ts", ".json", ".py"])) {
      const text = await Deno.readTextFile(f);
      for (const m of text.matchAll(TAG)) {
        if (!defs.has(m[1]) && !FIXTURE_TAGS.has(m[1]) && !missing.has(m[1])) {
          missing.set(m[1], rel(f));
        }
      }
    }
  }
  const list = [...missing].map(([t, f]) => `${t} (named in ${f})`);
  assert.deepEqual(list, [], `tags named but not defined in spec/: ${list.join("; ")}`);
});
