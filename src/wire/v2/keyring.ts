/**
 * The v2 keyring: shared 32-byte keys by one-byte key id, one of them primary. A sender seals
 * with the primary key and writes its id in the header; a receiver opens with the key the
 * header names, or rejects the frame at once (`UNKNOWN_KEY_ID`, no trial decryption).
 * Rotation: add the new key everywhere, then make it primary everywhere, then remove the old
 * one. [R-V2-KEY-001..004]
 *
 * @module
 */

import { InvalidValueError } from "../../errors.ts";
import { KEY_BYTES } from "../constants.ts";

/** One key of a keyring. */
export interface V2KeyringEntry {
  /** Key id, 0 to 255, written in the frame header. */
  id: number;
  /** The shared key: exactly 32 bytes (no extension or cutting as in legacy). */
  key: Uint8Array;
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 255) {
    throw new InvalidValueError(`key id must be an integer in [0, 255], got ${id}`);
  }
}

/**
 * Keys by id, and which one seals outgoing frames.
 *
 * @example
 * ```ts
 * import { V2Keyring } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const ring = new V2Keyring([{ id: 1, key: new Uint8Array(32) }, { id: 2, key: new Uint8Array(32).fill(1) }], 2);
 * assert.equal(ring.primaryId, 2);
 * ring.has(1); // true (still accepted)
 * ```
 */
export class V2Keyring {
  readonly #keys = new Map<number, Uint8Array>();
  #primary: number;

  /**
   * Create a keyring from its entries; `primaryId` defaults to the first entry's id. Throws an
   * `InvalidValueError` naming a bad id, a key that is not 32 bytes, a repeated id or a missing
   * primary.
   */
  constructor(entries: Iterable<V2KeyringEntry>, primaryId?: number) {
    for (const e of entries) {
      if (this.#keys.has(e.id)) throw new InvalidValueError(`key id ${e.id} appears twice`);
      this.add(e.id, e.key);
    }
    const first = this.#keys.keys().next();
    if (first.done) throw new InvalidValueError("a keyring needs at least one key");
    this.#primary = primaryId ?? first.value;
    if (!this.#keys.has(this.#primary)) {
      throw new InvalidValueError(`primary key id ${this.#primary} is not in the keyring`);
    }
  }

  /** A keyring of one key, primary, under `id` (default 0). */
  static single(key: Uint8Array, id = 0): V2Keyring {
    return new V2Keyring([{ id, key }], id);
  }

  /** The id of the key that seals outgoing frames. */
  get primaryId(): number {
    return this.#primary;
  }

  /** Make `id` the primary key. Throws an `InvalidValueError` when the keyring lacks it. */
  setPrimary(id: number): void {
    checkId(id);
    if (!this.#keys.has(id)) throw new InvalidValueError(`key id ${id} is not in the keyring`);
    this.#primary = id;
  }

  /** The key under `id`, or `undefined`. */
  get(id: number): Uint8Array | undefined {
    return this.#keys.get(id);
  }

  /** Whether the keyring holds `id`. */
  has(id: number): boolean {
    return this.#keys.has(id);
  }

  /** Add or replace the key under `id` (a copy is kept). */
  add(id: number, key: Uint8Array): void {
    checkId(id);
    if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
      throw new InvalidValueError(`key ${id} must be ${KEY_BYTES} bytes, got ${key?.length}`);
    }
    this.#keys.set(id, key.slice());
  }

  /** Remove the key under `id`. Throws an `InvalidValueError` for the primary key. */
  remove(id: number): void {
    if (id === this.#primary) {
      throw new InvalidValueError(`key id ${id} is primary; set another first`);
    }
    this.#keys.delete(id);
  }

  /** The ids held, ascending. */
  ids(): number[] {
    return [...this.#keys.keys()].sort((a, b) => a - b);
  }
}
