/**
 * The v2 body (the plaintext before compression): the NetID table with address families, the
 * gossip header, and one or more message records. [R-V2-BODY-001], [R-V2-NETID-001],
 * [R-V2-TABLE-001..002], [R-V2-RECORD-001..004]
 *
 * ```
 * body   = varint(n), entry * n, gossip, varint(m), record * m
 * entry  = family (4 | 6), address (4 | 16 bytes), port u16be
 * gossip = as legacy: current (ref, seqno), seen, other, distribution
 * record = varint(typeTag), varint(origin ref), varint(origin seqno), varint(len), payload(len)
 * ```
 *
 * @module
 */

import { InvalidValueError } from "../../errors.ts";
import type { ByteWriter } from "../byte_writer.ts";
import {
  MAX_SEQNO,
  MAX_UINT32,
  type V2Limits,
  VARINT32_MAX_BYTES,
  VARINT53_MAX_BYTES,
} from "../constants.ts";
import { DecodeError } from "../decode_error.ts";
import { readTableCount } from "../frame_extent.ts";
import { type Gossip, gossipNetIds, readGossip, writeGossip } from "../gossip.ts";
import type { DecodedRecord, OutgoingRecord } from "../message.ts";
import { formatIp, type NetId, parseIp } from "../netid.ts";
import { compareTableEntries, NetIdTable, type NetIdTableEntry } from "../netid_table.ts";
import { decodeVarint, varintLength } from "../varint.ts";
import { ipv4TextAt } from "../ipv4_text.ts";

/** Address family byte of an IPv4 table entry. [R-V2-NETID-001] */
export const V2_FAMILY_IPV4 = 4;
/** Address family byte of an IPv6 table entry. [R-V2-NETID-001] */
export const V2_FAMILY_IPV6 = 6;

/** Smallest encoded table entry (IPv4): family, 4 address bytes, port. */
const MIN_ENTRY_BYTES = 7;
/** Smallest encoded record: four one-byte varints and an empty payload. */
const MIN_RECORD_BYTES = 4;

// Parsing address text is the encoder's most expensive step for small frames; the same few
// addresses recur in every frame, so remember their bytes (bounded). Each parsed address also
// carries the scratch state buildV2Table uses to de-duplicate without key strings.
const PARSE_CACHE_MAX = 1024;

interface ParsedIp {
  /** Canonical text. */
  ip: string;
  /** 4 or 16 bytes. */
  addr: Uint8Array;
  /** For IPv4: the address as an unsigned 32-bit number (sort key); -1 for IPv6. */
  v4: number;
  /** buildV2Table call that last saw this address, and the ports it saw. */
  gen: number;
  ports: number[];
}

const parsed = new Map<string, ParsedIp>();
let generation = 0;

function parseCached(ip: string): ParsedIp {
  let p = parsed.get(ip);
  if (p === undefined) {
    const addr = parseIp(ip);
    const canonical = formatIp(addr);
    // Only canonical text is cached, so one address has one entry (de-duplication relies
    // on it); non-canonical text is parsed each time.
    if (canonical !== ip) return parseCached(canonical);
    p = {
      ip: canonical,
      addr,
      v4: addr.length === 4
        ? ((addr[0] << 24) | (addr[1] << 16) | (addr[2] << 8) | addr[3]) >>> 0
        : -1,
      gen: 0,
      ports: [],
    };
    if (parsed.size >= PARSE_CACHE_MAX) parsed.delete(parsed.keys().next().value!);
    parsed.set(ip, p);
  }
  return p;
}

interface Pending {
  p: ParsedIp;
  port: number;
}

function comparePending(a: Pending, b: Pending): number {
  if (a.p.v4 >= 0 && b.p.v4 >= 0) return a.p.v4 - b.p.v4 || a.port - b.port;
  return compareTableEntries(
    { id: { ip: a.p.ip, port: a.port }, addr: a.p.addr },
    { id: { ip: b.p.ip, port: b.port }, addr: b.p.addr },
  );
}

