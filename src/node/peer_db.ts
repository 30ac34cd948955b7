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
import { DomainMap } from "./domains.ts";
import { subnetKey } from "./subnet.ts";
import { TimeWheel } from "./expiry.ts";

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
  /**
   * Prefix length of our multicast domain's IP subnet (0: not known): remote destinations are
   * grouped by their subnet of this length. [R-NODE-SCALE-006]
   */
  subnetPrefixLength?: number;
}

interface PeerEntry {
  key: string;
  id: NetId;
  at: number;
  /** When it was last moved to the end of the least-recently-heard order. */
  moved: number;
  /** Its registration in the expiry wheel (R-NODE-SCALE-009). */
  due?: number;
}

/** We hear `key` on multicast: its latest BroadcastID and when. */
interface HeardEntry {
  key: string;
  id: BroadcastId;
  at: number;
  due?: number;
}

/** A "hears" fact: `src` hears `dst` on multicast, learned last at `at`. */
interface EdgeEntry {
  src: string;
  dst: string;
  at: number;
  due?: number;
}

/** A domain group fact: `key` shares a domain with `with`, learned last at `at`. */
interface GroupEntry {
  key: string;
  with: string;
  at: number;
  due?: number;
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
  readonly #heard = new Map<string, HeardEntry>();
  /** src key -> (dst key -> the fact): src hears dst on multicast. */
  readonly #hears = new Map<string, Map<string, EdgeEntry>>();
  /** dst key -> src keys with an edge to it: forgetting a peer costs its edges, not the map. */
  readonly #heardBy = new Map<string, Set<string>>();
  /**
   * Domains as an incremental union-find over every "hears" fact and domain group learned:
   * O(1) amortised per fact, rebuilt from the facts still fresh only when some expired or
   * were forgotten (at the next sweep). [R-NODE-SCALE-004]
   */
  readonly #dm = new DomainMap();
  #dmDirty = false;
  /** Domain groups learned (R-NODE-SCALE-004): member key -> a member of its group, and when. */
  readonly #groupOf = new Map<string, GroupEntry>();
  /**
   * When each peer, hearing fact and group fact is next due to expire (R-NODE-SCALE-009): a
   * sweep looks at what is due, not at everything held.
   */
  readonly #peersDue: TimeWheel<PeerEntry>;
  readonly #heardDue: TimeWheel<HeardEntry>;
  readonly #edgesDue: TimeWheel<EdgeEntry>;
  readonly #groupsDue: TimeWheel<GroupEntry>;
  #swept = 0;
  /** The most recently heard senders, newest last, at most `maxSeenIds`. */
  readonly #recent = new Map<string, BroadcastId>();
  /** Groups learned most recently (a ring of 32), passed on so domains spread epidemically. */
  readonly #ring: NetId[][] = [];
  #ringAt = 0;
  #reps: NetId[] | undefined;
  #repAt = 0;
  /** Our own subnet's key (R-NODE-SCALE-006), when the prefix length is known. */
  readonly #ownSubnet: string | undefined;

  /** Create an empty database for the node `self`. */
  constructor(self: NetId, opts: PeerDbOptions, clock: NodeClock, random: RandomSource) {
    this.#self = self;
    this.#selfKey = netIdKey(self);
    this.#opts = opts;
    this.#clock = clock;
    this.#random = random;
    const len = opts.subnetPrefixLength ?? 0;
    this.#ownSubnet = len > 0 ? subnetKey(self.ip, len) : undefined;
    const width = Math.max(1, opts.peerTtlMs / 64);
    this.#peersDue = new TimeWheel(width);
    this.#heardDue = new TimeWheel(width);
    this.#edgesDue = new TimeWheel(width);
    this.#groupsDue = new TimeWheel(width);
  }

  /** Entries the last {@linkcode PeerDb.sweep} looked at (R-NODE-SCALE-009: what was due). */
  get lastSweepVisited(): number {
    return this.#swept;
  }

  /** Number of peers remembered. */
  get size(): number {
    return this.#peers.size;
  }

