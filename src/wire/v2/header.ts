/**
 * The v2 frame header (version 3): 45 bytes sent in clear and authenticated as AES-GCM
 * associated data. [R-V2-FRAME-001..007], [R-V2-TIME-001], [R-V2-BIND-001]
 *
 * ```
 * off len field
 *   0   1 start byte 0xc7             [R-V2-FRAME-001]
 *   1   1 version (3)                 [R-V2-FRAME-002]
 *   2   1 header length (45)          [R-V2-FRAME-003]
 *   3   1 flags (0: snappy, 1: bound) [R-V2-FRAME-004]
 *   4   1 key id                      [R-V2-KEY-001]
 *   5  16 session salt                [R-V2-SESSION-001]
 *  21   8 frame counter, u64be        [R-V2-SESSION-003]
 *  29   4 ciphertext length, u32be    [R-V2-FRAME-005]
 *  33   4 uncompressed length, u32be  [R-V2-FRAME-006]
 *  37   8 sealed time, ms, u64be      [R-V2-TIME-001]
 *  45   n ciphertext, then the 16-byte tag
 * ```
 *
 * @module
 */

import { InvalidValueError } from "../../errors.ts";
import {
  type DecodeLimits,
  DEFAULT_LIMITS,
  MAX_SEQNO,
  MAX_UINT32,
  V2_FLAG_SNAPPY,
  V2_FLAGS_DEFINED,
  V2_HEADER_BYTES,
  V2_MAX_COUNTER,
  V2_SALT_BYTES,
  V2_START_BYTE,
  V2_TAG_BYTES,
  V2_VERSION,
} from "../constants.ts";
import { DecodeError } from "../decode_error.ts";
import { checkFrameExtent } from "../frame_extent.ts";

/** Offsets of the v2 header fields. */
export const V2_HEADER_OFFSETS: Readonly<{
  start: number;
  version: number;
  headerLength: number;
  flags: number;
  keyId: number;
  salt: number;
  counter: number;
  ciphertextLength: number;
  uncompressedLength: number;
  sealedAt: number;
}> = Object.freeze({
  start: 0,
  version: 1,
  headerLength: 2,
  flags: 3,
  keyId: 4,
  salt: 5,
  counter: 21,
  ciphertextLength: 29,
  uncompressedLength: 33,
  sealedAt: 37,
});

/** The fields of a v2 header. */
export interface V2Header {
  /** Flag bits: {@linkcode V2_FLAG_SNAPPY} and {@linkcode V2_FLAG_BOUND}. */
  flags: number;
  /** Which keyring key sealed the frame (0 to 255). */
  keyId: number;
  /** The sender's 16-byte session salt (a view into the frame when decoded). */
  salt: Uint8Array;
  /** The frame counter, the GCM nonce's last 8 bytes. */
  counter: bigint;
  /** Bytes of ciphertext between the header and the tag. */
  ciphertextLength: number;
  /** Bytes of the body after decompression (equal to `ciphertextLength` when uncompressed). */
  uncompressedLength: number;
  /**
   * When the sender sealed the frame: milliseconds since the Unix epoch by the sender's clock
   * (0 to 2^53 - 1 when written; a decoded value above 2^53 - 1 is rounded). [R-V2-TIME-001]
   */
  sealedAt: number;
}

/**
 * The session salt of the v2 frame `frame` (a view, not a copy), or `undefined` when the
 * frame is too short to hold one. Reads only the salt's bytes: nothing is checked.
 *
 * @example
 * ```ts
 * import { v2FrameSalt } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(v2FrameSalt(new Uint8Array(3)), undefined);
 * ```
 */
export function v2FrameSalt(frame: Uint8Array): Uint8Array | undefined {
  const at = V2_HEADER_OFFSETS.salt;
  return frame.length >= at + V2_SALT_BYTES ? frame.subarray(at, at + V2_SALT_BYTES) : undefined;
}

/**
 * Whether the v2 frame `frame` says its body is snappy-compressed (the flags field; nothing
 * else is checked).
 *
 * @example
 * ```ts
 * import { v2FrameCompressed } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(v2FrameCompressed(new Uint8Array(45)), false);
 * ```
 */
export function v2FrameCompressed(frame: Uint8Array): boolean {
  return (frame[V2_HEADER_OFFSETS.flags] & V2_FLAG_SNAPPY) !== 0;
}

function u32(buf: Uint8Array, o: number): number {
  return ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
}