/**
 * Build the NetID table of a v2 frame from every NetID it mentions (repeats allowed).
 * Throws an `InvalidValueError` naming a bad address or port.
 *
 * @example
 * ```ts
 * import { buildV2Table } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const t = buildV2Table([{ ip: "::1", port: 1 }, { ip: "10.0.0.2", port: 1 }, { ip: "10.0.0.2", port: 1 }]);
 * assert.deepEqual(t.ids(), [{ ip: "10.0.0.2", port: 1 }, { ip: "::1", port: 1 }]); // IPv4 first
 * ```
 */
export function buildV2Table(ids: Iterable<NetId>): NetIdTable {
  // Consecutive frames often mention the same NetIDs (one gossip, the same origins): the
  // same list, value for value, gives the same (immutable) table.
  if (Array.isArray(ids) && lastTable !== undefined && ids.length === lastIps.length) {
    let same = true;
    for (let i = 0; i < ids.length && same; i++) {
      same = ids[i].ip === lastIps[i] && ids[i].port === lastPorts[i];
    }
    if (same) return lastTable;
  }
  const table = buildTable(ids);
  if (Array.isArray(ids)) {
    lastIps = ids.map((x) => x.ip);
    lastPorts = ids.map((x) => x.port);
    lastTable = table;
  }
  return table;
}

let lastTable: NetIdTable | undefined;
let lastIps: string[] = [];
let lastPorts: number[] = [];

function buildTable(ids: Iterable<NetId>): NetIdTable {
  const gen = ++generation;
  const found: Pending[] = [];
  let prevIp = "", prevPort = -1;
  for (const id of ids) {
    // Batches often repeat one origin: skip a NetID equal to the one before it.
    if (id.ip === prevIp && id.port === prevPort) continue;
    const p = parseCached(id.ip);
    const port = id.port;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new InvalidValueError(`port must be an integer in [0, 65535], got ${port}`);
    }
    prevIp = id.ip;
    prevPort = port;
    if (p.gen !== gen) {
      p.gen = gen;
      p.ports.length = 0;
    } else if (p.ports.includes(port)) continue;
    p.ports.push(port);
    found.push({ p, port });
  }
  found.sort(comparePending);
  // A table of more distinct addresses than the parse cache holds evicts entries during this
  // call, and a re-parsed address has lost its scratch state: repeats can slip through the
  // scan above. Sorted, they are adjacent: drop them here so the table is always canonical.
  // [R-V2-TABLE-001]
  const entries: NetIdTableEntry[] = [];
  let prev: Pending | undefined;
  for (const f of found) {
    if (prev && prev.port === f.port && comparePending(prev, f) === 0) continue;
    prev = f;
    entries.push({ id: { ip: f.p.ip, port: f.port }, addr: f.p.addr });
  }
  return NetIdTable.fromSorted(entries);
}

/**
 * Every NetID a frame's table must hold: gossip, record origins, extra NetIDs.
 *
 * @example
 * ```ts
 * import { v2FrameNetIds } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const me = { ip: "10.0.0.1", port: 1, seqno: 1 };
 * const origin = { ip: "10.0.0.3", port: 1, seqno: 9 };
 * const ids = v2FrameNetIds({ current: me, seen: [], other: [], distribution: [] }, [
 *   { typeTag: 1, origin, payload: new Uint8Array(0) },
 * ]);
 * assert.deepEqual(ids.map((i) => i.ip), ["10.0.0.1", "10.0.0.3"]);
 * ```
 */
export function v2FrameNetIds(
  gossip: Gossip,
  records: readonly OutgoingRecord[],
  extra: readonly NetId[] = [],
): NetId[] {
  const ids = gossipNetIds(gossip);
  for (const r of records) {
    ids.push(r.origin);
    if (r.extraNetIds) { for (const x of r.extraNetIds) ids.push(x); }
  }
  for (const x of extra) ids.push(x);
  return ids;
}

/** Bytes of one table entry as {@linkcode writeV2Body} writes it: family, address, port. */
export function v2EntryBytes(addr: Uint8Array): number {
  return 1 + addr.length + 2;
}

/**
 * Bytes of one record as {@linkcode writeV2Body} writes it, with an origin reference of
 * `refBytes` bytes.
 */
export function v2RecordBytes(
  typeTag: number,
  refBytes: number,
  seqno: number,
  payloadLength: number,
): number {
  return varintLength(typeTag) + refBytes + varintLength(seqno) + varintLength(payloadLength) +
    payloadLength;
}

