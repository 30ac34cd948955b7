/**
 * The real transport on Deno: a TCP listener, a pool of reused outgoing TCP connections
 * (idle timeout, cap, bounded queues: src/node/connection_pool.ts, a state machine), and UDP
 * multicast (receive on `0.0.0.0:PORT` with `reuseAddress` and a group membership on the
 * interface address; send from a socket bound to the interface address). Needs
 * `--unstable-net` for multicast. [R-NODE-TRANSPORT-001..006]
 *
 * @module
 */

import { AddressInUseError, ChatterError } from "../errors.ts";
import { DEFAULT_LIMITS, LEGACY_START_BYTE, V2_START_BYTE } from "../wire/constants.ts";
import type { NetId } from "../wire/netid.ts";
import { type NodeClock, systemClock, type TimerHandle } from "./clock.ts";
import { ConnectionPool } from "./connection_pool.ts";
import { Intake } from "./intake.ts";
import { NODE_DEFAULTS, type ResolvedNodeOptions } from "./options.ts";
import { type MulticastReceiveSocket, openMulticastReceiveSocket } from "./multicast_socket.ts";
import { cryptoRandom, type RandomSource } from "./random.ts";
import {
  emptyTransportStats,
  type SendFailure,
  type Transport,
  type TransportFactory,
  type TransportHandlers,
  type TransportStats,
} from "./transport.ts";

/** Multicast settings of a {@linkcode DenoTransportOptions}. */
export interface MulticastOptions {
  /** IPv4 multicast group, e.g. `224.1.1.1`. */
  group: string;
  /** UDP port of the group. */
  port: number;
  /** Time-to-live of sent datagrams. */
  ttl: number;
  /** Address of the interface that sends and joins (e.g. `127.0.0.1` for loopback). */
  interfaceAddress: string;
  /** Fraction of received datagrams to drop on purpose (to exercise loss). */
  loss?: number;
  /**
   * Kernel receive buffer to ask for, in bytes (0: the OS default; default 0 here, the node
   * passes its `multicastReceiveBuffer`). See src/node/multicast_socket.ts. [R-NODE-REL-010]
   */
  receiveBufferBytes?: number;
}

/**
 * Options of {@linkcode denoTransport}: the node's own resolved options (the same names and
 * meanings, see `NodeOptions`), so a node passes its options straight through, plus
 * the transport-only settings below.
 */
export type DenoTransportOptions =
  & Pick<
    ResolvedNodeOptions,
    | "address"
    | "port"
    | "maxConnections"
    | "maxIncomingConnections"
    | "idleTimeoutMs"
    | "connectTimeoutMs"
    | "maxQueueFrames"
    | "maxQueueBytes"
    | "maxDatagramBytes"
    | "maxInflightDatagrams"
  >
  & Partial<
    Pick<
      ResolvedNodeOptions,
      | "limits"
      | "clock"
      | "random"
      // Hostile peers and limits (default NODE_DEFAULTS). [R-NODE-INTAKE-*]
      | "maxConnectionsPerSource"
      | "firstFrameTimeoutMs"
      | "frameTimeoutMs"
      | "maxReceiveBufferBytes"
      // Profiles whose start byte TCP streams may use; others are rejected at once (default:
      // all). [R-NODE-INTAKE-007]
      | "acceptProfiles"
    >
  >
  & {
    /** Multicast settings, or `false` for TCP only. */
    multicast: MulticastOptions | false;
    /**
     * Open a fresh connection for every frame, write the frame with one write call and close
     * it: for peers that decode each read as exactly one frame (Elixir Chatter 0.0.15).
     * Default false: connections are reused and frames coalesced. [R-NODE-LEGACY-001]
     */
    oneFramePerConnection?: boolean;
  };

export { AddressInUseError };

/**
 * A factory for the real Deno transport.
 *
 * @example
 * ```ts ignore
 * import { denoTransport } from "@chatter/chatter";
 * const factory = denoTransport({ address: "127.0.0.1", port: 0, multicast: false,
 *   maxConnections: 64, maxIncomingConnections: 256, idleTimeoutMs: 30_000, connectTimeoutMs: 2000,
 *   maxQueueFrames: 1024, maxQueueBytes: 8 << 20, maxDatagramBytes: 1400, maxInflightDatagrams: 256 });
 * const t = await factory({ frame: () => true, streamError: () => {} });
 * await t.close();
 * ```
 */
export function denoTransport(opts: DenoTransportOptions): TransportFactory {
  return (handlers) => DenoTransport.start(opts, handlers);
}

class DenoTransport implements Transport {
  readonly local: NetId;
  readonly maxDatagramBytes: number;
  readonly #o: DenoTransportOptions;
  readonly #h: TransportHandlers;
  readonly #clock: NodeClock;
  readonly #random: RandomSource;
  #listener: Deno.TcpListener;
  #udpIn?: Deno.DatagramConn;
  #udpOut?: Deno.DatagramConn;
  #rx?: MulticastReceiveSocket;
  readonly #stats: TransportStats = emptyTransportStats();
  readonly #pool: ConnectionPool;
  readonly #tasks = new Set<Promise<unknown>>();
  #udpQueue: Uint8Array[] = [];
  #udpSending = false;
  #timer: TimerHandle | undefined;
  #closed = false;
  readonly #intake: Intake;

