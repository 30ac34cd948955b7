/**
 * Node options, their defaults, and their checks: a bad option fails at start with an error
 * that names the option and the value.
 *
 * @module
 */

import { NodeOptionError } from "../errors.ts";
import { type DecodeLimits, DEFAULT_LIMITS } from "../wire/constants.ts";
import type { Profile } from "../wire/message.ts";
import { formatIp, isIpv4, parseIp } from "../wire/netid.ts";
import { type Clock, systemClock } from "./clock.ts";
import { cryptoRandom, type RandomSource } from "./random.ts";
import type { TransportFactory } from "./transport.ts";

/** The profile a node speaks when none is given. */
export const DEFAULT_PROFILE: Profile = "v2";

/** The default TCP port. */
export const DEFAULT_PORT = 29999;
/** The default multicast group. */
export const DEFAULT_MULTICAST_GROUP = "224.1.1.1";
/** The default multicast port. */
export const DEFAULT_MULTICAST_PORT = 29999;
/** The default multicast TTL. */
export const DEFAULT_MULTICAST_TTL = 4;
/**
 * The key Elixir Chatter 0.0.15 uses when none is configured (its code's default, not the
 * `...912` key of its docs' sample config). The legacy profile defaults to it so that a default
 * 0.0.15 node and a default legacy node talk; it is public, so set your own. The v2 profile has
 * no default key. [R-NODE-KEY-001]
 */
export const DEFAULT_KEY = "01234567890123456789012345678901";

/** One key of a keyring. */
export interface KeyringEntry {
  /** Key id, 0 to 255. */
  id: number;
  /** The 32-byte key (text is UTF-8 encoded). */
  key: string | Uint8Array;
}

/** Options of {@linkcode startNode}. Everything has a default. */
export interface NodeOptions {
  /** Address to listen on and to be known by (default: first non-loopback IPv4, else 127.0.0.1). */
  address?: string;
  /** TCP port (default 29999; 0 picks a free port). */
  port?: number;
  /** Use UDP multicast (default true). */
  multicast?: boolean;
  /** Multicast group (default 224.1.1.1). */
  multicastGroup?: string;
  /** Multicast port (default 29999). */
  multicastPort?: number;
  /** Multicast TTL (default 4). */
  multicastTtl?: number;
  /** Address of the interface multicast uses (default: `address`). */
  multicastInterface?: string;
  /** Fraction (0 to <1) of received multicast datagrams to drop: a test knob (default 0). */
  multicastLoss?: number;
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
  /** Wire profile this node sends (default {@linkcode DEFAULT_PROFILE}). */
  profile?: Profile;
  /**
   * Profiles accepted on receive, told apart by each frame's first byte on TCP and UDP
   * (default: just `profile`). Must include `profile`. E.g. `["v2", "legacy"]` lets a v2 node
   * hear legacy (0.0.15) nodes; the legacy side uses `key` (or the primary keyring key).
   */
  acceptProfiles?: Profile[];
  /** Receiver limits. */
  limits?: Partial<DecodeLimits>;
  /** Most frames queued for one peer (default 4096). */
  maxQueueFrames?: number;
  /** Most bytes queued for one peer (default 8 MiB). */
  maxQueueBytes?: number;
  /** Most open outgoing connections (default 64). */
  maxConnections?: number;
  /** Most open incoming connections (default 256). */
  maxIncomingConnections?: number;
  /** Close connections idle this long (default 30 s). */
  idleTimeoutMs?: number;
  /** Give up connecting after this long (default 2 s). */
  connectTimeoutMs?: number;
  /** Largest multicast datagram (default 1400). */
  maxDatagramBytes?: number;
  /** Target size of one TCP frame when batching (default 64 KiB). */
  maxTcpFrameBytes?: number;
  /** Most records in one frame (default 256). */
  maxBatchRecords?: number;
  /** Forget peers not heard from for this long (default 60 s). */
  peerTtlMs?: number;
  /** Most peers remembered (default 1024). */
  maxPeers?: number;
  /** Most seen IDs per frame (default 32). */
  maxSeenIds?: number;
  /** Most other IDs per frame (default 4). */
  maxOtherIds?: number;
  /**
   * Forward records of types not registered here, payload bytes unchanged (default true).
   * Their NetID references cannot be rewritten: see R-NODE-UNKNOWN-001 in spec/node.md.
   */
  forwardUnknownTypes?: boolean;
  /** De-duplicate deliveries by message identity (default true). */
  dedup?: boolean;
  /**
   * Sequence numbers remembered per origin for de-duplication, one bit each (default 65536,
   * 8 KiB per origin). Reliable delivery gives a message up once it falls this far (less a
   * margin of 1024) behind its origin's newest sequence number. [R-NODE-REL-005]
   */
  dedupWindow?: number;
  /**
   * Reliable delivery on the v2 profile (default true; the legacy profile never uses it):
   * destinations acknowledge what they received, the origin re-sends what was not
   * acknowledged and reports what it gives up. Off: broadcasts are fire-and-forget (multicast
   * plus one kept TCP copy) and no acknowledgements are sent. [R-NODE-REL-001]
   */
  reliable?: boolean;
  /** Reliable delivery: destinations send acknowledgements at most this late (default 100 ms). */
  ackDelayMs?: number;
  /**
   * Reliable delivery: smallest retransmission timeout (default 500 ms); the timeout adapts to
   * the measured round trip (acknowledgement delay included), up to 5 s, doubling per retry.
   */
  retransmitMs?: number;
  /** Reliable delivery: most messages in the retransmit buffer (default 65536). */
  retransmitMaxMessages?: number;
  /** Reliable delivery: most payload bytes in the retransmit buffer (default 32 MiB). */
  retransmitMaxBytes?: number;
  /** Reliable delivery: a message unconfirmed this long is given up (default 30 s). */
  retransmitMaxAgeMs?: number;
  /**
   * Reliable delivery, flow control: most unacknowledged messages per destination (default
   * 8192); further broadcasts to it are held back until acknowledgements arrive.
   */
  sendWindow?: number;
  /**
   * Reliable delivery: consecutive failed repair rounds to a destination after which its
   * pending messages are given up as unreachable (default 5; it must also have sent no
   * acknowledgement for 5 s).
   */
  maxRepairFailures?: number;
  /**
   * Legacy profile: how long a (sender, sequence number) identity is remembered for
   * de-duplication (default 5 s; 0.0.15 restarts its numbers at 1).
   */
  legacyDedupMs?: number;
  /** v2 replay window per sender session, in frames (power of two, default 4096). */
  replayWindow?: number;
  /** Messages buffered per `messages()` iterator before the oldest is dropped (default 65536). */
  messageBuffer?: number;
  /** Peer database maintenance period (default 1 s). */
  maintenanceMs?: number;
  /** Random source (default: crypto). */
  random?: RandomSource;
  /** Clock (default: the system clock). */
  clock?: Clock;
  /** Transport (default: the real Deno transport from the address options). */
  transport?: TransportFactory;
}