/**
 * Write a v2 body. Throws `InvalidValueError` naming a bad input (no records, a tag that
 * is not 32-bit, a NetID missing from the table).
 */
export function writeV2Body(
  w: ByteWriter,
  table: NetIdTable,
  gossip: Gossip,
  records: readonly OutgoingRecord[],
): void {
  if (records.length === 0) throw new InvalidValueError("a v2 frame carries at least one record");
  w.varint(table.size);
  for (const e of table.entries) {
    w.u8(e.addr.length === 4 ? V2_FAMILY_IPV4 : V2_FAMILY_IPV6);
    w.bytes(e.addr);
    w.u16be(e.id.port);
  }
  writeGossip(w, gossip, table);
  w.varint(records.length);
  let prevIp = "", prevPort = -1, prevRef = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (!Number.isInteger(r.typeTag) || r.typeTag < 0 || r.typeTag > MAX_UINT32) {
      throw new InvalidValueError(
        `record ${i}: typeTag must be a 32-bit unsigned integer, got ${r.typeTag}`,
      );
    }
    const s = r.origin.seqno;
    if (!Number.isInteger(s) || s < 0 || s > MAX_SEQNO) {
      throw new InvalidValueError(
        `record ${i}: origin seqno must be an integer in [0, 2^53-1], got ${s}`,
      );
    }
    const payload = typeof r.payload === "function" ? r.payload(table) : r.payload;
    w.varint(r.typeTag);
    if (r.origin.ip !== prevIp || r.origin.port !== prevPort) {
      prevRef = table.indexOf(r.origin);
      prevIp = r.origin.ip;
      prevPort = r.origin.port;
    }
    w.varint(prevRef);
    w.varint(s);
    w.varint(payload.length);
    w.bytes(payload);
  }
}

/** A parsed v2 body. */
export interface V2Body {
  /** The NetID table, in table order. */
  table: NetId[];
  /** The gossip header. */
  gossip: Gossip;
  /** The records; payloads are views into the body. */
  records: DecodedRecord[];
}

function readTable(buf: Uint8Array, limits: V2Limits): [NetId[], number] {
  const [n, start] = readTableCount(buf, limits.maxTableEntries, MIN_ENTRY_BYTES);
  const ids: NetId[] = new Array(n);
  let o = start;
  let prevFam = 0, prevAt = 0;
  for (let i = 0; i < n; i++) {
    const at = o;
    if (o >= buf.length) {
      throw new DecodeError(
        "TRUNCATED",
        o,
        `NetID table entry ${i} starts past the end of the body`,
        "gossip",
      );
    }
    const fam = buf[o];
    const len = fam === V2_FAMILY_IPV4 ? 4 : fam === V2_FAMILY_IPV6 ? 16 : 0;
    if (len === 0) {
      throw new DecodeError(
        "BAD_NETID",
        at,
        `NetID table entry ${i} has address family ${fam}, expected 4 or 6`,
        "gossip",
      );
    }
    if (o + 1 + len + 2 > buf.length) {
      throw new DecodeError(
        "TRUNCATED",
        buf.length,
        `NetID table entry ${i} needs ${1 + len + 2} bytes, ${buf.length - o} left`,
        "gossip",
      );
    }
    // Strictly increasing: family, then address bytes, then port (address and port are
    // adjacent big-endian bytes, so one byte-wise comparison covers both). [R-V2-TABLE-001]
    if (i > 0) {
      let cmp = fam - prevFam;
      for (let k = 1; cmp === 0 && k <= len + 2; k++) cmp = buf[at + k] - buf[prevAt + k];
      if (cmp <= 0) {
        throw new DecodeError(
          "TABLE_NOT_CANONICAL",
          at,
          `NetID table entry ${i} is not greater than entry ${
            i - 1
          } (table must be sorted, no repeats)`,
          "gossip",
        );
      }
    }
    prevFam = fam;
    prevAt = at;
    o += 1;
    ids[i] = {
      ip: len === 4 ? ipv4TextAt(buf, o) : formatIp(buf.subarray(o, o + len)),
      port: (buf[o + len] << 8) | buf[o + len + 1],
    };
    o += len + 2;
  }
  return [ids, o];
}

/** Where the varint fastVarint read last ends. */
let fastEnd = 0;

