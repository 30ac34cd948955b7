/**
 * `deno task vectors`: write every golden vector file of `suites.ts` into `vectors/`.
 * `--check` writes nothing and exits 1 when a committed file differs from what the
 * generator builds.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { renderSuite } from "./suite.ts";
import { SUITES } from "./suites.ts";

const HELP = `Usage: deno task vectors [--check] [--help]

Build the golden vectors (${SUITES.map((s) => s.file).join(", ")}) from the case
definitions in vectors/*_cases.ts and write them into vectors/.

  --check  write nothing; exit 1 if a committed file differs from the generated one
  --help   show this text
`;

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { check: { type: "boolean" }, help: { type: "boolean" } },
  });
  if (values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  let stale = 0;
  for (const suite of SUITES) {
    const url = new URL(suite.file, import.meta.url);
    const text = renderSuite(suite);
    if (values.check) {
      let old = "";
      try {
        old = await Deno.readTextFile(url);
      } catch { /* missing counts as stale */ }
      if (old !== text) {
        console.error(`vectors/${suite.file} is stale: run deno task vectors`);
        stale++;
      }
    } else {
      await Deno.writeTextFile(url, text);
      console.error(`wrote vectors/${suite.file}`);
    }
  }
  Deno.exit(stale ? 1 : 0);
}
