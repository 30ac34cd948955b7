/**
 * The generator's plug-in point: a {@linkcode VectorSuite} builds one JSON file of golden
 * vectors from declared inputs. `suites.ts` lists them; `generate.ts` writes them and the
 * tests rebuild them in memory and compare with the committed files.
 *
 * @module
 */

/** One generated vector file. */
export interface VectorSuite {
  /** File name under `vectors/`, e.g. `legacy.json`. */
  file: string;
  /** Build the file's content (a JSON value). Must be deterministic; throws on a bad case. */
  build(): unknown;
}

/** The exact text a suite's file holds: 2-space JSON and a final newline (stable under `deno fmt`). */
export function renderSuite(suite: VectorSuite): string {
  return JSON.stringify(suite.build(), null, 2) + "\n";
}
