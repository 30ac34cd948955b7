/**
 * The retransmit buffer's byte slab (src/node/byte_slab.ts) against a plain model (each piece
 * its own copy): pieces put and released in any order read back exactly what was put until
 * released, whatever was put, released and recycled meanwhile; refused pieces are exactly those
 * over a quarter chunk or past the bound; the chunks held never exceed the bound and go back to
 * at most the current one plus two spare once everything is released. (R-NODE-REL-004: a
 * repair re-sends the message's own bytes.)
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ByteSlab } from "../../src/node/byte_slab.ts";

type Op = { k: "put"; n: number; fill: number } | { k: "release"; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant("put" as const),
      n: fc.oneof(fc.nat(80), fc.nat(300)),
      fill: fc.nat(255),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("release" as const), pick: fc.nat() }) },
);

Deno.test("[R-NODE-REL-004] ByteSlab: every piece reads back what was put until it is released; bounded; chunks recycled", () => {
  fc.assert(
    fc.property(
      fc.array(op, { minLength: 300, maxLength: 2000, size: "max" }),
      fc.integer({ min: 2, max: 12 }),
      (ops, maxChunks) => {
        const chunk = 1024;
        const slab = new ByteSlab(chunk, maxChunks * chunk);
        const live: { c: number; off: number; bytes: Uint8Array }[] = [];
        let serial = 0;
        for (const o of ops) {
          if (o.k === "put") {
            // Distinct contents per piece, so an overwrite by a later piece is seen.
            const bytes = new Uint8Array(o.n);
            for (let i = 0; i < o.n; i++) bytes[i] = (o.fill + serial * 7 + i) & 255;
            serial++;
            const c = slab.put(bytes);
            if (o.n > chunk / 4) assert.equal(c, -1);
            if (c < 0) {
              // Refused only when too large or when no chunk may be added.
              assert.ok(o.n > chunk / 4 || slab.allocatedBytes + chunk > maxChunks * chunk);
              continue;
            }
            live.push({ c, off: slab.offset, bytes });
          } else if (live.length > 0) {
            const [p] = live.splice(o.pick % live.length, 1);
            slab.release(p.c);
          }
          assert.ok(slab.allocatedBytes <= maxChunks * chunk);
          for (const p of live) assert.deepEqual(slab.get(p.c, p.off, p.bytes.length), p.bytes);
        }
        for (const p of live.splice(0)) slab.release(p.c);
        assert.ok(slab.allocatedBytes <= 3 * chunk, `${slab.allocatedBytes} held when empty`);
        return true;
      },
    ),
    { numRuns: 80 },
  );
});

Deno.test("[R-NODE-REL-004] ByteSlab: a piece read back is a copy (later writes to the slab do not change it)", () => {
  const slab = new ByteSlab(64, 64);
  const c = slab.put(new Uint8Array([9, 9, 9]));
  const got = slab.get(c, slab.offset, 3);
  slab.release(c);
  // The chunk is reused for the next pieces.
  for (let i = 0; i < 100; i++) {
    const d = slab.put(new Uint8Array([i, i]));
    if (d >= 0) slab.release(d);
  }
  assert.deepEqual([...got], [9, 9, 9]);
});
