/**
 * Reliable delivery, as the node uses it: one {@linkcode ReliableSender} (this node's own
 * broadcasts) and one {@linkcode ReliableReceiver} (acknowledging what arrives), plus the
 * handling of the `chatter.sys.*` control records. The node calls in from a few hooks; the
 * rules are in spec/node.md, "Reliable delivery". [R-NODE-REL-*]
 *
 * @module
 */

import type { DecodedRecord, OutgoingRecord, Profile } from "../wire/message.ts";
import { varintLength } from "../wire/varint.ts";
import { type BroadcastId, type NetId, netIdKey } from "../wire/netid.ts";
import { NetIdTable } from "../wire/netid_table.ts";
import type { NodeClock as Clock } from "./clock.ts";
import type { NodeEvents } from "./events.ts";
import type { MessageType } from "./message_type.ts";
import { emptyReceiverStats, ReliableReceiver } from "./reliable_receiver.ts";
import { emptySenderStats, ReliableSender } from "./reliable_sender.ts";
import { OWN_DOMAIN } from "./multicast_repair.ts";
import {
  decodeSeqRanges,
  encodeSeqRanges,
  SYS_ACK_TAG,
  SYS_ACKREQ_TAG,
  SYS_DUP_TAG,
  SYS_LOST_TAG,
  SYS_REPAIR_TAG,
} from "../wire/reliable_control.ts";
import { toRanges } from "./reliable_receiver.ts";
import { encodeRangeList, MAX_SEQ_RANGES } from "../wire/reliable_control.ts";
import { V2_HEADER_OFFSETS } from "../wire/v2/header.ts";

/** Counters of reliable delivery (all zero when it is off). */
export interface ReliableStats {
  /** Messages put in the retransmit buffer. */
  tracked: number;
  /** Messages every destination acknowledged. */
  confirmed: number;
  /** Messages given up for at least one destination. */
  lost: number;
  /** (message, destination) pairs given up. */
  lostDestinations: number;
  /** Records sent again (one per message per destination per repair). */
  retransmits: number;
  /** Of those, repairs inferred from acknowledgement order (before any timeout). */
  fastRepairs: number;
  /** Of those, repairs sent on a timeout (at most 16 per destination per round). */
  timeoutRepairs: number;
  /** Acknowledgement requests sent (tail-loss probes). */
  probes: number;
  /** TCP frames of repairs. */
  repairFrames: number;
  /** Bytes of those frames. */
  repairBytes: number;
  /** Acknowledgement records received. */
  acksReceived: number;
  /** Broadcasts held back by flow control (total). */
  heldTotal: number;
  /** Broadcasts held back now. */
  held: number;
  /** Messages in the retransmit buffer now. */
  buffered: number;
  /** Payload bytes in it now. */
  bufferedBytes: number;
  /** Smoothed round trip, broadcast to acknowledgement (ms; 0 before the first sample). */
  srttMs: number;
  /** Current retransmission timeout (ms). */
  rtoMs: number;
  /**
   * Sequence numbers of this node's messages that destinations reported repaired needlessly
   * (they had the message already when the repair arrived; `chatter.sys.rel.dup`; a number
   * repaired needlessly several times between two acknowledgements is named once). [R-NODE-REL-011]
   */
  needlessReported: number;
  /** Current reordering allowance of loss inference by acknowledgement order (ms). */
  reorderWindowMs: number;
  /**
   * Smallest adaptive send window over the destinations this node has sent to (0: none yet).
   * [R-NODE-REL-016]
   */
  windowMin: number;
  /** Mean adaptive send window over them (rounded). [R-NODE-REL-016] */
  windowAvg: number;
  /** Destinations whose send window is below `sendWindow` now. [R-NODE-REL-016] */
  windowsReduced: number;
  /** Send-window reductions so far, over all destinations. [R-NODE-REL-016] */
  windowReductions: number;
  /** Most unacknowledged messages outstanding to one destination now. [R-NODE-REL-008] */
  inflightMax: number;
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
   * Sequence numbers whose acknowledgement waited one more interval: they arrived by TCP ahead
   * of the origin's multicast stream. [R-NODE-REL-012]
   */
  acksDeferred: number;
  /**
   * Acknowledgement records that rode in TCP frames going to their origin anyway (data, repair
   * and control frames) instead of a frame of their own; their bytes count in `ackBytes`, not
   * their frames in `ackFrames`. [R-NODE-REL-014]
   */
  acksCarried: number;
  /** Loss notices received from origins. */
  lostNotices: number;
  /** Messages this node, as a destination, was told are lost to it. */
  lostReported: number;
  /** Control records that failed to decode. */
  controlErrors: number;
  /**
   * Control records ignored unread: beyond a frame's allowance of their type, in a multicast
   * frame, or whose origin is not the frame's sender. [R-NODE-REL-015]
   */
  controlIgnored: number;
  /**
   * Records not acknowledged because their frame already had records of 32 other origins
   * acknowledged (besides its sender); their origins repair them directly. [R-NODE-REL-015]
   */
  acksLimited: number;
  /** Repaired records that reached this node (as a destination), by the origins' repair markers. */
  repairsReceived: number;
  /**
   * Of those, the ones for messages this node had delivered already: needless repairs (reported
   * to their origin with the next acknowledgement). [R-NODE-REL-011]
   */
  needlessRepairs: number;
  /**
   * Records this node (as an origin) repaired once by multicast for several destinations of its
   * own domain, instead of one TCP copy each. [R-NODE-REL-020]
   */
  multicastRepairs: number;
  /** Datagrams of those repairs. [R-NODE-REL-020] */
  multicastRepairFrames: number;
  /**
   * (message, destination) pairs those multicast repairs were sent for (each would have been a
   * TCP repair). [R-NODE-REL-020]
   */
  multicastRepairCovered: number;
  /**
   * Records repaired through one relay of another domain for several destinations there (one
   * TCP copy; the relay multicasts it in its domain). [R-NODE-REL-022]
   */
  relayRepairs: number;
  /** (message, destination) pairs those relayed repairs were sent for. [R-NODE-REL-022] */
  relayRepairCovered: number;
  /**
   * Records named by multicast repair markers this node received (as any member of the
   * origin's domain; at most 256 per marker). [R-NODE-REL-023]
   */
  multicastRepairsReceived: number;
  /** Of those, the ones this node had not delivered before (the repair was of use here). */
  multicastRepairsUseful: number;
}

