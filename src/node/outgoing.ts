/**
 * The first half of the send path: a value handed to `broadcast` is encoded (or at least
 * checked) there and then, so a value its type cannot encode, or one too large for any frame,
 * fails the call itself with an {@linkcode EncodeError} instead of being dropped later.
 * [R-NODE-SEND-001], [R-NODE-SEND-002]
 *
 * @module
 */

import { EncodeError, showValue } from "../errors.ts";
import type { DecodeLimits } from "../wire/constants.ts";
import type { NetId } from "../wire/netid.ts";
import { NetIdTable } from "../wire/netid_table.ts";
import type { MessageType } from "./message_type.ts";

/** A value checked for sending. */
export interface PreparedValue {
  /**
   * The payload bytes, when the type's encoding does not depend on the frame's NetID table
   * (it encodes against an empty table): sent as they are, encoded once.
   */
  bytes?: Uint8Array;
  /** The NetIDs the value refers to (its type's `extractNetIds`). */
  extraNetIds?: NetId[];
}

/** Bytes one NetID costs a frame at most: table entry (family, 16 address bytes, port) + refs. */
const NETID_COST = 24;
/** Fixed cost of a frame beyond its NetIDs and payloads: header, tag, counts, one record head. */
const FRAME_FIXED_COST = 256;

/**
 * The largest payload a frame can carry to `destinations` under `limits`: the frame and its
 * uncompressed body must stay within the receivers' limits (the same limits here), after the
 * gossip header (this node, up to `maxSeenIds` seen and `maxOtherIds` other IDs, the
 * distribution list) and the value's own NetIDs. A conservative bound. [R-NODE-SEND-002]
 *
 * @example
 * ```ts ignore
 * maxPayloadBytes(DEFAULT_LIMITS, { maxSeenIds: 32, maxOtherIds: 4 }, 1, 0); // 1047328
 * ```
 */
export function maxPayloadBytes(
  limits: DecodeLimits,
  o: { maxSeenIds: number; maxOtherIds: number },
  destinations: number,
  extraNetIds: number,
): number {
  const ids = 1 + o.maxSeenIds + o.maxOtherIds + destinations + extraNetIds;
  return Math.min(limits.maxFrameBytes, limits.maxUncompressedBytes) - FRAME_FIXED_COST -
    NETID_COST * ids;
}

/**
 * Encode `value` with `type` now: against an empty NetID table first (a type that writes no
 * NetID references succeeds, and its bytes are kept), else against a table of `self` and the
 * value's own NetIDs (checked now, encoded again per frame). Throws {@linkcode EncodeError}
 * `ENCODE_FAILED` for a value the type cannot encode and `MESSAGE_TOO_LARGE` for a payload
 * over `maxBytes(extraNetIds)`.
 */
export function prepareValue<T>(
  type: MessageType<T>,
  value: T,
  self: NetId,
  maxBytes: (extraNetIds: number) => number,
): PreparedValue {
  const name = type.typeName;
  let extra: NetId[] | undefined;
  let bytes: unknown;
  let tableFree = true;
  try {
    extra = type.extractNetIds?.(value);
    try {
      bytes = type.encode(value, NetIdTable.build([]));
    } catch (e) {
      // Maybe the payload refers to NetIDs: try again with the ones the frame will hold.
      tableFree = false;
      bytes = type.encode(value, NetIdTable.build([self, ...(extra ?? [])]));
      void e;
    }
  } catch (e) {
    throw new EncodeError(
      "ENCODE_FAILED",
      name,
      `cannot encode ${showValue(value)}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  if (!(bytes instanceof Uint8Array)) {
    throw new EncodeError(
      "ENCODE_FAILED",
      name,
      `its encode returned ${showValue(bytes)} for ${showValue(value)}, not a Uint8Array`,
    );
  }
  const max = maxBytes(extra?.length ?? 0);
  if (bytes.length > max) {
    throw new EncodeError(
      "MESSAGE_TOO_LARGE",
      name,
      `payload of ${bytes.length} bytes does not fit a frame (at most ${max} bytes here)`,
    );
  }
  return tableFree ? { bytes, extraNetIds: extra } : { extraNetIds: extra };
}
