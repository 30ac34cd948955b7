/**
 * Incoming TCP connections: admission under the caps, stream reassembly, deadlines and the
 * receive-memory budget, so that hostile or broken peers (idle, trickling, half-sent frames,
 * other profiles) cannot lock out or exhaust a node. The rules, with their defaults, are in
 * `spec/node.md`, section "Hostile peers and limits" [R-NODE-INTAKE-001..009].
 *
 * A connection is *proven* once it delivered a frame the node accepted. Unproven connections
 * are the ones an attacker without the key can hold, so they are the ones closed to make room:
 * at the incoming cap, at the per-source cap and when the receive-memory budget runs out, the
 * oldest unproven connection goes first and the newcomer is served.
 *
 * @module
 */

import { type DecodeLimits, DEFAULT_LIMITS, LEGACY_START_BYTE } from "../wire/constants.ts";
import { DecodeError } from "../wire/decode_error.ts";
import { frameLength, type FrameLengthFn } from "../wire/frame_length.ts";
import {
  type BufferAllocator,
  FRAME_READER_BLOCK_BYTES,
  FrameReader,
} from "../wire/frame_reader.ts";
import type { NetId } from "../wire/netid.ts";
import type { NodeClock, TimerHandle } from "./clock.ts";
import type { ResolvedNodeOptions } from "./options.ts";
import type { TransportHandlers, TransportStats } from "./transport.ts";

/**
 * Limits of incoming TCP connections: the node options of the same names (defaults in
 * `NODE_DEFAULTS`; rules in `spec/node.md`, "Hostile peers and limits").
 */
export type IntakeLimits = Pick<
  ResolvedNodeOptions,
  | "maxIncomingConnections"
  | "maxConnectionsPerSource"
  | "firstFrameTimeoutMs"
  | "frameTimeoutMs"
  | "idleTimeoutMs"
  | "maxReceiveBufferBytes"
>;

/** Counters of the intake (in `stats().transport.intake`). */
export interface IntakeStats {
  /** Oldest unproven connections closed to make room at the incoming cap. */
  evictedAtCap: number;
  /** Oldest unproven connections from one source closed to make room at the per-source cap. */
  evictedPerSource: number;
  /** Newcomers refused because every connection at the cap (or from the source) was proven. */
  refusedPerSource: number;
  /** Connections closed for not delivering a valid frame within `firstFrameTimeoutMs`. */
  firstFrameTimeouts: number;
  /** Connections closed because a started frame did not complete within `frameTimeoutMs`. */
  frameTimeouts: number;
  /** Connections closed (the oldest unproven one, else the one growing) over the memory budget. */
  bufferEvictions: number;
  /** Streams that ended (EOF) in the middle of a frame; the partial frame is dropped. */
  cutMidFrame: number;
  /** Reads that failed (reset by the peer, ...); the connection is closed. */
  readErrors: number;
  /** Streams whose first byte of a frame names a profile this node does not accept. */
  badStartByte: number;
  /** Exceptions other than `DecodeError` in the receive path (caught; the connection closed). */
  receiveErrors: number;
  /** Bytes of reassembly buffer held now over all incoming connections. */
  bufferedBytes: number;
  /** Largest `bufferedBytes` seen. */
  bufferedBytesPeak: number;
}

/**
 * A fresh zeroed {@linkcode IntakeStats}.
 *
 * @example
 * ```ts
 * import { emptyIntakeStats } from "./intake.ts";
 * emptyIntakeStats().evictedAtCap; // 0
 * ```
 */
export function emptyIntakeStats(): IntakeStats {
  return {
    evictedAtCap: 0,
    evictedPerSource: 0,
    refusedPerSource: 0,
    firstFrameTimeouts: 0,
    frameTimeouts: 0,
    bufferEvictions: 0,
    cutMidFrame: 0,
    readErrors: 0,
    badStartByte: 0,
    receiveErrors: 0,
    bufferedBytes: 0,
    bufferedBytesPeak: 0,
  };
}

/** Options of an {@linkcode Intake}. */
export interface IntakeOptions extends IntakeLimits {
  /** Receiver limits for stream reassembly. */
  limits?: DecodeLimits;
  /** First bytes of the profiles accepted; others are rejected at their first byte (default: all). */
  acceptStartBytes?: readonly number[];
  /** Clock for the deadlines. */
  clock: NodeClock;
}

interface InConn {
  conn: Deno.TcpConn;
  remote: NetId;
  source: string;
  reader: FrameReader;
  openedAt: number;
  /** When the last valid frame arrived (or the connection opened). */
  lastFrameAt: number;
  /** When the first byte of the frame being received arrived; undefined between frames. */
  frameStartedAt: number | undefined;
  proven: boolean;
  /** Buffer bytes counted for this connection. */
  held: number;
  closed: boolean;
}

/** Bytes of one read buffer (pooled). */
const READ_BYTES = 64 * 1024;

/**
 * Reassembly blocks of finished or closed readers, kept (at most `maxIdle` bytes) for the next
 * reader that needs one: connections closed to keep the budget do not leave their blocks to the
 * garbage collector while others allocate anew.
 */
