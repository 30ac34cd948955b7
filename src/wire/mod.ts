/**
 * Chatter's wire codec: runtime-neutral (no `Deno.*`), for Deno, Node, Bun. Every rule it
 * implements is stated, with a tag, in `spec/wire.md`.
 *
 * @example
 * ```ts
 * import { decodeLegacyFrame, encodeLegacyFrame } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const key = new TextEncoder().encode("01234567890123456789012345678912");
 * const gossip = { current: { ip: "127.0.0.1", port: 29999, seqno: 1 }, seen: [], other: [], distribution: [] };
 * const frame = encodeLegacyFrame({ key, gossip, typeName: "hello", payload: new TextEncoder().encode("world") });
 * assert.equal(decodeLegacyFrame(frame, key).typeTag, 0xfb0077f9);
 * ```
 *
 * @module
 */

export {
  type DecodeLimits,
  DEFAULT_LIMITS,
  DEFAULT_MEMBERSHIP_LIMITS,
  DEFAULT_V2_LIMITS,
  KEY_BYTES,
  LEGACY_IV,
  LEGACY_KEY_FILLER,
  LEGACY_PADDING_BYTES,
  LEGACY_START_BYTE,
  MAX_SEQNO,
  MAX_UINT32,
  MEMBERSHIP_DIGEST_TYPE_NAME,
  MEMBERSHIP_DIGEST_TYPE_TAG,
  MEMBERSHIP_OP_ADD,
  MEMBERSHIP_OP_RMV,
  MEMBERSHIP_TYPE_NAME,
  MEMBERSHIP_TYPE_TAG,
  type MembershipLimits,
  V2_FLAG_BOUND,
  V2_FLAG_SNAPPY,
  V2_FLAGS_DEFINED,
  V2_HEADER_BYTES,
  V2_HKDF_INFO_PREFIX,
  V2_MAX_CLOCK_SKEW_MS,
  V2_MAX_COUNTER,
  V2_MAX_DATAGRAM_BYTES,
  V2_MAX_LABEL_BYTES,
  V2_NONCE_BYTES,
  V2_REPLAY_WINDOW,
  V2_SALT_BYTES,
  V2_START_BYTE,
  V2_TAG_BYTES,
  V2_VERSION,
  type V2Limits,
  VARINT32_MAX_BYTES,
  VARINT53_MAX_BYTES,
  XXHASH_SEED,
} from "./constants.ts";
export {
  DECODE_ERROR_REQUIREMENTS,
  DecodeError,
  type DecodeErrorCode,
  type DecodeErrorLayer,
} from "./decode_error.ts";
export { InvalidValueError } from "../errors.ts";
export { decodeVarint, encodeVarint, MAX_VARINT_BYTES, varintLength } from "./varint.ts";
export {
  type BroadcastId,
  formatIp,
  formatNetId,
  isIpv4,
  type NetId,
  netId,
  netIdKey,
  parseIp,
  parseNetId,
} from "./netid.ts";
export { NetIdTable, type NetIdTableEntry } from "./netid_table.ts";
export type { Gossip, GossipLimits } from "./gossip.ts";
export type { DecodedFrame, DecodedRecord, OutgoingRecord, Profile } from "./message.ts";
export { typeTag, xxhash32 } from "./xxhash32.ts";
export { snappyCompress, snappyDeclaredLength, snappyDecompress } from "./snappy.ts";
export { legacyCrypt, legacyKey } from "./legacy_cipher.ts";
export {
  decodeLegacyFrame,
  encodeLegacyFrame,
  encodeLegacyFrameLayers,
  LEGACY_NETID_BYTES,
  type LegacyFrame,
  type LegacyFrameInput,
  type LegacyFrameLayers,
  legacyFrameLength,
} from "./legacy_frame.ts";
export { frameLength, type FrameLengthFn } from "./frame_length.ts";
export {
  type BufferAllocator,
  FRAME_READER_BLOCK_BYTES,
  FrameReader,
  type FrameReaderOptions,
} from "./frame_reader.ts";
export {
  readV2Header,
  V2_HEADER_OFFSETS,
  v2FrameCompressed,
  v2FrameLength,
  v2FrameSalt,
  type V2Header,
} from "./v2/header.ts";
export {
  deriveV2SessionKey,
  v2LabelBytes,
  v2Nonce,
  v2Open,
  v2Seal,
  v2SessionInfo,
} from "./v2/aead.ts";
export {
  nativeV2Aead,
  portableV2Aead,
  useV2Aead,
  v2Aead,
  type V2AeadBackend,
  type V2AeadInfo,
  v2AeadInfo,
  type V2AeadName,
} from "./v2/aead_backend.ts";
export { V2Keyring, type V2KeyringEntry } from "./v2/keyring.ts";
export { v2AssociatedData, v2ReceiverBinding } from "./v2/binding.ts";
export { V2SessionKeys } from "./v2/session_keys.ts";
export { buildV2Table, V2_FAMILY_IPV4, V2_FAMILY_IPV6, v2FrameNetIds } from "./v2/body.ts";
export {
  encodeV2Frame,
  encodeV2FrameLayers,
  sealV2Body,
  type V2Compression,
  v2FitsDatagram,
  type V2FrameInput,
  type V2FrameLayers,
  type V2Sealed,
  type V2SealInput,
} from "./v2/encoder.ts";
export { encodeV2Batch, type V2BatchInput, type V2CompressionPolicy } from "./v2/pack.ts";
export { type V2ReplayVerdict, V2ReplayWindow } from "./v2/replay_window.ts";
export {
  decodeV2Frame,
  type V2DecodedFrame,
  V2Decoder,
  type V2DecoderOptions,
  type V2DecoderStats,
} from "./v2/decoder.ts";
export { type V2Nonce, V2Sender, type V2SenderOptions } from "./v2/sender.ts";
export {
  decodeSeqRanges,
  encodeRangeList,
  encodeSeqRanges,
  MAX_SEQ_RANGES,
  SYS_ACK_TAG,
  SYS_ACK_TYPE_NAME,
  SYS_ACKREQ_TAG,
  SYS_ACKREQ_TYPE_NAME,
  SYS_DUP_TAG,
  SYS_DUP_TYPE_NAME,
  SYS_LOST_TAG,
  SYS_LOST_TYPE_NAME,
  SYS_REPAIR_TAG,
  SYS_REPAIR_TYPE_NAME,
} from "./reliable_control.ts";
