/**
 * The one error type every Chatter decoder throws.
 *
 * Decoders are attack surface: whatever a peer sends, a decoder either returns a value or
 * throws a {@linkcode DecodeError}. The `code` is stable (ports and the conformance suite
 * match on it) and `offset` says where in `layer` the problem was found.
 *
 * @module
 */

import { ChatterError } from "../errors.ts";

/**
 * Stable machine-readable decode error codes. Each code is tied to the requirement in
 * `spec/wire.md` that a receiver enforces when it raises it (see {@linkcode DECODE_ERROR_REQUIREMENTS}).
 */
export type DecodeErrorCode =
  | "TRUNCATED"
  | "VARINT_OVERLONG"
  | "VARINT_OVERFLOW"
  | "BAD_START_BYTE"
  | "FRAME_TOO_LARGE"
  | "TRAILING_BYTES"
  | "CHECKSUM_MISMATCH"
  | "SNAPPY_CORRUPT"
  | "SIZE_MISMATCH"
  | "SIZE_LIMIT"
  | "RATIO_LIMIT"
  | "TABLE_LIMIT"
  | "TABLE_NOT_CANONICAL"
  | "TABLE_REF_OUT_OF_RANGE"
  | "LIST_LIMIT"
  | "BAD_NETID"
  | "UNKNOWN_VERSION"
  | "UNKNOWN_KEY_ID"
  | "AUTH_FAILED"
  | "REPLAY"
  | "BEHIND_WINDOW"
  | "RECORD_LIMIT"
  | "BAD_FLAGS"
  | "BAD_HEADER_LENGTH"
  | "BINDING_MISMATCH"
  | "CLOCK_SKEW"
  | "BEFORE_START"
  | "MEMBERSHIP_ITEM_LIMIT"
  | "MEMBERSHIP_BAD_OP"
  | "MEMBERSHIP_BAD_RANGE"
  | "MEMBERSHIP_CLOCK_AHEAD"
  | "MEMBERSHIP_NOT_CANONICAL"
  | "MEMBERSHIP_TRAILING_BYTES";

/** Where in a frame a {@linkcode DecodeError} was found; `offset` counts bytes from the start of this layer. */
export type DecodeErrorLayer = "frame" | "plaintext" | "gossip" | "payload";

/** The requirement tag in `spec/wire.md` (`spec/membership.md` for `MEMBERSHIP_*`) that each {@linkcode DecodeErrorCode} enforces. */
export const DECODE_ERROR_REQUIREMENTS: Readonly<Record<DecodeErrorCode, string>> = {
  TRUNCATED: "R-ERR-002",
  VARINT_OVERLONG: "R-VARINT-003",
  VARINT_OVERFLOW: "R-VARINT-004",
  BAD_START_BYTE: "R-FRAME-002",
  FRAME_TOO_LARGE: "R-LIMIT-001",
  TRAILING_BYTES: "R-TRANSPORT-002",
  CHECKSUM_MISMATCH: "R-ENV-004",
  SNAPPY_CORRUPT: "R-ENV-006",
  SIZE_MISMATCH: "R-ENV-005",
  SIZE_LIMIT: "R-LIMIT-004",
  RATIO_LIMIT: "R-LIMIT-005",
  TABLE_LIMIT: "R-LIMIT-002",
  TABLE_NOT_CANONICAL: "R-TABLE-004",
  TABLE_REF_OUT_OF_RANGE: "R-TABLE-006",
  LIST_LIMIT: "R-LIMIT-003",
  BAD_NETID: "R-NETID-004",
  UNKNOWN_VERSION: "R-V2-FRAME-002",
  UNKNOWN_KEY_ID: "R-V2-KEY-002",
  AUTH_FAILED: "R-V2-AEAD-003",
  REPLAY: "R-V2-REPLAY-001",
  BEHIND_WINDOW: "R-V2-REPLAY-002",
  RECORD_LIMIT: "R-V2-LIMIT-002",
  BAD_FLAGS: "R-V2-FRAME-004",
  BAD_HEADER_LENGTH: "R-V2-FRAME-003",
  BINDING_MISMATCH: "R-V2-BIND-002",
  CLOCK_SKEW: "R-V2-TIME-002",
  BEFORE_START: "R-V2-TIME-003",
  MEMBERSHIP_ITEM_LIMIT: "R-MEM-026",
  MEMBERSHIP_BAD_OP: "R-MEM-022",
  MEMBERSHIP_BAD_RANGE: "R-MEM-023",
  MEMBERSHIP_CLOCK_AHEAD: "R-MEM-024",
  MEMBERSHIP_NOT_CANONICAL: "R-MEM-025",
  MEMBERSHIP_TRAILING_BYTES: "R-MEM-027",
};

/**
 * A frame, or a part of one, could not be decoded.
 *
 * @example
 * ```ts
 * import { DecodeError, decodeVarint } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.throws(
 *   () => decodeVarint(new Uint8Array([0x80]), 0, 5, 0xffffffff),
 *   (e) => e instanceof DecodeError && e.code === "TRUNCATED" && e.offset === 1,
 * );
 * ```
 */
export class DecodeError extends ChatterError {
  /** Stable machine-readable reason. */
  declare readonly code: DecodeErrorCode;
  /** Byte offset within {@linkcode DecodeError.layer} where the problem was detected. */
  readonly offset: number;
  /** Which layer of the frame `offset` refers to. */
  readonly layer: DecodeErrorLayer;
  /** The `spec/wire.md` requirement this error enforces. */
  readonly requirement: string;

  /** Create a decode error; `detail` should name the offending value. */
  constructor(
    code: DecodeErrorCode,
    offset: number,
    detail: string,
    layer: DecodeErrorLayer = "frame",
  ) {
    super(code, `${code} at ${layer} offset ${offset}: ${detail}`);
    this.offset = offset;
    this.layer = layer;
    this.requirement = DECODE_ERROR_REQUIREMENTS[code];
  }
}
