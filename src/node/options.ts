/**
 * Node options, their defaults, and their checks: a bad option fails at start with an error
 * that names the option and the value. The defaults are declared once, in
 * {@linkcode NODE_DEFAULTS}; {@linkcode ResolvedNodeOptions} is derived from
 * {@linkcode NodeOptions}, and the transport and peer database read the resolved options
 * directly (their option types are picks of it), so nothing is copied by hand.
 *
 * @module
 */

import { NodeOptionError } from "../errors.ts";
import {
  type DecodeLimits,
  DEFAULT_LIMITS,
  V2_MAX_CLOCK_SKEW_MS,
  V2_REPLAY_WINDOW,
} from "../wire/constants.ts";
import { parseV2Key } from "./keys.ts";
import type { Profile } from "../wire/message.ts";
import { formatIp, isIpv4, type NetId, parseIp, parseNetId } from "../wire/netid.ts";
import { type NodeClock, systemClock } from "./clock.ts";
import { cryptoRandom, type RandomSource } from "./random.ts";
import type { TransportFactory } from "./transport.ts";

/**
 * The default of every node option that has a fixed default: the one place defaults are
 * declared (the CLI's help and the docs read them from here). Options whose default depends
 * on others (`address`, `multicastInterface`, `key`, `acceptProfiles`) say so on
 * {@linkcode NodeOptions}.
 *
 * @example
 * ```ts
 * import { generateV2Key, NODE_DEFAULTS } from "@chatter/chatter";
 * import { resolveNodeOptions } from "./options.ts";
 * import assert from "node:assert/strict";
 * const o = resolveNodeOptions({ address: "127.0.0.1", key: generateV2Key() });
 * assert.equal(o.port, NODE_DEFAULTS.port);
 * assert.equal(o.replayWindow, NODE_DEFAULTS.replayWindow);
 * ```
 */
export const NODE_DEFAULTS: NodeDefaults = Object.freeze(
  {
    port: 29999,
    multicast: true,
    multicastGroup: "224.1.1.1",
    multicastPort: 29999,
    multicastTtl: 4,
    multicastLoss: 0,
    multicastReceiveBuffer: 8_388_608,
    label: "",
    profile: "v2",
    maxQueueFrames: 4096,
    maxQueueBytes: 8_388_608,
    maxConnections: 64,
    maxIncomingConnections: 256,
    idleTimeoutMs: 30_000,
    connectTimeoutMs: 2_000,
    maxDatagramBytes: 1400,
    maxInflightDatagrams: 8192,
    maxTcpFrameBytes: 65_536,
    maxBatchRecords: 256,
    peerTtlMs: 60_000,
    maxPeers: 1024,
    maxSeenIds: 32,
    maxOtherIds: 4,
    forwardUnknownTypes: true,
    dedup: true,
    dedupWindow: 65_536,
    legacyDedupMs: 5_000,
    // Reliable delivery (spec/node.md). [R-NODE-REL-*]
    reliable: true,
    ackDelayMs: 100,
    retransmitMs: 500,
    retransmitMaxMessages: 65_536,
    retransmitMaxBytes: 33_554_432,
    retransmitMaxAgeMs: 30_000,
    sendWindow: 8192,
    sendWindowMin: 256,
    sendWindowInitial: 8192,
    maxRepairFailures: 5,
    multicastRepairMin: 3,
    // The wire's replay window (spec/wire.md 15.7). [R-NODE-OPT-002]
    replayWindow: V2_REPLAY_WINDOW,
    // The wire's default clock-skew tolerance (spec/wire.md 15.15).
    maxClockSkewMs: V2_MAX_CLOCK_SKEW_MS,
    messageBuffer: 65_536,
    maintenanceMs: 1_000,
    tcpHeartbeatEvery: 5,
    suspectIntervals: 3,
    deadIntervals: 5,
    indirectProbes: 2,
    // Hostile peers and limits (spec/node.md). [R-NODE-INTAKE-*], [R-NODE-AMP-*]
    maxConnectionsPerSource: 64,
    firstFrameTimeoutMs: 10_000,
    frameTimeoutMs: 10_000,
    maxReceiveBufferBytes: 67_108_864,
    maxDistribution: 1024,
    maxReceivedSeenIds: 64,
    maxReceivedOtherIds: 16,
    maxRelayTakeovers: 16,
  },
);

