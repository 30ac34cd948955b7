/**
 * The origin side of reliable delivery (spec/node.md, "Reliable delivery"): every message this
 * node broadcasts stays in a retransmit buffer until each of its destinations has acknowledged
 * it; destinations that have not acknowledged within the retransmission timeout get it again
 * directly by TCP; a message that can no longer be repaired (buffer bounds, age, sequence span,
 * unreachable destination, close) is reported lost, by counter and event, at the origin and,
 * by a loss notice, at the destinations that miss it. A bounded window of unacknowledged
 * messages per destination holds new broadcasts back (flow control) instead of outrunning a
 * slow destination. [R-NODE-REL-001..010]
 *
 * @module
 */

import { DeliveryUnconfirmedError } from "../errors.ts";
import { type BroadcastId, type NetId, netIdKey } from "../wire/netid.ts";
import type { NodeClock as Clock, TimerHandle } from "./clock.ts";
import type { ReliableStats } from "./reliable.ts";
import { MAX_DELAY_FACTOR } from "./reliable_receiver.ts";
import { SendWindow, windowStats } from "./send_window.ts";
import { RetransmitTable } from "./retransmit_table.ts";
import { ByteSlab } from "./byte_slab.ts";
import {
  type GroupedRepair,
  OWN_DOMAIN,
  RepairGrouper,
  type RepairGrouping,
} from "./multicast_repair.ts";

/** Why a message was given up. */
export type LostReason = "buffer" | "age" | "span" | "unreachable" | "closed";

/** Limits and timings of a {@linkcode ReliableSender}. */
export interface ReliableSenderOptions {
  /** Most messages in the retransmit buffer (held ones included). */
  maxMessages: number;
  /** Most payload bytes in the retransmit buffer. */
  maxBytes: number;
  /** A message not confirmed by every destination this long after its broadcast is lost. */
  maxAgeMs: number;
  /**
   * A message more than this many sequence numbers behind this node's newest is lost: the
   * destinations' de-duplication windows no longer tell it from an old one.
   */
  maxSpan: number;
  /** Most unacknowledged messages per destination; more broadcasts wait (flow control). */
  window: number;
  /**
   * Smallest adaptive window per destination (R-NODE-REL-016; default `window`: a fixed
   * window).
   */
  windowMin?: number;
  /** Adaptive window of a new destination (default `window`). */
  windowInitial?: number;
  /** Smallest retransmission timeout (before the acknowledgement delay is added). */
  minRtoMs: number;
  /** The destinations' acknowledgement delay (added to the first timeout). */
  ackDelayMs: number;
  /** Consecutive failed repair sends after which a destination's pending messages are lost. */
  maxRepairFailures: number;
}

/** What the sender needs from its node. */
export interface SenderHost<R> {
  /** The node's clock. */
  clock: Clock;
  /** The node's newest sequence number (without taking one). */
  currentSeq(): number;
  /** Send records that flow control had held back, by the normal plan. */
  release(dests: NetId[], setKey: string, recs: R[]): void;
  /** Send records again to one destination by TCP; `onFail` when a frame cannot be written. */
  repair(to: NetId, recs: R[], onFail: () => void): { frames: number; bytes: number };
  /**
   * Ask `to` to acknowledge now (a `chatter.sys.rel.ackreq`), naming `upTo`, the newest number
   * sent to it; returns the request record's own sequence number, which the answer acknowledges
   * (R-NODE-REL-018; without it the first acknowledgement after the request counts as the
   * answer).
   */
  requestAck(to: NetId, upTo?: number): number | void;
  /** Tell `to` that these sequence numbers of ours are given up (a `chatter.sys.rel.lost`). */
  notifyLost(to: NetId, seqnos: number[]): void;
  /** Report a lost message. */
  lost(id: BroadcastId, destinations: NetId[], reason: LostReason): void;
  /**
   * Optional: keep records as bytes instead (no object per kept message on the JS heap).
   * Without it every record is kept as it is.
   */
  packer?: RecordPacker<R>;
  /** Optional: repairs by multicast or through a domain's relay. [R-NODE-REL-020] */
  grouping?: RepairGrouping<R>;
}

/**
 * How a {@linkcode ReliableSender} keeps a record as bytes (in a {@linkcode ByteSlab}) and makes
 * it again for a repair or a release; the message id is made from the sequence number too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RecordPacker } from "./reliable_sender.ts";
 * type Rec = { seq: number; tag: number; body: Uint8Array };
 * const packer: RecordPacker<Rec> = {
 *   bytes: (r) => r.body,
 *   tag: (r) => r.tag,
 *   unpack: (seq, tag, body) => ({ seq, tag, body }),
 *   id: (seq) => ({ ip: "10.0.0.1", port: 1, seqno: seq }),
 * };
 * const r: Rec = { seq: 7, tag: 42, body: new Uint8Array([1, 2]) };
 * // What the sender keeps, and the record it makes again for a repair:
 * assert.deepEqual(packer.unpack(r.seq, packer.tag(r), packer.bytes(r)!.slice()), r);
 * assert.equal(packer.id(7).seqno, 7);
 * ```
 */
export interface RecordPacker<R> {
  /** The bytes to keep for `rec` (undefined: keep `rec` itself). */
  bytes(rec: R): Uint8Array | undefined;
  /** A number to keep beside the bytes (a type tag). */
  tag(rec: R): number;
  /** The record again, from its sequence number, tag and (a copy of its) bytes. */
  unpack(seq: number, tag: number, bytes: Uint8Array): R;
  /** The id of this node's message `seq`. */
  id(seq: number): BroadcastId;
}

/**
 * Counters of the origin side: the fields of {@linkcode ReliableStats} that the sender keeps (the
 * rest are the receiver's), so the two lists cannot drift apart.
 */
export type SenderStats = Omit<
  ReliableStats,
  | "ackFrames"
  | "ackBytes"
  | "ackedSeqnos"
  | "acksSkipped"
  | "acksDeferred"
  | "acksCarried"
  | "lostNotices"
  | "lostReported"
  | "controlErrors"
  | "controlIgnored"
  | "acksLimited"
  | "repairsReceived"
  | "needlessRepairs"
  | "multicastRepairsReceived"
  | "multicastRepairsUseful"
>;

/** Zeroed {@linkcode SenderStats}. */
export function emptySenderStats(): SenderStats {
  return {
    tracked: 0,
    confirmed: 0,
    lost: 0,
    lostDestinations: 0,
    retransmits: 0,
    fastRepairs: 0,
    timeoutRepairs: 0,
    probes: 0,
    repairFrames: 0,
    repairBytes: 0,
    acksReceived: 0,
    heldTotal: 0,
    held: 0,
    buffered: 0,
    bufferedBytes: 0,
    srttMs: 0,
    rtoMs: 0,
    needlessReported: 0,
    reorderWindowMs: REORDER_MS,
    windowMin: 0,
    windowAvg: 0,
    windowsReduced: 0,
    windowReductions: 0,
    inflightMax: 0,
    multicastRepairs: 0,
    multicastRepairFrames: 0,
    multicastRepairCovered: 0,
    relayRepairs: 0,
    relayRepairCovered: 0,
  };
}

