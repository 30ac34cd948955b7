/**
 * The Deno node as a live-mode conformance target: starts a node from the `CHATTER_*`
 * environment the runner sets (spec/testee.md section 9) and runs until stdin closes or a
 * signal arrives.
 *
 * ```
 * deno task conformance -- --live --spawn "deno run -A --unstable-net conformance/live_node.ts"
 * ```
 *
 * @module
 */

import { bytesType } from "../src/node/message_type.ts";
import { startNode } from "../src/node/node.ts";
import type { Profile } from "../src/wire/message.ts";
import { unhex } from "./runner/hex.ts";
import { LIVE_V2_KEY_ID } from "./runner/live_profiles.ts";

function env(name: string, fallback?: string): string {
  const v = Deno.env.get(name) ?? fallback;
  if (v === undefined) {
    console.error(`live_node: ${name} is not set (see spec/testee.md section 9)`);
    Deno.exit(2);
  }
  return v;
}

if (Deno.args.includes("--help")) {
  console.log(
    "Usage: CHATTER_PORT=... CHATTER_KEY=hex ... deno run -A --unstable-net conformance/live_node.ts\n" +
      "Starts a Chatter node configured by the CHATTER_* variables of spec/testee.md section 9.",
  );
  Deno.exit(0);
}

const profile = env("CHATTER_PROFILE", "v2") as Profile;
const key = unhex(env("CHATTER_KEY"));
const node = await startNode({
  profile,
  address: env("CHATTER_ADDRESS", "127.0.0.1"),
  port: Number(env("CHATTER_PORT")),
  multicastGroup: env("CHATTER_MULTICAST_GROUP", "224.1.1.1"),
  multicastPort: Number(env("CHATTER_MULTICAST_PORT", "29999")),
  multicastInterface: env("CHATTER_MULTICAST_INTERFACE", "127.0.0.1"),
  ...(profile === "v2"
    ? { keyring: [{ id: LIVE_V2_KEY_ID, key }], label: env("CHATTER_LABEL", "") }
    : { key }),
});
// conformance.echo is forwarded as received; conformance.upper's handler replaces the payload
// with its ASCII upper case, which is what must be forwarded.
node.register(bytesType("conformance.echo"));
node.register(
  bytesType(
    "conformance.upper",
    (v) => new TextEncoder().encode(new TextDecoder().decode(v).toUpperCase()),
  ),
);
console.error(`live_node: ${profile} node at ${node.id.ip}:${node.id.port}`);

const stop = async () => {
  await node.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
