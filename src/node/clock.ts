/**
 * Time the node uses (peer ageing, idle timeouts, maintenance), passed in so that the
 * in-memory network can run many nodes on a virtual clock, deterministically.
 *
 * @module
 */

/** A handle returned by {@linkcode NodeClock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * The node's wall clock: current time and one-shot timers (not to be confused with the
 * membership module's logical `LocalClock` and `WorldClock`).
 */
export interface NodeClock {
  /** Milliseconds since some fixed point. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancel a timer; a no-op for a timer that already ran. */
  clearTimeout(handle: TimerHandle): void;
}

/** @deprecated Old name of {@linkcode NodeClock}; internal code only. */
export type Clock = NodeClock;

/**
 * The real clock: `Date.now()` and the runtime's timers.
 *
 * @example
 * ```ts
 * import { systemClock } from "@chatter/chatter/testing";
 * import assert from "node:assert/strict";
 * assert.equal(systemClock.now() > 0, true);
 * ```
 */
export const systemClock: NodeClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as number),
};

/**
 * A virtual clock for deterministic tests: time moves only when {@linkcode ManualClock.advance}
 * is called, which runs the timers that fall due, in time order.
 *
 * @example
 * ```ts
 * import { ManualClock } from "@chatter/chatter/testing";
 * import assert from "node:assert/strict";
 * const c = new ManualClock(1000);
 * let fired = false;
 * c.setTimeout(() => fired = true, 50);
 * c.advance(50);
 * assert.equal(fired, true);
 * ```
 */
export class ManualClock implements NodeClock {
  #now: number;
  #seq = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();

  /** Start at `start` milliseconds. */
  constructor(start = 0) {
    this.#now = start;
  }

  /** Current virtual time. */
  now(): number {
    return this.#now;
  }

  /** Schedule `fn` at now + `ms`. */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  /** Cancel a timer. */
  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  /** Timers not yet run. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Move time forward by `ms`, running due timers in (time, creation) order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let best: number | undefined;
      let bestAt = Infinity;
      for (const [id, t] of this.#timers) {
        if (t.at <= end && (t.at < bestAt || (t.at === bestAt && id < best!))) {
          best = id;
          bestAt = t.at;
        }
      }
      if (best === undefined) break;
      const t = this.#timers.get(best)!;
      this.#timers.delete(best);
      this.#now = Math.max(this.#now, t.at);
      t.fn();
    }
    this.#now = end;
  }
}
