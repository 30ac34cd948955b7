/**
 * JSON shapes of the v2 profile shared by `vectors/v2.json` and the conformance testee
 * (`spec/testee.md`): bytes as lowercase hex, counters as decimal strings (they reach 2^64 - 1,
 * beyond what JSON numbers carry exactly), keyrings as lists of `{id, key}`.
 *
 * @module
 */

import { BadRequest } from "./testee_protocol.ts";
import {
  type DecodeErrorCode,
  DEFAULT_V2_LIMITS,
  type Gossip,
  type NetId,
  type OutgoingRecord,
  typeTag as tagOf,
  type V2Compression,
  type V2DecodedFrame,
  V2Keyring,
  type V2Limits,
} from "../src/wire/mod.ts";
import { hex, unhex as unhexText } from "./json.ts";

export { hex };

/** Parse a hex field of any JSON type; throws a `TypeError` naming it unless it is a hex string. */
export function unhex(s: unknown): Uint8Array {
  if (typeof s !== "string") throw new BadRequest(`not a hex string: ${JSON.stringify(s)}`);
  return unhexText(s);
}

/** One keyring key in JSON. */
export interface V2KeyJson {
  /** Key id, 0 to 255. */
  id: number;
  /** The 32 key bytes, hex. */
  key: string;
}

/** A keyring in JSON: its keys and the primary id. */
export interface V2KeyringJson {
  /** The keys. */
  keys: V2KeyJson[];
  /** The id of the primary key. */
  primary: number;
}

/** One record in JSON. */
export interface V2RecordJson {
  /** Type name, or null when only the tag is known. */
  typeName: string | null;
  /** Type tag (xxhash32 of the name). */
  typeTag: number;
  /** The origin BroadcastID. */
  origin: { ip: string; port: number; seqno: number };
  /** Payload, hex. */
  payload: string;
}

/** What a receiver is configured with in a vector or a testee request. */
export interface V2ReceiverJson {
  /** Keys it accepts. */
  keyring: V2KeyringJson;
  /** Its cluster label. */
  label: string;
  /** Limits that differ from the defaults (absent: all defaults). */
  limits?: Partial<V2Limits>;
  /** Replay window width (absent: 1024). */
  replayWindow?: number;
  /**
   * The receiver's own NetID: present, frames arrive on a stream and must be bound to it;
   * absent, frames arrive as datagrams and must be unbound. [R-V2-BIND-002]
   */
  netId?: NetId;
  /** The receiver's clock for every frame, ms since the Unix epoch (absent: no time rules). */
  now?: number;
  /** The receiver's start time, ms since the Unix epoch (absent: no start rule). */
  startTime?: number;
  /** Clock-skew tolerance in ms (absent: 60000). */
  maxClockSkewMs?: number;
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new BadRequest(`${what} must be an object, got ${JSON.stringify(v)}`);
  }
  return v as Record<string, unknown>;
}

function int(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new BadRequest(`${what} must be an integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string") {
    throw new BadRequest(`${what} must be a string, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Keyring JSON to a keyring; throws a `TypeError`/`RangeError` naming the bad field. */
export function keyringFromJson(v: unknown): V2Keyring {
  const o = obj(v, "keyring");
  if (!Array.isArray(o.keys)) throw new BadRequest("keyring.keys must be an array");
  const entries = o.keys.map((k, i) => {
    const e = obj(k, `keyring.keys[${i}]`);
    return { id: int(e.id, `keyring.keys[${i}].id`), key: unhex(e.key) };
  });
  return new V2Keyring(
    entries,
    o.primary === undefined ? undefined : int(o.primary, "keyring.primary"),
  );
}

/** A keyring as JSON. */
export function keyringToJson(k: V2Keyring): V2KeyringJson {
  return { keys: k.ids().map((id) => ({ id, key: hex(k.get(id)!) })), primary: k.primaryId };
}

/** Counter JSON (a decimal string, or a safe integer) to a bigint. */
export function counterFromJson(v: unknown): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "string" && /^(0|[1-9][0-9]{0,19})$/.test(v)) return BigInt(v);
  throw new BadRequest(`counter must be a decimal string, got ${JSON.stringify(v)}`);
}

function netIdJson(v: unknown, what: string): NetId {
  const o = obj(v, what);
  return { ip: str(o.ip, `${what}.ip`), port: int(o.port, `${what}.port`) };
}

function bidJson(v: unknown, what: string) {
  return { ...netIdJson(v, what), seqno: int(obj(v, what).seqno, `${what}.seqno`) };
}

function list<T>(v: unknown, what: string, f: (x: unknown, w: string) => T): T[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new BadRequest(`${what} must be an array, got ${JSON.stringify(v)}`);
  return v.map((x, i) => f(x, `${what}[${i}]`));
}

