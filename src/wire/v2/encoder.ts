/**
 * Encode v2 frames: body, optional snappy compression (kept only when it shrinks the body),
 * header with the sealed time, AES-256-GCM with the header (and, for a frame bound to one
 * receiver, the receiver's NetID) as associated data. [R-V2-BODY-001], [R-V2-COMP-001],
 * [R-V2-AEAD-001..003], [R-V2-TIME-001], [R-V2-BIND-001]
 *
 * @module
 */

import { InvalidValueError } from "../../errors.ts";
import { ByteWriter } from "../byte_writer.ts";
import {
  DEFAULT_V2_LIMITS,
  MAX_UINT32,
  V2_FLAG_BOUND,
  V2_FLAG_SNAPPY,
  V2_HEADER_BYTES,
  V2_MAX_COUNTER,
  V2_TAG_BYTES,
} from "../constants.ts";
import type { Gossip } from "../gossip.ts";
import type { OutgoingRecord } from "../message.ts";
import type { NetId } from "../netid.ts";
import type { NetIdTable } from "../netid_table.ts";
import { snappyCompress } from "../snappy.ts";
import { v2Nonce, v2Seal } from "./aead.ts";
import { v2AssociatedData } from "./binding.ts";
import { buildV2Table, v2FrameNetIds, writeV2Body } from "./body.ts";
import { writeV2Header } from "./header.ts";
import type { V2Keyring } from "./keyring.ts";
import { V2SessionKeys } from "./session_keys.ts";

/** Body compression an encoder may use. */
export type V2Compression = "snappy" | "none";

/** What a v2 frame is encoded from. */
export interface V2FrameInput {
  /** The keyring; the frame is sealed with `keyId`'s key. */
  keyring: V2Keyring;
  /** Which key seals the frame; defaults to the keyring's primary key. */
  keyId?: number;
  /** The cluster label, bound into the session key. [R-V2-LABEL-001] */
  label: string;
  /** The sender's 16-byte session salt. */
  salt: Uint8Array;
  /** The frame counter, unique within the session (0 to 2^64 - 1). */
  counter: bigint | number;
  /**
   * The sealed time written in the header: milliseconds since the Unix epoch by the sender's
   * clock, an integer in [0, 2^53 - 1] (default `Date.now()`; pass it for reproducible
   * frames). [R-V2-TIME-001]
   */
  sealedAt?: number;
  /**
   * The one receiver a TCP frame is for: the frame is bound to this NetID (flag bit 1, the
   * NetID in the associated data) and no other receiver accepts it. Absent: a datagram
   * (multicast) frame, which no TCP receiver accepts. [R-V2-BIND-001]
   */
  receiver?: NetId;
  /** The gossip header. */
  gossip: Gossip;
  /** One or more records. */
  records: readonly OutgoingRecord[];
  /** NetIDs that join the table without being referenced by the gossip or a record origin. */
  extraNetIds?: readonly NetId[];
  /**
   * `"snappy"` (default): compress the body and keep the result only when it is shorter;
   * `"none"`: never compress.
   */
  compression?: V2Compression;
  /**
   * With snappy: keep the compressed block only when it saves at least this fraction of the
   * body (default 0: whenever it is shorter). A sender of mostly incompressible payloads sets
   * e.g. 0.1 so that receivers do not pay for decompressing a block that saved a few bytes.
   * [R-V2-COMP-001] allows it: compressing is optional.
   */
  minCompressionSaving?: number;
  /** Session key cache to use; defaults to one shared by every encoder call (64 keys). */
  sessionKeys?: V2SessionKeys;
}

/** Every layer of an encoded v2 frame, as the golden vectors record them. */
export interface V2FrameLayers {
  /** The NetID table the body refers to. */
  table: NetIdTable;
  /** The uncompressed body: table, gossip, records. */
  body: Uint8Array;
  /** Whether the sealed plaintext is the snappy-compressed body. */
  compressed: boolean;
  /** The bytes that were sealed: the body or its snappy block. */
  plaintext: Uint8Array;
  /** The 45-byte header. */
  header: Uint8Array;
  /** The associated data: the header, then the receiver binding of a bound frame. */
  associatedData: Uint8Array;
  /** The derived session key. */
  sessionKey: Uint8Array;
  /** The 12-byte GCM nonce. */
  nonce: Uint8Array;
  /** The 16-byte authentication tag. */
  tag: Uint8Array;
  /** The whole frame: header, ciphertext, tag. */
  frame: Uint8Array;
}

const sharedKeys = new V2SessionKeys(64);

function toCounter(c: bigint | number): bigint {
  if (typeof c === "number") {
    if (!Number.isSafeInteger(c) || c < 0) {
      throw new InvalidValueError(`counter must be a non-negative integer, got ${c}`);
    }
    return BigInt(c);
  }
  if (typeof c !== "bigint" || c < 0n || c > V2_MAX_COUNTER) {
    throw new InvalidValueError(`counter must be in [0, 2^64-1], got ${c}`);
  }
  return c;
}

/**
 * Encode a v2 frame and return every layer. Throws `InvalidValueError` naming a bad input
 * (unknown key id, no records, bad salt, counter out of range, a body over 2^32 - 1 bytes);
 * never {@linkcode DecodeError}.
 *
 * @example
 * ```ts
 * import { encodeV2FrameLayers, typeTag, V2Keyring } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const me = { ip: "10.0.0.1", port: 29999, seqno: 1 };
 * const layers = encodeV2FrameLayers({
 *   keyring: V2Keyring.single(new Uint8Array(32)),
 *   label: "prod",
 *   salt: new Uint8Array(16),
 *   counter: 0n,
 *   gossip: { current: me, seen: [], other: [], distribution: [] },
 *   records: [{ typeTag: typeTag("hello"), origin: me, payload: new TextEncoder().encode("world") }],
 * });
 * assert.equal(layers.header.length, 45);
 * ```
 */
