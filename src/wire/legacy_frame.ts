/**
 * Frames of the "legacy" profile, byte-compatible with Elixir Chatter 0.0.15:
 *
 * ```
 * frame     = 0xff, varint(len(ciphertext)), ciphertext            [R-FRAME-001]
 * plaintext = padding(32), u32be(xxhash32(gossip)), varint(len(gossip)), snappy(gossip)
 * gossip    = table, current, seen, other, distribution, varint(typeTag), payload
 * ```
 *
 * See `spec/wire.md` for every rule and its tag.
 *
 * @module
 */

import { InvalidValueError } from "../errors.ts";
import { ByteWriter } from "./byte_writer.ts";
import {
  type DecodeLimits,
  DEFAULT_LIMITS,
  LEGACY_PADDING_BYTES,
  LEGACY_START_BYTE,
  MAX_SEQNO,
  MAX_UINT32,
  VARINT32_MAX_BYTES,
} from "./constants.ts";
import { DecodeError } from "./decode_error.ts";
import { checkFrameExtent, readTableCount } from "./frame_extent.ts";
import { type Gossip, readGossip } from "./gossip.ts";
import { legacyKeystream } from "./legacy_cipher.ts";
import { formatIp, type NetId, parseIp } from "./netid.ts";
import { NetIdTable } from "./netid_table.ts";
import {
  snappyCompress,
  snappyCompressInto,
  snappyDeclaredLength,
  snappyDecompress,
} from "./snappy.ts";
import { decodeVarint, encodeVarint, varintLength } from "./varint.ts";
import { typeTag as tagOf, xxhash32 } from "./xxhash32.ts";
import { ipv4TextAt } from "./ipv4_text.ts";

/** Bytes of one legacy NetID table entry: 4 address bytes and a big-endian port. [R-NETID-002] */
export const LEGACY_NETID_BYTES = 6;

/** What a legacy frame is encoded from. */
export interface LegacyFrameInput {
  /** The shared key (normalised to 32 bytes as [R-CRYPT-003] says). */
  key: Uint8Array;
  /** The gossip header. */
  gossip: Gossip;
  /** The type name; its xxhash32 is the tag. Give this or `typeTag`. */
  typeName?: string;
  /** The type tag, when the name is not known. */
  typeTag?: number;
  /**
   * The payload bytes, or a function that encodes the payload given the frame's NetID table
   * (the seed's `encode_with`).
   */
  payload: Uint8Array | ((table: NetIdTable) => Uint8Array);
  /** NetIDs the payload refers to (the seed's `extract_netids`); they join the table. */
  extraNetIds?: readonly NetId[];
  /** The 32 padding bytes; random when omitted. Tests and vectors pass them in. */
  padding?: Uint8Array;
}

/** Every layer of an encoded legacy frame, as the golden vectors record them. */
export interface LegacyFrameLayers {
  /** The uncompressed gossip: table, gossip fields, type tag, payload. */
  gossip: Uint8Array;
  /** xxhash32 (seed 0) of `gossip`. */
  checksum: number;
  /** `gossip` as a raw snappy block. */
  compressed: Uint8Array;
  /** padding, checksum, size varint, compressed. */
  plaintext: Uint8Array;
  /** The whole frame on the wire. */
  frame: Uint8Array;
  /** The NetID table the gossip refers to. */
  table: NetIdTable;
}

/** A decoded legacy frame. */
export interface LegacyFrame {
  /** The gossip header. */
  gossip: Gossip;
  /** The payload's type tag. */
  typeTag: number;
  /** The payload bytes (a view into the decoded gossip). */
  payload: Uint8Array;
  /** The frame's NetID table, for resolving references inside the payload. */
  table: NetId[];
}

// Random padding for 128 frames per getRandomValues call (CSPRNG bytes either way).
const padPool = new Uint8Array(LEGACY_PADDING_BYTES * 128);
let padAt = padPool.length;

/** 32 fresh random bytes (a view, valid until the next call). */
function randomPadding(): Uint8Array {
  if (padAt >= padPool.length) {
    crypto.getRandomValues(padPool);
    padAt = 0;
  }
  padAt += LEGACY_PADDING_BYTES;
  return padPool.subarray(padAt - LEGACY_PADDING_BYTES, padAt);
}

/**
 * A dotted-quad IPv4 address as a 32-bit number, or -1 when `ip` is not one. Accepts exactly
 * what {@linkcode parseIp} accepts for IPv4 (no leading zeros, four parts of 0..255), without
 * regular expressions or allocations: the encoder's hot path.
 */
