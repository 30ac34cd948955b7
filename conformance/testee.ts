/**
 * `deno task testee`: the Deno implementation's conformance testee. Speaks the protocol of
 * `spec/testee.md` on stdin/stdout (one JSON object per line) and serves the union of the ops
 * modules in `conformance/testee/registry.ts`. Logs go to stderr only.
 *
 * @module
 */

import { OPS_MODULES } from "./testee/registry.ts";
import { TesteeServer } from "./testee/server.ts";

const HELP = `Usage: deno task testee [--help]

Chatter conformance testee (protocol: spec/testee.md). Reads one JSON request per line on
stdin, writes one JSON reply per line on stdout, logs on stderr; exits when stdin ends.
`;

if (import.meta.main) {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(HELP);
    Deno.exit(0);
  }
  const server = new TesteeServer(OPS_MODULES);
  console.error(`testee: ${server.profiles.join(",")} profiles, ops ${server.ops.join(",")}`);
  await server.serve(Deno.stdin.readable, Deno.stdout.writable);
}
