/**
 * The peers a node knows, with their liveness state, and the one rule that changes it on
 * evidence (newest evidence wins; a leave is final until the peer is heard again; suspicion is
 * refuted by any newer evidence). Used by the failure detector (src/node/liveness.ts), which
 * adds heartbeats, probes and timeouts. [R-NODE-LIVE-*] Internal: not exported by the package
 * (the types are, through liveness.ts).
 *
 * @module
 */

import type { Profile } from "../wire/message.ts";
import { type NetId, netIdKey } from "../wire/netid.ts";
import type { NodeClock } from "./clock.ts";
import type { NodeEvents } from "./events.ts";

/** A peer's liveness state. */
export type PeerState = "alive" | "suspect" | "dead" | "left";

/**
 * How this node last heard of a peer: its multicast, its TCP frame, second-hand (another
 * node's heartbeat digest or probe answer), or only named in another node's frame.
 */
export type HeardBy = "multicast" | "tcp" | "gossip" | "named";

/**
 * What a node knows about one peer. It carries `ip` and `port`, so a record is a NetID and
 * `node.broadcast(node.peers(), ...)` works.
 */
export interface PeerRecord {
  /** The peer's address. */
  ip: string;
  /** The peer's TCP port. */
  port: number;
  /** Its state. */
  state: PeerState;
  /** When it was last heard of (clock milliseconds; second-hand evidence included). */
  lastHeard: number;
  /** Milliseconds since then, at the time of the snapshot. */
  lastHeardAgoMs: number;
  /** When it entered `state` (clock milliseconds). */
  since: number;
  /** Its multicast domain: peers that hear each other's multicast share a key. */
  domain: string;
  /** How it was last heard of. */
  heardBy: HeardBy;
  /** The profile of its frames, once heard directly. */
  profile?: Profile;
  /** True when it hears this node's multicast. */
  hearsUs: boolean;
}

/** What the table holds about one peer. */
export interface PeerEntry {
  id: NetId;
  key: string;
  state: PeerState;
  since: number;
  lastHeard: number;
  lastMulticast: number;
  heardBy: HeardBy;
  profile?: Profile;
  incarnation?: number;
  /** The newest heartbeat stamp known from it. */
  stamp?: number;
  probeNonce?: number;
  probeDeadline?: number;
  probeStarted?: number;
  advertised: number;
  /** The peer is a seed we asked for peers: ask again only while it is not alive. */
  asked?: number;
  /** Creation order (the table's iteration order). */
  seq: number;
  /** Its registration in the liveness wheel (R-NODE-SCALE-009). */
  due?: number;
}

/** The counters the table keeps (a part of `LivenessStats`). */
export interface PeerTableCounters {
  /** Leave announcements received. */
  leaves: number;
  /** Suspect peers heard again (suspicion refuted). */
  refuted: number;
  /** Dead, left or restarted peers heard again. */
  rejoined: number;
}

/** What the table needs from the node for peer records. */
export interface PeerTablePort {
  /** The multicast domain key of `id`. */
  domainOf(id: NetId): string;
  /** True when `id` hears our multicast. */
  hearsUs(id: NetId): boolean;
}

/** Who keeps the table's entries in a maintenance wheel (R-NODE-SCALE-009). */
export interface PeerTableWatch {
  /** `e` was created or changed state: register it at its next due time. */
  changed(e: PeerEntry): void;
  /** `e` left the table. */
  removed(e: PeerEntry): void;
}

/** The peers of one node, by NetID key. */
export class PeerTable {
  readonly #selfKey: string;
  readonly #maxPeers: number;
  readonly #clock: NodeClock;
  readonly #port: PeerTablePort;
  readonly #events: NodeEvents;
  readonly #s: PeerTableCounters;
  readonly #peers = new Map<string, PeerEntry>();
  #seq = 0;
  /** Set by the failure detector. */
  watch: PeerTableWatch | undefined;

  /** The table of node `self`, at most `maxPeers` entries; counts into `counters`. */
  constructor(
    self: NetId,
    maxPeers: number,
    clock: NodeClock,
    port: PeerTablePort,
    events: NodeEvents,
    counters: PeerTableCounters,
  ) {
    this.#selfKey = netIdKey(self);
    this.#maxPeers = maxPeers;
    this.#clock = clock;
    this.#port = port;
    this.#events = events;
    this.#s = counters;
  }

  /** Peers tracked. */
  get size(): number {
    return this.#peers.size;
  }