/** Zeroed {@linkcode ReliableStats}. */
export function emptyReliableStats(): ReliableStats {
  return {
    ...emptySenderStats(),
    ...emptyReceiverStats(),
    lostNotices: 0,
    lostReported: 0,
    controlErrors: 0,
    controlIgnored: 0,
    acksLimited: 0,
    repairsReceived: 0,
    needlessRepairs: 0,
    multicastRepairsReceived: 0,
    multicastRepairsUseful: 0,
  };
}

/**
 * The parts of inclusive, ascending ranges that lie within `[lo, hi]`.
 *
 * @example
 * ```ts
 * import { clipRanges } from "./reliable.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(clipRanges([[0, 5], [8, 20], [30, 40]], 3, 10), [[3, 5], [8, 10]]);
 * ```
 */
export function clipRanges(
  ranges: readonly (readonly [number, number])[],
  lo: number,
  hi: number,
): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of ranges) {
    const x = Math.max(a, lo), y = Math.min(b, hi);
    if (x <= y) out.push([x, y]);
  }
  return out;
}

/** True for the tags of the reserved control records this layer handles. */
export function isReliableControlTag(tag: number): boolean {
  return tag === SYS_ACK_TAG || tag === SYS_LOST_TAG || tag === SYS_ACKREQ_TAG ||
    tag === SYS_REPAIR_TAG || tag === SYS_DUP_TAG;
}

/** A record as the node queues it (the node's own shape). */
export interface RelRecord {
  tag: number;
  origin: BroadcastId;
  reg?: { type: MessageType<unknown>; tag: number; system: boolean };
  value?: unknown;
  raw?: Uint8Array;
  extraNetIds?: NetId[];
}

