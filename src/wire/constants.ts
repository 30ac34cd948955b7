/**
 * Protocol constants and default receiver limits, in one place. `spec/wire.md` states the
 * same numbers; a change here is a change of the spec.
 *
 * @module
 */

/** First byte of every legacy (Elixir Chatter 0.0.15) frame. [R-FRAME-001] */
export const LEGACY_START_BYTE = 0xff;

/** Number of random padding bytes that open a legacy plaintext. [R-ENV-001] */
export const LEGACY_PADDING_BYTES = 32;

/** The fixed AES-256-CTR IV of the legacy profile: the 16 ASCII bytes `-- ScaleSmall --`. [R-CRYPT-002] */
export const LEGACY_IV: Uint8Array = new TextEncoder().encode("-- ScaleSmall --");

/** Bytes that extend a short legacy key before it is cut to 32 bytes. [R-CRYPT-003] */
export const LEGACY_KEY_FILLER: Uint8Array = new TextEncoder().encode(
  "01234567890123456789012345678901",
);

/** AES-256 key length in bytes. */
export const KEY_BYTES = 32;

/** Seed of every xxhash32 the wire format uses. [R-TAG-001] */
export const XXHASH_SEED = 0;

/** Largest sequence number a receiver accepts: 2^53 - 1, so every port can hold it exactly. [R-NETID-006] */
export const MAX_SEQNO: number = Number.MAX_SAFE_INTEGER;

/** Largest 32-bit unsigned value. */
export const MAX_UINT32 = 0xffff_ffff;

/** Maximum encoded length, in bytes, of a varint holding a 32-bit field. [R-VARINT-002] */
export const VARINT32_MAX_BYTES = 5;

/** Maximum encoded length, in bytes, of a varint holding a sequence number (< 2^53). [R-VARINT-002] */
export const VARINT53_MAX_BYTES = 8;

/** Limits a receiver enforces before it allocates or reads. [R-LIMIT-*] */
export interface DecodeLimits {
  /** Largest ciphertext (legacy) or whole frame (v2) in bytes. */
  maxFrameBytes: number;
  /** Largest NetID table. */
  maxTableEntries: number;
  /** Longest seen, other or distribution list, and (v2) most records in a frame. */
  maxListLength: number;
  /** Largest uncompressed gossip (legacy) or body (v2) in bytes. */
  maxUncompressedBytes: number;
  /** Largest ratio of declared uncompressed size to compressed size. */
  maxCompressionRatio: number;
}

/** Default receiver limits. [R-LIMIT-006] */
export const DEFAULT_LIMITS: Readonly<DecodeLimits> = Object.freeze({
  maxFrameBytes: 1_048_576,
  maxTableEntries: 4096,
  maxListLength: 4096,
  maxUncompressedBytes: 1_048_576,
  maxCompressionRatio: 32,
});

/** First byte of every frame of the v2 family (v2 and later versions). [R-V2-FRAME-001] */
export const V2_START_BYTE = 0xc7;

/**
 * The version byte of a v2-profile frame: 3 (version 2 had no sealed time and no receiver
 * binding; its frames are refused with `UNKNOWN_VERSION`). [R-V2-FRAME-002]
 */
export const V2_VERSION = 3;

/** Length in bytes of the v2 frame header (the header-length field must say so). [R-V2-FRAME-003] */
export const V2_HEADER_BYTES = 45;

/** Flag bit: the body is a raw snappy block. [R-V2-FRAME-004] */
export const V2_FLAG_SNAPPY = 0x01;

/**
 * Flag bit: the frame is bound to one receiver (sent by TCP); the associated data ends with
 * the receiver's NetID. [R-V2-BIND-001]
 */
export const V2_FLAG_BOUND = 0x02;

/** Every flag bit version 3 defines; the others must be zero. [R-V2-FRAME-004] */
export const V2_FLAGS_DEFINED = V2_FLAG_SNAPPY | V2_FLAG_BOUND;

