/**
 * The AES-256-GCM backend seam of the v2 profile. Two implementations: `"openssl"` (the
 * system's OpenSSL 3 through Deno's FFI, see `aead_openssl.ts`) and `"node:crypto"` (portable:
 * Node, Bun, Deno without `--allow-ffi`). The backend is chosen once, when this module loads:
 * OpenSSL when `--allow-ffi` is granted and a versioned libcrypto 3 loads, unless the
 * environment variable `CHATTER_AEAD=portable` (or {@linkcode useV2Aead}) forces the portable
 * one. Both produce the same bytes. [R-V2-IMPL-001]
 *
 * @module
 */

import { createCipheriv, createDecipheriv } from "node:crypto";
import { V2_TAG_BYTES } from "../constants.ts";
import { loadOpenSslAead } from "./aead_openssl.ts";

/** Names of the AES-256-GCM backends. */
export type V2AeadName = "openssl" | "node:crypto";

/** One AES-256-GCM implementation. */
export interface V2AeadBackend {
  /** Which backend this is. */
  readonly name: V2AeadName;
  /** Human-readable detail (library version). */
  readonly detail: string;
  /**
   * Seal `plaintext` under the 32-byte `key` and 12-byte `nonce`, authenticating `aad`; write
   * the ciphertext and then the 16-byte tag into `out` at `offset`.
   */
  seal(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
    out: Uint8Array,
    offset: number,
  ): void;
  /** Open: the plaintext (a new array), or `undefined` when the tag does not verify. */
  open(
    key: Uint8Array,
    nonce: Uint8Array,
    aad: Uint8Array,
    ciphertext: Uint8Array,
    tag: Uint8Array,
  ): Uint8Array | undefined;
}

/**
 * The portable backend: `node:crypto`, one cipher object per frame, always finished with
 * `final()` so the runtime releases it.
 *
 * @example
 * ```ts
 * import { portableV2Aead } from "@chatter/chatter/wire";
 * const out = new Uint8Array(3 + 16);
 * portableV2Aead.seal(new Uint8Array(32), new Uint8Array(12), new Uint8Array(0), new Uint8Array([1, 2, 3]), out, 0);
 * portableV2Aead.open(new Uint8Array(32), new Uint8Array(12), new Uint8Array(0), out.subarray(0, 3), out.subarray(3)); // Uint8Array [1, 2, 3]
 * ```
 */
export const portableV2Aead: V2AeadBackend = {
  name: "node:crypto",
  detail: "node:crypto",
  seal(key, nonce, aad, plaintext, out, offset) {
    const c = createCipheriv("aes-256-gcm", key, nonce);
    c.setAAD(aad);
    const ct = c.update(plaintext);
    const rest = c.final();
    out.set(ct, offset);
    if (rest.length) out.set(rest, offset + ct.length);
    out.set(c.getAuthTag(), offset + plaintext.length);
  },
  open(key, nonce, aad, ciphertext, tag) {
    if (tag.length !== V2_TAG_BYTES) return undefined;
    const d = createDecipheriv("aes-256-gcm", key, nonce);
    d.setAAD(aad);
    d.setAuthTag(tag);
    const pt = d.update(ciphertext);
    try {
      const rest = d.final();
      if (rest.length === 0) return pt;
      const all = new Uint8Array(pt.length + rest.length);
      all.set(pt);
      all.set(rest, pt.length);
      return all;
    } catch {
      pt.fill(0);
      return undefined;
    }
  },
};

/** The backend in use and why it was chosen. */
export interface V2AeadInfo {
  /** The backend's name. */
  name: V2AeadName;
  /** Its detail (library version). */
  detail: string;
  /** Why the native backend is not used, when it is not. */
  fallbackReason?: string;
}

let current: V2AeadBackend | undefined;
let fallbackReason: string | undefined;
let native: { backend?: V2AeadBackend; reason?: string } | undefined;

function envChoice(): string | undefined {
  const g = globalThis as {
    Deno?: typeof Deno;
    process?: { env?: Record<string, string | undefined> };
  };
  try {
    if (typeof g.Deno === "object") {
      const st = g.Deno.permissions.querySync({ name: "env", variable: "CHATTER_AEAD" }).state;
      return st === "granted" ? g.Deno.env.get("CHATTER_AEAD") : undefined;
    }
    return g.process?.env?.CHATTER_AEAD;
  } catch {
    return undefined;
  }
}

/**
 * The native OpenSSL backend, loaded once; `undefined` (see {@linkcode v2AeadInfo}) when FFI
 * is not granted or no libcrypto 3 is found.
 *
 * @example
 * ```ts
 * import { nativeV2Aead } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const b = nativeV2Aead();
 * assert.equal(b === undefined || b.name === "openssl", true);
 * ```
 */
export function nativeV2Aead(): V2AeadBackend | undefined {
  if (native === undefined) {
    const r = loadOpenSslAead();
    native = "backend" in r ? { backend: r.backend } : { reason: r.reason };
  }
  return native.backend;
}

/**
 * Choose the backend: `"native"` (OpenSSL, falling back to portable when it cannot load),
 * `"portable"` (`node:crypto`), or `"auto"` (native unless `CHATTER_AEAD=portable` is set).
 * Returns the backend now in use.
 *
 * @example
 * ```ts
 * import { useV2Aead } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(useV2Aead("portable").name, "node:crypto");
 * useV2Aead("auto");
 * ```
 */
export function useV2Aead(choice: "auto" | "native" | "portable"): V2AeadBackend {
  if (choice === "auto") {
    const env = envChoice();
    if (env === "portable") {
      current = portableV2Aead;
      fallbackReason = "CHATTER_AEAD=portable";
      return current;
    }
    choice = "native";
  }
  if (choice === "portable") {
    current = portableV2Aead;
    fallbackReason = "portable backend chosen";
    return current;
  }
  if (choice !== "native") throw new RangeError(`unknown AEAD backend choice ${choice}`);
  const n = nativeV2Aead();
  current = n ?? portableV2Aead;
  fallbackReason = n ? undefined : native?.reason;
  return current;
}

// Choose at load time: loading the library later, inside some caller's test, would count as
// a resource that test opened (Deno's resource sanitizer).
useV2Aead("auto");

/**
 * The backend v2 frames are sealed and opened with (chosen at first use, see
 * {@linkcode useV2Aead}).
 *
 * @example
 * ```ts
 * import { v2Aead } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(["openssl", "node:crypto"].includes(v2Aead().name), true);
 * ```
 */
export function v2Aead(): V2AeadBackend {
  return current ?? useV2Aead("auto");
}

/**
 * Which backend runs and, when it is the portable one, why.
 *
 * @example
 * ```ts
 * import { v2AeadInfo } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const info = v2AeadInfo();
 * assert.equal(info.name === "openssl" || typeof info.fallbackReason === "string", true);
 * ```
 */
export function v2AeadInfo(): V2AeadInfo {
  const b = v2Aead();
  return fallbackReason === undefined || b.name === "openssl"
    ? { name: b.name, detail: b.detail }
    : { name: b.name, detail: b.detail, fallbackReason };
}