/** The options {@linkcode NODE_DEFAULTS} holds a default for, each as {@linkcode NodeOptions} documents it. */
export type NodeDefaults = Readonly<
  Required<
    Pick<
      NodeOptions,
      | "port"
      | "multicast"
      | "multicastGroup"
      | "multicastPort"
      | "multicastTtl"
      | "multicastLoss"
      | "multicastReceiveBuffer"
      | "label"
      | "profile"
      | "maxQueueFrames"
      | "maxQueueBytes"
      | "maxConnections"
      | "maxIncomingConnections"
      | "idleTimeoutMs"
      | "connectTimeoutMs"
      | "maxDatagramBytes"
      | "maxInflightDatagrams"
      | "maxTcpFrameBytes"
      | "maxBatchRecords"
      | "peerTtlMs"
      | "maxPeers"
      | "maxSeenIds"
      | "maxOtherIds"
      | "forwardUnknownTypes"
      | "dedup"
      | "dedupWindow"
      | "legacyDedupMs"
      | "reliable"
      | "ackDelayMs"
      | "retransmitMs"
      | "retransmitMaxMessages"
      | "retransmitMaxBytes"
      | "retransmitMaxAgeMs"
      | "sendWindow"
      | "sendWindowMin"
      | "sendWindowInitial"
      | "maxRepairFailures"
      | "multicastRepairMin"
      | "replayWindow"
      | "maxClockSkewMs"
      | "messageBuffer"
      | "maintenanceMs"
      | "tcpHeartbeatEvery"
      | "suspectIntervals"
      | "deadIntervals"
      | "indirectProbes"
      | "maxConnectionsPerSource"
      | "firstFrameTimeoutMs"
      | "frameTimeoutMs"
      | "maxReceiveBufferBytes"
      | "maxDistribution"
      | "maxReceivedSeenIds"
      | "maxReceivedOtherIds"
      | "maxRelayTakeovers"
    >
  >
>;

/**
 * Defaults that differ on the legacy profile (they replace {@linkcode NODE_DEFAULTS}' there):
 * `maxDatagramBytes` is 8192, the most Elixir Chatter 0.0.15 reads from one multicast datagram
 * (Erlang `gen_udp`'s default buffer). [R-NODE-LEGACY-004]
 *
 * @example
 * ```ts
 * import { LEGACY_DEFAULTS, resolveNodeOptions } from "./options.ts";
 * import assert from "node:assert/strict";
 * const o = resolveNodeOptions({ address: "127.0.0.1", profile: "legacy" });
 * assert.equal(o.maxDatagramBytes, LEGACY_DEFAULTS.maxDatagramBytes); // 8192
 * ```
 */
export const LEGACY_DEFAULTS: Readonly<Pick<NodeDefaults, "maxDatagramBytes">> = Object.freeze({
  maxDatagramBytes: 8192,
});

/**
 * The profile a node speaks when none is given.
 *
 * @example
 * ```ts
 * import { DEFAULT_PROFILE } from "./options.ts";
 * import assert from "node:assert/strict";
 * assert.equal(DEFAULT_PROFILE, "v2");
 * ```
 */
export const DEFAULT_PROFILE: Profile = NODE_DEFAULTS.profile;

/**
 * The key Elixir Chatter 0.0.15 uses when no key is configured (its code's default). Its sample
 * `config/dev.exs` sets `...78912` instead, and a node on one key does not talk to a node on the
 * other. The legacy profile defaults to this one, so that it talks to a 0.0.15 node started
 * without a key; it is public, so set your own. The v2 profile has no default key.
 * [R-NODE-KEY-001]
 *
 * @example
 * ```ts
 * import { DEFAULT_KEY } from "./options.ts";
 * import assert from "node:assert/strict";
 * assert.equal(DEFAULT_KEY.length, 32);
 * ```
 */
export const DEFAULT_KEY = "01234567890123456789012345678901";

/** One key of a keyring. */
export interface KeyringEntry {
  /** Key id, 0 to 255. */
  id: number;
  /** The 32-byte key (text is UTF-8 encoded). */
  key: string | Uint8Array;
}

/**
 * Where a node reports what goes wrong, when the application wants it logged rather than (or
 * as well as) handled as events: every node event is also given to `warn` (with the event as
 * `fields`). `console` fits. The library logs nothing unless a logger is given.
 */
