/**
 * A set of sequence numbers kept as sorted, disjoint, non-touching inclusive ranges, built as
 * numbers arrive. A destination records each origin's arrivals in one (R-NODE-REL-002): they come
 * nearly in order (the multicast stream, with the kept TCP copy and relays overtaking it now and
 * then), so an arrival almost always extends or follows the last range, and an acknowledgement is
 * the ranges as they stand (no list of every number, no sort). Internal: not exported by the
 * package.
 *
 * @module
 */

/**
 * Sequence numbers as ranges `[lo, hi]`, in a flat array `lo0, hi0, lo1, hi1, ...` (ascending,
 * with a gap of at least one number between ranges).
 *
 * @example
 * ```ts
 * import { SeqRangeSet } from "./seq_ranges.ts";
 * import assert from "node:assert/strict";
 * const s = new SeqRangeSet();
 * for (const n of [5, 6, 7, 10, 6, 9, 3]) s.add(n);
 * assert.deepEqual(s.ranges(), [[3, 3], [5, 7], [9, 10]]);
 * assert.equal(s.count, 6);
 * ```
 */
export class SeqRangeSet {
  /** `lo0, hi0, lo1, hi1, ...`. */
  r: number[] = [];

  /** Add `x` (a repeat changes nothing). */
  add(x: number): void {
    const r = this.r;
    const n = r.length;
    if (n === 0) {
      r.push(x, x);
      return;
    }
    const hi = r[n - 1];
    if (x === hi + 1) r[n - 1] = x;
    else if (x > hi) r.push(x, x);
    else if (x < r[n - 2]) this.#insert(x);
    // else: inside the last range already.
  }

  /** Add `lo..hi` (inclusive, `lo <= hi`): at once when it follows or joins the last range. */
  addRange(lo: number, hi: number): void {
    const r = this.r;
    const n = r.length;
    if (n === 0 || lo > r[n - 1] + 1) r.push(lo, hi);
    else if (lo >= r[n - 2]) {
      if (hi > r[n - 1]) r[n - 1] = hi;
    } else for (let x = lo; x <= hi; x++) this.add(x);
  }

  /** `x` below the last range: find its place (binary search over the ranges). */
  #insert(x: number): void {
    const r = this.r;
    // The first range whose hi >= x - 1 (it touches or holds x, or lies above it).
    let a = 0, b = r.length / 2 - 1;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (r[2 * m + 1] < x - 1) a = m + 1;
      else b = m;
    }
    const lo = r[2 * a], hi = r[2 * a + 1];
    if (x >= lo && x <= hi) return; // held already
    if (x === hi + 1) {
      // Extends range a upwards; joins range a + 1 when that starts at x + 1.
      if (2 * a + 2 < r.length && r[2 * a + 2] === x + 1) {
        r[2 * a + 1] = r[2 * a + 3];
        r.splice(2 * a + 2, 2);
      } else r[2 * a + 1] = x;
      return;
    }
    // hi >= x - 1, x is not in [lo, hi] and x !== hi + 1: so x < lo (and x touches no range
    // below: the one before ends below x - 1).
    if (x === lo - 1) r[2 * a] = x;
    else r.splice(2 * a, 0, x, x);
  }

  /** How many numbers it holds. */
  get count(): number {
    const r = this.r;
    let n = 0;
    for (let i = 0; i < r.length; i += 2) n += r[i + 1] - r[i] + 1;
    return n;
  }

  /** Whether it holds nothing. */
  get empty(): boolean {
    return this.r.length === 0;
  }

  /** The highest number held (undefined when empty). */
  get max(): number | undefined {
    return this.r.length === 0 ? undefined : this.r[this.r.length - 1];
  }

  /** The ranges as pairs. */
  ranges(): [number, number][] {
    const r = this.r;
    const out: [number, number][] = [];
    for (let i = 0; i < r.length; i += 2) out.push([r[i], r[i + 1]]);
    return out;
  }

  /** Add every number of `other`. */
  addAll(other: SeqRangeSet): void {
    const o = other.r;
    if (o.length === 0) return;
    if (this.r.length === 0) {
      this.r = o.slice();
      return;
    }
    // Merge two sorted range lists.
    const a = this.r;
    const out: number[] = [];
    let i = 0, j = 0;
    const put = (lo: number, hi: number) => {
      const n = out.length;
      if (n > 0 && lo <= out[n - 1] + 1) {
        if (hi > out[n - 1]) out[n - 1] = hi;
      } else out.push(lo, hi);
    };
    while (i < a.length || j < o.length) {
      if (j >= o.length || (i < a.length && a[i] <= o[j])) {
        put(a[i], a[i + 1]);
        i += 2;
      } else {
        put(o[j], o[j + 1]);
        j += 2;
      }
    }
    this.r = out;
  }

  /** Remove every number of `other`. */
  remove(other: SeqRangeSet): void {
    const a = this.r, o = other.r;
    if (a.length === 0 || o.length === 0) return;
    const out: number[] = [];
    let j = 0;
    for (let i = 0; i < a.length; i += 2) {
      let lo = a[i];
      const hi = a[i + 1];
      // Skip removed ranges wholly below this one.
      while (j < o.length && o[j + 1] < lo) j += 2;
      let k = j;
      while (lo <= hi && k < o.length && o[k] <= hi) {
        if (o[k] > lo) out.push(lo, o[k] - 1);
        lo = Math.max(lo, o[k + 1] + 1);
        k += 2;
      }
      if (lo <= hi) out.push(lo, hi);
    }
    this.r = out;
  }

  /**
   * Split at `limit`: returns the numbers above it (a new set, or undefined when there are
   * none); this keeps the numbers at or below it.
   */
  splitAbove(limit: number): SeqRangeSet | undefined {
    const r = this.r;
    const n = r.length;
    if (n === 0 || r[n - 1] <= limit) return undefined;
    // The first range with hi > limit.
    let k = n - 2;
    while (k >= 2 && r[k - 1] > limit) k -= 2;
    const above = new SeqRangeSet();
    if (r[k] <= limit) {
      // Range k straddles the limit.
      above.r = [limit + 1, r[k + 1], ...r.slice(k + 2)];
      r.length = k + 2;
      r[k + 1] = limit;
    } else {
      above.r = r.slice(k);
      r.length = k;
    }
    return above;
  }
}
