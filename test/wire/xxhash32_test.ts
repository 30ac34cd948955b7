// [R-TAG-001] [R-ENV-002] Our xxhash32 against the known answers and npm:xxhash-wasm.
import assert from "node:assert/strict";
import fc from "fast-check";
import xxhashWasm from "xxhash-wasm";
import { typeTag, xxhash32 } from "../../src/wire/mod.ts";

const wasm = await xxhashWasm();
const utf8 = (s: string) => new TextEncoder().encode(s);

Deno.test("[R-TAG-001] xxhash32 known answers (seed 0)", () => {
  assert.equal(xxhash32(utf8("")), 0x02cc5d05);
  assert.equal(xxhash32(utf8("a")), 0x550d7456);
  assert.equal(xxhash32(utf8("abc")), 0x32d153ff);
  assert.equal(xxhash32(utf8("hello")), 0xfb0077f9);
  assert.equal(typeTag("hello"), 0xfb0077f9);
});

Deno.test("xxhash32 equals npm:xxhash-wasm for random data and seeds (lengths 0..300)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 0xffffffff }), (data, seed) => {
      assert.equal(xxhash32(data, seed), wasm.h32Raw(data, seed) >>> 0);
    }),
    { numRuns: 500 },
  );
});

Deno.test("xxhash32 equals npm:xxhash-wasm on long inputs and every alignment", () => {
  const big = new Uint8Array(200_000).map((_, i) => (i * 2654435761) >>> 24);
  for (const off of [0, 1, 2, 3]) {
    const d = big.subarray(off);
    assert.equal(xxhash32(d), wasm.h32Raw(d, 0) >>> 0);
  }
});

Deno.test("[R-TAG-001] typeTag hashes the UTF-8 bytes of the name", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme" }), (s) => {
      assert.equal(typeTag(s), wasm.h32Raw(utf8(s), 0) >>> 0);
    }),
  );
});
