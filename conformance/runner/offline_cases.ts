/**
 * The offline cases: the testee protocol itself, every golden vector (decode, encode
 * byte-exact, encode-then-decode round trip, invalid frames, stateful sequences) and
 * known-answer cases for the primitives.
 *
 * @module
 */

import { type Gossip, gossipNetIds } from "../../src/wire/gossip.ts";
import type { NetId } from "../../src/wire/netid.ts";
import { NetIdTable } from "../../src/wire/netid_table.ts";
import { encodeVarint } from "../../src/wire/varint.ts";
import { xxhash32 } from "../../src/wire/xxhash32.ts";
import { diff } from "./compare.ts";
import { hex } from "./hex.ts";
import { alternativeEncoding, alternativeV2Encoding } from "./reference.ts";
import type { Case, CaseContext, Outcome } from "./types.ts";
import type { Vector } from "./vectors.ts";

/** An op name no testee implements: the probe that unknown ops answer `unsupported`. */
export const PROBE_OP = "conformance_probe_no_such_op";

/** Fields of a vector's `inputs` that describe content, not the decode context. */
const CONTENT_FIELDS = new Set([
  "gossip",
  "typeName",
  "typeTag",
  "payload",
  "extraNetIds",
  "padding",
  "records",
  "salt",
  "counter",
]);

/** The fields a decode request carries besides `frame` (the key, keyring, label, ...). */
export function decodeContext(v: Vector): Record<string, unknown> {
  if (v.decode && typeof v.decode === "object") return { ...(v.decode as Record<string, unknown>) };
  // v2 (spec/testee.md 7.2): the receiver's keyring, label and limits travel as `receiver`.
  if (v.inputs?.receiver !== undefined) return { receiver: v.inputs.receiver };
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v.inputs ?? {})) if (!CONTENT_FIELDS.has(k)) out[k] = val;
  if (v.key !== undefined && out.key === undefined) out.key = v.key;
  if (v.limits !== undefined && out.limits === undefined) out.limits = v.limits;
  return out;
}

/** What decoding a valid vector's frame must yield. */
export function expectedDecoded(v: Vector): Record<string, unknown> {
  for (const f of ["decoded", "expected"]) {
    const d = v[f];
    if (d && typeof d === "object" && !Array.isArray(d)) return d as Record<string, unknown>;
  }
  const i = v.inputs ?? {};
  const out: Record<string, unknown> = {};
  if (i.gossip !== undefined) out.gossip = i.gossip;
  if (i.records !== undefined) out.records = i.records;
  if (i.typeTag !== undefined) out.typeTag = i.typeTag;
  else if (typeof i.typeName === "string" && i.records === undefined) {
    out.typeTag = xxhash32(new TextEncoder().encode(i.typeName), 0);
  }
  if (i.payload !== undefined) out.payload = i.payload;
  return out;
}

/**
 * Error classes that are not decode errors (spec/testee.md [R-TESTEE-008]): a decoder that
 * answers one of these for an input frame has not rejected it with a decode error
 * ([R-ERR-001]); the runner grades that FAIL, not PASS-NONSTRICT.
 */
export const NOT_DECODE_ERRORS: ReadonlySet<string> = new Set([
  "BAD_REQUEST",
  "BAD_INPUT",
  "INTERNAL",
]);

/** Why an error reply is not a decode error, or undefined when it is one. */
export function notDecodeError(r: Record<string, unknown>): string | undefined {
  const c = r.errorClass;
  if (typeof c !== "string" || c === "") return "the error reply has no errorClass";
  return NOT_DECODE_ERRORS.has(c)
    ? `rejected with ${c}, which is not a decode error code`
    : undefined;
}

function errorOf(r: Record<string, unknown>): Record<string, unknown> {
  return { result: r.result, errorClass: r.errorClass, detail: r.detail };
}

function unsupported(r: Record<string, unknown>): Outcome | undefined {
  return r.result === "unsupported"
    ? { status: "UNSUPPORTED", detail: "the testee answered unsupported" }
    : undefined;
}

