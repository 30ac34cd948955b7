/**
 * The adaptive send window of reliable delivery: how many unacknowledged messages an origin may
 * have outstanding to one destination (spec/node.md, "Adaptive send window",
 * R-NODE-REL-016). It reacts to loss the way TCP's congestion window does (RFC 5681, with the
 * recovery point of RFC 6582): the window halves when the origin infers heavy loss to that
 * destination (at least a tenth of what it settled lately: sparse random loss does not count),
 * at most once per round trip and only for a message sent after the previous reduction; it grows
 * back as messages are acknowledged; it never goes below a floor (progress)
 * nor above `sendWindow` (the bound of R-NODE-REL-008). With no loss it never shrinks, so a
 * healthy destination is never limited below `sendWindow`.
 *
 * @module
 */

/**
 * Limits of a {@linkcode SendWindow}, from the node options.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SendWindow, type SendWindowOptions } from "./send_window.ts";
 * const o: SendWindowOptions = { max: 512, initial: 4096, min: 16 };
 * // The initial window is clamped to min..max.
 * assert.equal(new SendWindow(o).size, 512);
 * ```
 */
export interface SendWindowOptions {
  /** Largest window (`sendWindow`). */
  max: number;
  /** Window of a destination not heard about yet (`sendWindowInitial`, clamped to min..max). */
  initial: number;
  /** Smallest window (`sendWindowMin`, at most `max`): the window never shrinks below it. */
  min: number;
}

/**
 * The window is multiplied by this when a loss is inferred.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SendWindow, WINDOW_DECREASE } from "./send_window.ts";
 * const w = new SendWindow({ max: 1000, initial: 1000, min: 10 });
 * w.lost(0, 1, 1); // heavy loss (all of what was settled lately)
 * assert.equal(w.size, 1000 * WINDOW_DECREASE);
 * ```
 */
export const WINDOW_DECREASE = 0.5;
/**
 * Above the slow-start threshold the window grows by this much per acknowledged message (about
 * an eighth per round trip when the window is full); below it, by one per message (doubling).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SendWindow, WINDOW_GROWTH } from "./send_window.ts";
 * const w = new SendWindow({ max: 1000, initial: 1000, min: 10 });
 * w.lost(0, 1, 1); // halved to 500, and the slow-start threshold with it
 * w.acked(8, 2, 1);
 * assert.equal(w.size, 500 + 8 * WINDOW_GROWTH);
 * ```
 */
export const WINDOW_GROWTH = 0.125;
/**
 * A loss shrinks the window only when at least this fraction of the messages this destination
 * settled lately (acknowledged or inferred lost, counts halved per round trip) were inferred lost:
 * sparse random loss (a few per cent of datagrams) does not pin the window to its floor, while a
 * receiver that overflows loses far more.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LOSS_FRACTION, SendWindow } from "./send_window.ts";
 * const w = new SendWindow({ max: 1000, initial: 1000, min: 10 });
 * w.acked(100, 1, 50);
 * // Lost fewer than LOSS_FRACTION of what was settled: no reduction.
 * assert.equal(w.lost(0, 2, 50, Math.floor(100 * LOSS_FRACTION) - 1), false);
 * assert.equal(w.size, 1000);
 * ```
 */
export const LOSS_FRACTION = 0.1;

/**
 * The send window of one destination. [R-NODE-REL-016]
 *
 * @example
 * ```ts
 * import { SendWindow } from "./send_window.ts";
 * import assert from "node:assert/strict";
 * const w = new SendWindow({ max: 1024, initial: 1024, min: 64 });
 * assert.equal(w.size, 1024); // no loss seen: the whole bound
 * w.acked(95, 90, 50);
 * assert.equal(w.lost(10, 100, 50, 5), false); // 5 of 100 lost: sparse loss, no reduction
 * assert.equal(w.lost(12, 100, 50, 20), true); // 25 of 120: halved
 * assert.equal(w.size, 512);
 * assert.equal(w.lost(20, 120, 50, 20), false); // sent before that reduction: same loss event
 * assert.equal(w.lost(130, 200, 50, 20), true); // sent after it, a round trip later: halved again
 * assert.equal(w.size, 256);
 * w.acked(800, 210, 50); // grows by an eighth of what was acknowledged
 * assert.equal(w.size, 356);
 * assert.equal(w.reductions, 2);
 * ```
 */
export class SendWindow {
  readonly #o: SendWindowOptions;
  #w: number;
  #ssthresh: number;
  /** When the window was last reduced (-Infinity: never). */
  #reducedAt = -Infinity;
  /** Messages acknowledged and inferred lost lately (halved per round trip since `#epochAt`). */
  #acked = 0;
  #lost = 0;
  #epochAt = NaN;
  /** Window reductions so far. */
  reductions = 0;
  /** The window, in messages (an integer, min ≤ size ≤ max). */
  size: number;

