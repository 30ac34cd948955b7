/**
 * A running Chatter node: sends each broadcast by multicast first and over a logarithmic TCP
 * tree across multicast domains, learns who hears whom from the frames it receives, delivers
 * each message once to its registered handler, and forwards what relays must forward.
 * The rules are stated, with tags, in `spec/node.md`.
 *
 * @module
 */

import {
  ChatterError,
  DeliveryUnconfirmedError,
  NodeClosedError,
  NodeOptionError,
  UnknownTypeError,
} from "../errors.ts";
import type { DecodeError } from "../wire/decode_error.ts";
import type { Profile } from "../wire/message.ts";
import { type BroadcastId, type NetId, parseNetId } from "../wire/netid.ts";
import {
  type DecodeLimits,
  LEGACY_START_BYTE,
  MAX_SEQNO,
  V2_START_BYTE,
} from "../wire/constants.ts";
import type { TimerHandle } from "./clock.ts";
import { createCodec } from "./codecs.ts";
import { usesPublicLegacyKey } from "./keys.ts";
import { DedupWindow } from "./dedup.ts";
import { Delivery } from "./delivery.ts";
import { ALL_PEERS } from "./destinations.ts";
import { type NodeEventListener, type NodeEventMap, NodeEvents } from "./events.ts";
import { denoTransport } from "./deno_transport.ts";
import type { FrameCodec, TransportKind } from "./frame_codec.ts";
import type { MessageHandle, MessageType, ReceivedMessage } from "./message_type.ts";
import { resolveHostAddress } from "./address.ts";
import { interfacePrefixLength } from "./subnet.ts";
import { emptyNodeCounters, type NodeCore } from "./node_core.ts";
import { type NodeStats, nodeStats } from "./node_stats.ts";
import { type NodeOptions, type ResolvedNodeOptions, resolveNodeOptions } from "./options.ts";
import { PeerDb } from "./peer_db.ts";
import { Liveness, type PeerRecord } from "./liveness.ts";
import { type Monitor, type RelayEdge, RelayLog, startMonitor } from "./monitor.ts";
import { ReceivePath } from "./receive_path.ts";
import { TypeRegistry } from "./registry.ts";
import { Reliability } from "./reliable.ts";
import { SendPath } from "./send_path.ts";
import type { Transport } from "./transport.ts";

/** Type names reserved for the node's own control records. [R-NODE-TYPE-002] */
export { SYSTEM_TYPE_PREFIX } from "./registry.ts";

let registerSystem: <T>(node: ChatterNode, type: MessageType<T>) => MessageHandle<T>;

/**
 * Register a reserved `chatter.sys.` message type (acks, digests, heartbeats and other control
 * records of the node itself). Internal: not exported by the package. [R-NODE-TYPE-002]
 */
export function registerSystemType<T>(node: ChatterNode, type: MessageType<T>): MessageHandle<T> {
  return registerSystem(node, type);
}

let relayEdges: (node: ChatterNode) => RelayEdge[];

/**
 * The node's recent TCP relay edges (a bounded ring, oldest first), for the cluster picture.
 * Internal: not exported by the package.
 */
export function relayEdgesOf(node: ChatterNode): RelayEdge[] {
  return relayEdges(node);
}

export { UnknownTypeError };

export { ALL_PEERS };
export type { NodeStats };

/**
 * A Chatter node. Start one with {@linkcode startNode}.
 *
 * @example
 * ```ts
 * import { EncodeError, MessageTypeError, type SendFailedEvent, startNode, textType } from "@chatter/chatter";
 * import { MemoryNetwork } from "@chatter/chatter/testing";
 * import assert from "node:assert/strict";
 * const net = new MemoryNetwork();
 * const node = await startNode({
 *   key: crypto.getRandomValues(new Uint8Array(32)),
 *   transport: net.transport({ id: { ip: "10.0.0.1", port: 4000 }, domain: "lan" }),
 * });
 * const chat = node.register(textType("chat"));
 * // Mistakes throw at once, typed and coded:
 * assert.throws(() => node.register(textType("chat")), MessageTypeError); // TYPE_ALREADY_REGISTERED
 * assert.throws(() => node.broadcast(["10.0.0.2:4000"], "chat", 42), EncodeError); // ENCODE_FAILED
 * // A network's failures arrive as events:
 * const failures: SendFailedEvent[] = [];
 * node.on("sendFailed", (e) => failures.push(e));
 * chat.broadcast(["10.0.0.9:4000"], "anyone there?"); // nobody listens at 10.0.0.9
 * await net.settle();
 * assert.equal(failures[0].error.code, "SEND_FAILED");
 * assert.equal(node.stats().broadcasts, 1);
 * await node.close();
 * ```
 */