async function decodeValid(ctx: CaseContext, v: Vector, frame: string): Promise<Outcome> {
  const expected = expectedDecoded(v);
  const r = await ctx.call({ op: "decode_frame", profile: v.profile, ...decodeContext(v), frame });
  const u = unsupported(r);
  if (u) return u;
  if (r.result !== "ok") {
    return { status: "FAIL", expected, actual: errorOf(r), detail: "a valid frame was rejected" };
  }
  const d = diff(expected, r);
  // `table` is optional in replies (spec/testee.md 4.2); when present it must be the table.
  const table = expectedTable(v);
  if (table && Array.isArray(r.table)) d.push(...diff(table, r.table, "$.table"));
  return d.length
    ? { status: "FAIL", expected, actual: r, detail: d.slice(0, 5).join("; ") }
    : { status: "PASS" };
}

/** The NetID table a valid legacy vector's frame carries (sorted, de-duplicated). */
function expectedTable(v: Vector): NetId[] | undefined {
  const i = v.inputs;
  if (v.profile !== "legacy" || !i?.gossip) return undefined;
  try {
    return NetIdTable.build([
      ...gossipNetIds(i.gossip as Gossip),
      ...((i.extraNetIds ?? []) as NetId[]),
    ]).ids();
  } catch {
    return undefined;
  }
}

function encodeRequest(v: Vector): Record<string, unknown> {
  // The encoder gets the inputs minus the receiver (spec/testee.md 7.4).
  const { receiver: _receiver, ...inputs } = (v.encode ?? v.inputs ?? {}) as Record<
    string,
    unknown
  >;
  return { op: "encode_frame", profile: v.profile, ...inputs };
}

/** The step list of a stateful vector, or undefined when it has none. */
function stepsOf(v: Vector): Record<string, unknown>[] | undefined {
  for (const f of ["sequence", "steps", "stream"]) {
    if (Array.isArray(v[f])) return v[f] as Record<string, unknown>[];
  }
  return undefined;
}

/** Requirement tags the runner adds to a vector's cases (the testee-side rules they exercise). */
function extraReqs(v: Vector): string[] {
  if (Array.isArray(v.sequence)) return ["R-TESTEE-015"];
  if (v.result === "invalid" && v.errorClass === "TRAILING_BYTES") return ["R-TESTEE-012"];
  if (v.profile === "v2" && v.result === "valid") return ["R-TESTEE-013"];
  return [];
}

