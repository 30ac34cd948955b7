// [R-ENV-003] [R-ENV-006] [R-ENV-007] Our snappy raw-block codec against npm:snappyjs: each
// decompresses the other's output, for random inputs up to 200 KiB, highly repetitive ones
// included; the decompressor rejects corrupt blocks with SNAPPY_CORRUPT only.
import assert from "node:assert/strict";
import fc from "fast-check";
import snappyjs from "snappyjs";
import { DecodeError, snappyCompress, snappyDecompress } from "../../src/wire/mod.ts";
import { unhex } from "../../vectors/json.ts";

const MAX = 1 << 20;

/** Inputs: random bytes, runs of a few symbols, repeated phrases, long zero runs. */
const input = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }),
  fc.uint8Array({ maxLength: 200 * 1024, minLength: 60_000 }),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 200 * 1024 }))
    .map(([phrase, n]) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = phrase[i % phrase.length];
      return out;
    }),
  fc.tuple(fc.integer({ min: 0, max: 200 * 1024 }), fc.nat(255)).map(([n, b]) =>
    new Uint8Array(n).fill(b)
  ),
  fc.array(fc.tuple(fc.nat(3), fc.integer({ min: 1, max: 3000 })), { maxLength: 80 }).map(
    (runs) => {
      const parts = runs.map(([s, n]) => new Uint8Array(n).fill(97 + s));
      const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
      let o = 0;
      for (const p of parts) out.set(p, (o += p.length) - p.length);
      return out;
    },
  ),
);

Deno.test("snappy: ours → snappyjs and snappyjs → ours round-trip (random, up to 200 KiB)", () => {
  fc.assert(
    fc.property(input, (data) => {
      const ours = snappyCompress(data);
      assert.deepEqual(new Uint8Array(snappyjs.uncompress(ours)), data);
      const theirs = new Uint8Array(snappyjs.compress(data));
      assert.deepEqual(snappyDecompress(theirs, MAX), data);
      assert.deepEqual(snappyDecompress(ours, MAX), data);
    }),
    { numRuns: 60 },
  );
});

Deno.test("snappy: known block of the worked example", () => {
  const block = unhex("2418037f000001752f050600310506443200010000020102f9ef81d80f776f726c64");
  const gossip = unhex("037f000001752f7f00000175317f000001753200010000020102f9ef81d80f776f726c64");
  assert.deepEqual(snappyCompress(gossip), block);
  assert.deepEqual(snappyDecompress(block, 100), gossip);
});

const corrupt: [string, string][] = [
  ["80", "preamble truncated"],
  ["0400", "preamble 0 but an element follows (overflows)"],
  ["05", "no elements but 5 declared"],
  ["040c6162", "literal of 4 with 2 bytes"],
  ["080061050000", "copy-1 with offset 0"],
  ["0800610502", "copy-1 with offset 2 after 1 byte"],
  ["0800610e", "copy-2 with no offset bytes"],
  ["0800610f0100", "copy-4 with 2 of 4 offset bytes"],
  ["0400f403", "literal length bytes truncated"],
  ["0208616263", "literal overflows declared length"],
  ["a40008616263", "non-minimal preamble"],
];

Deno.test("[R-ENV-007] corrupt blocks are SNAPPY_CORRUPT", () => {
  for (const [h, what] of corrupt) {
    assert.throws(
      () => snappyDecompress(unhex(h), MAX),
      (e) => e instanceof DecodeError && e.code === "SNAPPY_CORRUPT",
      what,
    );
  }
});

Deno.test("[R-LIMIT-004] a block declaring more than maxLength is SIZE_LIMIT before allocating", () => {
  assert.throws(
    () => snappyDecompress(unhex("ffffffff0f00"), MAX),
    (e) => e instanceof DecodeError && e.code === "SIZE_LIMIT",
  );
});

Deno.test("[R-ERR-001] property: arbitrary and mutated blocks decompress or throw DecodeError only", () => {
  const valid = snappyCompress(
    new TextEncoder().encode("abcabcabcabc hello hello hello abc".repeat(20)),
  );
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 })
          .map(
            (muts) => {
              const b = valid.slice();
              for (const [i, v] of muts) b[i] = v;
              return b;
            },
          ),
      ),
      (b) => {
        try {
          snappyDecompress(b, 1 << 16);
        } catch (e) {
          assert.ok(e instanceof DecodeError, String(e));
        }
      },
    ),
    { numRuns: 2000 },
  );
});