export class ChatterNode {
  /** This node's NetID (address and actual TCP port). */
  readonly id: NetId;
  /** The wire profile it speaks. */
  readonly profile: Profile;
  readonly #c: NodeCore;
  /** Codecs accepted on receive, by start byte. [R-NODE-ACCEPT-001] */
  readonly #decoders = new Map<number, FrameCodec>();
  readonly #types = new TypeRegistry();
  readonly #delivery: Delivery;
  readonly #send: SendPath;
  readonly #recv: ReceivePath;
  #monitor: Monitor | undefined;
  #timer: TimerHandle | undefined;

  static {
    registerSystem = (node, type) => node.#register(type, true);
    relayEdges = (node) => node.#c.relayLog.edges();
  }

  private constructor(
    o: ResolvedNodeOptions,
    transport: Transport,
    codecs: FrameCodec[],
    seq: () => number,
    peekSeq: () => number,
  ) {
    const events = new NodeEvents(o.logger);
    // A public legacy key: say so through the logger (the library never prints). [R-NODE-KEY-006]
    if (usesPublicLegacyKey(o)) {
      o.logger?.warn("chatter: the legacy key is 0.0.15's public default key", { key: "public" });
    }
    this.id = transport.local;
    const codec = codecs[0];
    for (const c of codecs) {
      this.#decoders.set(c.profile === "legacy" ? LEGACY_START_BYTE : V2_START_BYTE, c);
    }
    this.profile = codec.profile;
    const db = new PeerDb(this.id, o, o.clock, o.random);
    const live = new Liveness(this.id, o, o.clock, o.random, {
      multicast: (recs) => this.#send.sendSys(undefined, recs),
      tcp: (to, recs) => this.#send.sendSys(to, recs),
      domainOf: (id) => db.domainOf(id),
      hearsUs: (id) => db.hearsUs(id),
      otherIds: () => db.otherIds(),
    }, events);
    const dedup = new DedupWindow(o.dedupWindow, o.maxPeers);
    // 0.0.15 restarts its sequence numbers at 1: remember legacy identities only briefly, with
    // no "too old" rule, so a restarted peer is heard again. [R-NODE-DEDUP-003]
    const dedupLegacy = new DedupWindow(Math.min(o.dedupWindow, 4096), o.maxPeers, {
      ttlMs: o.legacyDedupMs,
      now: () => o.clock.now(),
    });
    const s = emptyNodeCounters();
    const rel = o.reliable && codec.profile === "v2"
      ? new Reliability({
        self: this.id,
        clock: o.clock,
        events,
        nextSeq: seq,
        currentSeq: peekSeq,
        enqueue: (dests, key, recs) => this.#send.enqueue(dests, key, recs),
        sendDirect: (to, recs, onFail) => this.#send.sendDirect(to, recs, onFail),
        // Repairs by multicast or through a domain's relay. [R-NODE-REL-020..022]
        sendMulticast: (recs) => this.#send.sendMulticastRecords(recs),
        sendVia: (to, rest, recs) => this.#send.sendVia(to, rest, recs),
        hearsUs: (id) => db.hearsUs(id),
        domainOf: (id) => db.domainOf(id),
        hasDelivered: (id) => dedup.has(id),
        encodeFailed: (typeName, error) => {
          s.handlerErrors++;
          events.emit("handlerError", { typeName, error });
        },
      }, o)
      : undefined;
    this.#c = {
      id: this.id,
      profile: this.profile,
      o,
      codec,
      transport,
      db,
      live,
      rel,
      events,
      relayLog: new RelayLog(256),
      s,
      nextSeq: seq,
      dedup,
      dedupLegacy,
      closed: false,
    };
    this.#delivery = new Delivery(this.#c);
    this.#send = new SendPath(this.#c, this.#delivery);
    this.#recv = new ReceivePath(this.#c, this.#decoders, this.#types, this.#delivery, this.#send);
  }

  /**
   * Start a node. Throws {@linkcode NodeOptionError} for a bad option and an error naming the
   * address when the port is in use.
   */
  static async start(options: NodeOptions = {}): Promise<ChatterNode> {
    const o = resolveNodeOptions(await resolveHostAddress(options));
    // On the Deno transport the multicast interface's subnet is the domain's. [R-NODE-SCALE-006]
    if (options.subnetPrefixLength === undefined && !o.transport && o.multicast) {
      o.subnetPrefixLength = interfacePrefixLength(o.multicastInterface);
    }
    // Sequence numbers start from the clock so a restarted node's new messages are not taken
    // for old ones by receivers that remember its previous run. [R-NODE-DEDUP-002]
    let seq = Math.min(Math.floor(o.clock.now()) * 1024, MAX_SEQNO - 2 ** 40);
    const next = () => ++seq;
    const peek = () => seq;
    // The sending profile's codec first, then any other accepted one.
    const codecs = [createCodec(o, next)];
    for (const p of o.acceptProfiles) if (p !== o.profile) codecs.push(createCodec(o, next, p));
    const ref: { node?: ChatterNode } = {};
    const handlers = {
      frame: (f: Uint8Array, t: TransportKind) => ref.node ? ref.node.#recv.onFrame(f, t) : true,
      streamError: (e: DecodeError) => {
        if (ref.node) ref.node.#recv.countDecodeError(e, "tcp");
      },
      receiveError: (e: unknown, t: TransportKind, remote: NetId) => {
        if (ref.node) ref.node.#recv.receiveError(e, t, remote);
      },
      listenerFailed: (e: Error) => {
        if (!ref.node) return;
        ref.node.#c.events.emit("listenerFailed", {
          error: new ChatterError("LISTENER_FAILED", `TCP listener failed: ${e.message}`, {
            cause: e,
          }),
        });
      },
    };
    const factory = o.transport ?? denoTransport({
      ...o,
      multicast: o.multicast
        ? {
          group: o.multicastGroup,
          port: o.multicastPort,
          ttl: o.multicastTtl,
          interfaceAddress: o.multicastInterface,
          loss: o.multicastLoss,
          receiveBufferBytes: o.multicastReceiveBuffer,
        }
        : false,
      // 0.0.15 decodes each read as exactly one frame. [R-NODE-LEGACY-001]
      oneFramePerConnection: o.profile === "legacy",
    });
    const transport = await factory(handlers);
    // Simulation only: the simulator's transport (sim/net.ts) brings an unsealed codec so that
    // 10,000 nodes run in minutes. Not part of the public Transport: the Deno transport never
    // has it, so production nodes always seal their frames.
    const unsealed = (transport as { unsealedCodec?: (l: DecodeLimits) => FrameCodec })
      .unsealedCodec;
    const node = new ChatterNode(
      o,
      transport,
      unsealed ? [unsealed(o.limits)] : codecs,
      next,
      peek,
    );
    ref.node = node;
    node.#armTimer();
    node.#c.live.start();
    if (o.monitor) {
      try {
        node.#monitor = await startMonitor(o.monitor, {
          id: node.id,
          profile: node.profile,
          get domain() {
            return node.domain;
          },
          stats: () => node.stats(),
          peers: (opts) => node.peers(opts),
          relayLog: node.#c.relayLog,
        });
      } catch (e) {
        await node.close();
        throw e;
      }
    }
    return node;
  }

  #armTimer(): void {
    const c = this.#c;
    this.#timer = c.o.clock.setTimeout(() => {
      this.#timer = undefined;
      if (c.closed) return;
      c.db.sweep();
      c.live.maintain();
      this.#armTimer();
    }, c.o.maintenanceMs);
  }

  /**
   * Register a message type and get its typed handle: `handle.broadcast(destinations, value)`
   * takes only values of the type, `handle.messages()` yields only its messages, typed. Throws
   * {@linkcode MessageTypeError} `TYPE_ALREADY_REGISTERED` for a name registered already (or
   * one whose xxhash32 tag equals a registered name's) and `TYPE_NAME_RESERVED` for a name
   * starting with `chatter.sys.`; {@linkcode NodeOptionError} for a type without a name or
   * codec. [R-NODE-TYPE-001], [R-NODE-TYPE-002]
   */
  register<T>(type: MessageType<T>): MessageHandle<T> {
    return this.#register(type, false);
  }

  #register<T>(type: MessageType<T>, system: boolean): MessageHandle<T> {
    if (this.#c.closed) throw new NodeClosedError("register");
    const reg = this.#types.add(type as MessageType<unknown>, system);
    return {
      type,
      typeName: reg.type.typeName,
      broadcast: (destinations: Iterable<NetId | string>, value: T): BroadcastId =>
        this.#send.broadcast(reg, destinations, value),
      messages: (): AsyncIterableIterator<ReceivedMessage<T>> =>
        this.#delivery.iterate(reg) as AsyncIterableIterator<ReceivedMessage<T>>,
    };
  }

  /**
   * Broadcast `value` of the registered type `typeName` to `destinations` (NetIDs or
   * `"host:port"` text); the typed `register(...).broadcast(destinations, value)` does the
   * same. The value is encoded now: {@linkcode EncodeError} `ENCODE_FAILED` for a value its
   * type cannot encode, `MESSAGE_TOO_LARGE` for one no frame can carry; also
   * {@linkcode UnknownTypeError}, {@linkcode NodeClosedError}, and {@linkcode NodeOptionError}
   * for a destination that is not an address. Returns the message's identity. Sending happens
   * right after the current task, so broadcasts made together are batched into shared frames;
   * a destination that cannot be reached is reported by the `sendFailed` event. If this node
   * is among the destinations it is delivered here too. [R-NODE-SEND-001]
   */
  broadcast<T>(
    destinations: Iterable<NetId | string> | typeof ALL_PEERS,
    typeName: string,
    value: T,
  ): BroadcastId {
    if (this.#c.closed) throw new NodeClosedError("broadcast");
    if (typeof typeName !== "string") throw new NodeOptionError("typeName", typeName, "a string");
    const reg = this.#types.byName(typeName);
    if (!reg || reg.system) throw new UnknownTypeError(typeName);
    return this.#send.broadcast(reg, destinations, value);
  }

  /**
   * A Promise that resolves when every destination of `id` (a broadcast of this node) has
   * acknowledged it, and rejects with {@linkcode DeliveryUnconfirmedError} (code
   * `DELIVERY_UNCONFIRMED`, naming the destinations that did not confirm) after `timeoutMs`
   * (default 10 s), or when the message is given up, or at once when reliable delivery is off
   * or the message is not (or no longer) known. `timeoutMs` is a number of milliseconds, 0 or
   * more (`Infinity`: no timeout); anything else throws a {@linkcode NodeOptionError} at once.
   * [R-NODE-REL-007]
   *
   * @example
   * ```ts
   * import { DeliveryUnconfirmedError, startNode, textType } from "@chatter/chatter";
   * import assert from "node:assert/strict";
   * // Three nodes on loopback TCP (multicast off), with one shared key.
   * const key = crypto.getRandomValues(new Uint8Array(32));
   * const options = { address: "127.0.0.1", port: 0, multicast: false, key };
   * const [a, b, c] = [await startNode(options), await startNode(options), await startNode(options)];
   * for (const n of [a, b, c]) n.register(textType("chat"));
   * // Resolves once every destination has acknowledged the message:
   * await a.confirmed(a.broadcast([b.id, c.id], "chat", "hello"));
   * // Rejects after the timeout naming the destinations that did not confirm (c has stopped):
   * await c.close();
   * const id = a.broadcast([b.id, c.id], "chat", "anyone?");
   * await assert.rejects(a.confirmed(id, { timeoutMs: 1_000 }), (e) => {
   *   assert.ok(e instanceof DeliveryUnconfirmedError);
   *   assert.equal(e.code, "DELIVERY_UNCONFIRMED");
   *   assert.deepEqual(e.missing, [c.id]);
   *   return true;
   * });
   * await a.drained(); // nothing is held back by flow control
   * await a.close();
   * await b.close();
   * ```
   */
  confirmed(id: BroadcastId, opts: { timeoutMs?: number } = {}): Promise<void> {
    const t = opts.timeoutMs;
    if (t !== undefined && (typeof t !== "number" || !(t >= 0))) {
      throw new NodeOptionError("timeoutMs", t, "a number of milliseconds, 0 or more");
    }
    const rel = this.#c.rel;
    if (!rel) {
      return Promise.reject(new DeliveryUnconfirmedError(id, [], "unknown"));
    }
    return rel.confirmed(id, opts.timeoutMs ?? 10_000);
  }

  /**
   * Resolves when no broadcast is held back by flow control (immediately when none is); an
   * application that broadcasts in a loop awaits it to go at its receivers' pace.
   * [R-NODE-REL-008]
   */
  drained(): Promise<void> {
    return this.#c.rel ? this.#c.rel.drained() : Promise.resolve();
  }

  /**
   * Delivered messages, from now on, as an async iterator; it ends when the node closes.
   * Each iterator buffers up to `messageBuffer` messages, dropping the oldest (counted).
   */
  messages(): AsyncIterableIterator<ReceivedMessage> {
    return this.#delivery.iterate();
  }

  /**
   * Peers known now, with their liveness (state, last heard, domain, how heard, profile):
   * alive and suspect ones, and with `{ includeGone: true }` also dead and left ones. Each
   * record carries `ip` and `port`, so it is a NetID. [R-NODE-LIVE-007]
   */
  peers(options: { includeGone?: boolean } = {}): PeerRecord[] {
    return this.#c.live.peers(options.includeGone ?? false);
  }

  /** This node's multicast domain key (see {@linkcode PeerRecord}'s `domain`). */
  get domain(): string {
    return this.#c.db.domainOf(this.id);
  }

  /** The monitoring endpoint's address (`"host:port"`), when `monitor` is set. */
  get monitorAddress(): string | undefined {
    return this.#monitor?.address;
  }

  /** True when `peer`'s frames say it hears this node's multicast. */
  hearsUs(peer: NetId | string): boolean {
    return this.#c.db.hearsUs(typeof peer === "string" ? parseNetId(peer) : peer);
  }

  /**
   * Subscribe to an event (see {@linkcode NodeEventMap}); returns the function that
   * unsubscribes. Listeners run synchronously; one that throws is counted
   * (`stats().listenerErrors`) and does not disturb the node.
   */
  on<K extends keyof NodeEventMap>(type: K, listener: NodeEventListener<K>): () => void {
    return this.#c.events.on(type, listener);
  }

  /** A snapshot of the counters. */
  stats(): NodeStats {
    return nodeStats(this.#c, this.#decoders.values());
  }

  /** Stop: close every socket and timer, end the message iterators. Idempotent. */
  async close(): Promise<void> {
    const c = this.#c;
    if (c.closed) return;
    // Pending acknowledgements go out; unconfirmed broadcasts are reported lost ("closed").
    c.rel?.close();
    // Tell the peers we leave; give the announcement a moment to go out. [R-NODE-LIVE-005]
    const before = c.transport.stats().udp.framesOut;
    const sent = c.live.leave();
    for (let i = 0; sent !== "none" && i < 20; i++) {
      const t = c.transport.stats();
      if (t.pendingFrames === 0 && (sent === "tcp" || t.udp.framesOut > before)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    c.closed = true;
    await this.#monitor?.close();
    if (this.#timer !== undefined) c.o.clock.clearTimeout(this.#timer);
    this.#delivery.wakeAll();
    await c.transport.close();
  }
}

/**
 * Start a Chatter node.
 *
 * @example
 * ```ts
 * import { startNode, textType } from "@chatter/chatter";
 * import assert from "node:assert/strict";
 * // Two nodes on loopback TCP (multicast off), with one shared key.
 * const key = crypto.getRandomValues(new Uint8Array(32));
 * const options = { address: "127.0.0.1", port: 0, multicast: false, key };
 * const [a, b] = [await startNode(options), await startNode(options)];
 * a.register(textType("chat"));
 * const inbox = b.register(textType("chat")).messages();
 * a.broadcast([b.id], "chat", "hello");
 * const { value: m } = await inbox.next();
 * assert.equal(m?.value, "hello");
 * assert.deepEqual(m?.meta.sender, a.id);
 * await a.close();
 * await b.close();
 * ```
 */
export function startNode(options: NodeOptions = {}): Promise<ChatterNode> {
  return ChatterNode.start(options);
}
