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
  MessageTypeError,
  NodeClosedError,
  NodeOptionError,
  UnknownTypeError,
} from "../errors.ts";
import { DecodeError } from "../wire/decode_error.ts";
import type { Gossip } from "../wire/gossip.ts";
import type { OutgoingRecord, Profile } from "../wire/message.ts";
import { type BroadcastId, type NetId, netIdKey, parseNetId } from "../wire/netid.ts";
import {
  type DecodeLimits,
  LEGACY_START_BYTE,
  MAX_SEQNO,
  V2_START_BYTE,
} from "../wire/constants.ts";
import { typeTag } from "../wire/xxhash32.ts";
import type { TimerHandle } from "./clock.ts";
import { createCodec } from "./codecs.ts";
import { usesPublicLegacyKey } from "./keys.ts";
import { v2Aead, type V2AeadName } from "../wire/v2/aead_backend.ts";
import { DedupWindow } from "./dedup.ts";
import { checkLegacyBroadcast } from "./legacy_interop.ts";
import { type NodeEventListener, type NodeEventMap, NodeEvents } from "./events.ts";
import { denoTransport } from "./deno_transport.ts";
import type { FrameCodec, TransportKind } from "./frame_codec.ts";
import type { MessageHandle, MessageMeta, MessageType, ReceivedMessage } from "./message_type.ts";
import { maxPayloadBytes, prepareValue } from "./outgoing.ts";
import { resolveHostAddress } from "./address.ts";
import { NetIdTable } from "../wire/netid_table.ts";
import { type NodeOptions, type ResolvedNodeOptions, resolveNodeOptions } from "./options.ts";
import { PeerDb } from "./peer_db.ts";
import { Liveness, type LivenessStats, type PeerRecord, type SysRecord } from "./liveness.ts";
import { type Monitor, type RelayEdge, RelayLog, startMonitor } from "./monitor.ts";
import {
  boundGossip,
  emptyReceiveLimitStats,
  mayReseal,
  type ReceiveLimitStats,
} from "./receive_guard.ts";
import { planBroadcast, takeOver, type TcpSend } from "./plan.ts";
import {
  emptyReliableStats,
  isReliableControlTag,
  Reliability,
  type ReliableStats,
} from "./reliable.ts";
import { maxShareFor } from "./share_limits.ts";
import { decodeDomains, DOMAINS_TAG, domainsRecord, isUnitMarker } from "./domains.ts";
import type { TrafficCounters, Transport, TransportStats } from "./transport.ts";

/** Counters of a node. */
export interface NodeStats {
  /** TCP frames and bytes in and out. */
  tcp: TrafficCounters;
  /** Multicast frames and bytes in and out. */
  udp: TrafficCounters;
  /** Messages this node broadcast. */
  broadcasts: number;
  /** Messages delivered to handlers (each identity once). */
  delivered: number;
  /** Messages received again and not delivered. */
  duplicates: number;
  /** Messages too far behind their origin's newest to tell; not delivered. */
  tooOld: number;
  /** Legacy peers seen restarting (their duplicate memory cleared). [R-NODE-LEGACY-005] */
  legacyRestarts: number;
  /** Frames rejected by the decoder, by error code. */
  decodeErrors: Record<string, number>;
  /** TCP frames dropped because a peer's queue was full. */
  queueDrops: number;
  /** Multicast datagrams dropped (loss knob, too many in flight). */
  multicastDrops: number;
  /**
   * Records not sent by multicast because they exceed the datagram limit (they went by TCP
   * to every destination). [R-NODE-SCALE-001]
   */
  multicastTooLarge: number;
  /** TCP shares not sent: even a frame without a list is over the receiver's limits. */
  sharesUnsent: number;
  /** Failed TCP sends whose share the next node took over. */
  relayTakeovers: number;
  /** Outgoing connections that could not be opened. */
  connectFailures: number;
  /** TCP streams closed because their framing broke. */
  streamErrors: number;
  /** Records of types not registered here (not delivered). [R-NODE-UNKNOWN-001] */
  unknownTypes: number;
  /** Of those, records forwarded with their payload bytes unchanged. */
  unknownForwarded: number;
  /** Of those, records a relay did not forward (`forwardUnknownTypes: false`). */
  unknownDropped: number;
  /** Records whose payload the type's decoder rejected. */
  payloadErrors: number;
  /** Handler calls that threw. */
  handlerErrors: number;
  /** Messages dropped from a full `messages()` buffer. */
  messageBufferDrops: number;
  /** Event listener calls that threw (see {@linkcode ChatterNode.on}). */
  listenerErrors: number;
  /** Reliable delivery (zero when off): acknowledgements, repairs, losses, flow control. */
  reliable: ReliableStats;
  /** Peers known now. */
  peers: number;
  /** Heartbeats, probes and peer states (see spec/node.md, "Liveness"). */
  liveness: LivenessStats;
  /** Receive limits hit and unauthenticated records held back. [R-NODE-AMP-*] */
  limits: ReceiveLimitStats;
  /** The transport's own counters. */
  transport: TransportStats;
  /** The AES-256-GCM backend v2 frames are sealed and opened with. [R-V2-IMPL-001] */
  aead: V2AeadName;
}

