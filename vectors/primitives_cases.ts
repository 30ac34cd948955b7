/**
 * Known-answer vectors for the primitives (`vectors/primitives.json`): xxhash32, varints
 * (valid and invalid, per field kind), the legacy key extension and the legacy keystream.
 * The xxhash32 answers for "", "a", "abc" and "hello" come from the issue (and `xxhsum`);
 * the others are computed by our implementation, which the tests cross-check against
 * `npm:xxhash-wasm`.
 *
 * @module
 */

import {
  DecodeError,
  type DecodeErrorCode,
  decodeVarint,
  legacyKey,
  MAX_SEQNO,
  MAX_UINT32,
  xxhash32,
} from "../src/wire/mod.ts";
import { legacyKeystream } from "../src/wire/legacy_cipher.ts";
import { cat, prngBytes, vi, VI_2_32, VI_2_53, viNonMinimal, viTooLong } from "./craft.ts";
import { hex } from "./json.ts";
import type { VectorSuite } from "./suite.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Varint field kinds: `u32` (5 bytes, 2^32 - 1) and `seqno` (8 bytes, 2^53 - 1). [R-VARINT-002] */
export const VARINT_FIELDS: Readonly<
  Record<"u32" | "seqno", { maxBytes: number; maxValue: number }>
> = {
  u32: { maxBytes: 5, maxValue: MAX_UINT32 },
  seqno: { maxBytes: 8, maxValue: MAX_SEQNO },
};

/** Pinned answers: a regression in xxhash32 must not silently rewrite them. */
const PINNED: Record<string, string> = {
  "": "02cc5d05",
  a: "550d7456",
  abc: "32d153ff",
  hello: "fb0077f9",
};

function buildPrimitives() {
  const xx: { data: string; seed: number; hash: number }[] = [];
  for (const [s, h] of Object.entries(PINNED)) {
    const got = xxhash32(utf8(s), 0);
    if (got !== parseInt(h, 16)) throw new Error(`xxhash32(${s}) = ${got.toString(16)}, want ${h}`);
    xx.push({ data: hex(utf8(s)), seed: 0, hash: got });
  }
  for (const n of [1, 3, 4, 5, 15, 16, 17, 31, 32, 33, 100, 257]) {
    const d = prngBytes(n * 7 + 1, n);
    for (const seed of [0, 1, 0x9e3779b1, 0xffffffff]) {
      xx.push({ data: hex(d), seed, hash: xxhash32(d, seed) });
    }
  }

  const valid: { field: string; value: number; data: string }[] = [];
  for (const v of [0, 1, 127, 128, 300, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 28, MAX_UINT32]) {
    valid.push({ field: "u32", value: v, data: hex(vi(v)) });
  }
  for (const v of [0, 300, 2 ** 32, 2 ** 35, 2 ** 49 - 1, 2 ** 49, MAX_SEQNO]) {
    valid.push({ field: "seqno", value: v, data: hex(vi(v)) });
  }
  const invalid: { field: string; data: string; errorClass: DecodeErrorCode; reqs: string[] }[] =
    [];
  const bad = (field: "u32" | "seqno", data: Uint8Array) => {
    const f = VARINT_FIELDS[field];
    try {
      decodeVarint(data, 0, f.maxBytes, f.maxValue);
    } catch (e) {
      if (e instanceof DecodeError) {
        invalid.push({
          field,
          data: hex(data),
          errorClass: e.code,
          reqs: [e.requirement, "R-VARINT-005"],
        });
        return;
      }
      throw e;
    }
    throw new Error(`varint ${hex(data)} (${field}) unexpectedly decodes`);
  };
  for (const field of ["u32", "seqno"] as const) {
    bad(field, new Uint8Array(0));
    bad(field, cat(0x80));
    bad(field, cat(0xff, 0xff));
    bad(field, viNonMinimal(0));
    bad(field, viNonMinimal(300));
    bad(field, viTooLong(VARINT_FIELDS[field].maxBytes));
    bad(field, cat(new Array(VARINT_FIELDS[field].maxBytes).fill(0x80), 0x00));
  }
  bad("u32", VI_2_32);
  bad("u32", cat(0xff, 0xff, 0xff, 0xff, 0x7f));
  bad("seqno", VI_2_53);
  bad("seqno", cat(new Array(7).fill(0xff), 0x7f));

  const keys = [
    "",
    "abc",
    "01234567890123456789012345678912",
    "0123456789012345678901234567891299999999",
  ]
    .map((k) => ({ key: hex(utf8(k)), normalised: hex(legacyKey(utf8(k))) }));
  const keystreams = ["01234567890123456789012345678912", "abc"].map((k) => ({
    key: hex(utf8(k)),
    keystream: hex(legacyKeystream(utf8(k), 64).subarray(0, 64)),
  }));
  return {
    xxhash32: xx,
    varint: { valid, invalid },
    legacyKey: keys,
    legacyKeystream: keystreams,
  };
}

/** The `vectors/primitives.json` suite. */
export const PRIMITIVES_SUITE: VectorSuite = { file: "primitives.json", build: buildPrimitives };
