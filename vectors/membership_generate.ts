/**
 * Write `vectors/membership.json` from the declared inputs of `membership_suite.ts`.
 * `deno run --allow-write vectors/membership_generate.ts [--check]`; with `--check`, exit 1
 * when the committed file differs instead of writing it.
 *
 * @module
 */

import { MEMBERSHIP_SUITE } from "./membership_suite.ts";

/** The exact text of the file: 2-space JSON and a final newline. */
export function renderMembershipVectors(): string {
  return JSON.stringify(MEMBERSHIP_SUITE.build(), null, 2) + "\n";
}

if (import.meta.main) {
  if (Deno.args.includes("--help")) {
    console.log("usage: membership_generate.ts [--check]  (writes vectors/membership.json)");
    Deno.exit(0);
  }
  const path = new URL(`./${MEMBERSHIP_SUITE.file}`, import.meta.url);
  const text = renderMembershipVectors();
  if (Deno.args.includes("--check")) {
    const old = await Deno.readTextFile(path).catch(() => "");
    if (old !== text) {
      console.error(`${MEMBERSHIP_SUITE.file} is out of date; run vectors/membership_generate.ts`);
      Deno.exit(1);
    }
  } else {
    await Deno.writeTextFile(path, text);
    console.error(`wrote ${MEMBERSHIP_SUITE.file}`);
  }
}
