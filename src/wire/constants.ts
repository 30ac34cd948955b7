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

/** Type name of the group-membership payload; its xxhash32 is the type tag. [R-MEM-020] */
export const MEMBERSHIP_TYPE_NAME = "chatter.membership.v1";

/** xxhash32 (seed 0) of {@linkcode MEMBERSHIP_TYPE_NAME}. [R-MEM-020] */
export const MEMBERSHIP_TYPE_TAG = 0x43b9cfc4;

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
