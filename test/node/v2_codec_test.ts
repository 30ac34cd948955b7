/** The node's v2 codec: packing records into datagrams, and telling its own frames. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { v2Codec } from "../../src/node/v2_codec.ts";
import { V2Keyring } from "../../src/wire/v2/keyring.ts";

const keyring = V2Keyring.single(new Uint8Array(32).fill(7));
const me = { ip: "127.0.0.1", port: 40000, seqno: 1.7e15 };
const seen = Array.from({ length: 7 }, (_, i) => ({ ...me, port: 40001 + i, seqno: 1.7e15 + i }));
const gossip = { current: me, seen, other: [], distribution: [] };

Deno.test("[R-NODE-PERF-001] v2 packing: every frame fits the datagram limit and is filled", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 80 }),
      fc.integer({ min: 400, max: 9000 }),
      (sizes, limit) => {
        // The receiver starts first: it refuses frames sealed before its start. [R-V2-TIME-003]
        const decoder = v2Codec({ keyring, label: "" });
        const codec = v2Codec({ keyring, label: "" });
        const recs = sizes.map((n, i) => ({
          typeTag: 0xdeadbeef,
          origin: { ...me, port: me.port + (i % 3) * 100, seqno: me.seqno + i },
          payload: crypto.getRandomValues(new Uint8Array(n)),
        }));
        const frames = codec.encode(gossip, recs, { maxFrameBytes: limit, maxRecords: 256 });
        const perFrame = frames.map((f) => decoder.decode(f, "udp").records.length);
        assert.equal(perFrame.reduce((a, b) => a + b, 0), recs.length);
        // A record too large for the limit gets a frame of its own; all others fit.
        frames.forEach((f, i) => assert.ok(f.length <= limit || perFrame[i] === 1));
      },
    ),
    { numRuns: 40 },
  );
  // 100-byte incompressible records: 10 per 1400-byte datagram (the old estimate packed 8).
  const codec = v2Codec({ keyring, label: "" });
  const recs = Array.from({ length: 30 }, (_, i) => ({
    typeTag: 12345678,
    origin: { ...me, seqno: me.seqno + i },
    payload: crypto.getRandomValues(new Uint8Array(100)),
  }));
  const frames = codec.encode(gossip, recs, { maxFrameBytes: 1400, maxRecords: 256 });
  assert.equal(frames.length, 3);
  assert.ok(frames.every((f) => f.length <= 1400));
});

Deno.test("[R-NODE-PERF-002] v2 codec: tells its own frames (session salt) without decrypting, not others'", () => {
  const a = v2Codec({ keyring, label: "" }), b = v2Codec({ keyring, label: "" });
  const rec = [{ typeTag: 1, origin: me, payload: new Uint8Array([1]) }];
  const opts = { maxFrameBytes: 1400, maxRecords: 8 };
  const fa = a.encode(gossip, rec, opts)[0], fb = b.encode(gossip, rec, opts)[0];
  assert.equal(a.isOwn?.(fa), true);
  assert.equal(a.isOwn?.(fb), false);
  assert.equal(b.isOwn?.(fa), false);
  assert.equal(a.isOwn?.(new Uint8Array(10)), false);
});

Deno.test("[R-NODE-PERF-003] v2 codec: no snappy for incompressible records, snappy for compressible", () => {
  const codec = v2Codec({ keyring, label: "" });
  const opts = { maxFrameBytes: 65536, maxRecords: 256 };
  const recs = (payload: () => Uint8Array) =>
    Array.from({ length: 20 }, (_, i) => ({
      typeTag: 7,
      origin: { ...me, seqno: me.seqno + i },
      payload: payload(),
    }));
  const random = codec.encode(
    gossip,
    recs(() => crypto.getRandomValues(new Uint8Array(100))),
    opts,
  );
  const text = codec.encode(
    gossip,
    recs(() => new TextEncoder().encode("hello ".repeat(20))),
    opts,
  );
  // Header byte 3 holds the flags; bit 0 = snappy.
  assert.equal(random[0][3] & 1, 0, "a block saving < 1/8 is not used");
  assert.equal(text[0][3] & 1, 1);
});

Deno.test("[R-NODE-PERF-003] v2 codec: after incompressible frames it probes again and resumes snappy", () => {
  const codec = v2Codec({ keyring, label: "" });
  const opts = { maxFrameBytes: 65536, maxRecords: 256 };
  const one = (payload: Uint8Array) =>
    codec.encode(gossip, [{ typeTag: 7, origin: me, payload }], opts)[0][3] & 1;
  for (let i = 0; i < 12; i++) assert.equal(one(crypto.getRandomValues(new Uint8Array(300))), 0);
  const text = new TextEncoder().encode("compressible ".repeat(40));
  const flags = Array.from({ length: 20 }, () => one(text));
  // Skipping snappy for a while is allowed; within 16 frames a probe finds it pays again.
  const first = flags.indexOf(1);
  assert.ok(first >= 0 && first < 16, JSON.stringify(flags));
  assert.ok(flags.slice(first).every((f) => f === 1), JSON.stringify(flags));
});