/** Cases for one vector. */
export function vectorCases(v: Vector, section: string): Case[] {
  const reqs = [...(v.reqs ?? []), ...extraReqs(v)];
  const base = { section, reqs, profile: v.profile };
  const title = v.name ?? v.comment ?? v.id;
  const cases: Case[] = [];
  const steps = stepsOf(v);
  if (steps) {
    cases.push({
      ...base,
      id: `${v.id}/stream`,
      ops: ["decode_stream"],
      title: `${title}: each frame of the sequence gets its verdict`,
      run: async (ctx) => {
        const frames = steps.map((s) => s.frame);
        const expected = steps.map((s) =>
          s.result === "invalid" || s.result === "error"
            ? { result: "error", errorClass: s.errorClass }
            : { result: "ok", ...(s.decoded && typeof s.decoded === "object" ? s.decoded : {}) }
        );
        const r = await ctx.call({
          op: "decode_stream",
          profile: v.profile,
          ...decodeContext(v),
          frames,
        });
        const u = unsupported(r);
        if (u) return u;
        const actual = r.results;
        if (r.result !== "ok" || !Array.isArray(actual)) {
          return { status: "FAIL", expected, actual: r, detail: "no results list" };
        }
        if (actual.length !== expected.length) {
          return { status: "FAIL", expected, actual, detail: "results list has the wrong length" };
        }
        let nonstrict = "";
        const fails: string[] = [];
        for (const [i, e] of expected.entries()) {
          const a = actual[i] as Record<string, unknown>;
          if (e.result === "error") {
            if (a?.result !== "error") fails.push(`step ${i}: accepted, expected ${e.errorClass}`);
            else if (notDecodeError(a)) fails.push(`step ${i}: ${notDecodeError(a)}`);
            else if (e.errorClass !== undefined && a.errorClass !== e.errorClass) {
              nonstrict += `step ${i}: errorClass ${a.errorClass}, expected ${e.errorClass}; `;
            }
          } else {
            if (a?.result !== "ok") fails.push(`step ${i}: rejected (${a?.errorClass})`);
            else fails.push(...diff(e, a, `step ${i}`));
          }
        }
        if (fails.length) {
          return { status: "FAIL", expected, actual, detail: fails.slice(0, 5).join("; ") };
        }
        return nonstrict
          ? { status: "PASS-NONSTRICT", expected, actual, detail: nonstrict.trim() }
          : { status: "PASS" };
      },
    });
    return cases;
  }
  if (typeof v.frame !== "string") return cases;
  const frame = v.frame;
  if (v.result === "invalid") {
    cases.push({
      ...base,
      id: `${v.id}/decode`,
      ops: ["decode_frame"],
      title: `${title}: rejected`,
      run: async (ctx) => {
        const expected = { result: "error", errorClass: v.errorClass };
        const r = await ctx.call({
          op: "decode_frame",
          profile: v.profile,
          ...decodeContext(v),
          frame,
        });
        const u = unsupported(r);
        if (u) return u;
        if (r.result === "ok") {
          return { status: "FAIL", expected, actual: r, detail: "an invalid frame was accepted" };
        }
        const nd = notDecodeError(r);
        if (nd) return { status: "FAIL", expected, actual: errorOf(r), detail: nd };
        if (v.errorClass !== undefined && r.errorClass !== v.errorClass) {
          return {
            status: "PASS-NONSTRICT",
            expected,
            actual: errorOf(r),
            detail: `rejected as ${r.errorClass}, the vector says ${v.errorClass}`,
          };
        }
        return { status: "PASS" };
      },
    });
    return cases;
  }
  cases.push({
    ...base,
    id: `${v.id}/decode`,
    ops: ["decode_frame"],
    title: `${title}: decodes to the vector's content`,
    run: (ctx) => decodeValid(ctx, v, frame),
  });
  if (v.inputs) {
    cases.push({
      ...base,
      id: `${v.id}/encode`,
      ops: ["encode_frame"],
      title: `${title}: encodes byte-exact`,
      run: async (ctx) => {
        const r = await ctx.call(encodeRequest(v));
        const u = unsupported(r);
        if (u) return u;
        const expected = { frame };
        if (r.result !== "ok" || typeof r.frame !== "string") {
          return { status: "FAIL", expected, actual: r, detail: "encode_frame gave no frame" };
        }
        if (r.frame.toLowerCase() === frame.toLowerCase()) return { status: "PASS" };
        const key = decodeContext(v).key;
        const why = v.profile === "v2" ? alternativeV2Encoding(v, r.frame) : alternativeEncoding(
          v.profile,
          typeof key === "string" ? key : undefined,
          frame,
          r.frame,
        );
        return why
          ? { status: "PASS-NONSTRICT", expected, actual: { frame: r.frame }, detail: why }
          : {
            status: "FAIL",
            expected,
            actual: { frame: r.frame },
            detail: `frame differs from byte ${firstDiff(frame, r.frame)}`,
          };
      },
    });
    cases.push({
      ...base,
      id: `${v.id}/roundtrip`,
      ops: ["encode_frame", "decode_frame"],
      title: `${title}: the testee decodes its own encoding to the same content`,
      run: async (ctx) => {
        const r = await ctx.call(encodeRequest(v));
        const u = unsupported(r);
        if (u) return u;
        if (r.result !== "ok" || typeof r.frame !== "string") {
          return { status: "FAIL", actual: r, detail: "encode_frame gave no frame" };
        }
        return decodeValid(ctx, v, r.frame);
      },
    });
  }
  return cases;
}

function firstDiff(a: string, b: string): number {
  const x = a.toLowerCase(), y = b.toLowerCase();
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return Math.floor(i / 2);
}

