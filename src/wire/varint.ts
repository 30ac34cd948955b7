/**
 * Unsigned LEB128 varints: the low 7-bit group first, the high bit of each byte set when
 * another byte follows. [R-VARINT-001]
 *
 * @module
 */

import { InvalidValueError } from "../errors.ts";
import { DecodeError, type DecodeErrorLayer } from "./decode_error.ts";
import { MAX_SEQNO, VARINT53_MAX_BYTES } from "./constants.ts";

/** Bytes the largest value this module encodes (2^53 - 1) needs. */
export const MAX_VARINT_BYTES: number = VARINT53_MAX_BYTES;

/**
 * Encode `value` (an integer from 0 to 2^53 - 1) into `buf` at `offset`.
 * Returns the bytes written as a view of `buf` and the offset just past them.
 *
 * @example
 * ```ts
 * import { encodeVarint } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const [bytes, end] = encodeVarint(300);
 * assert.deepEqual(bytes.subarray(0, end), new Uint8Array([0xac, 0x02]));
 * assert.equal(end, 2);
 * ```
 */
export function encodeVarint(
  value: number,
  buf: Uint8Array = new Uint8Array(MAX_VARINT_BYTES),
  offset = 0,
): [Uint8Array, number] {
  if (!Number.isInteger(value) || value < 0 || value > MAX_SEQNO) {
    throw new InvalidValueError(`varint value must be an integer in [0, 2^53-1], got ${value}`);
  }
  const start = offset;
  while (value >= 0x80) {
    if (offset >= buf.length) throw new RangeError("varint does not fit in the buffer");
    buf[offset++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  if (offset >= buf.length) throw new RangeError("varint does not fit in the buffer");
  buf[offset++] = value;
  return [buf.subarray(start, offset), offset];
}

/**
 * Number of bytes `value` takes as a varint.
 *
 * @example
 * ```ts
 * import { encodeVarint, varintLength } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(varintLength(127), 1);
 * assert.equal(varintLength(300), encodeVarint(300)[1]); // 2
 * ```
 */
export function varintLength(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    n++;
  }
  return n;
}

/**
 * Decode a varint from `buf` at `offset`, enforcing the field's limits:
 * at most `maxBytes` bytes [R-VARINT-002], minimal encoding [R-VARINT-003] and a value of at
 * most `maxValue` [R-VARINT-004]. Returns the value and the offset just past it.
 * Throws {@linkcode DecodeError} (`TRUNCATED`, `VARINT_OVERLONG`, `VARINT_OVERFLOW`).
 *
 * @example
 * ```ts
 * import { decodeVarint } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const [value, next] = decodeVarint(new Uint8Array([0xac, 0x02]), 0, 5, 0xffffffff);
 * assert.equal(value, 300);
 * assert.equal(next, 2);
 * ```
 */
export function decodeVarint(
  buf: Uint8Array,
  offset: number,
  maxBytes: number,
  maxValue: number,
  layer: DecodeErrorLayer = "frame",
): [number, number] {
  const start = offset;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < maxBytes; i++) {
    if (offset >= buf.length) {
      throw new DecodeError(
        "TRUNCATED",
        offset,
        `input ends inside a varint started at ${start}`,
        layer,
      );
    }
    const b = buf[offset++];
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (b === 0 && i > 0) {
        throw new DecodeError("VARINT_OVERLONG", start, "varint is not minimally encoded", layer);
      }
      if (value > maxValue) {
        throw new DecodeError(
          "VARINT_OVERFLOW",
          start,
          `varint value ${value} exceeds the field maximum ${maxValue}`,
          layer,
        );
      }
      return [value, offset];
    }
    scale *= 0x80;
  }
  throw new DecodeError(
    "VARINT_OVERLONG",
    start,
    `varint longer than the field maximum of ${maxBytes} bytes`,
    layer,
  );
}
