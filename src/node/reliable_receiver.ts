/**
 * The destination side of reliable delivery: remembers which messages of each origin arrived
 * and acknowledges them to the origin by TCP, batched per origin on a timer; hears the origin's
 * loss notices and reports them. [R-NODE-REL-002], [R-NODE-REL-006]
 *
 * @module
 */

import { type BroadcastId, type NetId, netIdKey } from "../wire/netid.ts";
import type { NodeClock as Clock, TimerHandle } from "./clock.ts";
import { encodeRangeList, MAX_SEQ_RANGES } from "../wire/reliable_control.ts";
import { SeqRangeSet } from "./seq_ranges.ts";

/**
 * Ascending distinct numbers as inclusive ranges.
 *
 * @example
 * ```ts
 * import { toRanges } from "./reliable_receiver.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(toRanges([1, 2, 3, 7]), [[1, 3], [7, 7]]);
 * ```
 */
export function toRanges(sorted: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s === last[1] + 1) last[1] = s;
    else if (!last || s > last[1]) out.push([s, s]);
  }
  return out;
}

/**
 * The `chatter.sys.rel.dup` payload for these needless-repair numbers (sorted, distinct), or
 * undefined for none. Reports beyond one record's ranges are cut: they only tune the origin.
 */
function encodeDups(dups: number[] | undefined): Uint8Array | undefined {
  return dups && dups.length > 0
    ? encodeRangeList(toRanges(dups).slice(0, MAX_SEQ_RANGES))
    : undefined;
}

/** What the receiver needs from its node. */
export interface ReceiverHost {
  /** The node's clock. */
  clock: Clock;
  /**
   * Send one `chatter.sys.rel.ack` payload to `origin` by TCP (with a `chatter.sys.rel.dup`
   * payload in the same frame when `dup` is given); returns frames and bytes sent; `onFail`
   * when a frame cannot be written.
   */
  sendAck(
    origin: NetId,
    payload: Uint8Array,
    onFail: () => void,
    dup?: Uint8Array,
  ): { frames: number; bytes: number };
}

/** Counters of the destination side. */
export interface ReceiverStats {
  /**
   * Control frames sent: acknowledgements (on a node's `stats()` also its acknowledgement
   * requests and loss notices).
   */
  ackFrames: number;
  /** Bytes of those frames. */
  ackBytes: number;
  /** Sequence numbers acknowledged (one per message per time it arrived before a flush). */
  ackedSeqnos: number;
  /** Acknowledgements not sent because their origin could not be reached lately. */
  acksSkipped: number;
  /**
   * Sequence numbers whose acknowledgement waited one more interval because they arrived by
   * TCP ahead of the origin's multicast stream. [R-NODE-REL-012]
   */
  acksDeferred: number;
  /**
   * Acknowledgement records that rode in TCP frames going to their origin anyway (data, repair
   * and control frames) instead of a frame of their own. [R-NODE-REL-014]
   */
  acksCarried: number;
}

/**
 * Zeroed {@linkcode ReceiverStats}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptyReceiverStats } from "./reliable_receiver.ts";
 * const s = emptyReceiverStats();
 * assert.equal(s.ackFrames, 0);
 * assert.ok(Object.values(s).every((v) => v === 0));
 * ```
 */
export function emptyReceiverStats(): ReceiverStats {
  return {
    ackFrames: 0,
    ackBytes: 0,
    ackedSeqnos: 0,
    acksSkipped: 0,
    acksDeferred: 0,
    acksCarried: 0,
  };
}

/** One acknowledgement taken to ride in a frame to its origin (R-NODE-REL-014). */
export interface CarriedAck {
  /** The `chatter.sys.rel.ack` payload. */
  ack: Uint8Array;
  /** A `chatter.sys.rel.dup` payload to follow it, if any. */
  dup?: Uint8Array;
}

/** How long an origin whose acknowledgement failed is not acknowledged (ms). */
const ACK_BACKOFF_MS = 5_000;

