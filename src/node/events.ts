/**
 * Events a node reports to the application: asynchronous failures and state changes that a
 * return value cannot carry. Subscribe with `node.on(type, listener)`; it returns a function
 * that unsubscribes. The library never writes to the console: what went wrong is an event
 * (and a counter in `stats()`). A listener that throws is counted (`listenerErrors`) and the
 * others still run.
 *
 * @module
 */

import type { ChatterError } from "../errors.ts";
import type { DecodeError } from "../wire/decode_error.ts";
import type { NetId } from "../wire/netid.ts";
import type { TransportKind } from "./frame_codec.ts";
import type { PeerRecord } from "./liveness.ts";
import type { Logger } from "./options.ts";

/**
 * A frame for `to` could not be written: `SEND_FAILED` (connect or write failure) or
 * `QUEUE_FULL` (the peer's outgoing queue was full; the frame was dropped, counted in
 * `stats().queueDrops`). [R-NODE-SEND-003], [R-NODE-SEND-004]
 */
export interface SendFailedEvent {
  /** The destination. */
  to: NetId;
  /** Why: its `code` is `SEND_FAILED` or `QUEUE_FULL`. */
  error: ChatterError;
}

/** A frame from a peer was rejected by the decoder (wrong key, replay, corruption, ...). */
export interface DecodeErrorEvent {
  /** The transport it came on. */
  transport: TransportKind;
  /** The decoder's error; its `code` says why. */
  error: DecodeError;
}

/** A message handler or an encoder callback threw. */
export interface HandlerErrorEvent {
  /** The message type. */
  typeName: string;
  /** What was thrown. */
  error: unknown;
}

/** The TCP listener died on its own; the node listens again. */
export interface ListenerFailedEvent {
  /** Why. */
  error: ChatterError;
}

/**
 * Messages that reliable delivery gave up. On the origin (`side: "origin"`): one message that
 * the listed destinations never acknowledged. On a destination (`side: "destination"`): the
 * origin told this node it gave up these messages to it (only those this node did not
 * receive are listed). [R-NODE-REL-004], [R-NODE-REL-006]
 */
export interface LostEvent {
  /** Which end reports it. */
  side: "origin" | "destination";
  /** The messages' origin node (this node on the origin side). */
  origin: NetId;
  /** Their origin sequence numbers (identity = origin + sequence number). */
  seqnos: number[];
  /** Destinations that miss them (this node on the destination side). */
  destinations: NetId[];
  /**
   * Why: `buffer` (retransmit buffer full), `age` (unconfirmed too long), `span` (too far
   * behind the origin's newest sequence number), `unreachable` (repairs kept failing while it
   * was silent, liveness declared it dead, or it announced that it leaves),
   * `closed` (the origin closed); `notice` on the destination side.
   */
  reason: "buffer" | "age" | "span" | "unreachable" | "closed" | "notice";
}

/**
 * A peer changed state (see spec/node.md, "Liveness"): `peerJoin` (first heard of),
 * `peerSuspect` (silent and unanswered probes), `peerDead` (suspect too long), `peerLeave` (it
 * announced a clean close), `peerRejoin` (a dead or left peer heard again, or a restarted one),
 * `peerAlive` (a suspect peer heard again: suspicion refuted).
 */
export interface PeerEvent {
  /** The peer's record after the change. */
  peer: PeerRecord;
}

/**
 * Something other than a `DecodeError` was thrown while receiving (a bug, or input no check
 * foresaw): it was caught and counted (`stats().limits.receiveErrors`), the frame dropped and,
 * on TCP, its connection closed; the node carries on. [R-NODE-ROBUST-001]
 */
export interface ReceiveErrorEvent {
  /** The transport it came on. */
  transport: TransportKind;
  /**
   * The source address of the connection or datagram (for TCP the peer's source port, not its
   * listening port), when known.
   */
  remote?: NetId;
  /** What was thrown. */
  error: unknown;
}

/**
 * A TCP share was not sent: even a frame without a distribution list would exceed the
 * receiver's NetID table limit (too many seen IDs, other IDs or records' NetIDs).
 * Counted in `stats().sharesUnsent`. [R-NODE-SCALE-002]
 */
