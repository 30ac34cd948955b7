/**
 * An in-memory twin of the real transport (after memberlist's `MockNetwork`), for
 * deterministic multi-node tests: frames are queued and delivered in order when the test calls
 * {@linkcode MemoryNetwork.settle}; multicast reaches every endpoint of the sender's domain;
 * loss is drawn from a seeded source; endpoints can be killed or paused (a slow peer).
 *
 * @module
 */

import { type NetId, netIdKey } from "../wire/netid.ts";
import type { TransportKind } from "./frame_codec.ts";
import { type RandomSource, seededRandom } from "./random.ts";
import {
  emptyTransportStats,
  type SendFailure,
  type Transport,
  type TransportFactory,
  type TransportHandlers,
  type TransportStats,
} from "./transport.ts";

/** Options of a {@linkcode MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Randomness for multicast loss. */
  random?: RandomSource;
  /** Fraction of multicast deliveries lost. */
  multicastLoss?: number;
  /**
   * Mean length of a run of lost multicast deliveries at one receiver (default 1: independent
   * losses). Above 1, losses come in bursts (a two-state Gilbert model per receiver) with the
   * same overall fraction `multicastLoss`.
   */
  multicastBurst?: number;
  /**
   * Fraction of multicast datagrams lost for many receivers at once, as a drop at the sender's
   * socket or at a switch loses one datagram for the whole domain (default 0). Drawn once per
   * datagram, before and independently of `multicastLoss` (which is drawn per receiver).
   */
  multicastSharedLoss?: number;
  /**
   * Mean length of a run of datagrams one sender loses that way (default 1: independent); above
   * 1 a two-state Gilbert model per sender, with the same overall fraction `multicastSharedLoss`.
   */
  multicastSharedBurst?: number;
  /**
   * Share of the domain's receivers a shared loss hits (default 1: all of them); below 1 each
   * receiver is hit with this probability (most receivers lose it, a few get it).
   */
  multicastSharedReach?: number;
  /** Fraction of TCP frames whose connection fails: not delivered, the sender is told. */
  tcpFailure?: number;
  /**
   * Fraction of TCP frames lost without the sender being told (the peer reset the connection
   * after the sender's socket took the frame).
   */
  tcpSilentLoss?: number;
  /** Most frames in flight to one endpoint over TCP; more are dropped and counted. */
  maxQueueFrames?: number;
  /** Largest multicast datagram. */
  maxDatagramBytes?: number;
}

/** Where an in-memory endpoint sits. */
export interface MemoryEndpointOptions {
  /** Its NetID. */
  id: NetId;
  /** Its multicast domain: endpoints of one domain hear each other's multicast. */
  domain: string;
}

interface Endpoint {
  id: NetId;
  domain: string;
  handlers: TransportHandlers;
  stats: TransportStats;
  alive: boolean;
  paused: boolean;
  held: Delivery[];
  inflight: number;
  /** In a burst of multicast loss (Gilbert model). */
  bursting: boolean;
  /** As a sender, in a burst of shared multicast loss (Gilbert model). */
  sharedBursting: boolean;
  /** Set by {@linkcode MemoryNetwork.throttle}: a receiver that reads slowly. */
  slow?: { perSettle: number; buffer: number; queue: Delivery[]; udp: number };
  /** Set by {@linkcode MemoryNetwork.delayMulticast}: datagrams to it wait this many settles. */
  mcDelay?: { settles: number; queue: { d: Delivery; due: number }[] };
}

interface Delivery {
  kind: TransportKind;
  from: Endpoint;
  to: Endpoint;
  frame: Uint8Array;
  onFail?: SendFailure;
  /** Released from a slow endpoint's queue (delivered now). */
  released?: boolean;
}

type Event = { deliver: Delivery } | { fail: SendFailure; err: Error };