/** Options with every default filled in. */
export interface ResolvedNodeOptions {
  /** See {@linkcode NodeOptions}. */
  address: string;
  /** See {@linkcode NodeOptions}. */
  port: number;
  /** See {@linkcode NodeOptions}. */
  multicast: boolean;
  /** See {@linkcode NodeOptions}. */
  multicastGroup: string;
  /** See {@linkcode NodeOptions}. */
  multicastPort: number;
  /** See {@linkcode NodeOptions}. */
  multicastTtl: number;
  /** See {@linkcode NodeOptions}. */
  multicastInterface: string;
  /** See {@linkcode NodeOptions}. */
  multicastLoss: number;
  /** See {@linkcode NodeOptions}. */
  key: Uint8Array;
  /** See {@linkcode NodeOptions}. */
  keyring: { id: number; key: Uint8Array }[];
  /** See {@linkcode NodeOptions}. */
  label: string;
  /** See {@linkcode NodeOptions}. */
  profile: Profile;
  /** See {@linkcode NodeOptions}. */
  acceptProfiles: Profile[];
  /** See {@linkcode NodeOptions}. */
  limits: DecodeLimits;
  /** See {@linkcode NodeOptions}. */
  maxQueueFrames: number;
  /** See {@linkcode NodeOptions}. */
  maxQueueBytes: number;
  /** See {@linkcode NodeOptions}. */
  maxConnections: number;
  /** See {@linkcode NodeOptions}. */
  maxIncomingConnections: number;
  /** See {@linkcode NodeOptions}. */
  idleTimeoutMs: number;
  /** See {@linkcode NodeOptions}. */
  connectTimeoutMs: number;
  /** See {@linkcode NodeOptions}. */
  maxDatagramBytes: number;
  /** See {@linkcode NodeOptions}. */
  maxTcpFrameBytes: number;
  /** See {@linkcode NodeOptions}. */
  maxBatchRecords: number;
  /** See {@linkcode NodeOptions}. */
  peerTtlMs: number;
  /** See {@linkcode NodeOptions}. */
  maxPeers: number;
  /** See {@linkcode NodeOptions}. */
  maxSeenIds: number;
  /** See {@linkcode NodeOptions}. */
  maxOtherIds: number;
  /** See {@linkcode NodeOptions}. */
  forwardUnknownTypes: boolean;
  /** See {@linkcode NodeOptions}. */
  dedup: boolean;
  /** See {@linkcode NodeOptions}. */
  dedupWindow: number;
  /** See {@linkcode NodeOptions}. */
  reliable: boolean;
  /** See {@linkcode NodeOptions}. */
  ackDelayMs: number;
  /** See {@linkcode NodeOptions}. */
  retransmitMs: number;
  /** See {@linkcode NodeOptions}. */
  retransmitMaxMessages: number;
  /** See {@linkcode NodeOptions}. */
  retransmitMaxBytes: number;
  /** See {@linkcode NodeOptions}. */
  retransmitMaxAgeMs: number;
  /** See {@linkcode NodeOptions}. */
  sendWindow: number;
  /** See {@linkcode NodeOptions}. */
  maxRepairFailures: number;
  /** See {@linkcode NodeOptions}. */
  legacyDedupMs: number;
  /** See {@linkcode NodeOptions}. */
  replayWindow: number;
  /** See {@linkcode NodeOptions}. */
  messageBuffer: number;
  /** See {@linkcode NodeOptions}. */
  maintenanceMs: number;
  /** See {@linkcode NodeOptions}. */
  random: RandomSource;
  /** See {@linkcode NodeOptions}. */
  clock: Clock;
  /** See {@linkcode NodeOptions}. */
  transport?: TransportFactory;
}

