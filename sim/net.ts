/**
 * The simulator's timed network twin: a virtual clock and an event queue in virtual time.
 * TCP frames take `tcpLatencyMs` (+ `connectMs` on a connection's first frame), multicast
 * datagrams `multicastLatencyMs`; every endpoint's uplink sends at `rateBytesPerMs`, so large
 * frames and many frames queue behind each other. Multicast reaches the sender's domain, each
 * copy lost with probability `multicastLoss`. Endpoints can be killed (TCP to them fails after
 * the connect time, as a refused connection does) and partitioned (no frame crosses
 * partitions). Each delivery carries the hop counts of the frame that caused it, so the
 * simulator reports depths.
 *
 * @module
 */

import type { Clock, TimerHandle } from "../src/node/clock.ts";
import type { FrameCodec, TransportKind } from "../src/node/frame_codec.ts";
import { type RandomSource, seededRandom } from "../src/node/random.ts";
import {
  emptyTransportStats,
  type SendFailure,
  type Transport,
  type TransportFactory,
  type TransportHandlers,
  type TransportStats,
} from "../src/node/transport.ts";
import type { DecodeLimits } from "../src/wire/constants.ts";
import { type NetId, netIdKey } from "../src/wire/netid.ts";
import { plainCodec } from "./plain_codec.ts";

/** Options of a {@linkcode SimNetwork}. */
export interface SimNetworkOptions {
  /** One TCP hop (default 1 ms). */
  tcpLatencyMs?: number;
  /** One multicast hop (default 0.2 ms). */
  multicastLatencyMs?: number;
  /** Added to the first frame on a new connection (default 2 ms). */
  connectMs?: number;
  /** Uplink rate of every endpoint in bytes per millisecond (default 125,000: 1 Gbit/s). */
  rateBytesPerMs?: number;
  /** Fraction of multicast copies lost (default 0). */
  multicastLoss?: number;
  /** Largest datagram (default 1400). */
  maxDatagramBytes?: number;
  /** Randomness for loss. */
  random?: RandomSource;
  /** Skip AES-GCM and snappy: endpoints hand nodes the unsealed codec (default true). */
  unsealed?: boolean;
}

/** Hop counts of the frame being handled. */
export interface Hops {
  /** TCP hops from the broadcast's origin. */
  tcp: number;
  /** All hops (TCP and multicast). */
  all: number;
  /**
   * Caused by a timer (acknowledgements, heartbeats, probes, timed repairs) or by a frame that
   * was: control traffic, counted apart from the broadcast's own frames.
   */
  ctl: boolean;
}

const QUIET: Hops = { tcp: 0, all: 0, ctl: false };
const TIMER: Hops = { tcp: 0, all: 0, ctl: true };

interface Ep {
  id: NetId;
  key: string;
  domain: string;
  handlers: TransportHandlers;
  stats: TransportStats;
  alive: boolean;
  partition: number;
  busyUntil: number;
  conns: Set<string>;
}

type Ev =
  | {
    t: number;
    n: number;
    kind: "frame";
    to: Ep;
    from: Ep;
    tk: TransportKind;
    f: Uint8Array;
    hops: Hops;
    onFail?: SendFailure;
  }
  | { t: number; n: number; kind: "fail"; fail: SendFailure; err: Error; hops: Hops }
  | { t: number; n: number; kind: "timer"; fn: () => void; id: number };