/**
 * Default clock-skew tolerance of a receiver, in milliseconds: a frame sealed more than this
 * before or after the receiver's clock is refused (`CLOCK_SKEW`). [R-V2-TIME-002]
 */
export const V2_MAX_CLOCK_SKEW_MS = 60_000;

/** Length in bytes of a v2 session salt. [R-V2-SESSION-001] */
export const V2_SALT_BYTES = 16;

/** Length in bytes of the AES-256-GCM authentication tag. [R-V2-AEAD-001] */
export const V2_TAG_BYTES = 16;

/** Length in bytes of the AES-256-GCM nonce: 4 zero bytes, then the 64-bit counter. [R-V2-AEAD-002] */
export const V2_NONCE_BYTES = 12;

/** Largest frame counter a sender may use (2^64 - 1); it never wraps. [R-V2-SESSION-004] */
export const V2_MAX_COUNTER: bigint = 0xffff_ffff_ffff_ffffn;

/** The HKDF info prefix (ASCII) of a v2 session key. [R-V2-SESSION-002] */
export const V2_HKDF_INFO_PREFIX: Uint8Array = new TextEncoder().encode("chatter v2 session key");

/** Longest cluster label, in UTF-8 bytes. [R-V2-LABEL-001] */
export const V2_MAX_LABEL_BYTES = 255;

/** Width of the sliding replay window, in frames. [R-V2-REPLAY-002] */
export const V2_REPLAY_WINDOW = 1024;

/** Default largest datagram a sender multicasts. [R-V2-LIMIT-003] */
export const V2_MAX_DATAGRAM_BYTES = 1400;

/** Limits a v2 receiver enforces in addition to {@linkcode DecodeLimits}. [R-V2-LIMIT-*] */
export interface V2Limits extends DecodeLimits {
  /** Most records in one frame. */
  maxRecords: number;
  /** Largest frame a sender multicasts as one UDP datagram. */
  maxDatagramBytes: number;
  /** Most sessions whose replay state a receiver tracks at once. */
  maxSessions: number;
  /** Most derived session keys a receiver caches at once. */
  maxSessionKeys: number;
}

/** Default v2 limits. [R-V2-LIMIT-001] */
export const DEFAULT_V2_LIMITS: Readonly<V2Limits> = Object.freeze({
  ...DEFAULT_LIMITS,
  maxRecords: 4096,
  maxDatagramBytes: V2_MAX_DATAGRAM_BYTES,
  maxSessions: 4096,
  maxSessionKeys: 1024,
});

/** Type name of the group-membership payload; its xxhash32 is the type tag. [R-MEM-020] */
export const MEMBERSHIP_TYPE_NAME = "chatter.membership.v1";

/** xxhash32 (seed 0) of {@linkcode MEMBERSHIP_TYPE_NAME}. [R-MEM-020] */
export const MEMBERSHIP_TYPE_TAG = 0x43b9cfc4;

/**
 * Type name of a membership digest (same payload layout, never merged: anti-entropy only);
 * its xxhash32 is the type tag. [R-MEM-052]
 */
export const MEMBERSHIP_DIGEST_TYPE_NAME = "chatter.membership.digest.v1";

/** xxhash32 (seed 0) of {@linkcode MEMBERSHIP_DIGEST_TYPE_NAME}. [R-MEM-052] */
export const MEMBERSHIP_DIGEST_TYPE_TAG = 0xf0117916;

/** Op byte of an `add` item in the membership payload. [R-MEM-022] */
export const MEMBERSHIP_OP_ADD = 0;

/** Op byte of a `rmv` item in the membership payload. [R-MEM-022] */
export const MEMBERSHIP_OP_RMV = 1;

/** Limits a receiver enforces on a membership payload. [R-MEM-026] */
export interface MembershipLimits {
  /** Most items (over all members) in one payload. */
  maxItems: number;
}

/** Default membership payload limits. [R-MEM-026] */
export const DEFAULT_MEMBERSHIP_LIMITS: Readonly<MembershipLimits> = Object.freeze({
  maxItems: 65_536,
});
