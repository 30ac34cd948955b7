/**
 * The Deno transport's pool of outgoing TCP connections: one per destination, reused, each
 * with a bounded queue drained by one writer; at most `maxConnections` have a slot, the rest
 * wait for one. [R-NODE-TRANSPORT-005], [R-NODE-QUEUE-001] Internal: not exported by the
 * package.
 *
 * Each connection is in exactly one {@linkcode OutState}; every change goes through one method
 * that checks it against {@linkcode OUT_TRANSITIONS}:
 *
 * ```text
 *             (at the cap, nothing idle to evict)
 *   new ──────────────────────────────────────────► deferred
 *    │                                                 │ a slot frees up (startDeferred)
 *    ▼                                                 ▼
 *   idle ◄─────────────────────────────────────────── idle
 *    │ a frame is queued: the writer starts
 *    ├── no socket ──► connecting ── connected ──► writing ── queue empty ──► idle
 *    │                     ▲                         │
 *    └── socket open ──────┼───────────────────► writing
 *                          └── one frame per connection: socket closed, more queued
 *
 *   any state ──► closed: idle sweep, eviction, connect or write failure, transport close
 *                 (terminal: the queue fails, the socket closes, the entry is forgotten)
 * ```
 *
 * @module
 */

import type { NetId } from "../wire/netid.ts";
import { netIdKey } from "../wire/netid.ts";
import type { NodeClock } from "./clock.ts";
import type { SendFailure, TransportStats } from "./transport.ts";

/**
 * The state of one outgoing connection:
 * - `deferred`: no slot under the connection cap yet; frames queue, nothing is sent.
 * - `idle`: a slot, no writer running (the socket may be open, or not opened yet).
 * - `connecting`: the writer is opening the socket (it can be aborted).
 * - `writing`: the writer is draining the queue over the open socket.
 * - `closed`: terminal; the entry is no longer in the pool.
 */
export type OutState = "deferred" | "idle" | "connecting" | "writing" | "closed";

/** The allowed changes of {@linkcode OutState}. */
export const OUT_TRANSITIONS: Readonly<Record<OutState, readonly OutState[]>> = {
  deferred: ["idle", "closed"],
  idle: ["connecting", "writing", "closed"],
  // `idle`: the transport closed while connecting (the connection was not opened).
  connecting: ["writing", "idle", "closed"],
  // `connecting`: one frame per connection, the next frame needs a new socket.
  writing: ["connecting", "idle", "closed"],
  closed: [],
};

interface Queued {
  frame: Uint8Array;
  onFail?: SendFailure;
}

interface OutConn {
  key: string;
  to: NetId;
  state: OutState;
  conn?: Deno.TcpConn;
  /** Set while `connecting`: aborts the connect. */
  abort?: AbortController;
  queue: Queued[];
  queuedBytes: number;
  /** Frames taken off the queue and being written. */
  inFlight: number;
  lastUsed: number;
}

/** Settings of a {@linkcode ConnectionPool} (the node options of the same names). */
export interface ConnectionPoolOptions {
  maxConnections: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  maxQueueFrames: number;
  maxQueueBytes: number;
  /** Open a fresh connection per frame and close it after the write. [R-NODE-LEGACY-001] */
  oneFramePerConnection?: boolean;
}

/** Largest write the pool hands the socket at once (frames are coalesced up to this). */
const WRITE_CHUNK = 256 * 1024;

/** The outgoing connections of one transport. */
export class ConnectionPool {
  readonly #o: ConnectionPoolOptions;
  readonly #clock: NodeClock;
  readonly #stats: TransportStats;
  readonly #track: (p: Promise<unknown>) => void;
  /** In least-recently-used order (for eviction). */
  readonly #out = new Map<string, OutConn>();
  #closed = false;

  /**
   * A pool counting into `stats` (the transport's); `track` is given every writer task so the
   * transport's close can wait for them.
   */
  constructor(
    o: ConnectionPoolOptions,
    clock: NodeClock,
    stats: TransportStats,
    track: (p: Promise<unknown>) => void,
  ) {
    this.#o = o;
    this.#clock = clock;
    this.#stats = stats;
    this.#track = track;
  }

