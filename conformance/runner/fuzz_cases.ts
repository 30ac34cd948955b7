/**
 * Differential cases: deterministic mutations of every valid vector, decoded by the testee and
 * by the reference decoder. Every input must be decoded or rejected with one decode error
 * [R-ERR-001], and with the same code as the reference, since the decoding order is fixed
 * [R-ERR-003]. Mutations hit the frame (bit flips, truncation, insertion, deletion, trailing
 * bytes) and, re-sealed with a correct checksum, the uncompressed gossip, so the table, list
 * and reference checks are reached too.
 *
 * @module
 */

import { ByteWriter } from "../../src/wire/byte_writer.ts";
import { DecodeError } from "../../src/wire/decode_error.ts";
import { legacyCrypt } from "../../src/wire/legacy_cipher.ts";
import { decodeLegacyFrame } from "../../src/wire/legacy_frame.ts";
import { snappyCompress } from "../../src/wire/snappy.ts";
import { xxhash32 } from "../../src/wire/xxhash32.ts";
import { decodeV2Frame } from "../../src/wire/v2/decoder.ts";
import { decodedToJson, receiverFromJson } from "../../vectors/v2_json.ts";
import { diff } from "./compare.ts";
import { type DifferentialRules, gradeDifferential } from "./differential.ts";
import { notDecodeError } from "./offline_cases.ts";
import { hex, unhex } from "./hex.ts";
import type { Case } from "./types.ts";
import type { Vector } from "./vectors.ts";

/** Mutations per valid vector (half on the frame, half on the gossip). */
export const MUTATIONS_PER_VECTOR = 16;

/** decode_frame replies: same decoded content as the reference; rejections must be decode errors. */
const DECODE_FRAME_RULES: DifferentialRules = {
  compareAccepted: (e, a, label) => diff({ ...e, result: undefined }, a, label),
  badRejection: (a) => notDecodeError(a),
};

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One random mutation of `b` (bit flips, truncation, insertion, deletion, extreme byte). */
export function mutate(b: Uint8Array, r: () => number): Uint8Array {
  const at = (n: number) => Math.floor(r() * n);
  const kind = at(5);
  if (b.length === 0) return new Uint8Array([at(256)]);
  switch (kind) {
    case 0: { // flip 1 to 3 bits
      const o = b.slice();
      for (let i = 0, n = 1 + at(3); i < n; i++) o[at(o.length)] ^= 1 << at(8);
      return o;
    }
    case 1: // truncate
      return b.slice(0, at(b.length));
    case 2: { // insert a byte
      const i = at(b.length + 1);
      return new Uint8Array([...b.subarray(0, i), at(256), ...b.subarray(i)]);
    }
    case 3: { // delete a byte
      const i = at(b.length);
      return new Uint8Array([...b.subarray(0, i), ...b.subarray(i + 1)]);
    }
    default: { // overwrite a byte with an extreme value
      const o = b.slice();
      o[at(o.length)] = [0x00, 0x7f, 0x80, 0xff][at(4)];
      return o;
    }
  }
}

function seal(key: Uint8Array, padding: Uint8Array, gossip: Uint8Array): Uint8Array {
  const p = new ByteWriter(gossip.length + 64);
  p.bytes(padding);
  p.u32be(xxhash32(gossip, 0));
  p.varint(gossip.length);
  p.bytes(snappyCompress(gossip));
  const pt = p.finish();
  const f = new ByteWriter(pt.length + 8);
  f.u8(0xff);
  f.varint(pt.length);
  f.bytes(legacyCrypt(key, pt));
  return f.finish();
}

/** A per-case seed, so each case's mutations are fixed across runs. */
export function seedOf(id: string): number {
  return xxhash32(new TextEncoder().encode(id), 0x5eed);
}

/** What the reference decoder says about a frame. */
function reference(frame: Uint8Array, key: Uint8Array): Record<string, unknown> {
  try {
    const d = decodeLegacyFrame(frame, key);
    return { result: "ok", gossip: d.gossip, typeTag: d.typeTag, payload: hex(d.payload) };
  } catch (e) {
    if (e instanceof DecodeError) return { result: "error", errorClass: e.code };
    throw e;
  }
}