interface DestSet {
  ids: NetId[];
  keys: string[];
  index: Map<string, number>;
  /** Each destination's state (states are never removed, so these stay current). */
  ds: DestState[];
  /** The set's key (as given to `admit`). */
  key: string;
  /** More than {@linkcode SMALL_SET} destinations: flags in `ReliableSender.#bigUnacked`. */
  big: boolean;
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
  timer?: TimerHandle;
}

interface DestState {
  id: NetId;
  inflight: number;
  failures: number;
  round: number;
  /** Latest first-send time of a message this destination acknowledged. */
  ackedSentAt: number;
  /** When an acknowledgement from it last arrived, or when we first sent to it. */
  lastAckAt: number;
  /** When a message was last sent to it (first transmissions). */
  lastSendAt: number;
  /** When an acknowledgement request was sent to it since then (0: none, -1: answered). */
  probeAt: number;
  /** The newest sequence number sent to it (first transmissions). */
  lastSeq: number;
  /** The sequence number of the acknowledgement request sent to it last (-1: none known). */
  probeSeq: number;
  /** Its adaptive send window (R-NODE-REL-016). */
  win: SendWindow;
}

const RECENT = 65_536;
/** Bytes per chunk of the records' slab. */
const SLAB_CHUNK = 32_768;
/** What `#remove` returns for a message with no waiter and no destination given up. */
const NONE: { waiters?: Waiter[]; lostDests?: NetId[] } = Object.freeze({});

/** Sets of up to this many destinations keep their unacknowledged flags in one number. */
const SMALL_SET = 31;

function allUnacked(n: number): Uint8Array {
  const u = new Uint8Array((n + 7) >>> 3);
  for (let i = 0; i < n; i++) u[i >>> 3] |= 1 << (i & 7);
  return u;
}

/** Reordering allowed between copies of messages sent close together (ms). */
const REORDER_MS = 20;
/** Largest reordering allowance (ms). [R-NODE-REL-011] */
const MAX_REORDER_MS = 250;
/** Most the reordering allowance is multiplied by after needless repairs. */
const MAX_REORDER_MULT = 16;
/** Repair rounds by acknowledgement order without a needless one before the allowance shrinks. */
const REORDER_DECAY_ROUNDS = 16;
const MAX_RTO_MS = 5_000;
/** A destination is given up as unreachable only after this long without acknowledgements. */
const UNREACHABLE_SILENCE_MS = 5_000;
/** Most messages re-sent to one destination per timeout round (then it is asked to acknowledge). */
const TIMEOUT_BURST = 16;
/** Timer lateness (ms) taken as a sign that this process is behind. */
const LAG_MS = 50;

/**
 * The outcome of the last {@linkcode RECENT} settled sequence numbers, for `confirmed()` asked
 * after the fact (a number is settled once). They are kept in a ring in the order they settled
 * (the oldest is forgotten first), with no lookup structure until one is asked for: most nodes
 * never ask, and a `Map` of every settled number (a boxed double each) cost ~0.5 µs per message
 * and its entries outlived the young generation. The first `get` or `has` builds the `Map`,
 * kept up to date from then on. (A `Map` or `Set` evicted by `keys().next()` skips every entry
 * deleted before, until it re-hashes: ~14 µs per settled message once full; hence the ring.)
 */
class RecentSeqs<V> {
  /** Grows (doubling) up to RECENT numbers; wraps only once that size. */
  #ring = new Float64Array(1024);
  readonly #vals: (V | undefined)[] = [];
  /** Numbers in the ring (up to RECENT). */
  #len = 0;
  /** The oldest one's place once the ring is full. */
  #pos = 0;
  #map: Map<number, V> | undefined;

