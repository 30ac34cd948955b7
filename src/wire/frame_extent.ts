/**
 * Checks shared by the legacy and v2 decoders: a whole frame's extent against its header, and a
 * NetID table's entry count against the limit and the bytes left. Kept in one place so both
 * profiles raise the same code at the same offset for the same fault.
 *
 * @module
 */

import { MAX_UINT32, VARINT32_MAX_BYTES } from "./constants.ts";
import { DecodeError } from "./decode_error.ts";
import { decodeVarint } from "./varint.ts";

/**
 * Check that `frame` is exactly the `total` bytes its header announces: fewer is `TRUNCATED`,
 * more is `TRAILING_BYTES` at offset `total`. [R-TRANSPORT-002]
 */
export function checkFrameExtent(frame: Uint8Array, total: number): void {
  if (frame.length < total) {
    throw new DecodeError(
      "TRUNCATED",
      frame.length,
      `frame of ${frame.length} bytes, header announces ${total}`,
    );
  }
  if (frame.length > total) {
    throw new DecodeError(
      "TRAILING_BYTES",
      total,
      `${frame.length - total} bytes after the ${total}-byte frame`,
    );
  }
}

/**
 * Read the NetID table's entry count at the start of `buf` (layer "gossip"): over
 * `maxEntries` is `TABLE_LIMIT` [R-LIMIT-002]; more entries than the bytes left can hold at
 * `minEntryBytes` each is `TRUNCATED`, before anything is allocated. Returns the count and the
 * offset of the first entry.
 */
export function readTableCount(
  buf: Uint8Array,
  maxEntries: number,
  minEntryBytes: number,
): [number, number] {
  const [n, start] = decodeVarint(buf, 0, VARINT32_MAX_BYTES, MAX_UINT32, "gossip");
  if (n > maxEntries) {
    throw new DecodeError(
      "TABLE_LIMIT",
      0,
      `NetID table of ${n} entries, limit ${maxEntries}`,
      "gossip",
    );
  }
  if (n * minEntryBytes > buf.length - start) {
    throw new DecodeError(
      "TRUNCATED",
      buf.length,
      `NetID table of ${n} entries needs at least ${n * minEntryBytes} bytes, ${
        buf.length - start
      } left`,
      "gossip",
    );
  }
  return [n, start];
}