/** The protocol cases: `hello` answers its fields, an unknown op answers `unsupported`. */
export function protocolCases(section: string): Case[] {
  return [
    {
      id: "testee.hello",
      section,
      reqs: ["R-TESTEE-011", "R-TESTEE-006"],
      ops: [],
      title: "hello answers impl, profiles and ops",
      run: async (ctx) => {
        const r = await ctx.call({ op: "hello" });
        const ok = r.result === "ok" && r.impl !== undefined && Array.isArray(r.profiles) &&
          Array.isArray(r.ops);
        return ok ? { status: "PASS" } : {
          status: "FAIL",
          expected: { result: "ok", impl: "...", profiles: [], ops: [] },
          actual: r,
          detail: "hello must answer ok with impl, profiles[] and ops[]",
        };
      },
    },
    {
      id: "testee.pipelined",
      section,
      reqs: ["R-TESTEE-003", "R-TESTEE-005", "R-TESTEE-002"],
      ops: [],
      title: "three requests in one write get three replies, in order",
      run: async (ctx) => {
        const rs = await ctx.pipeline([{ op: "hello" }, { op: PROBE_OP }, { op: "hello" }]);
        const got = rs.map((r) => r.result);
        return got.join() === "ok,unsupported,ok" ? { status: "PASS" } : {
          status: "FAIL",
          expected: ["ok", "unsupported", "ok"],
          actual: got,
          detail: "replies out of order or wrong",
        };
      },
    },
    {
      id: "testee.bad-request-line",
      section,
      reqs: ["R-TESTEE-007"],
      ops: [],
      title: "a line that is not a JSON object is answered BAD_REQUEST, and the testee goes on",
      run: async (ctx) => {
        const [r] = await ctx.raw("this is not json\n", 1);
        const expected = { result: "error", errorClass: "BAD_REQUEST" };
        const d = diff(expected, r);
        if (d.length) return { status: "FAIL", expected, actual: r, detail: d.join("; ") };
        const h = await ctx.call({ op: "hello" });
        return h.result === "ok"
          ? { status: "PASS" }
          : { status: "FAIL", actual: h, detail: "hello failed after a bad line" };
      },
    },
    {
      id: "testee.exit-on-eof",
      section,
      reqs: ["R-TESTEE-004"],
      ops: [],
      title: "the testee exits with status 0 when its standard input ends",
      run: async (ctx) => {
        const code = await ctx.eof();
        return code === 0 ? { status: "PASS" } : {
          status: "FAIL",
          expected: { exitCode: 0 },
          actual: { exitCode: code ?? "did not exit in time" },
          detail: "stdin closed, but the testee did not exit with status 0",
        };
      },
    },
    {
      id: "testee.unknown-op",
      section,
      reqs: ["R-TESTEE-009"],
      ops: [],
      title: "an unknown op answers unsupported",
      run: async (ctx) => {
        const r = await ctx.call({ op: PROBE_OP, profile: "legacy" });
        return r.result === "unsupported" ? { status: "PASS" } : {
          status: "FAIL",
          expected: { result: "unsupported" },
          actual: r,
          detail: "unknown ops must answer unsupported",
        };
      },
    },
  ];
}

const XXH_KNOWN: [string, string, number][] = [
  // Known answers from the xxHash reference (seed 0), as `spec/wire.md` lists them.
  ["empty", "", 0x02cc5d05],
  ["a", "61", 0x550d7456],
  ["abc", "616263", 0x32d153ff],
  ["hello", "68656c6c6f", 0xfb0077f9],
];