export interface ShareUnsentEvent {
  /** The relay the share was for. */
  to: NetId;
  /** Nodes of the share (the relay and its list) that this frame would have reached. */
  nodes: number;
  /** Why; code `SHARE_TOO_LARGE`. */
  error: ChatterError;
}

/**
 * Every event a node emits, by name. Names are stable; each event's fields are documented on
 * its interface.
 */
export interface NodeEventMap {
  /** See {@linkcode SendFailedEvent}. */
  sendFailed: SendFailedEvent;
  /** See {@linkcode DecodeErrorEvent}. */
  decodeError: DecodeErrorEvent;
  /** See {@linkcode HandlerErrorEvent}. */
  handlerError: HandlerErrorEvent;
  /** See {@linkcode ListenerFailedEvent}. */
  listenerFailed: ListenerFailedEvent;
  /** See {@linkcode LostEvent}. */
  lost: LostEvent;
  /** A peer was first heard of. See {@linkcode PeerEvent}. */
  peerJoin: PeerEvent;
  /** A peer became suspect. See {@linkcode PeerEvent}. */
  peerSuspect: PeerEvent;
  /** A peer became dead. See {@linkcode PeerEvent}. */
  peerDead: PeerEvent;
  /** A peer announced that it leaves. See {@linkcode PeerEvent}. */
  peerLeave: PeerEvent;
  /** A dead, left or restarted peer is alive again. See {@linkcode PeerEvent}. */
  peerRejoin: PeerEvent;
  /** A suspect peer was heard again. See {@linkcode PeerEvent}. */
  peerAlive: PeerEvent;
  /** See {@linkcode ReceiveErrorEvent}. */
  receiveError: ReceiveErrorEvent;
  /** See {@linkcode ShareUnsentEvent}. */
  shareUnsent: ShareUnsentEvent;
}

/** A listener for event `K`. */
export type NodeEventListener<K extends keyof NodeEventMap> = (event: NodeEventMap[K]) => void;

/**
 * A small typed emitter: listeners per event name, called synchronously in subscription order.
 *
 * @example
 * ```ts
 * import { NodeEvents } from "./events.ts";
 * import assert from "node:assert/strict";
 * const events = new NodeEvents();
 * const seen: string[] = [];
 * const off = events.on("handlerError", (e) => seen.push(e.typeName));
 * events.emit("handlerError", { typeName: "chat", error: new Error("boom") });
 * off();
 * events.emit("handlerError", { typeName: "chat", error: new Error("again") });
 * assert.deepEqual(seen, ["chat"]);
 * ```
 */
export class NodeEvents {
  readonly #listeners = new Map<string, Set<(e: unknown) => void>>();
  readonly #logger?: Logger;
  /** Listener calls that threw. */
  listenerErrors = 0;

  /** An emitter that also hands every event to `logger.warn` when a logger is given. */
  constructor(logger?: Logger) {
    this.#logger = logger;
  }

  /** Subscribe `listener` to `type`; returns the function that unsubscribes it. */
  on<K extends keyof NodeEventMap>(type: K, listener: NodeEventListener<K>): () => void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, set = new Set());
    const fn = listener as (e: unknown) => void;
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  /** True when anyone listens to `type` (so callers can skip building costly events). */
  has(type: keyof NodeEventMap): boolean {
    return this.#logger !== undefined || (this.#listeners.get(type)?.size ?? 0) > 0;
  }

  /** Call every listener of `type` with `event`; a listener that throws is counted. */
  emit<K extends keyof NodeEventMap>(type: K, event: NodeEventMap[K]): void {
    if (this.#logger) {
      const err = (event as { error?: unknown }).error;
      const why = err instanceof Error ? err.message : "";
      try {
        this.#logger.warn(`chatter ${type}${why ? `: ${why}` : ""}`, { ...event });
      } catch {
        this.listenerErrors++;
      }
    }
    const set = this.#listeners.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(event);
      } catch {
        this.listenerErrors++;
      }
    }
  }
}
