/**
 * Keeping every TCP share inside the receiver's limits, and keeping records that cannot be
 * multicast on TCP. The rules are in spec/node.md, section "Scale".
 *
 * @module
 */

import type { DecodeLimits } from "../wire/constants.ts";
import type { Gossip } from "../wire/gossip.ts";
import type { OutgoingRecord } from "../wire/message.ts";

/**
 * The longest distribution list a frame carrying `gossip` and `records` may have so that the
 * receiver's NetID table and list limits hold: the table holds the sender, the seen and other
 * IDs, every record's origin and extra NetIDs, and the distribution list. Negative when even a
 * frame without a list is over the limits. [R-NODE-SCALE-002]
 *
 * @example
 * ```ts
 * import { maxShareFor } from "./share_limits.ts";
 * const me = { ip: "10.0.0.1", port: 1, seqno: 1 };
 * const g = { current: me, seen: [], other: [], distribution: [] };
 * const limits = { maxFrameBytes: 1 << 20, maxTableEntries: 4096, maxListLength: 4096, maxUncompressedBytes: 1 << 20, maxCompressionRatio: 32 };
 * maxShareFor(limits, g, [{ typeTag: 1, origin: me, payload: new Uint8Array() }]); // 4094
 * ```
 */
export function maxShareFor(
  limits: DecodeLimits,
  gossip: Gossip,
  records: readonly OutgoingRecord[],
): number {
  let fixed = 1 + gossip.seen.length + gossip.other.length;
  for (const r of records) fixed += 1 + (r.extraNetIds?.length ?? 0);
  return Math.min(limits.maxTableEntries - fixed, limits.maxListLength);
}
