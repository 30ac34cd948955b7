/**
 * The v2 crypto: HKDF-SHA256 session keys and AES-256-GCM sealing with a counter nonce.
 * [R-V2-SESSION-002], [R-V2-AEAD-001..003], [R-V2-LABEL-001]
 *
 * HKDF comes from `node:crypto` (present in Deno, Node and Bun); AES-256-GCM from the backend
 * chosen in `aead_backend.ts` (OpenSSL through FFI when allowed, else `node:crypto`).
 *
 * @module
 */

import { InvalidValueError } from "../../errors.ts";
import { hkdfSync } from "node:crypto";
import { v2Aead } from "./aead_backend.ts";
import {
  KEY_BYTES,
  V2_HKDF_INFO_PREFIX,
  V2_MAX_LABEL_BYTES,
  V2_NONCE_BYTES,
  V2_SALT_BYTES,
} from "../constants.ts";

const utf8 = new TextEncoder();

/**
 * The UTF-8 bytes of a cluster label. Throws an `InvalidValueError` naming the label when it is
 * longer than 255 bytes. [R-V2-LABEL-001]
 *
 * @example
 * ```ts
 * import { v2LabelBytes } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(v2LabelBytes("prod").length, 4);
 * ```
 */
export function v2LabelBytes(label: string): Uint8Array {
  if (typeof label !== "string") {
    throw new InvalidValueError(`label must be a string, got ${label}`);
  }
  const b = utf8.encode(label);
  if (b.length > V2_MAX_LABEL_BYTES) {
    throw new InvalidValueError(
      `label ${
        JSON.stringify(label.slice(0, 40))
      }... is ${b.length} UTF-8 bytes, at most ${V2_MAX_LABEL_BYTES}`,
    );
  }
  return b;
}

/**
 * The HKDF info of a session key: the ASCII prefix `chatter v2 session key`, a zero byte, the
 * key id, the label's length and the label's UTF-8 bytes. [R-V2-SESSION-002]
 *
 * @example
 * ```ts
 * import { v2SessionInfo } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(v2SessionInfo(1, "prod").length, 22 + 1 + 1 + 1 + 4);
 * ```
 */
export function v2SessionInfo(keyId: number, label: string): Uint8Array {
  const l = v2LabelBytes(label);
  const info = new Uint8Array(V2_HKDF_INFO_PREFIX.length + 3 + l.length);
  info.set(V2_HKDF_INFO_PREFIX);
  let o = V2_HKDF_INFO_PREFIX.length;
  info[o++] = 0;
  info[o++] = keyId;
  info[o++] = l.length;
  info.set(l, o);
  return info;
}

/**
 * Derive a session key: HKDF-SHA256 with the 32-byte keyring key as input keying material,
 * the 16-byte session salt as salt, {@linkcode v2SessionInfo} as info, 32 bytes of output.
 * [R-V2-SESSION-002]
 *
 * @example
 * ```ts
 * import { deriveV2SessionKey } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(deriveV2SessionKey(new Uint8Array(32), 0, new Uint8Array(16), "").length, 32);
 * ```
 */
export function deriveV2SessionKey(
  key: Uint8Array,
  keyId: number,
  salt: Uint8Array,
  label: string,
): Uint8Array {
  if (key.length !== KEY_BYTES) {
    throw new InvalidValueError(`key must be ${KEY_BYTES} bytes, got ${key.length}`);
  }
  if (salt.length !== V2_SALT_BYTES) {
    throw new InvalidValueError(`salt must be ${V2_SALT_BYTES} bytes, got ${salt.length}`);
  }
  return new Uint8Array(hkdfSync("sha256", key, salt, v2SessionInfo(keyId, label), KEY_BYTES));
}

const counterBytes = new Uint8Array(8);
const counterView = new DataView(counterBytes.buffer);

/**
 * The 12-byte GCM nonce of a frame: four zero bytes, then the counter as u64be.
 * [R-V2-AEAD-002]
 *
 * @example
 * ```ts
 * import { v2Nonce } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.deepEqual(v2Nonce(258n), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]));
 * ```
 */
export function v2Nonce(
  counter: bigint,
  out: Uint8Array = new Uint8Array(V2_NONCE_BYTES),
): Uint8Array {
  if (out.length < V2_NONCE_BYTES) throw new RangeError(`nonce buffer of ${out.length} bytes`);
  out[0] =
    out[1] =
    out[2] =
    out[3] =
      0;
  // One call instead of four BigInt operations (the per-frame path).
  counterView.setBigUint64(0, counter);
  for (let i = 0; i < 8; i++) out[4 + i] = counterBytes[i];
  return out;
}

/**
 * Seal `plaintext` with AES-256-GCM under `sessionKey`, authenticating `aad`; writes the
 * ciphertext and then the 16-byte tag into `out` at `offset`. [R-V2-AEAD-001]
 *
 * @example
 * ```ts
 * import { v2Nonce, v2Open, v2Seal } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const key = new Uint8Array(32), nonce = v2Nonce(0n), ad = new Uint8Array(0);
 * const out = new Uint8Array(3 + 16);
 * v2Seal(key, nonce, ad, new Uint8Array([1, 2, 3]), out, 0);
 * const opened = v2Open(key, nonce, ad, out.subarray(0, 3), out.subarray(3));
 * assert.deepEqual([...opened!], [1, 2, 3]);
 * ```
 */
export function v2Seal(
  sessionKey: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  v2Aead().seal(sessionKey, nonce, aad, plaintext, out, offset);
}

/**
 * Open an AES-256-GCM ciphertext: returns the plaintext, or `undefined` when the tag does not
 * verify (a wrong key, label, header byte, ciphertext byte or tag byte). No plaintext is
 * returned unless the tag verifies. [R-V2-AEAD-003]
 *
 * @example
 * ```ts
 * import { v2Nonce, v2Open } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(v2Open(new Uint8Array(32), v2Nonce(0n), new Uint8Array(0), new Uint8Array(0), new Uint8Array(16)), undefined);
 * ```
 */
export function v2Open(
  sessionKey: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
): Uint8Array | undefined {
  return v2Aead().open(sessionKey, nonce, aad, ciphertext, tag);
}
