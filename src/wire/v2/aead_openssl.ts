/**
 * The native AES-256-GCM backend: the system's OpenSSL 3 (`libcrypto.so.3` on Linux) through
 * Deno's FFI, one reused `EVP_CIPHER_CTX` per session key (the key schedule runs once; per
 * frame only the IV is set). Loaded only when `--allow-ffi` is granted (checked with
 * `Deno.permissions.querySync`, which never prompts) and a versioned libcrypto 3 opens; never
 * the unversioned macOS system `libcrypto.dylib`, which aborts the process. [R-V2-IMPL-001]
 *
 * Every FFI call passes buffers whose lengths are checked here first, and `i32` lengths
 * (`usize`/`u64` parameters cost about 86 ns each in Deno's FFI).
 *
 * @module
 */

import { KEY_BYTES, V2_NONCE_BYTES, V2_TAG_BYTES } from "../constants.ts";
import type { V2AeadBackend } from "./aead_backend.ts";

/** Library names tried in order: versioned OpenSSL 3 only. */
const CANDIDATES: Record<string, readonly string[]> = {
  linux: ["libcrypto.so.3"],
  darwin: [
    "/opt/homebrew/opt/openssl@3/lib/libcrypto.3.dylib",
    "/usr/local/opt/openssl@3/lib/libcrypto.3.dylib",
  ],
  windows: ["libcrypto-3-x64.dll"],
  freebsd: ["libcrypto.so.3", "/usr/local/lib/libcrypto.so.3"],
};