export { NodeOptionError } from "../errors.ts";

function int(name: string, v: unknown, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new NodeOptionError(name, v, `an integer in [${min}, ${max}]`);
  }
  return v;
}

function pow2(name: string, v: unknown, def: number): number {
  const x = int(name, v, def, 32, 1 << 20);
  if ((x & (x - 1)) !== 0) throw new NodeOptionError(name, v, "a power of two in [32, 2^20]");
  return x;
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

function keyBytes(name: string, v: unknown): Uint8Array {
  if (typeof v === "string" && v.length > 0) return new TextEncoder().encode(v);
  if (v instanceof Uint8Array && v.length > 0) return v;
  throw new NodeOptionError(name, v, "a non-empty string or Uint8Array");
}

/** The first non-loopback IPv4 address of this machine, else 127.0.0.1. */
export function defaultAddress(): string {
  try {
    for (const i of Deno.networkInterfaces()) {
      if (i.family === "IPv4" && !i.address.startsWith("127.")) return i.address;
    }
  } catch { /* no --allow-sys: fall back */ }
  return "127.0.0.1";
}

/**
 * Check `o` and fill in defaults. Throws {@linkcode NodeOptionError}.
 *
 * @example
 * ```ts
 * import { resolveNodeOptions } from "@chatter/chatter";
 * resolveNodeOptions({ address: "127.0.0.1" }).port; // 29999
 * ```
 */
export function resolveNodeOptions(o: NodeOptions = {}): ResolvedNodeOptions {
  if (o === null || typeof o !== "object") throw new NodeOptionError("options", o, "an object");
  const address = o.address === undefined ? defaultAddress() : ipv4("address", o.address, "");
  const group = ipv4("multicastGroup", o.multicastGroup, DEFAULT_MULTICAST_GROUP);
  const first = Number(group.split(".")[0]);
  if (first < 224 || first > 239) {
    throw new NodeOptionError(
      "multicastGroup",
      o.multicastGroup,
      "an IPv4 multicast address (224.0.0.0 to 239.255.255.255)",
    );
  }
  if (o.profile !== undefined && o.profile !== "legacy" && o.profile !== "v2") {
    throw new NodeOptionError("profile", o.profile, `"v2" or "legacy"`);
  }
  const loss = o.multicastLoss ?? 0;
  if (typeof loss !== "number" || !(loss >= 0 && loss < 1)) {
    throw new NodeOptionError("multicastLoss", o.multicastLoss, "a number in [0, 1)");
  }
  const profile = o.profile ?? DEFAULT_PROFILE;
  let acceptProfiles: Profile[] = [profile];
  if (o.acceptProfiles !== undefined) {
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
    acceptProfiles = [...new Set(a)];
  }
  const keyring: { id: number; key: Uint8Array }[] = [];
  if (o.keyring !== undefined) {
    if (!Array.isArray(o.keyring) || o.keyring.length === 0) {
      throw new NodeOptionError("keyring", o.keyring, "a non-empty array of {id, key}");
    }
    for (const [i, e] of o.keyring.entries()) {
      keyring.push({
        id: int(`keyring[${i}].id`, e?.id, 0, 0, 255),
        key: keyBytes(`keyring[${i}].key`, e?.key),
      });
    }
  }
  const key = o.key === undefined && keyring.length > 0
    ? keyring[0].key
    : keyBytes("key", o.key ?? DEFAULT_KEY);
  const label = o.label ?? "";
  if (typeof label !== "string") throw new NodeOptionError("label", o.label, "a string");
  const limits: DecodeLimits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(o.limits ?? {})) {
    if (!(k in DEFAULT_LIMITS)) {
      throw new NodeOptionError("limits", k, `one of ${Object.keys(DEFAULT_LIMITS).join(", ")}`);
    }
    (limits as unknown as Record<string, number>)[k] = int(`limits.${k}`, v, 0, 1, 2 ** 31);
  }
  const multicastInterface = ipv4("multicastInterface", o.multicastInterface, address);
  if (!isIpv4(multicastInterface)) {
    throw new NodeOptionError("multicastInterface", multicastInterface, "IPv4");
  }
  const hour = 3_600_000;
  const resolved: ResolvedNodeOptions = {
    address,
    port: int("port", o.port, DEFAULT_PORT, 0, 65535),
    multicast: o.multicast ?? true,
    multicastGroup: group,
    multicastPort: int("multicastPort", o.multicastPort, DEFAULT_MULTICAST_PORT, 1, 65535),
    multicastTtl: int("multicastTtl", o.multicastTtl, DEFAULT_MULTICAST_TTL, 0, 255),
    multicastInterface,
    multicastLoss: loss,
    key,
    keyring,
    label,
    profile,
    acceptProfiles,
    limits,
    maxQueueFrames: int("maxQueueFrames", o.maxQueueFrames, 4096, 1, 1 << 24),
    maxQueueBytes: int("maxQueueBytes", o.maxQueueBytes, 8 << 20, 1, 2 ** 40),
    maxConnections: int("maxConnections", o.maxConnections, 64, 1, 1 << 16),
    maxIncomingConnections: int(
      "maxIncomingConnections",
      o.maxIncomingConnections,
      256,
      1,
      1 << 16,
    ),
    idleTimeoutMs: int("idleTimeoutMs", o.idleTimeoutMs, 30_000, 1, 24 * hour),
    connectTimeoutMs: int("connectTimeoutMs", o.connectTimeoutMs, 2_000, 1, hour),
    maxDatagramBytes: int("maxDatagramBytes", o.maxDatagramBytes, 1400, 64, 65_507),
    maxTcpFrameBytes: int("maxTcpFrameBytes", o.maxTcpFrameBytes, 65_536, 64, limits.maxFrameBytes),
    maxBatchRecords: int("maxBatchRecords", o.maxBatchRecords, 256, 1, limits.maxListLength),
    peerTtlMs: int("peerTtlMs", o.peerTtlMs, 60_000, 1, 24 * hour),
    maxPeers: int("maxPeers", o.maxPeers, 1024, 1, 1 << 20),
    maxSeenIds: int("maxSeenIds", o.maxSeenIds, 32, 0, limits.maxListLength),
    maxOtherIds: int("maxOtherIds", o.maxOtherIds, 4, 0, limits.maxListLength),
    forwardUnknownTypes: o.forwardUnknownTypes ?? true,
    dedup: o.dedup ?? true,
    dedupWindow: int("dedupWindow", o.dedupWindow, 65_536, 1, 1 << 22),
    reliable: o.reliable ?? true,
    ackDelayMs: int("ackDelayMs", o.ackDelayMs, 100, 1, 60_000),
    retransmitMs: int("retransmitMs", o.retransmitMs, 500, 1, 60_000),
    retransmitMaxMessages: int(
      "retransmitMaxMessages",
      o.retransmitMaxMessages,
      65_536,
      1,
      1 << 24,
    ),
    retransmitMaxBytes: int("retransmitMaxBytes", o.retransmitMaxBytes, 32 << 20, 1, 2 ** 40),
    retransmitMaxAgeMs: int("retransmitMaxAgeMs", o.retransmitMaxAgeMs, 30_000, 1, 24 * hour),
    sendWindow: int("sendWindow", o.sendWindow, 8192, 1, 1 << 24),
    maxRepairFailures: int("maxRepairFailures", o.maxRepairFailures, 5, 1, 1000),
    legacyDedupMs: int("legacyDedupMs", o.legacyDedupMs, 5_000, 1, hour),
    replayWindow: pow2("replayWindow", o.replayWindow, 4096),
    messageBuffer: int("messageBuffer", o.messageBuffer, 65_536, 1, 1 << 24),
    maintenanceMs: int("maintenanceMs", o.maintenanceMs, 1_000, 1, hour),
    random: o.random ?? cryptoRandom(),
    clock: o.clock ?? systemClock,
    transport: o.transport,
  };
  if (o.key === undefined && o.keyring === undefined && profile === "v2") {
    // An authenticated profile with a well-known key authenticates nothing. [R-NODE-KEY-001]
    throw new NodeOptionError(
      "key",
      undefined,
      "a 32-byte key or a keyring: the v2 profile has no default key (`chatter keygen` makes one)",
    );
  }
  return resolved;
}
