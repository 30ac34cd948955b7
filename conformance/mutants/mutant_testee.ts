/**
 * A legacy-profile testee built directly on the reference codec, with one deliberate bug
 * switched on by `--mutant NAME` (or none, `--mutant none`, the control). The mutants prove
 * that the conformance runner catches each class of bug: a test runs the runner against
 * each and asserts which cases fail.
 *
 * ```
 * deno run conformance/mutants/mutant_testee.ts --mutant trailing-accepted
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ByteWriter } from "../../src/wire/byte_writer.ts";
import {
  DEFAULT_LIMITS,
  LEGACY_PADDING_BYTES,
  MAX_SEQNO,
  MAX_UINT32,
  VARINT32_MAX_BYTES,
} from "../../src/wire/constants.ts";
import { DecodeError } from "../../src/wire/decode_error.ts";
import { type Gossip, gossipNetIds, readGossip, writeGossip } from "../../src/wire/gossip.ts";
import { legacyCrypt } from "../../src/wire/legacy_cipher.ts";
import {
  decodeLegacyGossip,
  decryptLegacyFrame,
  encodeLegacyFrameLayers,
  LEGACY_NETID_BYTES,
  legacyFrameLength,
  openLegacyPlaintext,
} from "../../src/wire/legacy_frame.ts";
import { formatIp, type NetId, netIdKey, parseIp } from "../../src/wire/netid.ts";
import { NetIdTable } from "../../src/wire/netid_table.ts";
import { snappyCompress, snappyDecompress } from "../../src/wire/snappy.ts";
import { decodeVarint, encodeVarint } from "../../src/wire/varint.ts";
import { typeTag as tagOf, xxhash32 } from "../../src/wire/xxhash32.ts";
import { hex, unhex } from "../runner/hex.ts";
import type { TesteeRequest } from "../testee/ops.ts";
import { MEMBERSHIP_OPS } from "../testee/ops_membership.ts";
import { errorReply } from "../testee/server.ts";
import { v2OpsModule } from "../testee/ops_v2.ts";

/** The mutants, each one bug, with what it breaks. */
export const MUTANTS: Readonly<Record<string, string>> = {
  "none": "no bug: the control",
  "varint-group-order": "varints with the high 7-bit group first",
  "unsorted-table": "NetID table in first-use order; decoder accepts any order and repeats",
  "checksum-compressed": "checksum over the compressed bytes instead of the uncompressed gossip",
  "trailing-accepted": "bytes after the frame are ignored",
  "ignore-checksum": "the checksum is not checked (accepts tampered frames)",
  "no-ref-check": "table references are not range-checked",
  "no-size-check": "the size field is not compared with the snappy block (like 0.0.15)",
  "crash-on-short":
    "the process exits on a frame shorter than 8 bytes (runner must grade ERROR and go on)",
  "internal-errors": "decode errors are answered INTERNAL instead of their decode error code",
  "replay-accepted":
    "v2 decode_stream decodes every frame as the first of its session (no replay window)",
};

/** The reference v2 ops (the mutants change legacy behaviour, and v2 replay handling). */
const V2 = v2OpsModule().ops;
/** The reference membership ops, served unchanged. */
const MEMBERSHIP = MEMBERSHIP_OPS.ops;

type Reply = Record<string, unknown>;

