/**
 * Tell a frame's total length from its first bytes, whatever its profile: the first byte
 * says which profile it is (0xff legacy, 0xc7 v2). [R-FRAME-002], [R-TRANSPORT-003],
 * [R-V2-FRAME-001]
 *
 * @module
 */

import {
  type DecodeLimits,
  DEFAULT_LIMITS,
  LEGACY_START_BYTE,
  V2_START_BYTE,
} from "./constants.ts";
import { DecodeError } from "./decode_error.ts";
import { legacyFrameLength } from "./legacy_frame.ts";
import { v2FrameLength } from "./v2/header.ts";

/**
 * A function that reads a frame header at `offset` and returns the frame's total length in
 * bytes, `undefined` when more bytes are needed, or throws {@linkcode DecodeError}.
 */
export type FrameLengthFn = (
  buf: Uint8Array,
  offset: number,
  limits: DecodeLimits,
) => number | undefined;

/**
 * The total length of the frame at `offset` of any known profile (see
 * {@linkcode FrameLengthFn}).
 *
 * @example
 * ```ts
 * import { frameLength } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(frameLength(new Uint8Array([0xff, 0x03, 1, 2, 3]), 0), 5); // a legacy frame
 * assert.equal(frameLength(new Uint8Array([0xc7]), 0), undefined); // a v2 frame, header incomplete
 * ```
 */
export function frameLength(
  buf: Uint8Array,
  offset: number,
  limits: DecodeLimits = DEFAULT_LIMITS,
): number | undefined {
  if (offset >= buf.length) return undefined;
  const b = buf[offset];
  if (b === LEGACY_START_BYTE) return legacyFrameLength(buf, offset, limits);
  if (b === V2_START_BYTE) return v2FrameLength(buf, offset, limits); // [R-V2-TRANSPORT-002]
  throw new DecodeError(
    "BAD_START_BYTE",
    offset,
    `start byte 0x${b.toString(16)} belongs to no known profile`,
  );
}