interface Pending {
  id: NetId;
  /** `netIdKey(id)`. */
  key: string;
  /** Sent (no longer in `#pending`). */
  done?: boolean;
  /** The numbers that arrived, as ranges (recorded as they arrive: no list, no sort). */
  seqs: SeqRangeSet;
  /** Arrivals recorded (repeats included). */
  arrivals: number;
  /** Repairs that arrived for messages delivered already: reported with the next ack. */
  dups?: number[];
  /** Deferred once already (R-NODE-REL-012): acknowledged at the next flush, whatever comes. */
  carried?: SeqRangeSet;
  /** When this batch is due. */
  due: number;
  /** The acknowledgement interval it was opened with. */
  interval: number;
  /** A repair from this origin arrived during the batch: loss, not steady (R-NODE-REL-013). */
  repaired?: boolean;
  /** Highest sequence number of this batch that arrived by multicast. */
  hiUdp?: number;
}

/** Records from one origin in one interval that make its traffic "steady" (R-NODE-REL-013). */
const STEADY_BATCH = 32;
/** Most the acknowledgement interval of a steady origin grows to, in multiples of the delay. */
export const MAX_DELAY_FACTOR = 8;

/** Origins whose batches {@linkcode ReliableReceiver} finds without a key lookup. */
const RECENT_ORIGINS = 8;

/** Most origins whose multicast stream position is remembered. */
const MAX_ORIGINS = 4096;

/**
 * Collects arrivals and sends acknowledgements.
 *
 * @example
 * ```ts
 * import { ManualClock } from "@chatter/chatter/testing";
 * import { ReliableReceiver } from "./reliable_receiver.ts";
 * import assert from "node:assert/strict";
 * const clock = new ManualClock();
 * const sent: number[] = [];
 * const r = new ReliableReceiver({ clock, sendAck: (_to, p) => (sent.push(p.length), { frames: 1, bytes: p.length }) }, 100);
 * r.received({ ip: "10.0.0.1", port: 1, seqno: 7 });
 * r.received({ ip: "10.0.0.1", port: 1, seqno: 8 });
 * clock.advance(100);
 * assert.deepEqual(sent, [3]); // one range [7, 8]: count, start, length - 1
 * ```
 */
export class ReliableReceiver {
  readonly #host: ReceiverHost;
  readonly #delayMs: number;
  readonly #maxBatch: number;
  readonly #pending = new Map<string, Pending>();
  /** While acknowledgements are being taken to ride in another frame: where they go. */
  #sink: CarriedAck[] | undefined;
  /**
   * The batches of the origins heard last (most recent last, at most RECENT_ORIGINS): records
   * of a few origins interleave, and this finds their batch without building a key.
   */
  readonly #recent: Pending[] = [];
  /** The ports of `#recent`'s origins, in the same order (one cache line to scan, not eight). */
  readonly #recentPorts: number[] = [];
  /** The batch `#recentFor` found last. */
  #lastHit: Pending | undefined;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
  #closed = false;
  /** Per origin: its acknowledgement interval now (R-NODE-REL-013). */
  readonly #interval = new Map<string, number>();
  /** Counters. */
  readonly stats: ReceiverStats = emptyReceiverStats();
  /** Per origin: the highest sequence number received from it by multicast. */
  readonly #hiUdp = new Map<string, number>();
  /** Origins whose acknowledgement failed: not acknowledged again before the time given. */
  readonly #backoff = new Map<string, number>();
  /** Recent acknowledgement failures per origin. */
  readonly #failures = new Map<string, { n: number; since: number }>();

  /**
   * `delayMs`: acknowledgements wait at most this long; `maxBatch`: an origin's batch is sent
   * at once when it holds this many sequence numbers.
   */
  constructor(host: ReceiverHost, delayMs: number, maxBatch = 16_384) {
    this.#host = host;
    this.#delayMs = delayMs;
    this.#maxBatch = maxBatch;
  }