function ipv4Value(ip: string): number {
  if (typeof ip !== "string") return -1;
  const n = ip.length;
  let value = 0, part = 0, digits = 0, parts = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? ip.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || part > 255 || ++parts > 4) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57 || (digits === 1 && part === 0) || ++digits > 3) return -1;
    part = part * 10 + (c - 48);
  }
  return parts === 4 ? value : -1;
}

/**
 * A NetID as one 48-bit number (address, then port): the numeric order of these keys is the
 * legacy table order. [R-TABLE-003] Throws an `InvalidValueError` naming a non-IPv4 address or a bad
 * port. [R-NETID-005]
 */
function legacyKeyOf(id: NetId): number {
  const a = ipv4Value(id.ip);
  if (a < 0) {
    if (typeof id.ip === "string" && id.ip.includes(":")) parseIp(id.ip); // names a bad IPv6 text
    throw new InvalidValueError(
      `the legacy profile carries IPv4 only, got ${JSON.stringify(id.ip)}`,
    );
  }
  const port = id.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidValueError(`port must be an integer in [0, 65535], got ${port}`);
  }
  return a * 65536 + port;
}

function checkSeqno(seqno: number, what: string): void {
  if (!Number.isInteger(seqno) || seqno < 0 || seqno > MAX_SEQNO) {
    throw new InvalidValueError(`${what} seqno must be an integer in [0, 2^53-1], got ${seqno}`);
  }
}

function tableFromKeys(keys: readonly number[]): NetIdTable {
  const entries = Array.from(keys, (k) => {
    const a = Math.floor(k / 65536);
    const addr = new Uint8Array([a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255]);
    return { id: { ip: formatIp(addr), port: k % 65536 }, addr };
  });
  return NetIdTable.fromSorted(entries);
}

interface EncodedGossip {
  gossip: Uint8Array;
  table: NetIdTable | undefined;
  padding: Uint8Array;
}

/**
 * Build the uncompressed gossip: table, gossip fields, type tag, payload.
 * [R-TABLE-001..005] [R-GOSSIP-001..005] [R-TAG-001..002]
 */
function encodeGossip(input: LegacyFrameInput, wantTable: boolean): EncodedGossip {
  const padding = input.padding ?? randomPadding();
  if (padding.length !== LEGACY_PADDING_BYTES) {
    throw new InvalidValueError(
      `padding must be ${LEGACY_PADDING_BYTES} bytes, got ${padding.length}`,
    );
  }
  const tag = input.typeTag ?? (input.typeName !== undefined ? tagOf(input.typeName) : undefined);
  if (tag === undefined || !Number.isInteger(tag) || tag < 0 || tag > MAX_UINT32) {
    throw new InvalidValueError(
      `typeTag must be a 32-bit unsigned integer (or give typeName), got ${tag}`,
    );
  }
  const g = input.gossip;
  checkSeqno(g.current.seqno, "current");
  const cur = legacyKeyOf(g.current);
  const seen = new Array<number>(g.seen.length);
  for (let i = 0; i < seen.length; i++) {
    checkSeqno(g.seen[i].seqno, "seen");
    seen[i] = legacyKeyOf(g.seen[i]);
  }
  const other = g.other.map(legacyKeyOf);
  const dist = g.distribution.map(legacyKeyOf);
  const extra = input.extraNetIds ? input.extraNetIds.map(legacyKeyOf) : [];
  const index = new Map<number, number>();
  for (const list of [[cur], seen, other, dist, extra]) {
    for (const k of list) index.set(k, 0);
  }
  const keys = [...index.keys()].sort((a, b) => a - b);
  for (let i = 0; i < keys.length; i++) index.set(keys[i], i);
  const table = wantTable || typeof input.payload === "function" ? tableFromKeys(keys) : undefined;
  const payload = typeof input.payload === "function" ? input.payload(table!) : input.payload;

  // The frame is sealed before the next one is encoded: reuse one writer (a copy for layers).
  const w = gossipWriter;
  w.length = 0;
  w.varint(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const a = Math.floor(k / 65536);
    w.u32be(a);
    w.u16be(k % 65536);
  }
  w.varint(index.get(cur)!);
  w.varint(g.current.seqno);
  w.varint(seen.length);
  for (let i = 0; i < seen.length; i++) {
    w.varint(index.get(seen[i])!);
    w.varint(g.seen[i].seqno);
  }
  w.varint(other.length);
  for (const k of other) w.varint(index.get(k)!);
  w.varint(dist.length);
  for (const k of dist) w.varint(index.get(k)!);
  w.varint(tag);
  w.bytes(payload);
  return { gossip: wantTable ? w.finish() : w.view(), table, padding };
}