class BlockPool implements BufferAllocator {
  readonly #idle: Uint8Array[] = [];
  readonly #maxIdle: number;

  constructor(maxIdleBytes: number) {
    this.#maxIdle = Math.floor(maxIdleBytes / FRAME_READER_BLOCK_BYTES);
  }

  alloc(bytes: number): Uint8Array {
    return this.#idle.pop() ?? new Uint8Array(bytes);
  }

  free(block: Uint8Array): void {
    if (this.#idle.length < this.#maxIdle) this.#idle.push(block);
  }

  clear(): void {
    this.#idle.length = 0;
  }
}

/**
 * A frame-length function that rejects, at the first byte, frames of profiles not accepted:
 * a v2-only node buffers no legacy framing. [R-NODE-INTAKE-007]
 *
 * @example
 * ```ts
 * import { acceptingFrameLength } from "./intake.ts";
 * import assert from "node:assert/strict";
 * const v2Only = acceptingFrameLength([0xc7]);
 * assert.throws(() => v2Only(new Uint8Array([0xff]), 0, undefined as never));
 * ```
 */
export function acceptingFrameLength(startBytes: readonly number[]): FrameLengthFn {
  const ok = new Set(startBytes);
  return (buf, offset, limits) => {
    if (offset < buf.length && !ok.has(buf[offset])) {
      const b = buf[offset];
      throw new DecodeError(
        "BAD_START_BYTE",
        offset,
        `start byte 0x${b.toString(16)}: ${
          b === LEGACY_START_BYTE ? "the legacy profile" : "a profile"
        } this node does not accept`,
      );
    }
    return frameLength(buf, offset, limits ?? DEFAULT_LIMITS);
  };
}

/**
 * The incoming side of the Deno transport: the accept loop hands it every new connection.
 * Internal to the transport; exported for its tests.
 */
export class Intake {
  readonly #o: IntakeOptions;
  readonly #h: TransportHandlers;
  readonly #s: TransportStats;
  readonly #track: (p: Promise<unknown>) => void;
  readonly #frameLength: FrameLengthFn;
  /** Open connections in the order they were accepted. */
  readonly #conns = new Set<InConn>();
  readonly #bySource = new Map<string, number>();
  readonly #readBufs: Uint8Array[] = [];
  readonly #pool: BlockPool;
  #timer: TimerHandle | undefined;
  #closed = false;

  /** Serve connections under `o`, counting into `stats` (its `intake` and TCP counters). */
  constructor(
    o: IntakeOptions,
    h: TransportHandlers,
    stats: TransportStats,
    track: (p: Promise<unknown>) => void,
  ) {
    this.#o = o;
    this.#h = h;
    this.#s = stats;
    this.#track = track;
    this.#frameLength = o.acceptStartBytes ? acceptingFrameLength(o.acceptStartBytes) : frameLength;
    this.#pool = new BlockPool(Math.min(16 << 20, Math.floor(o.maxReceiveBufferBytes / 4)));
    this.#arm();
  }

  get #i() {
    return this.#s.intake;
  }