  private constructor(
    o: DenoTransportOptions,
    h: TransportHandlers,
    listener: Deno.TcpListener,
  ) {
    this.#o = o;
    this.#h = h;
    this.#clock = o.clock ?? systemClock;
    this.#random = o.random ?? cryptoRandom();
    this.#listener = listener;
    const addr = listener.addr as Deno.NetAddr;
    this.local = { ip: o.address, port: addr.port };
    this.maxDatagramBytes = o.maxDatagramBytes;
    // Outgoing connections: src/node/connection_pool.ts. [R-NODE-TRANSPORT-005]
    this.#pool = new ConnectionPool(o, this.#clock, this.#stats, (p) => this.#track(p));
    const d = NODE_DEFAULTS;
    this.#intake = new Intake(
      {
        maxIncomingConnections: o.maxIncomingConnections,
        idleTimeoutMs: o.idleTimeoutMs,
        maxConnectionsPerSource: o.maxConnectionsPerSource ?? d.maxConnectionsPerSource,
        firstFrameTimeoutMs: o.firstFrameTimeoutMs ?? d.firstFrameTimeoutMs,
        frameTimeoutMs: o.frameTimeoutMs ?? d.frameTimeoutMs,
        maxReceiveBufferBytes: o.maxReceiveBufferBytes ?? d.maxReceiveBufferBytes,
        limits: o.limits ?? DEFAULT_LIMITS,
        acceptStartBytes: o.acceptProfiles?.map((p) =>
          p === "legacy" ? LEGACY_START_BYTE : V2_START_BYTE
        ),
        clock: this.#clock,
      },
      h,
      this.#stats,
      (p) => this.#track(p),
    );
  }

  static async start(o: DenoTransportOptions, h: TransportHandlers): Promise<DenoTransport> {
    let listener: Deno.TcpListener;
    try {
      listener = Deno.listen({ hostname: o.address, port: o.port, transport: "tcp" });
    } catch (e) {
      if (e instanceof Deno.errors.AddrInUse) throw new AddressInUseError(o.address, o.port);
      if (e instanceof Deno.errors.AddrNotAvailable) {
        throw new ChatterError(
          "ADDRESS_UNAVAILABLE",
          `option address: ${o.address} is not an address of this machine`,
        );
      }
      throw e;
    }
    const t = new DenoTransport(o, h, listener);
    try {
      if (o.multicast) await t.#startMulticast(o.multicast);
    } catch (e) {
      await t.close();
      throw e;
    }
    t.#track(t.#acceptLoop());
    t.#armTimer();
    return t;
  }

  async #startMulticast(m: MulticastOptions): Promise<void> {
    try {
      // A large kernel receive buffer where the OS allows. [R-NODE-REL-010]
      const rx = openMulticastReceiveSocket(m.port, m.receiveBufferBytes ?? 0);
      this.#rx = rx;
      this.#udpIn = rx.socket;
      this.#stats.multicastReceiveBuffer = rx.buffer;
      this.#stats.multicastKernelDropsSource = rx.kernelDropsSource;
      await this.#udpIn.joinMulticastV4(m.group, m.interfaceAddress);
      this.#udpOut = Deno.listenDatagram({
        transport: "udp",
        hostname: m.interfaceAddress,
        port: 0,
      });
      // Joining on the sending socket gives the handle that sets its TTL and loopback.
      const membership = await this.#udpOut.joinMulticastV4(m.group, m.interfaceAddress);
      await membership.setTTL(m.ttl);
      await membership.setLoopback(true);
    } catch (e) {
      throw new ChatterError(
        "MULTICAST_UNAVAILABLE",
        `multicast ${m.group}:${m.port} on interface ${m.interfaceAddress} failed: ${
          (e as Error).message
        } (is --unstable-net given, and is the interface address local?)`,
      );
    }
    this.#track(this.#udpLoop(this.#udpIn, m.loss ?? 0));
  }

  #track(p: Promise<unknown>): void {
    this.#tasks.add(p);
    p.finally(() => this.#tasks.delete(p));
  }

  #armTimer(): void {
    const every = Math.max(10, Math.floor(this.#o.idleTimeoutMs / 2));
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      this.#pool.sweepIdle();
      this.#armTimer();
    }, every);
  }

  async #udpLoop(sock: Deno.DatagramConn, loss: number): Promise<void> {
    // One reused buffer: receive() without one allocates 64 KiB per datagram.
    const buf = new Uint8Array(65_536);
    for (;;) {
      let data: Uint8Array;
      let from: Deno.NetAddr;
      try {
        // No copy: the handler decodes synchronously into new buffers and keeps nothing of
        // the datagram (TransportHandlers.frame), so the next receive may overwrite it.
        const [view, addr] = await sock.receive(buf);
        data = view;
        from = addr as Deno.NetAddr;
      } catch {
        return; // closed
      }
      if (this.#closed) return;
      if (loss > 0 && this.#random.next() < loss) {
        this.#stats.multicastDrops++;
        continue;
      }
      this.#stats.udp.framesIn++;
      this.#stats.udp.bytesIn += data.length;
      try {
        this.#h.frame(data, "udp");
      } catch (e) {
        // The node catches its own errors; this is a last guard, counted. [R-NODE-ROBUST-001]
        this.#stats.handlerFailures++;
        try {
          this.#h.receiveError?.(e, "udp", { ip: from.hostname, port: from.port });
        } catch { /* counted above */ }
      }
    }
  }

  /**
   * Accept until {@linkcode close}. A peer that resets before the accept completes, a
   * descriptor shortage (EMFILE/ENFILE) or any other per-connection error is counted and
   * survived, with a back-off that grows while errors repeat; only our own `close()` ends the
   * loop. If the listener itself dies, the transport says so (`listenerFailures`, the
   * `listenerFailed` handler) and listens again on the same address. [R-NODE-TRANSPORT-007]
   */
  async #acceptLoop(): Promise<void> {
    let backoffMs = 0;
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
        backoffMs = 0;
      } catch (e) {
        if (this.#closed) return;
        if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) {
          // The listener is gone although we did not close it: listen again.
          this.#stats.listenerFailures++;
          this.#h.listenerFailed?.(e as Error);
          if (!await this.#relisten()) return;
          continue;
        }
        this.#stats.acceptErrors++;
        // Resets and aborts are per-connection and need no pause; anything else (EMFILE,
        // ENFILE, ENOBUFS) may repeat at once, so back off up to 1 s.
        const perConnection = e instanceof Deno.errors.ConnectionReset ||
          e instanceof Deno.errors.ConnectionAborted || e instanceof Deno.errors.NotConnected;
        if (!perConnection) {
          backoffMs = Math.min(1000, Math.max(5, backoffMs * 2));
          await this.#sleep(backoffMs);
          if (this.#closed) return;
        }
        continue;
      }
      if (this.#closed) {
        conn.close();
        return;
      }
      // Caps, deadlines and the memory budget: src/node/intake.ts. [R-NODE-INTAKE-*]
      this.#intake.admit(conn);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimeout(resolve, ms));
  }

  /** Listen again on our address after the listener died; gives up (false) only on close. */
  async #relisten(): Promise<boolean> {
    let waitMs = 10;
    while (!this.#closed) {
      try {
        this.#listener = Deno.listen({
          hostname: this.#o.address,
          port: this.local.port,
          transport: "tcp",
        });
        return true;
      } catch {
        await this.#sleep(waitMs);
        waitMs = Math.min(1000, waitMs * 2);
      }
    }
    return false;
  }

  sendMulticast(frame: Uint8Array): boolean {
    const m = this.#o.multicast;
    if (!m || !this.#udpOut || this.#closed) return false;
    // A bounded queue drained by one sender loop: one datagram op at a time keeps the order
    // and the memory bounded; a full queue drops (counted). [R-NODE-QUEUE-001]
    if (
      frame.length > this.maxDatagramBytes || this.#udpQueue.length >= this.#o.maxInflightDatagrams
    ) {
      this.#stats.multicastDrops++;
      return false;
    }
    this.#udpQueue.push(frame);
    if (!this.#udpSending) {
      this.#udpSending = true;
      this.#track(this.#udpSendLoop(this.#udpOut, m));
    }
    return true;
  }

  async #udpSendLoop(sock: Deno.DatagramConn, m: MulticastOptions): Promise<void> {
    const addr: Deno.NetAddr = { transport: "udp", hostname: m.group, port: m.port };
    try {
      while (this.#udpQueue.length > 0 && !this.#closed) {
        // Take the queue as a batch (no O(n) shifts); at most twice the cap is held.
        const batch = this.#udpQueue.splice(0);
        for (const frame of batch) {
          if (this.#closed) return;
          try {
            await sock.send(frame, addr);
            this.#stats.udp.framesOut++;
            this.#stats.udp.bytesOut += frame.length;
          } catch {
            this.#stats.multicastDrops++;
          }
        }
      }
    } finally {
      this.#udpSending = false;
    }
  }

  sendTcp(to: NetId, frame: Uint8Array, onFail?: SendFailure): boolean {
    if (this.#closed) return false;
    return this.#pool.send(to, frame, onFail);
  }

  stats(): TransportStats {
    this.#stats.pendingFrames = this.#pool.pending();
    if (this.#rx && !this.#closed) this.#stats.multicastKernelDrops = this.#rx.kernelDrops();
    return structuredClone(this.#stats);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    try {
      this.#listener.close();
    } catch { /* closed */ }
    this.#intake.close();
    this.#pool.close();
    // The socket and the library its drop count is read through.
    this.#rx?.close();
    // Let in-flight datagram sends finish before closing their socket.
    while (this.#tasks.size > 0) {
      const pending = [...this.#tasks];
      await Promise.allSettled(pending);
    }
    try {
      this.#udpOut?.close();
    } catch { /* closed */ }
  }
}