/** Known-answer cases for xxhash32 and varints. `section(reqs, id)` names their section. */
export function primitiveCases(section: (reqs: string[], id: string) => string): Case[] {
  const cases: Case[] = [];
  const longInput = new Uint8Array(101).map((_, i) => (i * 31 + 7) & 0xff);
  const xxh: [string, string, number, number][] = [
    ...XXH_KNOWN.map(([n, d, h]) => [n, d, 0, h] as [string, string, number, number]),
    // Lanes path (>= 16 bytes) and a non-zero seed; the reference implementation is
    // cross-checked against xxhash-wasm in the codec's own tests.
    ["101-bytes", hex(longInput), 0, xxhash32(longInput, 0)],
    ["101-bytes-seed", hex(longInput), 0x9e3779b1, xxhash32(longInput, 0x9e3779b1)],
  ];
  for (const [name, data, seed, hash] of xxh) {
    const reqs = ["R-TAG-001"];
    const id = `known.xxhash32.${name}`;
    cases.push({
      id,
      section: section(reqs, id),
      reqs,
      ops: ["xxhash32"],
      title: `xxhash32 of ${name} (seed ${seed})`,
      run: async (ctx) => {
        const r = await ctx.call({ op: "xxhash32", data, seed });
        const u = unsupported(r);
        if (u) return u;
        return r.result === "ok" && r.hash === hash ? { status: "PASS" } : {
          status: "FAIL",
          expected: { hash },
          actual: r,
          detail: `hash ${r.hash}, expected ${hash}`,
        };
      },
    });
  }
  const values = [0, 1, 127, 128, 300, 16383, 16384, 2 ** 21, 2 ** 32 - 1, 2 ** 53 - 1];
  for (const value of values) {
    const data = hex(encodeVarint(value)[0]);
    const reqs = ["R-VARINT-001"];
    const idE = `known.varint_encode.${value}`;
    cases.push({
      id: idE,
      section: section(reqs, idE),
      reqs,
      ops: ["varint_encode"],
      title: `varint_encode ${value} = ${data}`,
      run: async (ctx) => {
        const r = await ctx.call({ op: "varint_encode", value });
        const u = unsupported(r);
        if (u) return u;
        return r.result === "ok" && typeof r.data === "string" && r.data.toLowerCase() === data
          ? { status: "PASS" }
          : {
            status: "FAIL",
            expected: { data },
            actual: r,
            detail: `data ${r.data}, expected ${data}`,
          };
      },
    });
    const idD = `known.varint_decode.${value}`;
    cases.push({
      id: idD,
      section: section(reqs, idD),
      reqs,
      ops: ["varint_decode"],
      title: `varint_decode ${data} = ${value}`,
      run: async (ctx) => {
        // A trailing byte checks that `length` counts only the varint.
        const r = await ctx.call({ op: "varint_decode", data: data + "7f" });
        const u = unsupported(r);
        if (u) return u;
        const expected = { value, length: data.length / 2 };
        const d = r.result === "ok" ? diff(expected, r) : ["rejected"];
        return d.length
          ? { status: "FAIL", expected, actual: r, detail: d.join("; ") }
          : { status: "PASS" };
      },
    });
  }
  for (const [name, data] of [["truncated", "80"], ["truncated-long", "ffff"], ["empty", ""]]) {
    const reqs = ["R-ERR-002"];
    const id = `known.varint_decode.${name}`;
    cases.push({
      id,
      section: section(reqs, id),
      reqs,
      ops: ["varint_decode"],
      title: `varint_decode of ${data || "nothing"} is an error`,
      run: async (ctx) => {
        const r = await ctx.call({ op: "varint_decode", data });
        const u = unsupported(r);
        if (u) return u;
        if (r.result === "error" && !notDecodeError(r)) return { status: "PASS" };
        return {
          status: "FAIL",
          expected: { result: "error", errorClass: "TRUNCATED" },
          actual: r,
          detail: r.result === "error" ? notDecodeError(r) : "a truncated varint was accepted",
        };
      },
    });
  }
  return cases;
}

interface XxhEntry {
  data: string;
  seed?: number;
  hash: number;
  reqs?: string[];
}
interface VarintEntry {
  field?: string;
  value?: number;
  data: string;
  errorClass?: string;
  reqs?: string[];
}

/**
 * Cases from a known-answer table (`vectors/primitives.json`): `xxhash32` entries
 * `{data, seed, hash}`, `varint.valid` entries `{field, value, data}` (encode and decode) and
 * `varint.invalid` entries `{field, data, errorClass}`. Ids are built from the entries' content.
 */