function putU32(buf: Uint8Array, o: number, v: number): void {
  buf[o] = v >>> 24;
  buf[o + 1] = (v >>> 16) & 0xff;
  buf[o + 2] = (v >>> 8) & 0xff;
  buf[o + 3] = v & 0xff;
}

/**
 * Write a v2 header into `out` at `offset` (37 bytes). Throws an `InvalidValueError` naming a field
 * that is out of range.
 */
export function writeV2Header(out: Uint8Array, offset: number, h: V2Header): void {
  if (!Number.isInteger(h.keyId) || h.keyId < 0 || h.keyId > 255) {
    throw new InvalidValueError(`key id must be an integer in [0, 255], got ${h.keyId}`);
  }
  if (h.salt.length !== V2_SALT_BYTES) {
    throw new InvalidValueError(`salt must be ${V2_SALT_BYTES} bytes, got ${h.salt.length}`);
  }
  if (typeof h.counter !== "bigint" || h.counter < 0n || h.counter > V2_MAX_COUNTER) {
    throw new InvalidValueError(`counter must be in [0, 2^64-1], got ${h.counter}`);
  }
  if (!Number.isInteger(h.flags) || (h.flags & ~V2_FLAGS_DEFINED) !== 0) {
    throw new InvalidValueError(`unknown flags 0x${h.flags.toString(16)}`);
  }
  if (!Number.isSafeInteger(h.sealedAt) || h.sealedAt < 0 || h.sealedAt > MAX_SEQNO) {
    throw new InvalidValueError(
      `sealed time must be an integer in [0, 2^53-1] ms, got ${h.sealedAt}`,
    );
  }
  for (
    const [what, v] of [["ciphertext", h.ciphertextLength], [
      "uncompressed",
      h.uncompressedLength,
    ]] as const
  ) {
    if (!Number.isInteger(v) || v < 0 || v > MAX_UINT32) {
      throw new InvalidValueError(`${what} length must be a 32-bit unsigned integer, got ${v}`);
    }
  }
  out[offset] = V2_START_BYTE;
  out[offset + 1] = V2_VERSION;
  out[offset + 2] = V2_HEADER_BYTES;
  out[offset + 3] = h.flags;
  out[offset + 4] = h.keyId;
  out.set(h.salt, offset + 5);
  putU32(out, offset + 21, Number(h.counter >> 32n));
  putU32(out, offset + 25, Number(h.counter & 0xffff_ffffn));
  putU32(out, offset + 29, h.ciphertextLength);
  putU32(out, offset + 33, h.uncompressedLength);
  putU32(out, offset + 37, Math.floor(h.sealedAt / 2 ** 32));
  putU32(out, offset + 41, h.sealedAt >>> 0);
}

/**
 * Check the fixed fields that are present in `buf` from `offset` on (start byte, version,
 * header length, flags), in that order, so that a stream reader fails as early as a whole-frame
 * decoder does. Returns how many bytes were available (at most the header).
 */
function checkFixed(buf: Uint8Array, offset: number): number {
  const have = Math.min(buf.length - offset, V2_HEADER_BYTES);
  if (have >= 1 && buf[offset] !== V2_START_BYTE) {
    throw new DecodeError(
      "BAD_START_BYTE",
      offset,
      `start byte 0x${buf[offset].toString(16)}, expected 0x${V2_START_BYTE.toString(16)}`,
    );
  }
  if (have >= 2 && buf[offset + 1] !== V2_VERSION) {
    throw new DecodeError(
      "UNKNOWN_VERSION",
      offset + 1,
      `version ${buf[offset + 1]}, this receiver knows version ${V2_VERSION}`,
    );
  }
  if (have >= 3 && buf[offset + 2] !== V2_HEADER_BYTES) {
    throw new DecodeError(
      "BAD_HEADER_LENGTH",
      offset + 2,
      `header length ${
        buf[offset + 2]
      }, version ${V2_VERSION} headers are ${V2_HEADER_BYTES} bytes`,
    );
  }
  if (have >= 4 && (buf[offset + 3] & ~V2_FLAGS_DEFINED) !== 0) {
    throw new DecodeError(
      "BAD_FLAGS",
      offset + 3,
      `flags 0x${buf[offset + 3].toString(16).padStart(2, "0")} set undefined bits`,
    );
  }
  return have;
}

