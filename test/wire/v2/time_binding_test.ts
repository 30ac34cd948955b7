/** Sealed time, start rule, receiver binding and session expiry of the v2 receiver (spec/wire.md 15.15). */
import { InvalidValueError } from "../../../src/errors.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DecodeError,
  decodeV2Frame,
  encodeV2Frame,
  type NetId,
  readV2Header,
  typeTag,
  V2Decoder,
  V2Keyring,
  V2Sender,
} from "../../../src/wire/mod.ts";

const keyring = V2Keyring.single(new Uint8Array(32).map((_, i) => i * 7 + 1));
const me = { ip: "10.0.0.1", port: 1, seqno: 1 };
const A: NetId = { ip: "10.0.0.2", port: 29999 };
const B: NetId = { ip: "10.0.0.3", port: 29999 };
const T0 = 1_767_225_600_000;

function frame(opts: { sealedAt: number; salt?: number; counter?: number; receiver?: NetId }) {
  return encodeV2Frame({
    keyring,
    label: "t",
    salt: new Uint8Array(16).fill(opts.salt ?? 1),
    counter: opts.counter ?? 0,
    sealedAt: opts.sealedAt,
    receiver: opts.receiver,
    gossip: { current: me, seen: [], other: [], distribution: [] },
    records: [{ typeTag: typeTag("x"), origin: me, payload: new Uint8Array([1]) }],
  });
}

function code(f: () => unknown): string {
  try {
    f();
    return "ok";
  } catch (e) {
    if (e instanceof DecodeError) return e.code;
    throw e;
  }
}

Deno.test("[R-V2-TIME-001] the sealed time round-trips through the header for every safe integer", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (t) => {
      assert.equal(readV2Header(frame({ sealedAt: t })).sealedAt, t);
    }),
    { numRuns: 200 },
  );
  assert.throws(() => frame({ sealedAt: -1 }), InvalidValueError);
  assert.throws(() => frame({ sealedAt: 1.5 }), InvalidValueError);
  assert.throws(() => frame({ sealedAt: 2 ** 53 }), InvalidValueError);
});

Deno.test("[R-V2-TIME-002] accepted exactly within clock ± tolerance, CLOCK_SKEW one ms beyond", () => {
  const now = T0;
  const rx = (skew: number) => ({ keyring, label: "t", clock: () => now, maxClockSkewMs: skew });
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 120_000 }),
      fc.integer({ min: -200_000, max: 200_000 }),
      (k, d) => {
        const got = code(() => decodeV2Frame(frame({ sealedAt: now + d }), rx(k)));
        assert.equal(got, Math.abs(d) <= k ? "ok" : "CLOCK_SKEW", `skew ${k}, offset ${d}`);
      },
    ),
    { numRuns: 300 },
  );
  // No clock: a stateless tool decodes any sealed time.
  assert.equal(code(() => decodeV2Frame(frame({ sealedAt: 5 }), { keyring, label: "t" })), "ok");
});

Deno.test("[R-V2-TIME-003] a restarted receiver refuses what its previous run accepted", () => {
  let now = T0;
  const clock = () => now;
  const f = frame({ sealedAt: T0 - 10 });
  const run1 = new V2Decoder({ keyring, label: "t", clock, startTime: T0 - 1000 });
  assert.equal(code(() => run1.decode(f)), "ok");
  assert.equal(code(() => run1.decode(f)), "REPLAY");
  now += 5; // restart takes 5 ms: the new run starts after the frame was sealed
  const run2 = new V2Decoder({ keyring, label: "t", clock });
  assert.equal(code(() => run2.decode(f)), "BEFORE_START");
  assert.equal(run2.stats().rejected.BEFORE_START, 1);
  // A frame the sender seals after the restart is accepted.
  assert.equal(code(() => run2.decode(frame({ sealedAt: now, counter: 1 }))), "ok");
});

Deno.test("[R-V2-BIND-001] [R-V2-BIND-002] a bound frame opens only at its receiver and only on a stream", () => {
  const o = { keyring, label: "t" };
  const f = frame({ sealedAt: T0, receiver: A });
  assert.equal(code(() => decodeV2Frame(f, o, A)), "ok");
  assert.equal(decodeV2Frame(f, o, A).bound, true);
  assert.equal(code(() => decodeV2Frame(f, o, B)), "AUTH_FAILED");
  assert.equal(code(() => decodeV2Frame(f, o, { ...A, port: 30000 })), "AUTH_FAILED");
  assert.equal(code(() => decodeV2Frame(f, o)), "BINDING_MISMATCH");
  const m = frame({ sealedAt: T0 });
  assert.equal(code(() => decodeV2Frame(m, o)), "ok");
  assert.equal(decodeV2Frame(m, o).bound, false);
  assert.equal(code(() => decodeV2Frame(m, o, A)), "BINDING_MISMATCH");
  // Rebinding in transit (flag cleared) makes the header differ: authentication fails.
  const cleared = f.slice();
  cleared[3] &= ~0x02;
  assert.equal(code(() => decodeV2Frame(cleared, o)), "AUTH_FAILED");
});

Deno.test("[R-V2-REPLAY-007] sessions older than the tolerance are dropped (counted) without weakening replay protection", () => {
  let now = T0;
  const rx = new V2Decoder({ keyring, label: "t", clock: () => now, startTime: T0 - 1 });
  for (let s = 1; s <= 5; s++) {
    assert.equal(code(() => rx.decode(frame({ sealedAt: now, salt: s }))), "ok");
  }
  assert.equal(rx.stats().sessions, 5);
  now += 60_001;
  const fresh = frame({ sealedAt: now, salt: 9 });
  assert.equal(code(() => rx.decode(fresh)), "ok");
  assert.equal(rx.stats().sessions, 1);
  assert.equal(rx.stats().sessionsExpired, 5);
  assert.equal(rx.stats().sessionsEvicted, 0);
  // The expired sessions' frames are refused by time, not accepted again.
  assert.equal(code(() => rx.decode(frame({ sealedAt: T0, salt: 1 }))), "CLOCK_SKEW");
  assert.equal(code(() => rx.decode(fresh)), "REPLAY");
});

Deno.test("[R-V2-TIME-001] V2Sender seals with its clock", () => {
  const tx = new V2Sender({ clock: () => T0 + 42 });
  const f = tx.encode({
    keyring,
    label: "t",
    gossip: { current: me, seen: [], other: [], distribution: [] },
    records: [{ typeTag: 1, origin: me, payload: new Uint8Array(0) }],
  });
  assert.equal(readV2Header(f).sealedAt, T0 + 42);
});