/**
 * A minimal varint of at most `maxBytes` bytes and at most `maxValue` at `buf[o]`, without
 * allocating (the end goes to `fastEnd`); -1 when it is anything else (truncated, overlong,
 * too large), for decodeVarint to report.
 */
function fastVarint(buf: Uint8Array, o: number, maxBytes: number, maxValue: number): number {
  let b = buf[o];
  if (b < 0x80) {
    fastEnd = o + 1;
    return b;
  }
  let value = b & 0x7f, scale = 0x80;
  for (let i = 1; i < maxBytes; i++) {
    b = buf[o + i];
    if (b === undefined) return -1;
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (b === 0 || value > maxValue) return -1;
      fastEnd = o + i + 1;
      return value;
    }
    scale *= 0x80;
  }
  return -1;
}

/**
 * Parse a v2 body (after decryption and decompression). Throws {@linkcode DecodeError} with
 * `layer` "gossip".
 */
export function readV2Body(buf: Uint8Array, limits: V2Limits): V2Body {
  const [table, afterTable] = readTable(buf, limits);
  let o: number;
  let gossip: Gossip;
  [gossip, o] = readGossip(buf, afterTable, table, limits, "gossip");
  const countAt = o;
  let m: number;
  [m, o] = decodeVarint(buf, o, VARINT32_MAX_BYTES, MAX_UINT32, "gossip");
  if (m < 1 || m > limits.maxRecords) {
    throw new DecodeError(
      "RECORD_LIMIT",
      countAt,
      `record count ${m}, must be 1 to ${limits.maxRecords}`,
      "gossip",
    );
  }
  if (m * MIN_RECORD_BYTES > buf.length - o) {
    throw new DecodeError(
      "TRUNCATED",
      buf.length,
      `${m} records need at least ${m * MIN_RECORD_BYTES} bytes, ${buf.length - o} left`,
      "gossip",
    );
  }
  const records: DecodedRecord[] = new Array(m);
  // Varints are read without allocating (fastVarint); anything it does not accept plainly
  // (truncated, overlong, too large) goes to decodeVarint, which throws the right error.
  let v: number;
  for (let i = 0; i < m; i++) {
    let tag: number, ref: number, seqno: number, len: number;
    if ((v = fastVarint(buf, o, VARINT32_MAX_BYTES, MAX_UINT32)) >= 0) {
      tag = v;
      o = fastEnd;
    } else [tag, o] = decodeVarint(buf, o, VARINT32_MAX_BYTES, MAX_UINT32, "gossip");
    const refAt = o;
    if ((v = buf[o]) < 0x80) {
      ref = v;
      o++;
    } else [ref, o] = decodeVarint(buf, o, VARINT32_MAX_BYTES, MAX_UINT32, "gossip");
    if (ref >= table.length) {
      throw new DecodeError(
        "TABLE_REF_OUT_OF_RANGE",
        refAt,
        `record ${i}: origin reference ${ref} but the table has ${table.length} entries`,
        "gossip",
      );
    }
    if ((v = fastVarint(buf, o, VARINT53_MAX_BYTES, MAX_SEQNO)) >= 0) {
      seqno = v;
      o = fastEnd;
    } else [seqno, o] = decodeVarint(buf, o, VARINT53_MAX_BYTES, MAX_SEQNO, "gossip");
    const lenAt = o;
    if ((v = fastVarint(buf, o, VARINT32_MAX_BYTES, MAX_UINT32)) >= 0) {
      len = v;
      o = fastEnd;
    } else [len, o] = decodeVarint(buf, o, VARINT32_MAX_BYTES, MAX_UINT32, "gossip");
    if (len > buf.length - o) {
      throw new DecodeError(
        "TRUNCATED",
        lenAt,
        `record ${i}: payload length ${len} but ${buf.length - o} bytes left in the body`,
        "gossip",
      );
    }
    const id = table[ref];
    records[i] = {
      typeTag: tag,
      origin: { ip: id.ip, port: id.port, seqno },
      payload: buf.subarray(o, o + len),
    };
    o += len;
  }
  if (o !== buf.length) {
    throw new DecodeError(
      "TRAILING_BYTES",
      o,
      `${buf.length - o} bytes after the last record`,
      "gossip",
    );
  }
  return { table, gossip, records };
}
