/**
 * MembershipState: a {@linkcode WorldClock} and a set of {@linkcode TimedItem}s, and the
 * last-write-wins merge that makes Messages a join-semilattice (merge is idempotent,
 * commutative and associative). [R-MEM-005..009]
 *
 * @module
 */

import { InvalidValueError } from "../errors.ts";
import type { NetId } from "../wire/netid.ts";
import { LocalClock } from "./local_clock.ts";
import type { ItemFields } from "./item.ts";
import { compareKeys, memberKey } from "./member.ts";
import { compareSlots, compareWrites, TimedItem } from "./timed_item.ts";
import { sortedWorldClock, WorldClock } from "./world_clock.ts";

// Set by the class's static block: the one way around the private constructor.
let make: (clock: WorldClock, items: TimedItem[]) => MembershipState;

/**
 * Group-membership state: the timed items, one per slot (member, start, end), sorted by slot
 * in canonical order, and the world clock, which holds for every member at least the latest
 * clock of its items. Immutable; equal states have equal item and clock lists.
 *
 * @example
 * ```ts
 * import { Item, LocalClock, MembershipState, TimedItem } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * const m = { ip: "10.0.0.1", port: 4000 };
 * const a = MembershipState.from([new TimedItem(new Item({ member: m, op: "add", start: 0, end: 9, priority: 1 }), new LocalClock(m, 1))]);
 * const b = MembershipState.from([new TimedItem(new Item({ member: m, op: "rmv", start: 0, end: 9, priority: 1 }), new LocalClock(m, 2))]);
 * assert.equal(a.merge(b).items[0].item.op, "rmv");
 * ```
 */
export class MembershipState {
  /** The latest clock seen per member (at least the clock of each of its items). */
  readonly clock: WorldClock;
  /** One timed item per slot, sorted by slot: member (table order), start, end. */
  readonly items: readonly TimedItem[];

  private constructor(clock: WorldClock, items: TimedItem[]) {
    this.clock = clock;
    this.items = Object.freeze(items);
    Object.freeze(this);
  }

  /** The empty message. */
  static readonly EMPTY: MembershipState = new MembershipState(WorldClock.EMPTY, []);

  /**
   * A message from timed items and extra clocks in any order. Items of the same slot are
   * resolved as merge does (the later write wins); the world clock is raised to cover every
   * item's clock. Throws an `InvalidValueError` for anything that is not a TimedItem/LocalClock.
   */
  static from(items: Iterable<TimedItem>, clocks: Iterable<LocalClock> = []): MembershipState {
    const list = [...items];
    for (const t of list) {
      if (!(t instanceof TimedItem)) {
        throw new InvalidValueError(
          `MembershipState items must be TimedItems, got ${JSON.stringify(t)}`,
        );
      }
    }
    list.sort(compareSlots);
    const out: TimedItem[] = [];
    for (const t of list) {
      const last = out.length - 1;
      if (last >= 0 && compareSlots(out[last], t) === 0) {
        if (compareWrites(t, out[last]) > 0) out[last] = t;
      } else out.push(t);
    }
    return new MembershipState(WorldClock.from([...clocks, ...out.map((t) => t.clock)]), out);
  }

  static {
    make = (clock, items) =>
      items.length === 0 && clock.size === 0
        ? MembershipState.EMPTY
        : new MembershipState(clock, items);
  }

  /** Merge with `other`; see {@linkcode merge}. */
  merge(other: MembershipState): MembershipState {
    return merge(this, other);
  }

  /** True when both hold the same state (same clock entries, same items). */
  equals(other: MembershipState): boolean {
    if (this === other) return true;
    if (!this.clock.equals(other.clock) || this.items.length !== other.items.length) return false;
    for (let i = 0; i < this.items.length; i++) {
      const x = this.items[i], y = other.items[i];
      if (x === y) continue;
      if (compareSlots(x, y) !== 0 || compareWrites(x, y) !== 0) return false;
    }
    return true;
  }

  /** The items of `member`, in slot order. */
  itemsOf(member: NetId): TimedItem[] {
    const key = memberKey(member);
    return this.items.filter((t) => t.item.memberKey === key);
  }

  /**
   * What a node whose world clock is `known` misses: the items written after `known`'s clock of
   * their member, and this message's clocks that are later than `known`'s. Merging the result
   * into a state whose clock is `known` brings it up to this one for those members, provided the
   * receiver already holds everything its clock claims. Used for anti-entropy.
   */
  since(known: WorldClock): MembershipState {
    const items = this.items.filter((t) => {
      const k = known.get(t.item.member);
      return k === undefined || t.clock.time > k;
    });
    return trustedState(sortedWorldClock(known.behind(this.clock)), items);
  }

  /**
   * Write a change of `member`: every item gets the member's next clock (one tick past the world
   * clock's entry for it), so the change wins over everything the member wrote before. Only
   * the member itself may call this on its own behalf. Throws naming a bad field.
   */
  write(member: NetId, items: Iterable<Omit<ItemFields, "member">>): MembershipState {
    const prev = this.clock.clockOf(member);
    const clock = prev ? prev.next() : new LocalClock(member, 1);
    const timed: TimedItem[] = [];
    for (const f of items) timed.push(new TimedItem({ ...f, member: clock.member }, clock));
    return merge(this, MembershipState.from(timed, [clock]));
  }
}

/**
 * Wrap parts that already satisfy the invariants: items sorted by slot with no repeated slot,
 * every item's member in `clock` at a time at least the item's. No checks are made, so this is
 * internal to the membership module (the merge and the decoder, which have checked), and not
 * exported from its entry point.
 */
export function trustedState(clock: WorldClock, items: TimedItem[]): MembershipState {
  return make(clock, items);
}

/**
 * Merge two messages: the union of their slots, each slot holding the winning write (later
 * clock; on equal clocks `rmv` over `add`; then higher priority), and the member-wise maximum
 * of their world clocks. Idempotent, commutative and associative; linear in the item count;
 * the inputs are unchanged and their item objects are shared. [R-MEM-005..009]
 *
 * @example
 * ```ts
 * import { merge, MembershipState } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * assert.equal(merge(MembershipState.EMPTY, MembershipState.EMPTY).items.length, 0);
 * ```
 */
export function merge(a: MembershipState, b: MembershipState): MembershipState {
  if (a === b) return a;
  const clock = a.clock.merge(b.clock);
  const A = a.items, B = b.items;
  if (B.length === 0 && clock === a.clock) return a;
  if (A.length === 0 && clock === b.clock) return b;
  const out: TimedItem[] = new Array(A.length + B.length);
  let i = 0, j = 0, n = 0;
  while (i < A.length && j < B.length) {
    const x = A[i], y = B[j];
    const xi = x.item, yi = y.item;
    let c: number;
    if (xi.memberKey === yi.memberKey) c = xi.start - yi.start || xi.end - yi.end;
    else c = compareKeys(xi.memberKey, yi.memberKey);
    if (c < 0) {
      out[n++] = x;
      i++;
    } else if (c > 0) {
      out[n++] = y;
      j++;
    } else {
      out[n++] = x === y || compareWrites(x, y) >= 0 ? x : y;
      i++;
      j++;
    }
  }
  while (i < A.length) out[n++] = A[i++];
  while (j < B.length) out[n++] = B[j++];
  out.length = n;
  return trustedState(clock, out);
}
