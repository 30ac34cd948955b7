/**
 * Receive-side bounds of a node against hostile or broken key holders and unauthenticated
 * (legacy) senders: distribution lists, seen and other IDs, relay take-overs and the downgrade
 * rule. Kept out of `node.ts`, which calls these with a line each. The rules are in
 * `spec/node.md`, section "Hostile peers and limits" [R-NODE-AMP-*], [R-NODE-DOWNGRADE-*].
 *
 * @module
 */

import type { Gossip } from "../wire/gossip.ts";
import type { Profile } from "../wire/message.ts";
import type { ResolvedNodeOptions } from "./options.ts";

/** Receive limits hit by a node (in `stats().limits`). */
export interface ReceiveLimitStats {
  /** Frames rejected because their distribution list was longer than `maxDistribution`. */
  distributionTooLong: number;
  /** Frames whose seen IDs beyond `maxReceivedSeenIds` were ignored. */
  seenTruncated: number;
  /** Frames whose other IDs beyond `maxReceivedOtherIds` were ignored. */
  otherTruncated: number;
  /** Unauthenticated (legacy) records a v2 node did not re-seal and forward as v2. */
  unauthenticatedNotForwarded: number;
  /** Failed relay sends not taken over because the send had used `maxRelayTakeovers`. */
  takeoverLimit: number;
  /** Exceptions other than `DecodeError` caught in a receive path (also reported as events). */
  receiveErrors: number;
  /** v2 replay sessions forgotten to stay within the decoder's session limit. */
  sessionsEvicted: number;
}

/** A fresh zeroed {@linkcode ReceiveLimitStats}. */
export function emptyReceiveLimitStats(): ReceiveLimitStats {
  return {
    distributionTooLong: 0,
    seenTruncated: 0,
    otherTruncated: 0,
    unauthenticatedNotForwarded: 0,
    takeoverLimit: 0,
    receiveErrors: 0,
    sessionsEvicted: 0,
  };
}

/**
 * The gossip of a received frame, bounded: `undefined` (reject the frame) when its distribution
 * list is longer than `maxDistribution` [R-NODE-AMP-001]; seen and other IDs past their limits
 * are left out of what is learned [R-NODE-AMP-002]. Counts into `s`.
 *
 * @example
 * ```ts
 * import { boundGossip, emptyReceiveLimitStats } from "./receive_guard.ts";
 * import assert from "node:assert/strict";
 * const s = emptyReceiveLimitStats();
 * const id = { ip: "10.0.0.1", port: 1, seqno: 1 };
 * const limits = { maxDistribution: 1, maxReceivedSeenIds: 1, maxReceivedOtherIds: 1 };
 * const g = boundGossip({ current: id, seen: [id, id], other: [], distribution: [id] }, limits, s);
 * assert.equal(g?.seen.length, 1);
 * assert.equal(boundGossip({ current: id, seen: [], other: [], distribution: [id, id] }, limits, s), undefined);
 * assert.deepEqual([s.seenTruncated, s.distributionTooLong], [1, 1]);
 * ```
 */
export function boundGossip(
  g: Gossip,
  o: Pick<ResolvedNodeOptions, "maxDistribution" | "maxReceivedSeenIds" | "maxReceivedOtherIds">,
  s: ReceiveLimitStats,
): Gossip | undefined {
  if (g.distribution.length > o.maxDistribution) {
    s.distributionTooLong++;
    return undefined;
  }
  if (g.seen.length <= o.maxReceivedSeenIds && g.other.length <= o.maxReceivedOtherIds) return g;
  let { seen, other } = g;
  if (seen.length > o.maxReceivedSeenIds) {
    s.seenTruncated++;
    seen = seen.slice(0, o.maxReceivedSeenIds);
  }
  if (other.length > o.maxReceivedOtherIds) {
    s.otherTruncated++;
    other = other.slice(0, o.maxReceivedOtherIds);
  }
  return { ...g, seen, other };
}

/**
 * True when records that arrived in a frame of profile `from` may be forwarded in frames of
 * `sending`: records that arrived unauthenticated (legacy) are never re-sealed into an
 * authenticated (v2) frame, where they would pass for authentic. [R-NODE-DOWNGRADE-002]
 *
 * @example
 * ```ts
 * import { mayReseal } from "./receive_guard.ts";
 * import assert from "node:assert/strict";
 * assert.equal(mayReseal("legacy", "v2"), false);
 * assert.equal(mayReseal("v2", "v2"), true);
 * ```
 */
export function mayReseal(from: Profile, sending: Profile): boolean {
  return !(from === "legacy" && sending !== "legacy");
}
