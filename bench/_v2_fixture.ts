/**
 * The frame inputs the codec scripts share (`throughput.ts`, `v2_throughput.ts`,
 * `v2_profile.ts`), so their figures measure the same frames: one random key, a 4-entry
 * distribution list, 100-byte random payloads from four origins. Runtime-neutral (no `Deno.*`).
 *
 * @module
 */

import process from "node:process";
import { type Gossip, type OutgoingRecord, typeTag, V2Keyring } from "../src/wire/mod.ts";

/** A keyring of one random key (key id 1). */
export const keyring: V2Keyring = V2Keyring.single(
  crypto.getRandomValues(new Uint8Array(32)),
  1,
);

/** The sending node's gossip: no seen or other IDs, a 4-entry distribution list. */
export const gossip: Gossip = {
  current: { ip: "10.0.0.1", port: 29999, seqno: 1 },
  seen: [],
  other: [],
  distribution: [2, 3, 4, 5].map((i) => ({ ip: `10.0.0.${i}`, port: 29999 })),
};

/** The records' type tag. */
export const tag: number = typeTag("bench");

/** `n` records of 100 random bytes each, from four origins. */
export const records = (n: number): OutgoingRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    typeTag: tag,
    origin: { ip: `10.0.0.${(i % 4) + 1}`, port: 29999, seqno: 1000 + i },
    payload: crypto.getRandomValues(new Uint8Array(100)),
  }));

/** CPU µs of this process (user + system): robust to other jobs on a shared machine. */
export function cpu(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}
