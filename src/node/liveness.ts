/**
 * Peer liveness: heartbeats, seeds with peer exchange, and a failure detector. The rules are
 * in spec/node.md, section "Liveness" ([R-NODE-LIVE-*]).
 *
 * The detector is gossip-style heartbeating with SWIM-style suspicion:
 *
 * - Every node multicasts a heartbeat each interval (jittered ±10 %), skipped when a data frame
 *   went out by multicast within the interval (data frames carry the same gossip), and every
 *   `tcpHeartbeatEvery` intervals sends one by TCP to its seeds and to one representative per
 *   remote multicast domain (the other IDs of its frames). Heartbeats carry a bounded digest of
 *   peers with how long ago the sender heard each, so a node learns of peers in domains its
 *   multicast does not reach, and how fresh they are, second-hand; freshness only moves
 *   forward (the newest evidence wins), so a dead peer is not kept alive by rumours.
 * - A peer silent (no direct or second-hand evidence) for `suspectIntervals` intervals (times
 *   `tcpHeartbeatEvery` for a peer outside our multicast domain) is probed: a direct TCP ping
 *   and `indirectProbes` pings through other alive peers, which probe it for us (SWIM's
 *   ping-req). With no answer within one more interval it becomes suspect; after
 *   `deadIntervals` intervals of suspicion, dead. Any frame from it makes it alive again.
 * - A node that closes cleanly sends a leave heartbeat; a restarted node's first heartbeat
 *   (sent at start, with a new incarnation) makes it alive again at once.
 *
 * Multicast loss alone never makes a peer suspect unless the probes are lost too: probes go
 * by TCP. The price is that detection takes the silence window plus one probe interval.
 *
 * @module
 */

import { InvalidValueError } from "../errors.ts";
import type { Gossip } from "../wire/gossip.ts";
import type { Profile } from "../wire/message.ts";
import { type NetId, netIdKey } from "../wire/netid.ts";
import type { NodeClock as Clock, TimerHandle } from "./clock.ts";
import type { NodeEvents } from "./events.ts";
import type { TransportKind } from "./frame_codec.ts";
import { randomInt, type RandomSource, shuffle } from "./random.ts";
import { TimeWheel } from "./expiry.ts";
import {
  type HeardBy,
  type PeerEntry,
  type PeerRecord,
  type PeerState,
  PeerTable,
} from "./peer_table.ts";
import {
  decodeHeartbeat,
  decodeProbe,
  type DigestEntry,
  encodeHeartbeat,
  encodeProbe,
  HB_LEAVE,
  HB_REPLY,
  HB_WANT_PEERS,
  MAX_DIGEST,
  stampNewer,
  SYS_TAGS,
} from "./sys_codec.ts";

export type { HeardBy, PeerRecord, PeerState };

/** Liveness settings, resolved (see `NodeOptions`). */
export interface LivenessOptions {
  /** Heartbeat interval in ms; 0 turns heartbeats and failure detection off. */
  heartbeatMs: number;
  /** Send TCP heartbeats every this many intervals. */
  tcpHeartbeatEvery: number;
  /** Intervals of silence before a peer is probed. */
  suspectIntervals: number;
  /** Intervals of suspicion before a peer is dead. */
  deadIntervals: number;
  /** Peers asked to probe a silent peer for us. */
  indirectProbes: number;
  /** Seeds: nodes sent TCP heartbeats that ask for a peer list. */
  seeds: NetId[];
  /** Peers (other than dead and left ones) are forgotten after this long without evidence. */
  peerTtlMs: number;
  /** Most peers tracked. */
  maxPeers: number;
  /** Multicast is on. */
  multicast: boolean;
}

/** A control record to send. */
export interface SysRecord {
  /** Its type tag (one of `SYS_TAGS`). */
  tag: number;
  /** Its payload. */
  payload: Uint8Array;
}

/** What liveness needs from the node. */
export interface LivenessPort {
  /** Send records by multicast (one frame); false when nothing went out. */
  multicast(recs: SysRecord[]): boolean;
  /** Send records by TCP to `to` (one frame); false when dropped. */
  tcp(to: NetId, recs: SysRecord[]): boolean;
  /** The multicast domain key of `id`. */
  domainOf(id: NetId): string;
  /** True when `id` hears our multicast. */
  hearsUs(id: NetId): boolean;
  /** Representatives of remote domains. */
  otherIds(): NetId[];
}