const SYMBOLS = {
  OpenSSL_version_num: { parameters: [], result: "u32" },
  EVP_aes_256_gcm: { parameters: [], result: "pointer" },
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  EVP_CIPHER_CTX_free: { parameters: ["pointer"], result: "void" },
  // (ctx, cipher, key, iv, enc: 1 encrypt / 0 decrypt / -1 unchanged, params)
  EVP_CipherInit_ex2: {
    parameters: ["pointer", "pointer", "buffer", "buffer", "i32", "pointer"],
    result: "i32",
  },
  // (ctx, out, &outl, in, inl); out NULL feeds associated data
  EVP_CipherUpdate: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  EVP_CipherFinal_ex: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  EVP_CIPHER_CTX_ctrl: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

const EVP_CTRL_GCM_GET_TAG = 0x10;
const EVP_CTRL_GCM_SET_TAG = 0x11;
/** Contexts kept per direction (one per recent session key). */
const MAX_CONTEXTS = 64;

interface Ctx {
  ptr: Deno.PointerObject;
  /** A copy of the key the context was keyed with (the caller's array could change). */
  key: Uint8Array;
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < KEY_BYTES; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Why the native backend is not available, or the backend. */
export type OpenSslLoad = { backend: V2AeadBackend } | { reason: string };

function denoNs(): typeof Deno | undefined {
  const d = (globalThis as { Deno?: typeof Deno }).Deno;
  return typeof d === "object" && typeof d.dlopen === "function" ? d : undefined;
}

/**
 * Try to load the OpenSSL backend. Never prompts and never throws: returns the backend, or
 * the reason it is not available (not Deno, no `--allow-ffi`, no libcrypto 3).
 */
export function loadOpenSslAead(): OpenSslLoad {
  const D = denoNs();
  if (D === undefined) return { reason: "not running on Deno" };
  try {
    if (D.permissions.querySync({ name: "ffi" }).state !== "granted") {
      return { reason: "--allow-ffi not granted" };
    }
  } catch {
    return { reason: "cannot query the ffi permission" };
  }
  const names = CANDIDATES[D.build.os] ?? [];
  let lib: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;
  const errors: string[] = [];
  for (const name of names) {
    try {
      lib = D.dlopen(name, SYMBOLS);
      break;
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
    }
  }
  if (lib === undefined) {
    return { reason: names.length ? `no libcrypto 3 (${errors.join("; ")})` : "no libcrypto 3" };
  }
  const s = lib.symbols;
  const version = s.OpenSSL_version_num();
  if (version < 0x3000_0000) {
    lib.close();
    return { reason: `libcrypto is version 0x${version.toString(16)}, need 3` };
  }
  const cipher = s.EVP_aes_256_gcm();
  if (cipher === null) {
    lib.close();
    return { reason: "EVP_aes_256_gcm returned NULL" };
  }
  const backend = openSslBackend(s, cipher, version);
  // Self-test against a known answer before use (AES-256-GCM, zero key/IV, empty input:
  // tag 530f8afbc74536b9a963b4f1c4cb738b, NIST test case 13).
  const tag = new Uint8Array(V2_TAG_BYTES);
  backend.seal(
    new Uint8Array(32),
    new Uint8Array(12),
    new Uint8Array(0),
    new Uint8Array(0),
    tag,
    0,
  );
  const want = [
    0x53,
    0x0f,
    0x8a,
    0xfb,
    0xc7,
    0x45,
    0x36,
    0xb9,
    0xa9,
    0x63,
    0xb4,
    0xf1,
    0xc4,
    0xcb,
    0x73,
    0x8b,
  ];
  if (!want.every((b, i) => tag[i] === b)) {
    lib.close();
    return { reason: "libcrypto self-test failed" };
  }
  return { backend };
}

function openSslBackend(s: Lib, cipher: Deno.PointerObject, version: number): V2AeadBackend {
  const enc = new Map<Uint8Array, Ctx>();
  const dec = new Map<Uint8Array, Ctx>();
  const outl = new Int32Array(1);
  const scratch = new Uint8Array(32);

  /** The context keyed with `key` for direction `encrypt` (1) or decrypt (0). */
  function context(cache: Map<Uint8Array, Ctx>, key: Uint8Array, encrypt: number): Ctx {
    if (key.length !== KEY_BYTES) {
      throw new RangeError(`session key must be ${KEY_BYTES} bytes, got ${key.length}`);
    }
    let c = cache.get(key);
    if (c !== undefined && sameKey(c.key, key)) return c;
    if (c === undefined) {
      if (cache.size >= MAX_CONTEXTS) {
        const [oldKey, old] = cache.entries().next().value!;
        cache.delete(oldKey);
        s.EVP_CIPHER_CTX_free(old.ptr);
      }
      const ptr = s.EVP_CIPHER_CTX_new();
      if (ptr === null) throw new Error("EVP_CIPHER_CTX_new failed");
      c = { ptr, key: new Uint8Array(KEY_BYTES) };
      if (s.EVP_CipherInit_ex2(ptr, cipher, null, null, encrypt, null) !== 1) {
        s.EVP_CIPHER_CTX_free(ptr);
        throw new Error("EVP_CipherInit_ex2 (cipher) failed");
      }
    }
    c.key.set(key);
    if (s.EVP_CipherInit_ex2(c.ptr, null, c.key, null, encrypt, null) !== 1) {
      cache.delete(key);
      s.EVP_CIPHER_CTX_free(c.ptr);
      throw new Error("EVP_CipherInit_ex2 (key) failed");
    }
    cache.set(key, c);
    return c;
  }

  function checkNonce(nonce: Uint8Array): void {
    if (nonce.length !== V2_NONCE_BYTES) {
      throw new RangeError(`nonce must be ${V2_NONCE_BYTES} bytes, got ${nonce.length}`);
    }
  }

  return {
    name: "openssl",
    detail: `OpenSSL 0x${version.toString(16)} via FFI`,
    seal(key, nonce, aad, plaintext, out, offset) {
      checkNonce(nonce);
      const n = plaintext.length;
      if (!Number.isInteger(offset) || offset < 0 || out.length - offset < n + V2_TAG_BYTES) {
        throw new RangeError(
          `output of ${out.length} bytes has no room for ${n} + ${V2_TAG_BYTES} bytes at ${offset}`,
        );
      }
      const ctx = context(enc, key, 1).ptr;
      if (s.EVP_CipherInit_ex2(ctx, null, null, nonce, 1, null) !== 1) {
        throw new Error("EVP_CipherInit_ex2 (iv) failed");
      }
      if (aad.length > 0 && s.EVP_CipherUpdate(ctx, null, outl, aad, aad.length) !== 1) {
        throw new Error("EVP_CipherUpdate (aad) failed");
      }
      const ct = out.subarray(offset, offset + n + V2_TAG_BYTES);
      if (n > 0 && (s.EVP_CipherUpdate(ctx, ct, outl, plaintext, n) !== 1 || outl[0] !== n)) {
        throw new Error("EVP_CipherUpdate failed");
      }
      if (s.EVP_CipherFinal_ex(ctx, scratch, outl) !== 1 || outl[0] !== 0) {
        throw new Error("EVP_CipherFinal_ex failed");
      }
      if (
        s.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, V2_TAG_BYTES, ct.subarray(n)) !== 1
      ) {
        throw new Error("EVP_CTRL_GCM_GET_TAG failed");
      }
    },
    open(key, nonce, aad, ciphertext, tag) {
      if (tag.length !== V2_TAG_BYTES) return undefined;
      checkNonce(nonce);
      const n = ciphertext.length;
      const ctx = context(dec, key, 0).ptr;
      if (s.EVP_CipherInit_ex2(ctx, null, null, nonce, 0, null) !== 1) {
        throw new Error("EVP_CipherInit_ex2 (iv) failed");
      }
      if (aad.length > 0 && s.EVP_CipherUpdate(ctx, null, outl, aad, aad.length) !== 1) {
        throw new Error("EVP_CipherUpdate (aad) failed");
      }
      const pt = new Uint8Array(n);
      if (n > 0 && (s.EVP_CipherUpdate(ctx, pt, outl, ciphertext, n) !== 1 || outl[0] !== n)) {
        throw new Error("EVP_CipherUpdate failed");
      }
      // The tag is copied (OpenSSL reads 16 bytes from it).
      scratch.set(tag);
      if (s.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, V2_TAG_BYTES, scratch) !== 1) {
        throw new Error("EVP_CTRL_GCM_SET_TAG failed");
      }
      if (s.EVP_CipherFinal_ex(ctx, scratch, outl) !== 1) {
        // Authentication failed: wipe what was decrypted, return nothing. [R-V2-AEAD-003]
        pt.fill(0);
        return undefined;
      }
      return pt;
    },
  };
}