  /** The state of the connection to `to`, if the pool has one (for tests). */
  stateOf(to: NetId): OutState | undefined {
    return this.#out.get(netIdKey(to))?.state;
  }

  /** Frames queued or being written. */
  pending(): number {
    let n = 0;
    for (const c of this.#out.values()) n += c.queue.length + c.inFlight;
    return n;
  }

  /**
   * Queue `frame` for `to`; false (counted as a queue drop) when its queue is full. `onFail`
   * is called once if the frame cannot be written.
   */
  send(to: NetId, frame: Uint8Array, onFail?: SendFailure): boolean {
    if (this.#closed) return false;
    const key = netIdKey(to);
    let c = this.#out.get(key);
    if (!c) {
      c = { key, to, state: "idle", queue: [], queuedBytes: 0, inFlight: 0, lastUsed: 0 };
      // At the cap, close an idle connection to make room; when all are busy, wait for one
      // to go idle rather than cut a busy one off mid-send. [R-NODE-TRANSPORT-005]
      if (this.#active() >= this.#o.maxConnections && !this.#evictIdle()) c.state = "deferred";
      this.#out.set(key, c);
    } else {
      // Keep the map in least-recently-used order for eviction.
      this.#out.delete(key);
      this.#out.set(key, c);
    }
    if (
      c.queue.length >= this.#o.maxQueueFrames ||
      c.queuedBytes + frame.length > this.#o.maxQueueBytes
    ) {
      this.#stats.queueDrops++;
      return false;
    }
    c.queue.push({ frame, onFail });
    c.queuedBytes += frame.length;
    if (c.state === "idle") this.#startWriter(c);
    return true;
  }

  /** Close idle connections unused for `idleTimeoutMs`. */
  sweepIdle(): void {
    const cutoff = this.#clock.now() - this.#o.idleTimeoutMs;
    for (const c of this.#out.values()) {
      if (!this.#running(c) && c.queue.length === 0 && c.lastUsed < cutoff) {
        this.#stats.idleClosed++;
        this.#closeOut(c);
      }
    }
  }

  /** Close every connection (their queued frames fail); the pool sends nothing more. */
  close(): void {
    this.#closed = true;
    for (const c of [...this.#out.values()]) this.#closeOut(c);
  }

  #to(c: OutConn, next: OutState): void {
    if (!OUT_TRANSITIONS[c.state].includes(next)) {
      throw new Error(`connection pool: ${c.state} -> ${next} is not a transition`);
    }
    c.state = next;
  }

  #running(c: OutConn): boolean {
    return c.state === "connecting" || c.state === "writing";
  }

  #startWriter(c: OutConn): void {
    this.#to(c, c.conn ? "writing" : "connecting");
    this.#track(this.#writeLoop(c));
  }

  /** Connections with a slot. */
  #active(): number {
    let n = 0;
    for (const c of this.#out.values()) if (c.state !== "deferred") n++;
    return n;
  }

  #evictIdle(): boolean {
    for (const c of this.#out.values()) {
      if (c.state === "idle" && c.queue.length === 0) {
        this.#closeOut(c);
        return true;
      }
    }
    return false;
  }

  /** Start deferred connections while there is room under the cap. */
  #startDeferred(): void {
    if (this.#closed) return;
    for (const c of this.#out.values()) {
      if (c.state !== "deferred") continue;
      if (this.#active() >= this.#o.maxConnections && !this.#evictIdle()) return;
      this.#to(c, "idle");
      if (c.queue.length > 0) this.#startWriter(c);
    }
  }

  #fail(items: Queued[], err: Error): void {
    for (const q of items) {
      this.#stats.sendFailures++;
      if (q.onFail) {
        try {
          q.onFail(err);
        } catch {
          this.#stats.handlerFailures++;
        }
      }
    }
  }

  /** Forget `c`: close its socket (or abort its connect) and fail what it still holds. */
  #closeOut(c: OutConn): void {
    if (c.state === "closed") return;
    const wasDeferred = c.state === "deferred";
    this.#to(c, "closed");
    if (this.#out.get(c.key) === c) this.#out.delete(c.key);
    this.#stats.outgoingOpen = [...this.#out.values()].filter((x) => x.conn).length;
    c.abort?.abort();
    try {
      c.conn?.close();
    } catch { /* already closed */ }
    const rest = c.queue.splice(0);
    c.queuedBytes = 0;
    if (rest.length > 0) {
      this.#fail(rest, new Error(`connection to ${c.to.ip}:${c.to.port} closed`));
    }
    if (!wasDeferred && !this.#closed) queueMicrotask(() => this.#startDeferred());
  }

  async #connect(c: OutConn): Promise<Deno.TcpConn> {
    const ac = new AbortController();
    c.abort = ac;
    const timer = this.#clock.setTimeout(() => ac.abort(), this.#o.connectTimeoutMs);
    try {
      const conn = await Deno.connect({ hostname: c.to.ip, port: c.to.port, signal: ac.signal });
      try {
        conn.setNoDelay(true);
      } catch { /* not fatal */ }
      return conn;
    } finally {
      c.abort = undefined;
      this.#clock.clearTimeout(timer);
    }
  }

  /** Open `c`'s connection (`connecting`); on failure fail its whole queue and forget it. */
  async #open(c: OutConn): Promise<boolean> {
    try {
      const conn = await this.#connect(c);
      if (c.state === "closed" || this.#closed) {
        conn.close();
        return false;
      }
      c.conn = conn;
      this.#to(c, "writing");
      this.#stats.outgoingOpen++;
      return true;
    } catch (e) {
      this.#stats.connectFailures++;
      if (c.state !== "closed") this.#to(c, "closed");
      if (this.#out.get(c.key) === c) this.#out.delete(c.key);
      const rest = c.queue.splice(0);
      c.queuedBytes = 0;
      this.#fail(
        rest,
        new Error(`cannot connect to ${c.to.ip}:${c.to.port}: ${(e as Error).message}`),
      );
      return false;
    }
  }