export interface Logger {
  /** A failure the node survived (a node event). */
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Options of {@linkcode startNode}. Everything is optional; fixed defaults are listed in
 * {@linkcode NODE_DEFAULTS} (named after the option), the others below.
 */
export interface NodeOptions {
  /**
   * Address to listen on and to be known by: IPv4, IPv6 (multicast is IPv4 only: set
   * `multicast: false` or an IPv4 `multicastInterface`) or a host name, resolved once at start
   * (default: first non-loopback IPv4, else 127.0.0.1).
   */
  address?: string;
  /** TCP port; 0 picks a free port. */
  port?: number;
  /** Use UDP multicast. */
  multicast?: boolean;
  /** Multicast group (IPv4, 224.0.0.0 to 239.255.255.255). */
  multicastGroup?: string;
  /** Multicast UDP port. */
  multicastPort?: number;
  /** Multicast time-to-live. */
  multicastTtl?: number;
  /** Address of the interface multicast uses (default: `address`). */
  multicastInterface?: string;
  /** Fraction (0 to <1) of received multicast datagrams to drop: a test knob. */
  multicastLoss?: number;
  /**
   * Kernel receive buffer of the multicast socket, in bytes (default 8 MiB; 0: the OS default).
   * Set on Linux with `setsockopt(SO_RCVBUF)` through FFI when the process may use FFI and read
   * `/proc` (else the OS default, said in `stats().transport.multicastReceiveBuffer`); Linux caps
   * it at `net.core.rmem_max`. [R-NODE-REL-010]
   */
  multicastReceiveBuffer?: number;
  /**
   * The shared key (legacy: any length, normalised as 0.0.15 does, default
   * {@linkcode DEFAULT_KEY}; v2: exactly 32 bytes, the primary key, required unless `keyring`
   * is given).
   */
  key?: string | Uint8Array;
  /** v2 keyring: the first entry is the primary (sending) key; all are accepted. */
  keyring?: KeyringEntry[];
  /** v2 cluster label, bound into authentication. */
  label?: string;
  /** Wire profile this node sends. */
  profile?: Profile;
  /**
   * Profiles accepted on receive, told apart by each frame's first byte on TCP and UDP
   * (default: just `profile`). Must include `profile`. E.g. `["v2", "legacy"]` lets a v2 node
   * hear legacy (0.0.15) nodes; the legacy side uses `key` (or the primary keyring key).
   */
  acceptProfiles?: Profile[];
  /** Receiver limits (default: the wire's `DEFAULT_LIMITS`). */
  limits?: Partial<DecodeLimits>;
  /** Most frames queued for one peer. */
  maxQueueFrames?: number;
  /** Most bytes queued for one peer. */
  maxQueueBytes?: number;
  /** Most open outgoing connections. */
  maxConnections?: number;
  /**
   * Most open incoming connections. At the cap the oldest connection that never delivered a
   * valid frame is closed to make room; only when all have is a newcomer refused.
   * [R-NODE-INTAKE-001]
   */
  maxIncomingConnections?: number;
  /**
   * Close connections idle this long (milliseconds); an incoming one is idle until it delivers
   * a whole valid frame (bytes alone do not count). [R-NODE-INTAKE-005]
   */
  idleTimeoutMs?: number;
  /**
   * Most open incoming connections from one source address; at the limit the source's oldest
   * unproven connection makes room. [R-NODE-INTAKE-002]
   */
  maxConnectionsPerSource?: number;
  /** An incoming connection must deliver a whole valid frame within this (ms). [R-NODE-INTAKE-003] */
  firstFrameTimeoutMs?: number;
  /** A frame must be complete this long (ms) after its first byte arrived. [R-NODE-INTAKE-004] */
  frameTimeoutMs?: number;
  /** Most reassembly-buffer bytes over all incoming connections. [R-NODE-INTAKE-006] */
  maxReceiveBufferBytes?: number;
  /**
   * Longest distribution list a received frame may carry; a longer one rejects the frame
   * (counted in `stats().limits.distributionTooLong`). This node's own shares are cut to it
   * too. [R-NODE-AMP-001]
   */
  maxDistribution?: number;
  /**
   * Prefix length of the IP subnet that is this node's multicast domain (e.g. 24), when it is
   * one: destinations the node has learned nothing about are grouped by their subnet of this
   * length, so a broadcast to many remote subnets costs one TCP frame per subnet without any
   * learning. Default: on the Deno transport with multicast on, the prefix length of the
   * multicast interface (read with `Deno.networkInterfaces()`, which needs `--allow-sys`; 0
   * when it cannot be read); otherwise 0, not known (destinations are grouped by what was
   * learned only). [R-NODE-SCALE-006]
   */
  subnetPrefixLength?: number;
  /** Most seen IDs of a received frame that are learned; the rest are ignored. [R-NODE-AMP-002] */
  maxReceivedSeenIds?: number;
  /** Most other IDs of a received frame that are learned; the rest are ignored. [R-NODE-AMP-002] */
  maxReceivedOtherIds?: number;
  /**
   * Most relay take-overs after failed sends, over all the shares of one send or forward.
   * [R-NODE-AMP-003]
   */
  maxRelayTakeovers?: number;
  /** Give up connecting after this long (milliseconds). */
  connectTimeoutMs?: number;
  /**
   * Largest multicast datagram in bytes, 64 to 65,507 (default 1400 on v2, 8192 on legacy).
   * Larger frames are not multicast: v2 packs records into frames that fit; on legacy, where
   * each message is one frame, `broadcast` throws an `EncodeError` (`MESSAGE_TOO_LARGE`) for a
   * message whose frame is larger. Trade-off: a datagram larger than the path MTU (about 1472
   * bytes of UDP payload on Ethernet) travels as IP fragments, and the loss of any fragment
   * loses the whole datagram, so large datagrams are lost more often than small ones. The
   * legacy default is what Elixir Chatter 0.0.15 reads: its multicast socket (Erlang `gen_udp`
   * with its default 8 KiB buffer) truncates larger datagrams, and 0.0.15 then rejects them.
   * 0.0.15 itself sends datagrams up to 65,507 bytes, and this node receives them. Raise it
   * only when every legacy receiver reads more (Deno nodes read up to 65,507). See
   * R-NODE-LEGACY-004 in spec/node.md.
   */
  maxDatagramBytes?: number;
  /** Most multicast datagrams queued for sending; more are dropped and counted. */
  maxInflightDatagrams?: number;
  /** Target size of one TCP frame when batching. */
  maxTcpFrameBytes?: number;
  /** Most records in one frame. */
  maxBatchRecords?: number;
  /** Forget peers not heard from for this long (milliseconds). */
  peerTtlMs?: number;
  /** Most peers remembered. */
  maxPeers?: number;
  /** Most seen IDs per frame. */
  maxSeenIds?: number;
  /** Most other IDs per frame. */
  maxOtherIds?: number;
  /**
   * Forward records of types not registered here, payload bytes unchanged.
   * Their NetID references cannot be rewritten: see R-NODE-UNKNOWN-001 in spec/node.md.
   */
  forwardUnknownTypes?: boolean;
  /** De-duplicate deliveries by message identity. */
  dedup?: boolean;
  /**
   * Sequence numbers remembered per origin for de-duplication, one bit each (8 KiB per origin
   * at the default 65536; legacy frames use at most 4096). Reliable delivery gives a message up
   * once it falls this far (less a margin of 1024) behind its origin's newest sequence number.
   * [R-NODE-REL-005]
   */
  dedupWindow?: number;
  /**
   * Reliable delivery on the v2 profile (the legacy profile never uses it): destinations
   * acknowledge what they received, the origin re-sends what was not acknowledged and reports
   * what it gives up. Off: broadcasts are fire-and-forget (multicast plus one kept TCP copy)
   * and no acknowledgements are sent. [R-NODE-REL-001]
   */
  reliable?: boolean;
  /** Reliable delivery: destinations send acknowledgements at most this late (milliseconds). */
  ackDelayMs?: number;
  /**
   * Reliable delivery: smallest retransmission timeout (milliseconds); the timeout adapts to
   * the measured round trip (acknowledgement delay included), up to 5 s, doubling per retry;
   * 1 s plus `ackDelayMs` before the first measurement. [R-NODE-REL-003]
   */
  retransmitMs?: number;
  /** Reliable delivery: most messages in the retransmit buffer. [R-NODE-REL-004] */
  retransmitMaxMessages?: number;
  /** Reliable delivery: most payload bytes in the retransmit buffer. [R-NODE-REL-004] */
  retransmitMaxBytes?: number;
  /** Reliable delivery: a message unconfirmed this long (milliseconds) is given up. */
  retransmitMaxAgeMs?: number;
  /**
   * Reliable delivery, flow control: most unacknowledged messages per destination; further
   * broadcasts to it are held back until acknowledgements arrive. [R-NODE-REL-008]
   */
  sendWindow?: number;
  /**
   * Reliable delivery, flow control: smallest adaptive send window per destination (default
   * 256; at most `sendWindow`). The window of a destination halves, at most once per round trip,
   * when the origin infers heavy loss to it (at least a tenth of what it settled lately), never
   * below this, and grows back as it acknowledges. Equal to `sendWindow`: a fixed window.
   * [R-NODE-REL-016]
   */
  sendWindowMin?: number;
  /**
   * Reliable delivery, flow control: send window of a destination before any loss to it was
   * inferred (default 8192, clamped to `sendWindowMin`..`sendWindow`; below `sendWindow` it
   * grows by one per acknowledged message up to `sendWindow`, as TCP's slow start). Smaller
   * values limit the first burst to a destination (fewer repairs when an application broadcasts
   * far faster than its receivers), at the cost of holding healthy destinations at the start.
   * [R-NODE-REL-016]
   */
  sendWindowInitial?: number;
  /**
   * Reliable delivery: consecutive failed repair rounds to a destination after which its
   * pending messages are given up as unreachable (it must also have sent no acknowledgement
   * for 5 s). [R-NODE-REL-004]
   */
  maxRepairFailures?: number;
  /**
   * Reliable delivery, repairs by multicast (default 3; 0 or 1: off, every repair by TCP): when
   * at least this many destinations of the origin's own multicast domain are found to miss the
   * same message within half an acknowledgement interval, it is repaired once by multicast
   * instead of by one TCP frame each; as many of another domain get one TCP copy through one
   * of them, which forwards it by multicast in its domain. A message goes this way at most once:
   * its later repairs go by TCP. [R-NODE-REL-020..024]
   */
  multicastRepairMin?: number;
  /**
   * Legacy profile: how long (milliseconds) a (sender, sequence number) identity is remembered
   * for de-duplication (0.0.15 restarts its numbers at 1).
   */
  legacyDedupMs?: number;
  /** v2 replay window per sender session, in frames (a power of two, 32 to 2^20). */
  replayWindow?: number;
  /**
   * v2 clock-skew tolerance (milliseconds): frames sealed more than this before or after this
   * node's clock are refused (`CLOCK_SKEW`), and so are frames sealed before the node started
   * (`BEFORE_START`). Node clocks must agree to within it. [R-V2-TIME-002..003]
   */
  maxClockSkewMs?: number;
  /** Messages buffered per `messages()` iterator before the oldest is dropped. */
  messageBuffer?: number;
  /** Peer database maintenance period (milliseconds). */
  maintenanceMs?: number;
  /**
   * Heartbeat interval in ms (default 1000 for the v2 profile; 0, off, for legacy, whose 0.0.15
   * peers do not know the control records). 0 turns heartbeats and failure detection off:
   * peers are then forgotten after `peerTtlMs`. See spec/node.md, "Liveness".
   */
  heartbeatMs?: number;
  /** Send TCP heartbeats (to seeds and remote domains) every this many intervals. */
  tcpHeartbeatEvery?: number;
  /**
   * Intervals of silence (plus half of one) before a peer is probed and, unanswered by the
   * next tick, made suspect (times `tcpHeartbeatEvery` for peers outside our multicast domain).
   */
  suspectIntervals?: number;
  /** Intervals a peer stays suspect before it is dead. */
  deadIntervals?: number;
  /** Peers asked to probe a silent peer for us (SWIM's ping-req). */
  indirectProbes?: number;
  /**
   * Seeds (`"address:port"` or NetIDs): nodes to send TCP heartbeats to and ask for the peers
   * they know, so a node joins a cluster its multicast does not reach (default none).
   */
  seeds?: (string | NetId)[];
  /**
   * Serve the monitoring endpoint (`/metrics`, `/peers`, `/stats`, `/tree`, `/`) on
   * `"host:port"` (port 0 picks one; see `node.monitorAddress`). Default: off. A non-loopback
   * host must be asked for with `monitorPublic: true`.
   */
  monitor?: string;
  /** Allow `monitor` on a non-loopback address (default false). */
  monitorPublic?: boolean;
  /** Random source (default: crypto). */
  random?: RandomSource;
  /** NodeClock (default: the system clock). */
  clock?: NodeClock;
  /** Transport (default: the real Deno transport from the address options). */
  transport?: TransportFactory;
  /** Where node events are also logged (default: nowhere). See {@linkcode Logger}. */
  logger?: Logger;
}

/**
 * Options with every default filled in: {@linkcode NodeOptions} with each field required,
 * keys as bytes and limits complete.
 */
export type ResolvedNodeOptions =
  & Required<
    Omit<
      NodeOptions,
      "key" | "keyring" | "limits" | "transport" | "logger" | "seeds" | "monitor" | "monitorPublic"
    >
  >
  & {
    /** Seeds as NetIDs. */
    seeds: NetId[];
    /** The monitor's host and port, or undefined when off. */
    monitor?: { hostname: string; port: number };
    /** The primary key's bytes. */
    key: Uint8Array;
    /**
     * The v2 keyring, keys as bytes, the primary first (`key` read as a v2 key under id 0
     * when only `key` was given; empty for a node that neither speaks nor hears v2).
     */
    keyring: { id: number; key: Uint8Array }[];
    /** Every receiver limit. */
    limits: DecodeLimits;
    /** See {@linkcode NodeOptions}. */
    transport?: TransportFactory;
    /** See {@linkcode NodeOptions}. */
    logger?: Logger;
  };

export { NodeOptionError } from "../errors.ts";

type Defaults = NodeDefaults;
type IntOption = { [K in keyof Defaults]: Defaults[K] extends number ? K : never }[keyof Defaults];
type BoolOption = {
  [K in keyof Defaults]: Defaults[K] extends boolean ? K : never;
}[keyof Defaults];

const HOUR = 3_600_000;

/** The accepted range of each integer option (some bounded by the receiver limits). */
const INT_RANGES: Record<
  Exclude<IntOption, "multicastLoss">,
  readonly [number, number] | ((l: DecodeLimits) => readonly [number, number])
> = {
  port: [0, 65535],
  multicastPort: [1, 65535],
  multicastTtl: [0, 255],
  multicastReceiveBuffer: [0, 0x7fffffff],
  maxQueueFrames: [1, 1 << 24],
  maxQueueBytes: [1, 2 ** 40],
  maxConnections: [1, 1 << 16],
  maxIncomingConnections: [1, 1 << 16],
  idleTimeoutMs: [1, 24 * HOUR],
  connectTimeoutMs: [1, HOUR],
  maxDatagramBytes: [64, 65_507],
  maxInflightDatagrams: [1, 1 << 20],
  maxTcpFrameBytes: (l) => [64, l.maxFrameBytes],
  maxBatchRecords: (l) => [1, l.maxListLength],
  peerTtlMs: [1, 24 * HOUR],
  maxPeers: [1, 1 << 20],
  maxSeenIds: (l) => [0, l.maxListLength],
  maxOtherIds: (l) => [0, l.maxListLength],
  dedupWindow: [1, 1 << 22],
  legacyDedupMs: [1, HOUR],
  ackDelayMs: [1, 60_000],
  retransmitMs: [1, 60_000],
  retransmitMaxMessages: [1, 1 << 24],
  retransmitMaxBytes: [1, 2 ** 40],
  retransmitMaxAgeMs: [1, 24 * HOUR],
  sendWindow: [1, 1 << 24],
  sendWindowMin: [1, 1 << 24],
  sendWindowInitial: [1, 1 << 24],
  maxRepairFailures: [1, 1000],
  multicastRepairMin: [0, 1 << 16],
  replayWindow: [32, 1 << 20],
  maxClockSkewMs: [0, 24 * HOUR],
  messageBuffer: [1, 1 << 24],
  maintenanceMs: [1, HOUR],
  tcpHeartbeatEvery: [1, 1000],
  suspectIntervals: [1, 1000],
  deadIntervals: [1, 1000],
  indirectProbes: [0, 16],
  maxConnectionsPerSource: [1, 1 << 16],
  firstFrameTimeoutMs: [1, HOUR],
  frameTimeoutMs: [1, HOUR],
  maxReceiveBufferBytes: [65_536, 2 ** 40],
  maxDistribution: (l) => [0, l.maxListLength],
  maxReceivedSeenIds: [0, 1 << 16],
  maxReceivedOtherIds: [0, 1 << 16],
  maxRelayTakeovers: [0, 1 << 16],
};

const BOOL_OPTIONS: readonly BoolOption[] = [
  "multicast",
  "forwardUnknownTypes",
  "dedup",
  "reliable",
];

function int(name: string, v: unknown, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new NodeOptionError(name, v, `an integer in [${min}, ${max}]`);
  }
  return v;
}

