/**
 * The control records of reliable delivery (spec/wire.md section "Reliable delivery control
 * records", spec/node.md "Reliable delivery"): ordinary v2 records of reserved type names.
 *
 * - `chatter.sys.rel.ack`: sent by a destination to an origin, by TCP: "I have these messages of
 *   yours" (origin sequence numbers as ranges). [R-NODE-REL-002]
 * - `chatter.sys.rel.ackreq`: sent by an origin to a destination, by TCP: "acknowledge now" (an
 *   empty range list); the answer is an acknowledgement, empty when there is nothing to
 *   acknowledge. [R-NODE-REL-003]
 * - `chatter.sys.rel.lost`: sent by an origin to a destination, by TCP: "I gave up on these
 *   messages of mine to you" (the destination reports them lost). [R-NODE-REL-006]
 *
 * - `chatter.sys.rel.repair`: sent by an origin, first in each repair it sends a destination by
 *   TCP: "the records that follow are repairs of these sequence numbers". [R-NODE-REL-011]
 * - `chatter.sys.rel.dup`: sent by a destination to an origin, by TCP, with an acknowledgement:
 *   "these repairs of yours reached me when I had the messages already". [R-NODE-REL-011]
 *
 * Every payload is one list of sequence-number ranges: `varint(n)` then `n` ranges, each
 * `varint(startDelta) varint(length - 1)`, ascending and disjoint; the first start is absolute,
 * every later one is `start - previousEnd - 2` (ranges never touch). [R-WIRE-REL-001]
 *
 * @module
 */

import { DecodeError } from "./decode_error.ts";
import { MAX_SEQNO } from "./constants.ts";
import { decodeVarint, encodeVarint, varintLength } from "./varint.ts";
import { typeTag } from "./xxhash32.ts";

/** Type name of acknowledgements. */
export const SYS_ACK_TYPE_NAME = "chatter.sys.rel.ack";
/** Type name of loss notices. */
export const SYS_LOST_TYPE_NAME = "chatter.sys.rel.lost";
/** Type name of acknowledgement requests. */
export const SYS_ACKREQ_TYPE_NAME = "chatter.sys.rel.ackreq";
/** Type name of repair markers. */
export const SYS_REPAIR_TYPE_NAME = "chatter.sys.rel.repair";
/** Type name of needless-repair reports. */
export const SYS_DUP_TYPE_NAME = "chatter.sys.rel.dup";
/** Type tag of `chatter.sys.rel.repair`. */
export const SYS_REPAIR_TAG: number = typeTag(SYS_REPAIR_TYPE_NAME);
/** Type tag of `chatter.sys.rel.dup`. */
export const SYS_DUP_TAG: number = typeTag(SYS_DUP_TYPE_NAME);
/** Type tag of `chatter.sys.rel.ack`. */
export const SYS_ACK_TAG: number = typeTag(SYS_ACK_TYPE_NAME);
/** Type tag of `chatter.sys.rel.ackreq`. */
export const SYS_ACKREQ_TAG: number = typeTag(SYS_ACKREQ_TYPE_NAME);
/** Type tag of `chatter.sys.rel.lost`. */
export const SYS_LOST_TAG: number = typeTag(SYS_LOST_TYPE_NAME);

/** Most ranges one control record carries (a receiver rejects more). */
export const MAX_SEQ_RANGES = 4096;

/**
 * Encode ascending, distinct sequence numbers as a range list.
 *
 * @example
 * ```ts
 * import { decodeSeqRanges, encodeSeqRanges } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const bytes = encodeSeqRanges([5, 6, 7, 10]);
 * assert.deepEqual([...bytes], [2, 5, 2, 1, 0]);
 * assert.deepEqual(decodeSeqRanges(bytes), [[5, 7], [10, 10]]);
 * ```
 */
export function encodeSeqRanges(sorted: readonly number[]): Uint8Array {
  const ranges: [number, number][] = [];
  for (const s of sorted) {
    const last = ranges[ranges.length - 1];
    if (last && s === last[1] + 1) last[1] = s;
    else if (!last || s > last[1]) ranges.push([s, s]);
  }
  return encodeRangeList(ranges);
}

/**
 * Encode ranges `[start, end]` (inclusive, ascending, not touching).
 *
 * @example
 * ```ts
 * import { encodeRangeList } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...encodeRangeList([[5, 7], [10, 10]])], [2, 5, 2, 1, 0]);
 * assert.deepEqual([...encodeRangeList([])], [0]);
 * ```
 */
export function encodeRangeList(ranges: readonly (readonly [number, number])[]): Uint8Array {
  // Index loops and varints written in place: no iterator, tuple or view per range (an
  // acknowledgement has tens of ranges, and this runs too rarely to be optimised well).
  let n = varintLength(ranges.length);
  let prev = -2;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i];
    n += varintLength(r[0] - prev - 2) + varintLength(r[1] - r[0]);
    prev = r[1];
  }
  const out = new Uint8Array(n);
  let at = putVarint(ranges.length, out, 0);
  prev = -2;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i];
    at = putVarint(r[0] - prev - 2, out, at);
    at = putVarint(r[1] - r[0], out, at);
    prev = r[1];
  }
  return out;
}

/** {@linkcode encodeVarint} without its result tuple and view: returns the end offset. */
function putVarint(value: number, out: Uint8Array, at: number): number {
  if (value < 0x80 && value >= 0 && Number.isInteger(value)) {
    out[at] = value;
    return at + 1;
  }
  return encodeVarint(value, out, at)[1];
}

/**
 * Decode a range list. Throws {@linkcode DecodeError} (layer `payload`) for truncation, too
 * many ranges, values beyond 2^53 - 1 or trailing bytes.
 *
 * @example
 * ```ts
 * import { decodeSeqRanges, DecodeError } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.deepEqual(decodeSeqRanges(new Uint8Array([1, 9, 0])), [[9, 9]]);
 * assert.throws(() => decodeSeqRanges(new Uint8Array([1, 9])), DecodeError);
 * ```
 */
export function decodeSeqRanges(bytes: Uint8Array): [number, number][] {
  // One-byte varints (most of them: counts and gaps) are read in place; the rest, and every
  // error, go to decodeVarint.
  let at = 0;
  let n: number, b: number;
  if ((b = bytes[0]) < 0x80) {
    n = b;
    at = 1;
  } else [n, at] = decodeVarint(bytes, 0, 8, MAX_SEQ_RANGES, "payload");
  const out: [number, number][] = [];
  let prev = -2;
  for (let i = 0; i < n; i++) {
    let d: number, len: number;
    if ((b = bytes[at]) < 0x80) {
      d = b;
      at++;
    } else [d, at] = decodeVarint(bytes, at, 8, MAX_SEQNO, "payload");
    if ((b = bytes[at]) < 0x80) {
      len = b;
      at++;
    } else [len, at] = decodeVarint(bytes, at, 8, MAX_SEQNO, "payload");
    const a = prev + 2 + d;
    const e = a + len;
    if (e > MAX_SEQNO) {
      throw new DecodeError("VARINT_OVERFLOW", at, `range end ${e} beyond 2^53 - 1`, "payload");
    }
    out.push([a, e]);
    prev = e;
  }
  if (at !== bytes.length) {
    throw new DecodeError("TRAILING_BYTES", at, "bytes after the last range", "payload");
  }
  return out;
}