  /** Hears facts and domain groups stored (R-NODE-SCALE-008: O(peers), not 32 per peer). */
  get facts(): number {
    let n = this.#groupOf.size;
    for (const m of this.#hears.values()) n += m.size;
    return n;
  }

  #touch(id: NetId, now: number, heard = false): string {
    const k = netIdKey(id);
    if (k === this.#selfKey) return k;
    const e = this.#peers.get(k);
    if (e) {
      if (now > e.at) {
        // Keep the map in least-recently-heard order (eviction takes the first entry): exactly
        // for the senders of frames, to within 1/16 of the time-to-live for NetIDs a frame only
        // names (re-ordering on every mention costs two map operations per NetID of every
        // frame). [R-NODE-SCALE-008]
        if (heard || now - e.moved >= this.#opts.peerTtlMs / 16) {
          e.moved = now;
          this.#peers.delete(k);
          this.#peers.set(k, e);
        }
        e.at = now;
      }
      return k;
    }
    if (this.#peers.size >= this.#opts.maxPeers) this.#evictOldest();
    const fresh: PeerEntry = { key: k, id: { ip: id.ip, port: id.port }, at: now, moved: now };
    this.#peers.set(k, fresh);
    this.#peersDue.add(fresh, now + this.#opts.peerTtlMs);
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
    const p = this.#peers.get(k);
    if (p) {
      this.#peers.delete(k);
      this.#peersDue.remove(p);
    }
    const h = this.#heard.get(k);
    if (h) {
      this.#heard.delete(k);
      this.#heardDue.remove(h);
    }
    this.#recent.delete(k);
    const g = this.#groupOf.get(k);
    if (g) {
      this.#groupOf.delete(k);
      this.#groupsDue.remove(g);
      this.#dmDirty = true;
    }
    const out = this.#hears.get(k);
    if (out) {
      this.#hears.delete(k);
      this.#dmDirty = true;
      for (const [dst, v] of out) {
        this.#edgesDue.remove(v);
        this.#heardBy.get(dst)?.delete(k);
      }
    }
    const into = this.#heardBy.get(k);
    if (into) {
      this.#heardBy.delete(k);
      for (const src of into) {
        const m = this.#hears.get(src);
        const v = m?.get(k);
        if (v) {
          m!.delete(k);
          this.#edgesDue.remove(v);
          this.#dmDirty = true;
          if (m!.size === 0) this.#hears.delete(src);
        }
      }
    }
  }

  #edge(src: string, dst: string, now: number): void {
    if (src === dst) return;
    let m = this.#hears.get(src);
    const had = m?.get(dst);
    if (had) {
      // Refreshed in place: its expiry registration is moved when it comes due. [R-NODE-SCALE-009]
      // (A clock that went back makes it due earlier: register it again then.)
      if (now < had.at) this.#edgesDue.add(had, now + this.#opts.peerTtlMs);
      had.at = now;
      return;
    }
    // A fact that joins nothing (both ends already in one domain) is not stored, except
    // whether a peer hears us: the stored facts are a spanning forest, O(peers) in all, not
    // 32 per peer; a fact lost with an expired one is learned again from the next frames.
    // [R-NODE-SCALE-008]
    if (!this.#dm.union(src, dst) && dst !== this.#selfKey) return;
    if (!m) this.#hears.set(src, m = new Map());
    {
      // At most maxSeenIds facts per sender (what its frames can name), always keeping whether
      // it hears us: memory per peer stays bounded in a domain of thousands. [R-NODE-SCALE-004]
      if (m.size > this.#opts.maxSeenIds) {
        for (const [old, v] of m) {
          if (old === this.#selfKey) continue;
          m.delete(old);
          this.#edgesDue.remove(v);
          this.#heardBy.get(old)?.delete(src);
          break;
        }
      }
      let by = this.#heardBy.get(dst);
      if (!by) this.#heardBy.set(dst, by = new Set());
      by.add(src);
    }
    const v: EdgeEntry = { src, dst, at: now };
    m.set(dst, v);
    this.#edgesDue.add(v, now + this.#opts.peerTtlMs);
  }

  /**
   * Learn from a received frame's gossip: the sender exists; a multicast frame means we hear
   * the sender; its seen IDs say whom the sender hears; other IDs and the distribution list
   * name more peers.
   */
  learn(g: Gossip, transport: "tcp" | "udp"): void {
    const now = this.#clock.now();
    const sender = this.#touch(g.current, now, true);
    if (sender === this.#selfKey) return;
    if (transport === "udp") {
      const id = { ip: g.current.ip, port: g.current.port, seqno: g.current.seqno };
      const h = this.#heard.get(sender);
      if (h) {
        if (now < h.at) this.#heardDue.add(h, now + this.#opts.peerTtlMs);
        h.id = id;
        h.at = now;
      } else {
        const x: HeardEntry = { key: sender, id, at: now };
        this.#heard.set(sender, x);
        this.#heardDue.add(x, now + this.#opts.peerTtlMs);
      }
      this.#recent.delete(sender);
      this.#recent.set(sender, id);
      if (this.#recent.size > this.#opts.maxSeenIds) {
        this.#recent.delete(this.#recent.keys().next().value!);
      }
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
    // O(maxSeenIds), not a sort of everyone heard: newest first.
    const fresh = this.#clock.now() - this.#opts.peerTtlMs;
    const out: BroadcastId[] = [];
    for (const [k, id] of this.#recent) {
      const h = this.#heard.get(k);
      if (h && h.at >= fresh) out.push(id);
    }
    return out.reverse();
  }

  /**
   * The seen IDs of a frame bound to one receiver `to` (a TCP share, an acknowledgement, a
   * control frame): {@linkcode seenIds}, but naming `to` first when we heard its multicast within
   * the time-to-live, even if it is not among our most recent senders (the least recent one
   * then makes room). The receiver so learns Hears(self, to) directly from every such frame:
   * with reliable delivery an origin learns after one broadcast who hears it, whatever else its
   * destinations heard since. [R-NODE-SCALE-010]
   */
  seenIdsFor(to: NetId): BroadcastId[] {
    const out = this.seenIds();
    const max = this.#opts.maxSeenIds;
    if (max <= 0) return out;
    const k = netIdKey(to);
    const h = this.#heard.get(k);
    if (!h || h.at < this.#clock.now() - this.#opts.peerTtlMs) return out;
    for (let i = 0; i < out.length; i++) {
      if (out[i].port === to.port && out[i].ip === to.ip) {
        if (i > 0) out.unshift(...out.splice(i, 1));
        return out;
      }
    }
    if (out.length >= max) out.length = max - 1;
    out.unshift(h.id);
    return out;
  }

  /** True when `id`'s seen IDs recently named us. */
  hearsUs(id: NetId): boolean {
    const k = netIdKey(id);
    const fresh = this.#clock.now() - this.#opts.peerTtlMs;
    const at = this.#hears.get(k)?.get(this.#selfKey)?.at;
    if (at !== undefined && at >= fresh) return true;
    // In our domain by the facts learned (R-NODE-SCALE-004), and heard of within the
    // time-to-live: it hears our multicast.
    const e = this.#peers.get(k);
    return e !== undefined && e.at >= fresh &&
      this.#dm.find(k) === this.#dm.find(this.#selfKey);
  }

  /**
   * Learn domain groups (R-NODE-SCALE-004): the members of each group share a multicast
   * domain. O(members).
   */
  learnGroups(groups: readonly (readonly NetId[])[]): void {
    const now = this.#clock.now();
    for (const g of groups) {
      if (g.length < 2) continue;
      const first = this.#touch(g[0], now);
      let taught = false;
      for (let i = 1; i < g.length; i++) {
        const k = this.#touch(g[i], now);
        if (k === first) continue;
        // Only what joins two domains is stored (and refreshed): O(peers) facts in all.
        // [R-NODE-SCALE-008]
        if (this.#dm.union(first, k)) {
          taught = true;
          const old = this.#groupOf.get(k);
          if (old) this.#groupsDue.remove(old);
          const x: GroupEntry = { key: k, with: first, at: now };
          this.#groupOf.set(k, x);
          this.#groupsDue.add(x, now + this.#opts.peerTtlMs);
        } else {
          const was = this.#groupOf.get(k);
          if (was && was.with === first) {
            if (now < was.at) this.#groupsDue.add(was, now + this.#opts.peerTtlMs);
            was.at = now;
          }
        }
      }
      if (!taught) continue;
      const copy = g.slice(0, 16).map((x) => ({ ip: x.ip, port: x.port }));
      if (this.#ring.length < 32) this.#ring.push(copy);
      else this.#ring[this.#ringAt++ % 32] = copy;
    }
  }

  /** Up to `n` groups learned recently, at random, to pass on (R-NODE-SCALE-004). */
  gossipGroups(n: number): NetId[][] {
    const out: NetId[][] = [];
    const r = this.#ring;
    if (r.length === 0) return out;
    const at = randomInt(this.#random, r.length);
    for (let i = 0; i < Math.min(n, r.length); i++) out.push(r[(at + i) % r.length]);
    return out;
  }

  /**
   * Our own domain group for a multicast frame: us and up to `max` nodes we hear most
   * recently (R-NODE-SCALE-004).
   */
  ownGroup(max = 15): NetId[] {
    const out: NetId[] = [this.#self];
    const ids = [...this.#recent.values()];
    for (let i = ids.length - 1; i >= 0 && out.length <= max; i--) {
      out.push({ ip: ids[i].ip, port: ids[i].port });
    }
    return out;
  }

  /** `ids` grouped by domain, groups of two or more only (for a share's domain record). */
  groupsOf(ids: readonly NetId[]): NetId[][] {
    const by = new Map<string, NetId[]>();
    for (const id of ids) {
      const d = this.#dm.find(netIdKey(id));
      const g = by.get(d);
      if (g) g.push(id);
      else by.set(d, [id]);
    }
    const out: NetId[][] = [];
    for (const g of by.values()) if (g.length > 1) out.push(g);
    return out;
  }

  /** True when `a`'s seen IDs recently named `b`. */
  hears(a: NetId, b: NetId): boolean {
    const at = this.#hears.get(netIdKey(a))?.get(netIdKey(b))?.at;
    return at !== undefined && at >= this.#clock.now() - this.#opts.peerTtlMs;
  }

  /** Rebuild the domain map from the facts still held (after some expired or were forgotten). */
  #rebuild(): void {
    this.#dmDirty = false;
    this.#dm.clear();
    for (const [src, m] of this.#hears) for (const dst of m.keys()) this.#dm.union(src, dst);
    for (const [k, g] of this.#groupOf) this.#dm.union(k, g.with);
    this.#reps = undefined;
  }

  /** One representative per domain other than ours, for the other IDs of our frames. */
  #computeReps(): NetId[] {
    const ours = this.#dm.find(this.#selfKey);
    const reps = new Map<string, NetId>();
    for (const [k, e] of this.#peers) {
      const d = this.#dm.find(k);
      if (d !== ours && !reps.has(d)) reps.set(d, e.id);
    }
    return this.#reps = [...reps.values()];
  }

  /**
   * The domain key the planner groups `id` by. With a known subnet prefix length, a node of
   * another subnet is keyed by its subnet; nodes of our own subnet are keyed by what was
   * learned (those that do not hear us are not our domain-mates, whatever their address
   * says, so they are not sent as one share: no relay chains). [R-NODE-SCALE-006]
   */
  domainOf(id: NetId): string {
    if (this.#ownSubnet !== undefined) {
      const s = subnetKey(id.ip, this.#opts.subnetPrefixLength!);
      if (s !== undefined && s !== this.#ownSubnet) return s;
    }
    return this.#dm.find(netIdKey(id));
  }

  /** Up to `maxOtherIds` representatives of distinct domains other than ours, rotating. */
  otherIds(): NetId[] {
    // Recomputed once per sweep (O(peers)), not per frame. [R-NODE-SCALE-004]
    const reps = this.#reps ?? this.#computeReps();
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

  /**
   * Forget peers, hearing evidence and facts older than the time-to-live. It looks only at the
   * entries due to expire (R-NODE-SCALE-009): each is registered at its time of last news plus
   * the time-to-live and, found refreshed when that comes, registered again at its new time.
   */
  sweep(): void {
    const ttl = this.#opts.peerTtlMs;
    const now = this.#clock.now();
    const fresh = now - ttl;
    let n = this.#peersDue.due(now, (e) => {
      if (e.at >= fresh) return e.at + ttl;
      this.#forget(e.key);
    });
    n += this.#heardDue.due(now, (h) => {
      if (h.at >= fresh) return h.at + ttl;
      this.#heard.delete(h.key);
    });
    n += this.#edgesDue.due(now, (v) => {
      if (v.at >= fresh) return v.at + ttl;
      const m = this.#hears.get(v.src)!;
      m.delete(v.dst);
      const by = this.#heardBy.get(v.dst);
      by?.delete(v.src);
      if (by?.size === 0) this.#heardBy.delete(v.dst);
      this.#dmDirty = true;
      if (m.size === 0) this.#hears.delete(v.src);
    });
    n += this.#groupsDue.due(now, (g) => {
      if (g.at >= fresh) return g.at + ttl;
      this.#groupOf.delete(g.key);
      this.#dmDirty = true;
    });
    this.#swept = n;
    if (this.#dmDirty) this.#rebuild();
    this.#reps = undefined;
  }
}