/** Liveness counters (in `stats().liveness`). */
export interface LivenessStats {
  /** Heartbeats sent by multicast. */
  heartbeatsMulticast: number;
  /** Heartbeats sent by TCP (to seeds and remote representatives). */
  heartbeatsTcp: number;
  /** Multicast heartbeats skipped because a data frame had just gone out. */
  heartbeatsSkipped: number;
  /** Heartbeats received. */
  heartbeatsReceived: number;
  /** Peer lists sent to joining nodes (answers to seeds' requests). */
  peerExchangeReplies: number;
  /** Peer list requests not answered because of the per-interval cap. */
  peerExchangeDropped: number;
  /** Direct probes sent. */
  probes: number;
  /** Indirect probe requests sent. */
  indirectProbes: number;
  /** Probes sent for other nodes (as the intermediate). */
  probesRelayed: number;
  /** Probe answers received. */
  acks: number;
  /** Peers that became suspect. */
  suspected: number;
  /** Suspect peers heard again (suspicion refuted). */
  refuted: number;
  /** Peers that became dead. */
  died: number;
  /** Leave announcements received. */
  leaves: number;
  /** Dead, left or restarted peers heard again. */
  rejoined: number;
  /** Control records whose payload did not decode. */
  badRecords: number;
  /** Peers tracked now. */
  tracked: number;
}

/** Largest peer list sent to a joining node. [R-NODE-LIVE-006] */
export const MAX_PEER_EXCHANGE = MAX_DIGEST;
/** Most digest entries in a regular heartbeat. */
export const HEARTBEAT_DIGEST = 24;
/** Most peer-list answers a node sends per heartbeat interval. [R-NODE-LIVE-006] */
export const MAX_PEX_REPLIES_PER_INTERVAL = 8;

/** The failure detector and heartbeat sender of one node. */
export class Liveness {
  readonly #self: NetId;
  readonly #selfKey: string;
  readonly #o: LivenessOptions;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #port: LivenessPort;
  readonly #events: NodeEvents;
  readonly #table: PeerTable;
  /** Probes we send for others: our nonce -> (requester, its nonce, target). */
  readonly #relays = new Map<number, { to: NetId; nonce: number; target: NetId; until: number }>();
  readonly #incarnation: number;
  /** Each peer at the time it is next due for the detector (R-NODE-SCALE-009). */
  readonly #wheel: TimeWheel<PeerEntry>;
  #visited = 0;
  /** Probe helpers of this tick, found once (R-NODE-SCALE-009). */
  #helpers: PeerEntry[] | undefined;
  #timer: TimerHandle | undefined;
  #ticks = 0;
  #tcpRounds = 0;
  #lastDataMulticast = -Infinity;
  #pexThisTick = 0;
  #stopped = false;
  readonly s: Omit<LivenessStats, "tracked"> = {
    heartbeatsMulticast: 0,
    heartbeatsTcp: 0,
    heartbeatsSkipped: 0,
    heartbeatsReceived: 0,
    peerExchangeReplies: 0,
    peerExchangeDropped: 0,
    probes: 0,
    indirectProbes: 0,
    probesRelayed: 0,
    acks: 0,
    suspected: 0,
    refuted: 0,
    died: 0,
    leaves: 0,
    rejoined: 0,
    badRecords: 0,
  };

