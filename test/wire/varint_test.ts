// [R-VARINT-001..005] Varint encoding and the decoder's field limits.
import { InvalidValueError } from "../../src/errors.ts";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DecodeError,
  decodeVarint,
  encodeVarint,
  MAX_SEQNO,
  MAX_UINT32,
  varintLength,
} from "../../src/wire/mod.ts";
import { hex, unhex } from "../../vectors/json.ts";

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof DecodeError) return e.code;
    throw e;
  }
  return "ok";
};

Deno.test("[R-VARINT-001] known encodings, low group first", () => {
  const cases: [number, string][] = [
    [0, "00"],
    [1, "01"],
    [127, "7f"],
    [128, "8001"],
    [300, "ac02"],
    [16384, "808001"],
    [MAX_UINT32, "ffffffff0f"],
    [2 ** 32, "8080808010"],
    [MAX_SEQNO, "ffffffffffffff0f"],
  ];
  for (const [v, h] of cases) {
    assert.equal(hex(encodeVarint(v)[0]), h, `encode ${v}`);
    assert.equal(varintLength(v), h.length / 2);
    assert.deepEqual(decodeVarint(unhex(h + "ff"), 0, 8, MAX_SEQNO), [v, h.length / 2]);
  }
});

Deno.test("[R-VARINT-001] encode refuses values outside [0, 2^53-1] and non-integers", () => {
  for (const v of [-1, 2 ** 53, 1.5, NaN, Infinity]) {
    assert.throws(() => encodeVarint(v), InvalidValueError);
  }
});

Deno.test("[R-VARINT-003] non-minimal and too-long varints are VARINT_OVERLONG", () => {
  assert.equal(code(() => decodeVarint(unhex("8000"), 0, 5, MAX_UINT32)), "VARINT_OVERLONG");
  assert.equal(code(() => decodeVarint(unhex("ac8200"), 0, 5, MAX_UINT32)), "VARINT_OVERLONG");
  assert.equal(
    code(() => decodeVarint(unhex("808080808001"), 0, 5, MAX_UINT32)),
    "VARINT_OVERLONG",
  );
  // 5 continuation bytes: overlong as soon as the 5th is read, even with nothing after it.
  assert.equal(code(() => decodeVarint(unhex("8080808080"), 0, 5, MAX_UINT32)), "VARINT_OVERLONG");
  assert.equal(
    code(() => decodeVarint(unhex("808080808080808001"), 0, 8, MAX_SEQNO)),
    "VARINT_OVERLONG",
  );
  // A single 00 is the minimal form of 0.
  assert.deepEqual(decodeVarint(unhex("00"), 0, 5, MAX_UINT32), [0, 1]);
});

Deno.test("[R-VARINT-004] values over the field maximum are VARINT_OVERFLOW", () => {
  assert.equal(code(() => decodeVarint(unhex("8080808010"), 0, 5, MAX_UINT32)), "VARINT_OVERFLOW");
  assert.equal(code(() => decodeVarint(unhex("ffffffff7f"), 0, 5, MAX_UINT32)), "VARINT_OVERFLOW");
  assert.equal(
    code(() => decodeVarint(unhex("8080808080808010"), 0, 8, MAX_SEQNO)),
    "VARINT_OVERFLOW",
  );
  assert.equal(
    code(() => decodeVarint(unhex("ffffffffffffff7f"), 0, 8, MAX_SEQNO)),
    "VARINT_OVERFLOW",
  );
  assert.equal(code(() => decodeVarint(unhex("c801"), 0, 5, 199)), "VARINT_OVERFLOW");
});

Deno.test("[R-ERR-002] [R-VARINT-005] input ending inside a varint is TRUNCATED, with the offset", () => {
  assert.equal(code(() => decodeVarint(new Uint8Array(0), 0, 5, MAX_UINT32)), "TRUNCATED");
  assert.throws(
    () => decodeVarint(unhex("00ffff"), 1, 5, MAX_UINT32),
    (e) => e instanceof DecodeError && e.code === "TRUNCATED" && e.offset === 3,
  );
});

Deno.test("[R-VARINT-001] property: decode(encode(v)) = v with the minimal length", () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), fc.integer({ min: 0, max: 3 }), (v, pad) => {
      const [bytes] = encodeVarint(v);
      const buf = new Uint8Array(pad + bytes.length + 1);
      buf.set(bytes, pad);
      assert.deepEqual(decodeVarint(buf, pad, 8, MAX_SEQNO), [v, pad + bytes.length]);
      assert.equal(bytes.length, Math.max(1, Math.ceil(Math.log2(v + 1) / 7)));
    }),
  );
});

Deno.test("[R-VARINT-005] property: arbitrary bytes decode or throw DecodeError only", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 12 }),
      fc.constantFrom([5, MAX_UINT32], [8, MAX_SEQNO]),
      (b, [n, max]) => {
        const c = code(() => decodeVarint(b, 0, n, max));
        assert.ok(["ok", "TRUNCATED", "VARINT_OVERLONG", "VARINT_OVERFLOW"].includes(c));
      },
    ),
  );
});
