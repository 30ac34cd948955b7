/**
 * The transport seam (after hashicorp/memberlist's `Transport`): the node sends and receives
 * whole frames; a transport owns sockets, connection reuse, bounded outgoing queues and
 * stream reassembly. Two implementations: {@linkcode startDenoTransport} (real TCP and UDP
 * multicast) and the in-memory {@linkcode MemoryNetwork} (deterministic tests).
 *
 * @module
 */

import type { DecodeError } from "../wire/decode_error.ts";
import type { NetId } from "../wire/netid.ts";
import type { TransportKind } from "./frame_codec.ts";
import { emptyIntakeStats, type IntakeStats } from "./intake.ts";

/** Frame and byte counters of one direction of one transport. */
export interface TrafficCounters {
  /** Frames received. */
  framesIn: number;
  /** Bytes received. */
  bytesIn: number;
  /** Frames sent (handed to the socket). */
  framesOut: number;
  /** Bytes sent. */
  bytesOut: number;
}

/** Counters a transport keeps. */
export interface TransportStats {
  /** TCP traffic. */
  tcp: TrafficCounters;
  /** UDP multicast traffic. */
  udp: TrafficCounters;
  /** Frames dropped because a peer's outgoing queue was full. */
  queueDrops: number;
  /** Multicast datagrams dropped on purpose (the loss knob) or because too many were in flight. */
  multicastDrops: number;
  /** Outgoing connections that could not be opened. */
  connectFailures: number;
  /** Frames that were queued but could not be written (connect or write failure). */
  sendFailures: number;
  /** Connections closed for being idle. */
  idleClosed: number;
  /** `accept()` calls that failed for one connection (reset before accept, EMFILE, ...); survived. */
  acceptErrors: number;
  /** Node callbacks (frame, send-failure) that threw; the transport carried on. */
  handlerFailures: number;
  /** Times the TCP listener died on its own and was opened again. */
  listenerFailures: number;
  /** Incoming connections refused because the cap was reached. */
  connectionsRefused: number;
  /** Open outgoing connections now. */
  outgoingOpen: number;
  /** Open incoming connections now. */
  incomingOpen: number;
  /** TCP streams whose framing broke (bad header); the connection was closed. */
  streamErrors: number;
  /** TCP frames queued or being written now (not yet counted in `framesOut`). */
  pendingFrames: number;
  /** Incoming-connection limits hit (deadlines, evictions, memory budget). [R-NODE-INTAKE-*] */
  intake: IntakeStats;
  /**
   * The multicast receive socket's kernel buffer: asked, granted, how (`method: "default"` and 0
   * bytes when there is no such socket). [R-NODE-REL-010]
   */
  multicastReceiveBuffer: {
    /** Bytes asked for (option `multicastReceiveBuffer`; 0: the OS default). */
    requestedBytes: number;
    /**
     * `SO_RCVBUF` as the kernel reports it after sizing (Linux reports twice the granted size,
     * which is capped at `net.core.rmem_max`); 0 when not read.
     */
    grantedBytes: number;
    /**
     * How: `setsockopt` (done), `default` (not asked, or no such socket), `unsupported` (not
     * Linux, or no libc), `no-permission` (no FFI or `/proc` read permission; never prompted),
     * `failed` (the descriptor was not found or `setsockopt` failed).
     */
    method: "setsockopt" | "default" | "unsupported" | "no-permission" | "failed";
  };
  /**
   * Datagrams the kernel dropped at the multicast receive socket because its buffer was full,
   * read from `multicastKernelDropsSource` (0 where that is `unavailable`). Reliable delivery
   * repairs them. [R-NODE-REL-010]
   */
  multicastKernelDrops: number;
  /**
   * Where `multicastKernelDrops` comes from, so that "0 drops" can be told from "cannot know":
   * `sockopt` (Linux `getsockopt(SO_MEMINFO)` through FFI: `--allow-ffi`, as `deno task node`
   * grants), `proc` (Linux `/proc/net/udp`: Deno 2.9 lets only `--allow-all` read it; used when
   * FFI is not granted), `simulated` (the in-memory network's slow readers count exactly what they
   * drop), `unavailable` (none of these, or no multicast receive socket). [R-NODE-REL-010]
   */
  multicastKernelDropsSource: "sockopt" | "proc" | "simulated" | "unavailable";
}

/** A fresh zeroed {@linkcode TransportStats}. */
export function emptyTransportStats(): TransportStats {
  const t = (): TrafficCounters => ({ framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0 });
  return {
    tcp: t(),
    udp: t(),
    queueDrops: 0,
    multicastDrops: 0,
    connectFailures: 0,
    sendFailures: 0,
    idleClosed: 0,
    acceptErrors: 0,
    handlerFailures: 0,
    listenerFailures: 0,
    connectionsRefused: 0,
    outgoingOpen: 0,
    incomingOpen: 0,
    streamErrors: 0,
    pendingFrames: 0,
    intake: emptyIntakeStats(),
    multicastReceiveBuffer: { requestedBytes: 0, grantedBytes: 0, method: "default" },
    multicastKernelDrops: 0,
    multicastKernelDropsSource: "unavailable",
  };
}

/** What the transport calls into. */
export interface TransportHandlers {
  /**
   * A whole frame arrived. Return `false` to reject it: for TCP the connection is closed
   * (a peer that sent one bad frame is not trusted with the rest of its stream). `frame` is
   * valid only during the call (a datagram's bytes are in the transport's reused receive
   * buffer): copy what must outlive it.
   */
  frame(frame: Uint8Array, transport: TransportKind): boolean;
  /** A TCP stream's framing broke; the transport closes the connection. */
  streamError(err: DecodeError): void;
  /** The TCP listener died on its own; the transport is listening again. */
  listenerFailed?(err: Error): void;
  /**
   * Something other than a `DecodeError` was thrown while receiving from `remote` (the
   * connection's or datagram's source address); it was caught and counted, and on TCP the
   * connection was closed. [R-NODE-ROBUST-001]
   */
  receiveError?(err: unknown, transport: TransportKind, remote: NetId): void;
}

/** Called when a queued TCP frame could not be delivered to the peer's socket. */
export type SendFailure = (err: Error) => void;

/** A running transport. */
export interface Transport {
  /** Our NetID: the TCP address peers reach us on (the actual port when 0 was asked). */
  readonly local: NetId;
  /** Largest datagram the multicast side sends; larger frames go by TCP only. */
  readonly maxDatagramBytes: number;
  /** Send one frame to the multicast group. False when dropped. */
  sendMulticast(frame: Uint8Array): boolean;
  /**
   * Queue one frame for `to` over a reused TCP connection. False when the peer's queue is
   * full and the frame was dropped (counted). `onFail` is called, at most once and never
   * synchronously, when a queued frame cannot be written.
   */
  sendTcp(to: NetId, frame: Uint8Array, onFail?: SendFailure): boolean;
  /** A snapshot of the counters. */
  stats(): TransportStats;
  /** Close every socket and timer; resolves when all are gone. */
  close(): Promise<void>;
}

/** Starts a transport bound to its handlers. */
export type TransportFactory = (handlers: TransportHandlers) => Promise<Transport>;