  #index(): Map<number, V> {
    if (this.#map) return this.#map;
    const m = new Map<number, V>();
    for (let k = 0; k < this.#len; k++) {
      const j = (this.#pos + k) % RECENT;
      m.set(this.#ring[j], this.#vals[j]!);
    }
    return this.#map = m;
  }

  get(seq: number): V | undefined {
    return this.#index().get(seq);
  }

  has(seq: number): boolean {
    return this.#index().has(seq);
  }

  set(seq: number, v: V): void {
    const m = this.#map;
    if (m?.has(seq)) {
      m.set(seq, v);
      return;
    }
    let j: number;
    if (this.#len < RECENT) {
      if (this.#len === this.#ring.length) {
        const r = new Float64Array(Math.min(RECENT, 2 * this.#len));
        r.set(this.#ring);
        this.#ring = r;
      }
      j = this.#len++;
    } else {
      j = this.#pos;
      m?.delete(this.#ring[j]);
      this.#pos = (this.#pos + 1) % RECENT;
    }
    this.#ring[j] = seq;
    this.#vals[j] = v;
    m?.set(seq, v);
  }
}

/**
 * The retransmit buffer and flow-control window of one origin.
 *
 * @example
 * ```ts
 * import { ManualClock } from "@chatter/chatter/testing";
 * import { ReliableSender } from "./reliable_sender.ts";
 * import assert from "node:assert/strict";
 * const clock = new ManualClock();
 * const repaired: string[] = [];
 * const s = new ReliableSender<string>({
 *   clock, currentSeq: () => 1,
 *   release: () => {}, notifyLost: () => {}, lost: () => {}, requestAck: () => {},
 *   repair: (to, recs) => (repaired.push(`${to.port}:${recs}`), { frames: 1, bytes: 10 }),
 * }, { maxMessages: 100, maxBytes: 1 << 20, maxAgeMs: 10_000, maxSpan: 1 << 16, window: 10,
 *   minRtoMs: 200, ackDelayMs: 50, maxRepairFailures: 3 });
 * const a = { ip: "10.0.0.2", port: 2 }, b = { ip: "10.0.0.3", port: 3 };
 * const id = { ip: "10.0.0.1", port: 1, seqno: 1 };
 * s.admit(id, "m1", [a, b], "ab", 2); // true: send it now
 * s.acked(a, [[1, 1]]);
 * clock.advance(1_100); // the first timeout: 1 s + the acknowledgement delay
 * assert.deepEqual(repaired, ["3:m1"]); // only b missed it
 * s.acked(b, [[1, 1]]);
 * assert.equal(s.stats.confirmed, 1);
 * ```
 */
export class ReliableSender<R> {
  readonly #host: SenderHost<R>;
  readonly #o: ReliableSenderOptions;
  /** The kept messages' state, by sequence number (no object per message). */
  readonly #t = new RetransmitTable<R, DestSet, BroadcastId>();
  /** Unacknowledged flags of messages to sets of more than {@linkcode SMALL_SET}. */
  readonly #bigUnacked = new Map<number, Uint8Array>();
  /** When each destination (by index) was last sent a repair of a message. */
  readonly #repairedAt = new Map<number, Map<number, number>>();
  /** `confirmed()` promises waiting for a message. */
  readonly #waiters = new Map<number, Waiter[]>();
  /** Destinations given up already (unreachable) while others were still awaited. */
  readonly #lostDests = new Map<number, NetId[]>();
  /** Records' bytes kept by the packer (when the host has one). */
  readonly #slab: ByteSlab;
  readonly #packer: RecordPacker<R> | undefined;
  readonly #dests = new Map<string, DestState>();
  readonly #sets = new Map<string, DestSet>();
  /** The set `#set` returned last. */
  #lastSet: DestSet | undefined;
  /** Held-back sequence numbers by destination set key, in order. */
  readonly #held = new Map<string, number[]>();
  readonly #recentOk = new RecentSeqs<true>();
  readonly #recentLost = new RecentSeqs<NetId[]>();
  readonly #drainWaiters: (() => void)[] = [];
  readonly #notices = new Map<string, { id: NetId; seqs: number[] }>();
  #noticeScheduled = false;
  #bytes = 0;
  #srtt = 0;
  #rttvar = 0;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
  #scheduledAt = 0;
  #probeTimer: TimerHandle | undefined;
  #dirtyRun = 0;
  /** A round-trip sample was taken since the figures of `stats` were last updated. */
  #sampled = false;
  #deferred = false;
  #closed = false;
  #round = 0;
  /** Reordering allowance multiplier (RACK's reo_wnd_mult, RFC 8985 6.2). */
  #reoMult = 1;
  #reoGrownAt = -Infinity;
  #reoCleanRounds = 0;
  /** Repairs grouped by domain (R-NODE-REL-020; undefined: every repair by TCP). */
  readonly #groups: RepairGrouper | undefined;
  /** Counters. */
  readonly stats: SenderStats = emptySenderStats();

  /** Create the sender. */
  constructor(host: SenderHost<R>, o: ReliableSenderOptions) {
    this.#host = host;
    this.#o = o;
    this.#packer = host.packer;
    // Chunks of 32 KiB; at most twice the buffer's byte bound (a chunk is freed only when
    // every piece in it is), beyond which records are kept as they are.
    this.#slab = new ByteSlab(SLAB_CHUNK, Math.max(2 * o.maxBytes, 4 * SLAB_CHUNK));
    this.stats.rtoMs = this.#rto();
    const g = host.grouping;
    if (g && g.min >= 2) {
      this.#groups = new RepairGrouper(
        {
          clock: host.clock,
          groupOf: (id) => g.groupOf(id),
          flush: (rs) => this.#sendGrouped(g, rs),
        },
        g.min,
        g.waitMs,
      );
    }
  }

  #rto(): number {
    // Before the first sample: 1 s (as RFC 6298), plus the acknowledgement delay.
    if (this.#srtt === 0) return Math.max(1000, this.#o.minRtoMs) + this.#o.ackDelayMs;
    return Math.min(
      MAX_RTO_MS,
      Math.max(this.#o.minRtoMs, this.#srtt + 4 * this.#rttvar, 2 * this.#srtt),
    );
  }

  #set(dests: NetId[], key: string): DestSet {
    // Broadcasts mostly go to the set of the one before (and the key is the same string).
    const last = this.#lastSet;
    if (last !== undefined && last.key === key && last.ids.length === dests.length) return last;
    let s = this.#sets.get(key);
    if (s && s.ids.length === dests.length) return this.#lastSet = s;
    const keys = dests.map(netIdKey);
    const ds = keys.map((k, i) => this.#dest(k, dests[i]));
    s = {
      ids: dests,
      keys,
      index: new Map(keys.map((k, i) => [k, i])),
      ds,
      key,
      big: dests.length > SMALL_SET,
    };
    if (this.#sets.size >= 1024) this.#sets.delete(this.#sets.keys().next().value!);
    this.#sets.set(key, s);
    return this.#lastSet = s;
  }

  #dest(k: string, id: NetId): DestState {
    let d = this.#dests.get(k);
    if (!d) {
      this.#dests.set(
        k,
        d = {
          id,
          inflight: 0,
          failures: 0,
          round: -1,
          ackedSentAt: 0,
          lastAckAt: this.#host.clock.now(),
          lastSendAt: 0,
          probeAt: 0,
          lastSeq: -1,
          probeSeq: -1,
          win: new SendWindow({
            max: this.#o.window,
            min: this.#o.windowMin ?? this.#o.window,
            initial: this.#o.windowInitial ?? this.#o.window,
          }),
        },
      );
    }
    return d;
  }

  #fits(set: DestSet): boolean {
    const ds = set.ds;
    for (let i = 0; i < ds.length; i++) if (ds[i].inflight >= ds[i].win.size) return false;
    return true;
  }

  /** The record of slot `s` (of `seq`), made again from its bytes when packed. */
  #rec(s: number, seq: number): R {
    const t = this.#t;
    const c = t.pieceChunk[s];
    if (c < 0) return t.rec[s]!;
    return this.#packer!.unpack(seq, t.tag[s], this.#slab.get(c, t.pieceOff[s], t.pieceLen[s]));
  }

  /** The message id of slot `s` (of `seq`). */
  #id(s: number, seq: number): BroadcastId {
    return this.#t.id[s] ?? this.#packer!.id(seq);
  }

  /** Whether destination `i` of slot `s`'s set has not acknowledged it. */
  #isUnacked(s: number, i: number): boolean {
    const t = this.#t;
    if (!t.set[s]!.big) return ((t.unacked[s] >>> i) & 1) !== 0;
    const u = this.#bigUnacked.get(t.seqOf(s))!;
    return (u[i >>> 3] & (1 << (i & 7))) !== 0;
  }

  /** Mark destination `i` of slot `s`'s set as having acknowledged it. */
  #clearUnacked(s: number, i: number): void {
    const t = this.#t;
    if (!t.set[s]!.big) t.unacked[s] &= ~(1 << i);
    else this.#bigUnacked.get(t.seqOf(s))![i >>> 3] &= ~(1 << (i & 7));
  }

  /** Whether destination `i` was sent a repair of `seq` less than `rto` ago. */
  #repairedRecently(seq: number, i: number, now: number, rto: number): boolean {
    if (this.#repairedAt.size === 0) return false;
    const last = this.#repairedAt.get(seq)?.get(i);
    return last !== undefined && now - last < rto;
  }

