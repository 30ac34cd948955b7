import { ok, strictEqual } from "node:assert/strict";
import fc from "fast-check";
import { DecodeError, decodeV2Frame, V2_HEADER_BYTES, V2Decoder } from "../../../src/wire/mod.ts";
import type { V2Vector } from "../../../vectors/v2_cases.ts";
import { receiverFromJson, unhex } from "../../../vectors/v2_json.ts";

const file = JSON.parse(
  await Deno.readTextFile(new URL("../../../vectors/v2.json", import.meta.url)),
) as { cases: V2Vector[] };
const valid = file.cases.filter((c) => !c.sequence && c.result === "valid");

/** Decode and return the outcome; anything but a DecodeError fails the test. */
function outcome(frame: Uint8Array, c: V2Vector): string {
  try {
    const r = receiverFromJson(c.inputs.receiver);
    decodeV2Frame(frame, r, r.netId);
    return "valid";
  } catch (e) {
    if (e instanceof DecodeError) return e.code;
    throw e;
  }
}

Deno.test("v2: EVERY single-bit flip of several valid frames is rejected [R-V2-AEAD-003]", () => {
  const chosen = [
    "v2.valid.ipv4.one",
    "v2.valid.ipv6.snappy",
    "v2.valid.many.8",
    "v2.valid.key.secondary",
    "v2.valid.counter.max",
    "v2.valid.gossip.full",
  ];
  let flips = 0;
  for (const id of chosen) {
    const c = valid.find((v) => v.id === id)!;
    const frame = unhex(c.frame!);
    for (let byte = 0; byte < frame.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        const m = frame.slice();
        m[byte] ^= 1 << bit;
        const got = outcome(m, c);
        ok(got !== "valid", `${id}: flipping bit ${bit} of byte ${byte} was accepted`);
        flips++;
      }
    }
  }
  ok(flips > 5000, `only ${flips} flips`);
});

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant("splice" as const),
    at: fc.nat(),
    len: fc.nat(40),
    bytes: fc.uint8Array({ maxLength: 40 }),
  }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.nat(255) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(f: Uint8Array, muts: Mutation[]): Uint8Array {
  let b = f;
  for (const m of muts) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    if (m.kind === "flip" && b.length) {
      b = b.slice();
      b[at % b.length] ^= 1 << m.bit;
    } else if (m.kind === "truncate") {
      b = b.slice(0, at);
    } else if (m.kind === "insert") {
      b = new Uint8Array([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
    } else if (m.kind === "splice") {
      b = new Uint8Array([...b.subarray(0, at), ...m.bytes, ...b.subarray(at + m.len)]);
    } else if (m.kind === "set" && b.length) {
      b = b.slice();
      b[at % b.length] = m.value;
    }
  }
  return b;
}

Deno.test("v2: random mutations of every valid vector give a frame or a DecodeError, nothing else [R-ERR-001]", () => {
  fc.assert(
    fc.property(
      fc.nat(valid.length - 1),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      (i, muts) => {
        const c = valid[i];
        outcome(mutate(unhex(c.frame!), muts), c); // throws on anything but DecodeError
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("v2: random bytes (with and without a v2 header prefix) give only DecodeError", () => {
  const c = valid[0];
  const head = unhex(c.frame!).subarray(0, V2_HEADER_BYTES);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, prefix) => {
      const f = prefix ? new Uint8Array([...head, ...bytes]) : bytes;
      strictEqual(outcome(f, c) === "valid", false);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("v2: a stateful decoder under mutations throws only DecodeError and keeps bounded state", () => {
  const c = valid.find((v) => v.id === "v2.valid.many.8")!;
  const rx = new V2Decoder({ ...receiverFromJson(c.inputs.receiver), limits: { maxSessions: 8 } });
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (muts) => {
      try {
        rx.decode(mutate(unhex(c.frame!), muts));
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    }),
    { numRuns: 1000 },
  );
  ok(rx.stats().sessions <= 8);
});