const gossipWriter = new ByteWriter(1024);
const blockWriter = new ByteWriter(1024);

function u32be(out: Uint8Array, o: number, v: number): void {
  out[o] = v >>> 24;
  out[o + 1] = (v >>> 16) & 0xff;
  out[o + 2] = (v >>> 8) & 0xff;
  out[o + 3] = v & 0xff;
}

/**
 * Envelope and encrypt: the plaintext is padding, checksum, size, snappy block [R-ENV-001..003],
 * XORed with the key's keystream [R-CRYPT-001..003] straight into the frame after the header
 * [R-FRAME-001]. Returns the frame and, when asked, the plaintext.
 */
function sealFrame(
  key: Uint8Array,
  padding: Uint8Array,
  checksum: number,
  gossipLength: number,
  compressed: Uint8Array,
  wantPlaintext: boolean,
): { frame: Uint8Array; plaintext?: Uint8Array } {
  const sizeLen = varintLength(gossipLength);
  const ptLen = LEGACY_PADDING_BYTES + 4 + sizeLen + compressed.length;
  const head = 1 + varintLength(ptLen);
  const frame = new Uint8Array(head + ptLen);
  frame[0] = LEGACY_START_BYTE;
  encodeVarint(ptLen, frame, 1);
  // Lay the plaintext out in place, keep a copy if asked, then XOR the keystream over it.
  frame.set(padding, head);
  u32be(frame, head + LEGACY_PADDING_BYTES, checksum);
  encodeVarint(gossipLength, frame, head + LEGACY_PADDING_BYTES + 4);
  frame.set(compressed, head + LEGACY_PADDING_BYTES + 4 + sizeLen);
  const plaintext = wantPlaintext ? frame.slice(head) : undefined;
  const ks = legacyKeystream(key, ptLen);
  for (let i = 0, o = head; i < ptLen; i++, o++) frame[o] ^= ks[i];
  return { frame, plaintext };
}

/**
 * Encode a legacy frame and return every layer (for vectors and diagnostics).
 * Throws `InvalidValueError` naming a bad input; never {@linkcode DecodeError}.
 *
 * @example
 * ```ts
 * import { decodeLegacyFrame, encodeLegacyFrameLayers } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const key = new TextEncoder().encode("01234567890123456789012345678912");
 * const layers = encodeLegacyFrameLayers({
 *   key,
 *   gossip: { current: { ip: "127.0.0.1", port: 29999, seqno: 1 }, seen: [], other: [], distribution: [] },
 *   typeName: "hello",
 *   payload: new TextEncoder().encode("world"),
 * });
 * assert.equal(layers.frame[0], 255); // the finished frame, with every layer beside it
 * assert.ok(layers.compressed.length > 0 && Number.isInteger(layers.checksum));
 * assert.equal(new TextDecoder().decode(decodeLegacyFrame(layers.frame, key).payload), "world");
 * ```
 */
export function encodeLegacyFrameLayers(input: LegacyFrameInput): LegacyFrameLayers {
  const { gossip, table, padding } = encodeGossip(input, true);
  const checksum = xxhash32(gossip, 0);
  const compressed = snappyCompress(gossip);
  const { frame, plaintext } = sealFrame(
    input.key,
    padding,
    checksum,
    gossip.length,
    compressed,
    true,
  );
  return { gossip, checksum, compressed, plaintext: plaintext!, frame, table: table! };
}

/**
 * Encode a legacy frame.
 *
 * @example
 * ```ts
 * import { encodeLegacyFrame } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const frame = encodeLegacyFrame({
 *   key: new TextEncoder().encode("01234567890123456789012345678912"),
 *   gossip: { current: { ip: "127.0.0.1", port: 29999, seqno: 1 }, seen: [], other: [], distribution: [] },
 *   typeName: "hello",
 *   payload: new TextEncoder().encode("world"),
 * });
 * assert.equal(frame[0], 255);
 * ```
 */
export function encodeLegacyFrame(input: LegacyFrameInput): Uint8Array {
  const { gossip, padding } = encodeGossip(input, false);
  blockWriter.length = 0;
  snappyCompressInto(blockWriter, gossip);
  return sealFrame(
    input.key,
    padding,
    xxhash32(gossip, 0),
    gossip.length,
    blockWriter.view(),
    false,
  )
    .frame;
}