export function primitiveTableCases(
  file: string,
  table: unknown,
  section: (reqs: string[], id: string) => string,
): Case[] {
  const t = (table ?? {}) as {
    xxhash32?: XxhEntry[];
    varint?: { valid?: VarintEntry[]; invalid?: VarintEntry[] };
  };
  const stem = file.replace(/\.json$/, "");
  const cases: Case[] = [];
  const used = new Set<string>();
  const uniq = (id: string) => {
    let u = id, n = 2;
    while (used.has(u)) u = `${id}#${n++}`;
    used.add(u);
    return u;
  };
  const short = (
    h: string,
  ) => (h === "" ? "empty" : h.length > 16 ? `${h.slice(0, 16)}-len${h.length / 2}` : h);
  for (const e of t.xxhash32 ?? []) {
    const seed = e.seed ?? 0;
    const reqs = e.reqs ?? ["R-TAG-001"];
    const id = uniq(`${stem}.xxhash32.${short(e.data)}.seed${seed}`);
    cases.push({
      id,
      section: section(reqs, id),
      reqs,
      ops: ["xxhash32"],
      title: `xxhash32 of ${short(e.data)} seed ${seed}`,
      run: async (ctx) => {
        const r = await ctx.call({ op: "xxhash32", data: e.data, seed });
        const u = unsupported(r);
        if (u) return u;
        return r.result === "ok" && r.hash === e.hash ? { status: "PASS" } : {
          status: "FAIL",
          expected: { hash: e.hash },
          actual: r,
          detail: `hash ${r.hash}, expected ${e.hash}`,
        };
      },
    });
  }
  for (const e of t.varint?.valid ?? []) {
    const reqs = e.reqs ?? ["R-VARINT-001", "R-VARINT-005"];
    const field = e.field ?? "seqno";
    const idE = uniq(`${stem}.varint.${field}.${e.value}/encode`);
    cases.push({
      id: idE,
      section: section(reqs, idE),
      reqs,
      ops: ["varint_encode"],
      title: `varint_encode ${e.value} = ${e.data}`,
      run: async (ctx) => {
        const r = await ctx.call({ op: "varint_encode", value: e.value });
        const u = unsupported(r);
        if (u) return u;
        return r.result === "ok" && String(r.data).toLowerCase() === e.data ? { status: "PASS" } : {
          status: "FAIL",
          expected: { data: e.data },
          actual: r,
          detail: `data ${r.data}, expected ${e.data}`,
        };
      },
    });
    const idD = uniq(`${stem}.varint.${field}.${e.value}/decode`);
    cases.push({
      id: idD,
      section: section(reqs, idD),
      reqs,
      ops: ["varint_decode"],
      title: `varint_decode ${e.data} (${field}) = ${e.value}`,
      run: async (ctx) => {
        const r = await ctx.call({ op: "varint_decode", data: e.data, field });
        const u = unsupported(r);
        if (u) return u;
        const expected = { value: e.value, length: e.data.length / 2 };
        const d = r.result === "ok" ? diff(expected, r) : ["rejected"];
        return d.length
          ? { status: "FAIL", expected, actual: r, detail: d.join("; ") }
          : { status: "PASS" };
      },
    });
  }
  for (const e of t.varint?.invalid ?? []) {
    const reqs = e.reqs ?? ["R-VARINT-005"];
    const field = e.field ?? "seqno";
    const id = uniq(`${stem}.varint.${field}.${short(e.data)}/reject`);
    cases.push({
      id,
      section: section(reqs, id),
      reqs,
      ops: ["varint_decode"],
      title: `varint_decode ${short(e.data)} (${field}) is ${e.errorClass}`,
      run: async (ctx) => {
        const r = await ctx.call({ op: "varint_decode", data: e.data, field });
        const u = unsupported(r);
        if (u) return u;
        const expected = { result: "error", errorClass: e.errorClass };
        if (r.result !== "error") {
          return { status: "FAIL", expected, actual: r, detail: "an invalid varint was accepted" };
        }
        const nd = notDecodeError(r);
        if (nd) return { status: "FAIL", expected, actual: errorOf(r), detail: nd };
        return e.errorClass === undefined || r.errorClass === e.errorClass ? { status: "PASS" } : {
          status: "PASS-NONSTRICT",
          expected,
          actual: errorOf(r),
          detail: `rejected as ${r.errorClass}, the vectors say ${e.errorClass}`,
        };
      },
    });
  }
  return cases;
}