  /** A window at `o.initial` (clamped to `o.min`..`o.max`). */
  constructor(o: SendWindowOptions) {
    const min = Math.max(1, Math.min(o.min, o.max));
    this.#o = { max: o.max, min, initial: Math.min(o.max, Math.max(min, o.initial)) };
    this.#w = this.#o.initial;
    this.#ssthresh = o.max;
    this.size = Math.floor(this.#w);
  }

  /** `n` messages to this destination were acknowledged at `now` (round trip `rttMs`): it grows. */
  acked(n: number, now: number, rttMs: number): void {
    if (n <= 0) return;
    this.#decay(now, rttMs);
    this.#acked += n;
    if (this.#w >= this.#o.max) return;
    let w = this.#w;
    if (w < this.#ssthresh) {
      // Slow start: one per message, up to the threshold; the rest at the slower rate.
      const ss = Math.min(n, this.#ssthresh - w);
      w += ss;
      n -= ss;
    }
    w += n * WINDOW_GROWTH;
    this.#w = Math.min(this.#o.max, w);
    this.size = Math.floor(this.#w);
  }

  /**
   * The origin inferred that `n` messages are lost to this destination (they are being
   * repaired), the newest first sent at `sentAt`, at `now`, with round trip `rttMs`. The window
   * is multiplied by {@linkcode WINDOW_DECREASE} (not below the floor) when at least
   * {@linkcode LOSS_FRACTION} of what the destination settled lately was lost, the message was
   * sent after the previous reduction (losses of messages sent before it belong to the same
   * event) and at least one round trip has passed since. Returns true when it shrank (or would
   * have, at the floor; a fixed window, floor = bound, never counts a reduction).
   */
  lost(sentAt: number, now: number, rttMs: number, n = 1): boolean {
    if (this.#o.min >= this.#o.max) return false; // a fixed window
    this.#decay(now, rttMs);
    this.#lost += n;
    if (this.#lost < LOSS_FRACTION * (this.#acked + this.#lost)) return false;
    if (sentAt < this.#reducedAt || now - this.#reducedAt < rttMs) return false;
    this.#reducedAt = now;
    this.reductions++;
    this.#w = Math.max(this.#o.min, this.#w * WINDOW_DECREASE);
    this.#ssthresh = this.#w;
    this.size = Math.floor(this.#w);
    return true;
  }

  /** Halve the recent counts once per round trip passed. */
  #decay(now: number, rttMs: number): void {
    if (Number.isNaN(this.#epochAt)) {
      this.#epochAt = now;
      return;
    }
    const rtt = Math.max(1, rttMs);
    const k = Math.floor((now - this.#epochAt) / rtt);
    if (k <= 0) return;
    const f = k >= 32 ? 0 : 0.5 ** k;
    this.#acked *= f;
    this.#lost *= f;
    this.#epochAt += k * rtt;
  }
}

/**
 * The window figures of `stats().reliable` (R-NODE-REL-016).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SendWindow, type WindowStats, windowStats } from "./send_window.ts";
 * const out: WindowStats = { windowMin: 0, windowAvg: 0, windowsReduced: 0, windowReductions: 0, inflightMax: 0 };
 * windowStats(out, [{ win: new SendWindow({ max: 64, initial: 64, min: 8 }), inflight: 3 }], 64);
 * assert.deepEqual(out, { windowMin: 64, windowAvg: 64, windowsReduced: 0, windowReductions: 0, inflightMax: 3 });
 * ```
 */
export interface WindowStats {
  /** Smallest send window over the destinations this node has sent to (0: none yet). */
  windowMin: number;
  /** Mean send window over them (rounded; 0: none yet). */
  windowAvg: number;
  /** How many of them have a window below `sendWindow` now. */
  windowsReduced: number;
  /** Window reductions so far, over all destinations (inferred losses that shrank one). */
  windowReductions: number;
  /** Most unacknowledged messages outstanding to one destination now. */
  inflightMax: number;
}

/**
 * Fill `out`'s window figures from the destinations' windows and in-flight counts.
 *
 * @example
 * ```ts
 * import { SendWindow, windowStats } from "./send_window.ts";
 * import assert from "node:assert/strict";
 * const a = { win: new SendWindow({ max: 100, initial: 100, min: 10 }), inflight: 7 };
 * const b = { win: new SendWindow({ max: 100, initial: 100, min: 10 }), inflight: 3 };
 * b.win.lost(0, 1, 1);
 * const out = { windowMin: 0, windowAvg: 0, windowsReduced: 0, windowReductions: 0, inflightMax: 0 };
 * windowStats(out, [a, b], 100);
 * assert.deepEqual(out, { windowMin: 50, windowAvg: 75, windowsReduced: 1, windowReductions: 1, inflightMax: 7 });
 * ```
 */
export function windowStats(
  out: WindowStats,
  dests: Iterable<{ win: SendWindow; inflight: number }>,
  max: number,
): void {
  let n = 0, sum = 0, min = Infinity, reduced = 0, reductions = 0, inflight = 0;
  for (const d of dests) {
    n++;
    const s = d.win.size;
    sum += s;
    if (s < min) min = s;
    if (s < max) reduced++;
    reductions += d.win.reductions;
    if (d.inflight > inflight) inflight = d.inflight;
  }
  out.windowMin = n === 0 ? 0 : min;
  out.windowAvg = n === 0 ? 0 : Math.round(sum / n);
  out.windowsReduced = reduced;
  out.windowReductions = reductions;
  out.inflightMax = inflight;
}
