/**
 * What a node has learned about its peers: who exists, whom it hears on multicast, and whom
 * each peer hears (from the seen IDs its frames carry). Bounded in size; entries not heard
 * from within the time-to-live age out. [R-NODE-LEARN-001..005]
 *
 * @module
 */

import type { Gossip } from "../wire/gossip.ts";
import { type BroadcastId, type NetId, netIdKey } from "../wire/netid.ts";
import type { NodeClock } from "./clock.ts";
import type { PlanView } from "./plan.ts";
import { randomInt, type RandomSource } from "./random.ts";

/** Limits of a {@linkcode PeerDb}. */
export interface PeerDbOptions {
  /** Most peers remembered; the least recently heard is forgotten first. */
  maxPeers: number;
  /** A peer (and what it told us) not heard from for this long is forgotten. */
  peerTtlMs: number;
  /** Most seen IDs our frames carry. */
  maxSeenIds: number;
  /** Most "other IDs" our frames carry: representatives of distinct domains. */
  maxOtherIds: number;
}

interface PeerEntry {
  id: NetId;
  at: number;
}

/**
 * The peer database. Also the {@linkcode PlanView} the broadcast planner reads.
 *
 * @example
 * ```ts
 * import { ManualClock, seededRandom } from "@chatter/chatter/testing";
 * import { PeerDb } from "./peer_db.ts";
 * const self = { ip: "10.0.0.1", port: 1 };
 * const db = new PeerDb(self, { maxPeers: 100, peerTtlMs: 60_000, maxSeenIds: 32, maxOtherIds: 4 }, new ManualClock(), seededRandom(1));
 * const peer = { ip: "10.0.0.2", port: 1, seqno: 7 };
 * db.learn({ current: peer, seen: [{ ...self, seqno: 1 }], other: [], distribution: [] }, "tcp");
 * db.hearsUs(peer); // true: its seen IDs name us
 * ```
 */
export class PeerDb implements PlanView {
  readonly #self: NetId;
  readonly #selfKey: string;
  readonly #opts: PeerDbOptions;
  readonly #clock: NodeClock;
  readonly #random: RandomSource;
  readonly #peers = new Map<string, PeerEntry>();
  /** Whom we hear on multicast: key -> latest BroadcastID and when. */
  readonly #heard = new Map<string, { id: BroadcastId; at: number }>();
  /** src key -> (dst key -> when): src hears dst on multicast. */
  readonly #hears = new Map<string, Map<string, number>>();
  /** dst key -> src keys with an edge to it: forgetting a peer costs its edges, not the map. */
  readonly #heardBy = new Map<string, Set<string>>();
  #domains: Map<string, string> | undefined;
  #reps: NetId[] = [];
  #repAt = 0;

  /** Create an empty database for the node `self`. */
  constructor(self: NetId, opts: PeerDbOptions, clock: NodeClock, random: RandomSource) {
    this.#self = self;
    this.#selfKey = netIdKey(self);
    this.#opts = opts;
    this.#clock = clock;
    this.#random = random;
  }

  /** Number of peers remembered. */
  get size(): number {
    return this.#peers.size;
  }

  #touch(id: NetId, now: number): string {
    const k = netIdKey(id);
    if (k === this.#selfKey) return k;
    const e = this.#peers.get(k);
    if (e) {
      if (now > e.at) {
        e.at = now;
        // Keep the map in least-recently-heard order: eviction takes the first entry.
        this.#peers.delete(k);
        this.#peers.set(k, e);
      }
      return k;
    }
    if (this.#peers.size >= this.#opts.maxPeers) this.#evictOldest();
    this.#peers.set(k, { id: { ip: id.ip, port: id.port }, at: now });
    return k;
  }

  /** Forget the least recently heard peer: the map's first entry (constant time). [R-NODE-AMP-002] */
  #evictOldest(): void {
    for (const k of this.#peers.keys()) {
      this.#forget(k);
      return;
    }
  }

