/**
 * The JSON shapes shared by the golden vectors and the conformance testee (`spec/testee.md`):
 * bytes as lowercase hex, IPs as dotted strings, NetIDs as `{ip, port}`, BroadcastIDs as
 * `{ip, port, seqno}`, and conversions between them and the codec's inputs.
 *
 * @module
 */

import { BadRequest } from "./testee_protocol.ts";
import type { Gossip, LegacyFrameInput, NetId } from "../src/wire/mod.ts";

/** Bytes as lowercase hex (the codec avoids `Uint8Array.toHex`, absent in Node 20). */
export function hex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, "0");
  return s;
}

/** Parse hex (either case) into bytes; throws a `TypeError` naming the text otherwise. */
export function unhex(s: string): Uint8Array {
  if (typeof s !== "string" || s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) {
    throw new BadRequest(`not a hex string: ${JSON.stringify(s)}`);
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A gossip in JSON (the codec's {@linkcode Gossip} has the same shape). */
export type GossipJson = Gossip;

/** The declared inputs of a legacy frame, as vectors record them and `encode_frame` takes them. */
export interface LegacyInputsJson {
  /** Key bytes, hex (normalised to 32 bytes by the codec). */
  key: string;
  /** The 32 padding bytes, hex. */
  padding: string;
  /** The gossip header. */
  gossip: GossipJson;
  /** Type name, or null when only the tag is given. */
  typeName: string | null;
  /** Type tag (xxhash32 of the name). */
  typeTag: number;
  /** Payload bytes, hex. */
  payload: string;
  /** NetIDs the payload refers to; they join the NetID table. */
  extraNetIds: NetId[];
}

function checkObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new BadRequest(`${what} must be an object, got ${JSON.stringify(v)}`);
  }
  return v as Record<string, unknown>;
}

function netIdFromJson(v: unknown, what: string): NetId {
  const o = checkObject(v, what);
  if (typeof o.ip !== "string" || typeof o.port !== "number") {
    throw new BadRequest(`${what} must be {ip: string, port: number}, got ${JSON.stringify(v)}`);
  }
  return { ip: o.ip, port: o.port };
}

function broadcastIdFromJson(v: unknown, what: string) {
  const id = netIdFromJson(v, what);
  const seqno = (v as Record<string, unknown>).seqno;
  if (typeof seqno !== "number") {
    throw new BadRequest(`${what}.seqno must be a number, got ${JSON.stringify(seqno)}`);
  }
  return { ...id, seqno };
}

function listFromJson<T>(v: unknown, what: string, f: (x: unknown, w: string) => T): T[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new BadRequest(`${what} must be an array, got ${JSON.stringify(v)}`);
  return v.map((x, i) => f(x, `${what}[${i}]`));
}

/** Check and convert a JSON gossip; throws a `TypeError` naming the bad field. */
export function gossipFromJson(v: unknown): Gossip {
  const o = checkObject(v, "gossip");
  return {
    current: broadcastIdFromJson(o.current, "gossip.current"),
    seen: listFromJson(o.seen, "gossip.seen", broadcastIdFromJson),
    other: listFromJson(o.other, "gossip.other", netIdFromJson),
    distribution: listFromJson(o.distribution, "gossip.distribution", netIdFromJson),
  };
}

/** Check and convert a JSON list of NetIDs (absent = empty). */
export function netIdsFromJson(v: unknown, what = "extraNetIds"): NetId[] {
  return listFromJson(v, what, netIdFromJson);
}

/**
 * Turn JSON encode inputs (`key`, `padding`, `gossip`, `typeName` and/or `typeTag`, `payload`,
 * `extraNetIds`) into the codec's input. When both `typeName` and `typeTag` are given the tag
 * wins (vectors give both, and they agree).
 */
export function legacyInputFromJson(req: Record<string, unknown>): LegacyFrameInput {
  const typeName = req.typeName;
  const typeTag = req.typeTag;
  if (typeName !== undefined && typeName !== null && typeof typeName !== "string") {
    throw new BadRequest(`typeName must be a string, got ${JSON.stringify(typeName)}`);
  }
  if (typeTag !== undefined && typeTag !== null && typeof typeTag !== "number") {
    throw new BadRequest(`typeTag must be a number, got ${JSON.stringify(typeTag)}`);
  }
  if (typeof req.key !== "string") throw new BadRequest("key (hex) is required");
  if (typeof req.payload !== "string") throw new BadRequest("payload (hex) is required");
  return {
    key: unhex(req.key),
    padding: typeof req.padding === "string" ? unhex(req.padding) : undefined,
    gossip: gossipFromJson(req.gossip),
    typeName: typeof typeName === "string" ? typeName : undefined,
    typeTag: typeof typeTag === "number" ? typeTag : undefined,
    payload: unhex(req.payload),
    extraNetIds: netIdsFromJson(req.extraNetIds),
  };
}
