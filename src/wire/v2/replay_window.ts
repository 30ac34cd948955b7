/**
 * The sliding replay window of one v2 session (one (key id, salt) pair): the highest counter
 * accepted and a bitmap of the `size` counters up to it. [R-V2-REPLAY-001..003]
 *
 * @module
 */

import { InvalidValueError } from "../../errors.ts";
import { V2_REPLAY_WINDOW } from "../constants.ts";

/** The verdict of {@linkcode V2ReplayWindow.check}. */
export type V2ReplayVerdict = "fresh" | "REPLAY" | "BEHIND_WINDOW";

/**
 * Which counters of one session were accepted, within a window of `size` frames below the
 * highest. Checking does not change the window; only {@linkcode V2ReplayWindow.accept} does,
 * and a receiver calls it only after the frame authenticated.
 *
 * @example
 * ```ts
 * import { V2ReplayWindow } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const w = new V2ReplayWindow(1024);
 * w.accept(5000n);
 * assert.equal(w.check(5000n), "REPLAY");
 * assert.equal(w.check(4999n), "fresh");
 * w.check(3976n); // "BEHIND_WINDOW" (5000 - 1024)
 * ```
 */
export class V2ReplayWindow {
  readonly #size: number;
  readonly #bits: Uint32Array;
  #highest = -1n;

  /** A window of `size` frames: a power of two, at least 32. */
  constructor(size: number = V2_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 32 || (size & (size - 1)) !== 0) {
      throw new InvalidValueError(`replay window must be a power of two >= 32, got ${size}`);
    }
    this.#size = size;
    this.#bits = new Uint32Array(size / 32);
  }

  /** Window width in frames. */
  get size(): number {
    return this.#size;
  }

  /** The highest counter accepted, or `undefined` before the first. */
  get highest(): bigint | undefined {
    return this.#highest < 0n ? undefined : this.#highest;
  }

  #slot(counter: bigint): number {
    return Number(counter & 0xffff_ffffn) & (this.#size - 1);
  }

  /** Whether `counter` would be fresh, a replay, or behind the window. */
  check(counter: bigint): V2ReplayVerdict {
    if (counter > this.#highest) return "fresh";
    if (this.#highest - counter >= BigInt(this.#size)) return "BEHIND_WINDOW";
    const s = this.#slot(counter);
    return (this.#bits[s >>> 5] >>> (s & 31)) & 1 ? "REPLAY" : "fresh";
  }

  /** Mark `counter` accepted (the caller has checked it is fresh), sliding the window. */
  accept(counter: bigint): void {
    if (counter > this.#highest) {
      const d = counter - this.#highest;
      if (this.#highest < 0n || d >= BigInt(this.#size)) {
        this.#bits.fill(0);
      } else {
        // Clear the slots of the counters the window slides over.
        for (let c = this.#highest + 1n, n = Number(d); n > 0; n--, c++) {
          const s = this.#slot(c);
          this.#bits[s >>> 5] &= ~(1 << (s & 31));
        }
      }
      this.#highest = counter;
    }
    const s = this.#slot(counter);
    this.#bits[s >>> 5] |= 1 << (s & 31);
  }
}
