import { InvalidValueError } from "../../../src/errors.ts";
import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  DecodeError,
  encodeV2Frame,
  typeTag,
  V2Decoder,
  V2Keyring,
  V2ReplayWindow,
} from "../../../src/wire/mod.ts";

Deno.test("replay window matches a reference model for random counter sequences [R-V2-REPLAY-001..002]", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(32, 64, 1024),
      fc.array(fc.oneof(fc.bigInt({ min: 0n, max: 3000n }), fc.bigInt({ min: 0n, max: 40n })), {
        maxLength: 300,
      }),
      (size, counters) => {
        const w = new V2ReplayWindow(size);
        const accepted = new Set<bigint>();
        let highest = -1n;
        for (const c of counters) {
          const want = c > highest
            ? "fresh"
            : highest - c >= BigInt(size)
            ? "BEHIND_WINDOW"
            : accepted.has(c)
            ? "REPLAY"
            : "fresh";
          strictEqual(w.check(c), want, `counter ${c} after highest ${highest}`);
          if (want === "fresh") {
            w.accept(c);
            accepted.add(c);
            if (c > highest) highest = c;
          }
        }
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("replay window: bounds, 2^64-1, bad widths", () => {
  const w = new V2ReplayWindow(1024);
  strictEqual(w.highest, undefined);
  w.accept(0xffff_ffff_ffff_ffffn);
  strictEqual(w.check(0xffff_ffff_ffff_ffffn), "REPLAY");
  strictEqual(w.check(0xffff_ffff_ffff_ffffn - 1023n), "fresh");
  strictEqual(w.check(0xffff_ffff_ffff_ffffn - 1024n), "BEHIND_WINDOW");
  throws(() => new V2ReplayWindow(1000), InvalidValueError);
  throws(() => new V2ReplayWindow(16), InvalidValueError);
});

const keyring = V2Keyring.single(new Uint8Array(32).fill(3), 7);
const me = { ip: "10.0.0.1", port: 9, seqno: 1 };
const frame = (counter: bigint, salt = new Uint8Array(16), label = "L") =>
  encodeV2Frame({
    keyring,
    label,
    salt,
    counter,
    gossip: { current: me, seen: [], other: [], distribution: [] },
    records: [{ typeTag: typeTag("t"), origin: me, payload: new Uint8Array([1, 2]) }],
  });

function code(f: () => unknown): string {
  try {
    f();
    return "ok";
  } catch (e) {
    if (e instanceof DecodeError) return e.code;
    throw e;
  }
}

Deno.test("V2Decoder counts every rejection by reason and evicts the least recently used session [R-V2-REPLAY-004..005]", () => {
  const rx = new V2Decoder({ keyring, label: "L", limits: { maxSessions: 3 } });
  const salts = [1, 2, 3, 4].map((i) => new Uint8Array(16).fill(i));
  strictEqual(code(() => rx.decode(frame(10n, salts[0]))), "ok");
  strictEqual(code(() => rx.decode(frame(10n, salts[0]))), "REPLAY");
  strictEqual(code(() => rx.decode(frame(2000n, salts[0]))), "ok");
  strictEqual(code(() => rx.decode(frame(10n, salts[0]))), "BEHIND_WINDOW");
  strictEqual(code(() => rx.decode(frame(3000n, salts[0], "other"))), "AUTH_FAILED");
  strictEqual(code(() => rx.decode(new Uint8Array([0xc7, 9]))), "UNKNOWN_VERSION");
  for (const s of salts.slice(1)) strictEqual(code(() => rx.decode(frame(0n, s))), "ok");
  const st = rx.stats();
  strictEqual(st.accepted, 5);
  deepStrictEqual(st.rejected, { REPLAY: 1, BEHIND_WINDOW: 1, AUTH_FAILED: 1, UNKNOWN_VERSION: 1 });
  strictEqual(st.sessions, 3);
  strictEqual(st.sessionsEvicted, 1);
  // salts[0] was least recently used and evicted: its state is gone (documented limitation).
  strictEqual(code(() => rx.decode(frame(2000n, salts[0]))), "ok");
  // salts[3] is tracked: still rejects its replay.
  strictEqual(code(() => rx.decode(frame(0n, salts[3]))), "REPLAY");
});

Deno.test("V2Decoder: forged frames (failing authentication) create no session state [R-V2-REPLAY-003]", () => {
  const rx = new V2Decoder({ keyring, label: "L", limits: { maxSessions: 2 } });
  for (let i = 0; i < 50; i++) {
    const f = frame(BigInt(i), new Uint8Array(16).fill(i));
    f[f.length - 1] ^= 1;
    strictEqual(code(() => rx.decode(f)), "AUTH_FAILED");
  }
  strictEqual(rx.stats().sessions, 0);
  strictEqual(rx.stats().rejected.AUTH_FAILED, 50);
});

Deno.test("V2Decoder: window width is configurable", () => {
  const rx = new V2Decoder({ keyring, label: "L", replayWindow: 32 });
  rx.decode(frame(100n));
  strictEqual(code(() => rx.decode(frame(68n))), "BEHIND_WINDOW");
  strictEqual(code(() => rx.decode(frame(69n))), "ok");
  throws(() => new V2Decoder({ keyring, label: "L", replayWindow: 33 }), InvalidValueError);
  ok(true);
});