interface Registered {
  type: MessageType<unknown>;
  tag: number;
  /** A reserved `chatter.sys.` type: not yielded by the node-wide `messages()`. */
  system: boolean;
}

/** A record on its way out: a typed value, or raw bytes of a type not registered here. */
interface OutRec {
  tag: number;
  origin: BroadcastId;
  reg?: Registered;
  value?: unknown;
  raw?: Uint8Array;
  /** NetIDs the payload refers to, when known already. */
  extraNetIds?: NetId[];
}

interface Subscriber {
  buf: ReceivedMessage[];
  wake?: () => void;
  /** Only messages of this registration (a handle's iterator); else every application type. */
  only?: Registered;
}

/** Type names reserved for the node's own control records. [R-NODE-TYPE-002] */
export const SYSTEM_TYPE_PREFIX = "chatter.sys.";

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

/**
 * `broadcast(ALL_PEERS, ...)` (or `"all"`) sends to every peer alive or suspect now.
 * [R-NODE-LIVE-007]
 */
export const ALL_PEERS = "all";

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
  readonly #o: ResolvedNodeOptions;
  readonly #codec: FrameCodec;
  /** Codecs accepted on receive, by start byte. [R-NODE-ACCEPT-001] */
  readonly #decoders = new Map<number, FrameCodec>();
  readonly #transport: Transport;
  readonly #db: PeerDb;
  readonly #dedup: DedupWindow;
  readonly #dedupLegacy: DedupWindow;
  readonly #byTag = new Map<number, Registered>();
  readonly #byName = new Map<string, Registered>();
  readonly #pending = new Map<string, { dests: NetId[]; recs: OutRec[] }>();
  readonly #subs = new Set<Subscriber>();
  readonly #events: NodeEvents;
  readonly #live: Liveness;
  /** Recent TCP relay edges of data frames, for the monitor. */
  readonly #relayLog: RelayLog = new RelayLog(256);
  #monitor: Monitor | undefined;
  #flushScheduled = false;

  static {
    registerSystem = (node, type) => node.#register(type, true);
    relayEdges = (node) => node.#relayLog.edges();
  }
  #destCache?: {
    input: unknown;
    items: (NetId | string)[];
    ips: string[];
    ports: number[];
    out: { dests: NetId[]; key: string; toSelf: boolean };
  };
  readonly #nextSeq: () => number;
  /** Reliable delivery, when on (v2). [R-NODE-REL-001] */
  readonly #rel?: Reliability;
  #timer: TimerHandle | undefined;
  #closed = false;
  readonly #s = {
    broadcasts: 0,
    delivered: 0,
    duplicates: 0,
    tooOld: 0,
    decodeErrors: {} as Record<string, number>,
    multicastTooLarge: 0,
    sharesUnsent: 0,
    relayTakeovers: 0,
    unknownTypes: 0,
    unknownForwarded: 0,
    unknownDropped: 0,
    payloadErrors: 0,
    handlerErrors: 0,
    messageBufferDrops: 0,
    limits: emptyReceiveLimitStats(),
  };

  private constructor(
    o: ResolvedNodeOptions,
    transport: Transport,
    codecs: FrameCodec[],
    seq: () => number,
    peekSeq: () => number,
  ) {
    this.#o = o;
    this.#events = new NodeEvents(o.logger);
    // A public legacy key: say so through the logger (the library never prints). [R-NODE-KEY-006]
    if (usesPublicLegacyKey(o)) {
      o.logger?.warn("chatter: the legacy key is 0.0.15's public default key", { key: "public" });
    }
    this.#transport = transport;
    this.id = transport.local;
    const codec = codecs[0];
    this.#codec = codec;
    for (const c of codecs) {
      this.#decoders.set(c.profile === "legacy" ? LEGACY_START_BYTE : V2_START_BYTE, c);
    }
    this.profile = codec.profile;
    this.#nextSeq = seq;
    this.#db = new PeerDb(this.id, o, o.clock, o.random);
    this.#live = new Liveness(this.id, o, o.clock, o.random, {
      multicast: (recs) => this.#sendSys(undefined, recs),
      tcp: (to, recs) => this.#sendSys(to, recs),
      domainOf: (id) => this.#db.domainOf(id),
      hearsUs: (id) => this.#db.hearsUs(id),
      otherIds: () => this.#db.otherIds(),
    }, this.#events);
    this.#dedup = new DedupWindow(o.dedupWindow, o.maxPeers);
    // 0.0.15 restarts its sequence numbers at 1: remember legacy identities only briefly, with
    // no "too old" rule, so a restarted peer is heard again. [R-NODE-DEDUP-003]
    this.#dedupLegacy = new DedupWindow(Math.min(o.dedupWindow, 4096), o.maxPeers, {
      ttlMs: o.legacyDedupMs,
      now: () => o.clock.now(),
    });
    if (o.reliable && codec.profile === "v2") {
      this.#rel = new Reliability({
        self: this.id,
        clock: o.clock,
        events: this.#events,
        nextSeq: seq,
        currentSeq: peekSeq,
        enqueue: (dests, key, recs) => this.#enqueue(dests, key, recs),
        sendDirect: (to, recs, onFail) => this.#sendDirect(to, recs, onFail),
        hasDelivered: (id) => this.#dedup.has(id),
        encodeFailed: (typeName, error) => {
          this.#s.handlerErrors++;
          this.#events.emit("handlerError", { typeName, error });
        },
      }, o);
    }
  }

  /**
   * Start a node. Throws {@linkcode NodeOptionError} for a bad option and an error naming the
   * address when the port is in use.
   */
  static async start(options: NodeOptions = {}): Promise<ChatterNode> {
    const o = resolveNodeOptions(await resolveHostAddress(options));
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
      frame: (f: Uint8Array, t: TransportKind) => ref.node ? ref.node.#onFrame(f, t) : true,
      streamError: (e: DecodeError) => {
        if (ref.node) ref.node.#countDecodeError(e, "tcp");
      },
      receiveError: (e: unknown, t: TransportKind, remote: NetId) => {
        if (ref.node) ref.node.#receiveError(e, t, remote);
      },
      listenerFailed: (e: Error) => {
        if (!ref.node) return;
        ref.node.#events.emit("listenerFailed", {
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
    node.#live.start();
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
          relayLog: node.#relayLog,
        });
      } catch (e) {
        await node.close();
        throw e;
      }
    }
    return node;
  }

  #armTimer(): void {
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#closed) return;
      this.#db.sweep();
      this.#live.maintain();
      this.#armTimer();
    }, this.#o.maintenanceMs);
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
    if (this.#closed) throw new NodeClosedError("register");
    if (!type || typeof type.typeName !== "string" || type.typeName === "") {
      throw new NodeOptionError("typeName", type?.typeName, "a non-empty string");
    }
    const name = type.typeName;
    if (typeof type.encode !== "function" || typeof type.decode !== "function") {
      throw new NodeOptionError(
        `${name}: encode/decode`,
        typeof type.encode,
        "encode and decode functions",
      );
    }
    if (name.startsWith(SYSTEM_TYPE_PREFIX) !== system) {
      throw new MessageTypeError(
        "TYPE_NAME_RESERVED",
        name,
        system
          ? `system types must start with ${JSON.stringify(SYSTEM_TYPE_PREFIX)}`
          : `names starting with ${JSON.stringify(SYSTEM_TYPE_PREFIX)} are reserved for the node`,
      );
    }
    const tag = typeTag(name);
    const prev = this.#byTag.get(tag);
    if (prev) {
      throw new MessageTypeError(
        "TYPE_ALREADY_REGISTERED",
        name,
        prev.type.typeName === name
          ? "is registered already"
          : `has the same tag 0x${tag.toString(16)} as ${JSON.stringify(prev.type.typeName)}`,
      );
    }
    const reg: Registered = { type: type as MessageType<unknown>, tag, system };
    this.#byTag.set(tag, reg);
    this.#byName.set(name, reg);
    return {
      type,
      typeName: name,
      broadcast: (destinations: Iterable<NetId | string>, value: T): BroadcastId =>
        this.#broadcast(reg, destinations, value),
      messages: (): AsyncIterableIterator<ReceivedMessage<T>> =>
        this.#iterate(reg) as AsyncIterableIterator<ReceivedMessage<T>>,
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
    if (this.#closed) throw new NodeClosedError("broadcast");
    if (typeof typeName !== "string") throw new NodeOptionError("typeName", typeName, "a string");
    const reg = this.#byName.get(typeName);
    if (!reg || reg.system) throw new UnknownTypeError(typeName);
    return this.#broadcast(reg, destinations, value);
  }

  #broadcast(reg: Registered, destinations: Iterable<NetId | string>, value: unknown): BroadcastId {
    if (this.#closed) throw new NodeClosedError("broadcast");
    if (destinations === ALL_PEERS) destinations = this.#live.alive();
    const { dests, key, toSelf } = this.#resolveDests(destinations);
    const prepared = prepareValue(
      reg.type,
      value,
      this.id,
      (extra) => maxPayloadBytes(this.#o.limits, this.#o, dests.length, extra),
    );
    const typeName = reg.type.typeName;
    const origin: BroadcastId = { ip: this.id.ip, port: this.id.port, seqno: this.#nextSeq() };
    // What no 0.0.15 node could read fails here. [R-NODE-LEGACY-004], [R-NODE-LEGACY-006]
    if (this.profile === "legacy") this.#checkLegacy(reg, value, origin, prepared);
    this.#s.broadcasts++;
    if (toSelf) {
      if (this.#o.dedup) this.#dedupFor(this.profile).check(origin);
      this.#deliver(reg, value, {
        typeName,
        origin,
        sender: this.id,
        transport: "local",
        authenticated: true,
      });
    }
    if (dests.length === 0) {
      this.#rel?.confirmedAtOnce(origin.seqno);
      return origin;
    }
    const rec: OutRec = prepared.bytes
      ? { tag: reg.tag, origin, raw: prepared.bytes, extraNetIds: prepared.extraNetIds }
      : { tag: reg.tag, origin, reg, value, extraNetIds: prepared.extraNetIds };
    // Reliable delivery tracks it; flow control may hold it back. [R-NODE-REL-001], [R-NODE-REL-008]
    if (this.#rel && this.#rel.admit(rec, dests, key) !== "send") return origin;
    this.#enqueue(dests, key, [rec]);
    return origin;
  }

  #enqueue(dests: NetId[], key: string, recs: OutRec[]): void {
    let p = this.#pending.get(key);
    if (!p) this.#pending.set(key, p = { dests, recs: [] });
    for (const r of recs) p.recs.push(r);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  /**
   * A Promise that resolves when every destination of `id` (a broadcast of this node) has
   * acknowledged it, and rejects with {@linkcode DeliveryUnconfirmedError} (code
   * `DELIVERY_UNCONFIRMED`, naming the destinations that did not confirm) after `timeoutMs`
   * (default 10 s), or when the message is given up, or at once when reliable delivery is off
   * or the message is not (or no longer) known. [R-NODE-REL-007]
   */
  confirmed(id: BroadcastId, opts: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.#rel) {
      return Promise.reject(new DeliveryUnconfirmedError(id, [], "unknown"));
    }
    return this.#rel.confirmed(id, opts.timeoutMs ?? 10_000);
  }

  /**
   * Resolves when no broadcast is held back by flow control (immediately when none is); an
   * application that broadcasts in a loop awaits it to go at its receivers' pace.
   * [R-NODE-REL-008]
   */
  drained(): Promise<void> {
    return this.#rel ? this.#rel.drained() : Promise.resolve();
  }

  #checkLegacy(
    reg: Registered,
    value: unknown,
    origin: BroadcastId,
    prepared: { bytes?: Uint8Array; extraNetIds?: NetId[] },
  ): void {
    checkLegacyBroadcast({
      ...prepared,
      codec: this.#codec,
      origin,
      seen: this.#db.seenIds(),
      other: this.#db.otherIds(),
      type: reg.type,
      tag: reg.tag,
      value,
      maxDatagramBytes: this.#o.multicast ? this.#transport.maxDatagramBytes : undefined,
    });
  }

  /**
   * Destinations without this node, and a key naming the set. The last result is reused when
   * the same (unchanged) array is passed again, as applications that broadcast many messages
   * to one peer list do; checking it costs one identity comparison per element.
   */
  #resolveDests(
    destinations: Iterable<NetId | string>,
  ): { dests: NetId[]; key: string; toSelf: boolean } {
    const c = this.#destCache;
    if (c && c.input === destinations && Array.isArray(destinations)) {
      const a = destinations as (NetId | string)[];
      let same = a.length === c.items.length;
      for (let i = 0; same && i < a.length; i++) {
        const d = a[i];
        // Objects are compared by identity and must not have changed since.
        same = d === c.items[i] &&
          (typeof d === "string" || (d.ip === c.ips[i] && d.port === c.ports[i]));
      }
      if (same) return c.out;
    }
    const dests: NetId[] = [];
    const keys: string[] = [];
    const selfKey = netIdKey(this.id);
    let toSelf = false;
    for (const d of destinations) {
      let id: NetId, k: string;
      try {
        id = typeof d === "string" ? parseNetId(d) : d;
        k = netIdKey(id);
        if (typeof d !== "string") NetIdTable.build([id]);
      } catch {
        throw new NodeOptionError("destination", d, `a NetID {ip, port} or "ip:port" text`);
      }
      if (k === selfKey) {
        toSelf = true;
        continue;
      }
      dests.push(id);
      keys.push(k);
    }
    const out = { dests, key: keys.sort().join(","), toSelf };
    if (Array.isArray(destinations)) {
      const items = [...destinations] as (NetId | string)[];
      this.#destCache = {
        input: destinations,
        items,
        ips: items.map((d) => typeof d === "string" ? "" : d.ip),
        ports: items.map((d) => typeof d === "string" ? 0 : d.port),
        out,
      };
    }
    return out;
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#closed) return;
    for (const [k, p] of this.#pending) {
      this.#pending.delete(k);
      this.#send(p.dests, p.recs);
    }
  }

  #outgoing(recs: OutRec[]): OutgoingRecord[] {
    return recs.map((r) => {
      if (r.raw || !r.reg) {
        return { typeTag: r.tag, origin: r.origin, payload: r.raw!, extraNetIds: r.extraNetIds };
      }
      const t = r.reg.type;
      const v = r.value;
      return {
        typeTag: r.tag,
        origin: r.origin,
        payload: (table) => t.encode(v, table),
        extraNetIds: r.extraNetIds ?? t.extractNetIds?.(v),
      };
    });
  }

  /**
   * Send records to destinations: multicast first, then the TCP tree. [R-NODE-PLAN-*]
   * `relayNew` is set for a relay's forward: whether any record arrived new by TCP (a relay
   * whose records its domain already heard does not multicast them again). [R-NODE-SCALE-003]
   */
  #send(dests: readonly NetId[], recs: OutRec[], relayNew?: boolean, keep = true): void {
    let mc = this.#o.multicast;
    // A relay multicasts only records that were new to it: if it had them already (by a
    // domain-mate's multicast), its domain has heard them. [R-NODE-SCALE-003]
    if (mc && relayNew !== undefined) mc = relayNew;
    const o = this.#o;
    let out = this.#outgoing(recs);
    const base: Gossip = {
      current: { ip: this.id.ip, port: this.id.port, seqno: this.#nextSeq() },
      seen: this.#db.seenIds(),
      other: this.#db.otherIds(),
      distribution: [],
    };
    // No list longer than the receiver's table and list limits allow. [R-NODE-SCALE-002]
    // And none longer than receivers accept (maxDistribution). [R-NODE-AMP-001]
    // Domain facts (v2): a share's record names the relay too, a multicast one 16 nodes.
    const facts = this.profile === "v2";
    const maxShare = Math.min(
      maxShareFor(o.limits, base, out) - (facts ? 1 : 0),
      o.maxDistribution,
    );
    const plan = planBroadcast(this.id, dests, this.#db, o.random, {
      keep,
      multicast: mc,
      maxShare: Math.max(0, maxShare),
    });
    if (!plan.multicast && plan.tcp.length === 0) return;
    let tcpOnly: OutgoingRecord[] = [];
    if (plan.multicast) {
      const max = this.#transport.maxDatagramBytes;
      // Our domain group rides along on multicast: domain-mates learn each other from it
      // without pairwise evidence. [R-NODE-SCALE-004]
      const own = facts ? this.#db.ownGroup() : [];
      const withFacts = (rs: OutgoingRecord[]) =>
        rs.length > 0 && own.length > 1
          ? [
            ...rs,
            domainsRecord(
              base.current,
              this.#fitGroups([own], this.#db.gossipGroups(1), base, rs, 0),
            ),
          ]
          : rs;
      const frames = this.#encode(base, withFacts(out), max);
      if (frames.some((f) => f.length > max)) {
        // Which records do not fit one datagram: they keep every destination on TCP.
        // [R-NODE-SCALE-001]
        const fits: OutgoingRecord[] = [];
        for (const r of out) {
          const alone = this.#encode(base, [r], max);
          if (alone.some((f) => f.length > max)) tcpOnly.push(r);
          else fits.push(r);
        }
        this.#s.multicastTooLarge += tcpOnly.length;
        out = fits;
        for (const f of this.#encode(base, withFacts(fits), max)) this.#transport.sendMulticast(f);
      } else for (const f of frames) this.#transport.sendMulticast(f);
      this.#live.dataSent();
    } else tcpOnly = out.splice(0);
    this.#sendPlan(plan.multicast ? plan.tcp : [], base, out, maxShare);
    if (tcpOnly.length > 0) {
      const all = plan.multicast
        ? planBroadcast(this.id, dests, this.#db, o.random, {
          multicast: false,
          maxShare: Math.max(0, maxShare),
        }).tcp
        : plan.tcp;
      this.#sendPlan(all, base, tcpOnly, maxShare);
    }
  }

  /**
   * `must` groups, then as many of `extra` as the receiver's table limit leaves room for (their
   * members may be new table entries). [R-NODE-SCALE-002], [R-NODE-SCALE-004]
   */
  #fitGroups(
    must: NetId[][],
    extra: NetId[][],
    base: Gossip,
    out: OutgoingRecord[],
    listed: number,
  ): NetId[][] {
    let room = this.#o.limits.maxTableEntries - listed -
      (this.#o.limits.maxTableEntries - maxShareFor(this.#o.limits, base, out));
    for (const g of must) room -= g.length - (listed > 0 ? g.length - 1 : 0);
    const groups = must.filter((g) => g.length > 1);
    for (const g of extra) {
      if (g.length > room) break;
      room -= g.length;
      groups.push(g);
    }
    return room >= 0 ? groups : [];
  }

  /** Send each share of a plan; none when even a leaf frame is over the limits. */
  #sendPlan(tcp: TcpSend[], base: Gossip, out: OutgoingRecord[], maxShare: number): void {
    if (out.length === 0) return;
    // One budget of relay take-overs for all the shares of this send. [R-NODE-AMP-003]
    const takeovers = { left: this.#o.maxRelayTakeovers };
    for (const s of tcp) {
      if (maxShare < 0) this.#shareUnsent(s, maxShare);
      else {
        this.#relayLog.add(
          this.id,
          s.to,
          out[0]?.origin,
          s.distribution.length,
          this.#o.clock.now(),
        );
        this.#sendTcp(s, base, out, takeovers);
      }
    }
  }

  /** Send control records (heartbeats, probes) in one frame: by multicast, or by TCP to `to`. */
  #sendSys(to: NetId | undefined, recs: SysRecord[]): boolean {
    if (this.#closed) return false;
    const out: OutgoingRecord[] = recs.map((r) => ({
      typeTag: r.tag,
      origin: { ip: this.id.ip, port: this.id.port, seqno: this.#nextSeq() },
      payload: r.payload,
    }));
    const g: Gossip = {
      current: { ip: this.id.ip, port: this.id.port, seqno: this.#nextSeq() },
      seen: this.#db.seenIds(),
      other: this.#db.otherIds(),
      distribution: [],
    };
    let ok = false;
    if (to === undefined) {
      if (!this.#o.multicast) return false;
      for (const f of this.#encode(g, out, this.#transport.maxDatagramBytes)) {
        if (f.length > this.#transport.maxDatagramBytes) this.#s.multicastTooLarge++;
        else ok = this.#transport.sendMulticast(f) || ok;
      }
    } else {
      for (const f of this.#encode(g, out, this.#o.maxTcpFrameBytes, to)) {
        ok = this.#transport.sendTcp(to, f) || ok;
      }
    }
    return ok;
  }

  #shareUnsent(s: TcpSend, maxShare: number): void {
    this.#s.sharesUnsent++;
    if (!this.#events.has("shareUnsent")) return;
    this.#events.emit("shareUnsent", {
      to: s.to,
      nodes: s.distribution.length + 1,
      error: new ChatterError(
        "SHARE_TOO_LARGE",
        `a frame to ${s.to.ip}:${s.to.port} would need ${-maxShare} NetID table entries more ` +
          `than the receiver's limit allows, even without a distribution list`,
      ),
    });
  }

  /** Records straight to one node by TCP, with no distribution list (repairs, control). */
  #sendDirect(to: NetId, recs: OutRec[], onFail?: () => void): { frames: number; bytes: number } {
    if (this.#closed) return { frames: 0, bytes: 0 };
    const frames = this.#encode(
      {
        current: { ip: this.id.ip, port: this.id.port, seqno: this.#nextSeq() },
        seen: this.#db.seenIds(),
        other: this.#db.otherIds(),
        distribution: [],
      },
      this.#outgoing(recs),
      this.#o.maxTcpFrameBytes,
      to, // bound to its one receiver [R-V2-BIND-001]
    );
    let bytes = 0;
    for (const f of frames) {
      bytes += f.length;
      this.#transport.sendTcp(to, f, onFail);
    }
    return { frames: frames.length, bytes };
  }

  #encode(g: Gossip, out: OutgoingRecord[], maxFrameBytes: number, to?: NetId): Uint8Array[] {
    try {
      return this.#codec.encode(g, out, {
        maxFrameBytes,
        maxRecords: this.#o.maxBatchRecords,
        to,
      });
    } catch (e) {
      // An encoder callback or the profile rejected a value: count and report it, never crash
      // the node.
      this.#s.handlerErrors++;
      this.#events.emit("handlerError", { typeName: "(encoding)", error: e });
      return [];
    }
  }

  #sendTcp(
    send: TcpSend,
    base: Gossip,
    out: OutgoingRecord[],
    takeovers: { left: number },
  ): void {
    // The share's grouping by domain rides along: the relay plans its subtree by domain
    // without having learned them itself. [R-NODE-SCALE-004]
    // And a few groups it learned lately, so domains spread to every node. [R-NODE-SCALE-004]
    const groups = this.profile === "v2"
      ? this.#fitGroups(
        send.distribution.length > 0 ? this.#db.groupsOf([send.to, ...send.distribution]) : [],
        this.#db.gossipGroups(4),
        base,
        out,
        send.distribution.length + 1,
      )
      : [];
    // The relay's unit was planned as one domain: it keeps no TCP copy. [R-NODE-SCALE-007]
    if (send.unit && this.profile === "v2") groups.unshift([send.to]);
    const frames = this.#encode(
      { ...base, distribution: send.distribution },
      groups.length > 0 ? [...out, domainsRecord(base.current, groups)] : out,
      this.#o.maxTcpFrameBytes,
      send.to,
    );
    let failed = false;
    const onFail = (err: Error) => {
      if (failed || this.#closed) return;
      failed = true;
      if (this.#events.has("sendFailed")) {
        this.#events.emit("sendFailed", {
          to: send.to,
          error: new ChatterError("SEND_FAILED", err.message, { cause: err }),
        });
      }
      // The next node of the share becomes its relay. [R-NODE-RELAY-001]
      const next = takeOver(send);
      if (next && takeovers.left <= 0) {
        this.#s.limits.takeoverLimit++; // [R-NODE-AMP-003]
      } else if (next) {
        takeovers.left--;
        this.#s.relayTakeovers++;
        this.#sendTcp(next, base, out, takeovers);
      }
    };
    for (const f of frames) this.#transport.sendTcp(send.to, f, onFail);
  }

  #dedupFor(p: Profile): DedupWindow {
    return p === "legacy" ? this.#dedupLegacy : this.#dedup;
  }

  #countDecodeError(e: DecodeError, transport: TransportKind): void {
    this.#s.decodeErrors[e.code] = (this.#s.decodeErrors[e.code] ?? 0) + 1;
    this.#events.emit("decodeError", { transport, error: e });
  }

  /** Something other than a DecodeError was thrown receiving: count, report, carry on. */
  #receiveError(e: unknown, transport: TransportKind, remote?: NetId): void {
    this.#s.limits.receiveErrors++;
    this.#events.emit("receiveError", { transport, remote, error: e });
  }

  #onFrame(bytes: Uint8Array, kind: TransportKind): boolean {
    if (this.#closed) return false;
    try {
      return this.#onFrameUnguarded(bytes, kind);
    } catch (e) {
      // Never fatal: counted and reported; on TCP the connection is closed. [R-NODE-ROBUST-001]
      this.#receiveError(e, kind);
      return false;
    }
  }

  #onFrameUnguarded(bytes: Uint8Array, kind: TransportKind): boolean {
    let f;
    try {
      const codec = this.#decoders.get(bytes[0]);
      // Our own multicast looped back: skip it without decrypting.
      if (kind === "udp" && codec === this.#codec && codec.isOwn?.(bytes)) return true;
      if (!codec) {
        // A profile this node does not accept (or no profile at all). [R-NODE-ACCEPT-001]
        const b = bytes.length > 0 ? `0x${bytes[0].toString(16)}` : "none (empty frame)";
        throw new DecodeError(
          "BAD_START_BYTE",
          0,
          `start byte ${b}: not a profile this node accepts (${this.#o.acceptProfiles.join(", ")})`,
        );
      }
      f = codec.decode(bytes, kind, this.id);
    } catch (e) {
      if (e instanceof DecodeError) {
        this.#countDecodeError(e, kind);
        // Every rejected frame, replays and late frames included, closes its TCP connection:
        // a peer that sent one bad frame is not trusted with the rest of its stream.
        // [R-NODE-ERR-001], [R-NODE-ERR-002]
        return false;
      }
      throw e;
    }
    const g = boundGossip(f.gossip, this.#o, this.#s.limits); // [R-NODE-AMP-001..002]
    if (!g) return false;
    // Our own multicast, looped back.
    if (g.current.port === this.id.port && g.current.ip === this.id.ip) return true;
    this.#db.learn(g, kind);
    this.#live.heard(g, kind, f.profile);
    let forward = kind === "tcp" && g.distribution.length > 0;
    // Unauthenticated (legacy) records are never re-sealed as v2. [R-NODE-DOWNGRADE-002]
    if (forward && !mayReseal(f.profile, this.profile)) {
      this.#s.limits.unauthenticatedNotForwarded += f.records.length;
      forward = false;
    }
    const authenticated = f.profile !== "legacy";
    const dedup = this.#dedupFor(f.profile);
    const sender: NetId = { ip: g.current.ip, port: g.current.port };
    const out: OutRec[] = [];
    let anyNew = false;
    let data = false;
    let keep = true;
    for (const r of f.records) {
      if (isReliableControlTag(r.typeTag)) {
        // Reserved control records: handled here, never delivered or forwarded.
        if (authenticated) this.#rel?.control(r, sender, f.profile);
        continue;
      }
      if (r.typeTag === DOMAINS_TAG) {
        // Domain facts: learned from the sender's own record only (a forwarded copy's indexes
        // refer to another frame's table); never delivered or forwarded. [R-NODE-SCALE-004]
        if (r.origin.ip === sender.ip && r.origin.port === sender.port && authenticated) {
          const groups = decodeDomains(r.payload, f.table);
          if (groups) this.#db.learnGroups(groups);
          if (groups && kind === "tcp") keep = !isUnitMarker(groups, this.id); // [R-NODE-SCALE-007]
        }
        continue;
      }
      if (Liveness.isSys(r.typeTag)) {
        // Heartbeats, probes, acks: for the liveness module only. [R-NODE-LIVE-001]
        this.#live.record(r.typeTag, r.payload, sender);
        continue;
      }
      if (!data && kind === "tcp") {
        data = true;
        this.#relayLog.add(sender, this.id, r.origin, g.distribution.length, this.#o.clock.now());
      }
      const reg = this.#byTag.get(r.typeTag);
      const verdict = this.#o.dedup ? dedup.check(r.origin, kind) : "new";
      // Acknowledge what arrived (not what is too old to tell). [R-NODE-REL-002]
      if (this.#rel && verdict !== "old") this.#rel.received(r.origin, f.profile);
      if (!reg) {
        this.#s.unknownTypes++;
        if (!forward) continue;
        // Bytes unchanged: NetID references inside cannot be rewritten for the new frame's
        // table, so table-referring types must be registered on every relay. [R-NODE-UNKNOWN-001]
        if (this.#o.forwardUnknownTypes) {
          this.#s.unknownForwarded++;
          out.push({ tag: r.typeTag, origin: r.origin, raw: r.payload.slice() });
        } else this.#s.unknownDropped++;
        continue;
      }
      let value: unknown;
      try {
        value = reg.type.decode(r.payload, f.table);
      } catch {
        this.#s.payloadErrors++;
        continue;
      }
      if (verdict === "new") {
        anyNew = true;
        value = this.#deliver(reg, value, {
          typeName: reg.type.typeName,
          origin: r.origin,
          sender,
          transport: kind,
          authenticated,
        });
      } else if (verdict === "duplicate") this.#s.duplicates++;
      else this.#s.tooOld++;
      if (forward) out.push({ tag: r.typeTag, origin: r.origin, reg, value });
    }
    if (out.length > 0) this.#send(g.distribution, out, anyNew, keep);
    return true;
  }

  /** Call the handler and the subscribers; returns the value to forward. */
  #deliver(reg: Registered, value: unknown, meta: MessageMeta): unknown {
    this.#s.delivered++;
    if (reg.type.handler) {
      try {
        const r = reg.type.handler(value, meta);
        if (r !== undefined) value = r;
      } catch (e) {
        this.#s.handlerErrors++;
        this.#events.emit("handlerError", { typeName: meta.typeName, error: e });
      }
    }
    for (const s of this.#subs) {
      if (s.only ? s.only !== reg : reg.system) continue;
      if (s.buf.length >= this.#o.messageBuffer) {
        s.buf.shift();
        this.#s.messageBufferDrops++;
      }
      s.buf.push({ value, meta });
      s.wake?.();
    }
    return value;
  }

  /**
   * Delivered messages, from now on, as an async iterator; it ends when the node closes.
   * Each iterator buffers up to `messageBuffer` messages, dropping the oldest (counted).
   */
  messages(): AsyncIterableIterator<ReceivedMessage> {
    return this.#iterate();
  }

  #iterate(only?: Registered): AsyncIterableIterator<ReceivedMessage> {
    const sub: Subscriber = { buf: [], only };
    this.#subs.add(sub);
    const ended = () => this.#closed || !this.#subs.has(sub);
    const it: AsyncIterableIterator<ReceivedMessage> = {
      async next(): Promise<IteratorResult<ReceivedMessage>> {
        for (;;) {
          if (sub.buf.length > 0) return { value: sub.buf.shift()!, done: false };
          if (ended()) return { value: undefined, done: true };
          await new Promise<void>((r) => sub.wake = r);
          sub.wake = undefined;
        }
      },
      return: (): Promise<IteratorResult<ReceivedMessage>> => {
        this.#subs.delete(sub);
        sub.wake?.();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  /**
   * Peers known now, with their liveness (state, last heard, domain, how heard, profile):
   * alive and suspect ones, and with `{ includeGone: true }` also dead and left ones. Each
   * record carries `ip` and `port`, so it is a NetID. [R-NODE-LIVE-007]
   */
  peers(options: { includeGone?: boolean } = {}): PeerRecord[] {
    return this.#live.peers(options.includeGone ?? false);
  }

  /** This node's multicast domain key (see {@linkcode PeerRecord}'s `domain`). */
  get domain(): string {
    return this.#db.domainOf(this.id);
  }

  /** The monitoring endpoint's address (`"host:port"`), when `monitor` is set. */
  get monitorAddress(): string | undefined {
    return this.#monitor?.address;
  }

  /** True when `peer`'s frames say it hears this node's multicast. */
  hearsUs(peer: NetId | string): boolean {
    return this.#db.hearsUs(typeof peer === "string" ? parseNetId(peer) : peer);
  }

  /**
   * Subscribe to an event (see {@linkcode NodeEventMap}); returns the function that
   * unsubscribes. Listeners run synchronously; one that throws is counted
   * (`stats().listenerErrors`) and does not disturb the node.
   */
  on<K extends keyof NodeEventMap>(type: K, listener: NodeEventListener<K>): () => void {
    return this.#events.on(type, listener);
  }

  /** A snapshot of the counters. */
  stats(): NodeStats {
    const t = this.#transport.stats();
    let evicted = 0;
    for (const c of this.#decoders.values()) evicted += c.sessionsEvicted?.() ?? 0;
    this.#s.limits.sessionsEvicted = evicted;
    return {
      tcp: t.tcp,
      udp: t.udp,
      ...structuredClone(this.#s),
      legacyRestarts: this.#dedupLegacy.restarts,
      queueDrops: t.queueDrops,
      multicastDrops: t.multicastDrops,
      connectFailures: t.connectFailures,
      streamErrors: t.streamErrors,
      listenerErrors: this.#events.listenerErrors,
      reliable: this.#rel?.stats() ?? emptyReliableStats(),
      peers: this.#db.size,
      liveness: this.#live.stats(),
      transport: t,
      aead: v2Aead().name,
    };
  }

  /** Stop: close every socket and timer, end the message iterators. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    // Pending acknowledgements go out; unconfirmed broadcasts are reported lost ("closed").
    this.#rel?.close();
    // Tell the peers we leave; give the announcement a moment to go out. [R-NODE-LIVE-005]
    const before = this.#transport.stats().udp.framesOut;
    const sent = this.#live.leave();
    for (let i = 0; sent !== "none" && i < 20; i++) {
      const t = this.#transport.stats();
      if (t.pendingFrames === 0 && (sent === "tcp" || t.udp.framesOut > before)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    this.#closed = true;
    await this.#monitor?.close();
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    for (const s of this.#subs) s.wake?.();
    await this.#transport.close();
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
