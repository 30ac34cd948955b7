/**
 * TimedItem: an {@linkcode Item} with the {@linkcode LocalClock} at which its member wrote it.
 * [R-MEM-004]
 *
 * @module
 */

import { InvalidValueError } from "../errors.ts";
import { Item, type ItemFields } from "./item.ts";
import { LocalClock } from "./local_clock.ts";
import { compareKeys, memberText } from "./member.ts";

/**
 * An item stamped with its member's clock. Two timed items are the same *slot* when member,
 * start and end match; within a slot the later write wins (see {@linkcode compareWrites}).
 * Immutable; the constructor rejects a clock whose member differs from the item's member.
 *
 * @example
 * ```ts
 * import { Item, LocalClock, TimedItem } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * const member = { ip: "10.0.0.1", port: 4000 };
 * const t = new TimedItem(
 *   new Item({ member, op: "add", start: 0, end: 99, priority: 1 }),
 *   new LocalClock(member, 3),
 * );
 * assert.equal(t.clock.time, 3);
 * ```
 */
export class TimedItem {
  /** The claim. */
  readonly item: Item;
  /** The member's clock when it wrote the claim. */
  readonly clock: LocalClock;

  /**
   * Stamp `item` with `clock` (plain fields are checked and converted). Throws an `InvalidValueError`
   * naming both members when the clock belongs to another member. [R-MEM-004]
   */
  constructor(item: Item | ItemFields, clock: LocalClock) {
    this.item = item instanceof Item ? item : new Item(item);
    if (!(clock instanceof LocalClock)) {
      throw new InvalidValueError(
        `TimedItem clock must be a LocalClock, got ${JSON.stringify(clock)}`,
      );
    }
    if (clock.memberKey !== this.item.memberKey) {
      throw new InvalidValueError(
        `TimedItem clock member ${memberText(clock.member)} differs from item member ${
          memberText(this.item.member)
        }`,
      );
    }
    this.clock = clock;
    Object.freeze(this);
  }
}

/**
 * Compare the slots (member, start, end) of two timed items in canonical order: member in
 * NetID table order, then start, then end. Zero means the same slot. [R-MEM-005]
 *
 * @example
 * ```ts
 * import { compareSlots, MembershipState } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * const m = { ip: "10.0.0.1", port: 4000 };
 * const s = MembershipState.EMPTY.write(m, [
 *   { op: "add", start: 0, end: 9, priority: 1 },
 *   { op: "add", start: 10, end: 19, priority: 1 },
 * ]);
 * const [a, b] = s.items;
 * assert.ok(compareSlots(a, b) < 0); // same member, lower start first
 * assert.equal(compareSlots(a, a), 0);
 * ```
 */
export function compareSlots(a: TimedItem, b: TimedItem): number {
  const x = a.item, y = b.item;
  if (x.memberKey !== y.memberKey) return compareKeys(x.memberKey, y.memberKey);
  return x.start - y.start || x.end - y.end;
}

/**
 * Order two writes of the same member by precedence: the later clock; on equal clocks `rmv`
 * over `add`; then the higher priority. Positive when `a` wins, negative when `b` wins, zero
 * when they are indistinguishable. A total order on the content of a slot, which is what makes
 * merge commutative and associative. [R-MEM-006]
 *
 * @example
 * ```ts
 * import { compareWrites, MembershipState } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * const m = { ip: "10.0.0.1", port: 4000 };
 * const first = MembershipState.EMPTY.write(m, [{ op: "add", start: 0, end: 9, priority: 1 }]);
 * const second = first.write(m, [{ op: "rmv", start: 0, end: 9, priority: 1 }]);
 * assert.ok(compareWrites(second.items[0], first.items[0]) > 0); // the later clock wins
 * ```
 */
export function compareWrites(a: TimedItem, b: TimedItem): number {
  return a.clock.time - b.clock.time ||
    (a.item.op === b.item.op ? 0 : a.item.op === "rmv" ? 1 : -1) ||
    a.item.priority - b.item.priority;
}
