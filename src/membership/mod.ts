/**
 * Group membership over Chatter: each member alone decides which ranges of the 32-bit key
 * space it serves and publishes that; everyone merges what arrives, in any order, any number
 * of times, and converges on the same view with no master. Last-write-wins per slot
 * (member, start, end), specified in `spec/membership.md`.
 *
 * @example
 * ```ts
 * import { lookup, MembershipState } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * const a = { ip: "10.0.0.1", port: 4000 }, b = { ip: "10.0.0.2", port: 4000 };
 * const sa = MembershipState.EMPTY.write(a, [{ op: "add", start: 0, end: 999, priority: 1 }]);
 * const sb = MembershipState.EMPTY.write(b, [{ op: "add", start: 500, end: 1999, priority: 9 }]);
 * assert.deepEqual(lookup(sa.merge(sb), 700).map((s) => s.member.ip), ["10.0.0.2", "10.0.0.1"]);
 * ```
 *
 * @module
 */

export { InvalidValueError } from "../errors.ts";
export { LocalClock } from "./local_clock.ts";
export { WorldClock } from "./world_clock.ts";
export { Item, type ItemFields, type Op } from "./item.ts";
export { compareSlots, compareWrites, TimedItem } from "./timed_item.ts";
export { MembershipState, merge } from "./state.ts";
export { lookup, MembershipView, type Segment, type Server } from "./view.ts";
export {
  decodeMembership,
  encodeMembership,
  MEMBERSHIP_CODEC,
  type MembershipCodec,
  membershipNetIds,
} from "./payload.ts";
export {
  type ItemJson,
  type LocalClockJson,
  type MembershipStateJson,
  type SegmentJson,
  stateFromJson,
  stateToJson,
  type TimedItemJson,
  viewToJson,
} from "./json.ts";
export { Group, type GroupChange, type ReceiveResult } from "./group.ts";
export {
  DEFAULT_GROUP_LIMITS,
  type GroupHost,
  type GroupMessageMeta,
  type GroupMessageType,
  GroupNode,
  type GroupNodeOptions,
  type GroupNodeStats,
} from "./group_node.ts";
// Wire types and constants this API uses, so that this entry point documents itself.
export type { NetId } from "../wire/netid.ts";
export { NetIdTable, type NetIdTableEntry } from "../wire/netid_table.ts";
export {
  DEFAULT_MEMBERSHIP_LIMITS,
  MEMBERSHIP_DIGEST_TYPE_NAME,
  MEMBERSHIP_DIGEST_TYPE_TAG,
  MEMBERSHIP_TYPE_NAME,
  MEMBERSHIP_TYPE_TAG,
  type MembershipLimits,
} from "../wire/constants.ts";
