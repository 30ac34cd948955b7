/**
 * Loading the golden vectors (`vectors/*.json`) and the digest that names the exact suite a
 * report was produced from.
 *
 * @module
 */

import { BUNDLED_VECTORS, suiteFiles, VECTOR_FILES } from "./suite_files.ts";

/** One golden vector as `vectors/*.json` holds it (fields per `spec/testee.md`). */
export interface Vector {
  /** Stable id. */
  id: string;
  /** Short name. */
  name?: string;
  /** Requirement tags. */
  reqs?: string[];
  /** Why the case exists. */
  comment?: string;
  /** Wire profile. */
  profile: string;
  /** Encoder inputs (valid cases) and the decode context (`key`, ...). */
  inputs?: Record<string, unknown>;
  /** Intermediate layers, hex. */
  layers?: Record<string, unknown>;
  /** The frame, hex. */
  frame?: string;
  /** `valid` or `invalid`. */
  result?: string;
  /** For invalid cases: the error class a strict decoder reports. */
  errorClass?: string;
  /** Any further fields (stateful sequences, decode inputs, ...). */
  [field: string]: unknown;
}

/** The loaded suite: every vector, the files they came from, and the digest. */
export interface VectorSuite {
  /** Vectors in file order, files in name order. */
  vectors: Vector[];
  /** Files that hold no case list (e.g. `primitives.json`), parsed, by file name. */
  tables: Record<string, unknown>;
  /** `{file, cases}` per file read. */
  files: { file: string; cases: number }[];
  /** Lowercase hex sha-256 over each file's name, a NUL, its bytes, a NUL, in name order. */
  digest: string;
}

/** Extract the vector list from one file: a JSON array, or an object with `cases`/`vectors`. */
export function vectorsOf(json: unknown, file: string): Vector[] {
  const list = Array.isArray(json)
    ? json
    : (json as Record<string, unknown>)?.cases ?? (json as Record<string, unknown>)?.vectors;
  if (!Array.isArray(list)) {
    throw new TypeError(`${file}: expected an array of cases or an object with "cases"`);
  }
  for (const [i, v] of list.entries()) {
    if (typeof v?.id !== "string" || typeof v?.profile !== "string") {
      throw new TypeError(`${file}: case #${i} lacks a string "id" or "profile"`);
    }
  }
  return list as Vector[];
}

/**
 * Read every `*.json` file of `dir` (not recursive), in name order. `dir` is a path or a URL
 * (default: the vectors published with the runner, see `suite_files.ts`).
 */
export async function loadVectors(dir: string | URL = BUNDLED_VECTORS): Promise<VectorSuite> {
  const { names, read } = await suiteFiles(dir, ".json", VECTOR_FILES);
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const vectors: Vector[] = [];
  const files: { file: string; cases: number }[] = [];
  const ids = new Set<string>();
  const tables: Record<string, unknown> = {};
  for (const name of names) {
    const bytes = await read(name);
    parts.push(enc.encode(name), new Uint8Array([0]), bytes, new Uint8Array([0]));
    const json = JSON.parse(new TextDecoder().decode(bytes));
    if (!Array.isArray(json) && !Array.isArray(json?.cases) && !Array.isArray(json?.vectors)) {
      // Not a case list: a table of known answers (primitives.json), read by its own cases.
      tables[name] = json;
      files.push({ file: name, cases: 0 });
      continue;
    }
    const vs = vectorsOf(json, name);
    for (const v of vs) {
      if (ids.has(v.id)) throw new TypeError(`${name}: vector id ${v.id} is used twice`);
      ids.add(v.id);
    }
    vectors.push(...vs);
    files.push({ file: name, cases: vs.length });
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", all))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  return { vectors, tables, files, digest };
}