/** A binary min-heap of events by (time, insertion order). */
class Heap {
  #a: Ev[] = [];
  get size(): number {
    return this.#a.length;
  }
  #less(x: Ev, y: Ev): boolean {
    return x.t < y.t || (x.t === y.t && x.n < y.n);
  }
  push(e: Ev): void {
    const a = this.#a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  peek(): Ev | undefined {
    return this.#a[0];
  }
  pop(): Ev | undefined {
    const a = this.#a;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && this.#less(a[l], a[m])) m = l;
        if (r < a.length && this.#less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/** Network-wide counters (all endpoints). */
export interface SimCounters {
  /** TCP frames sent. */
  tcpFrames: number;
  /** TCP bytes sent. */
  tcpBytes: number;
  /** Multicast datagrams sent. */
  datagrams: number;
  /** Multicast bytes sent. */
  datagramBytes: number;
  /** Multicast copies lost. */
  lost: number;
  /** TCP frames the receiver rejected. */
  rejected: number;
  /** TCP sends that failed (dead or partitioned peer). */
  failed: number;
  /** Frames handled by nodes (each multicast copy counts). */
  handled: number;
  /** Of the TCP frames, those caused by timers (control traffic, see {@linkcode Hops}). */
  ctlTcpFrames: number;
  /** Of the datagrams, those caused by timers. */
  ctlDatagrams: number;
}

/**
 * A timed network of simulated endpoints with a virtual clock.
 *
 * @example
 * ```ts
 * import { SimNetwork } from "./net.ts";
 * const net = new SimNetwork();
 * net.clock.now(); // 0
 * ```
 */
export class SimNetwork {
  readonly o: Required<Omit<SimNetworkOptions, "random">>;
  readonly #random: RandomSource;
  readonly #eps = new Map<string, Ep>();
  readonly #domains = new Map<string, Ep[]>();
  readonly #heap = new Heap();
  #n = 0;
  #now = 0;
  #frames = 0;
  #timerId = 0;
  readonly #cancelled = new Set<number>();
  /** Hops of the frame being handled now (zero outside a handler). */
  current: Hops = QUIET;
  readonly counters: SimCounters = {
    tcpFrames: 0,
    tcpBytes: 0,
    datagrams: 0,
    datagramBytes: 0,
    lost: 0,
    rejected: 0,
    failed: 0,
    handled: 0,
    ctlTcpFrames: 0,
    ctlDatagrams: 0,
  };
  /** The virtual clock every node of this network runs on. */
  readonly clock: Clock;

  /** Create an empty network at virtual time 0. */
  constructor(opts: SimNetworkOptions = {}) {
    this.o = {
      tcpLatencyMs: opts.tcpLatencyMs ?? 1,
      multicastLatencyMs: opts.multicastLatencyMs ?? 0.2,
      connectMs: opts.connectMs ?? 2,
      rateBytesPerMs: opts.rateBytesPerMs ?? 125_000,
      multicastLoss: opts.multicastLoss ?? 0,
      maxDatagramBytes: opts.maxDatagramBytes ?? 1400,
      unsealed: opts.unsealed ?? true,
    };
    this.#random = opts.random ?? seededRandom(1);
    this.clock = {
      now: () => this.#now,
      setTimeout: (fn: () => void, ms: number): TimerHandle => {
        const id = ++this.#timerId;
        this.#heap.push({ t: this.#now + Math.max(0, ms), n: this.#n++, kind: "timer", fn, id });
        return id as unknown as TimerHandle;
      },
      clearTimeout: (h: TimerHandle) => {
        this.#cancelled.add(h as unknown as number);
      },
    };
  }

  /** Virtual time in milliseconds. */
  get now(): number {
    return this.#now;
  }

  /** Frames (and send failures) in flight. */
  get inFlight(): number {
    return this.#frames;
  }

  /** A transport factory for an endpoint at `id` in multicast domain `domain`. */
  transport(id: NetId, domain: string): TransportFactory {
    return (handlers) => Promise.resolve(this.#attach(id, domain, handlers));
  }

  /** Stop an endpoint: it sends nothing, frames to it fail. */
  kill(id: NetId): void {
    const e = this.#eps.get(netIdKey(id));
    if (e) e.alive = false;
  }

  /** Put an endpoint in partition `p` (default 0): frames cross no partition boundary. */
  partition(id: NetId, p: number): void {
    const e = this.#eps.get(netIdKey(id));
    if (e) e.partition = p;
  }

  /**
   * Run events in time order until no frame is in flight (timers due before then run too).
   * Returns the time of the last frame event.
   */
  run(maxEvents = 50_000_000): number {
    let last = this.#now;
    let k = 0;
    while (this.#frames > 0) {
      if (++k > maxEvents) throw new Error(`no quiet after ${maxEvents} events`);
      const e = this.#heap.pop()!;
      this.#now = Math.max(this.#now, e.t);
      if (e.kind === "timer") {
        if (this.#cancelled.delete(e.id)) continue;
        this.current = TIMER;
        e.fn();
        this.current = QUIET;
        continue;
      }
      this.#frames--;
      last = e.t;
      this.current = e.hops;
      if (e.kind === "fail") e.fail(e.err);
      else this.#deliver(e);
      this.current = QUIET;
    }
    return last;
  }

  /** Advance virtual time by `ms`, running the timers due (and any frames they cause). */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const e = this.#heap.peek();
      if (!e || e.t > until) break;
      if (e.kind === "timer") {
        this.#heap.pop();
        this.#now = Math.max(this.#now, e.t);
        if (this.#cancelled.delete(e.id)) continue;
        this.current = TIMER;
        e.fn();
        this.current = QUIET;
      } else this.run();
    }
    this.#now = until;
  }

  #push(e: Ev): void {
    if (e.kind !== "timer") this.#frames++;
    this.#heap.push(e);
  }

  #deliver(e: Extract<Ev, { kind: "frame" }>): void {
    const to = e.to;
    if (!to.alive || to.partition !== e.from.partition) {
      if (e.tk === "tcp") {
        this.counters.failed++;
        e.from.stats.sendFailures++;
        if (e.onFail) e.onFail(new Error(`${to.id.ip}:${to.id.port} is unreachable`));
      }
      return;
    }
    const t = e.tk === "tcp" ? to.stats.tcp : to.stats.udp;
    t.framesIn++;
    t.bytesIn += e.f.length;
    this.counters.handled++;
    const ok = to.handlers.frame(e.f, e.tk);
    if (!ok && e.tk === "tcp") this.counters.rejected++;
  }

  #uplink(ep: Ep, bytes: number): number {
    const start = Math.max(this.#now, ep.busyUntil);
    ep.busyUntil = start + bytes / this.o.rateBytesPerMs;
    return ep.busyUntil;
  }

  #attach(id: NetId, domain: string, handlers: TransportHandlers): Transport {
    const key = netIdKey(id);
    if (this.#eps.get(key)?.alive) throw new Error(`${key} is already in use`);
    const ep: Ep = {
      id,
      key,
      domain,
      handlers,
      stats: emptyTransportStats(),
      alive: true,
      partition: 0,
      busyUntil: 0,
      conns: new Set(),
    };
    this.#eps.set(key, ep);
    let dom = this.#domains.get(domain);
    if (!dom) this.#domains.set(domain, dom = []);
    dom.push(ep);
    const t: Transport = {
      local: id,
      maxDatagramBytes: this.o.maxDatagramBytes,
      sendMulticast: (f: Uint8Array): boolean => {
        if (!ep.alive) return false;
        if (f.length > this.o.maxDatagramBytes) {
          ep.stats.multicastDrops++;
          return false;
        }
        ep.stats.udp.framesOut++;
        ep.stats.udp.bytesOut += f.length;
        this.counters.datagrams++;
        this.counters.datagramBytes += f.length;
        const ctl = this.current.ctl;
        if (ctl) this.counters.ctlDatagrams++;
        const at = this.#uplink(ep, f.length) + this.o.multicastLatencyMs;
        const hops = { tcp: this.current.tcp, all: this.current.all + 1, ctl };
        for (const m of dom) {
          if (m === ep) continue;
          if (this.o.multicastLoss > 0 && this.#random.next() < this.o.multicastLoss) {
            this.counters.lost++;
            m.stats.multicastDrops++;
            continue;
          }
          this.#push({ t: at, n: this.#n++, kind: "frame", to: m, from: ep, tk: "udp", f, hops });
        }
        return true;
      },
      sendTcp: (to: NetId, f: Uint8Array, onFail?: SendFailure): boolean => {
        if (!ep.alive) return false;
        const dest = this.#eps.get(netIdKey(to));
        const hops = {
          tcp: this.current.tcp + 1,
          all: this.current.all + 1,
          ctl: this.current.ctl,
        };
        if (!dest) {
          ep.stats.connectFailures++;
          ep.stats.sendFailures++;
          this.counters.failed++;
          if (onFail) {
            this.#push({
              t: this.#now + this.o.connectMs,
              n: this.#n++,
              kind: "fail",
              fail: onFail,
              err: new Error(`cannot connect to ${to.ip}:${to.port}`),
              hops,
            });
          }
          return true;
        }
        ep.stats.tcp.framesOut++;
        ep.stats.tcp.bytesOut += f.length;
        this.counters.tcpFrames++;
        this.counters.tcpBytes += f.length;
        if (hops.ctl) this.counters.ctlTcpFrames++;
        let at = this.#uplink(ep, f.length) + this.o.tcpLatencyMs;
        if (!ep.conns.has(dest.key)) {
          ep.conns.add(dest.key);
          at += this.o.connectMs;
        }
        this.#push({
          t: at,
          n: this.#n++,
          kind: "frame",
          to: dest,
          from: ep,
          tk: "tcp",
          f,
          hops,
          onFail,
        });
        return true;
      },
      stats: () => structuredClone(ep.stats),
      close: () => {
        ep.alive = false;
        if (this.#eps.get(key) === ep) this.#eps.delete(key);
        const at = dom.indexOf(ep);
        if (at >= 0) dom.splice(at, 1);
        return Promise.resolve();
      },
    };
    if (this.o.unsealed) {
      // The node's simulation-only hook (src/node/node.ts): use this codec instead of sealing.
      const sim: Transport & { unsealedCodec: (l: DecodeLimits) => FrameCodec } = {
        ...t,
        unsealedCodec: (l: DecodeLimits) => plainCodec(l),
      };
      return sim;
    }
    return t;
  }
}
