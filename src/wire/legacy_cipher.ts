/**
 * The legacy profile's AES-256-CTR with the fixed IV `-- ScaleSmall --`. [R-CRYPT-001..004]
 *
 * Because the IV is fixed and the counter restarts for every frame, every legacy frame under
 * one key is XORed with the same keystream. That is the profile's fatal weakness (see the
 * security section of `spec/wire.md`), and also why we compute the keystream once per key,
 * cache it, and encrypt or decrypt with a plain XOR: one AES call per key instead of one per
 * frame. The cache holds at most {@linkcode LEGACY_KEYSTREAM_CACHE_KEYS} keys and each
 * keystream grows only as far as the longest frame seen (bounded by the frame limit).
 *
 * AES comes from `node:crypto` (present in Deno, Node and Bun).
 *
 * @module
 */

import { createCipheriv } from "node:crypto";
import { KEY_BYTES, LEGACY_IV, LEGACY_KEY_FILLER } from "./constants.ts";

/** How many keys' keystreams are cached at once. */
export const LEGACY_KEYSTREAM_CACHE_KEYS = 16;

/**
 * Normalise a legacy key to 32 bytes: a shorter key is extended with
 * `01234567890123456789012345678901` and cut to 32; a longer one is cut. [R-CRYPT-003]
 *
 * @example
 * ```ts
 * import { legacyKey } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const key = new TextDecoder().decode(legacyKey(new TextEncoder().encode("abc")));
 * assert.equal(key, "abc01234567890123456789012345678");
 * ```
 */
export function legacyKey(key: Uint8Array): Uint8Array {
  if (key.length === KEY_BYTES) return key;
  const out = new Uint8Array(KEY_BYTES);
  if (key.length > KEY_BYTES) {
    out.set(key.subarray(0, KEY_BYTES));
  } else {
    out.set(key);
    out.set(LEGACY_KEY_FILLER.subarray(0, KEY_BYTES - key.length), key.length);
  }
  return out;
}

const cache = new Map<string, Uint8Array>();

// The last key asked for (a private copy) and its keystream: nodes use one key, so most calls
// are answered by a 32-byte compare instead of a string key and a map lookup.
let lastKey: Uint8Array | undefined;
let lastStream: Uint8Array | undefined;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function cacheKey(key: Uint8Array): string {
  let s = "";
  for (let i = 0; i < key.length; i++) s += String.fromCharCode(key[i]);
  return s;
}

/**
 * The AES-256-CTR keystream for a (normalised) legacy key, at least `length` bytes long.
 * Returned buffers are shared; callers must not write to them.
 */
export function legacyKeystream(key: Uint8Array, length: number): Uint8Array {
  if (lastStream && lastStream.length >= length && sameBytes(lastKey!, key)) return lastStream;
  const ks = keystreamFromCache(key, length);
  lastKey = key.slice();
  lastStream = ks;
  return ks;
}

function keystreamFromCache(key: Uint8Array, length: number): Uint8Array {
  const k = legacyKey(key);
  const id = cacheKey(k);
  let ks = cache.get(id);
  if (ks && ks.length >= length) {
    // Refresh LRU position.
    cache.delete(id);
    cache.set(id, ks);
    return ks;
  }
  let size = Math.max(4096, ks?.length ?? 0);
  while (size < length) size *= 2;
  const cipher = createCipheriv("aes-256-ctr", k, LEGACY_IV);
  ks = new Uint8Array(cipher.update(new Uint8Array(size)));
  cipher.final(); // releases the cipher resource (Deno's resource sanitizer checks this)
  cache.delete(id);
  cache.set(id, ks);
  while (cache.size > LEGACY_KEYSTREAM_CACHE_KEYS) {
    cache.delete(cache.keys().next().value!);
  }
  return ks;
}

/**
 * Encrypt or decrypt (the same operation in CTR mode) `data` under a legacy key, into a new
 * buffer.
 *
 * @example
 * ```ts
 * import { legacyCrypt } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const key = new TextEncoder().encode("01234567890123456789012345678912");
 * const ct = legacyCrypt(key, new Uint8Array([1, 2, 3]));
 * assert.notDeepEqual(ct, new Uint8Array([1, 2, 3]));
 * assert.deepEqual(legacyCrypt(key, ct), new Uint8Array([1, 2, 3])); // its own inverse
 * ```
 */
export function legacyCrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  const ks = legacyKeystream(key, data.length);
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ ks[i];
  return out;
}
