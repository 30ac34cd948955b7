// Properties of the legacy frame codec:
// - [R-GOSSIP-001..005] [R-TABLE-001..006] [R-TAG-001..002] decode(encode(x)) = x for random
//   gossips, payloads, type tags, keys and extra NetIDs;
// - [R-ERR-001] random bytes, and random mutations (bit flips, truncations, insertions,
//   splices) of every valid vector, at the frame, plaintext and gossip layers, decode or throw
//   DecodeError, nothing else;
// - [R-LIMIT-002] [R-LIMIT-003] limits at and one over the boundary.
import { InvalidValueError } from "../../src/errors.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DecodeError,
  decodeLegacyFrame,
  decodeVarint,
  DEFAULT_LIMITS,
  encodeLegacyFrame,
  encodeLegacyFrameLayers,
  legacyCrypt,
  type NetId,
  NetIdTable,
  snappyCompress,
  xxhash32,
} from "../../src/wire/mod.ts";
import { unhex } from "../../vectors/json.ts";
import { cat, vi } from "../../vectors/craft.ts";
import type { LegacyVector } from "../../vectors/legacy_cases.ts";

const vectors = (JSON.parse(
  await Deno.readTextFile(new URL("../../vectors/legacy.json", import.meta.url)),
) as { cases: LegacyVector[] }).cases;
const validVectors = vectors.filter((v) => v.result === "valid");

// A small address space so that repeats and shared NetIDs are common.
const netId: fc.Arbitrary<NetId> = fc.record({
  ip: fc.oneof(
    fc.constantFrom("10.0.0.1", "10.0.0.2", "127.0.0.1"),
    fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join(".")),
  ),
  port: fc.oneof(fc.constantFrom(0, 1, 29999, 65535), fc.nat(65535)),
}, { noNullPrototype: true });
const seqno = fc.oneof(fc.nat(300), fc.maxSafeNat());
const broadcastId = fc.tuple(netId, seqno).map(([n, s]) => ({ ...n, seqno: s }));
const gossip = fc.record({
  current: broadcastId,
  seen: fc.array(broadcastId, { maxLength: 8 }),
  other: fc.array(netId, { maxLength: 8 }),
  distribution: fc.array(netId, { maxLength: 8 }),
}, { noNullPrototype: true });
const frameInput = fc.record({
  key: fc.uint8Array({ maxLength: 40 }),
  padding: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  gossip,
  typeTag: fc.nat({ max: 0xffffffff }),
  payload: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 3000 })),
  extraNetIds: fc.array(netId, { maxLength: 5 }),
});

Deno.test("property: decode(encode(x)) = x for random gossips, payloads, tags, keys, extra NetIDs", () => {
  fc.assert(
    fc.property(frameInput, (x) => {
      const frame = encodeLegacyFrame(x);
      const d = decodeLegacyFrame(frame, x.key);
      assert.deepEqual(d.gossip, x.gossip);
      assert.equal(d.typeTag, x.typeTag);
      assert.deepEqual(d.payload, x.payload);
      // [R-TABLE-001] [R-TABLE-003]: the table is exactly the sorted, de-duplicated NetIDs.
      const expected = NetIdTable.build([
        x.gossip.current,
        ...x.gossip.seen,
        ...x.gossip.other,
        ...x.gossip.distribution,
        ...x.extraNetIds,
      ]).ids();
      assert.deepEqual(d.table, expected);
    }),
    { numRuns: 300 },
  );
});

Deno.test("property: a payload encoder sees the frame's table and its references resolve", () => {
  fc.assert(
    fc.property(gossip, fc.array(netId, { minLength: 1, maxLength: 5 }), (g, extra) => {
      const key = new Uint8Array(32);
      const frame = encodeLegacyFrame({
        key,
        gossip: g,
        typeName: "refs",
        extraNetIds: extra,
        payload: (t) => cat(...extra.map((id) => vi(t.indexOf(id)))),
      });
      const d = decodeLegacyFrame(frame, key);
      let o = 0;
      for (const id of extra) {
        const ref = d.payload[o++]; // tables here have < 128 entries: 1-byte refs
        assert.deepEqual(d.table[ref], id);
      }
    }),
    { numRuns: 100 },
  );
});

function expectDecodeErrorOnly(frame: Uint8Array, key: Uint8Array): void {
  try {
    decodeLegacyFrame(frame, key);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw new Error(`non-DecodeError thrown: ${e}`);
  }
}

