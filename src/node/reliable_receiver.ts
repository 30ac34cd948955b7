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
  /**
   * Held back for the multicast stream already (R-NODE-REL-012, R-NODE-REL-019): acknowledged
   * once the stream passes them, stops, or they were held too long.
   */
  carried?: SeqRangeSet;
  /**
   * When the numbers of `carried` were first held, as pairs (time, highest number held then),
   * oldest first (R-NODE-REL-019).
   */
  marks: number[] | undefined;
  /** When the multicast stream from this origin was last seen to move (with `carried`). */
  movedAt: number;
  /** How far the stream had been read then (with `carried`). */
  heldPos: number;
  /** When this batch is due. */
  due: number;
  /** The acknowledgement interval it was opened with. */
  interval: number;
  /** A repair from this origin arrived during the batch: loss, not steady (R-NODE-REL-013). */
  repaired?: boolean;
  /** Highest sequence number of this batch that arrived by multicast. */
  hiUdp?: number;
}

/** An answer to acknowledgement requests waiting for the multicast stream (R-NODE-REL-018). */
interface WaitingAnswer {
  /** The origin. */
  id: NetId;
  /** The requests' own numbers (the answer acknowledges them). */
  seqs: number[];
  /** The newest number the origin named: the answer waits for the stream to reach it. */
  upTo: number;
  /** The stream's position when last looked at. */
  hi: number;
  /** When the first request came. */
  since: number;
  /** When the stream was last seen to move. */
  movedAt: number;
  /** When to look again. */
  due: number;
}

/** Records from one origin in one interval that make its traffic "steady" (R-NODE-REL-013). */
const STEADY_BATCH = 32;
/** Most the acknowledgement interval of a steady origin grows to, in multiples of the delay. */
export const MAX_DELAY_FACTOR = 8;

/**
 * Most a number is held back for the origin's multicast stream while that stream moves, and most
 * an answer to an acknowledgement request waits for it, in acknowledgement delays.
 * [R-NODE-REL-018], [R-NODE-REL-019]
 */
export const HOLD_MAX_INTERVALS = 100;

/**
 * Most acknowledgement requests one waiting answer names (the latest; R-NODE-REL-018): an
 * origin takes only the answer naming its latest request, and sends at most a few per wait.
 */
