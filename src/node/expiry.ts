/**
 * A time wheel for maintenance (R-NODE-SCALE-009): each item is registered at the time it is next
 * due to be looked at, in buckets of a fixed width, and a maintenance tick visits only the items
 * whose time has come (registered at the tick's time or earlier), not every item held. An item has at most one registration (registering it
 * again moves it; removing it frees it at once, so forgotten items cost nothing). Owners may
 * register lazily: an item whose time moved later (a peer heard again) keeps its old registration
 * and, visited early, is registered again at its new time. Times need not be monotonic (a clock
 * that goes back only makes items due early).
 *
 * @module
 */

/**
 * An item of a {@linkcode TimeWheel}: the wheel keeps its registration in the item itself (its
 * time and its neighbours in the bucket's list), so a bucket costs one map entry and an item
 * two pointers and a number.
 */
export interface Timed {
  /** The time it is registered at; undefined when it is not registered. */
  due?: number;
  /** The previous item of its bucket (the wheel's). */
  wPrev?: Timed;
  /** The next item of its bucket (the wheel's). */
  wNext?: Timed;
}

/**
 * Items due at times, visited once a bound reaches their time.
 *
 * @example
 * ```ts
 * import { TimeWheel } from "./expiry.ts";
 * import assert from "node:assert/strict";
 * const w = new TimeWheel<{ name: string; due?: number }>(100);
 * const a = { name: "a" }, b = { name: "b" };
 * w.add(a, 150);
 * w.add(b, 1_000);
 * const seen: string[] = [];
 * assert.equal(w.due(500, (x) => void seen.push(x.name)), 1); // only "a" is looked at
 * assert.deepEqual(seen, ["a"]);
 * assert.equal(w.size, 1);
 * ```
 */
export class TimeWheel<T extends Timed> {
  readonly #width: number;
  /** Bucket index -> the first item of its list. */
  readonly #buckets = new Map<number, T>();
  /** No bucket below this index holds anything. */
  #low = Infinity;
  #size = 0;
  /** Registrations made while `due` runs: made once it is done. */
  #later: { item: T; at: number }[] | undefined;

  /** Buckets of `width` time units (> 0). */
  constructor(width: number) {
    this.#width = width > 0 ? width : 1;
  }

  /** Items registered. */
  get size(): number {
    return this.#size;
  }

  /**
   * Register `item` at time `at`, replacing its registration if it has one. During a `due` call
   * the registration is made when the call ends (a later call visits it).
   */
  add(item: T, at: number): void {
    if (this.#later) {
      this.#later.push({ item, at });
      return;
    }
    this.remove(item);
    const b = Math.floor(at / this.#width);
    const head = this.#buckets.get(b);
    item.wPrev = undefined;
    item.wNext = head;
    if (head) head.wPrev = item;
    this.#buckets.set(b, item);
    item.due = at;
    if (b < this.#low) this.#low = b;
    this.#size++;
  }

  /** Drop `item`'s registration, if any. */
  remove(item: T): void {
    if (this.#later) {
      const i = this.#later.findIndex((x) => x.item === item);
      if (i >= 0) this.#later.splice(i, 1);
    }
    if (item.due === undefined) return;
    this.#unlink(item, Math.floor(item.due / this.#width));
  }

  #unlink(item: T, b: number): void {
    const prev = item.wPrev as T | undefined, next = item.wNext as T | undefined;
    if (prev) prev.wNext = next;
    else if (next) this.#buckets.set(b, next);
    else this.#buckets.delete(b);
    if (next) next.wPrev = prev;
    item.wPrev = item.wNext = item.due = undefined;
    this.#size--;
  }

  /**
   * Visit every item registered at `bound` or earlier, each once, dropping its registration;
   * `visit` returns a time to register the item again at (after `bound`: it is visited again by
   * a later call with a larger bound), or nothing. Items registered after `bound` are not
   * visited. Returns how many were.
   */
  due(bound: number, visit: (item: T) => number | undefined | void): number {
    let n = 0;
    const last = Math.floor(bound / this.#width);
    const again: { item: T; at: number }[] = this.#later = [];
    const take = (b: number) => {
      // Unlink what is due first, then visit: a visit may change other registrations.
      const batch: T[] = [];
      let x = this.#buckets.get(b);
      while (x) {
        const next = x.wNext as T | undefined;
        // In the bound's own bucket only what is due.
        if (b !== last || x.due! <= bound) {
          this.#unlink(x, b);
          batch.push(x);
        }
        x = next;
      }
      for (const y of batch) {
        n++;
        const t = visit(y);
        if (t !== undefined) again.push({ item: y, at: t });
      }
    };
    try {
      if (last - this.#low > this.#buckets.size) {
        // A long gap (or a first tick): walk the buckets held, not every index in between.
        const keys = [...this.#buckets.keys()].filter((b) => b <= last).sort((a, b) => a - b);
        for (const b of keys) take(b);
      } else if (this.#low <= last) { for (let b = this.#low; b <= last; b++) take(b); }
    } finally {
      if (this.#buckets.size === 0) this.#low = Infinity;
      else if (this.#low <= last) this.#low = this.#buckets.has(last) ? last : last + 1;
      this.#later = undefined;
      for (const x of again) this.add(x.item, x.at);
    }
    return n;
  }
}