/** Bit flips, truncations, insertions and splices of `b`. */
function mutation(len: number): fc.Arbitrary<(b: Uint8Array) => Uint8Array> {
  const pos = fc.nat(Math.max(0, len));
  return fc.oneof(
    fc.tuple(pos, fc.nat(7)).map(([i, bit]) => (b: Uint8Array) => {
      const c = b.slice();
      if (c.length) c[i % c.length] ^= 1 << bit;
      return c;
    }),
    pos.map((i) => (b: Uint8Array) => b.slice(0, i)),
    fc.tuple(pos, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(
      ([i, ins]) => (b: Uint8Array) => cat(b.subarray(0, i), ins, b.subarray(i)),
    ),
    fc.tuple(pos, pos, pos).map(([a, z, at]) => (b: Uint8Array) => {
      const [s, e] = a < z ? [a, z] : [z, a];
      const part = b.slice(s, e);
      return cat(b.subarray(0, at), part, b.subarray(at));
    }),
    fc.tuple(pos, pos).map(([a, z]) => (b: Uint8Array) =>
      cat(b.subarray(0, Math.min(a, z)), b.subarray(Math.max(a, z)))
    ),
  );
}

Deno.test("[R-ERR-001] property: random bytes decode or throw DecodeError only", () => {
  const key = new TextEncoder().encode("01234567890123456789012345678912");
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 200 }).map((b) => cat(0xff, vi(b.length), b)),
        // Random plaintexts behind a good header reach the envelope and snappy checks.
        fc.uint8Array({ maxLength: 200 }).map((p) => cat(0xff, vi(p.length), legacyCrypt(key, p))),
      ),
      (b) => expectDecodeErrorOnly(b, key),
    ),
    { numRuns: 3000 },
  );
});

for (const v of validVectors) {
  Deno.test(`[R-ERR-001] property: mutations of vector ${v.id} decode or throw DecodeError only`, () => {
    const key = unhex(v.inputs.key);
    const frame = unhex(v.frame);
    const plaintext = unhex(v.layers.plaintext);
    const g = unhex(v.layers.gossip);
    // Gossip-layer mutations get a fresh checksum and snappy block, so they reach the gossip
    // parser instead of stopping at CHECKSUM_MISMATCH.
    const fromGossip = (m: Uint8Array) => {
      const c = xxhash32(m);
      const p = cat(
        plaintext.subarray(0, 32),
        [c >>> 24, (c >>> 16) & 255, (c >>> 8) & 255, c & 255],
        vi(m.length),
        snappyCompress(m),
      );
      return cat(0xff, vi(p.length), legacyCrypt(key, p));
    };
    const fromPlaintext = (p: Uint8Array) => cat(0xff, vi(p.length), legacyCrypt(key, p));
    const runs = validVectors.length > 20 ? 60 : 200;
    fc.assert(
      fc.property(
        fc.array(mutation(frame.length), { minLength: 1, maxLength: 3 }),
        (ms) => expectDecodeErrorOnly(ms.reduce((b, m) => m(b), frame), key),
      ),
      { numRuns: runs },
    );
    fc.assert(
      fc.property(
        fc.array(mutation(plaintext.length), { minLength: 1, maxLength: 3 }),
        (ms) => expectDecodeErrorOnly(fromPlaintext(ms.reduce((b, m) => m(b), plaintext)), key),
      ),
      { numRuns: runs },
    );
    fc.assert(
      fc.property(
        fc.array(mutation(g.length), { minLength: 1, maxLength: 3 }),
        (ms) => expectDecodeErrorOnly(fromGossip(ms.reduce((b, m) => m(b), g)), key),
      ),
      { numRuns: runs },
    );
  });
}

const code = (f: () => unknown) => {
  try {
    f();
    return "ok";
  } catch (e) {
    if (e instanceof DecodeError) return e.code;
    throw e;
  }
};

Deno.test("[R-LIMIT-003] [R-LIMIT-006] a list of exactly maxListLength is accepted, one more is LIST_LIMIT", () => {
  const key = new Uint8Array(32);
  const mk = (n: number) =>
    encodeLegacyFrame({
      key,
      gossip: {
        current: { ip: "10.0.0.1", port: 1, seqno: 1 },
        seen: [],
        other: [],
        distribution: Array.from({ length: n }, () => ({ ip: "10.0.0.2", port: 1 })),
      },
      typeTag: 1,
      payload: new Uint8Array(0),
    });
  assert.equal(code(() => decodeLegacyFrame(mk(DEFAULT_LIMITS.maxListLength), key)), "ok");
  assert.equal(
    code(() => decodeLegacyFrame(mk(DEFAULT_LIMITS.maxListLength + 1), key)),
    "LIST_LIMIT",
  );
  // Configured limits apply.
  const limits = { ...DEFAULT_LIMITS, maxListLength: 3 };
  assert.equal(code(() => decodeLegacyFrame(mk(3), key, limits)), "ok");
  assert.equal(code(() => decodeLegacyFrame(mk(4), key, limits)), "LIST_LIMIT");
});