function ipv4(name: string, v: unknown, def: string): string {
  if (v === undefined) return def;
  if (typeof v !== "string") throw new NodeOptionError(name, v, "an IPv4 address");
  try {
    const bytes = parseIp(v);
    if (bytes.length !== 4) throw new Error();
    return formatIp(bytes);
  } catch {
    throw new NodeOptionError(name, v, "an IPv4 address");
  }
}

function ipAddress(name: string, v: unknown): string {
  if (typeof v !== "string") throw new NodeOptionError(name, v, "an IPv4 or IPv6 address");
  try {
    return formatIp(parseIp(v));
  } catch {
    throw new NodeOptionError(name, v, "an IPv4 or IPv6 address, or a host name");
  }
}

function keyBytes(name: string, v: unknown): Uint8Array {
  if (typeof v === "string" && v.length > 0) return new TextEncoder().encode(v);
  if (v instanceof Uint8Array && v.length > 0) return v;
  throw new NodeOptionError(name, v, "a non-empty string or Uint8Array");
}

function seedList(v: unknown): NetId[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new NodeOptionError("seeds", v, `a list of "address:port"`);
  return v.map((x, i) => {
    try {
      const id = typeof x === "string" ? parseNetId(x) : parseNetId(`${x?.ip}:${x?.port}`);
      return { ip: id.ip, port: id.port };
    } catch {
      throw new NodeOptionError(`seeds[${i}]`, x, `"address:port"`);
    }
  });
}