export function encodeV2FrameLayers(input: V2FrameInput): V2FrameLayers {
  return encodeLayers(input, true);
}

/** The body writer {@linkcode encodeV2Frame} reuses (a body is sealed before the next). */
const bodyWriter = new ByteWriter(2048);
let bodyWriterBusy = false;

function encodeLayers(input: V2FrameInput, copyBody: boolean): V2FrameLayers {
  const table = buildV2Table(v2FrameNetIds(input.gossip, input.records, input.extraNetIds));
  // A payload encoder that itself encodes a frame gets a writer of its own.
  const w = bodyWriterBusy ? new ByteWriter(2048) : bodyWriter;
  const outer = !bodyWriterBusy;
  bodyWriterBusy = true;
  try {
    w.length = 0;
    writeV2Body(w, table, input.gossip, input.records);
    const body = copyBody ? w.finish() : w.view();
    return { table, body, ...sealV2Body(input, body) };
  } finally {
    if (outer) bodyWriterBusy = false;
  }
}

/** What {@linkcode sealV2Body} needs besides the body. */
export type V2SealInput = Omit<V2FrameInput, "gossip" | "records" | "extraNetIds">;

/** The sealed layers of a body (see {@linkcode V2FrameLayers}). */
export type V2Sealed = Omit<V2FrameLayers, "table" | "body">;

/**
 * Seal an encoded body into a frame: optional snappy (kept when it saves at least
 * `minCompressionSaving`), header, AES-256-GCM. Throws `InvalidValueError` naming a bad
 * input. `body` is only read.
 *
 * @example
 * ```ts
 * import { sealV2Body, V2Keyring } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const s = sealV2Body({
 *   keyring: V2Keyring.single(new Uint8Array(32)), label: "", salt: new Uint8Array(16),
 *   counter: 0n, compression: "none",
 * }, new Uint8Array([1, 2, 3]));
 * assert.equal(s.frame.length, 45 + 3 + 16);
 * ```
 */
export function sealV2Body(input: V2SealInput, body: Uint8Array): V2Sealed {
  const keyId = input.keyId ?? input.keyring.primaryId;
  const base = input.keyring.get(keyId);
  if (base === undefined) throw new InvalidValueError(`key id ${keyId} is not in the keyring`);
  const counter = toCounter(input.counter);
  let plaintext = body;
  let compressed = false;
  if ((input.compression ?? "snappy") === "snappy") {
    const block = snappyCompress(body);
    if (block.length < body.length - body.length * (input.minCompressionSaving ?? 0)) {
      plaintext = block;
      compressed = true;
    }
  } else if (input.compression !== "none") {
    throw new InvalidValueError(`compression must be "snappy" or "none", got ${input.compression}`);
  }
  if (body.length > MAX_UINT32) {
    throw new InvalidValueError(`body of ${body.length} bytes is too large`);
  }
  const frame = new Uint8Array(V2_HEADER_BYTES + plaintext.length + V2_TAG_BYTES);
  writeV2Header(frame, 0, {
    flags: (compressed ? V2_FLAG_SNAPPY : 0) | (input.receiver ? V2_FLAG_BOUND : 0),
    keyId,
    salt: input.salt,
    counter,
    ciphertextLength: plaintext.length,
    uncompressedLength: body.length,
    sealedAt: input.sealedAt ?? Date.now(),
  });
  const header = frame.subarray(0, V2_HEADER_BYTES);
  const associatedData = v2AssociatedData(header, input.receiver);
  const sessionKey = (input.sessionKeys ?? sharedKeys).get(
    base,
    keyId,
    input.salt,
    input.label,
    true,
  );
  const nonce = v2Nonce(counter);
  v2Seal(sessionKey, nonce, associatedData, plaintext, frame, V2_HEADER_BYTES);
  return {
    compressed,
    plaintext,
    header,
    associatedData,
    sessionKey,
    nonce,
    tag: frame.subarray(frame.length - V2_TAG_BYTES),
    frame,
  };
}

/**
 * Encode a v2 frame (see {@linkcode encodeV2FrameLayers} for the inputs and errors).
 *
 * @example
 * ```ts
 * import { encodeV2Frame, typeTag, V2Keyring } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const me = { ip: "::1", port: 29999, seqno: 7 };
 * const frame = encodeV2Frame({
 *   keyring: V2Keyring.single(new Uint8Array(32), 3),
 *   label: "",
 *   salt: crypto.getRandomValues(new Uint8Array(16)),
 *   counter: 0n,
 *   gossip: { current: me, seen: [], other: [], distribution: [] },
 *   records: [{ typeTag: typeTag("ping"), origin: me, payload: new Uint8Array(0) }],
 * });
 * assert.equal(frame[0], 0xc7);
 * ```
 */
export function encodeV2Frame(input: V2FrameInput): Uint8Array {
  return encodeLayers(input, false).frame;
}

/**
 * Whether a frame fits one UDP datagram under the multicast limit (default 1400 bytes); a
 * frame that does not is sent over TCP only. [R-V2-LIMIT-003]
 *
 * @example
 * ```ts
 * import { v2FitsDatagram } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(v2FitsDatagram(new Uint8Array(1400)), true);
 * assert.equal(v2FitsDatagram(new Uint8Array(1401)), false);
 * ```
 */
export function v2FitsDatagram(
  frame: Uint8Array,
  maxDatagramBytes: number = DEFAULT_V2_LIMITS.maxDatagramBytes,
): boolean {
  return frame.length <= maxDatagramBytes;
}