/**
 * Read the length of the legacy frame that starts at `offset`: returns the total frame size
 * in bytes (header included), or `undefined` when more bytes are needed to know it. Throws
 * {@linkcode DecodeError} `BAD_START_BYTE`, `VARINT_*` or `FRAME_TOO_LARGE` as soon as the
 * header shows them. Used by the streaming reader.
 *
 * @example
 * ```ts
 * import { legacyFrameLength } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(legacyFrameLength(new Uint8Array([0xff]), 0), undefined); // needs the length varint
 * assert.equal(legacyFrameLength(new Uint8Array([0xff, 0x03, 1, 2, 3]), 0), 5);
 * ```
 */
export function legacyFrameLength(
  buf: Uint8Array,
  offset: number,
  limits: DecodeLimits = DEFAULT_LIMITS,
): number | undefined {
  if (offset >= buf.length) return undefined;
  if (buf[offset] !== LEGACY_START_BYTE) {
    throw new DecodeError(
      "BAD_START_BYTE",
      offset,
      `start byte 0x${buf[offset].toString(16)}, expected 0xff`,
    );
  }
  let len: number, next: number;
  try {
    [len, next] = decodeVarint(buf, offset + 1, VARINT32_MAX_BYTES, MAX_UINT32);
  } catch (e) {
    if (e instanceof DecodeError && e.code === "TRUNCATED") return undefined;
    throw e;
  }
  if (len > limits.maxFrameBytes) {
    throw new DecodeError(
      "FRAME_TOO_LARGE",
      offset + 1,
      `frame length ${len} exceeds the limit ${limits.maxFrameBytes}`,
    );
  }
  return next - offset + len;
}

function readLegacyTable(buf: Uint8Array, limits: DecodeLimits): [NetId[], number] {
  const [n, start] = readTableCount(buf, limits.maxTableEntries, LEGACY_NETID_BYTES);
  const ids: NetId[] = new Array(n);
  let o = start;
  let prevKey = -1;
  for (let i = 0; i < n; i++) {
    // Address and port as one 48-bit number: table order is numeric order of it. [R-TABLE-003]
    const key = ((buf[o] * 256 + buf[o + 1]) * 256 + buf[o + 2]) * 256 * 256 * 256 +
      buf[o + 3] * 65536 + buf[o + 4] * 256 + buf[o + 5];
    if (key <= prevKey) {
      throw new DecodeError(
        "TABLE_NOT_CANONICAL",
        o,
        `NetID table entry ${i} is not greater than entry ${
          i - 1
        } (table must be sorted, no repeats)`,
        "gossip",
      );
    }
    prevKey = key;
    ids[i] = { ip: ipv4TextAt(buf, o), port: (buf[o + 4] << 8) | buf[o + 5] };
    o += LEGACY_NETID_BYTES;
  }
  return [ids, o];
}

/**
 * Decode the uncompressed legacy gossip (table, gossip fields, type tag, payload).
 * Throws {@linkcode DecodeError} with `layer` "gossip".
 */
export function decodeLegacyGossip(
  gossip: Uint8Array,
  limits: DecodeLimits = DEFAULT_LIMITS,
): LegacyFrame {
  const [table, afterTable] = readLegacyTable(gossip, limits);
  const [g, afterGossip] = readGossip(gossip, afterTable, table, limits, "gossip");
  const [tag, afterTag] = decodeVarint(
    gossip,
    afterGossip,
    VARINT32_MAX_BYTES,
    MAX_UINT32,
    "gossip",
  );
  return { gossip: g, typeTag: tag, payload: gossip.subarray(afterTag), table };
}

/** The decrypted plaintext of a legacy frame, split into its fields. */
export interface LegacyPlaintext {
  /** The checksum field. */
  checksum: number;
  /** The size field (declared uncompressed gossip length). */
  size: number;
  /** The uncompressed gossip. */
  gossip: Uint8Array;
}

/**
 * Check and open a legacy plaintext: checksum field, size field, snappy block; verify the
 * size against the block and the checksum against the uncompressed gossip.
 * Throws {@linkcode DecodeError} with `layer` "plaintext".
 */