function monitorAddress(
  v: unknown,
  allowPublic: boolean,
): { hostname: string; port: number } | undefined {
  if (v === undefined || v === "") return undefined;
  const m = typeof v === "string" ? /^(.+):(\d+)$/.exec(v) : null;
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new NodeOptionError("monitor", v, `"host:port", e.g. "127.0.0.1:9464"`);
  }
  const hostname = m[1].replace(/^\[(.*)\]$/, "$1");
  const loopback = hostname === "localhost" || hostname === "::1" || hostname.startsWith("127.");
  if (!loopback && !allowPublic) {
    throw new NodeOptionError(
      "monitor",
      v,
      "a loopback address (set monitorPublic: true to serve it on another)",
    );
  }
  return { hostname, port };
}

/**
 * The first non-loopback IPv4 address of this machine, else 127.0.0.1.
 *
 * @example
 * ```ts
 * import { defaultAddress } from "./options.ts";
 * import assert from "node:assert/strict";
 * assert.match(defaultAddress(), /^\d+\.\d+\.\d+\.\d+$/);
 * ```
 */
export function defaultAddress(): string {
  try {
    for (const i of Deno.networkInterfaces()) {
      if (i.family === "IPv4" && !i.address.startsWith("127.")) return i.address;
    }
  } catch { /* no --allow-sys: fall back */ }
  return "127.0.0.1";
}