  /** Create the detector for node `self`. */
  constructor(
    self: NetId,
    o: LivenessOptions,
    clock: Clock,
    random: RandomSource,
    port: LivenessPort,
    events: NodeEvents,
  ) {
    this.#self = self;
    this.#selfKey = netIdKey(self);
    this.#o = o;
    this.#clock = clock;
    this.#random = random;
    this.#port = port;
    this.#events = events;
    this.#table = new PeerTable(self, o.maxPeers, clock, port, events, this.s);
    this.#wheel = new TimeWheel(o.heartbeatMs > 0 ? o.heartbeatMs : o.peerTtlMs / 64);
    this.#table.watch = {
      changed: (e) => this.#schedule(e),
      removed: (e) => this.#wheel.remove(e),
    };
    this.#incarnation = (Math.floor(clock.now()) ^ randomInt(random, 0x10000)) >>> 0;
  }

  /** True for the tags of control records. */
  static isSys(tag: number): boolean {
    return tag === SYS_TAGS.heartbeat || tag === SYS_TAGS.ping || tag === SYS_TAGS.ack;
  }

  get #on(): boolean {
    return this.#o.heartbeatMs > 0;
  }

  /** Send the first heartbeat now and keep sending. */
  start(): void {
    if (!this.#on) return;
    this.#tick();
  }

  #arm(): void {
    const hb = this.#o.heartbeatMs;
    const ms = Math.max(1, Math.round(hb * (0.9 + 0.2 * this.#random.next())));
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#stopped) this.#tick();
    }, ms);
  }

  /** Peers the last detector tick (or `maintain` without heartbeats) looked at. [R-NODE-SCALE-009] */
  get lastTickVisited(): number {
    return this.#visited;
  }

  /**
   * The earliest time the detector may have something to do for `e` (R-NODE-SCALE-009): the
   * rules of {@linkcode Liveness.#detect} solved for the time, from the entry as it is now.
   */
  #dueAt(e: PeerEntry): number {
    if (!this.#on) return e.lastHeard + this.#o.peerTtlMs;
    if (e.state === "alive") {
      if (e.probeDeadline !== undefined) return e.probeDeadline;
      // Silent when now − lastHeard exceeds the window: w while in our domain (now −
      // lastMulticast <= TTL), w × tcpHeartbeatEvery after.
      const w = (this.#o.suspectIntervals + 0.5) * this.#o.heartbeatMs;
      const inDomainUntil = e.lastMulticast + this.#o.peerTtlMs;
      const near = e.lastHeard + w;
      return near < inDomainUntil
        ? near
        : Math.max(inDomainUntil, e.lastHeard + w * this.#o.tcpHeartbeatEvery);
    }
    if (e.state === "suspect") return e.since + this.#o.deadIntervals * this.#o.heartbeatMs;
    return e.lastHeard + 2 * this.#o.peerTtlMs;
  }

  /** Register `e` at its due time when that is earlier than its registration. */
  #schedule(e: PeerEntry): void {
    const t = this.#dueAt(e);
    if (e.due === undefined || t < e.due) this.#wheel.add(e, t);
  }

  /** Counters. */
  stats(): LivenessStats {
    return { ...this.s, tracked: this.#table.size };
  }

  /** A multicast data frame went out: the next heartbeat may be skipped. */
  dataSent(): void {
    this.#lastDataMulticast = this.#clock.now();
  }

  /** A frame arrived from `sender`: direct evidence. */
  heard(g: Gossip, kind: TransportKind, profile: Profile): void {
    const now = this.#clock.now();
    const e = this.#table.evidence(g.current, now, kind === "udp" ? "multicast" : "tcp", false);
    if (e) {
      e.profile = profile;
      if (kind === "udp") {
        // In our domain (again): its silence window may end earlier now. [R-NODE-SCALE-009]
        e.lastMulticast = now;
        this.#schedule(e);
      }
    }
    // Seen IDs may name nodes long gone (they age out after the TTL): with heartbeats on,
    // live peers are learned from heartbeats instead.
    if (!this.#on) { for (const o of g.seen) this.#table.named(o, now); }
    for (const o of g.other) this.#table.named(o, now);
    for (const d of g.distribution) this.#table.named(d, now);
  }

  /** A control record arrived from `sender`. */
  record(tag: number, payload: Uint8Array, sender: NetId): void {
    try {
      if (tag === SYS_TAGS.heartbeat) this.#onHeartbeat(decodeHeartbeat(payload), sender);
      else if (tag === SYS_TAGS.ping) this.#onPing(decodeProbe(payload), sender);
      else if (tag === SYS_TAGS.ack) this.#onAck(decodeProbe(payload), sender);
    } catch (e) {
      // Malformed control records: sys_codec throws RangeError, the wire helpers it uses
      // InvalidValueError.
      if (!(e instanceof RangeError || e instanceof InvalidValueError)) throw e;
      this.s.badRecords++;
    }
  }

  #onHeartbeat(h: ReturnType<typeof decodeHeartbeat>, sender: NetId): void {
    this.s.heartbeatsReceived++;
    const now = this.#clock.now();
    const e = this.#table.get(netIdKey(sender));
    if (e) {
      if (e.stamp === undefined || stampNewer(h.stamp, e.stamp)) e.stamp = h.stamp;
      if (h.flags & HB_LEAVE) {
        this.#table.evidence(sender, now, e.heardBy, true);
        return;
      }
      if (e.state === "left") {
        this.s.rejoined++;
        this.#table.setState(e, "alive", now);
        this.#table.emit("peerRejoin", e);
      } else if (
        e.incarnation !== undefined && e.incarnation !== h.incarnation && e.state === "alive"
      ) {
        // Restarted between two heartbeats. [R-NODE-LIVE-005]
        this.s.rejoined++;
        this.#table.emit("peerRejoin", e);
      }
      e.incarnation = h.incarnation;
    }
    for (const d of h.digest) {
      // Only a stamp newer than the one we know is news. [R-NODE-LIVE-002]
      const k = netIdKey(d.id);
      if (k === this.#selfKey) continue;
      const x = this.#table.get(k);
      if (x && x.stamp !== undefined && !stampNewer(d.stamp, x.stamp)) continue;
      // A rumour refutes suspicion (or death) only when the peer's own clock says it lived
      // most of a silence window past our last news: late news of a heartbeat from before it
      // died must not restart detection. [R-NODE-LIVE-004]
      if (
        x && x.stamp !== undefined && (x.state === "suspect" || x.state === "dead") &&
        ((d.stamp - x.stamp) >>> 0) < 0.8 * this.#silenceLimit(x, now)
      ) continue;
      const y = this.#table.evidence(d.id, now, "gossip", d.left);
      if (y) y.stamp = d.stamp;
    }
    if ((h.flags & HB_WANT_PEERS) && !(h.flags & HB_REPLY)) {
      if (this.#pexThisTick >= MAX_PEX_REPLIES_PER_INTERVAL) {
        this.s.peerExchangeDropped++;
        return;
      }
      this.#pexThisTick++;
      this.s.peerExchangeReplies++;
      this.#port.tcp(sender, [this.#heartbeat(HB_REPLY, MAX_PEER_EXCHANGE, "tcp")]);
    }
  }

  #onPing(p: { nonce: number; target: NetId }, sender: NetId): void {
    if (netIdKey(p.target) === this.#selfKey) {
      this.#port.tcp(sender, [{
        tag: SYS_TAGS.ack,
        payload: encodeProbe({ nonce: p.nonce, target: this.#self }),
      }]);
      return;
    }
    // Probe the target for the sender (SWIM ping-req). [R-NODE-LIVE-004]
    const nonce = this.#nonce();
    this.#relays.set(nonce, {
      to: sender,
      nonce: p.nonce,
      target: p.target,
      until: this.#clock.now() + 2 * this.#o.heartbeatMs,
    });
    this.s.probesRelayed++;
    this.#port.tcp(p.target, [{
      tag: SYS_TAGS.ping,
      payload: encodeProbe({ nonce, target: p.target }),
    }]);
  }

  #onAck(p: { nonce: number; target: NetId }, sender: NetId): void {
    this.s.acks++;
    const r = this.#relays.get(p.nonce);
    if (r && netIdKey(r.target) === netIdKey(sender)) {
      this.#relays.delete(p.nonce);
      this.#port.tcp(r.to, [{
        tag: SYS_TAGS.ack,
        payload: encodeProbe({ nonce: r.nonce, target: r.target }),
      }]);
      return;
    }
    // An indirect answer: the intermediate heard the target just now.
    if (netIdKey(sender) !== netIdKey(p.target)) {
      const e = this.#table.get(netIdKey(p.target));
      if (e && e.probeNonce === p.nonce) {
        this.#table.evidence(p.target, this.#clock.now(), "gossip", false);
      }
    }
  }

  #nonce(): number {
    return randomInt(this.#random, 0x1_0000_0000);
  }

  #inDomain(e: PeerEntry, now: number): boolean {
    return now - e.lastMulticast <= this.#o.peerTtlMs;
  }

  #silenceLimit(e: PeerEntry, now: number): number {
    const w = (this.#o.suspectIntervals + 0.5) * this.#o.heartbeatMs;
    return this.#inDomain(e, now) ? w : w * this.#o.tcpHeartbeatEvery;
  }

  /** Build a heartbeat record with up to `max` digest entries, least recently advertised first. */
  #heartbeat(flags: number, max: number, via: "multicast" | "tcp"): SysRecord {
    const now = this.#clock.now();
    const cands: PeerEntry[] = [];
    for (const e of this.#table.values()) {
      if (e.state === "suspect" || e.state === "dead") continue;
      if (e.state === "alive" && now - e.lastHeard > this.#silenceLimit(e, now)) continue;
      // Our domain hears itself: a multicast digest names peers from elsewhere.
      if (via === "multicast" && this.#inDomain(e, now)) continue;
      cands.push(e);
    }
    cands.sort((a, b) => a.advertised - b.advertised);
    const digest: DigestEntry[] = [];
    for (const e of cands) {
      if (digest.length >= max) break;
      if (e.stamp === undefined) continue;
      e.advertised = now;
      digest.push({ id: e.id, stamp: e.stamp, left: e.state === "left" });
    }
    return {
      tag: SYS_TAGS.heartbeat,
      payload: encodeHeartbeat({
        flags,
        incarnation: this.#incarnation,
        stamp: Math.floor(now) >>> 0,
        digest,
      }),
    };
  }

  #tick(): void {
    const now = this.#clock.now();
    const hb = this.#o.heartbeatMs;
    const first = this.#ticks === 0;
    this.#ticks++;
    this.#pexThisTick = 0;
    // Multicast heartbeat, unless a data frame just carried our gossip (but a full heartbeat,
    // with its digest, at least every fourth interval). [R-NODE-LIVE-001], [R-NODE-LIVE-003]
    if (this.#o.multicast) {
      if (now - this.#lastDataMulticast < hb && this.#ticks % 4 !== 0) {
        this.s.heartbeatsSkipped++;
      } else {
        this.s.heartbeatsMulticast++;
        this.#port.multicast([this.#heartbeat(0, HEARTBEAT_DIGEST, "multicast")]);
      }
    }
    // TCP heartbeats to seeds (asking for peers) and to remote domains. [R-NODE-LIVE-002]
    if (first || this.#ticks % this.#o.tcpHeartbeatEvery === 1 || this.#o.tcpHeartbeatEvery === 1) {
      const targets = new Map<string, { id: NetId; seed: boolean }>();
      for (const s of this.#o.seeds) {
        // Ask a seed for peers on the first rounds and whenever it is not alive to us (a
        // partition healing, the seed restarted). [R-NODE-LIVE-006]
        const e = this.#table.get(netIdKey(s));
        const ask = this.#tcpRounds < 3 || !e || e.state !== "alive";
        targets.set(netIdKey(s), { id: s, seed: ask });
      }
      this.#tcpRounds++;
      for (const r of this.#port.otherIds()) {
        const k = netIdKey(r);
        if (!targets.has(k)) targets.set(k, { id: r, seed: false });
      }
      targets.delete(this.#selfKey);
      for (const t of targets.values()) {
        this.s.heartbeatsTcp++;
        this.#port.tcp(t.id, [
          this.#heartbeat(t.seed ? HB_WANT_PEERS : 0, HEARTBEAT_DIGEST, "tcp"),
        ]);
      }
    }
    this.#detect(now);
    this.#arm();
  }

  /**
   * Probe silent peers, suspect unanswered ones, declare long-suspected ones dead. Only the
   * peers due now are looked at, in the table's order (R-NODE-SCALE-009).
   */
  #detect(now: number): void {
    for (const [n, r] of this.#relays) if (r.until < now) this.#relays.delete(n);
    const due: PeerEntry[] = [];
    this.#visited = this.#wheel.due(now, (e) => void due.push(e));
    due.sort((a, b) => a.seq - b.seq);
    this.#helpers = undefined;
    for (const e of due) {
      this.#check(e, now);
      if (this.#table.get(e.key) === e) this.#schedule(e);
    }
    this.#helpers = undefined;
  }

  /** The detector's rule for one peer at `now`. */
  #check(e: PeerEntry, now: number): void {
    const hb = this.#o.heartbeatMs;
    if (e.state === "alive") {
      if (now - e.lastHeard <= this.#silenceLimit(e, now)) {
        // Heard again (directly, through a probe, or second-hand): no probe pending.
        e.probeDeadline = e.probeNonce = e.probeStarted = undefined;
        return;
      }
      if (e.probeDeadline === undefined) this.#probe(e, now);
      else if (now >= e.probeDeadline) {
        e.probeDeadline = undefined;
        e.probeNonce = undefined;
        e.probeStarted = undefined;
        this.s.suspected++;
        this.#table.setState(e, "suspect", now);
        this.#table.emit("peerSuspect", e);
      }
    } else if (e.state === "suspect") {
      if (now - e.since >= this.#o.deadIntervals * hb) {
        this.s.died++;
        this.#table.setState(e, "dead", now);
        this.#table.emit("peerDead", e);
      }
    } else if (now - e.lastHeard > 2 * this.#o.peerTtlMs) {
      this.#table.delete(e.key);
    }
  }

  #probe(e: PeerEntry, now: number): void {
    const nonce = this.#nonce();
    e.probeNonce = nonce;
    e.probeStarted = now;
    // Answers come within a round trip; the next tick (>= 0.9 intervals away) decides.
    e.probeDeadline = now + 0.8 * this.#o.heartbeatMs;
    const rec = { tag: SYS_TAGS.ping, payload: encodeProbe({ nonce, target: e.id }) };
    this.s.probes++;
    this.#port.tcp(e.id, [rec]);
    // The peers that may help are the same for every probe of a tick: found once per tick.
    if (!this.#helpers) {
      this.#helpers = [];
      for (const h of this.#table.values()) {
        if (h.state === "alive" && now - h.lastHeard <= this.#silenceLimit(h, now)) {
          this.#helpers.push(h);
        }
      }
    }
    const helpers = this.#helpers.filter((h) => h !== e);
    for (const h of shuffle(this.#random, helpers).slice(0, this.#o.indirectProbes)) {
      this.s.indirectProbes++;
      this.#port.tcp(h.id, [rec]);
    }
  }

  /** Without heartbeats: forget peers not heard of within the time-to-live. */
  maintain(): void {
    if (this.#on) return;
    const fresh = this.#clock.now() - this.#o.peerTtlMs;
    // Only the peers due to be forgotten are looked at. [R-NODE-SCALE-009]
    this.#visited = this.#wheel.due(this.#clock.now(), (e) => {
      if (e.lastHeard >= fresh) return e.lastHeard + this.#o.peerTtlMs;
      this.#table.delete(e.key);
    });
  }

  /** Announce that we leave (a clean close) and stop. [R-NODE-LIVE-005] */
  leave(): "none" | "tcp" | "multicast" {
    if (this.#stopped) return "none";
    this.stop();
    if (!this.#on) return "none";
    const rec = this.#heartbeat(HB_LEAVE, 0, "tcp");
    const mc = this.#o.multicast && this.#port.multicast([rec]);
    const to = new Map<string, NetId>();
    for (const s of this.#o.seeds) to.set(netIdKey(s), s);
    for (const r of this.#port.otherIds()) to.set(netIdKey(r), r);
    for (const e of this.#table.values()) {
      // Peers that do not hear our multicast learn it by TCP.
      if (e.state === "alive" && !this.#port.hearsUs(e.id) && to.size < 16) to.set(e.key, e.id);
    }
    to.delete(this.#selfKey);
    let tcp = false;
    for (const t of to.values()) tcp = this.#port.tcp(t, [rec]) || tcp;
    return mc ? "multicast" : tcp ? "tcp" : "none";
  }

  /** Stop the timer. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Records of the peers tracked; dead and left ones only with `includeGone`. */
  peers(includeGone = false): PeerRecord[] {
    const now = this.#clock.now();
    const out: PeerRecord[] = [];
    for (const e of this.#table.values()) {
      if (!includeGone && (e.state === "dead" || e.state === "left")) continue;
      if (!this.#on && now - e.lastHeard > this.#o.peerTtlMs) continue;
      out.push(this.#table.record(e, now));
    }
    return out;
  }

  /** NetIDs of the peers alive or suspect: what `broadcast("all", ...)` sends to. */
  alive(): NetId[] {
    const now = this.#clock.now();
    const out: NetId[] = [];
    for (const e of this.#table.values()) {
      if (e.state !== "alive" && e.state !== "suspect") continue;
      if (!this.#on && now - e.lastHeard > this.#o.peerTtlMs) continue;
      out.push(e.id);
    }
    return out;
  }
}