  #arm(): void {
    const o = this.#o;
    const every = Math.max(
      10,
      Math.floor(Math.min(o.firstFrameTimeoutMs, o.frameTimeoutMs, o.idleTimeoutMs) / 4),
    );
    this.#timer = o.clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      this.#sweep();
      this.#arm();
    }, every);
  }

  /** Close connections past a deadline. [R-NODE-INTAKE-003..005] */
  #sweep(): void {
    const now = this.#o.clock.now();
    for (const c of [...this.#conns]) {
      if (!c.proven && now - c.openedAt > this.#o.firstFrameTimeoutMs) {
        this.#i.firstFrameTimeouts++;
        this.#close(c);
      } else if (
        c.frameStartedAt !== undefined && now - c.frameStartedAt > this.#o.frameTimeoutMs
      ) {
        this.#i.frameTimeouts++;
        this.#close(c);
      } else if (now - c.lastFrameAt > this.#o.idleTimeoutMs) {
        this.#s.idleClosed++;
        this.#close(c);
      }
    }
  }

  /** The oldest unproven connection (of `source`, if given) other than `not`. */
  #oldestUnproven(source?: string, not?: InConn, holding = false): InConn | undefined {
    for (const c of this.#conns) {
      if (c.proven || c === not || (source !== undefined && c.source !== source)) continue;
      if (holding && c.held === 0) continue;
      return c;
    }
    return undefined;
  }

  /** Take a freshly accepted connection. [R-NODE-INTAKE-001], [R-NODE-INTAKE-002] */
  admit(conn: Deno.TcpConn): void {
    if (this.#closed) {
      conn.close();
      return;
    }
    const addr = conn.remoteAddr as Deno.NetAddr;
    const source = addr.hostname;
    if ((this.#bySource.get(source) ?? 0) >= this.#o.maxConnectionsPerSource) {
      const victim = this.#oldestUnproven(source);
      if (!victim) {
        this.#i.refusedPerSource++;
        this.#s.connectionsRefused++;
        conn.close();
        return;
      }
      this.#i.evictedPerSource++;
      this.#close(victim);
    }
    if (this.#conns.size >= this.#o.maxIncomingConnections) {
      const victim = this.#oldestUnproven();
      if (!victim) {
        this.#s.connectionsRefused++;
        conn.close();
        return;
      }
      this.#i.evictedAtCap++;
      this.#close(victim);
    }
    const now = this.#o.clock.now();
    const c: InConn = {
      conn,
      remote: { ip: source, port: addr.port },
      source,
      reader: new FrameReader({
        limits: this.#o.limits ?? DEFAULT_LIMITS,
        frameLength: this.#frameLength,
        allocator: this.#pool,
      }),
      openedAt: now,
      lastFrameAt: now,
      frameStartedAt: undefined,
      proven: false,
      held: 0,
      closed: false,
    };
    this.#conns.add(c);
    this.#bySource.set(source, (this.#bySource.get(source) ?? 0) + 1);
    this.#s.incomingOpen = this.#conns.size;
    this.#track(this.#serve(c));
  }

  async #serve(c: InConn): Promise<void> {
    // Read buffers are pooled: a peer that opens a connection per frame (0.0.15, legacy
    // senders) would otherwise cost a 64 KiB allocation per frame.
    const buf = this.#readBufs.pop() ?? new Uint8Array(READ_BYTES);
    try {
      await this.#readLoop(c, buf);
    } catch (e) {
      // A last guard: nothing in a receive path may end the process. [R-NODE-ROBUST-001]
      this.#receiveError(e, c);
    } finally {
      this.#close(c);
      if (this.#readBufs.length < 32) this.#readBufs.push(buf);
    }
  }

  #receiveError(e: unknown, c: InConn): void {
    this.#i.receiveErrors++;
    try {
      this.#h.receiveError?.(e, "tcp", c.remote);
    } catch {
      this.#s.handlerFailures++;
    }
  }

  async #readLoop(c: InConn, buf: Uint8Array): Promise<void> {
    for (;;) {
      let n: number | null;
      try {
        n = await c.conn.read(buf);
      } catch {
        if (!c.closed && !this.#closed) this.#i.readErrors++;
        return;
      }
      if (c.closed || this.#closed) return;
      if (n === null) {
        if (c.reader.buffered > 0) this.#i.cutMidFrame++; // [R-NODE-INTAKE-008]
        return;
      }
      this.#s.tcp.bytesIn += n;
      let frames: Uint8Array[];
      try {
        frames = c.reader.push(buf.subarray(0, n));
      } catch (e) {
        if (e instanceof DecodeError) {
          if (e.code === "BAD_START_BYTE") this.#i.badStartByte++;
          this.#s.streamErrors++;
          this.#h.streamError(e);
          return;
        }
        this.#receiveError(e, c);
        return;
      }
      if (!this.#account(c)) return;
      const now = this.#o.clock.now();
      for (const f of frames) {
        this.#s.tcp.framesIn++;
        let ok: boolean;
        try {
          ok = this.#h.frame(f, "tcp");
        } catch (e) {
          this.#receiveError(e, c);
          return;
        }
        if (!ok || c.closed) return;
        // Only a whole frame the node accepted proves a connection and resets its idle
        // timer; bytes alone do not. [R-NODE-INTAKE-005]
        c.proven = true;
        c.lastFrameAt = now;
      }
      if (c.reader.buffered === 0) c.frameStartedAt = undefined;
      else if (frames.length > 0 || c.frameStartedAt === undefined) c.frameStartedAt = now;
    }
  }

  /**
   * Count `c`'s buffer against the budget; over it, close the oldest unproven connections that
   * hold buffer, and `c` itself if that is not enough. False when `c` was closed.
   * [R-NODE-INTAKE-006]
   */
  #account(c: InConn): boolean {
    const cap = c.reader.capacity;
    this.#hold(c, cap);
    while (this.#i.bufferedBytes > this.#o.maxReceiveBufferBytes) {
      const victim = this.#oldestUnproven(undefined, c, true) ??
        (c.held > 0 ? c : undefined);
      if (!victim) break;
      this.#i.bufferEvictions++;
      this.#close(victim);
      if (victim === c) return false;
    }
    return true;
  }

  #hold(c: InConn, bytes: number): void {
    this.#i.bufferedBytes += bytes - c.held;
    c.held = bytes;
    if (this.#i.bufferedBytes > this.#i.bufferedBytesPeak) {
      this.#i.bufferedBytesPeak = this.#i.bufferedBytes;
    }
  }

  #close(c: InConn): void {
    if (c.closed) return;
    c.closed = true;
    this.#hold(c, 0);
    c.reader.release();
    this.#conns.delete(c);
    const n = (this.#bySource.get(c.source) ?? 1) - 1;
    if (n <= 0) this.#bySource.delete(c.source);
    else this.#bySource.set(c.source, n);
    this.#s.incomingOpen = this.#conns.size;
    try {
      c.conn.close();
    } catch { /* already closed */ }
  }

  /** Close every connection and the deadline timer. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    for (const c of [...this.#conns]) this.#close(c);
    this.#pool.clear();
  }
}