  #forget(k: string): void {
    this.#peers.delete(k);
    this.#heard.delete(k);
    const out = this.#hears.get(k);
    if (out) {
      this.#hears.delete(k);
      this.#domains = undefined;
      for (const dst of out.keys()) this.#heardBy.get(dst)?.delete(k);
    }
    const into = this.#heardBy.get(k);
    if (into) {
      this.#heardBy.delete(k);
      for (const src of into) {
        const m = this.#hears.get(src);
        if (m?.delete(k)) {
          this.#domains = undefined;
          if (m.size === 0) this.#hears.delete(src);
        }
      }
    }
  }

  #edge(src: string, dst: string, now: number): void {
    if (src === dst) return;
    let m = this.#hears.get(src);
    if (!m) this.#hears.set(src, m = new Map());
    if (!m.has(dst)) {
      this.#domains = undefined;
      let by = this.#heardBy.get(dst);
      if (!by) this.#heardBy.set(dst, by = new Set());
      by.add(src);
    }
    m.set(dst, now);
  }

  /**
   * Learn from a received frame's gossip: the sender exists; a multicast frame means we hear
   * the sender; its seen IDs say whom the sender hears; other IDs and the distribution list
   * name more peers.
   */
  learn(g: Gossip, transport: "tcp" | "udp"): void {
    const now = this.#clock.now();
    const sender = this.#touch(g.current, now);
    if (sender === this.#selfKey) return;
    if (transport === "udp") {
      this.#heard.set(sender, {
        id: { ip: g.current.ip, port: g.current.port, seqno: g.current.seqno },
        at: now,
      });
      this.#edge(this.#selfKey, sender, now);
    }
    for (const s of g.seen) this.#edge(sender, this.#touch(s, now), now);
    for (const o of g.other) this.#touch(o, now);
    for (const d of g.distribution) this.#touch(d, now);
  }

  /** Add peers named by the application (e.g. broadcast destinations) without any evidence. */
  know(ids: Iterable<NetId>): void {
    const now = this.#clock.now();
    for (const id of ids) {
      const k = netIdKey(id);
      if (k !== this.#selfKey && !this.#peers.has(k)) this.#touch(id, now);
    }
  }

  /** The seen IDs our next frame carries: whom we heard on multicast, most recent first. */
  seenIds(): BroadcastId[] {
    const fresh = this.#clock.now() - this.#opts.peerTtlMs;
    const out: { id: BroadcastId; at: number }[] = [];
    for (const h of this.#heard.values()) if (h.at >= fresh) out.push(h);
    out.sort((a, b) => b.at - a.at);
    return out.slice(0, this.#opts.maxSeenIds).map((h) => h.id);
  }

  /** True when `id`'s seen IDs recently named us. */
  hearsUs(id: NetId): boolean {
    const at = this.#hears.get(netIdKey(id))?.get(this.#selfKey);
    return at !== undefined && at >= this.#clock.now() - this.#opts.peerTtlMs;
  }

  /** True when `a`'s seen IDs recently named `b`. */
  hears(a: NetId, b: NetId): boolean {
    const at = this.#hears.get(netIdKey(a))?.get(netIdKey(b));
    return at !== undefined && at >= this.#clock.now() - this.#opts.peerTtlMs;
  }

  #computeDomains(): Map<string, string> {
    if (this.#domains) return this.#domains;
    const parent = new Map<string, string>();
    const find = (k: string): string => {
      let r = k;
      while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
      let c = k;
      while (c !== r) {
        const n = parent.get(c)!;
        parent.set(c, r);
        c = n;
      }
      return r;
    };
    const union = (a: string, b: string) => {
      const ra = find(a), rb = find(b);
      if (ra === rb) return;
      if (ra < rb) parent.set(rb, ra);
      else parent.set(ra, rb);
    };
    for (const [src, m] of this.#hears) {
      if (!parent.has(src)) parent.set(src, src);
      for (const dst of m.keys()) {
        if (!parent.has(dst)) parent.set(dst, dst);
        union(src, dst);
      }
    }
    const domains = new Map<string, string>();
    for (const k of parent.keys()) domains.set(k, find(k));
    this.#domains = domains;
    // One representative per domain other than ours, for the other IDs of our frames.
    const ours = domains.get(this.#selfKey) ?? this.#selfKey;
    const reps = new Map<string, NetId>();
    for (const [k, e] of this.#peers) {
      const d = domains.get(k) ?? k;
      if (d !== ours && !reps.has(d)) reps.set(d, e.id);
    }
    this.#reps = [...reps.values()];
    return domains;
  }

  /** The multicast domain of `id`: nodes linked by "hears" share one; unknown nodes have their own. */
  domainOf(id: NetId): string {
    const k = netIdKey(id);
    return this.#computeDomains().get(k) ?? k;
  }

  /** Up to `maxOtherIds` representatives of distinct domains other than ours, rotating. */
  otherIds(): NetId[] {
    this.#computeDomains();
    const reps = this.#reps;
    const n = Math.min(this.#opts.maxOtherIds, reps.length);
    if (n === 0) return [];
    if (reps.length > n) this.#repAt = randomInt(this.#random, reps.length);
    const out: NetId[] = [];
    for (let i = 0; i < n; i++) out.push(reps[(this.#repAt + i) % reps.length]);
    return out;
  }

  /** Peers heard from (or named) within the time-to-live, excluding ourselves. */
  peers(): NetId[] {
    const fresh = this.#clock.now() - this.#opts.peerTtlMs;
    const out: NetId[] = [];
    for (const e of this.#peers.values()) if (e.at >= fresh) out.push(e.id);
    return out;
  }

  /** Forget peers, hearing evidence and seen IDs older than the time-to-live. */
  sweep(): void {
    const fresh = this.#clock.now() - this.#opts.peerTtlMs;
    for (const [k, e] of this.#peers) if (e.at < fresh) this.#forget(k);
    for (const [k, h] of this.#heard) if (h.at < fresh) this.#heard.delete(k);
    for (const [src, m] of this.#hears) {
      for (const [dst, at] of m) {
        if (at < fresh) {
          m.delete(dst);
          const by = this.#heardBy.get(dst);
          by?.delete(src);
          if (by?.size === 0) this.#heardBy.delete(dst);
          this.#domains = undefined;
        }
      }
      if (m.size === 0) this.#hears.delete(src);
    }
  }
}