/**
 * A deterministic network of in-memory transports.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from "@chatter/chatter/testing";
 * import assert from "node:assert/strict";
 * const net = new MemoryNetwork();
 * const got: Uint8Array[] = [];
 * const a = await net.transport({ id: { ip: "10.0.0.1", port: 1 }, domain: "A" })({ frame: () => true, streamError: () => {} });
 * await net.transport({ id: { ip: "10.0.0.2", port: 1 }, domain: "A" })({ frame: (f) => (got.push(f), true), streamError: () => {} });
 * a.sendMulticast(new Uint8Array([1]));
 * await net.settle();
 * assert.equal(got.length, 1);
 * ```
 */
export class MemoryNetwork {
  readonly #opts: Required<Omit<MemoryNetworkOptions, "random">>;
  readonly #random: RandomSource;
  readonly #endpoints = new Map<string, Endpoint>();
  #events: Event[] = [];
  /** Endpoint key -> side of a partition; endpoints on different sides cannot talk. */
  #sides = new Map<string, number>();

  /** Create an empty network. */
  constructor(opts: MemoryNetworkOptions = {}) {
    this.#random = opts.random ?? seededRandom(1);
    this.#opts = {
      multicastLoss: opts.multicastLoss ?? 0,
      maxQueueFrames: opts.maxQueueFrames ?? 1024,
      maxDatagramBytes: opts.maxDatagramBytes ?? 1400,
      multicastBurst: Math.max(1, opts.multicastBurst ?? 1),
      tcpFailure: opts.tcpFailure ?? 0,
      tcpSilentLoss: opts.tcpSilentLoss ?? 0,
      multicastSharedLoss: opts.multicastSharedLoss ?? 0,
      multicastSharedBurst: Math.max(1, opts.multicastSharedBurst ?? 1),
      multicastSharedReach: opts.multicastSharedReach ?? 1,
    };
  }

  #sharedDrops = 0;

  /**
   * Multicast datagrams hit by a shared loss (`multicastSharedLoss`) that had at least one
   * receiver in the sender's domain.
   */
  get multicastSharedDrops(): number {
    return this.#sharedDrops;
  }

  /**
   * Change the shared multicast loss (e.g. mid-run): `loss` of the datagrams, in runs of
   * `burst` on average per sender, each hitting a `reach` share of the domain's receivers.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MemoryNetwork } from "./memory_transport.ts";
   * const net = new MemoryNetwork();
   * const got = [0, 0, 0];
   * const h = (i: number) => ({ frame: () => (got[i]++, true), streamError: () => {} });
   * const a = await net.transport({ id: { ip: "10.0.0.1", port: 1 }, domain: "A" })(h(2));
   * await net.transport({ id: { ip: "10.0.0.2", port: 1 }, domain: "A" })(h(0));
   * await net.transport({ id: { ip: "10.0.0.3", port: 1 }, domain: "A" })(h(1));
   * net.setMulticastSharedLoss(0.5);
   * for (let i = 0; i < 100; i++) a.sendMulticast(new Uint8Array([i]));
   * await net.settle();
   * // Both receivers lost the same datagrams.
   * assert.equal(got[0], got[1]);
   * assert.equal(got[0] + net.multicastSharedDrops, 100);
   * ```
   */
  setMulticastSharedLoss(loss: number, burst = 1, reach = 1): void {
    this.#opts.multicastSharedLoss = loss;
    this.#opts.multicastSharedBurst = Math.max(1, burst);
    this.#opts.multicastSharedReach = reach;
  }

  /** True when the datagram `from` sends now is hit by a shared loss. */
  #loseShared(from: Endpoint): boolean {
    const p = this.#opts.multicastSharedLoss;
    if (p <= 0) return false;
    const b = this.#opts.multicastSharedBurst;
    if (b <= 1) return this.#random.next() < p;
    if (from.sharedBursting) {
      if (this.#random.next() < 1 / b) from.sharedBursting = false;
    } else if (this.#random.next() < p / (b * (1 - p))) from.sharedBursting = true;
    return from.sharedBursting;
  }

  /** A transport factory for an endpoint at `opts.id` in `opts.domain`. */
  transport(opts: MemoryEndpointOptions): TransportFactory {
    return (handlers) => Promise.resolve(this.#attach(opts, handlers));
  }

  /** Change the multicast loss fraction (e.g. mid-run). */
  setMulticastLoss(loss: number): void {
    this.#opts.multicastLoss = loss;
  }

  /** Change the TCP failure fractions (e.g. mid-run). */
  setTcpFaults(failure: number, silentLoss = 0): void {
    this.#opts.tcpFailure = failure;
    this.#opts.tcpSilentLoss = silentLoss;
  }

  /** True when this multicast delivery to `to` is lost. */
  #lose(to: Endpoint): boolean {
    const p = this.#opts.multicastLoss;
    if (p <= 0) return false;
    const b = this.#opts.multicastBurst;
    if (b <= 1) return this.#random.next() < p;
    // Gilbert model: a burst ends with probability 1/b; one starts with p / (b (1 - p)), so
    // the loss fraction stays p and bursts last b deliveries on average.
    if (to.bursting) {
      if (this.#random.next() < 1 / b) to.bursting = false;
    } else if (this.#random.next() < p / (b * (1 - p))) to.bursting = true;
    return to.bursting;
  }

  /** Stop an endpoint: frames to it fail, it sends nothing. */
  kill(id: NetId): void {
    const e = this.#endpoints.get(netIdKey(id));
    if (e) e.alive = false;
  }

  /**
   * Partition the network: endpoints in different `groups` no longer reach each other (TCP
   * frames fail as to a dead peer, multicast is not delivered); endpoints in no group reach
   * everyone. `partition([])` heals it.
   */
  partition(groups: NetId[][]): void {
    this.#sides = new Map();
    groups.forEach((g, i) => {
      for (const id of g) this.#sides.set(netIdKey(id), i);
    });
  }

  #cut(a: Endpoint, b: Endpoint): boolean {
    if (this.#sides.size === 0) return false;
    const x = this.#sides.get(netIdKey(a.id)), y = this.#sides.get(netIdKey(b.id));
    return x !== undefined && y !== undefined && x !== y;
  }

  /** Hold (true) or release (false) every frame for an endpoint: a peer that stops reading. */
  pause(id: NetId, paused: boolean): void {
    const e = this.#endpoints.get(netIdKey(id));
    if (!e) return;
    e.paused = paused;
    if (!paused) {
      for (const d of e.held.splice(0)) this.#events.push({ deliver: d });
    }
  }

  /**
   * Slow an endpoint down (a receiver whose process reads slowly): it takes at most
   * `framesPerSettle` frames per {@linkcode MemoryNetwork.settle} call, in arrival order; the
   * others wait. A multicast datagram that arrives while `bufferFrames` datagrams wait is
   * dropped, as a full kernel receive buffer drops it (counted in the endpoint's
   * `multicastKernelDrops`); TCP frames always wait (TCP does not drop). Without `t`, the
   * endpoint is fast again (what waits is delivered at the next settle).
   */
  throttle(id: NetId, t?: { framesPerSettle: number; bufferFrames: number }): void {
    const e = this.#endpoints.get(netIdKey(id));
    if (!e) return;
    const queue = e.slow?.queue ?? [];
    if (t) {
      e.slow = {
        perSettle: Math.max(1, t.framesPerSettle),
        buffer: Math.max(0, t.bufferFrames),
        queue,
        udp: e.slow?.udp ?? 0,
      };
      return;
    }
    e.slow = undefined;
    for (const d of queue) this.#events.push({ deliver: { ...d, released: true } });
  }

  /**
   * Delay the multicast datagrams to an endpoint by `settles` calls of
   * {@linkcode MemoryNetwork.settle} (in order; TCP frames to it are not delayed): a receiver
   * whose process reads its multicast socket seconds late while its TCP arrivals are read at once.
   * 0 or no argument: no delay (what waits is delivered at the next settle).
   *
   * @example
   * ```ts
   * import { MemoryNetwork } from "@chatter/chatter/testing";
   * import assert from "node:assert/strict";
   * const net = new MemoryNetwork();
   * const got: string[] = [];
   * const at = (port: number) => ({ id: { ip: "10.0.0.1", port }, domain: "A" });
   * const a = await net.transport(at(1))({ frame: () => true, streamError: () => {} });
   * await net.transport(at(2))({
   *   frame: (_f, kind) => (got.push(kind), true),
   *   streamError: () => {},
   * });
   * net.delayMulticast({ ip: "10.0.0.1", port: 2 }, 2);
   * a.sendMulticast(new Uint8Array([1]));
   * a.sendTcp({ ip: "10.0.0.1", port: 2 }, new Uint8Array([2]));
   * await net.settle();
   * assert.deepEqual(got, ["tcp"]);
   * await net.settle();
   * await net.settle();
   * assert.deepEqual(got, ["tcp", "udp"]);
   * ```
   */
  delayMulticast(id: NetId, settles = 0): void {
    const e = this.#endpoints.get(netIdKey(id));
    if (!e) return;
    const queue = e.mcDelay?.queue ?? [];
    if (settles > 0) {
      e.mcDelay = { settles, queue };
      return;
    }
    e.mcDelay = undefined;
    for (const q of queue) this.#events.push({ deliver: { ...q.d, released: true } });
  }

  /** Frames queued or held, not yet delivered. */
  get pending(): number {
    let held = 0;
    for (const e of this.#endpoints.values()) {
      held += e.held.length + (e.slow?.queue.length ?? 0) + (e.mcDelay?.queue.length ?? 0);
    }
    return this.#events.length + held;
  }

  #settles = 0;

  /** Delayed multicast datagrams that are due go out (once per settle). */
  #releaseDelayed(): void {
    this.#settles++;
    for (const e of this.#endpoints.values()) {
      const q = e.mcDelay?.queue;
      if (!q || q.length === 0) continue;
      let n = 0;
      while (n < q.length && q[n].due <= this.#settles) n++;
      for (const x of q.splice(0, n)) this.#events.push({ deliver: { ...x.d, released: true } });
    }
  }

  /** Each slow endpoint takes its share of waiting frames (once per settle). */
  #releaseSlow(): void {
    for (const e of this.#endpoints.values()) {
      const s = e.slow;
      if (!s || s.queue.length === 0) continue;
      for (const d of s.queue.splice(0, s.perSettle)) {
        if (d.kind === "udp") s.udp--;
        this.#events.push({ deliver: { ...d, released: true } });
      }
    }
  }

  /**
   * Deliver queued frames (and the frames they cause) in order until nothing moves, letting
   * the nodes' microtasks run between steps. Returns the number of events processed.
   */
  async settle(maxEvents = 1_000_000): Promise<number> {
    let n = 0;
    this.#releaseDelayed();
    this.#releaseSlow();
    for (;;) {
      await new Promise<void>((r) => setTimeout(r, 0));
      if (this.#events.length === 0) return n;
      const batch = this.#events;
      this.#events = [];
      for (const ev of batch) {
        if (++n > maxEvents) throw new Error(`network did not settle within ${maxEvents} events`);
        if ("fail" in ev) {
          ev.fail(ev.err);
          continue;
        }
        this.#deliver(ev.deliver);
      }
    }
  }

  #deliver(d: Delivery): void {
    const to = d.to;
    if (d.kind === "udp" && to.mcDelay && !d.released) {
      to.mcDelay.queue.push({ d, due: this.#settles + to.mcDelay.settles });
      return;
    }
    const slow = to.slow;
    if (slow && !d.released && to.alive) {
      // A slow reader: it waits its turn (a multicast datagram is dropped when the buffer is full).
      if (d.kind === "udp") {
        if (slow.udp >= slow.buffer) {
          to.stats.multicastKernelDrops++;
          return;
        }
        slow.udp++;
      }
      slow.queue.push(d);
      return;
    }
    if (d.kind === "tcp") to.inflight--;
    if (!to.alive || this.#cut(d.from, to)) {
      if (d.kind === "tcp") {
        d.from.stats.sendFailures++;
        if (d.onFail) d.onFail(new Error(`${to.id.ip}:${to.id.port} is down`));
      }
      return;
    }
    if (
      d.kind === "tcp" && this.#opts.tcpFailure > 0 && this.#random.next() < this.#opts.tcpFailure
    ) {
      d.from.stats.sendFailures++;
      if (d.onFail) d.onFail(new Error(`connection to ${to.id.ip}:${to.id.port} failed`));
      return;
    }
    if (
      d.kind === "tcp" && this.#opts.tcpSilentLoss > 0 &&
      this.#random.next() < this.#opts.tcpSilentLoss
    ) return;
    if (to.paused && d.kind === "tcp") {
      to.inflight++;
      to.held.push(d);
      return;
    }
    const t = d.kind === "tcp" ? to.stats.tcp : to.stats.udp;
    t.framesIn++;
    t.bytesIn += d.frame.length;
    to.handlers.frame(d.frame, d.kind);
  }

  #attach(opts: MemoryEndpointOptions, handlers: TransportHandlers): Transport {
    const key = netIdKey(opts.id);
    if (this.#endpoints.get(key)?.alive) {
      throw new Error(`option port: ${opts.id.ip}:${opts.id.port} is already in use`);
    }
    const ep: Endpoint = {
      id: opts.id,
      domain: opts.domain,
      handlers,
      stats: { ...emptyTransportStats(), multicastKernelDropsSource: "simulated" },
      alive: true,
      paused: false,
      held: [],
      inflight: 0,
      bursting: false,
      sharedBursting: false,
    };
    this.#endpoints.set(key, ep);
    return {
      local: opts.id,
      maxDatagramBytes: this.#opts.maxDatagramBytes,
      sendMulticast: (frame: Uint8Array): boolean => {
        if (!ep.alive) return false;
        if (frame.length > this.#opts.maxDatagramBytes) {
          ep.stats.multicastDrops++;
          return false;
        }
        ep.stats.udp.framesOut++;
        ep.stats.udp.bytesOut += frame.length;
        const shared = this.#loseShared(ep);
        const reach = this.#opts.multicastSharedReach;
        let hit = false;
        for (const other of this.#endpoints.values()) {
          if (other === ep || other.domain !== ep.domain || this.#cut(ep, other)) continue;
          if (shared && (reach >= 1 || this.#random.next() < reach)) {
            hit = true;
            other.stats.multicastDrops++;
            continue;
          }
          if (this.#lose(other)) {
            other.stats.multicastDrops++;
            continue;
          }
          this.#events.push({ deliver: { kind: "udp", from: ep, to: other, frame } });
        }
        if (hit) this.#sharedDrops++;
        return true;
      },
      sendTcp: (to: NetId, frame: Uint8Array, onFail?: SendFailure): boolean => {
        if (!ep.alive) return false;
        const dest = this.#endpoints.get(netIdKey(to));
        if (!dest) {
          ep.stats.connectFailures++;
          ep.stats.sendFailures++;
          if (onFail) {
            this.#events.push({
              fail: onFail,
              err: new Error(`cannot connect to ${to.ip}:${to.port}`),
            });
          }
          return true;
        }
        if (dest.inflight >= this.#opts.maxQueueFrames) {
          ep.stats.queueDrops++;
          return false;
        }
        dest.inflight++;
        ep.stats.tcp.framesOut++;
        ep.stats.tcp.bytesOut += frame.length;
        this.#events.push({ deliver: { kind: "tcp", from: ep, to: dest, frame, onFail } });
        return true;
      },
      stats: () => structuredClone(ep.stats),
      close: (): Promise<void> => {
        ep.alive = false;
        if (this.#endpoints.get(key) === ep) this.#endpoints.delete(key);
        return Promise.resolve();
      },
    };
  }
}
