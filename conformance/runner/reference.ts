/**
 * The runner's own view of frames, using the reference codec: used only to grade an encoder
 * whose bytes differ from the vector's. `spec/wire.md` lets encoders choose their own snappy
 * block, so a frame that differs only there (same padding, checksum, size and uncompressed
 * gossip) grades PASS-NONSTRICT rather than FAIL.
 *
 * @module
 */

import { decryptLegacyFrame, openLegacyPlaintext } from "../../src/wire/legacy_frame.ts";
import { decodeV2Frame } from "../../src/wire/v2/decoder.ts";
import { decodedToJson, receiverFromJson } from "../../vectors/v2_json.ts";
import { diff } from "./compare.ts";
import { hex as hexOf, unhex } from "./hex.ts";
import type { Vector } from "./vectors.ts";

/**
 * Why a v2 frame that differs from the vector is still an acceptable encoding: the reference
 * decoder, as the vector's receiver, decodes it to the vector's content (gossip, records,
 * table, key id, salt, counter). Only the compression choice may differ: a different snappy
 * block, or sending uncompressed where another compressor did not shrink the body.
 */
export function alternativeV2Encoding(v: Vector, actualHex: string): string | undefined {
  const receiver = v.inputs?.receiver;
  const decoded = v.decoded as Record<string, unknown> | undefined;
  if (v.profile !== "v2" || !receiver || !decoded) return undefined;
  try {
    const r = receiverFromJson(receiver);
    const got = decodedToJson(decodeV2Frame(unhex(actualHex), r, r.netId));
    const d = diff({ ...decoded, compressed: undefined }, got);
    return d.length ? undefined : "frame differs from the vector only in its compression " +
      `(compressed: ${got.compressed}, vector: ${decoded.compressed}); the reference decoder ` +
      "reads the same gossip, records, table, key id, salt and counter";
  } catch {
    return undefined;
  }
}

/**
 * Why `actual` is an acceptable alternative encoding of `expected` (returns the reason), or
 * `undefined` when it is not (or the runner cannot tell for this profile).
 */
export function alternativeEncoding(
  profile: string,
  keyHex: string | undefined,
  expectedHex: string,
  actualHex: string,
): string | undefined {
  if (profile !== "legacy" || keyHex === undefined) return undefined;
  try {
    const key = unhex(keyHex);
    const pe = decryptLegacyFrame(unhex(expectedHex), key);
    const pa = decryptLegacyFrame(unhex(actualHex), key);
    const oe = openLegacyPlaintext(pe);
    const oa = openLegacyPlaintext(pa);
    const head = (p: Uint8Array) => hexOf(p.subarray(0, 36));
    if (head(pe) !== head(pa)) return undefined;
    if (oe.size !== oa.size || hexOf(oe.gossip) !== hexOf(oa.gossip)) return undefined;
    return "frame differs from the vector only in the snappy block; padding, checksum, size " +
      "and uncompressed gossip are identical (encoders may choose their own block)";
  } catch {
    return undefined;
  }
}