/**
 * The total length of the v2 frame at `offset`: header, ciphertext and tag. Returns
 * `undefined` while the ciphertext-length field has not fully arrived. Throws
 * {@linkcode DecodeError} (`BAD_START_BYTE`, `UNKNOWN_VERSION`, `BAD_HEADER_LENGTH`,
 * `BAD_FLAGS`, `FRAME_TOO_LARGE`) as soon as the bytes present show it. [R-V2-TRANSPORT-002]
 *
 * @example
 * ```ts
 * import { v2FrameLength } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(v2FrameLength(new Uint8Array([0xc7, 3, 45]), 0), undefined); // needs more bytes
 * ```
 */
export function v2FrameLength(
  buf: Uint8Array,
  offset: number,
  limits: DecodeLimits = DEFAULT_LIMITS,
): number | undefined {
  const have = checkFixed(buf, offset);
  if (have < V2_HEADER_OFFSETS.ciphertextLength + 4) return undefined;
  const ct = u32(buf, offset + V2_HEADER_OFFSETS.ciphertextLength);
  const total = V2_HEADER_BYTES + ct + V2_TAG_BYTES;
  if (total > limits.maxFrameBytes) {
    throw new DecodeError(
      "FRAME_TOO_LARGE",
      offset + V2_HEADER_OFFSETS.ciphertextLength,
      `frame of ${total} bytes (ciphertext ${ct}) exceeds the limit ${limits.maxFrameBytes}`,
    );
  }
  return total;
}

/**
 * Read and check the header of a whole v2 frame (one datagram, or one frame cut from a
 * stream): the fixed fields, the frame's exact length, the uncompressed length against the
 * limits. Steps 1 to 10 of the receiver's processing order. [R-V2-ORDER-001]
 * Throws {@linkcode DecodeError}.
 *
 * @example
 * ```ts
 * import { DecodeError, readV2Header } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.throws(
 *   () => readV2Header(new Uint8Array([0xc7, 2])),
 *   (e) => e instanceof DecodeError && e.code === "UNKNOWN_VERSION" && e.offset === 1,
 * );
 * ```
 */
export function readV2Header(frame: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS): V2Header {
  const have = checkFixed(frame, 0);
  if (have < V2_HEADER_BYTES) {
    throw new DecodeError(
      "TRUNCATED",
      frame.length,
      `frame of ${frame.length} bytes ends inside the ${V2_HEADER_BYTES}-byte header`,
    );
  }
  const total = v2FrameLength(frame, 0, limits)!;
  checkFrameExtent(frame, total);
  const flags = frame[3];
  const ciphertextLength = u32(frame, V2_HEADER_OFFSETS.ciphertextLength);
  const uncompressedLength = u32(frame, V2_HEADER_OFFSETS.uncompressedLength);
  const at = V2_HEADER_OFFSETS.uncompressedLength;
  if (uncompressedLength > limits.maxUncompressedBytes) {
    throw new DecodeError(
      "SIZE_LIMIT",
      at,
      `uncompressed length ${uncompressedLength} exceeds the limit ${limits.maxUncompressedBytes}`,
    );
  }
  if ((flags & V2_FLAG_SNAPPY) === 0) {
    if (uncompressedLength !== ciphertextLength) {
      throw new DecodeError(
        "SIZE_MISMATCH",
        at,
        `uncompressed frame: uncompressed length ${uncompressedLength} must equal the ciphertext length ${ciphertextLength}`,
      );
    }
  } else if (uncompressedLength > ciphertextLength * limits.maxCompressionRatio) {
    throw new DecodeError(
      "RATIO_LIMIT",
      at,
      `uncompressed length ${uncompressedLength} from ${ciphertextLength} compressed bytes exceeds ratio ${limits.maxCompressionRatio}`,
    );
  }
  const hi = u32(frame, V2_HEADER_OFFSETS.counter);
  const lo = u32(frame, V2_HEADER_OFFSETS.counter + 4);
  const sealedAt = u32(frame, V2_HEADER_OFFSETS.sealedAt) * 2 ** 32 +
    u32(frame, V2_HEADER_OFFSETS.sealedAt + 4);
  return {
    flags,
    keyId: frame[V2_HEADER_OFFSETS.keyId],
    salt: frame.subarray(V2_HEADER_OFFSETS.salt, V2_HEADER_OFFSETS.salt + V2_SALT_BYTES),
    counter: (BigInt(hi) << 32n) | BigInt(lo),
    ciphertextLength,
    uncompressedLength,
    sealedAt,
  };
}