  #markRepaired(seq: number, i: number, now: number): void {
    let m = this.#repairedAt.get(seq);
    if (!m) this.#repairedAt.set(seq, m = new Map());
    m.set(i, now);
  }

  /**
   * A repair's frame failed (`marks`: its sequence numbers and destination indexes, in
   * pairs): it did not arrive, so it does not count as sent recently; the next evidence of loss
   * (acknowledgement order, the answer to the round's request) re-sends it at once instead of
   * one RTO later. [R-NODE-REL-003]
   */
  #unmarkRepaired(marks: number[]): void {
    for (let j = 0; j < marks.length; j += 2) this.#repairedAt.get(marks[j])?.delete(marks[j + 1]);
  }

  #markSent(s: number, now: number): void {
    const t = this.#t;
    t.setHeld(s, false);
    t.firstAt[s] = now;
    const next = now + this.#rto();
    t.nextAt[s] = next;
    const ds = t.set[s]!.ds;
    const seq = t.seqOf(s);
    for (let i = 0; i < ds.length; i++) {
      const d = ds[i];
      d.inflight++;
      d.lastSendAt = now;
      d.probeAt = 0;
      if (seq > d.lastSeq) d.lastSeq = seq;
    }
    // Mostly a timer is armed already (the checks of #arm and #armProbe, made here: no call,
    // and no boxed time, per message).
    if (next < this.#timerAt) this.#arm(next);
    if (this.#probeTimer === undefined) this.#armProbe(now + this.#probeIdle());
  }

  /** Idle time after the last send to a destination before it is asked to acknowledge now. */
  #probeIdle(): number {
    return Math.max(2 * this.#o.ackDelayMs, this.#srtt / 2);
  }

  #armProbe(at: number): void {
    if (this.#closed || this.#probeTimer !== undefined) return;
    this.#probeTimer = this.#host.clock.setTimeout(() => {
      this.#probeTimer = undefined;
      this.#probe();
    }, Math.max(1, at - this.#host.clock.now()));
  }

  /**
   * Send `d` an acknowledgement request naming the newest number sent to it; its answer is the
   * acknowledgement that covers the request's own number. [R-NODE-REL-018]
   */
  #request(d: DestState): void {
    const seq = this.#host.requestAck(d.id, d.lastSeq);
    d.probeSeq = typeof seq === "number" ? seq : -1;
  }

  /**
   * Whether `ranges` from `d` answer its pending acknowledgement request: they cover the
   * request's number (any acknowledgement does when that number is not known). [R-NODE-REL-018]
   */
  #answers(d: DestState, ranges: readonly (readonly [number, number])[]): boolean {
    const q = d.probeSeq;
    if (q < 0) return true;
    for (let j = ranges.length - 1; j >= 0; j--) {
      if (ranges[j][0] <= q && q <= ranges[j][1]) return true;
    }
    return false;
  }

  /**
   * Tail loss: the last messages of a burst have no later message whose acknowledgement would
   * reveal their loss. A destination with unacknowledged messages that has been sent nothing
   * new for a while is sent a `chatter.sys.rel.ackreq`; it acknowledges at once, and what that
   * acknowledgement does not cover is repaired (as for loss inferred from acknowledgement
   * order).
   */
  #probe(): void {
    if (this.#closed) return;
    const now = this.#host.clock.now();
    const idle = this.#probeIdle();
    let next = Infinity;
    for (const d of this.#dests.values()) {
      if (d.inflight <= 0 || d.probeAt !== 0) continue;
      if (now - d.lastSendAt >= idle) {
        d.probeAt = now;
        this.stats.probes++;
        this.#request(d);
      } else next = Math.min(next, d.lastSendAt + idle);
    }
    if (next < Infinity) this.#armProbe(next);
  }

  /**
   * Track a message broadcast to `dests` (this node excluded, no repeats; `setKey` names the
   * set). Returns true when it is to be sent now, false when flow control holds it (it is sent
   * later through the host's `release`).
   */
  admit(id: BroadcastId, rec: R, dests: NetId[], setKey: string, bytes: number): boolean {
    if (this.#closed) return true;
    const now = this.#host.clock.now();
    const set = this.#set(dests, setKey);
    const n = set.ids.length;
    const seq = id.seqno;
    const t = this.#t;
    const pk = this.#packer;
    const raw = pk?.bytes(rec);
    const chunk = raw ? this.#slab.put(raw) : -1;
    let s = chunk >= 0 ? t.add(seq, undefined, undefined, set) : t.add(seq, rec, id, set);
    if (chunk >= 0) {
      t.pieceChunk[s] = chunk;
      t.pieceOff[s] = this.#slab.offset;
      t.pieceLen[s] = raw!.length;
      t.tag[s] = pk!.tag(rec);
    }
    if (set.big) this.#bigUnacked.set(seq, allUnacked(n));
    else t.unacked[s] = n === 31 ? 0x7fffffff : (1 << n) - 1;
    t.left[s] = n;
    t.bytes[s] = bytes;
    t.firstAt[s] = now;
    t.nextAt[s] = Infinity;
    this.#bytes += bytes;
    this.stats.tracked++;
    this.#enforceBounds();
    s = t.slot(seq);
    if (s < 0) return false; // evicted at once (a tiny buffer)
    const q = this.#held.size > 0 ? this.#held.get(setKey) : undefined;
    if (q || !this.#fits(set)) {
      t.setHeld(s, true);
      if (q) q.push(seq);
      else this.#held.set(setKey, [seq]);
      this.stats.heldTotal++;
      this.stats.held++;
      return false;
    }
    this.#markSent(s, now);
    return true;
  }

  /** The message `seq` needs no tracking (no destination but this node): confirmed at once. */
  confirmedAtOnce(seq: number): void {
    this.#recentOk.set(seq, true);
  }

  #enforceBounds(): void {
    const t = this.#t;
    while (t.size > this.#o.maxMessages || (this.#bytes > this.#o.maxBytes && t.size > 1)) {
      this.#lose(t.slot(t.firstSeq()), "buffer");
    }
  }

  /** `from` acknowledged these ranges of our sequence numbers. */
  acked(from: NetId, ranges: readonly (readonly [number, number])[]): void {
    this.stats.acksReceived++;
    const k = netIdKey(from);
    const d = this.#dests.get(k);
    const now = this.#host.clock.now();
    let probed = false;
    if (d) {
      d.failures = 0;
      d.lastAckAt = now;
      if (d.probeAt > 0 && this.#answers(d, ranges)) {
        // The answer to an acknowledgement request: everything sent before the request that
        // this acknowledgement does not cover is lost (less the reordering allowance).
        if (d.probeAt > d.ackedSentAt) d.ackedSentAt = d.probeAt;
        d.probeAt = -1;
        probed = true;
      }
    }
    const t = this.#t;
    if (t.size === 0) return;
    const inflight = d?.inflight ?? 0;
    let freed = false;
    // Consecutive entries mostly share one destination set: look the index up once per set.
    let set: DestSet | undefined;
    let i: number | undefined;
    for (let r = 0; r < ranges.length; r++) {
      if (t.size === 0) break;
      // Only what the buffer holds: a range naming far more costs no more than the buffer's
      // span (each number is looked up afresh: completing a message may move the lowest kept
      // number). [R-NODE-REL-015]
      const a = Math.max(ranges[r][0], t.firstSeq());
      const b = Math.min(ranges[r][1], t.lastSeq());
      for (let q = a; q <= b; q++) {
        const s = t.slot(q);
        if (s < 0) continue;
        const es = t.set[s]!;
        if (es !== set) {
          set = es;
          i = set.index.get(k);
        }
        if (i !== undefined && this.#ackOne(s, i, d, now)) freed = true;
      }
    }
    if (this.#sampled) {
      this.#sampled = false;
      this.#publishTimes();
    }
    if (d && inflight > d.inflight) {
      d.win.acked(inflight - d.inflight, now, this.#srtt || this.#rto());
    }
    if (d && (freed || probed)) this.#fastRepair(k, d, now);
    if (freed) this.#releaseHeld();
  }

  /**
   * Loss inferred from acknowledgement order (as TCP's RACK does): `d` acknowledged a message
   * sent after one it has not acknowledged, so that one is lost (allowing a short reordering
   * window between multicast, the kept TCP copy and relays). Repaired at once, whatever the
   * retransmission timeout; it needs no timer and no knowledge of how late acknowledgements are.
   */
  #fastRepair(k: string, d: DestState, now: number): void {
    const before = d.ackedSentAt - this.#reorderWindow();
    const recs: R[] = [];
    const marks: number[] = [];
    const rto = this.#rto();
    let sentAt = 0;
    let grouped = 0;
    let set: DestSet | undefined;
    let i: number | undefined;
    const t = this.#t;
    const span = t.span;
    for (let j = 0; j < span; j++) {
      const s = t.slotAt(j);
      if (s < 0) continue;
      if (t.firstAt[s] >= before) break;
      if (t.isHeld(s)) continue;
      const es = t.set[s]!;
      if (es !== set) {
        set = es;
        i = set.index.get(k);
      }
      if (i === undefined || !this.#isUnacked(s, i)) continue;
      const seq = t.seqOf(s);
      if (this.#repairedRecently(seq, i, now, rto) && !this.#onceMissed(seq, i, before)) continue;
      if (this.#groups !== undefined) {
        // Waits for the other destinations of its domain that miss it. [R-NODE-REL-020]
        const w = this.#groups.offer(seq, es, i);
        if (w === 1) grouped++;
        if (w !== 0) {
          sentAt = t.firstAt[s];
          continue;
        }
      }
      this.#markRepaired(seq, i, now);
      marks.push(seq, i);
      if (t.tries[s] === 0) t.tries[s] = 1; // a re-sent message: no clean round-trip sample
      recs.push(this.#rec(s, seq));
      sentAt = t.firstAt[s];
    }
    this.#groups?.flushReady();
    if (recs.length + grouped === 0) return;
    d.win.lost(sentAt, now, this.#srtt || rto, recs.length + grouped); // [R-NODE-REL-016]
    if (++this.#reoCleanRounds >= REORDER_DECAY_ROUNDS && this.#reoMult > 1) {
      this.#reoMult--;
      this.#reoCleanRounds = 0;
      this.stats.reorderWindowMs = Math.round(this.#reorderWindow());
    }
    if (recs.length === 0) return;
    this.stats.retransmits += recs.length;
    this.stats.fastRepairs += recs.length;
    const round = ++this.#round;
    const sent = this.#host.repair(d.id, recs, () => {
      this.#unmarkRepaired(marks);
      this.#repairFailed(k, round);
    });
    this.stats.repairFrames += sent.frames;
    this.stats.repairBytes += sent.bytes;
  }

  /**
   * Whether destination `i` missed the one copy of `seq` (multicast or relayed) that was its
   * last repair: it acknowledged messages sent after that copy (less the reordering allowance,
   * `before`), so it is repaired by TCP now instead of one RTO later. [R-NODE-REL-021]
   */
  #onceMissed(seq: number, i: number, before: number): boolean {
    const at = this.#groups?.onceAt(seq);
    if (at === undefined || at >= before) return false;
    return this.#repairedAt.get(seq)?.get(i) === at;
  }

  /**
   * Send repairs that waited to be grouped: a number that `min` destinations of our own domain
   * miss goes once by multicast (and counts as repaired for every destination of the domain
   * that has not acknowledged it); one that `min` destinations of another domain miss goes by
   * TCP to one of them with the others as its distribution list (it forwards by the plan:
   * multicast in its domain); the rest by TCP to each, as before. [R-NODE-REL-020..022]
   */
  #sendGrouped(g: RepairGrouping<R>, rs: GroupedRepair[]): void {
    if (this.#closed) return;
    const grouper = this.#groups!;
    const t = this.#t;
    const now = this.#host.clock.now();
    const rto = this.#rto();
    const mc: R[] = [];
    const via = new Map<string, { relay: NetId; rest: NetId[]; recs: R[] }>();
    const tcp = new Map<string, { d: DestState; recs: R[]; marks: number[] }>();
    for (const r of rs) {
      const s = t.slot(r.seq);
      if (s < 0 || t.isHeld(s)) continue;
      const set = t.set[s]!;
      if (set !== r.set) continue;
      const live = r.dests.filter((i) =>
        this.#isUnacked(s, i) && !this.#repairedRecently(r.seq, i, now, rto)
      );
      if (live.length === 0) continue;
      if (t.tries[s] === 0) t.tries[s] = 1; // a re-sent message: no clean round-trip sample
      const once = grouper.enough(r) && live.length >= 2 && t.pieceChunk[s] >= 0 &&
        t.bytes[s] <= g.maxBytes;
      if (once) grouper.sentOnce(r.seq, now);
      if (once && r.group === OWN_DOMAIN) {
        mc.push(this.#rec(s, r.seq));
        // Sent to every destination of our domain that has not acknowledged it.
        for (let i = 0; i < set.ids.length; i++) {
          if (!this.#isUnacked(s, i) || grouper.groupOf(set, i) !== OWN_DOMAIN) continue;
          this.#markRepaired(r.seq, i, now);
          this.stats.multicastRepairCovered++;
        }
        continue;
      }
      if (once) {
        // Every destination of that domain that has not acknowledged it: the relay's multicast
        // reaches them all, and those that do not hear the relay get it from it by TCP.
        for (let i = 0; i < set.ids.length; i++) {
          if (
            !live.includes(i) && this.#isUnacked(s, i) && grouper.groupOf(set, i) === r.group &&
            !this.#repairedRecently(r.seq, i, now, rto)
          ) live.push(i);
        }
        const ids = live.map((i) => set.ids[i]);
        const key = `${r.group}\n${live.join(",")}`;
        const v = via.get(key);
        if (v) v.recs.push(this.#rec(s, r.seq));
        else via.set(key, { relay: ids[0], rest: ids.slice(1), recs: [this.#rec(s, r.seq)] });
        for (const i of live) this.#markRepaired(r.seq, i, now);
        this.stats.relayRepairCovered += live.length;
        continue;
      }
      for (const i of live) {
        this.#markRepaired(r.seq, i, now);
        const d = set.ds[i];
        const k = set.keys[i];
        const e = tcp.get(k);
        if (e) {
          e.recs.push(this.#rec(s, r.seq));
          e.marks.push(r.seq, i);
        } else tcp.set(k, { d, recs: [this.#rec(s, r.seq)], marks: [r.seq, i] });
      }
    }
    if (mc.length > 0) {
      const sent = g.multicast(mc);
      this.stats.multicastRepairs += mc.length;
      this.stats.multicastRepairFrames += sent.frames;
    }
    for (const v of via.values()) {
      const sent = g.via(v.relay, v.rest, v.recs);
      this.stats.relayRepairs += v.recs.length;
      this.stats.repairFrames += sent.frames;
      this.stats.repairBytes += sent.bytes;
    }
    const round = ++this.#round;
    for (const [k, e] of tcp) {
      this.stats.retransmits += e.recs.length;
      this.stats.fastRepairs += e.recs.length;
      // A failed frame does not count as sent (as in #fastRepair). [R-NODE-REL-003]
      const sent = this.#host.repair(e.d.id, e.recs, () => {
        this.#unmarkRepaired(e.marks);
        this.#repairFailed(k, round);
      });
      this.stats.repairFrames += sent.frames;
      this.stats.repairBytes += sent.bytes;
    }
  }

  /**
   * How much later than a message a destination may acknowledge one sent after it before the
   * first counts as lost: max(20 ms, srtt / 4) times a multiplier that grows by one (at most
   * once per round trip, up to 16) for each report of needless repairs and shrinks by one after
   * 16 repair rounds without one, never above max(20 ms, srtt) (as RACK's reo_wnd, RFC 8985
   * 6.2). [R-NODE-REL-011]
   */
  #reorderWindow(): number {
    // Never above MAX_REORDER_MS: a round-trip estimate inflated by an overloaded process (or
    // by sampling re-sent messages) must not switch loss inference off.
    const cap = Math.max(REORDER_MS, Math.min(this.#srtt, MAX_REORDER_MS));
    const base = Math.min(cap, Math.max(REORDER_MS, this.#srtt / 4));
    return Math.min(base * this.#reoMult, cap);
  }

  /**
   * `from` reports that repairs of these sequence numbers reached it when it had the messages
   * already (needless): counted, and the reordering allowance grows. [R-NODE-REL-011]
   */
  needless(from: NetId, ranges: readonly (readonly [number, number])[]): void {
    void from;
    let n = 0;
    for (const [a, b] of ranges) n += b - a + 1;
    if (n === 0) return;
    this.stats.needlessReported += n;
    this.#reoCleanRounds = 0;
    const now = this.#host.clock.now();
    if (now - this.#reoGrownAt >= Math.max(this.#srtt, REORDER_MS)) {
      this.#reoGrownAt = now;
      if (this.#reoMult < MAX_REORDER_MULT) this.#reoMult++;
    }
    this.stats.reorderWindowMs = Math.round(this.#reorderWindow());
  }

  /**
   * Destination `i` of slot `s`'s set acknowledged it (the slot, a small integer, not its
   * sequence number, a double above 2^31 that would be boxed per call).
   */
  #ackOne(s: number, i: number, d: DestState | undefined, now: number): boolean {
    const t = this.#t;
    if (t.isHeld(s) || !this.#isUnacked(s, i)) return false;
    this.#clearUnacked(s, i);
    const left = --t.left[s];
    const firstAt = t.firstAt[s];
    if (d) {
      d.inflight--;
      if (firstAt > d.ackedSentAt) d.ackedSentAt = firstAt;
    }
    // Karn's rule: a re-sent message gives no sample (which copy arrived?). But when every
    // acknowledgement is late (an overloaded receiver), every message times out and is re-sent,
    // and the rule starves the estimate; so after a run of 32 such acknowledgements their
    // first-send times are sampled too (an upper bound: it errs long, which only slows timeout
    // repairs; loss inferred from acknowledgement order does not wait for the timeout).
    if (t.tries[s] === 0) {
      this.#dirtyRun = 0;
      this.#sample(now - firstAt);
    } else if (++this.#dirtyRun >= 32) this.#sample(now - firstAt);
    if (left === 0) this.#complete(s, t.seqOf(s));
    return true;
  }

  #sample(rtt: number): void {
    if (this.#srtt === 0) {
      this.#srtt = Math.max(1, rtt);
      this.#rttvar = rtt / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rtt);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rtt;
    }
    this.#sampled = true;
  }

  /** The round-trip figures of `stats` (once per acknowledgement, not per sample). */
  #publishTimes(): void {
    this.stats.srttMs = Math.round(this.#srtt * 10) / 10;
    this.stats.rtoMs = Math.round(this.#rto());
    this.stats.reorderWindowMs = Math.round(this.#reorderWindow());
  }

  /** Forget slot `s` (of `seq`) and what is kept beside it; returns its rare parts. */
  #remove(s: number, seq: number): { waiters?: Waiter[]; lostDests?: NetId[] } {
    const t = this.#t;
    this.#bytes -= t.bytes[s];
    if (t.pieceChunk[s] >= 0) this.#slab.release(t.pieceChunk[s]);
    if (t.set[s]!.big) this.#bigUnacked.delete(seq);
    if (this.#repairedAt.size > 0) this.#repairedAt.delete(seq);
    if (this.#groups !== undefined) this.#groups.forget(seq);
    let waiters: Waiter[] | undefined;
    let lostDests: NetId[] | undefined;
    if (this.#waiters.size > 0) {
      waiters = this.#waiters.get(seq);
      if (waiters) this.#waiters.delete(seq);
    }
    if (this.#lostDests.size > 0) {
      lostDests = this.#lostDests.get(seq);
      if (lostDests) this.#lostDests.delete(seq);
    }
    t.delete(seq);
    return waiters || lostDests ? { waiters, lostDests } : NONE;
  }

  #complete(s: number, seq: number): void {
    const { waiters, lostDests } = this.#remove(s, seq);
    if (lostDests) {
      // Some destination was given up earlier: a lost message, not a confirmed one.
      this.stats.lost++;
      this.#recentLost.set(seq, lostDests);
    } else {
      this.stats.confirmed++;
      this.#recentOk.set(seq, true);
    }
    if (waiters) {
      for (const w of waiters) {
        if (w.timer !== undefined) this.#host.clock.clearTimeout(w.timer);
        w.resolve();
      }
    }
    this.#checkDrained();
  }

  /** The destinations of slot `s` that have not acknowledged it. */
  #missing(s: number): NetId[] {
    const out: NetId[] = [];
    const ids = this.#t.set[s]!.ids;
    for (let i = 0; i < ids.length; i++) {
      if (this.#isUnacked(s, i)) out.push(ids[i]);
    }
    return out;
  }

  #notice(k: string, id: NetId, seq: number): void {
    const l = this.#notices.get(k);
    if (l) l.seqs.push(seq);
    else this.#notices.set(k, { id, seqs: [seq] });
    if (this.#noticeScheduled) return;
    this.#noticeScheduled = true;
    queueMicrotask(() => {
      this.#noticeScheduled = false;
      const all = [...this.#notices.values()];
      this.#notices.clear();
      if (this.#closed) return;
      for (const n of all) this.#host.notifyLost(n.id, n.seqs.sort((a, b) => a - b));
    });
  }

  #lose(s: number, reason: LostReason): void {
    const t = this.#t;
    const seq = t.seqOf(s);
    const missing = this.#missing(s);
    const held = t.isHeld(s);
    const id = this.#id(s, seq);
    const setKey = t.set[s]!.key;
    const { waiters, lostDests } = this.#remove(s, seq);
    if (held) {
      this.stats.held--;
      const q = this.#held.get(setKey);
      if (q) {
        const at = q.indexOf(seq);
        if (at >= 0) q.splice(at, 1);
        if (q.length === 0) this.#held.delete(setKey);
      }
    } else {
      for (const to of missing) {
        const k = netIdKey(to);
        const d = this.#dests.get(k);
        if (d) d.inflight--;
        this.#notice(k, to, seq);
      }
    }
    this.stats.lost++;
    this.stats.lostDestinations += missing.length;
    this.#recentLost.set(seq, [...(lostDests ?? []), ...missing]);
    this.#host.lost(id, missing, reason);
    if (waiters) {
      for (const w of waiters) {
        if (w.timer !== undefined) this.#host.clock.clearTimeout(w.timer);
        w.reject(new DeliveryUnconfirmedError(id, missing, reason));
      }
    }
    if (!held) this.#releaseHeld();
    this.#checkDrained();
  }

  #releaseHeld(): void {
    if (this.#held.size === 0 || this.#closed) return;
    const now = this.#host.clock.now();
    const t = this.#t;
    for (const [k, q] of [...this.#held]) {
      let n = 0;
      while (n < q.length && this.#fits(t.set[t.slot(q[n])]!)) {
        this.#markSent(t.slot(q[n]), now);
        n++;
      }
      if (n === 0) continue;
      const out = q.splice(0, n);
      if (q.length === 0) this.#held.delete(k);
      this.stats.held -= n;
      const ids = t.set[t.slot(out[0])]!.ids;
      this.#host.release(ids, k, out.map((seq) => this.#rec(t.slot(seq), seq)));
    }
    this.#checkDrained();
  }

  #arm(at: number): void {
    if (this.#closed || at >= this.#timerAt) return;
    if (this.#timer !== undefined) this.#host.clock.clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#scheduledAt = Math.max(at, this.#host.clock.now() + 1);
    this.#timer = this.#host.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#tick();
    }, Math.max(1, at - this.#host.clock.now()));
  }

  #tick(): void {
    if (this.#closed) return;
    const now = this.#host.clock.now();
    // A timer that fires late means this process is behind: acknowledgements may be waiting
    // unread. Defer the timeouts once by the lag instead of re-sending what may have arrived.
    const lag = now - this.#scheduledAt;
    if (lag > Math.max(LAG_MS, this.#rto() / 4) && !this.#deferred) {
      this.#deferred = true;
      this.#arm(now + Math.min(lag, this.#rto()));
      return;
    }
    this.#deferred = false;
    const newest = this.#host.currentSeq();
    const rto = this.#rto();
    const repairs = new Map<
      string,
      { id: NetId; recs: R[]; sentAt: number; marks: number[] }
    >();
    const silentSlack = this.#o.ackDelayMs * (MAX_DELAY_FACTOR - 1);
    let next = Infinity;
    const t = this.#t;
    // The numbers kept when the round began, in order, looked up afresh (a message given up
    // meanwhile is skipped); no copy of them.
    const last = t.lastSeq();
    for (let seq = t.firstSeq(); seq >= 0 && seq <= last; seq++) {
      const s = t.slot(seq);
      if (s < 0 || t.isHeld(s)) continue;
      if (now - t.firstAt[s] >= this.#o.maxAgeMs) {
        this.#lose(s, "age");
        continue;
      }
      if (newest - seq > this.#o.maxSpan) {
        this.#lose(s, "span");
        continue;
      }
      if (t.nextAt[s] > now) {
        next = Math.min(next, t.nextAt[s]);
        // Entries are in broadcast order: later ones were sent later and not retried yet.
        if (t.tries[s] === 0) break;
        continue;
      }
      let any = false;
      let wake = now + rto;
      const set = t.set[s]!;
      for (let i = 0; i < set.ids.length; i++) {
        if (!this.#isUnacked(s, i)) continue;
        if (this.#repairedRecently(seq, i, now, rto)) continue; // repaired just now (fast)
        const k = set.keys[i];
        // A destination that acknowledged something within the timeout is alive and only
        // behind: acknowledgement order (fast repair) tells what it misses. Only silent
        // destinations (dead, or missing the tail of a burst) are re-sent to on a timeout.
        // Silent means no acknowledgement for one RTO beyond the longest interval a steady
        // destination waits between acknowledgements (R-NODE-REL-013).
        const dst = set.ds[i]; // (= this.#dests.get(k): states are never removed)
        if (now - dst.lastAckAt < rto + silentSlack) {
          // Look again when it would count as silent, not one whole RTO later: at the 5 s cap
          // the next try came up to 2 RTO + the slack after the last (3 tries in 30 s).
          const at = dst.lastAckAt + rto + silentSlack;
          if (at < wake) wake = at;
          continue;
        }
        // At most TIMEOUT_BURST per destination per round, with an acknowledgement request:
        // a destination that was only slow answers, and its answer tells what else is missing
        // (as acknowledgement order does), instead of everything in flight being re-sent.
        const r = repairs.get(k);
        if (r && r.recs.length >= TIMEOUT_BURST) continue;
        this.#markRepaired(seq, i, now);
        any = true;
        const id = set.ids[i];
        const rec = this.#rec(s, seq);
        if (r) {
          r.recs.push(rec);
          r.marks.push(seq, i);
          r.sentAt = t.firstAt[s];
        } else repairs.set(k, { id, recs: [rec], sentAt: t.firstAt[s], marks: [seq, i] });
      }
      if (any) {
        const tries = ++t.tries[s];
        t.nextAt[s] = now + Math.min(MAX_RTO_MS, rto * 2 ** Math.min(tries - 1, 4));
      } else t.nextAt[s] = wake;
      next = Math.min(next, t.nextAt[s]);
    }
    const round = ++this.#round;
    for (const [k, r] of repairs) {
      this.stats.retransmits += r.recs.length;
      this.stats.timeoutRepairs += r.recs.length;
      const sent = this.#host.repair(r.id, r.recs, () => {
        this.#unmarkRepaired(r.marks);
        this.#repairFailed(k, round);
      });
      this.stats.repairFrames += sent.frames;
      this.stats.repairBytes += sent.bytes;
      const d = this.#dests.get(k);
      if (d) {
        d.win.lost(r.sentAt, now, this.#srtt || rto, r.recs.length); // [R-NODE-REL-016]
        d.probeAt = now;
        this.stats.probes++;
        this.#request(d);
      }
    }
    if (next < Infinity) this.#arm(next);
    else {
      // The loop stopped early: find the first pending timeout.
      for (let j = 0; j < t.span; j++) {
        const s = t.slotAt(j);
        if (s >= 0 && !t.isHeld(s)) {
          this.#arm(Math.min(t.nextAt[s], t.firstAt[s] + this.#o.maxAgeMs));
          break;
        }
      }
    }
  }

  #repairFailed(k: string, round: number): void {
    const d = this.#dests.get(k);
    if (!d || d.round === round || this.#closed) return;
    d.round = round;
    if (++d.failures < this.#o.maxRepairFailures) return;
    // Failed sends alone do not make a node dead (an overloaded peer may time out a connect):
    // it must also have been silent for a while.
    if (this.#host.clock.now() - d.lastAckAt < UNREACHABLE_SILENCE_MS) return;
    d.failures = 0;
    this.#giveUpDest(k, d);
  }

  /**
   * A destination is known gone (liveness declared it dead, or it announced that it leaves):
   * its pending messages are given up at once (reason `unreachable`). [R-NODE-REL-004]
   */
  destinationGone(id: NetId): void {
    const k = netIdKey(id);
    const d = this.#dests.get(k);
    if (!d || this.#closed || d.inflight <= 0) return;
    this.#giveUpDest(k, d);
  }

  #giveUpDest(k: string, d: DestState): void {
    // Unreachable: give up its pending messages (they are reported lost for it).
    const t = this.#t;
    for (const seq of t.seqs()) {
      const s = t.slot(seq);
      if (s < 0 || t.isHeld(s)) continue;
      const i = t.set[s]!.index.get(k);
      if (i === undefined || !this.#isUnacked(s, i)) continue;
      if (t.left[s] === 1) {
        this.#lose(s, "unreachable");
        continue;
      }
      // Lost for this destination only; the others are still awaited.
      this.#clearUnacked(s, i);
      t.left[s]--;
      d.inflight--;
      this.stats.lostDestinations++;
      const id = this.#id(s, seq);
      this.#host.lost(id, [d.id], "unreachable");
      const waiters = this.#waiters.get(seq);
      if (waiters) {
        for (const w of waiters) {
          if (w.timer !== undefined) this.#host.clock.clearTimeout(w.timer);
          w.reject(new DeliveryUnconfirmedError(id, [d.id], "unreachable"));
        }
        this.#waiters.delete(seq);
      }
      // Counted as a lost message once every destination is settled.
      const l = this.#lostDests.get(seq);
      if (l) l.push(d.id);
      else this.#lostDests.set(seq, [d.id]);
    }
    this.#releaseHeld();
  }

  /**
   * A Promise that resolves when every destination of message `id` (broadcast by this node)
   * has acknowledged it, and rejects with {@linkcode DeliveryUnconfirmedError} after
   * `timeoutMs` or when the message is given up.
   */
  confirmed(id: BroadcastId, timeoutMs: number): Promise<void> {
    const seq = id.seqno;
    if (this.#t.slot(seq) < 0) {
      if (this.#recentOk.has(id.seqno)) return Promise.resolve();
      const lost = this.#recentLost.get(id.seqno);
      return Promise.reject(
        new DeliveryUnconfirmedError(id, lost ?? [], lost ? "lost" : "unknown"),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject };
      const l = this.#waiters.get(seq);
      if (l) l.push(w);
      else this.#waiters.set(seq, [w]);
      if (Number.isFinite(timeoutMs)) {
        w.timer = this.#host.clock.setTimeout(() => {
          const ws = this.#waiters.get(seq);
          const at = ws?.indexOf(w) ?? -1;
          if (at >= 0) {
            ws!.splice(at, 1);
            if (ws!.length === 0) this.#waiters.delete(seq);
          }
          // (The timer is cleared when the message settles: it is still kept here.)
          const s = this.#t.slot(seq);
          const missing = s < 0 ? [] : this.#missing(s);
          reject(new DeliveryUnconfirmedError(s < 0 ? id : this.#id(s, seq), missing, "timeout"));
        }, timeoutMs);
      }
    });
  }

  /** Resolves when no broadcast is held back by flow control. */
  drained(): Promise<void> {
    if (this.stats.held === 0) return Promise.resolve();
    return new Promise((r) => this.#drainWaiters.push(r));
  }

  #checkDrained(): void {
    if (this.stats.held > 0 || this.#drainWaiters.length === 0) return;
    for (const w of this.#drainWaiters.splice(0)) w();
  }

  /** A snapshot of the counters. */
  snapshot(): SenderStats {
    this.stats.buffered = this.#t.size;
    this.stats.bufferedBytes = this.#bytes;
    windowStats(this.stats, this.#dests.values(), this.#o.window);
    return { ...this.stats };
  }

  /** Stop: every message not confirmed yet is reported lost (reason `closed`). */
  close(): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) this.#host.clock.clearTimeout(this.#timer);
    if (this.#probeTimer !== undefined) this.#host.clock.clearTimeout(this.#probeTimer);
    this.#groups?.close();
    this.#closed = true;
    for (const seq of this.#t.seqs()) {
      const s = this.#t.slot(seq);
      if (s >= 0) this.#lose(s, "closed");
    }
    // The node can still send: tell each destination what it will not get. [R-NODE-REL-006]
    const notices = [...this.#notices.values()];
    this.#notices.clear();
    for (const n of notices) this.#host.notifyLost(n.id, n.seqs.sort((a, b) => a - b));
    for (const w of this.#drainWaiters.splice(0)) w();
  }
}
