/**
 * The two AES-256-GCM backends (OpenSSL through FFI, node:crypto) agree byte for byte on
 * random inputs, open each other's output and reject tampering without returning plaintext.
 * [R-V2-IMPL-001]
 */
import { deepStrictEqual, equal, ok, strictEqual } from "node:assert/strict";
import fc from "fast-check";
import {
  nativeV2Aead,
  portableV2Aead,
  useV2Aead,
  type V2AeadBackend,
  v2AeadInfo,
} from "../../../src/wire/mod.ts";

const native = nativeV2Aead();
const ignore = native === undefined;
if (ignore) console.log(`SKIP: native AEAD backend not available: ${v2AeadInfo().fallbackReason}`);

/** Payloads of 0..70000 bytes: mostly small, some large (filled from a seed, cheaply). */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.tuple(fc.integer({ min: 0, max: 70000 }), fc.integer()).map(([n, seed]) => {
    const b = new Uint8Array(n);
    let x = seed | 1;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      b[i] = x;
    }
    return b;
  }),
);
const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
const iv = fc.uint8Array({ minLength: 12, maxLength: 12 });
const aad = fc.uint8Array({ maxLength: 64 });

/** A plain Uint8Array copy (node:crypto returns Buffers). */
const u8 = (b: Uint8Array | undefined) => b && new Uint8Array(b);

function seal(b: V2AeadBackend, k: Uint8Array, n: Uint8Array, a: Uint8Array, p: Uint8Array) {
  const out = new Uint8Array(p.length + 16 + 3);
  b.seal(k, n, a, p, out, 3);
  return out.subarray(3);
}

Deno.test({
  name:
    "[R-V2-IMPL-001] AEAD backends: OpenSSL = node:crypto on random keys, ivs, aad, 0..70000 bytes",
  ignore,
  fn() {
    fc.assert(
      fc.property(key, iv, aad, payload, fc.nat(), (k, n, a, p, flip) => {
        const x = seal(native!, k, n, a, p), y = seal(portableV2Aead, k, n, a, p);
        deepStrictEqual(u8(x), u8(y));
        const ct = x.subarray(0, p.length), tag = x.subarray(p.length);
        for (const b of [native!, portableV2Aead]) {
          deepStrictEqual(u8(b.open(k, n, a, ct, tag)), u8(p));
          // Tamper with one bit of the tag, the ciphertext or the associated data.
          const t2 = tag.slice();
          t2[flip % 16] ^= 1 << (flip % 8);
          strictEqual(b.open(k, n, a, ct, t2), undefined);
          if (p.length > 0) {
            const c2 = ct.slice();
            c2[flip % p.length] ^= 1;
            strictEqual(b.open(k, n, a, c2, tag), undefined);
          }
          const a2 = new Uint8Array([...a, 0]);
          strictEqual(b.open(k, n, a2, ct, tag), undefined);
          strictEqual(b.open(k, n, a, ct, tag.subarray(0, 15)), undefined);
        }
      }),
      { numRuns: 150 },
    );
  },
});

Deno.test({
  name:
    "[R-V2-IMPL-001] OpenSSL backend: a key array changed in place, and more keys than contexts",
  ignore,
  fn() {
    const k = new Uint8Array(32).fill(1), n = new Uint8Array(12), p = new Uint8Array([1, 2, 3]);
    const a = new Uint8Array(0);
    const first = seal(native!, k, n, a, p).slice();
    k[31] = 2; // same array object, new key: the cached context must not be reused
    deepStrictEqual(u8(seal(native!, k, n, a, p)), u8(seal(portableV2Aead, k, n, a, p)));
    ok(first.some((b, i) => b !== seal(native!, k, n, a, p)[i]));
    // 200 keys, interleaved, round-robin: contexts are evicted and recreated correctly.
    const keys = Array.from({ length: 200 }, (_, i) => new Uint8Array(32).fill(i));
    for (let round = 0; round < 2; round++) {
      for (const kk of keys) {
        const x = seal(native!, kk, n, a, p);
        deepStrictEqual(u8(x), u8(seal(portableV2Aead, kk, n, a, p)));
        deepStrictEqual(u8(native!.open(kk, n, a, x.subarray(0, 3), x.subarray(3))), p);
      }
    }
  },
});

Deno.test("[R-V2-IMPL-001] AEAD backend choice: CHATTER_AEAD=portable forces node:crypto", () => {
  const before = Deno.env.get("CHATTER_AEAD");
  try {
    Deno.env.set("CHATTER_AEAD", "portable");
    equal(useV2Aead("auto").name, "node:crypto");
    equal(v2AeadInfo().fallbackReason, "CHATTER_AEAD=portable");
    Deno.env.delete("CHATTER_AEAD");
    equal(useV2Aead("auto").name, native ? "openssl" : "node:crypto");
    equal(useV2Aead("portable").name, "node:crypto");
    equal(useV2Aead("native").name, native ? "openssl" : "node:crypto");
  } finally {
    if (before === undefined) Deno.env.delete("CHATTER_AEAD");
    else Deno.env.set("CHATTER_AEAD", before);
    useV2Aead("auto");
  }
});

Deno.test("[R-V2-IMPL-001] without --allow-ffi the portable backend runs (no prompt)", async () => {
  const src = new URL("../../../src/wire/mod.ts", import.meta.url).href;
  const code = `import { v2AeadInfo } from ${
    JSON.stringify(src)
  }; console.log(JSON.stringify(v2AeadInfo()));`;
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, code);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(file);
  equal(out.success, true, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout));
  equal(info.name, "node:crypto");
  equal(info.fallbackReason, "--allow-ffi not granted");
});
