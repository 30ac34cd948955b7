/**
 * Where the runner finds the golden vectors and the spec when no `--vectors`/`--spec` is
 * given: the copies published with the runner itself, found relative to this module (a local
 * checkout, or the package on JSR), so a port author needs no checkout of the repository.
 *
 * A directory on disk is listed; one behind `https:` (JSR) cannot be, so the files are named
 * here (a test checks the lists against the directories).
 *
 * @module
 */

/** The published golden vectors (`vectors/*.json`). */
export const BUNDLED_VECTORS: URL = new URL("../../vectors/", import.meta.url);

/** The published spec (`spec/*.md`). */
export const BUNDLED_SPEC: URL = new URL("../../spec/", import.meta.url);

/** The files of {@linkcode BUNDLED_VECTORS}, in name order. */
export const VECTOR_FILES: readonly string[] = [
  "legacy.json",
  "membership.json",
  "primitives.json",
  "v2.json",
];

/** The files of {@linkcode BUNDLED_SPEC}, in name order. */
export const SPEC_FILES: readonly string[] = ["membership.md", "node.md", "testee.md", "wire.md"];

/**
 * The names (sorted) of the files ending in `ext` in `dir` and a reader for them: a path or a
 * `file:` URL is listed (a missing directory has none); another URL has `known` files, fetched.
 */
export async function suiteFiles(
  dir: string | URL,
  ext: string,
  known: readonly string[],
): Promise<{ names: string[]; read(name: string): Promise<Uint8Array> }> {
  if (dir instanceof URL && dir.protocol !== "file:") {
    const base = dir.href.endsWith("/") ? dir : new URL(`${dir.href}/`);
    return {
      names: [...known].sort(),
      async read(name) {
        const r = await fetch(new URL(name, base));
        if (!r.ok) throw new Error(`${new URL(name, base).href}: HTTP ${r.status}`);
        return new Uint8Array(await r.arrayBuffer());
      },
    };
  }
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(ext)) names.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  names.sort();
  const at = (name: string) =>
    dir instanceof URL
      ? new URL(name, dir.href.endsWith("/") ? dir : `${dir.href}/`)
      : `${dir}/${name}`;
  return { names, read: (name) => Deno.readFile(at(name)) };
}