  /**
   * Repairs from `origin` of these sequence numbers reached this node when it had delivered
   * them already: report them with the next acknowledgement to it. [R-NODE-REL-011]
   */
  needless(origin: NetId, seqnos: number[]): void {
    if (this.#closed || seqnos.length === 0) return;
    const p = this.#pendingFor(origin);
    (p.dups ??= []).push(...seqnos);
  }

  /** A repair from `origin` arrived (its traffic is not loss-free now). [R-NODE-REL-013] */
  repairArrived(origin: NetId): void {
    if (this.#closed) return;
    this.#pendingFor(origin).repaired = true;
  }

  #pendingFor(id: NetId): Pending {
    const k = netIdKey(id);
    let p = this.#pending.get(k);
    if (!p) {
      const interval = this.#interval.get(k) ?? this.#delayMs;
      const due = this.#host.clock.now() + interval;
      this.#pending.set(
        k,
        p = {
          id: { ip: id.ip, port: id.port },
          key: k,
          seqs: new SeqRangeSet(),
          arrivals: 0,
          due,
          interval,
          // Every field from the start: one object shape for every batch (fields added later
          // gave batches several shapes, and the per-record lookups went megamorphic).
          done: false,
          dups: undefined,
          carried: undefined,
          repaired: false,
          hiUdp: undefined,
        },
      );
      this.#arm(due);
    }
    return p;
  }

