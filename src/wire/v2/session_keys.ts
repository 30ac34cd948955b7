/**
 * A bounded cache of derived v2 session keys by (key id, salt, label), so that HKDF runs once
 * per session rather than once per frame. [R-V2-SESSION-005]
 *
 * An entry remembers the keyring key it was derived from; when the keyring's key under that id
 * is replaced the entry no longer matches and the key is derived again.
 *
 * @module
 */

import { InvalidValueError } from "../../errors.ts";
import { deriveV2SessionKey } from "./aead.ts";

interface Entry {
  base: Uint8Array;
  session: Uint8Array;
}

/** The string that names a (key id, salt, label) triple in the cache. */
function cacheId(keyId: number, salt: Uint8Array, label: string): string {
  let s = String.fromCharCode(keyId);
  for (let i = 0; i < salt.length; i++) s += String.fromCharCode(salt[i]);
  return s + label;
}

function sameSalt(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Least-recently-used cache of session keys, at most `capacity` entries.
 *
 * @example
 * ```ts
 * import { V2SessionKeys } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const cache = new V2SessionKeys(16);
 * const k = cache.get(new Uint8Array(32), 0, new Uint8Array(16), "prod", true);
 * assert.equal(cache.size, 1);
 * ```
 */
export class V2SessionKeys {
  readonly #map = new Map<string, Entry>();
  readonly #capacity: number;
  /** The most recently used entry, found again without building its cache id. */
  #last: { keyId: number; label: string; salt: Uint8Array; entry: Entry } | undefined;

  /** Create a cache holding at most `capacity` (at least 1) keys. */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new InvalidValueError(
        `session key cache capacity must be a positive integer, got ${capacity}`,
      );
    }
    this.#capacity = capacity;
  }

  /** Number of cached keys. */
  get size(): number {
    return this.#map.size;
  }

  /**
   * The session key for `base` (the keyring key under `keyId`), `salt` and `label`: cached, or
   * derived and, when `remember` is true, cached. A receiver passes `remember` false until the
   * frame has authenticated, so forged frames cannot churn the cache.
   */
  get(
    base: Uint8Array,
    keyId: number,
    salt: Uint8Array,
    label: string,
    remember: boolean,
  ): Uint8Array {
    const l = this.#last;
    if (
      l !== undefined && l.entry.base === base && l.keyId === keyId && l.label === label &&
      sameSalt(l.salt, salt)
    ) {
      return l.entry.session; // already the most recently used: no reordering needed
    }
    const id = cacheId(keyId, salt, label);
    const hit = this.#map.get(id);
    if (hit && hit.base === base) {
      this.#map.delete(id);
      this.#map.set(id, hit);
      this.#last = { keyId, label, salt: salt.slice(), entry: hit };
      return hit.session;
    }
    const session = deriveV2SessionKey(base, keyId, salt, label);
    if (remember) this.remember(base, keyId, salt, label, session);
    return session;
  }

  /** Cache a derived session key (evicting the least recently used one when full). */
  remember(
    base: Uint8Array,
    keyId: number,
    salt: Uint8Array,
    label: string,
    session: Uint8Array,
  ): void {
    const id = cacheId(keyId, salt, label);
    const entry = { base, session };
    this.#map.delete(id);
    this.#map.set(id, entry);
    this.#last = { keyId, label, salt: salt.slice(), entry };
    while (this.#map.size > this.#capacity) this.#map.delete(this.#map.keys().next().value!);
  }

  /** Whether a key for this triple is cached. */
  has(keyId: number, salt: Uint8Array, label: string): boolean {
    return this.#map.has(cacheId(keyId, salt, label));
  }
}
