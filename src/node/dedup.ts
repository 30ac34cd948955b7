/**
 * Delivery de-duplication by message identity (origin NetID and origin sequence number): a
 * message received again, by multicast and TCP or through two relays, is delivered once.
 * Memory is bounded: a sliding window of sequence numbers per origin and a cap on origins.
 * [R-NODE-DEDUP-001]
 *
 * @module
 */

import { type BroadcastId, netIdKey } from "../wire/netid.ts";

/** Outcome of {@linkcode DedupWindow.check}. */
export type DedupVerdict = "new" | "duplicate" | "old";

interface OriginWindow {
  max: number;
  ring: Float64Array;
}

/**
 * Remembers, per origin, the last `window` sequence numbers it delivered.
 *
 * @example
 * ```ts
 * import { DedupWindow } from "@chatter/chatter";
 * const d = new DedupWindow(1024, 100);
 * const id = { ip: "10.0.0.1", port: 1, seqno: 5 };
 * d.check(id); // "new"
 * d.check(id); // "duplicate"
 * ```
 */
export class DedupWindow {
  readonly #window: number;
  readonly #maxOrigins: number;
  readonly #origins = new Map<string, OriginWindow>();

  /** `window` sequence numbers per origin, at most `maxOrigins` origins (oldest forgotten). */
  constructor(window: number, maxOrigins: number) {
    this.#window = window;
    this.#maxOrigins = maxOrigins;
  }

  /**
   * Record `id` and say whether it is new, a duplicate, or too far behind the origin's
   * newest sequence number to tell (treated as already delivered).
   */
  check(id: BroadcastId): DedupVerdict {
    const k = netIdKey(id);
    let w = this.#origins.get(k);
    if (!w) {
      if (this.#origins.size >= this.#maxOrigins) {
        // Map order is insertion order: the first key is the origin refreshed longest ago.
        this.#origins.delete(this.#origins.keys().next().value!);
      }
      w = { max: -1, ring: new Float64Array(this.#window).fill(-1) };
      this.#origins.set(k, w);
    } else if (this.#origins.size > 1) {
      this.#origins.delete(k);
      this.#origins.set(k, w);
    }
    const s = id.seqno;
    if (w.max >= 0 && s <= w.max - this.#window) return "old";
    const slot = s % this.#window;
    if (w.ring[slot] === s) return "duplicate";
    w.ring[slot] = s;
    if (s > w.max) w.max = s;
    return "new";
  }
}
