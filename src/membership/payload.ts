/**
 * The `chatter.membership.v1` payload: a {@linkcode MembershipState} with every member written as a
 * reference into the frame's NetID table. Layout (all integers unsigned LEB128 varints
 * except `op`, one byte) [R-MEM-021]:
 *
 * ```
 * payload = count(members), member*       members by table index, strictly ascending
 * member  = ref, world_time, count(items), item*
 * item    = start, end, op, priority, time   items by (start, end), strictly ascending
 * ```
 *
 * See `spec/membership.md` §4 for every rule and its tag.
 *
 * @module
 */

import { ByteWriter } from "../wire/byte_writer.ts";
import {
  DEFAULT_MEMBERSHIP_LIMITS,
  MAX_UINT32,
  MEMBERSHIP_OP_ADD,
  MEMBERSHIP_OP_RMV,
  MEMBERSHIP_TYPE_NAME,
  type MembershipLimits,
  VARINT32_MAX_BYTES,
} from "../wire/constants.ts";
import { DecodeError } from "../wire/decode_error.ts";
import { formatNetId, type NetId } from "../wire/netid.ts";
import type { NetIdTable } from "../wire/netid_table.ts";
import { decodeVarint } from "../wire/varint.ts";
import { Item } from "./item.ts";
import { LocalClock } from "./local_clock.ts";
import { type MembershipState, trustedState } from "./state.ts";
import { TimedItem } from "./timed_item.ts";
import { sortedWorldClock } from "./world_clock.ts";

/** Smallest encoding of a member entry (ref, world time, item count). */
const MIN_MEMBER_BYTES = 3;
/** Smallest encoding of an item (start, end, op, priority, time). */
const MIN_ITEM_BYTES = 5;

/**
 * Every member NetID the payload refers to (the seed's `extract_netids`): pass them as the
 * frame's `extraNetIds` so they join the NetID table. [R-MEM-028]
 *
 * @example
 * ```ts
 * import { membershipNetIds, MembershipState } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * assert.deepEqual(membershipNetIds(MembershipState.EMPTY), []);
 * ```
 */
export function membershipNetIds(message: MembershipState): NetId[] {
  return message.clock.clocks.map((c) => c.member);
}

/**
 * Encode `message` as a membership payload, referring to members by their position in
 * `table` (the seed's `encode_with`). The encoding is canonical: one encoding per state.
 * Throws a `RangeError` naming a member that is not in the table.
 *
 * @example
 * ```ts
 * import { NetIdTable } from "@chatter/chatter/wire";
 * import { encodeMembership, membershipNetIds, MembershipState } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * const m = { ip: "10.0.0.1", port: 4000 };
 * const state = MembershipState.EMPTY.write(m, [{ op: "add", start: 0, end: 99, priority: 5 }]);
 * const bytes = encodeMembership(state, NetIdTable.build(membershipNetIds(state)));
 * assert.deepEqual(bytes, new Uint8Array([1, 0, 1, 1, 0, 99, 0, 5, 1]));
 * ```
 */
export function encodeMembership(message: MembershipState, table: NetIdTable): Uint8Array {
  const clocks = message.clock.clocks;
  const items = message.items;
  const w = new ByteWriter(8 + clocks.length * 8 + items.length * 12);
  // Members in table order are members in the message's order (both are NetID table order),
  // so the references come out strictly ascending. [R-MEM-025]
  w.varint(clocks.length);
  let k = 0;
  for (const c of clocks) {
    w.varint(table.indexOf(c.member));
    w.varint(c.time);
    let n = k;
    while (n < items.length && items[n].item.memberKey === c.memberKey) n++;
    w.varint(n - k);
    for (; k < n; k++) {
      const t = items[k];
      w.varint(t.item.start);
      w.varint(t.item.end);
      w.u8(t.item.op === "add" ? MEMBERSHIP_OP_ADD : MEMBERSHIP_OP_RMV);
      w.varint(t.item.priority);
      w.varint(t.clock.time);
    }
  }
  return w.finish();
}

/**
 * Decode a membership payload against the frame's NetID table (the seed's `decode_with`).
 * Every count, reference and value is checked before it is used; whatever the bytes, this
 * returns a valid {@linkcode MembershipState} or throws {@linkcode DecodeError} (layer `payload`).
 *
 * @example
 * ```ts
 * import { decodeMembership } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * const m = decodeMembership(new Uint8Array([1, 0, 1, 1, 0, 99, 0, 5, 1]), [{ ip: "10.0.0.1", port: 4000 }]);
 * assert.equal(m.items[0].item.end, 99);
 * ```
 */
