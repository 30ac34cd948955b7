/**
 * One origin's de-duplication window (R-NODE-DEDUP-001) as runs of arithmetic progressions and,
 * only while the window holds more disorder than {@linkcode MAX_RUNS} runs describe, a bitmap of
 * its oldest part (R-NODE-SCALE-005). It answers exactly as the set of the numbers received in
 * (newest − W, newest]; it costs a few tens of bytes for a stream in order or in steady steps
 * (a node's one counter numbers its frames too, so a busy origin's records often come every other
 * number), and at worst W/8 bytes of bitmap plus the runs.
 *
 * @module
 */

/** Most runs a window keeps; one more moves the oldest run into the bitmap. [R-NODE-SCALE-005] */
export const MAX_RUNS = 32;

/** The answer of {@linkcode SeqWindow.check}. */
export type SeqVerdict = "new" | "duplicate" | "old";

/**
 * The set of sequence numbers of one origin received within (newest − W, newest].
 *
 * Runs live in one flat array `[a, b, d, …]` (ascending, disjoint): the numbers a, a + d, …, b were
 * received and none between them; they hold every received number above `P`. The bitmap holds
 * the received numbers in (newest − W, P], one bit each from `base` (a multiple of 32), and exists
 * only while P is inside the window.
 *
 * @example
 * ```ts
 * import { SeqWindow } from "./dedup_runs.ts";
 * import assert from "node:assert/strict";
 * const w = new SeqWindow(1024);
 * for (let s = 100; s < 10_000; s += 2) w.check(s); // every other number: one run
 * assert.equal(w.runs, 1);
 * assert.equal(w.check(9_998), "duplicate");
 * assert.equal(w.check(9_997), "new"); // never received: a hole, now filled
 * assert.equal(w.check(100), "old"); // 1,024 or more below the newest
 * assert.equal(w.has(9_996), true);
 * ```
 */
export class SeqWindow {
  /** The newest number received; -1 before the first. */
  max = -1;
  readonly #w: number;
  #runs: number[] = [];
  #bits: Uint32Array | null = null;
  #base = 0;
  #p = -Infinity;

  /** A window of `window` numbers (W ≥ 1). */
  constructor(window: number) {
    this.#w = window;
  }

  /** Runs kept now (the bitmap part excluded). */
  get runs(): number {
    return this.#runs.length / 3;
  }

  /** Bytes of bitmap kept now (0 while the runs describe the whole window). */
  get bitmapBytes(): number {
    return this.#bits ? this.#bits.byteLength : 0;
  }

  /** True when `s` was received and is inside the window. */
  has(s: number): boolean {
    if (this.max < 0 || s > this.max || s <= this.max - this.#w) return false;
    if (s <= this.#p) return this.#bitHas(s);
    const r = this.#runs;
    const k = this.#find(s);
    return k >= 0 && s <= r[3 * k + 1] && (s - r[3 * k]) % r[3 * k + 2] === 0;
  }

  /** Record `s`: new (now remembered), a duplicate, or too far below the newest to tell. */
  check(s: number): SeqVerdict {
    const r = this.#runs;
    const W = this.#w;
    if (this.max < 0 || s - this.max >= W) {
      // The first number, or a jump past the whole window: nothing else is in it.
      this.#runs = [s, s, 1];
      this.max = s;
      this.#bits = null;
      this.#p = -Infinity;
      return "new";
    }
    if (s <= this.max - W) return "old";
    if (s > this.max) {
      this.max = s;
      const l = r.length - 3;
      if (r[l] === r[l + 1] || s - r[l + 1] === r[l + 2]) {
        // The newest run goes on in its step (a single number takes this one).
        r[l + 2] = s - r[l + 1];
        r[l + 1] = s;
        this.#join(l / 3 - 1);
      } else r.push(s, s, 1);
      this.#slide(s - W);
    } else if (s <= this.#p) {
      if (this.#bitHas(s)) return "duplicate";
      this.#bitSet(s);
      return "new";
    } else if (!this.#insert(s)) return "duplicate";
    while (r.length > 3 * MAX_RUNS) this.#spill();
    return "new";
  }

  /** Index of the last run starting at or below `s` (-1: none). */
  #find(s: number): number {
    const r = this.#runs;
    let lo = 0, hi = r.length / 3;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (r[3 * m] <= s) lo = m + 1;
      else hi = m;
    }
    return lo - 1;
  }

  /** Insert `s` (P < s < max) into the runs; false when it is there already. */
  #insert(s: number): boolean {
    const r = this.#runs;
    const k = this.#find(s);
    if (k >= 0 && s <= r[3 * k + 1]) {
      const a = r[3 * k], b = r[3 * k + 1], d = r[3 * k + 2];
      if ((s - a) % d === 0) return false;
      // Between two members of a progression: split it around `s`.
      const left = a + Math.floor((s - a) / d) * d;
      r.splice(3 * k, 3, a, left, d, s, s, 1, left + d, b, d);
      for (let j = k + 2; j >= k - 1; j--) this.#join(j);
      return true;
    }
    // Between run k and run k + 1 (nothing received there).
    r.splice(3 * k + 3, 0, s, s, 1);
    this.#join(k + 1);
    this.#join(k);
    return true;
  }

  /**
   * Join runs j and j + 1 into one progression when they are one: nothing lies between them,
   * so they are when the gap between them is the step of each (a single number has any step).
   */
  #join(j: number): void {
    const r = this.#runs;
    if (j < 0 || 3 * j + 3 >= r.length) return;
    const gap = r[3 * j + 3] - r[3 * j + 1];
    if (
      (r[3 * j] === r[3 * j + 1] || r[3 * j + 2] === gap) &&
      (r[3 * j + 3] === r[3 * j + 4] || r[3 * j + 5] === gap)
    ) {
      r[3 * j + 1] = r[3 * j + 4];
      r[3 * j + 2] = gap;
      r.splice(3 * j + 3, 3);
    }
  }