export function openLegacyPlaintext(
  pt: Uint8Array,
  limits: DecodeLimits = DEFAULT_LIMITS,
): LegacyPlaintext {
  const head = LEGACY_PADDING_BYTES + 4;
  if (pt.length < head) {
    throw new DecodeError(
      "TRUNCATED",
      pt.length,
      `plaintext of ${pt.length} bytes, padding and checksum need ${head}`,
      "plaintext",
    );
  }
  const checksum = ((pt[32] << 24) | (pt[33] << 16) | (pt[34] << 8) | pt[35]) >>> 0;
  const [size, afterSize] = decodeVarint(pt, head, VARINT32_MAX_BYTES, MAX_UINT32, "plaintext");
  if (size > limits.maxUncompressedBytes) {
    throw new DecodeError(
      "SIZE_LIMIT",
      head,
      `uncompressed size ${size} exceeds the limit ${limits.maxUncompressedBytes}`,
      "plaintext",
    );
  }
  const block = pt.subarray(afterSize);
  if (block.length === 0) {
    throw new DecodeError(
      "TRUNCATED",
      afterSize,
      "plaintext ends before the snappy block",
      "plaintext",
    );
  }
  const [declared] = snappyDeclaredLength(block, "plaintext", afterSize);
  if (declared !== size) {
    throw new DecodeError(
      "SIZE_MISMATCH",
      afterSize,
      `size field says ${size}, snappy block declares ${declared}`,
      "plaintext",
    );
  }
  if (size > block.length * limits.maxCompressionRatio) {
    throw new DecodeError(
      "RATIO_LIMIT",
      afterSize,
      `snappy block of ${block.length} bytes declares ${size}, over ratio ${limits.maxCompressionRatio}`,
      "plaintext",
    );
  }
  const gossip = snappyDecompress(block, limits.maxUncompressedBytes, "plaintext", afterSize);
  const actual = xxhash32(gossip, 0);
  if (actual !== checksum) {
    throw new DecodeError(
      "CHECKSUM_MISMATCH",
      32,
      `checksum field 0x${checksum.toString(16).padStart(8, "0")}, gossip hashes to 0x${
        actual.toString(16).padStart(8, "0")
      }`,
      "plaintext",
    );
  }
  return { checksum, size, gossip };
}

/**
 * Decrypt a whole legacy frame (one datagram, or one frame cut from a TCP stream) and return
 * the plaintext. Bytes after the frame are an error (`TRAILING_BYTES`). [R-TRANSPORT-002]
 */
export function decryptLegacyFrame(
  frame: Uint8Array,
  key: Uint8Array,
  limits: DecodeLimits = DEFAULT_LIMITS,
): Uint8Array {
  return decryptInto(frame, key, limits, undefined);
}

/** Scratch plaintext of decodeLegacyFrame (the plaintext does not outlive the call). */
let scratch = new Uint8Array(2048);

function decryptInto(
  frame: Uint8Array,
  key: Uint8Array,
  limits: DecodeLimits,
  reuse: "scratch" | undefined,
): Uint8Array {
  if (frame.length === 0) throw new DecodeError("TRUNCATED", 0, "empty frame");
  const total = legacyFrameLength(frame, 0, limits);
  if (total === undefined) {
    throw new DecodeError("TRUNCATED", frame.length, "frame ends inside its length field");
  }
  checkFrameExtent(frame, total);
  // The header is the start byte and the length varint; legacyFrameLength has checked both.
  let o = 1;
  while (frame[o] & 0x80) o++;
  o++;
  const ct = frame.subarray(o);
  const ks = legacyKeystream(key, ct.length);
  let pt: Uint8Array;
  if (reuse === "scratch") {
    if (scratch.length < ct.length) {
      scratch = new Uint8Array(Math.max(ct.length, scratch.length * 2));
    }
    pt = scratch.subarray(0, ct.length);
  } else pt = new Uint8Array(ct.length);
  for (let i = 0; i < ct.length; i++) pt[i] = ct[i] ^ ks[i];
  return pt;
}

/**
 * Decode a legacy frame: check the header, decrypt, check the envelope and the checksum, and
 * parse the gossip. Throws {@linkcode DecodeError} and nothing else for any input bytes.
 *
 * @example
 * ```ts
 * import { decodeLegacyFrame, encodeLegacyFrame } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const key = new TextEncoder().encode("01234567890123456789012345678912");
 * const gossip = { current: { ip: "127.0.0.1", port: 29999, seqno: 1 }, seen: [], other: [], distribution: [] };
 * const frame = encodeLegacyFrame({ key, gossip, typeName: "hello", payload: new Uint8Array([1]) });
 * assert.deepEqual(decodeLegacyFrame(frame, key).payload, new Uint8Array([1]));
 * ```
 */
export function decodeLegacyFrame(
  frame: Uint8Array,
  key: Uint8Array,
  limits: DecodeLimits = DEFAULT_LIMITS,
): LegacyFrame {
  // The plaintext lives only until the gossip is decompressed out of it (a new array that the
  // payload is a view into), so it is decrypted into a reused buffer.
  const pt = decryptInto(frame, key, limits, "scratch");
  const { gossip } = openLegacyPlaintext(pt, limits);
  return decodeLegacyGossip(gossip, limits);
}