/** v2 `decode_frame` keeps no replay state: the same frame decodes twice. [R-TESTEE-014] */
export function statelessV2Case(
  vectors: Vector[],
  section: (reqs: string[], id: string) => string,
): Case[] {
  const v = vectors.find((x) =>
    x.profile === "v2" && x.result === "valid" && typeof x.frame === "string" && x.inputs?.receiver
  );
  if (!v) return [];
  const reqs = ["R-TESTEE-014"];
  const id = "testee.v2-decode-stateless";
  return [{
    id,
    section: section(reqs, id),
    reqs,
    profile: "v2",
    ops: ["decode_frame"],
    title: `decode_frame v2 of ${v.id} twice: both ok (no replay state between requests)`,
    run: async (ctx) => {
      const req = {
        op: "decode_frame",
        profile: "v2",
        receiver: v.inputs!.receiver,
        frame: v.frame,
      };
      const rs = await ctx.pipeline([req, req]);
      const got = rs.map((r) => r.result === "ok" ? "ok" : `${r.result} ${r.errorClass ?? ""}`);
      return got.every((g) => g === "ok") ? { status: "PASS" } : {
        status: "FAIL",
        expected: ["ok", "ok"],
        actual: got,
        detail: "a second decode_frame of the same frame was refused (replay state kept?)",
      };
    },
  }];
}

/** Cases that need a profile: request errors the testee protocol defines. */
export function profileProtocolCases(section: (reqs: string[], id: string) => string): Case[] {
  const mk = (
    id: string,
    reqs: string[],
    ops: string[],
    title: string,
    req: Record<string, unknown>,
    expected: Record<string, unknown>,
  ): Case => ({
    id,
    section: section(reqs, id),
    reqs,
    profile: "legacy",
    ops,
    title,
    run: async (ctx) => {
      const r = await ctx.call(req);
      const d = diff(expected, r);
      return d.length
        ? { status: "FAIL", expected, actual: r, detail: d.join("; ") }
        : { status: "PASS" };
    },
  });
  const gossip = (ip: string) => ({
    current: { ip, port: 1, seqno: 1 },
    seen: [],
    other: [],
    distribution: [],
  });
  return [
    mk(
      "testee.unknown-profile",
      ["R-TESTEE-010"],
      ["decode_frame"],
      "decode_frame for a profile nobody has answers unsupported",
      { op: "decode_frame", profile: "conformance-no-such-profile", key: "", frame: "ff00" },
      { result: "unsupported" },
    ),
    mk(
      "testee.bad-hex",
      ["R-TESTEE-008"],
      ["decode_frame"],
      "a frame that is not hex is BAD_REQUEST",
      { op: "decode_frame", profile: "legacy", key: "", frame: "zz" },
      { result: "error", errorClass: "BAD_REQUEST" },
    ),
    mk(
      "legacy.encode.ipv6-refused",
      ["R-NETID-005", "R-TESTEE-008"],
      ["encode_frame"],
      "a legacy encoder refuses an IPv6 NetID with BAD_INPUT",
      {
        op: "encode_frame",
        profile: "legacy",
        key: "",
        padding: "00".repeat(32),
        gossip: gossip("::1"),
        typeTag: 1,
        payload: "",
      },
      { result: "error", errorClass: "BAD_INPUT" },
    ),
    mk(
      "legacy.encode.port-range",
      ["R-NETID-001", "R-TESTEE-008"],
      ["encode_frame"],
      "a legacy encoder refuses port 65536 with BAD_INPUT",
      {
        op: "encode_frame",
        profile: "legacy",
        key: "",
        padding: "00".repeat(32),
        gossip: { ...gossip("10.0.0.1"), current: { ip: "10.0.0.1", port: 65536, seqno: 1 } },
        typeTag: 1,
        payload: "",
      },
      { result: "error", errorClass: "BAD_INPUT" },
    ),
  ];
}