/** The multicast group option: an IPv4 multicast address. */
function multicastGroupOption(o: NodeOptions): string {
  const group = ipv4("multicastGroup", o.multicastGroup, NODE_DEFAULTS.multicastGroup);
  const first = Number(group.split(".")[0]);
  if (first < 224 || first > 239) {
    throw new NodeOptionError(
      "multicastGroup",
      o.multicastGroup,
      "an IPv4 multicast address (224.0.0.0 to 239.255.255.255)",
    );
  }
  return group;
}

/** The profiles accepted on receive: the sending profile, or a list that includes it. */
function acceptProfilesOption(o: NodeOptions, profile: Profile): Profile[] {
  if (o.acceptProfiles === undefined) return [profile];
  const a = o.acceptProfiles;
  if (
    !Array.isArray(a) || a.length === 0 || a.some((p) => p !== "v2" && p !== "legacy") ||
    !a.includes(profile)
  ) {
    throw new NodeOptionError(
      "acceptProfiles",
      JSON.stringify(a),
      `a list of "v2"/"legacy" that includes the sending profile "${profile}"`,
    );
  }
  return [...new Set(a)];
}

/**
 * The legacy key and the v2 keyring. v2 keys are 32 random bytes (hex, base64 or bytes), weak
 * ones refused; legacy keys are 0.0.15's text. A node that speaks or hears v2 (`v2`) reads its
 * keys as v2 keys. [R-NODE-KEY-002]
 */
