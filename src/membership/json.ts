/**
 * JSON forms of the membership values, as the conformance testee and the vectors use them
 * (`spec/membership.md` §6). Members are NetIDs as everywhere in the JSON of the vectors and
 * the testee: `{"ip": "10.0.0.1", "port": 4000}`.
 *
 * @module
 */

import { InvalidValueError } from "../errors.ts";
import { type NetId, netId } from "../wire/netid.ts";
import { Item } from "./item.ts";
import { LocalClock } from "./local_clock.ts";
import { MembershipState } from "./state.ts";
import { TimedItem } from "./timed_item.ts";
import type { MembershipView } from "./view.ts";

/** JSON form of a {@linkcode LocalClock}. */
export interface LocalClockJson {
  /** The member NetID. */
  member: NetId;
  /** 0 to 2^32 - 1. */
  time: number;
}

/** JSON form of an {@linkcode Item}. */
export interface ItemJson {
  /** The member NetID. */
  member: NetId;
  /** `"add"` or `"rmv"`. */
  op: string;
  /** First key. */
  start: number;
  /** Last key (inclusive). */
  end: number;
  /** Priority. */
  priority: number;
}

/** JSON form of a {@linkcode TimedItem}. */
export interface TimedItemJson {
  /** The claim. */
  item: ItemJson;
  /** The clock it was written at; its member must be the item's. */
  clock: LocalClockJson;
}

/** JSON form of a {@linkcode MembershipState}. */
export interface MembershipStateJson {
  /** World clock entries (more may be implied by the items' clocks). */
  clock: LocalClockJson[];
  /** Timed items. */
  items: TimedItemJson[];
}

/** JSON form of a view segment. */
export interface SegmentJson {
  /** First key. */
  start: number;
  /** Last key (inclusive). */
  end: number;
  /** Servers, in view order. */
  servers: { member: NetId; priority: number }[];
}

function member(v: unknown, what: string): NetId {
  const o = v as Record<string, unknown>;
  if (
    o === null || typeof o !== "object" || typeof o.ip !== "string" || typeof o.port !== "number"
  ) {
    throw new InvalidValueError(`${what} must be a NetID {ip, port}, got ${JSON.stringify(v)}`);
  }
  try {
    return netId(o.ip, o.port);
  } catch (e) {
    throw new InvalidValueError(`${what}: ${(e as Error).message}`);
  }
}

/** A NetID as JSON: a fresh `{ip, port}` object. */
function netIdJson(id: NetId): NetId {
  return { ip: id.ip, port: id.port };
}

function clockFromJson(j: LocalClockJson, what: string): LocalClock {
  if (j === null || typeof j !== "object") {
    throw new InvalidValueError(`${what} must be {member, time}, got ${JSON.stringify(j)}`);
  }
  return new LocalClock(member(j.member, `${what} member`), j.time);
}

/**
 * Read a message from its JSON form, checking everything the constructors check. Throws an
 * `InvalidValueError` naming the bad value.
 *
 * @example
 * ```ts
 * import { stateFromJson } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * const m = stateFromJson({ clock: [{ member: { ip: "10.0.0.1", port: 4000 }, time: 2 }], items: [] });
 * assert.equal(m.clock.size, 1);
 * ```
 */
export function stateFromJson(j: MembershipStateJson): MembershipState {
  if (j === null || typeof j !== "object" || !Array.isArray(j.clock) || !Array.isArray(j.items)) {
    throw new InvalidValueError(
      `a message must be {clock: [...], items: [...]}, got ${JSON.stringify(j)}`,
    );
  }
  const clocks = j.clock.map((c, i) => clockFromJson(c, `clock[${i}]`));
  const items = j.items.map((t, i) => {
    if (t === null || typeof t !== "object" || t.item === null || typeof t.item !== "object") {
      throw new InvalidValueError(`items[${i}] must be {item, clock}, got ${JSON.stringify(t)}`);
    }
    const it = new Item({
      member: member(t.item.member, `items[${i}].item.member`),
      op: t.item.op as "add" | "rmv",
      start: t.item.start,
      end: t.item.end,
      priority: t.item.priority,
    });
    return new TimedItem(it, clockFromJson(t.clock, `items[${i}].clock`));
  });
  return MembershipState.from(items, clocks);
}

/**
 * The canonical JSON form of a message: every world clock entry in member order, items in slot
 * order. Equal states give equal JSON.
 *
 * @example
 * ```ts
 * import { MembershipState, stateToJson } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * assert.deepEqual(stateToJson(MembershipState.EMPTY), { clock: [], items: [] });
 * ```
 */
export function stateToJson(m: MembershipState): MembershipStateJson {
  return {
    clock: m.clock.clocks.map((c) => ({ member: netIdJson(c.member), time: c.time })),
    items: m.items.map((t) => ({
      item: {
        member: netIdJson(t.item.member),
        op: t.item.op,
        start: t.item.start,
        end: t.item.end,
        priority: t.item.priority,
      },
      clock: { member: netIdJson(t.clock.member), time: t.clock.time },
    })),
  };
}

/**
 * The JSON form of a view: its segments in key order.
 *
 * @example
 * ```ts
 * import { MembershipState, MembershipView, viewToJson } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * assert.deepEqual(viewToJson(MembershipView.of(MembershipState.EMPTY)), []);
 * ```
 */
export function viewToJson(v: MembershipView): SegmentJson[] {
  return v.segments.map((s) => ({
    start: s.start,
    end: s.end,
    servers: s.servers.map((x) => ({ member: netIdJson(x.member), priority: x.priority })),
  }));
}