/** Gossip JSON to a gossip; throws a `TypeError` naming the bad field. */
export function v2GossipFromJson(v: unknown): Gossip {
  const o = obj(v, "gossip");
  return {
    current: bidJson(o.current, "gossip.current"),
    seen: list(o.seen, "gossip.seen", bidJson),
    other: list(o.other, "gossip.other", netIdJson),
    distribution: list(o.distribution, "gossip.distribution", netIdJson),
  };
}

/** NetID list JSON (absent: empty). */
export function v2NetIdsFromJson(v: unknown, what = "extraNetIds"): NetId[] {
  return list(v, what, netIdJson);
}

/** Records JSON to outgoing records: `typeTag` wins over `typeName` when both are given. */
export function recordsFromJson(v: unknown): OutgoingRecord[] {
  return list(v, "records", (x, w) => {
    const o = obj(x, w);
    const tag = o.typeTag !== undefined && o.typeTag !== null
      ? int(o.typeTag, `${w}.typeTag`)
      : tagOf(str(o.typeName, `${w}.typeName`));
    return { typeTag: tag, origin: bidJson(o.origin, `${w}.origin`), payload: unhex(o.payload) };
  });
}

/** Compression JSON ("snappy", "none"; absent: "snappy"). */
export function compressionFromJson(v: unknown): V2Compression {
  if (v === undefined || v === "snappy") return "snappy";
  if (v === "none") return "none";
  throw new BadRequest(`compression must be "snappy" or "none", got ${JSON.stringify(v)}`);
}

/** Receiver JSON to decoder options, plus the receiver's NetID (absent: datagrams). */
export function receiverFromJson(v: unknown): {
  keyring: V2Keyring;
  label: string;
  limits: V2Limits;
  replayWindow?: number;
  clock: (() => number) | null;
  startTime?: number;
  maxClockSkewMs?: number;
  netId?: NetId;
} {
  const o = obj(v, "receiver");
  const limits = { ...DEFAULT_V2_LIMITS, ...(o.limits ? obj(o.limits, "receiver.limits") : {}) };
  const now = o.now === undefined ? undefined : int(o.now, "receiver.now");
  return {
    keyring: keyringFromJson(o.keyring),
    label: str(o.label, "receiver.label"),
    limits: limits as V2Limits,
    replayWindow: o.replayWindow === undefined ? undefined : int(o.replayWindow, "replayWindow"),
    clock: now === undefined ? null : () => now,
    startTime: o.startTime === undefined ? undefined : int(o.startTime, "receiver.startTime"),
    maxClockSkewMs: o.maxClockSkewMs === undefined
      ? undefined
      : int(o.maxClockSkewMs, "receiver.maxClockSkewMs"),
    netId: o.netId === undefined ? undefined : netIdJson(o.netId, "receiver.netId"),
  };
}

/** A NetID field that may be absent (encode_frame's `to`). */
export function optionalNetIdFromJson(v: unknown, what: string): NetId | undefined {
  return v === undefined || v === null ? undefined : netIdJson(v, what);
}

/** Sealed time JSON (ms since the Unix epoch, an integer in [0, 2^53 - 1]). */
export function sealedAtFromJson(v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw new BadRequest(`sealedAt must be an integer (ms since the Unix epoch), got ${v}`);
  }
  return v;
}

/** What a decoded v2 frame looks like in JSON (the testee's `decode_frame` reply). */
export interface V2DecodedJson {
  /** The gossip header. */
  gossip: Gossip;
  /** The records (typeName is not on the wire: null). */
  records: {
    typeTag: number;
    origin: { ip: string; port: number; seqno: number };
    payload: string;
  }[];
  /** The NetID table. */
  table: NetId[];
  /** Key id. */
  keyId: number;
  /** Salt, hex. */
  salt: string;
  /** Counter, decimal string. */
  counter: string;
  /** Whether the body was compressed. */
  compressed: boolean;
  /** Sealed time, ms since the Unix epoch. */
  sealedAt: number;
  /** Whether the frame was bound to its receiver. */
  bound: boolean;
}

/** A decoded frame as JSON. */
export function decodedToJson(f: V2DecodedFrame): V2DecodedJson {
  return {
    gossip: f.gossip,
    records: f.records.map((r) => ({
      typeTag: r.typeTag,
      origin: r.origin,
      payload: hex(r.payload),
    })),
    table: f.table,
    keyId: f.keyId,
    salt: hex(f.salt),
    counter: f.counter.toString(),
    compressed: f.compressed,
    sealedAt: f.sealedAt,
    bound: f.bound,
  };
}

/** One step of a stateful sequence: a frame and the verdict a receiver must give it. */
export interface V2StepJson {
  /** The frame, hex. */
  frame: string;
  /** Whether the receiver accepts it at this point of the sequence. */
  result: "valid" | "invalid";
  /** For a rejected step: the decode error code. */
  errorClass?: DecodeErrorCode;
}