/** What reliable delivery needs from its node. */
export interface ReliableHost {
  self: NetId;
  clock: Clock;
  events: NodeEvents;
  nextSeq(): number;
  currentSeq(): number;
  /** Queue records for the normal plan (flow control released them). */
  enqueue(dests: NetId[], setKey: string, recs: RelRecord[]): void;
  /** Send records directly to one node by TCP (no distribution list). */
  sendDirect(to: NetId, recs: RelRecord[], onFail?: () => void): { frames: number; bytes: number };
  /**
   * Optional, for repairs by multicast (R-NODE-REL-020): send records in multicast frames of
   * their own (none when multicast is off).
   */
  sendMulticast?(recs: RelRecord[]): { frames: number; bytes: number };
  /**
   * Optional, for repairs through a relay (R-NODE-REL-022): send records by TCP to `relay` with
   * `rest` as its distribution list.
   */
  sendVia?(relay: NetId, rest: NetId[], recs: RelRecord[]): { frames: number; bytes: number };
  /** Optional: whether `id` hears this node's multicast, and its domain key. */
  hearsUs?(id: NetId): boolean;
  domainOf?(id: NetId): string;
  /** True when this node has delivered `id` (its de-duplication window remembers it). */
  hasDelivered(id: BroadcastId): boolean;
  /** Report an encoder failure. */
  encodeFailed(typeName: string, error: unknown): void;
}

/** Settings of {@linkcode Reliability}, from the node options. */
export interface ReliabilitySettings {
  ackDelayMs: number;
  retransmitMs: number;
  retransmitMaxMessages: number;
  retransmitMaxBytes: number;
  retransmitMaxAgeMs: number;
  sendWindow: number;
  sendWindowMin: number;
  sendWindowInitial: number;
  maxRepairFailures: number;
  dedupWindow: number;
  /**
   * Repairs by multicast: destinations of one domain that must miss a message for it to be
   * repaired once (0 or absent: off). [R-NODE-REL-020]
   */
  multicastRepairMin?: number;
  /** Largest multicast datagram (bytes), for the size of records repaired by multicast. */
  maxDatagramBytes?: number;
}

const EMPTY_TABLE = NetIdTable.build([]);
/**
 * Most control records of each type one received frame has read; a sender puts no more in one
 * frame (acknowledgements split past 4,096 ranges; one marker, notice or request per frame).
 * [R-NODE-REL-015]
 */
const FRAME_ALLOWANCE: Readonly<Record<number, number>> = {
  [SYS_ACK_TAG]: 16,
  [SYS_DUP_TAG]: 16,
  [SYS_ACKREQ_TAG]: 1,
  [SYS_LOST_TAG]: 1,
  [SYS_REPAIR_TAG]: 1,
};
/** Most sequence numbers one loss notice or repair marker has looked up. [R-NODE-REL-015] */
const MAX_NAMED = 65_536;
/**
 * Most sequence numbers a multicast repair marker has looked up: a datagram holds fewer
 * records. [R-NODE-REL-023]
 */
const MAX_MULTICAST_NAMED = 256;
/**
 * What {@linkcode Reliability.control} needs of the frame a record came in. Pass the same object
 * for every record of one frame (the receive path passes its per-frame context): the per-frame
 * allowance of each control record type (R-NODE-REL-015) counts per object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ControlFrame, Reliability } from "./reliable.ts";
 * import { ManualClock } from "./clock.ts";
 * import { NodeEvents } from "./events.ts";
 * import { encodeSeqRanges, SYS_ACKREQ_TAG } from "../wire/reliable_control.ts";
 * let seq = 0;
 * const answers: unknown[] = [];
 * const rel = new Reliability({
 *   self: { ip: "10.0.0.1", port: 1 }, clock: new ManualClock(0), events: new NodeEvents(),
 *   nextSeq: () => ++seq, currentSeq: () => seq, enqueue: () => {},
 *   sendDirect: (_to, recs) => (answers.push(recs), { frames: 1, bytes: 10 }),
 *   hasDelivered: () => false, encodeFailed: () => {},
 * }, {
 *   ackDelayMs: 100, retransmitMs: 500, retransmitMaxMessages: 100, retransmitMaxBytes: 1 << 20,
 *   retransmitMaxAgeMs: 30_000, sendWindow: 64, sendWindowMin: 8, sendWindowInitial: 64,
 *   maxRepairFailures: 5, dedupWindow: 1024,
 * });
 * const peer = { ip: "10.0.0.2", port: 1 };
 * const request = (seqno: number) =>
 *   ({ typeTag: SYS_ACKREQ_TAG, origin: { ...peer, seqno }, payload: encodeSeqRanges([]) });
 * // One TCP frame with three acknowledgement requests: one is read, two are ignored.
 * const frame: ControlFrame = { kind: "tcp" };
 * for (const s of [1, 2, 3]) rel.control(request(s), peer, "v2", frame);
 * assert.equal(rel.stats().controlIgnored, 2);
 * // A multicast frame's control records are all ignored (R-WIRE-REL-003).
 * rel.control(request(4), peer, "v2", { kind: "udp" });
 * assert.equal(rel.stats().controlIgnored, 3);
 * rel.close();
 * ```
 */