Deno.test("[R-LIMIT-002] a table of exactly maxTableEntries is accepted, one more is TABLE_LIMIT", () => {
  const key = new Uint8Array(32);
  const mk = (n: number) =>
    encodeLegacyFrame({
      key,
      gossip: {
        current: { ip: "10.0.0.1", port: 1, seqno: 1 },
        seen: [],
        other: [],
        distribution: [],
      },
      typeTag: 1,
      payload: new Uint8Array(0),
      extraNetIds: Array.from(
        { length: n - 1 },
        (_, i) => ({ ip: `10.9.${i >> 8}.${i & 255}`, port: 2 }),
      ),
    });
  assert.equal(code(() => decodeLegacyFrame(mk(DEFAULT_LIMITS.maxTableEntries), key)), "ok");
  assert.equal(
    code(() => decodeLegacyFrame(mk(DEFAULT_LIMITS.maxTableEntries + 1), key)),
    "TABLE_LIMIT",
  );
});

Deno.test("[R-LIMIT-001] [R-LIMIT-004] configured frame and size limits", () => {
  const key = new Uint8Array(32);
  const frame = encodeLegacyFrame({
    key,
    gossip: {
      current: { ip: "10.0.0.1", port: 1, seqno: 1 },
      seen: [],
      other: [],
      distribution: [],
    },
    typeTag: 1,
    payload: new Uint8Array(500),
  });
  const [n] = decodeVarint(frame, 1, 5, 0xffffffff); // the ciphertext length
  assert.equal(
    code(() => decodeLegacyFrame(frame, key, { ...DEFAULT_LIMITS, maxFrameBytes: n })),
    "ok",
  );
  assert.equal(
    code(() => decodeLegacyFrame(frame, key, { ...DEFAULT_LIMITS, maxFrameBytes: n - 1 })),
    "FRAME_TOO_LARGE",
  );
  const size = encodeLegacyFrameLayers({
    key,
    gossip: {
      current: { ip: "10.0.0.1", port: 1, seqno: 1 },
      seen: [],
      other: [],
      distribution: [],
    },
    typeTag: 1,
    payload: new Uint8Array(500),
  }).gossip.length;
  assert.equal(
    code(() => decodeLegacyFrame(frame, key, { ...DEFAULT_LIMITS, maxUncompressedBytes: size })),
    "ok",
  );
  assert.equal(
    code(() =>
      decodeLegacyFrame(frame, key, { ...DEFAULT_LIMITS, maxUncompressedBytes: size - 1 })
    ),
    "SIZE_LIMIT",
  );
});

Deno.test("[R-NETID-005] [R-NETID-006] the encoder refuses IPv6, bad ports and seqnos over 2^53-1", () => {
  const base = {
    key: new Uint8Array(32),
    gossip: {
      current: { ip: "10.0.0.1", port: 1, seqno: 1 },
      seen: [],
      other: [],
      distribution: [],
    },
    typeTag: 1,
    payload: new Uint8Array(0),
  };
  assert.throws(
    () => encodeLegacyFrame({ ...base, extraNetIds: [{ ip: "::1", port: 1 }] }),
    InvalidValueError,
  );
  assert.throws(
    () =>
      encodeLegacyFrame({
        ...base,
        gossip: { ...base.gossip, current: { ip: "10.0.0.1", port: 65536, seqno: 1 } },
      }),
    InvalidValueError,
  );
  assert.throws(
    () =>
      encodeLegacyFrame({
        ...base,
        gossip: { ...base.gossip, current: { ip: "10.0.0.1", port: 1, seqno: 2 ** 53 } },
      }),
    InvalidValueError,
  );
  assert.throws(
    () => encodeLegacyFrame({ ...base, padding: new Uint8Array(31) }),
    InvalidValueError,
  );
  assert.throws(() => encodeLegacyFrame({ ...base, typeTag: 2 ** 32 }), InvalidValueError);
});