function keyOptions(
  o: NodeOptions,
  v2: boolean,
): { key: Uint8Array; keyring: { id: number; key: Uint8Array }[] } {
  const keyring: { id: number; key: Uint8Array }[] = [];
  if (o.keyring !== undefined) {
    if (!Array.isArray(o.keyring) || o.keyring.length === 0) {
      throw new NodeOptionError("keyring", o.keyring, "a non-empty array of {id, key}");
    }
    for (const [i, e] of o.keyring.entries()) {
      keyring.push({
        id: int(`keyring[${i}].id`, e?.id, 0, 0, 255),
        key: v2
          ? parseV2Key(e?.key as string | Uint8Array, `keyring[${i}].key`)
          : keyBytes(`keyring[${i}].key`, e?.key),
      });
    }
  }
  // The legacy side uses the key as given (text as UTF-8), or the primary keyring key.
  const key = o.key === undefined && keyring.length > 0
    ? keyring[0].key
    : keyBytes("key", o.key ?? DEFAULT_KEY);
  // The v2 side: the keyring, or `key` read as a v2 key (id 0).
  if (v2 && keyring.length === 0 && o.key !== undefined) {
    keyring.push({ id: 0, key: parseV2Key(o.key, "key") });
  }
  return { key, keyring };
}

/** The receive limits: the defaults with the given ones replaced. */
function limitsOption(o: NodeOptions): DecodeLimits {
  const limits: DecodeLimits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(o.limits ?? {})) {
    if (!(k in DEFAULT_LIMITS)) {
      throw new NodeOptionError("limits", k, `one of ${Object.keys(DEFAULT_LIMITS).join(", ")}`);
    }
    (limits as unknown as Record<string, number>)[k] = int(`limits.${k}`, v, 0, 1, 2 ** 31);
  }
  return limits;
}

/**
 * The multicast interface (default: the node's address). Multicast is IPv4 only: an IPv6 node
 * needs multicast off or an IPv4 interface, and cannot speak legacy. [R-NODE-ADDR-001]
 */
function multicastInterfaceOption(o: NodeOptions, address: string): string {
  if (!isIpv4(address) && o.multicastInterface === undefined && (o.multicast ?? true)) {
    throw new NodeOptionError(
      "multicast",
      o.multicast,
      `multicast off, or an IPv4 multicast interface: multicast is IPv4 only and ${address} is IPv6`,
    );
  }
  if (!isIpv4(address) && (o.profile ?? DEFAULT_PROFILE) === "legacy") {
    throw new NodeOptionError(
      "address",
      o.address,
      "an IPv4 address: legacy frames carry IPv4 only",
    );
  }
  return o.multicastInterface === undefined && !isIpv4(address)
    ? address
    : ipv4("multicastInterface", o.multicastInterface, address);
}

