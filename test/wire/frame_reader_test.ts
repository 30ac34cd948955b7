// [R-TRANSPORT-003] [R-TRANSPORT-004] The streaming reader yields the same frames for every
// chunking of a concatenation (1-byte chunks included) and rejects a bad or over-limit header
// as soon as it has arrived.
import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodeError, DEFAULT_LIMITS, frameLength, FrameReader } from "../../src/wire/mod.ts";
import { cat, vi } from "../../vectors/craft.ts";
import { unhex } from "../../vectors/json.ts";
import type { LegacyVector } from "../../vectors/legacy_cases.ts";

const frames = (JSON.parse(
  await Deno.readTextFile(new URL("../../vectors/legacy.json", import.meta.url)),
) as { cases: LegacyVector[] }).cases.filter((v) => v.result === "valid").map((v) =>
  unhex(v.frame)
);

function readAll(chunks: Uint8Array[]): Uint8Array[] {
  const r = new FrameReader();
  const out = chunks.flatMap((c) => r.push(c));
  assert.equal(r.buffered, 0);
  return out;
}

function chunk(b: Uint8Array, cuts: number[]): Uint8Array[] {
  const pts = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...pts, b.length]) {
    out.push(b.slice(prev, p));
    prev = p;
  }
  return out;
}

Deno.test("FrameReader: every vector frame, back to back, in 1-byte chunks", () => {
  const all = cat(...frames);
  const chunks = Array.from(all, (b) => new Uint8Array([b]));
  assert.deepEqual(readAll(chunks), frames);
});

Deno.test("FrameReader: all frames in one chunk", () => {
  assert.deepEqual(readAll([cat(...frames)]), frames);
});

Deno.test("property: FrameReader yields the same frames for every chunking", () => {
  fc.assert(
    fc.property(
      fc.array(fc.nat(frames.length - 1), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 40 }),
      (picks, cuts) => {
        const chosen = picks.map((i) => frames[i]);
        const all = cat(...chosen);
        assert.deepEqual(readAll(chunk(all, cuts)), chosen);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("FrameReader: a partial frame waits; the rest completes it", () => {
  const f = frames[0];
  const r = new FrameReader();
  assert.deepEqual(r.push(f.subarray(0, 1)), []);
  assert.deepEqual(r.push(f.subarray(1, f.length - 1)), []);
  assert.equal(r.buffered, f.length - 1);
  assert.deepEqual(r.push(f.subarray(f.length - 1)), [f]);
});

Deno.test("[R-LIMIT-001] [R-TRANSPORT-004] an over-limit frame is rejected as soon as its length is known", () => {
  const r = new FrameReader();
  const header = cat(0xff, vi(DEFAULT_LIMITS.maxFrameBytes + 1));
  // Everything but the last header byte: still waiting.
  assert.deepEqual(r.push(header.subarray(0, header.length - 1)), []);
  assert.throws(
    () => r.push(header.subarray(header.length - 1)),
    (e) => e instanceof DecodeError && e.code === "FRAME_TOO_LARGE",
  );
  // The stream stays failed.
  assert.throws(() => r.push(new Uint8Array([0xff])), DecodeError);
  // A frame exactly at a configured limit is accepted.
  const small = new FrameReader({ limits: { ...DEFAULT_LIMITS, maxFrameBytes: 3 } });
  assert.deepEqual(small.push(new Uint8Array([0xff, 3, 1, 2, 3])), [
    new Uint8Array([0xff, 3, 1, 2, 3]),
  ]);
  assert.throws(
    () => small.push(new Uint8Array([0xff, 4])),
    (e) => e instanceof DecodeError && e.code === "FRAME_TOO_LARGE",
  );
});

Deno.test("[R-FRAME-002] [R-VARINT-003] bad start byte and overlong length fail at once, with the stream offset", () => {
  const r = new FrameReader();
  assert.throws(
    () => r.push(cat(frames[0], 0x00)),
    (e) => e instanceof DecodeError && e.code === "BAD_START_BYTE" && e.offset === frames[0].length,
  );
  assert.throws(
    () => new FrameReader().push(unhex("ff8000")),
    (e) => e instanceof DecodeError && e.code === "VARINT_OVERLONG",
  );
  assert.throws(
    () => new FrameReader().push(unhex("ff8080808080")),
    (e) => e instanceof DecodeError && e.code === "VARINT_OVERLONG",
  );
});

Deno.test("[R-ERR-001] property: FrameReader on random bytes returns frames or throws DecodeError only", () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 10 }), (chunks) => {
      const r = new FrameReader();
      try {
        for (const c of chunks) {
          for (const f of r.push(c)) assert.equal(frameLength(f, 0), f.length);
        }
      } catch (e) {
        assert.ok(e instanceof DecodeError, String(e));
      }
      assert.ok(r.buffered <= DEFAULT_LIMITS.maxFrameBytes + 6);
    }),
    { numRuns: 1000 },
  );
});
