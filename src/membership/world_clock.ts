/**
 * WorldClock: the latest {@linkcode LocalClock} seen per member. It is not used to pick
 * winners; it tells a node that it lags behind a member. [R-MEM-007]
 *
 * @module
 */

import { InvalidValueError } from "../errors.ts";
import type { NetId } from "../wire/netid.ts";
import { LocalClock } from "./local_clock.ts";
import { compareKeys, memberKey } from "./member.ts";

// Set by the class's static block: the one way around the private constructor.
let make: (clocks: LocalClock[]) => WorldClock;

/**
 * Wrap clocks already sorted by member (NetID table order) with no repeats. No checks are made:
 * internal to the membership module, not exported from its entry point.
 */
export function sortedWorldClock(clocks: LocalClock[]): WorldClock {
  return make(clocks);
}

/**
 * The latest clock per member, in NetID table order of the members, one entry per member.
 * Immutable: {@linkcode WorldClock.merge} and {@linkcode WorldClock.with} return new clocks.
 *
 * @example
 * ```ts
 * import { LocalClock, WorldClock } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * const a = { ip: "10.0.0.1", port: 4000 };
 * const w = WorldClock.from([new LocalClock(a, 2), new LocalClock(a, 5)]);
 * assert.equal(w.get(a), 5);
 * ```
 */
export class WorldClock {
  /** One clock per member, sorted by member in NetID table order. */
  readonly clocks: readonly LocalClock[];

  private constructor(clocks: LocalClock[]) {
    this.clocks = Object.freeze(clocks);
    Object.freeze(this);
  }

  /** The empty world clock. */
  static readonly EMPTY: WorldClock = new WorldClock([]);

  /**
   * A world clock from clocks in any order; for a member listed more than once the latest
   * clock is kept. Throws an `InvalidValueError` for anything that is not a {@linkcode LocalClock}.
   */
  static from(clocks: Iterable<LocalClock>): WorldClock {
    const byMember = new Map<string, LocalClock>();
    for (const c of clocks) {
      if (!(c instanceof LocalClock)) {
        throw new InvalidValueError(
          `WorldClock entries must be LocalClocks, got ${JSON.stringify(c)}`,
        );
      }
      const old = byMember.get(c.memberKey);
      if (old === undefined || c.time > old.time) byMember.set(c.memberKey, c);
    }
    return make(
      [...byMember.values()].sort((x, y) => compareKeys(x.memberKey, y.memberKey)),
    );
  }

  static {
    make = (clocks) => clocks.length === 0 ? WorldClock.EMPTY : new WorldClock(clocks);
  }

  /** Number of members. */
  get size(): number {
    return this.clocks.length;
  }

  /** The clock of `member`, or undefined when it was never seen. */
  clockOf(member: NetId): LocalClock | undefined {
    const key = memberKey(member);
    let lo = 0, hi = this.clocks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareKeys(this.clocks[mid].memberKey, key);
      if (c === 0) return this.clocks[mid];
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** The time of `member`, or undefined when it was never seen. */
  get(member: NetId): number | undefined {
    return this.clockOf(member)?.time;
  }

  /** This clock with `clock` taken into account (kept only if later than what is known). */
  with(clock: LocalClock): WorldClock {
    return this.merge(make([clock]));
  }

  /**
   * Member-wise maximum of two world clocks: never moves a member's clock backwards.
   * [R-MEM-009]
   */
  merge(other: WorldClock): WorldClock {
    if (other === this || other.clocks.length === 0) return this;
    if (this.clocks.length === 0) return other;
    const a = this.clocks, b = other.clocks;
    const out: LocalClock[] = [];
    let i = 0, j = 0;
    while (i < a.length && j < b.length) {
      const c = compareKeys(a[i].memberKey, b[j].memberKey);
      if (c < 0) out.push(a[i++]);
      else if (c > 0) out.push(b[j++]);
      else {
        out.push(a[i].time >= b[j].time ? a[i] : b[j]);
        i++;
        j++;
      }
    }
    while (i < a.length) out.push(a[i++]);
    while (j < b.length) out.push(b[j++]);
    return new WorldClock(out);
  }

  /**
   * The clocks of `other` that are later than this one's (or unknown here): the members this
   * node lags behind, and from which clock on it misses writes. Drives anti-entropy.
   */
  behind(other: WorldClock): LocalClock[] {
    const out: LocalClock[] = [];
    for (const c of other.clocks) {
      const mine = this.clockOf(c.member);
      if (mine === undefined || mine.time < c.time) out.push(c);
    }
    return out;
  }

  /** True when both clocks hold the same members at the same times. */
  equals(other: WorldClock): boolean {
    if (this === other) return true;
    if (this.clocks.length !== other.clocks.length) return false;
    for (let i = 0; i < this.clocks.length; i++) {
      const x = this.clocks[i], y = other.clocks[i];
      if (x.memberKey !== y.memberKey || x.time !== y.time) return false;
    }
    return true;
  }
}