export interface ControlFrame {
  /** How it arrived: control records travel by TCP only. */
  readonly kind: "udp" | "tcp";
}
const TCP_FRAME: ControlFrame = { kind: "tcp" };
/**
 * Most origins besides a frame's sender whose records one frame gets acknowledged: a frame of
 * records from thousands of forged origins must not make the node connect to thousands of
 * addresses. Records of further origins are repaired by their origins, directly. [R-NODE-REL-015]
 */
const MAX_ACKED_ORIGINS = 32;
/** Bytes counted for a payload that refers to the frame's table (encoded per frame). */
const TABLE_PAYLOAD_ESTIMATE = 256;

/** Reliable delivery of one node. */
export class Reliability {
  readonly #h: ReliableHost;
  readonly #sender: ReliableSender<RelRecord>;
  readonly #receiver: ReliableReceiver;
  readonly #selfKey: string;
  #lostNotices = 0;
  /** Frames and bytes of acknowledgement requests and loss notices. */
  #ctl = { frames: 0, bytes: 0 };
  #lostReported = 0;
  #controlErrors = 0;
  #controlIgnored = 0;
  #acksLimited = 0;
  /** The frame whose records are being acknowledged, and the other origins acknowledged in it. */
  #ackFrame: { readonly sender: NetId } | undefined;
  readonly #ackOrigins = new Set<string>();
  #ackLast: NetId | undefined;
  /** The frame whose control records are being read, and how many of each type it had. */
  #frame: ControlFrame | undefined;
  readonly #frameCount = new Map<number, number>();
  readonly #dedupWindow: number;
  #repairsReceived = 0;
  #needlessRepairs = 0;
  #mcRepairsReceived = 0;
  #mcRepairsUseful = 0;
  /** Bytes of acknowledgement records carried in other frames (R-NODE-REL-014). */
  #carriedBytes = 0;
  /**
   * A run of consecutive sequence numbers of one frame's sender, from that frame, not handed to
   * the receiver yet (`#runHi < #runLo`: none): handed over in one step when the run ends, and
   * always before anything else reaches the receiver.
   */
  #runFrame: { readonly sender: NetId } | undefined;
  #runOrigin: BroadcastId = { ip: "", port: 0, seqno: 0 };
  #runLo = 0;
  #runHi = -1;
  #runVia: "udp" | "tcp" = "udp";