/** The differential cases for the legacy vectors. */
export function fuzzCases(
  vectors: Vector[],
  section: (reqs: string[], id: string) => string,
): Case[] {
  const out: Case[] = [];
  for (const v of vectors) {
    const layers = v.layers as Record<string, unknown> | undefined;
    if (v.profile !== "legacy" || v.result !== "valid" || typeof v.frame !== "string") continue;
    if (typeof layers?.gossip !== "string" || typeof v.inputs?.key !== "string") continue;
    const keyHex = v.inputs.key as string;
    const key = unhex(keyHex);
    const padding = unhex(String(v.inputs.padding ?? "00".repeat(32)));
    const r = prng(seedOf(v.id));
    const frames: Uint8Array[] = [];
    const frame = unhex(v.frame);
    const gossip = unhex(layers.gossip);
    for (let i = 0; i < MUTATIONS_PER_VECTOR / 2; i++) frames.push(mutate(frame, r));
    for (let i = 0; i < MUTATIONS_PER_VECTOR / 2; i++) {
      frames.push(seal(key, padding, mutate(gossip, r)));
    }
    const reqs = ["R-ERR-001", "R-ERR-003", "R-ORDER-001"];
    const id = `${v.id}/mutations`;
    out.push({
      id,
      section: section(reqs, id),
      reqs,
      profile: "legacy",
      ops: ["decode_frame"],
      title: `${MUTATIONS_PER_VECTOR} mutations of ${v.id} decode as the reference decodes them`,
      run: async (ctx) => {
        const expected = frames.map((f) => reference(f, key));
        const replies = await ctx.pipeline(
          frames.map((f) => ({
            op: "decode_frame",
            profile: "legacy",
            key: keyHex,
            frame: hex(f),
          })),
        );
        return gradeDifferential(expected, replies, DECODE_FRAME_RULES);
      },
    });
  }
  return out;
}

/** What the reference v2 decoder (stateless, as `decode_frame` is) says about a frame. */
function referenceV2(frame: Uint8Array, receiver: unknown): Record<string, unknown> {
  try {
    const r = receiverFromJson(receiver);
    return { result: "ok", ...decodedToJson(decodeV2Frame(frame, r, r.netId)) };
  } catch (e) {
    if (e instanceof DecodeError) return { result: "error", errorClass: e.code };
    throw e;
  }
}

/**
 * Differential cases for the v2 vectors: frame-level mutations (bit flips anywhere, header
 * included, truncation, insertion, deletion), decoded by the testee and by the reference.
 * Nearly all are AUTH_FAILED or a header error; which one is fixed by the processing order.
 */
export function fuzzV2Cases(
  vectors: Vector[],
  section: (reqs: string[], id: string) => string,
): Case[] {
  const out: Case[] = [];
  for (const v of vectors) {
    const receiver = v.inputs?.receiver;
    if (v.profile !== "v2" || v.result !== "valid" || typeof v.frame !== "string" || !receiver) {
      continue;
    }
    const r = prng(seedOf(v.id));
    const frame = unhex(v.frame);
    const frames = Array.from({ length: MUTATIONS_PER_VECTOR / 2 }, () => mutate(frame, r));
    const reqs = ["R-ERR-001", "R-V2-ORDER-001", "R-V2-FRAME-007", "R-V2-AEAD-003"];
    const id = `${v.id}/mutations`;
    out.push({
      id,
      section: section(reqs, id),
      reqs,
      profile: "v2",
      ops: ["decode_frame"],
      title: `${frames.length} mutations of ${v.id} decode as the reference decodes them`,
      run: async (ctx) => {
        const expected = frames.map((f) => referenceV2(f, receiver));
        const replies = await ctx.pipeline(
          frames.map((f) => ({ op: "decode_frame", profile: "v2", receiver, frame: hex(f) })),
        );
        return gradeDifferential(expected, replies, DECODE_FRAME_RULES);
      },
    });
  }
  return out;
}