  /** Forget what left the window: numbers at or below `lo`. */
  #slide(lo: number): void {
    const r = this.#runs;
    // The newest run holds max > lo: the loop stops before the array is empty.
    let drop = 0;
    while (r[drop + 1] <= lo) drop += 3;
    if (drop > 0) r.splice(0, drop);
    if (r[0] <= lo) {
      r[0] += Math.ceil((lo + 1 - r[0]) / r[2]) * r[2];
      this.#join(0);
    }
    if (this.#bits) {
      if (this.#p <= lo) {
        this.#bits = null;
        this.#p = -Infinity;
      } else if (lo + 1 - this.#base >= 16 * this.#bits.length) {
        // Half the words are below the window: keep the rest only.
        const from = Math.floor((lo + 1 - this.#base) / 32);
        this.#bits = this.#bits.slice(from);
        this.#base += 32 * from;
      }
    }
  }

  /** Move the oldest run into the bitmap part. */
  #spill(): void {
    const r = this.#runs;
    const a = r[0], b = r[1], d = r[2];
    r.splice(0, 3);
    this.#cover(a, b);
    this.#p = b;
    const bits = this.#bits!;
    for (let x = a; x <= b; x += d) {
      const i = x - this.#base;
      bits[i >>> 5] |= 1 << (i & 31);
    }
  }

  #bitHas(s: number): boolean {
    const bits = this.#bits!;
    const i = s - this.#base;
    return i >= 0 && i < 32 * bits.length && ((bits[i >>> 5] >>> (i & 31)) & 1) === 1;
  }

  #bitSet(s: number): void {
    this.#cover(s, s);
    const i = s - this.#base;
    this.#bits![i >>> 5] |= 1 << (i & 31);
  }

  /**
   * Make the bitmap hold the numbers [lo, hi] (inside the window). A new array keeps only words
   * inside the window and at most a quarter more room upward: never more than ⌈W/32⌉ + 1 words.
   */
  #cover(lo: number, hi: number): void {
    const bits = this.#bits;
    const old = this.#base;
    if (bits && lo >= old && hi < old + 32 * bits.length) return;
    const windowBase = Math.floor((this.max - this.#w + 1) / 32) * 32;
    const base = Math.floor(Math.min(lo, bits ? Math.max(old, windowBase) : lo) / 32) * 32;
    // Bits above the newest number are never set: do not copy room beyond it.
    const top = Math.max(hi + 1, bits ? Math.min(old + 32 * bits.length, this.max + 1) : 0);
    const need = Math.ceil((top - base) / 32);
    const next = new Uint32Array(
      Math.min(need + (need >> 2), Math.max(need, Math.ceil(this.#w / 32) + 1)),
    );
    if (bits) {
      const from = Math.max(0, (base - old) / 32);
      const to = Math.max(0, (old - base) / 32);
      next.set(bits.subarray(from, Math.min(bits.length, from + next.length - to)), to);
    }
    this.#bits = next;
    this.#base = base;
  }
}
