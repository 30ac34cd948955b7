/**
 * Delivery de-duplication by message identity (origin NetID and origin sequence number): a
 * message received again, by multicast and TCP or through two relays, is delivered once.
 * Memory is bounded: a sliding window of sequence numbers per origin and a cap on origins.
 * [R-NODE-DEDUP-001]
 *
 * The legacy profile has no origin identity and 0.0.15 restarts its sequence numbers at 1, so
 * for it an identity is remembered only for a short time and nothing is "too old": a restarted
 * 0.0.15 peer's messages are delivered again once that time has passed. [R-NODE-DEDUP-003]
 * Within that time a restart is detected and the peer's memory cleared, so nothing it sends
 * after a restart is lost [R-NODE-LEGACY-005]: one legacy send gives a receiver at most one copy
 * per transport (the multicast one and one TCP frame), so an identity arriving again by a
 * transport that already brought it is a new message of a restarted peer; and so is a sequence
 * number at least a window below the peer's newest that is not remembered.
 *
 * @module
 */

import { type BroadcastId, netIdKey } from "../wire/netid.ts";
import { SeqWindow } from "./dedup_runs.ts";

/** Outcome of {@linkcode DedupWindow.check}. */
export type DedupVerdict = "new" | "duplicate" | "old";

/** How a copy arrived; the time-bounded window tells restarts by it. */
export type DedupVia = "udp" | "tcp" | "local";

const VIA_BIT: Record<DedupVia, number> = { udp: 1, tcp: 2, local: 4 };

/** A time-bounded origin's memory (the legacy profile's). */
interface TimedWindow {
  max: number;
  /** The sequence number held by each slot. */
  ring: Float64Array;
  /** When each slot was recorded. */
  at: Float64Array;
  /** The transports each slot's identity arrived by, as bits. */
  via: Uint8Array;
}

/** An origin's memory: runs and, under disorder, a bitmap [R-NODE-SCALE-005]; or timed. */
type OriginWindow = SeqWindow | TimedWindow;

/** Options of a time-bounded {@linkcode DedupWindow} (the legacy profile's). */
export interface DedupTimeBound {
  /** An identity older than this is forgotten. */
  ttlMs: number;
  /** The current time in milliseconds. */
  now: () => number;
}

/**
 * Remembers, per origin, the last `window` sequence numbers it delivered.
 *
 * @example
 * ```ts
 * import { DedupWindow } from "./dedup.ts";
 * import assert from "node:assert/strict";
 * const d = new DedupWindow(1024, 100);
 * const id = { ip: "10.0.0.1", port: 1, seqno: 5 };
 * assert.equal(d.check(id), "new");
 * assert.equal(d.check(id), "duplicate");
 * ```
 */
export class DedupWindow {
  readonly #window: number;
  readonly #maxOrigins: number;
  readonly #origins = new Map<string, OriginWindow>();
  readonly #timed?: DedupTimeBound;
  /** The origin checked last (it is the most recently refreshed one in the map). */
  #last?: { ip: string; port: number; w: OriginWindow };
  #restarts = 0;

  /**
   * `window` sequence numbers per origin, at most `maxOrigins` origins (oldest forgotten).
   * With `timed`, an identity counts as a duplicate only within `timed.ttlMs` of when it was
   * recorded, no sequence number is "old", and a peer's restart clears its memory (for peers
   * whose numbers restart, see {@linkcode DedupWindow.restarts}).
   */
  constructor(window: number, maxOrigins: number, timed?: DedupTimeBound) {
    this.#window = window;
    this.#maxOrigins = maxOrigins;
    this.#timed = timed;
  }

  /**
   * Restarts detected (time-bounded mode): identities that arrived again by a transport that
   * had already brought them, or sequence numbers at least a window below the origin's newest
   * and not remembered. Each cleared that origin's memory. [R-NODE-LEGACY-005]
   */
  get restarts(): number {
    return this.#restarts;
  }

  /**
   * Record `id`, which arrived by `via`, and say whether it is new, a duplicate, or too far
   * behind the origin's newest sequence number to tell (treated as already delivered).
   *
   * @example
   * ```ts
   * import { DedupWindow } from "./dedup.ts";
   * import assert from "node:assert/strict";
   * let now = 0;
   * const d = new DedupWindow(4096, 8, { ttlMs: 5000, now: () => now });
   * const id = { ip: "10.0.0.1", port: 1, seqno: 1 };
   * assert.equal(d.check(id, "udp"), "new");
   * assert.equal(d.check(id, "tcp"), "duplicate"); // the TCP copy of the same send
   * now = 1000;
   * assert.equal(d.check(id, "udp"), "new"); // seqno 1 by multicast again: the peer restarted
   * assert.equal(d.restarts, 1);
   * ```
   */
  check(id: BroadcastId, via: DedupVia = "local"): DedupVerdict {
    let w: OriginWindow | undefined;
    if (this.#last && this.#last.ip === id.ip && this.#last.port === id.port) {
      // Records of one frame mostly share an origin: skip the key and the map.
      w = this.#last.w;
    } else {
      const k = netIdKey(id);
      w = this.#origins.get(k);
      if (!w) {
        if (this.#origins.size >= this.#maxOrigins) {
          // Map order is insertion order: the first key is the origin refreshed longest ago.
          this.#origins.delete(this.#origins.keys().next().value!);
        }
        w = this.#timed
          ? {
            max: -1,
            ring: new Float64Array(this.#window).fill(-1),
            at: new Float64Array(this.#window),
            via: new Uint8Array(this.#window),
          }
          : new SeqWindow(this.#window);
        this.#origins.set(k, w);
      } else if (this.#origins.size > 1) {
        this.#origins.delete(k);
        this.#origins.set(k, w);
      }
      this.#last = { ip: id.ip, port: id.port, w };
    }
    if (w instanceof SeqWindow) return w.check(id.seqno);
    const s = id.seqno;
    const slot = s % this.#window;
    const ring = w.ring;
    const now = this.#timed!.now();
    const bit = VIA_BIT[via];
    if (ring[slot] === s && now - w.at[slot] < this.#timed!.ttlMs) {
      // The other transport's copy of the same send: merge it.
      if ((w.via[slot] & bit) === 0) {
        w.via[slot] |= bit;
        return "duplicate";
      }
      // A second copy by the same transport: no send gives that, the peer restarted.
      this.#restart(w);
    } else if (w.max >= 0 && s <= w.max - this.#window) {
      // Far below the newest and not remembered: the peer restarted (0.0.15 starts at 1).
      this.#restart(w);
    }
    ring[slot] = s;
    w.at[slot] = now;
    w.via[slot] = bit;
    if (s > w.max) w.max = s;
    return "new";
  }

  /**
   * True when `id` is remembered as delivered (nothing is recorded). An identity too far
   * behind its origin's newest, or of an origin forgotten, is not remembered. Reliable
   * delivery asks it before reporting a loss notice. [R-NODE-REL-006]
   */
  has(id: BroadcastId): boolean {
    const w = this.#origins.get(netIdKey(id));
    if (!w) return false;
    if (w instanceof SeqWindow) return w.has(id.seqno);
    const slot = id.seqno % this.#window;
    return w.ring[slot] === id.seqno && this.#timed!.now() - w.at[slot] < this.#timed!.ttlMs;
  }

  #restart(w: TimedWindow): void {
    this.#restarts++;
    w.ring.fill(-1);
    w.max = -1;
  }
}