  /** Take the next batch off `c`'s queue: frames coalesced up to WRITE_CHUNK (one if single). */
  #takeBatch(c: OutConn, single: boolean): { batch: Queued[]; buf: Uint8Array } {
    let n = 0, bytes = 0;
    while (
      n < c.queue.length &&
      (n === 0 || (!single && bytes + c.queue[n].frame.length <= WRITE_CHUNK))
    ) {
      bytes += c.queue[n].frame.length;
      n++;
    }
    const batch = c.queue.splice(0, n);
    c.queuedBytes -= bytes;
    c.inFlight = n;
    if (n === 1) return { batch, buf: batch[0].frame };
    const buf = new Uint8Array(bytes);
    let o = 0;
    for (const q of batch) {
      buf.set(q.frame, o);
      o += q.frame.length;
    }
    return { batch, buf };
  }

  async #writeLoop(c: OutConn): Promise<void> {
    const single = this.#o.oneFramePerConnection === true;
    try {
      while (c.queue.length > 0 && c.state !== "closed") {
        if (!c.conn) {
          if (c.state === "writing") this.#to(c, "connecting");
          if (!await this.#open(c)) return;
        }
        const { batch, buf } = this.#takeBatch(c, single);
        try {
          let off = 0;
          while (off < buf.length) off += await c.conn!.write(buf.subarray(off));
        } catch (e) {
          c.inFlight = 0;
          this.#fail(
            batch,
            new Error(`write to ${c.to.ip}:${c.to.port} failed: ${(e as Error).message}`),
          );
          this.#closeOut(c);
          return;
        }
        c.inFlight = 0;
        this.#stats.tcp.framesOut += batch.length;
        this.#stats.tcp.bytesOut += buf.length;
        c.lastUsed = this.#clock.now();
        if (single) {
          // One frame per connection: close after the write (the peer reads to the end).
          try {
            c.conn!.close();
          } catch { /* already closed */ }
          c.conn = undefined;
          this.#stats.outgoingOpen--;
        }
      }
    } finally {
      if (this.#running(c)) this.#to(c, "idle");
      c.lastUsed = this.#clock.now();
      this.#startDeferred();
    }
  }
}