/** Every integer option of {@linkcode INT_RANGES}, checked, with the profile's defaults. */
function intOptions(
  o: NodeOptions,
  profile: Profile,
  limits: DecodeLimits,
): Record<keyof typeof INT_RANGES, number> {
  const ints = {} as Record<keyof typeof INT_RANGES, number>;
  for (const [k, range] of Object.entries(INT_RANGES) as [keyof typeof INT_RANGES, unknown][]) {
    const [min, max] = typeof range === "function" ? range(limits) : range as [number, number];
    const def = profile === "legacy" && k in LEGACY_DEFAULTS
      ? LEGACY_DEFAULTS[k as keyof typeof LEGACY_DEFAULTS]
      : NODE_DEFAULTS[k];
    ints[k] = int(k, o[k], def, min, max);
  }
  if ((ints.replayWindow & (ints.replayWindow - 1)) !== 0) {
    throw new NodeOptionError("replayWindow", o.replayWindow, "a power of two in [32, 2^20]");
  }
  return ints;
}

/**
 * Check `o` and fill in defaults. Throws {@linkcode NodeOptionError}.
 *
 * @example
 * ```ts
 * import { generateV2Key, NodeOptionError } from "@chatter/chatter";
 * import { resolveNodeOptions } from "./options.ts";
 * import assert from "node:assert/strict";
 * const o = resolveNodeOptions({ address: "127.0.0.1", key: generateV2Key() });
 * assert.equal(o.port, 29999);
 * assert.equal(o.multicastInterface, "127.0.0.1");
 * assert.throws(() => resolveNodeOptions({ port: -1, key: generateV2Key() }), NodeOptionError);
 * ```
 */
export function resolveNodeOptions(o: NodeOptions = {}): ResolvedNodeOptions {
  if (o === null || typeof o !== "object") throw new NodeOptionError("options", o, "an object");
  // Host names are resolved by startNode before this (resolveHostAddress). [R-NODE-ADDR-001]
  const address = o.address === undefined ? defaultAddress() : ipAddress("address", o.address);
  const group = multicastGroupOption(o);
  if (o.profile !== undefined && o.profile !== "legacy" && o.profile !== "v2") {
    throw new NodeOptionError("profile", o.profile, `"v2" or "legacy"`);
  }
  const loss = o.multicastLoss ?? NODE_DEFAULTS.multicastLoss;
  if (typeof loss !== "number" || !(loss >= 0 && loss < 1)) {
    throw new NodeOptionError("multicastLoss", o.multicastLoss, "a number in [0, 1)");
  }
  const profile = o.profile ?? DEFAULT_PROFILE;
  const acceptProfiles = acceptProfilesOption(o, profile);
  const { key, keyring } = keyOptions(o, acceptProfiles.includes("v2"));
  const label = o.label ?? NODE_DEFAULTS.label;
  if (typeof label !== "string") throw new NodeOptionError("label", o.label, "a string");
  const limits = limitsOption(o);
  const multicastInterface = multicastInterfaceOption(o, address);
  const ints = intOptions(o, profile, limits);
  const bools = {} as Record<BoolOption, boolean>;
  for (const k of BOOL_OPTIONS) {
    const v = o[k] ?? NODE_DEFAULTS[k];
    if (typeof v !== "boolean") throw new NodeOptionError(k, v, "true or false");
    bools[k] = v;
  }
  if (o.logger !== undefined && typeof o.logger?.warn !== "function") {
    throw new NodeOptionError("logger", o.logger, "an object with a warn(message, fields) method");
  }
  if (o.key === undefined && o.keyring === undefined && profile === "v2") {
    // An authenticated profile with a well-known key authenticates nothing. [R-NODE-KEY-001]
    throw new NodeOptionError(
      "key",
      undefined,
      "a 32-byte key or a keyring: the v2 profile has no default key (`chatter keygen` makes one)",
    );
  }
  return {
    ...ints,
    ...bools,
    address,
    multicastGroup: group,
    multicastInterface,
    multicastLoss: loss,
    key,
    keyring,
    label,
    profile,
    acceptProfiles,
    limits,
    heartbeatMs: int("heartbeatMs", o.heartbeatMs, profile === "legacy" ? 0 : 1_000, 0, HOUR),
    subnetPrefixLength: int(
      "subnetPrefixLength",
      o.subnetPrefixLength,
      0,
      0,
      isIpv4(address) ? 32 : 128,
    ),
    seeds: seedList(o.seeds),
    monitor: monitorAddress(o.monitor, o.monitorPublic ?? false),
    random: o.random ?? cryptoRandom(),
    clock: o.clock ?? systemClock,
    transport: o.transport,
    logger: o.logger,
  };
}