  /** The entry of a NetID key. */
  get(key: string): PeerEntry | undefined {
    return this.#peers.get(key);
  }

  /** Every entry, in insertion order. */
  values(): IterableIterator<PeerEntry> {
    return this.#peers.values();
  }

  /** Forget the peer of `key`. */
  delete(key: string): void {
    const e = this.#peers.get(key);
    if (!e) return;
    this.#peers.delete(key);
    this.watch?.removed(e);
  }

  /** `id` was named in a frame: track it if it is new. */
  named(id: NetId, now: number): void {
    const k = netIdKey(id);
    if (k === this.#selfKey || this.#peers.has(k)) return;
    this.evidence(id, now, "named", false);
  }

  /**
   * Apply evidence about `id` from time `at`: alive, or left when `left`. Older evidence than
   * what we have is ignored. Returns the entry.
   */
  evidence(id: NetId, at: number, by: HeardBy, left: boolean): PeerEntry | undefined {
    const k = netIdKey(id);
    if (k === this.#selfKey) return undefined;
    let e = this.#peers.get(k);
    if (!e) {
      if (left) return undefined;
      if (this.#peers.size >= this.#maxPeers && !this.#evict()) return undefined;
      e = {
        id: { ip: id.ip, port: id.port },
        key: k,
        state: "alive",
        since: at,
        lastHeard: at,
        lastMulticast: -Infinity,
        heardBy: by,
        advertised: -Infinity,
        seq: this.#seq++,
      };
      this.#peers.set(k, e);
      this.watch?.changed(e);
      this.emit("peerJoin", e);
      return e;
    }
    const direct = by === "multicast" || by === "tcp";
    if (at < e.lastHeard || (!direct && !left && at === e.lastHeard)) return e;
    e.lastHeard = at;
    if (by !== "named" || e.heardBy === "named") e.heardBy = by;
    if (e.probeStarted === undefined || at > e.probeStarted) {
      e.probeNonce = undefined;
      e.probeDeadline = undefined;
      e.probeStarted = undefined;
    }
    if (left) {
      if (e.state !== "left") {
        this.#s.leaves++;
        this.setState(e, "left", at);
        this.emit("peerLeave", e);
      }
      return e;
    }
    if (e.state === "suspect") {
      this.#s.refuted++;
      this.setState(e, "alive", at);
      this.emit("peerAlive", e);
    } else if (
      e.state === "dead" ||
      // A left peer comes back with a heartbeat of its own (see #onHeartbeat) or by rumour
      // clearly newer than its leave.
      (e.state === "left" && by === "gossip")
    ) {
      this.#s.rejoined++;
      this.setState(e, "alive", at);
      this.emit("peerRejoin", e);
    }
    return e;
  }

  /** Move `e` to state `s` (its `since` never goes back). */
  setState(e: PeerEntry, s: PeerState, at: number): void {
    e.state = s;
    e.since = Math.max(at, e.since);
    this.watch?.changed(e);
  }

  /** Make room: forget the dead or left peer heard of longest ago, else the stalest peer. */
  #evict(): boolean {
    let victim: PeerEntry | undefined;
    for (const e of this.#peers.values()) {
      const gone = e.state === "dead" || e.state === "left";
      const vGone = victim && (victim.state === "dead" || victim.state === "left");
      if (!victim || (gone && !vGone) || (gone === vGone && e.lastHeard < victim.lastHeard)) {
        victim = e;
      }
    }
    if (!victim) return false;
    this.delete(victim.key);
    return true;
  }

  /** The public record of `e` at `now`. */
  record(e: PeerEntry, now: number): PeerRecord {
    const r: PeerRecord = {
      ip: e.id.ip,
      port: e.id.port,
      state: e.state,
      lastHeard: e.lastHeard,
      lastHeardAgoMs: Math.max(0, now - e.lastHeard),
      since: e.since,
      domain: this.#port.domainOf(e.id),
      heardBy: e.heardBy,
      hearsUs: this.#port.hearsUs(e.id),
    };
    if (e.profile) r.profile = e.profile;
    return r;
  }

  /** Tell the listeners of `type` about `e`. */
  emit(
    type: "peerJoin" | "peerSuspect" | "peerDead" | "peerLeave" | "peerRejoin" | "peerAlive",
    e: PeerEntry,
  ): void {
    if (this.#events.has(type)) {
      this.#events.emit(type, { peer: this.record(e, this.#clock.now()) });
    }
  }
}