export const MAX_WAITING_REQUESTS = 64;

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
  /** Longest a number is held back for the multicast stream (R-NODE-REL-019). */
  readonly #holdMaxMs: number;
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
  /** Mean lateness of this receiver's timers lately (ms). */
  #lag = 0;
  /** How long our own last multicast frame took to come back through our socket (ms). */
  #socketLag = 0;
  /** When it was measured. */
  #socketLagAt = 0;
  /** Answers to acknowledgement requests that wait for the multicast stream, by origin. */
  readonly #answers = new Map<string, WaitingAnswer>();
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
    this.#holdMaxMs = HOLD_MAX_INTERVALS * delayMs;
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
          marks: undefined,
          movedAt: 0,
          heldPos: -1,
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
      // How late timers fire: how far behind this process is (R-NODE-REL-019).
      const late = Math.max(0, this.#host.clock.now() - this.#timerAt);
      this.#lag += (late - this.#lag) / 4;
      this.#timerAt = Infinity;
      this.#flushDue();
    }, Math.max(1, at - this.#host.clock.now()));
  }

  /** Send the batches that are due; arm the timer for the next. */
  #flushDue(): void {
    const now = this.#host.clock.now();
    for (const [k, p] of [...this.#pending]) if (p.due <= now) this.#flushOne(k, p);
    let next = this.#answers.size > 0 ? this.#answersDue(now) : Infinity;
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
    // Also at MAX_SEQ_RANGES ranges: a number below the batch's last range is inserted into the
    // list, so a long list of spaced, descending numbers (a key holder's) cost a quadratic
    // number of steps per batch. [R-NODE-REL-015]
    if (++p.arrivals >= this.#maxBatch || p.seqs.r.length >= 2 * MAX_SEQ_RANGES) {
      this.#flushOne(p.key, p);
    }
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
    this.#holdBack(p, all ? -1 : this.#position(k));
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

  /**
   * How far the multicast stream from origin `k` has been read: the highest number of its
   * records heard by multicast; -1 when never heard. Everything the origin multicast before it
   * has arrived or is lost. [R-NODE-REL-019]
   */
  #position(k: string): number {
    const p = this.#pending.get(k);
    return Math.max(this.#hiUdp.get(k) ?? -1, p?.hiUdp ?? -1);
  }

  /**
   * Our own multicast frame came back through our multicast socket `ms` after it was sealed:
   * how far behind this node reads that socket (what it reads now was sent that long ago).
   * [R-NODE-REL-019]
   */
  socketLag(ms: number): void {
    if (!(ms >= 0 && ms < 60_000)) return;
    this.#socketLag = ms;
    this.#socketLagAt = this.#host.clock.now();
  }

  /**
   * Take out of `p.seqs` the numbers to hold back for the multicast stream (R-NODE-REL-012,
   * R-NODE-REL-019) and hand them to the origin's next batch: this batch's numbers above `pos`
   * (how far the stream from the origin has been read; -1: hold nothing) and, of the numbers
   * held before, those still above it, unless the stream stopped (did not move for
   * `#stopMs()`) or they were held for {@linkcode HOLD_MAX_INTERVALS} delays. The rest is
   * acknowledged now.
   */
  #holdBack(p: Pending, pos: number): void {
    const seqs = p.seqs;
    let held = p.carried;
    let marks = p.marks;
    if (pos < 0) {
      if (held) seqs.addAll(held);
      return;
    }
    const now = this.#host.clock.now();
    const movedAt = held && pos <= p.heldPos ? p.movedAt : now;
    const stopped = now - movedAt >= this.#stopMs();
    const later = seqs.splitAbove(pos);
    if (held) {
      // Held numbers the stream passed, or held too long (their mark is old), go now; all of
      // them when the stream stopped.
      let limit = pos;
      let m = 0;
      if (marks) {
        while (
          m < marks.length &&
          (marks[m + 1] <= pos || stopped || now - marks[m] >= this.#holdMaxMs)
        ) {
          if (marks[m + 1] > limit) limit = marks[m + 1];
          m += 2;
        }
        marks = m >= marks.length ? undefined : marks.slice(m);
      }
      const still = stopped ? undefined : held.splitAbove(limit);
      seqs.addAll(held);
      held = still;
      if (held && later) later.remove(held);
    }
    if (later && !later.empty) {
      this.stats.acksDeferred += later.count;
      (marks ??= []).push(now, later.max!);
      if (held) held.addAll(later);
      else held = later;
    }
    if (held && !held.empty) {
      const next = this.#pendingFor(p.id);
      next.carried = held;
      next.marks = marks;
      next.movedAt = movedAt;
      next.heldPos = pos;
    }
  }

  /**
   * How long the multicast stream from an origin must not have moved to count as stopped: one
   * acknowledgement delay, plus four times how late this node's timers fire lately, plus twice
   * how long its own multicast took to come back through its socket, less the time since that
   * was measured (a node that reads its socket seconds late sees pauses that are not pauses in
   * the stream). [R-NODE-REL-019]
   */
  #stopMs(): number {
    // What was in the socket when the lag was measured has been read by the time that lag has
    // passed again: the figure fades (a fresh one comes with our next multicast frame).
    const socket = Math.max(0, this.#socketLag - (this.#host.clock.now() - this.#socketLagAt));
    return this.#delayMs + 4 * this.#lag + 2 * socket;
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

  /**
   * `origin` asked for an acknowledgement (the request record had number `seq`): send its batch
   * (an empty one if none) with everything held back and `seq` itself, so that the origin tells
   * the answer from an acknowledgement sent before the request arrived. At once, unless the
   * request names (`upTo`) a number the origin sent before asking that the multicast stream from
   * it has not reached yet: then the answer waits for the stream. Returns how many earlier
   * requests the waiting answer no longer names ({@linkcode MAX_WAITING_REQUESTS}).
   * [R-NODE-REL-018]
   */
  requested(origin: NetId, upTo?: number, seq?: number): number {
    if (this.#closed) return 0;
    const k = netIdKey(origin);
    // It reached us and waits for us: acknowledgements to it go again (after failed sends they
    // pause for a while). [R-NODE-REL-018]
    this.#backoff.delete(k);
    this.#failures.delete(k);
    const w = this.#answers.get(k);
    if (w) {
      // One answer for the requests of one wait: it names the latest of them (the origin takes
      // only an answer naming its latest request): a flood of requests while the answer waits
      // must not grow the wait without bound. Returns how many it forgot (counted as ignored).
      let forgot = 0;
      if (seq !== undefined) {
        if (w.seqs.length >= MAX_WAITING_REQUESTS) {
          w.seqs.shift();
          forgot = 1;
        }
        w.seqs.push(seq);
      }
      if (upTo !== undefined && upTo > w.upTo) w.upTo = upTo;
      return forgot;
    }
    if (upTo !== undefined) {
      const hi = this.#position(k);
      if (hi >= 0 && hi < upTo && this.#answers.size < MAX_ORIGINS) {
        const now = this.#host.clock.now();
        this.#answers.set(k, {
          id: { ip: origin.ip, port: origin.port },
          seqs: seq === undefined ? [] : [seq],
          upTo,
          hi,
          since: now,
          movedAt: now,
          due: now + this.#delayMs,
        });
        this.#arm(now + this.#delayMs);
        return 0;
      }
    }
    this.#answer(origin, seq === undefined ? [] : [seq]);
    return 0;
  }

  /** Send the answer to `origin`'s acknowledgement requests `seqs`: its batch and them. */
  #answer(origin: NetId, seqs: number[]): void {
    const k = netIdKey(origin);
    let p = this.#pending.get(k);
    if (seqs.length > 0) {
      p ??= this.#pendingFor(origin);
      for (const q of seqs) p.seqs.add(q);
    }
    if (p) this.#flushOne(k, p, true);
    else this.#send({ ip: origin.ip, port: origin.port }, []);
  }

  /**
   * Answers waiting for the multicast stream that are due: answer when the stream reached the
   * number the request named, when it stopped (did not move for `#stopMs()`), or after
   * {@linkcode HOLD_MAX_INTERVALS} delays; otherwise look again one delay later. Returns when
   * the next one is due. [R-NODE-REL-018]
   */
  #answersDue(now: number): number {
    let next = Infinity;
    for (const [k, a] of [...this.#answers]) {
      if (a.due > now) {
        if (a.due < next) next = a.due;
        continue;
      }
      const hi = this.#position(k);
      if (hi > a.hi) {
        a.hi = hi;
        a.movedAt = now;
      }
      const stopped = now - a.movedAt >= this.#stopMs();
      if (hi >= a.upTo || stopped || now - a.since >= this.#holdMaxMs) {
        this.#answers.delete(k);
        this.#answer(a.id, a.seqs);
        continue;
      }
      a.due = now + this.#delayMs;
      if (a.due < next) next = a.due;
    }
    return next;
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
    if (all) {
      // Waiting answers too (R-NODE-REL-018).
      const answers = [...this.#answers.values()];
      this.#answers.clear();
      for (const a of answers) this.#answer(a.id, a.seqs);
    }
    for (const [k, p] of [...this.#pending]) this.#flushOne(k, p, all);
    let next = Infinity;
    for (const p of this.#pending.values()) if (p.due < next) next = p.due;
    for (const a of this.#answers.values()) if (a.due < next) next = a.due;
    if (next < Infinity) this.#arm(next);
  }

  /** Stop (pending acknowledgements are sent first). */
  close(): void {
    if (this.#closed) return;
    this.flush(true);
    this.#closed = true;
  }
}