function u32be(n: number): Uint8Array {
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/** Encrypt a plaintext into a legacy frame (start byte, length varint, ciphertext). */
function seal(key: Uint8Array, pt: Uint8Array): Uint8Array {
  const w = new ByteWriter(pt.length + 8);
  w.u8(0xff);
  w.varint(pt.length);
  w.bytes(legacyCrypt(key, pt));
  return w.finish();
}

function plaintextOf(padding: Uint8Array, checksum: number, size: number, block: Uint8Array) {
  const w = new ByteWriter(block.length + 48);
  w.bytes(padding);
  w.bytes(u32be(checksum));
  w.varint(size);
  w.bytes(block);
  return w.finish();
}

function encode(req: Reply, mutant: string): Reply {
  const key = unhex(String(req.key));
  const padding = unhex(String(req.padding));
  const gossip = req.gossip as Gossip;
  const payload = unhex(String(req.payload ?? ""));
  const extraNetIds = (req.extraNetIds ?? []) as NetId[];
  const typeTag = typeof req.typeName === "string" ? tagOf(req.typeName) : Number(req.typeTag);
  if (mutant === "unsorted-table") {
    // First-use order instead of sorted order.
    const entries = new Map<string, { id: NetId; addr: Uint8Array }>();
    for (const id of [...gossipNetIds(gossip), ...extraNetIds]) {
      if (parseIp(id.ip).length !== 4) throw new TypeError(`legacy carries IPv4 only: ${id.ip}`);
      if (!Number.isInteger(id.port) || id.port < 0 || id.port > 65535) {
        throw new RangeError(`port out of range: ${id.port}`);
      }
      const k = netIdKey({ ip: formatIp(parseIp(id.ip)), port: id.port });
      if (!entries.has(k)) entries.set(k, { id, addr: parseIp(id.ip) });
    }
    const table = NetIdTable.fromSorted([...entries.values()]);
    const g = new ByteWriter();
    g.varint(table.size);
    for (const e of table.entries) {
      g.bytes(e.addr);
      g.u16be(e.id.port);
    }
    writeGossip(g, gossip, table);
    g.varint(typeTag);
    g.bytes(payload);
    const bytes = g.finish();
    const pt = plaintextOf(padding, xxhash32(bytes, 0), bytes.length, snappyCompress(bytes));
    return { result: "ok", frame: hex(seal(key, pt)) };
  }
  const layers = encodeLegacyFrameLayers({ key, padding, gossip, typeTag, payload, extraNetIds });
  if (mutant === "checksum-compressed") {
    const pt = plaintextOf(
      padding,
      xxhash32(layers.compressed, 0),
      layers.gossip.length,
      layers.compressed,
    );
    return { result: "ok", frame: hex(seal(key, pt)) };
  }
  return { result: "ok", frame: hex(layers.frame) };
}

/** Open the plaintext with the mutant's checks (the reference's when the mutant is elsewhere). */
function open(pt: Uint8Array, mutant: string): Uint8Array {
  if (!["checksum-compressed", "ignore-checksum", "no-size-check"].includes(mutant)) {
    return openLegacyPlaintext(pt).gossip;
  }
  const head = LEGACY_PADDING_BYTES + 4;
  if (pt.length < head) throw new DecodeError("TRUNCATED", pt.length, "short plaintext");
  const checksum = ((pt[32] << 24) | (pt[33] << 16) | (pt[34] << 8) | pt[35]) >>> 0;
  const [size, after] = decodeVarint(pt, head, VARINT32_MAX_BYTES, MAX_UINT32, "plaintext");
  const block = pt.subarray(after);
  if (mutant === "no-size-check") {
    const gossip = snappyDecompress(block, DEFAULT_LIMITS.maxUncompressedBytes, "plaintext", after);
    if (xxhash32(gossip, 0) !== checksum) {
      throw new DecodeError("CHECKSUM_MISMATCH", 32, "checksum");
    }
    return gossip;
  }
  if (size > DEFAULT_LIMITS.maxUncompressedBytes) throw new DecodeError("SIZE_LIMIT", head, "size");
  const gossip = snappyDecompress(block, size, "plaintext", after);
  if (gossip.length !== size) throw new DecodeError("SIZE_MISMATCH", after, "size");
  if (mutant === "checksum-compressed" && xxhash32(block, 0) !== checksum) {
    throw new DecodeError("CHECKSUM_MISMATCH", 32, "checksum over the compressed block");
  }
  return gossip;
}

function parseGossip(bytes: Uint8Array, mutant: string) {
  if (mutant !== "unsorted-table" && mutant !== "no-ref-check") return decodeLegacyGossip(bytes);
  const [n, start] = decodeVarint(bytes, 0, VARINT32_MAX_BYTES, MAX_UINT32, "gossip");
  if (n * LEGACY_NETID_BYTES > bytes.length - start) {
    throw new DecodeError("TRUNCATED", bytes.length, "table", "gossip");
  }
  const ids: NetId[] = [];
  let o = start;
  let prev = -1;
  for (let i = 0; i < n; i++, o += 6) {
    const key = bytes[o] * 2 ** 40 + bytes[o + 1] * 2 ** 32 + bytes[o + 2] * 2 ** 24 +
      bytes[o + 3] * 2 ** 16 + bytes[o + 4] * 256 + bytes[o + 5];
    if (mutant !== "unsorted-table" && key <= prev) {
      throw new DecodeError("TABLE_NOT_CANONICAL", o, "unsorted", "gossip");
    }
    prev = key;
    ids.push({ ip: formatIp(bytes.subarray(o, o + 4)), port: (bytes[o + 4] << 8) | bytes[o + 5] });
  }
  const table: NetId[] = mutant === "no-ref-check"
    ? new Proxy(ids, {
      get(t, p) {
        if (p === "length") return MAX_UINT32 + 1;
        const i = typeof p === "string" ? Number(p) : NaN;
        if (Number.isInteger(i)) return t[i] ?? { ip: "0.0.0.0", port: 0 };
        return Reflect.get(t, p);
      },
    })
    : ids;
  const [g, after] = readGossip(bytes, o, table, DEFAULT_LIMITS, "gossip");
  const [tag, afterTag] = decodeVarint(bytes, after, VARINT32_MAX_BYTES, MAX_UINT32, "gossip");
  return { gossip: g, typeTag: tag, payload: bytes.subarray(afterTag) };
}

function decode(req: Reply, mutant: string): Reply {
  const key = unhex(String(req.key));
  let frame = unhex(String(req.frame));
  if (mutant === "crash-on-short" && frame.length < 8) Deno.exit(3);
  if (mutant === "trailing-accepted") {
    const total = legacyFrameLength(frame, 0);
    if (total !== undefined && frame.length > total) frame = frame.subarray(0, total);
  }
  const pt = decryptLegacyFrame(frame, key);
  const f = parseGossip(open(pt, mutant), mutant);
  return { result: "ok", gossip: f.gossip, typeTag: f.typeTag, payload: hex(f.payload) };
}

function varintEncode(value: number, mutant: string): Uint8Array {
  const bytes = encodeVarint(value)[0].slice();
  if (mutant !== "varint-group-order") return bytes;
  // Groups high first; the continuation bits stay where a reader expects them.
  const groups = [...bytes].map((b) => b & 0x7f).reverse();
  return new Uint8Array(groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
}

function varintDecode(data: Uint8Array, mutant: string, field: unknown): [number, number] {
  // spec/testee.md 4.6: "u32" is 5 bytes up to 2^32-1; "seqno" (default) 8 bytes up to 2^53-1.
  if (mutant !== "varint-group-order") {
    return field === "u32"
      ? decodeVarint(data, 0, VARINT32_MAX_BYTES, MAX_UINT32)
      : decodeVarint(data, 0, 8, MAX_SEQNO);
  }
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (i >= data.length) throw new DecodeError("TRUNCATED", i, "varint");
    value = value * 128 + (data[i] & 0x7f);
    if (data[i] < 0x80) return [value, i + 1];
  }
  throw new DecodeError("VARINT_OVERLONG", 0, "varint");
}

/** Handle one request as the given mutant. */
export async function handle(req: Reply, mutant: string): Promise<Reply> {
  const profile = req.profile;
  // The reference ops (membership, v2) answer through the reference server's error mapping.
  try {
    if (typeof req.op === "string" && MEMBERSHIP[req.op]) {
      return await MEMBERSHIP[req.op](req as TesteeRequest);
    }
    if (profile === "v2" && typeof req.op === "string" && V2[req.op]) {
      const r = req as TesteeRequest;
      if (mutant === "replay-accepted" && req.op === "decode_stream") {
        // Each frame through the stateless decoder: replays and old counters pass.
        const results = [];
        for (const frame of (req.frames ?? []) as string[]) {
          try {
            results.push(await V2.decode_frame({ ...r, op: "decode_frame", frame }));
          } catch (e) {
            results.push(errorReply(e));
          }
        }
        return { result: "ok", results };
      }
      return await V2[req.op](r);
    }
  } catch (e) {
    return errorReply(e);
  }
  try {
    switch (req.op) {
      case "hello":
        return {
          result: "ok",
          impl: { name: "chatter-mutant", mutant },
          profiles: ["legacy", "v2"],
          ops: [
            "hello",
            "decode_frame",
            "encode_frame",
            "decode_stream",
            "xxhash32",
            "varint_encode",
            "varint_decode",
            ...Object.keys(MEMBERSHIP),
          ],
        };
      case "decode_frame":
        if (profile !== "legacy") break;
        return decode(req, mutant);
      case "encode_frame":
        if (profile !== "legacy") break;
        return encode(req, mutant);
      case "xxhash32":
        return { result: "ok", hash: xxhash32(unhex(String(req.data)), Number(req.seed ?? 0)) };
      case "varint_encode":
        return { result: "ok", data: hex(varintEncode(Number(req.value), mutant)) };
      case "varint_decode": {
        const [value, length] = varintDecode(unhex(String(req.data)), mutant, req.field);
        return { result: "ok", value, length };
      }
    }
    return { result: "unsupported" };
  } catch (e) {
    if (e instanceof DecodeError) {
      const cls = mutant === "internal-errors" ? "INTERNAL" : e.code;
      return { result: "error", errorClass: cls, detail: e.message };
    }
    // Hex that is not hex is a bad request; anything else the encoder refuses is bad input.
    const msg = String((e as Error).message);
    const cls = /^not a hex string/.test(msg) ? "BAD_REQUEST" : "BAD_INPUT";
    return { result: "error", errorClass: cls, detail: msg };
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { mutant: { type: "string", default: "none" }, help: { type: "boolean" } },
  });
  if (values.help || !(values.mutant! in MUTANTS)) {
    console.log(
      "Usage: mutant_testee.ts --mutant NAME   (a testee with one deliberate bug)\n\n" +
        Object.entries(MUTANTS).map(([k, v]) => `  ${k.padEnd(20)} ${v}`).join("\n"),
    );
    Deno.exit(values.help ? 0 : 2);
  }
  const mutant = values.mutant!;
  const enc = new TextEncoder();
  let buf = "";
  const dec = new TextDecoder();
  for await (const chunk of Deno.stdin.readable) {
    buf += dec.decode(chunk, { stream: true });
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      let req: Reply | undefined;
      try {
        req = JSON.parse(line);
      } catch { /* answered below */ }
      const reply = req && typeof req === "object" && typeof req.op === "string"
        ? { id: req.id, ...(await handle(req, mutant)) }
        : {
          id: req?.id ?? null,
          result: "error",
          errorClass: "BAD_REQUEST",
          detail: "not a request",
        };
      // Deno.stdout.write may write part of a buffer: loop until all of it is out.
      let out = enc.encode(JSON.stringify(reply) + "\n");
      while (out.length) out = out.subarray(await Deno.stdout.write(out));
    }
  }
}