  #arm(at: number): void {
    if (this.#closed || at >= this.#timerAt) return;
    if (this.#timer !== undefined) this.#host.clock.clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#host.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#flushDue();
    }, Math.max(1, at - this.#host.clock.now()));
  }

  /** Send the batches that are due; arm the timer for the next. */
  #flushDue(): void {
    const now = this.#host.clock.now();
    for (const [k, p] of [...this.#pending]) if (p.due <= now) this.#flushOne(k, p);
    let next = Infinity;
    for (const p of this.#pending.values()) if (p.due < next) next = p.due;
    if (next < Infinity) this.#arm(next);
  }

  /**
   * Steady, loss-free traffic from an origin (at least STEADY_BATCH records in an interval and no
   * repair from it; numbers held back for the multicast stream do not reset it) doubles its
   * acknowledgement interval, up to MAX_DELAY_FACTOR times the delay; any other interval sets it
   * back to the delay. [R-NODE-REL-013]
   */
  #adapt(k: string, records: number): void {
    const cur = this.#interval.get(k) ?? this.#delayMs;
    const next = records >= STEADY_BATCH
      ? Math.min(cur * 2, this.#delayMs * MAX_DELAY_FACTOR)
      : this.#delayMs;
    if (next === this.#delayMs) {
      this.#interval.delete(k);
      return;
    }
    if (!this.#interval.has(k) && this.#interval.size >= MAX_ORIGINS) {
      this.#interval.delete(this.#interval.keys().next().value!);
    }
    this.#interval.set(k, next);
  }

  /**
   * A message of `id.ip:id.port` arrived (new or duplicate) by `via`: acknowledge it. A TCP
   * arrival ahead of what arrived from the origin by multicast is acknowledged one interval
   * later (R-NODE-REL-012).
   */
  received(id: BroadcastId, via: "udp" | "tcp" = "tcp"): void {
    if (this.#closed) return;
    const p = this.#batch(id);
    p.seqs.add(id.seqno);
    // The multicast stream's position, kept per batch (no key per record) and merged at flush.
    if (via === "udp" && !(id.seqno <= p.hiUdp!)) p.hiUdp = id.seqno;
    if (++p.arrivals >= this.#maxBatch) this.#flushOne(p.key, p);
  }

  /**
   * Messages `lo..hi` (consecutive, ascending) of `id.ip:id.port` arrived by `via`, one after
   * another: the same as {@linkcode received} for each, in one step.
   */
  receivedRun(id: NetId, lo: number, hi: number, via: "udp" | "tcp"): void {
    if (this.#closed) return;
    const p = this.#batch(id);
    const n = hi - lo + 1;
    if (p.arrivals + n >= this.#maxBatch) {
      // The batch fills within the run: number by number, so that it is sent where it fills.
      for (let x = lo; x <= hi; x++) this.received({ ip: id.ip, port: id.port, seqno: x }, via);
      return;
    }
    p.seqs.addRange(lo, hi);
    if (via === "udp" && !(hi <= p.hiUdp!)) p.hiUdp = hi;
    p.arrivals += n;
  }

  /** The pending batch of `id`'s node (opened when there is none). */
  #batch(id: NetId): Pending {
    let p = this.#recentFor(id);
    if (!p) {
      p = this.#pendingFor(id);
      const r = this.#recent;
      if (r.length >= RECENT_ORIGINS) {
        r.shift();
        this.#recentPorts.shift();
      }
      r.push(p);
      this.#recentPorts.push(p.id.port);
      this.#lastHit = p;
    }
    return p;
  }

  /** The pending batch of `id`'s node among the recent ones (sent ones are dropped). */
  #recentFor(id: NetId): Pending | undefined {
    const l = this.#lastHit;
    // Records come in runs from one origin (a datagram, a frame): the last one found first.
    if (l !== undefined && l.id.port === id.port && l.id.ip === id.ip && !l.done) return l;
    const r = this.#recent, ports = this.#recentPorts;
    for (let i = r.length - 1; i >= 0; i--) {
      if (ports[i] !== id.port) continue;
      const p = r[i];
      if (p.id.ip === id.ip) {
        if (!p.done) return this.#lastHit = p;
        r.splice(i, 1);
        ports.splice(i, 1);
        return undefined;
      }
    }
    return undefined;
  }

  /**
   * Send `p`'s acknowledgement. Unless `all`, sequence numbers above the highest one received
   * from this origin by multicast (so far only by TCP: the multicast stream is behind, in the
   * origin's send queue or in our socket buffer) wait for the next flush, once: acknowledging
   * them now would make the origin infer the loss of the earlier messages still on their way
   * by multicast (loss by acknowledgement order). [R-NODE-REL-012]
   */
  #flushOne(k: string, p: Pending, all = false): void {
    this.#pending.delete(k);
    p.done = true;
    if (!all) this.#adapt(k, p.repaired ? 0 : p.arrivals);
    if (p.hiUdp !== undefined) {
      const old = this.#hiUdp.get(k);
      if (old === undefined) {
        if (this.#hiUdp.size >= MAX_ORIGINS) {
          this.#hiUdp.delete(this.#hiUdp.keys().next().value!);
        }
        this.#hiUdp.set(k, p.hiUdp);
      } else if (p.hiUdp > old) this.#hiUdp.set(k, p.hiUdp);
    }
    const seqs = p.seqs;
    const hi = all ? undefined : this.#hiUdp.get(k);
    // Numbers above the multicast stream wait one flush, except those that waited already.
    const later = hi === undefined ? undefined : seqs.splitAbove(hi);
    if (p.carried) {
      if (later) later.remove(p.carried);
      seqs.addAll(p.carried);
    }
    if (later && !later.empty) {
      this.stats.acksDeferred += later.count;
      this.#pendingFor(p.id).carried = later;
    }
    this.stats.ackedSeqnos += seqs.count;
    let dups = p.dups ? [...new Set(p.dups)].sort((a, b) => a - b) : undefined;
    // Records of at most MAX_SEQ_RANGES ranges each.
    const ranges = seqs.ranges();
    for (let i = 0; i < ranges.length; i += MAX_SEQ_RANGES) {
      const part = ranges.length <= MAX_SEQ_RANGES ? ranges : ranges.slice(i, i + MAX_SEQ_RANGES);
      this.#send(p.id, part, dups);
      dups = undefined;
    }
    if (ranges.length === 0 && dups) this.#send(p.id, ranges, dups);
  }

  #send(to: NetId, ranges: [number, number][], dups?: number[]): void {
    const sink = this.#sink;
    if (sink) {
      // Carried by a frame that goes to the origin anyway (R-NODE-REL-014): no frame of its own.
      sink.push({
        ack: encodeRangeList(ranges),
        dup: encodeDups(dups),
      });
      return;
    }
    // An origin we could not reach (gone, or a forged identity) is not tried again for a while:
    // acknowledgements must not become a way to make this node connect anywhere. Its own
    // repairs reach us again and are acknowledged once it is reachable.
    const k = netIdKey(to);
    const until = this.#backoff.get(k);
    if (until !== undefined) {
      if (this.#host.clock.now() < until) {
        this.stats.acksSkipped++;
        return;
      }
      this.#backoff.delete(k);
    }
    const dup = encodeDups(dups);
    const r = this.#host.sendAck(to, encodeRangeList(ranges), () => {
      // Three failures within 10 s: back off (one failed connection is not a dead origin).
      const now = this.#host.clock.now();
      let f = this.#failures.get(k);
      if (!f || now - f.since > 10_000) {
        if (this.#failures.size >= 4096) this.#failures.delete(this.#failures.keys().next().value!);
        this.#failures.set(k, f = { n: 0, since: now });
      }
      if (++f.n < 3) return;
      this.#failures.delete(k);
      if (this.#backoff.size >= 4096) this.#backoff.delete(this.#backoff.keys().next().value!);
      this.#backoff.set(k, now + ACK_BACKOFF_MS);
    }, dup);
    this.stats.ackFrames += r.frames;
    this.stats.ackBytes += r.bytes;
  }

  /**
   * A TCP frame is about to go to `to` anyway: take its pending acknowledgement (and
   * needless-repair report) to ride in that frame, when the batch is at least half its interval
   * old, and at least the acknowledgement delay old when it holds numbers held back by
   * R-NODE-REL-012 (R-NODE-REL-014). Returns the payloads, or undefined when nothing is ripe.
   */
  take(to: NetId): CarriedAck[] | undefined {
    if (this.#closed || this.#sink || this.#pending.size === 0) return undefined;
    const p = this.#recentFor(to) ?? this.#pending.get(netIdKey(to));
    if (!p) return undefined;
    // Ripe at half its interval; numbers held back by R-NODE-REL-012 wait a whole `delayMs`
    // first (under loss the interval is `delayMs`: such a batch waits for its timer).
    const age = this.#host.clock.now() - (p.due - p.interval);
    if (age < p.interval / 2 || (p.carried && age < this.#delayMs)) return undefined;
    const out: CarriedAck[] = [];
    this.#sink = out;
    try {
      this.#flushOne(p.key, p);
    } finally {
      this.#sink = undefined;
    }
    this.stats.acksCarried += out.length;
    return out.length > 0 ? out : undefined;
  }

  /** `origin` asked for an acknowledgement now: send its batch (an empty one if none). */
  requested(origin: NetId): void {
    if (this.#closed) return;
    const k = netIdKey(origin);
    const p = this.#pending.get(k);
    if (p) this.#flushOne(k, p, true);
    else this.#send({ ip: origin.ip, port: origin.port }, []);
  }

  /**
   * Send every pending acknowledgement now (`all`: the deferred ones of R-NODE-REL-012 too).
   */
  flush(all = false): void {
    if (this.#timer !== undefined) {
      this.#host.clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerAt = Infinity;
    }
    for (const [k, p] of [...this.#pending]) this.#flushOne(k, p, all);
    let next = Infinity;
    for (const p of this.#pending.values()) if (p.due < next) next = p.due;
    if (next < Infinity) this.#arm(next);
  }

  /** Stop (pending acknowledgements are sent first). */
  close(): void {
    if (this.#closed) return;
    this.flush(true);
    this.#closed = true;
  }
}