  /** Create it for a node. */
  constructor(h: ReliableHost, s: ReliabilitySettings) {
    this.#h = h;
    this.#selfKey = netIdKey(h.self);
    this.#dedupWindow = s.dedupWindow;
    const sys = (tag: number, payload: Uint8Array): RelRecord => ({
      tag,
      origin: { ip: h.self.ip, port: h.self.port, seqno: h.nextSeq() },
      raw: payload,
    });
    const marker = (recs: RelRecord[]) =>
      sys(
        SYS_REPAIR_TAG,
        encodeRangeList(
          toRanges(recs.map((r) => r.origin.seqno).sort((a, b) => a - b)).slice(0, MAX_SEQ_RANGES),
        ),
      );
    const mcMin = s.multicastRepairMin ?? 0;
    const datagram = s.maxDatagramBytes ?? 1400;
    // Room for the gossip header (up to 32 seen IDs) and the marker in one datagram.
    const mcBudget = datagram - 600;
    const grouping = mcMin >= 2 && h.sendMulticast && h.sendVia && h.hearsUs && h.domainOf &&
        mcBudget > 0
      ? {
        min: mcMin,
        // The destinations' acknowledgements of one stretch of traffic arrive within about
        // one acknowledgement interval of each other. [R-NODE-REL-021]
        waitMs: Math.max(1, Math.round(s.ackDelayMs / 2)),
        maxBytes: Math.floor(mcBudget / 2),
        groupOf: (id: NetId) => (h.hearsUs!(id) ? OWN_DOMAIN : `d:${h.domainOf!(id)}`),
        multicast: (recs: RelRecord[]) => {
          // One marker per datagram's worth of records: a marker names what its datagram holds.
          let frames = 0, bytes = 0;
          let part: RelRecord[] = [];
          let size = 0;
          const flush = () => {
            if (part.length === 0) return;
            const r = h.sendMulticast!([marker(part), ...part]);
            frames += r.frames;
            bytes += r.bytes;
            part = [];
            size = 0;
          };
          for (const r of recs) {
            const n = (r.raw?.length ?? TABLE_PAYLOAD_ESTIMATE) + 16;
            if (size + n > mcBudget) flush();
            part.push(r);
            size += n;
          }
          flush();
          return { frames, bytes };
        },
        via: (relay: NetId, rest: NetId[], recs: RelRecord[]) =>
          h.sendVia!(relay, rest, [marker(recs), ...recs]),
      }
      : undefined;
    this.#sender = new ReliableSender<RelRecord>({
      grouping,
      clock: h.clock,
      currentSeq: h.currentSeq,
      release: (dests, key, recs) => h.enqueue(dests, key, recs),
      // A repair starts with a marker naming the repaired sequence numbers, so that the
      // destination can tell (and report) repairs of messages it had already. [R-NODE-REL-011]
      repair: (to, recs, onFail) => h.sendDirect(to, [marker(recs), ...recs], onFail),
      requestAck: (to, upTo) => {
        // Naming the newest number sent to it: the answer waits for it. [R-NODE-REL-018]
        const named = upTo === undefined || upTo < 0 ? [] : [upTo];
        const rec = sys(SYS_ACKREQ_TAG, encodeSeqRanges(named));
        this.#countControl(h.sendDirect(to, [rec]));
        return rec.origin.seqno;
      },
      notifyLost: (to, seqnos) => {
        this.#countControl(h.sendDirect(to, [sys(SYS_LOST_TAG, encodeSeqRanges(seqnos))]));
      },
      // Records kept for repairs as their encoded payload bytes (no object per message on the
      // JS heap for the acknowledgement interval); the record is made again for a repair.
      packer: {
        bytes: (r) =>
          r.raw !== undefined && r.extraNetIds === undefined && r.origin.port === h.self.port &&
            r.origin.ip === h.self.ip
            ? r.raw
            : undefined,
        tag: (r) => r.tag,
        unpack: (seqno, tag, raw) => ({
          tag,
          origin: { ip: h.self.ip, port: h.self.port, seqno },
          raw,
        }),
        id: (seqno) => ({ ip: h.self.ip, port: h.self.port, seqno }),
      },
      lost: (id, destinations, reason) => {
        h.events.emit("lost", {
          side: "origin",
          origin: { ip: id.ip, port: id.port },
          seqnos: [id.seqno],
          destinations,
          reason,
        });
      },
    }, {
      maxMessages: s.retransmitMaxMessages,
      maxBytes: s.retransmitMaxBytes,
      maxAgeMs: s.retransmitMaxAgeMs,
      // A margin for the sequence numbers frames and control records take meanwhile.
      maxSpan: Math.max(1, s.dedupWindow - 1024),
      window: s.sendWindow,
      windowMin: s.sendWindowMin,
      windowInitial: s.sendWindowInitial,
      minRtoMs: s.retransmitMs,
      ackDelayMs: s.ackDelayMs,
      maxRepairFailures: s.maxRepairFailures,
    });
    // Liveness says a destination is gone: stop waiting for it. [R-NODE-REL-004]
    const gone = (e: { peer: { ip: string; port: number } }) =>
      this.#sender.destinationGone({ ip: e.peer.ip, port: e.peer.port });
    h.events.on("peerDead", gone);
    h.events.on("peerLeave", gone);
    this.#receiver = new ReliableReceiver({
      clock: h.clock,
      sendAck: (to, payload, onFail, dup) =>
        h.sendDirect(
          to,
          dup ? [sys(SYS_ACK_TAG, payload), sys(SYS_DUP_TAG, dup)] : [sys(SYS_ACK_TAG, payload)],
          onFail,
        ),
    }, s.ackDelayMs);
  }

  /**
   * Track a broadcast of this node. Returns `"send"` (send it now), `"held"` (flow control
   * holds it; it is enqueued later) or `"drop"` (its value could not be encoded; reported).
   */
  admit(rec: RelRecord, dests: NetId[], setKey: string): "send" | "held" | "drop" {
    let bytes: number;
    if (rec.raw) bytes = rec.raw.length;
    else if (rec.reg && !rec.reg.type.extractNetIds) {
      // Encoded once, now: the size counts against the buffer, and repairs reuse the bytes.
      try {
        rec.raw = rec.reg.type.encode(rec.value, EMPTY_TABLE);
      } catch (e) {
        this.#h.encodeFailed(rec.reg.type.typeName, e);
        return "drop";
      }
      bytes = rec.raw.length;
    } else bytes = TABLE_PAYLOAD_ESTIMATE;
    return this.#sender.admit(rec.origin, rec, dests, setKey, bytes) ? "send" : "held";
  }

  /** A broadcast with no destination but this node: confirmed at once. */
  confirmedAtOnce(seq: number): void {
    this.#sender.confirmedAtOnce(seq);
  }

  /**
   * A record of another origin arrived by `via` in a frame of `profile` (not too old):
   * acknowledge it.
   */
  received(
    origin: BroadcastId,
    profile: Profile,
    via: "udp" | "tcp" = "tcp",
    frame?: { readonly sender: NetId },
  ): void {
    if (profile !== "v2") return;
    // The next number of the run from this frame's sender: recorded with the run.
    if (
      frame !== undefined && frame === this.#runFrame && origin.seqno === this.#runHi + 1 &&
      origin.port === this.#runOrigin.port && origin.ip === this.#runOrigin.ip
    ) {
      this.#runHi++;
      return;
    }
    if (origin.port === this.#h.self.port && origin.ip === this.#h.self.ip) return;
    this.endFrame();
    if (frame && origin.port === frame.sender.port && origin.ip === frame.sender.ip) {
      this.#runFrame = frame;
      this.#runOrigin = origin;
      this.#runLo = this.#runHi = origin.seqno;
      this.#runVia = via;
      return;
    }
    if (frame) {
      // At most MAX_ACKED_ORIGINS other origins per frame. [R-NODE-REL-015]
      if (frame !== this.#ackFrame) {
        this.#ackFrame = frame;
        this.#ackOrigins.clear();
        this.#ackLast = undefined;
      }
      const l = this.#ackLast;
      if (!l || l.port !== origin.port || l.ip !== origin.ip) {
        const k = netIdKey(origin);
        if (!this.#ackOrigins.has(k)) {
          if (this.#ackOrigins.size >= MAX_ACKED_ORIGINS) {
            this.#acksLimited++;
            return;
          }
          this.#ackOrigins.add(k);
        }
        this.#ackLast = origin;
      }
    }
    this.#receiver.received(origin, via);
  }

  /**
   * The records of the frame being read are all handled (and before anything else reaches the
   * receiver): hand the pending run of numbers to it.
   */
  endFrame(): void {
    if (this.#runHi < this.#runLo) return;
    const lo = this.#runLo, hi = this.#runHi;
    this.#runFrame = undefined;
    this.#runHi = this.#runLo - 1;
    // (The run's origin is its first record's: sequence number `lo`.)
    if (lo === hi) this.#receiver.received(this.#runOrigin, this.#runVia);
    else this.#receiver.receivedRun(this.#runOrigin, lo, hi, this.#runVia);
  }

  /**
   * Our own v2 multicast frame `frame` came back through our multicast socket: the time since it
   * was sealed is how far behind that socket is read. [R-NODE-REL-019]
   */
  ownMulticast(frame: Uint8Array): void {
    const at = V2_HEADER_OFFSETS.sealedAt;
    if (frame.length < at + 8) return;
    const v = new DataView(frame.buffer, frame.byteOffset + at, 8);
    this.#receiver.socketLag(this.#h.clock.now() - (v.getUint32(0) * 2 ** 32 + v.getUint32(4)));
  }

  /**
   * A control record from `sender` in `frame` (one object per received frame). Each frame has
   * a small allowance per type, multicast frames none; what a record names is read only where
   * its sender could have meant it, so that one frame's cost is bounded. [R-NODE-REL-015]
   */
  control(
    r: DecodedRecord,
    sender: NetId,
    profile: Profile,
    frame: ControlFrame = TCP_FRAME,
  ): void {
    if (profile !== "v2") return;
    this.endFrame();
    if (frame !== this.#frame) {
      this.#frame = frame;
      this.#frameCount.clear();
    }
    const n = (this.#frameCount.get(r.typeTag) ?? 0) + 1;
    this.#frameCount.set(r.typeTag, n);
    if (
      frame.kind === "udp" && r.typeTag === SYS_REPAIR_TAG && n === 1 &&
      r.origin.ip === sender.ip && r.origin.port === sender.port
    ) {
      this.#multicastMarker(r, sender);
      return;
    }
    if (
      frame.kind !== "tcp" || n > (FRAME_ALLOWANCE[r.typeTag] ?? 0) ||
      r.origin.ip !== sender.ip || r.origin.port !== sender.port
    ) {
      this.#controlIgnored++;
      return;
    }
    let ranges: [number, number][];
    try {
      ranges = decodeSeqRanges(r.payload);
    } catch {
      this.#controlErrors++;
      return;
    }
    if (r.typeTag === SYS_ACK_TAG) {
      this.#sender.acked(sender, ranges);
      return;
    }
    if (r.typeTag === SYS_ACKREQ_TAG) {
      // It may name the newest number sent before it (R-NODE-REL-018): only lower ones count.
      const named = clipRanges(ranges, 0, r.origin.seqno - 1);
      const upTo = named.length > 0 ? named[named.length - 1][1] : undefined;
      this.#controlIgnored += this.#receiver.requested(sender, upTo, r.origin.seqno);
      return;
    }
    if (r.typeTag === SYS_DUP_TAG) {
      // Only numbers this node could have repaired count (they only tune loss inference).
      const cur = this.#h.currentSeq();
      this.#sender.needless(sender, clipRanges(ranges, cur - this.#dedupWindow + 1, cur));
      return;
    }
    // A marker and a notice are sent after the messages they name: only lower numbers count.
    const below = clipRanges(ranges, 0, r.origin.seqno - 1);
    if (r.typeTag === SYS_REPAIR_TAG) {
      // The records after this marker are repairs of the sender's own messages: those this
      // node delivered already were needless. [R-NODE-REL-011]
      if (netIdKey(sender) === this.#selfKey) return;
      this.#receiver.repairArrived(sender);
      const dups: number[] = [];
      let named = 0;
      for (const [a, b] of below) {
        for (let s = a; s <= b && named < MAX_NAMED; s++, named++) {
          this.#repairsReceived++;
          if (this.#h.hasDelivered({ ip: sender.ip, port: sender.port, seqno: s })) dups.push(s);
        }
      }
      this.#needlessRepairs += dups.length;
      this.#receiver.needless(sender, dups);
      return;
    }
    // A loss notice: the origin gave these up for us. Report those we never delivered.
    if (netIdKey(sender) === this.#selfKey) return;
    this.#lostNotices++;
    const missing: number[] = [];
    let named = 0;
    for (const [a, b] of below) {
      for (let s = a; s <= b && named < MAX_NAMED; s++, named++) {
        if (!this.#h.hasDelivered({ ip: sender.ip, port: sender.port, seqno: s })) missing.push(s);
      }
    }
    if (missing.length === 0) return;
    this.#lostReported += missing.length;
    this.#h.events.emit("lost", {
      side: "destination",
      origin: { ip: sender.ip, port: sender.port },
      seqnos: missing,
      destinations: [this.#h.self],
      reason: "notice",
    });
  }

  /**
   * A multicast repair's marker (the one control record read in a multicast frame): counted
   * only, at most {@linkcode MAX_MULTICAST_NAMED} numbers; never answered and never reported
   * as needless (every member of the domain hears a multicast repair, most of them had the
   * message). [R-NODE-REL-023]
   */
  #multicastMarker(r: DecodedRecord, sender: NetId): void {
    if (netIdKey(sender) === this.#selfKey) return;
    let ranges: [number, number][];
    try {
      ranges = decodeSeqRanges(r.payload);
    } catch {
      this.#controlErrors++;
      return;
    }
    let named = 0, useful = 0;
    for (const [a, b] of clipRanges(ranges, 0, r.origin.seqno - 1)) {
      for (let s = a; s <= b && named < MAX_MULTICAST_NAMED; s++, named++) {
        if (!this.#h.hasDelivered({ ip: sender.ip, port: sender.port, seqno: s })) useful++;
      }
    }
    this.#mcRepairsReceived += named;
    this.#mcRepairsUseful += useful;
    if (useful > 0) this.#receiver.repairArrived(sender);
  }

  /** See {@linkcode ReliableSender.confirmed}. */
  confirmed(id: BroadcastId, timeoutMs: number): Promise<void> {
    return this.#sender.confirmed(id, timeoutMs);
  }

  /** See {@linkcode ReliableSender.drained}. */
  drained(): Promise<void> {
    return this.#sender.drained();
  }

  /**
   * A TCP frame is about to go to `to` anyway: the acknowledgement records that ride in it
   * (R-NODE-REL-014), or undefined. Their record bytes count as acknowledgement bytes.
   */
  carry(to: NetId): OutgoingRecord[] | undefined {
    this.endFrame();
    const taken = this.#receiver.take(to);
    if (!taken) return undefined;
    const self = this.#h.self;
    const out: OutgoingRecord[] = [];
    const add = (typeTag: number, payload: Uint8Array) => {
      const origin = { ip: self.ip, port: self.port, seqno: this.#h.nextSeq() };
      out.push({ typeTag, origin, payload });
      // The record as the frame carries it (uncompressed): tag, origin reference (the sender is
      // in every frame's table already), sequence number, length, payload.
      this.#carriedBytes += varintLength(typeTag) + 1 + varintLength(origin.seqno) +
        varintLength(payload.length) + payload.length;
    };
    for (const t of taken) {
      add(SYS_ACK_TAG, t.ack);
      if (t.dup) add(SYS_DUP_TAG, t.dup);
    }
    return out;
  }

  #countControl(r: { frames: number; bytes: number }): void {
    this.#ctl.frames += r.frames;
    this.#ctl.bytes += r.bytes;
  }

  /** Counters. */
  stats(): ReliableStats {
    const rx = this.#receiver.stats;
    return {
      ...this.#sender.snapshot(),
      ...rx,
      // Every control frame: acknowledgements, acknowledgement requests, loss notices.
      ackFrames: rx.ackFrames + this.#ctl.frames,
      ackBytes: rx.ackBytes + this.#ctl.bytes + this.#carriedBytes,
      lostNotices: this.#lostNotices,
      lostReported: this.#lostReported,
      controlErrors: this.#controlErrors,
      controlIgnored: this.#controlIgnored,
      acksLimited: this.#acksLimited,
      repairsReceived: this.#repairsReceived,
      needlessRepairs: this.#needlessRepairs,
      multicastRepairsReceived: this.#mcRepairsReceived,
      multicastRepairsUseful: this.#mcRepairsUseful,
    };
  }

  /** Send pending acknowledgements, give up unconfirmed messages (reason `closed`). */
  close(): void {
    this.endFrame();
    this.#receiver.close();
    this.#sender.close();
  }
}