export function decodeMembership(
  payload: Uint8Array,
  table: readonly NetId[],
  limits: MembershipLimits = DEFAULT_MEMBERSHIP_LIMITS,
): MembershipState {
  let o = 0;
  const u32 = (): number => {
    let v: number;
    [v, o] = decodeVarint(payload, o, VARINT32_MAX_BYTES, MAX_UINT32, "payload");
    return v;
  };
  const at0 = o;
  const members = u32();
  // Refs are strictly ascending, so there are at most as many members as table entries.
  if (members > table.length) {
    throw new DecodeError(
      "TABLE_REF_OUT_OF_RANGE",
      at0,
      `${members} members but the NetID table has ${table.length} entries`,
      "payload",
    );
  }
  if (members * MIN_MEMBER_BYTES > payload.length - o) {
    throw new DecodeError(
      "TRUNCATED",
      payload.length,
      `${members} members need at least ${members * MIN_MEMBER_BYTES} bytes, ${
        payload.length - o
      } left`,
      "payload",
    );
  }
  const clocks: LocalClock[] = new Array(members);
  const items: TimedItem[] = [];
  let prevRef = -1;
  for (let m = 0; m < members; m++) {
    const atRef = o;
    const ref = u32();
    if (ref >= table.length) {
      throw new DecodeError(
        "TABLE_REF_OUT_OF_RANGE",
        atRef,
        `member reference ${ref} but the NetID table has ${table.length} entries`,
        "payload",
      );
    }
    if (ref <= prevRef) {
      throw new DecodeError(
        "MEMBERSHIP_NOT_CANONICAL",
        atRef,
        `member reference ${ref} follows ${prevRef} (must be strictly ascending)`,
        "payload",
      );
    }
    prevRef = ref;
    const who = formatNetId(table[ref]);
    const worldTime = u32();
    const clock = new LocalClock(table[ref], worldTime);
    // The canonical, frozen member: items built from it skip parsing the address again.
    const member = clock.member;
    // Table order is member order only if the caller's table is a canonical one.
    if (m > 0 && clock.memberKey <= clocks[m - 1].memberKey) {
      throw new DecodeError(
        "TABLE_NOT_CANONICAL",
        atRef,
        `table entry ${ref} (${who}) does not sort after the previous member's entry`,
        "payload",
      );
    }
    clocks[m] = clock;
    const atCount = o;
    const count = u32();
    if (items.length + count > limits.maxItems) {
      throw new DecodeError(
        "MEMBERSHIP_ITEM_LIMIT",
        atCount,
        `${count} items for ${who} bring the payload to ${
          items.length + count
        }, limit ${limits.maxItems}`,
        "payload",
      );
    }
    if (count * MIN_ITEM_BYTES > payload.length - o) {
      throw new DecodeError(
        "TRUNCATED",
        payload.length,
        `${count} items of ${who} need at least ${count * MIN_ITEM_BYTES} bytes, ${
          payload.length - o
        } left`,
        "payload",
      );
    }
    let prevStart = -1, prevEnd = -1;
    const sameTime = new Map<number, LocalClock>([[worldTime, clock]]);
    for (let i = 0; i < count; i++) {
      const atItem = o;
      const start = u32();
      const end = u32();
      if (start > end) {
        throw new DecodeError(
          "MEMBERSHIP_BAD_RANGE",
          atItem,
          `item of ${who} has start ${start} > end ${end}`,
          "payload",
        );
      }
      if (start < prevStart || (start === prevStart && end <= prevEnd)) {
        throw new DecodeError(
          "MEMBERSHIP_NOT_CANONICAL",
          atItem,
          `item [${start}, ${end}] of ${who} follows [${prevStart}, ${prevEnd}] (items must be strictly ascending by start, then end)`,
          "payload",
        );
      }
      prevStart = start;
      prevEnd = end;
      if (o >= payload.length) {
        throw new DecodeError(
          "TRUNCATED",
          o,
          `payload ends before the op of an item of ${who}`,
          "payload",
        );
      }
      const atOp = o;
      const opByte = payload[o++];
      if (opByte !== MEMBERSHIP_OP_ADD && opByte !== MEMBERSHIP_OP_RMV) {
        throw new DecodeError(
          "MEMBERSHIP_BAD_OP",
          atOp,
          `item op byte ${opByte} of ${who} (0 = add, 1 = rmv)`,
          "payload",
        );
      }
      const priority = u32();
      const atTime = o;
      const time = u32();
      if (time > worldTime) {
        throw new DecodeError(
          "MEMBERSHIP_CLOCK_AHEAD",
          atTime,
          `item [${start}, ${end}] of ${who} at time ${time} is ahead of its world clock ${worldTime}`,
          "payload",
        );
      }
      // Items written in one change share a clock object: fewer allocations per item.
      let c = sameTime.get(time);
      if (c === undefined) {
        c = new LocalClock(member, time);
        if (sameTime.size < 64) sameTime.set(time, c);
      }
      items.push(
        new TimedItem(
          new Item({
            member,
            op: opByte === MEMBERSHIP_OP_ADD ? "add" : "rmv",
            start,
            end,
            priority,
          }),
          c,
        ),
      );
    }
  }
  if (o !== payload.length) {
    throw new DecodeError(
      "MEMBERSHIP_TRAILING_BYTES",
      o,
      `${payload.length - o} bytes after the membership payload`,
      "payload",
    );
  }
  return trustedState(sortedWorldClock(clocks), items);
}

/** The membership payload as a message type: the shape a node registers (the seed's callbacks). */
export interface MembershipCodec {
  /** {@linkcode MEMBERSHIP_TYPE_NAME}. */
  readonly typeName: string;
  /** {@linkcode encodeMembership}. */
  encode(value: MembershipState, table: NetIdTable): Uint8Array;
  /** {@linkcode decodeMembership} with the default limits. */
  decode(bytes: Uint8Array, table: readonly NetId[]): MembershipState;
  /** {@linkcode membershipNetIds}. */
  extractNetIds(value: MembershipState): NetId[];
}

/**
 * The membership payload's callbacks (`extract_netids`, `encode_with`, `decode_with`) under its
 * type name, ready to register with a node together with a handler.
 *
 * @example
 * ```ts
 * import { MEMBERSHIP_CODEC, MembershipState } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * assert.deepEqual(MEMBERSHIP_CODEC.extractNetIds(MembershipState.EMPTY), []);
 * ```
 */
export const MEMBERSHIP_CODEC: MembershipCodec = Object.freeze({
  typeName: MEMBERSHIP_TYPE_NAME,
  encode: encodeMembership,
  decode: (bytes: Uint8Array, table: readonly NetId[]) => decodeMembership(bytes, table),
  extractNetIds: membershipNetIds,
});
