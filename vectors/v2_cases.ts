/**
 * Golden vector cases of the v2 profile (`vectors/v2.json`). Every random input (keys, salt,
 * counter) is declared, so frames are byte-exact. An invalid case declares how its bytes are
 * crafted: a crafted body or sealed plaintext is sealed again (so the frame authenticates and
 * the intended later check is the one that fails); a crafted header is sealed with the crafted
 * header as associated data; a crafted frame is changed after sealing (tampering). Stateful
 * cases carry a sequence of frames with the verdict for each. The generator decodes every case
 * with the library and refuses to build a file in which a case does not come out as declared.
 *
 * Case ids are stable and spec-section based; never reuse or renumber one.
 *
 * @module
 */

import { createHash } from "node:crypto";
import {
  buildV2Table,
  DecodeError,
  type DecodeErrorCode,
  type DecodeErrorLayer,
  decodeV2Frame,
  DEFAULT_V2_LIMITS,
  deriveV2SessionKey,
  encodeV2FrameLayers,
  encodeVarint,
  type Gossip,
  type NetId,
  snappyCompress,
  typeTag as tagOf,
  V2_FLAG_BOUND,
  V2_FLAG_SNAPPY,
  V2_HEADER_BYTES,
  V2_MAX_CLOCK_SKEW_MS as DEFAULT_V2_SKEW,
  V2_TAG_BYTES,
  V2_VERSION,
  type V2Compression,
  V2Decoder,
  v2FitsDatagram,
  v2FrameNetIds,
  V2Keyring,
  type V2Limits,
  v2Nonce,
  v2ReceiverBinding,
  v2Seal,
} from "../src/wire/mod.ts";
import { writeV2Body } from "../src/wire/v2/body.ts";
import { ByteWriter } from "../src/wire/byte_writer.ts";
import {
  decodedToJson,
  hex,
  keyringToJson,
  type V2KeyringJson,
  type V2ReceiverJson,
  type V2RecordJson,
  type V2StepJson,
} from "./v2_json.ts";
import { cat } from "./craft.ts";
import type { VectorSuite } from "./suite.ts";

// ---- helpers ------------------------------------------------------------------------------

const utf8 = (s: string) => new TextEncoder().encode(s);

/** Deterministic bytes named by a string: SHA-256 in counter mode. */
export function namedBytes(name: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0, o = 0; o < n; i++) {
    const h = createHash("sha256").update(`${name}#${i}`).digest();
    const take = Math.min(32, n - o);
    out.set(h.subarray(0, take), o);
    o += take;
  }
  return out;
}

const vi = (v: number) => encodeVarint(v)[0].slice();

function flip(b: Uint8Array, byte: number, bit = 0): Uint8Array {
  const c = b.slice();
  c[byte < 0 ? c.length + byte : byte] ^= 1 << bit;
  return c;
}

function setU32(b: Uint8Array, o: number, v: number): Uint8Array {
  const c = b.slice();
  c[o] = v >>> 24;
  c[o + 1] = (v >>> 16) & 0xff;
  c[o + 2] = (v >>> 8) & 0xff;
  c[o + 3] = v & 0xff;
  return c;
}

function getU32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

function setByte(b: Uint8Array, o: number, v: number): Uint8Array {
  const c = b.slice();
  c[o] = v;
  return c;
}

// ---- case shapes --------------------------------------------------------------------------

/** A key of the vector keyrings. */
interface KeyDef {
  id: number;
  key: Uint8Array;
}

/** One record before encoding. */
interface RecordDef {
  typeName?: string;
  typeTag?: number;
  origin: { ip: string; port: number; seqno: number };
  payload: Uint8Array;
}

/** What a v2 case is encoded from. */
export interface V2Base {
  /** Sender's keyring keys. */
  keys: KeyDef[];
  /** Sender's primary key id (default: first key). */
  primary?: number;
  /** Key id that seals (default: primary). */
  keyId?: number;
  /** Cluster label. */
  label: string;
  /** Salt (default: named bytes of the case id). */
  salt?: Uint8Array;
  /** Frame counter. */
  counter: bigint;
  /** Gossip header. */
  gossip: Gossip;
  /** Records. */
  records: RecordDef[];
  /** Extra NetIDs. */
  extraNetIds?: NetId[];
  /** Compression requested (default snappy). */
  compression?: V2Compression;
  /** Sealed time, ms since the Unix epoch (default {@linkcode SEALED}). */
  sealedAt?: number;
  /** The receiver a TCP frame is bound to (absent: an unbound, multicast frame). */
  to?: NetId;
  /**
   * The receiver (default: the sender's keyring and label, default limits; its NetID is `to`,
   * so a bound frame arrives by stream and an unbound one as a datagram; its clock reads
   * {@linkcode NOW}, its start time is {@linkcode START}).
   */
  receiver?: {
    keys?: KeyDef[];
    primary?: number;
    label?: string;
    limits?: Partial<V2Limits>;
    /** The receiver's own NetID (null: it receives the frame as a datagram). */
    netId?: NetId | null;
    now?: number;
    startTime?: number;
    maxClockSkewMs?: number;
  };
}

/** How an invalid case is crafted. */
export interface V2Craft {
  /** Rewrite the uncompressed body (then compressed as requested, and sealed). */
  body?: (b: Uint8Array) => Uint8Array;
  /** Rewrite the bytes that are sealed (after compression). */
  plaintext?: (p: Uint8Array) => Uint8Array;
  /** Rewrite the header before sealing (it is the associated data). */
  header?: (h: Uint8Array) => Uint8Array;
  /** Seal with this key instead of the keyring's. */
  sealKey?: Uint8Array;
  /** Seal under this label instead of the case label. */
  sealLabel?: string;
  /** Rewrite the sealed frame (tampering in transit). */
  frame?: (f: Uint8Array) => Uint8Array;
}

/** A stateless case. */
interface CaseDef {
  id: string;
  name: string;
  reqs: string[];
  comment: string;
  base: V2Base;
  craft?: V2Craft;
  error?: { code: DecodeErrorCode; layer: DecodeErrorLayer };
}

/** One step of a sequence case: changes to the base, and the expected verdict. */
interface StepDef {
  counter: bigint;
  sealedAt?: number;
  salt?: Uint8Array;
  keyId?: number;
  craft?: V2Craft;
  error?: DecodeErrorCode;
}

/** A stateful case: frames fed to one receiver in order. */
interface SequenceDef {
  id: string;
  name: string;
  reqs: string[];
  comment: string;
  base: V2Base;
  steps: StepDef[];
}

/** One stateless case as written to `v2.json`. */
export interface V2Vector {
  /** Stable id. */
  id: string;
  /** Short name. */
  name: string;
  /** Requirement tags. */
  reqs: string[];
  /** Explanation. */
  comment: string;
  /** Always "v2". */
  profile: "v2";
  /** Declared inputs: sender side and receiver side. */
  inputs: {
    keyring: V2KeyringJson;
    keyId: number;
    label: string;
    salt: string;
    counter: string;
    sealedAt: number;
    to?: NetId;
    gossip: Gossip;
    records: V2RecordJson[];
    extraNetIds: NetId[];
    compression: V2Compression;
    receiver: V2ReceiverJson;
  };
  /** Intermediate layers (for invalid cases: as crafted). */
  layers: {
    body: string;
    compressed: boolean;
    plaintext: string;
    header: string;
    associatedData: string;
    sessionKey: string;
    nonce: string;
    tag: string;
    fitsDatagram: boolean;
  };
  /** The frame, hex (absent in sequence cases: see `sequence`). */
  frame?: string;
  /** Frames fed in order to one receiver, with the verdict for each (stateful cases). */
  sequence?: V2StepJson[];
  /** Whether a receiver must accept the frame (sequence cases: the last step's verdict). */
  result: "valid" | "invalid";
  /** For invalid cases: the decode error code (sequence cases: the last step's). */
  errorClass?: DecodeErrorCode;
  /** For valid stateless cases: what the decoder returns. */
  decoded?: ReturnType<typeof decodedToJson>;
}

// ---- inputs -------------------------------------------------------------------------------

const KEY_A: KeyDef = { id: 1, key: namedBytes("chatter v2 vector key A", 32) };
const KEY_B: KeyDef = { id: 2, key: namedBytes("chatter v2 vector key B", 32) };
const KEY_C0: KeyDef = { id: 0, key: namedBytes("chatter v2 vector key C", 32) };
const KEY_D255: KeyDef = { id: 255, key: namedBytes("chatter v2 vector key D", 32) };
const KEY_A_OTHER: KeyDef = { id: 1, key: namedBytes("chatter v2 vector key A'", 32) };

/** Default sealed time of the vectors: 2026-01-01T00:00:00Z. */
export const SEALED = 1_767_225_600_000;
/** The receivers' clock in the vectors: 250 ms after {@linkcode SEALED}. */
export const NOW = SEALED + 250;
/** The receivers' start time in the vectors: 10 minutes before {@linkcode SEALED}. */
export const START = SEALED - 600_000;
/** The skew tolerance of the vectors (the default). */
const SKEW = DEFAULT_V2_SKEW;

const bid = (ip: string, port: number, seqno: number) => ({ ip, port, seqno });
const nid = (ip: string, port: number): NetId => ({ ip, port });

const ME4 = bid("10.0.0.1", 29999, 1);
/** The receivers of the binding cases. */
const RX_A = nid("10.0.0.2", 29999);
const RX_B = nid("10.0.0.3", 29999);
const ME6 = bid("2001:db8::1", 29999, 1);

const GOSSIP4: Gossip = {
  current: ME4,
  seen: [],
  other: [],
  distribution: [nid("10.0.0.2", 29999), nid("10.0.0.3", 29999)],
};
const GOSSIP6: Gossip = {
  current: ME6,
  seen: [],
  other: [],
  distribution: [nid("2001:db8::2", 29999), nid("fe80::1", 30000)],
};
const GOSSIP_FULL: Gossip = {
  current: bid("192.168.1.10", 4000, 77),
  seen: [bid("192.168.1.11", 4000, 5), bid("2001:db8::11", 4000, 9)],
  other: [nid("192.168.1.12", 4000), nid("::1", 1)],
  distribution: [nid("2001:db8::12", 4000), nid("10.1.2.3", 65535), nid("192.168.1.11", 4000)],
};

const hello = (origin = ME4, payload: Uint8Array = utf8("world")): RecordDef => ({
  typeName: "hello",
  origin,
  payload,
});

const BASE4: V2Base = {
  keys: [KEY_A],
  label: "prod",
  counter: 0n,
  gossip: GOSSIP4,
  records: [hello()],
  compression: "none",
};

const COMPRESSIBLE = utf8("the quick brown fox jumps over the lazy dog; ".repeat(4));

const BASE_SNAPPY: V2Base = {
  ...BASE4,
  compression: "snappy",
  records: [hello(ME4, COMPRESSIBLE)],
};

function manyRecords(n: number, size: number, name: string, origins = [ME4]): RecordDef[] {
  const out: RecordDef[] = [];
  for (let i = 0; i < n; i++) {
    const o = origins[i % origins.length];
    out.push({
      typeName: i % 3 === 0 ? "hello" : "state",
      origin: { ...o, seqno: o.seqno + i },
      payload: namedBytes(`${name}/payload/${i}`, size),
    });
  }
  return out;
}

// ---- body crafting: where the fields of a simple body lie ---------------------------------

/**
 * Rebuild a body from parts, for crafted bodies: table bytes, gossip bytes, the record count
 * varint and the record bytes. Used with BASE4 (table of 3 IPv4 entries).
 */
function body4(opts: {
  table?: Uint8Array;
  gossip?: Uint8Array;
  count?: Uint8Array;
  records?: Uint8Array;
  trailer?: Uint8Array;
}): Uint8Array {
  const entry = (a: number[], port: number) => cat(4, a, port >> 8, port & 0xff);
  const table = opts.table ??
    cat(
      3,
      entry([10, 0, 0, 1], 29999),
      entry([10, 0, 0, 2], 29999),
      entry([10, 0, 0, 3], 29999),
    );
  // current = ref 0, seqno 1; no seen, no other; distribution [1, 2]
  const gossip = opts.gossip ?? cat(0, 1, 0, 0, 2, 1, 2);
  const rec = opts.records ?? cat(vi(tagOf("hello")), 0, 1, 5, utf8("world"));
  return cat(table, gossip, opts.count ?? 1, rec, opts.trailer ?? new Uint8Array(0));
}

// ---- the stateless cases -----------------------------------------------------------------

const TAG = vi(tagOf("hello"));

const V = (
  id: string,
  name: string,
  reqs: string[],
  comment: string,
  base: V2Base,
): CaseDef => ({ id, name, reqs, comment, base });

const X = (
  id: string,
  name: string,
  reqs: string[],
  comment: string,
  base: V2Base,
  craft: V2Craft,
  code: DecodeErrorCode,
  layer: DecodeErrorLayer = "frame",
): CaseDef => ({ id, name, reqs, comment, base, craft, error: { code, layer } });

const VALID: CaseDef[] = [
  V(
    "v2.valid.ipv4.one",
    "one IPv4 record, uncompressed",
    [
      "R-V2-FRAME-001",
      "R-V2-BODY-001",
      "R-V2-RECORD-001",
      "R-V2-AEAD-001",
    ],
    "The basic frame: one record, compression none.",
    BASE4,
  ),
  V(
    "v2.valid.ipv4.snappy",
    "one IPv4 record, snappy",
    ["R-V2-COMP-001"],
    "A repetitive payload: the snappy block is shorter, so the frame is compressed.",
    BASE_SNAPPY,
  ),
  V(
    "v2.valid.ipv4.snappy-no-gain",
    "snappy requested, no gain",
    ["R-V2-COMP-001"],
    "Random payload: compression would not shrink the body, so the encoder sends it uncompressed (flag 0).",
    { ...BASE4, compression: "snappy", records: [hello(ME4, namedBytes("nogain", 40))] },
  ),
  V(
    "v2.valid.ipv6.one",
    "one IPv6 record",
    [
      "R-V2-NETID-001",
    ],
    "IPv6 NetIDs: family 6, 16 address bytes.",
    {
      ...BASE4,
      gossip: GOSSIP6,
      records: [hello(ME6)],
    },
  ),
  V("v2.valid.ipv6.snappy", "IPv6, snappy", ["R-V2-NETID-001", "R-V2-COMP-001"], "", {
    ...BASE4,
    compression: "snappy",
    gossip: GOSSIP6,
    records: [hello(ME6, COMPRESSIBLE)],
  }),
  V(
    "v2.valid.mixed-families",
    "IPv4 and IPv6 in one table",
    [
      "R-V2-TABLE-001",
    ],
    "IPv4 entries sort before IPv6 entries.",
    {
      ...BASE4,
      gossip: GOSSIP_FULL,
      records: [hello(bid("2001:db8::11", 4000, 3)), hello(bid("192.168.1.11", 4000, 4))],
    },
  ),
  V(
    "v2.valid.gossip.full",
    "seen, other and distribution lists",
    [
      "R-V2-BODY-001",
    ],
    "",
    { ...BASE4, gossip: GOSSIP_FULL, records: [hello(bid("192.168.1.10", 4000, 77))] },
  ),
  V(
    "v2.valid.many.8",
    "8 records, 3 origins",
    ["R-V2-RECORD-001", "R-V2-IDENT-001"],
    "Batched records from several origins; each keeps its origin BroadcastID.",
    {
      ...BASE4,
      records: manyRecords(8, 20, "many8", [ME4, bid("10.0.0.2", 29999, 100), ME6]),
    },
  ),
  V(
    "v2.valid.many.64.none",
    "64 records of 100 bytes, uncompressed",
    [
      "R-V2-RECORD-001",
    ],
    "",
    { ...BASE4, records: manyRecords(64, 100, "many64") },
  ),
  V(
    "v2.valid.many.64.snappy",
    "64 records of 100 bytes, snappy",
    ["R-V2-COMP-001"],
    "Random payloads but repeated record headers: snappy still shrinks the body a little.",
    { ...BASE4, compression: "snappy", records: manyRecords(64, 100, "many64") },
  ),
  V("v2.valid.many.64.text", "64 text records, snappy", ["R-V2-COMP-001"], "", {
    ...BASE4,
    compression: "snappy",
    records: manyRecords(64, 0, "t").map((r, i) => ({
      ...r,
      payload: utf8(`{"n":${i},"v":"ok"}`),
    })),
  }),
  V(
    "v2.valid.payload.empty",
    "empty payload",
    ["R-V2-RECORD-001"],
    "Payload length 0.",
    { ...BASE4, records: [hello(ME4, new Uint8Array(0))] },
  ),
  V(
    "v2.valid.payload.300",
    "payload of 300 bytes",
    [
      "R-V2-RECORD-001",
    ],
    "Two-byte payload length varint.",
    {
      ...BASE4,
      records: [hello(ME4, namedBytes("p300", 300))],
    },
  ),
  V(
    "v2.valid.key.id0",
    "key id 0",
    ["R-V2-KEY-001"],
    "",
    { ...BASE4, keys: [KEY_C0] },
  ),
  V("v2.valid.key.id255", "key id 255", ["R-V2-KEY-001"], "", { ...BASE4, keys: [KEY_D255] }),
  V(
    "v2.valid.key.secondary",
    "sealed with the receiver's secondary key",
    ["R-V2-KEY-001", "R-V2-KEY-003"],
    "The receiver's primary key is 1; it also accepts key 2, which the sender uses.",
    {
      ...BASE4,
      keys: [KEY_A, KEY_B],
      primary: 2,
      receiver: { keys: [KEY_A, KEY_B], primary: 1 },
    },
  ),
  V(
    "v2.valid.key.explicit-non-primary",
    "sender seals with a non-primary key id",
    ["R-V2-KEY-001"],
    "The sender's primary is 1 but the frame is sealed with key id 2 (explicit keyId).",
    { ...BASE4, keys: [KEY_A, KEY_B], primary: 1, keyId: 2 },
  ),
  V(
    "v2.valid.key.three",
    "receiver holds three keys",
    ["R-V2-KEY-003"],
    "",
    { ...BASE4, keys: [KEY_D255], receiver: { keys: [KEY_A, KEY_B, KEY_D255], primary: 1 } },
  ),
  V("v2.valid.label.empty", "empty label", ["R-V2-LABEL-001"], "", { ...BASE4, label: "" }),
  V("v2.valid.label.utf8", "non-ASCII label", ["R-V2-LABEL-001"], "", {
    ...BASE4,
    label: "prod-€-ü",
  }),
  V("v2.valid.label.255", "label of 255 bytes", ["R-V2-LABEL-001"], "", {
    ...BASE4,
    label: "x".repeat(255),
  }),
  V(
    "v2.valid.counter.2^32",
    "counter 2^32",
    [
      "R-V2-AEAD-002",
    ],
    "The counter's high half is non-zero.",
    {
      ...BASE4,
      counter: 0x1_0000_0000n,
    },
  ),
  V(
    "v2.valid.counter.max",
    "counter 2^64-1",
    [
      "R-V2-SESSION-004",
    ],
    "The last counter of a session.",
    {
      ...BASE4,
      counter: 0xffff_ffff_ffff_ffffn,
    },
  ),
  V("v2.valid.counter.big", "counter above 2^53", ["R-V2-AEAD-002"], "", {
    ...BASE4,
    counter: 0x0123_4567_89ab_cdefn,
  }),
  V("v2.valid.salt.zero", "all-zero salt", ["R-V2-SESSION-001"], "", {
    ...BASE4,
    salt: new Uint8Array(16),
  }),
  V("v2.valid.seqno.max", "sequence numbers 2^53-1", ["R-V2-RECORD-001"], "", {
    ...BASE4,
    gossip: { ...GOSSIP4, current: { ...ME4, seqno: 2 ** 53 - 1 } },
    records: [hello({ ...ME4, seqno: 2 ** 53 - 1 })],
  }),
  V("v2.valid.tag.max", "type tag 2^32-1 and 0", ["R-V2-RECORD-001"], "", {
    ...BASE4,
    records: [
      { typeTag: 0xffff_ffff, origin: ME4, payload: utf8("a") },
      { typeTag: 0, origin: ME4, payload: utf8("b") },
    ],
  }),
  V("v2.valid.ports", "ports 0 and 65535", ["R-V2-NETID-001"], "", {
    ...BASE4,
    gossip: { ...GOSSIP4, distribution: [nid("10.0.0.1", 0), nid("10.0.0.1", 65535)] },
  }),
  V(
    "v2.valid.ipv4-mapped",
    "IPv4-mapped IPv6 address",
    [
      "R-V2-NETID-001",
    ],
    "::ffff:10.0.0.1 (canonical text ::ffff:a00:1) is an IPv6 NetID (family 6), distinct from 10.0.0.1.",
    {
      ...BASE4,
      gossip: { ...GOSSIP4, other: [nid("::ffff:a00:1", 29999)] },
    },
  ),
  V(
    "v2.valid.forwarded",
    "forwarded records",
    [
      "R-V2-IDENT-001",
    ],
    "The records' origins differ from the sender's current BroadcastID: they are forwarded unchanged.",
    {
      ...BASE4,
      records: [hello(bid("172.16.0.9", 1234, 42)), hello(bid("2001:db8::99", 1234, 43))],
    },
  ),
  V(
    "v2.valid.extra-netids",
    "extra NetIDs in the table",
    ["R-V2-TABLE-001"],
    "NetIDs the payload refers to join the table.",
    { ...BASE4, extraNetIds: [nid("10.9.9.9", 1), nid("2001:db8::9", 2)] },
  ),
  V(
    "v2.valid.duplicate-records",
    "the same origin twice",
    ["R-V2-IDENT-001"],
    "The codec carries duplicates; delivering once is the receiver node's job.",
    { ...BASE4, records: [hello(), hello()] },
  ),
  V(
    "v2.valid.datagram.large",
    "frame larger than a datagram",
    [
      "R-V2-LIMIT-003",
    ],
    "Valid, but over 1400 bytes: sent over TCP only (fitsDatagram false).",
    {
      ...BASE4,
      records: [hello(ME4, namedBytes("large", 1500))],
    },
  ),
  V(
    "v2.bind.ipv4",
    "TCP frame bound to an IPv4 receiver",
    ["R-V2-BIND-001", "R-V2-BIND-002"],
    "Flag bit 1 set; the associated data is the header and 04 0a000002 752f.",
    { ...BASE4, to: RX_A },
  ),
  V(
    "v2.bind.ipv6",
    "TCP frame bound to an IPv6 receiver",
    ["R-V2-BIND-001"],
    "The associated data ends with 06, 16 address bytes and the port.",
    { ...BASE4, to: nid("2001:db8::2", 29999) },
  ),
  V(
    "v2.bind.snappy",
    "bound and compressed",
    ["R-V2-BIND-001", "R-V2-COMP-001"],
    "Flags 03.",
    { ...BASE_SNAPPY, to: RX_A },
  ),
  V(
    "v2.time.edge.ahead",
    "sealed exactly the tolerance ahead of the receiver's clock",
    ["R-V2-TIME-002"],
    "",
    { ...BASE4, sealedAt: NOW + SKEW },
  ),
  V(
    "v2.time.edge.behind",
    "sealed exactly the tolerance behind the receiver's clock",
    ["R-V2-TIME-002"],
    "",
    { ...BASE4, sealedAt: NOW - SKEW },
  ),
  V(
    "v2.time.edge.start",
    "sealed exactly at the receiver's start time",
    ["R-V2-TIME-003"],
    "",
    { ...BASE4, receiver: { startTime: SEALED } },
  ),
  V(
    "v2.time.large",
    "sealed time above 2^32 ms in both halves",
    ["R-V2-TIME-001"],
    "Both 32-bit halves of the field are non-zero; the receiver's clock agrees.",
    {
      ...BASE4,
      sealedAt: 2 ** 52 + 2 ** 32 + 5,
      receiver: { now: 2 ** 52 + 2 ** 32, startTime: 0 },
    },
  ),
];

const INVALID: CaseDef[] = [
  // -- header: start byte, version, header length, flags
  X("v2.header.start.c6", "wrong start byte", ["R-V2-FRAME-001"], "", BASE4, {
    frame: (f) => setByte(f, 0, 0xc6),
  }, "BAD_START_BYTE"),
  X(
    "v2.header.start.legacy",
    "legacy start byte to a v2-only receiver",
    ["R-V2-FRAME-001"],
    "",
    BASE4,
    { frame: (f) => setByte(f, 0, 0xff) },
    "BAD_START_BYTE",
  ),
  X(
    "v2.header.version.2",
    "version 2 (the 0.1 drafts)",
    ["R-V2-FRAME-002"],
    "Version 2 had no sealed time and no binding; a version 3 receiver does not implement it.",
    BASE4,
    { header: (h) => setByte(h, 1, 2) },
    "UNKNOWN_VERSION",
  ),
  X("v2.header.version.4", "version 4", ["R-V2-FRAME-002"], "", BASE4, {
    header: (h) => setByte(h, 1, 4),
  }, "UNKNOWN_VERSION"),
  X("v2.header.version.1", "version 1", ["R-V2-FRAME-002"], "", BASE4, {
    header: (h) => setByte(h, 1, 1),
  }, "UNKNOWN_VERSION"),
  X("v2.header.version.255", "version 255", ["R-V2-FRAME-002"], "", BASE4, {
    header: (h) => setByte(h, 1, 255),
  }, "UNKNOWN_VERSION"),
  X("v2.header.hlen.37", "header length 37 (version 2's)", ["R-V2-FRAME-003"], "", BASE4, {
    header: (h) => setByte(h, 2, 37),
  }, "BAD_HEADER_LENGTH"),
  X("v2.header.hlen.44", "header length 44", ["R-V2-FRAME-003"], "", BASE4, {
    header: (h) => setByte(h, 2, 44),
  }, "BAD_HEADER_LENGTH"),
  X("v2.header.hlen.46", "header length 46", ["R-V2-FRAME-003"], "", BASE4, {
    header: (h) => setByte(h, 2, 46),
  }, "BAD_HEADER_LENGTH"),
  X("v2.header.flags.04", "flag bit 2", ["R-V2-FRAME-004"], "", BASE4, {
    header: (h) => setByte(h, 3, 0x04),
  }, "BAD_FLAGS"),
  X("v2.header.flags.80", "flag bit 7", ["R-V2-FRAME-004"], "", BASE4, {
    header: (h) => setByte(h, 3, 0x80),
  }, "BAD_FLAGS"),
  X("v2.header.flags.05", "snappy and bit 2", ["R-V2-FRAME-004"], "", BASE_SNAPPY, {
    header: (h) => setByte(h, 3, 0x05),
  }, "BAD_FLAGS"),
  // -- truncation in every header field and after
  ...[
    [0, "empty"],
    [1, "start byte only"],
    [2, "through the version"],
    [3, "through the header length"],
    [4, "through the flags"],
    [5, "through the key id"],
    [13, "inside the salt"],
    [25, "inside the counter"],
    [31, "inside the ciphertext length"],
    [35, "inside the uncompressed length"],
    [40, "inside the sealed time"],
    [45, "header only"],
  ].map(([n, what]) =>
    X(
      `v2.trunc.${n}`,
      `truncated: ${what}`,
      ["R-V2-FRAME-005", "R-ERR-002"],
      `The frame cut to its first ${n} bytes.`,
      BASE4,
      { frame: (f) => f.slice(0, n as number) },
      "TRUNCATED",
    )
  ),
  X(
    "v2.trunc.ciphertext",
    "truncated inside the ciphertext",
    [
      "R-V2-FRAME-005",
    ],
    "",
    BASE4,
    { frame: (f) => f.slice(0, V2_HEADER_BYTES + 3) },
    "TRUNCATED",
  ),
  X("v2.trunc.tag", "last tag byte missing", ["R-V2-FRAME-005"], "", BASE4, {
    frame: (f) => f.slice(0, f.length - 1),
  }, "TRUNCATED"),
  X("v2.trailing.byte", "one byte after the tag", ["R-V2-FRAME-005"], "", BASE4, {
    frame: (f) => cat(f, 0),
  }, "TRAILING_BYTES"),
  X(
    "v2.length.ct-plus-one",
    "ciphertext length one too large",
    ["R-V2-FRAME-005"],
    "The header announces one more byte than the datagram holds.",
    BASE4,
    { header: (h) => setU32(h, 29, getU32(h, 29) + 1) },
    "TRUNCATED",
  ),
  X(
    "v2.length.ct-minus-one",
    "ciphertext length one too small",
    ["R-V2-FRAME-005"],
    "",
    BASE4,
    { header: (h) => setU32(h, 29, getU32(h, 29) - 1) },
    "TRAILING_BYTES",
  ),
  X(
    "v2.length.ct-huge",
    "ciphertext length over the frame limit",
    ["R-V2-LIMIT-001", "R-LIMIT-001"],
    "",
    BASE4,
    { header: (h) => setU32(h, 29, 0xffff_ff00) },
    "FRAME_TOO_LARGE",
  ),
  X(
    "v2.limit.frame",
    "frame over a small frame limit",
    [
      "R-V2-LIMIT-001",
    ],
    "The receiver's maxFrameBytes is 64.",
    {
      ...BASE4,
      receiver: { limits: { maxFrameBytes: 64 } },
    },
    {},
    "FRAME_TOO_LARGE",
  ),
  X(
    "v2.size.over-limit",
    "uncompressed length over the limit",
    ["R-V2-COMP-002", "R-V2-LIMIT-001"],
    "Header says 2^20+1 uncompressed bytes; rejected before decryption.",
    BASE_SNAPPY,
    { header: (h) => setU32(h, 33, 1_048_577) },
    "SIZE_LIMIT",
  ),
  X(
    "v2.size.mismatch-uncompressed",
    "uncompressed frame with a different uncompressed length",
    ["R-V2-FRAME-006"],
    "Flag 0 requires uncompressed length = ciphertext length.",
    BASE4,
    { header: (h) => setU32(h, 33, getU32(h, 29) + 1) },
    "SIZE_MISMATCH",
  ),
  X(
    "v2.size.ratio",
    "declared ratio over the limit",
    ["R-V2-COMP-002"],
    "Uncompressed length over 32 times the ciphertext length.",
    BASE_SNAPPY,
    { header: (h) => setU32(h, 33, getU32(h, 29) * 32 + 1) },
    "RATIO_LIMIT",
  ),
  X(
    "v2.size.limit-small",
    "compressed body over a small receiver limit",
    ["R-V2-COMP-002"],
    "The receiver's maxUncompressedBytes is 64; the body is larger.",
    { ...BASE_SNAPPY, receiver: { limits: { maxUncompressedBytes: 64 } } },
    {},
    "SIZE_LIMIT",
  ),
  // -- keys and labels
  X(
    "v2.key.unknown",
    "unknown key id",
    ["R-V2-KEY-002"],
    "Sealed with key 2; the receiver holds only key 1. Rejected without decryption.",
    { ...BASE4, keys: [KEY_B], receiver: { keys: [KEY_A], primary: 1 } },
    {},
    "UNKNOWN_KEY_ID",
  ),
  X(
    "v2.key.unknown-255",
    "unknown key id 255",
    ["R-V2-KEY-002"],
    "",
    { ...BASE4, keys: [KEY_D255], receiver: { keys: [KEY_A, KEY_B], primary: 1 } },
    {},
    "UNKNOWN_KEY_ID",
  ),
  X(
    "v2.key.wrong-id",
    "key id changed to another known key",
    ["R-V2-KEY-002", "R-V2-AEAD-003"],
    "Sealed with key 1, header changed in transit to key 2 which the receiver also holds.",
    { ...BASE4, keys: [KEY_A, KEY_B], primary: 1 },
    { frame: (f) => setByte(f, 4, 2) },
    "AUTH_FAILED",
  ),
  X(
    "v2.key.wrong-key",
    "same id, different key",
    ["R-V2-AEAD-003"],
    "Sender and receiver hold different keys under id 1.",
    { ...BASE4, receiver: { keys: [KEY_A_OTHER], primary: 1 } },
    {},
    "AUTH_FAILED",
  ),
  X(
    "v2.label.wrong",
    "wrong cluster label",
    ["R-V2-LABEL-002"],
    "Sealed under label 'prod', received under 'staging' with the same key.",
    { ...BASE4, receiver: { label: "staging" } },
    {},
    "AUTH_FAILED",
  ),
  X(
    "v2.label.empty-vs-set",
    "empty label against 'prod'",
    ["R-V2-LABEL-002"],
    "",
    { ...BASE4, label: "", receiver: { label: "prod" } },
    {},
    "AUTH_FAILED",
  ),
  X(
    "v2.label.case",
    "label differing in case",
    ["R-V2-LABEL-002"],
    "Labels compare as bytes.",
    { ...BASE4, receiver: { label: "Prod" } },
    {},
    "AUTH_FAILED",
  ),
  // -- tampering (after sealing)
  ...([
    ["salt.first", 5, 0, "first salt bit"],
    ["salt.last", 20, 7, "last salt bit"],
    ["counter.low", 28, 0, "counter low bit"],
    ["counter.high", 21, 7, "counter high bit"],
    ["ct.first", V2_HEADER_BYTES, 0, "first ciphertext bit"],
    ["ct.mid", V2_HEADER_BYTES + 10, 3, "a middle ciphertext bit"],
    ["ct.last", -V2_TAG_BYTES - 1, 7, "last ciphertext bit"],
    ["tag.first", -V2_TAG_BYTES, 0, "first tag bit"],
    ["tag.last", -1, 7, "last tag bit"],
  ] as const).map(([what, byte, bit, name]) =>
    X(
      `v2.tamper.${what}`,
      `flipped ${name}`,
      ["R-V2-AEAD-003"],
      "One bit flipped in transit.",
      BASE4,
      { frame: (f) => flip(f, byte, bit) },
      "AUTH_FAILED",
    )
  ),
  X(
    "v2.tamper.ulen",
    "flipped uncompressed-length bit of a compressed frame",
    ["R-V2-AEAD-003"],
    "Still within limits, so authentication catches it.",
    BASE_SNAPPY,
    { frame: (f) => flip(f, 36, 0) },
    "AUTH_FAILED",
  ),
  X(
    "v2.tamper.flag-on",
    "snappy flag set in transit",
    ["R-V2-AEAD-003"],
    "An uncompressed frame marked compressed: lengths stay consistent, authentication fails.",
    BASE4,
    { frame: (f) => setByte(f, 3, V2_FLAG_SNAPPY) },
    "AUTH_FAILED",
  ),
  X("v2.tamper.tag-zero", "all-zero tag", ["R-V2-AEAD-003"], "", BASE4, {
    frame: (f) => cat(f.subarray(0, f.length - 16), new Uint8Array(16)),
  }, "AUTH_FAILED"),
  X(
    "v2.tamper.swap-body",
    "header of one frame, ciphertext of another",
    ["R-V2-AEAD-003"],
    "The ciphertext and tag of the same record sealed at counter 1, under this frame's header (counter 0).",
    BASE4,
    {
      frame: (f) => {
        const other =
          buildFrame({ ...BASE4, salt: namedBytes("v2.tamper.swap-body", 16), counter: 1n }).frame;
        return cat(f.subarray(0, V2_HEADER_BYTES), other.subarray(V2_HEADER_BYTES));
      },
    },
    "AUTH_FAILED",
  ),
  X(
    "v2.seal.wrong-label",
    "sealed under another label",
    ["R-V2-LABEL-002"],
    "",
    BASE4,
    { sealLabel: "other" },
    "AUTH_FAILED",
  ),
  // -- body (authentic, malformed)
  X(
    "v2.body.record-len-beyond",
    "record length beyond the body",
    ["R-V2-RECORD-003"],
    "The payload length says 6, five bytes remain.",
    BASE4,
    { body: () => body4({ records: cat(TAG, 0, 1, 6, utf8("world")) }) },
    "TRUNCATED",
    "gossip",
  ),
  X(
    "v2.body.record-count-0",
    "no records",
    ["R-V2-RECORD-002", "R-V2-LIMIT-002"],
    "",
    BASE4,
    { body: () => body4({ count: vi(0), records: new Uint8Array(0) }) },
    "RECORD_LIMIT",
    "gossip",
  ),
  X(
    "v2.body.record-count-over",
    "record count over the limit",
    ["R-V2-LIMIT-002"],
    "4097 records announced, limit 4096: rejected before the bytes-left check.",
    BASE4,
    { body: () => body4({ count: vi(4097) }) },
    "RECORD_LIMIT",
    "gossip",
  ),
  X(
    "v2.body.record-count-small-limit",
    "two records, receiver limit one",
    ["R-V2-LIMIT-002"],
    "",
    { ...BASE4, records: [hello(), hello()], receiver: { limits: { maxRecords: 1 } } },
    {},
    "RECORD_LIMIT",
    "gossip",
  ),
  X(
    "v2.body.record-count-beyond",
    "record count beyond the bytes left",
    ["R-V2-RECORD-003", "R-ERR-002"],
    "3 records announced, one present.",
    BASE4,
    { body: () => body4({ count: vi(3) }) },
    "TRUNCATED",
    "gossip",
  ),
  X(
    "v2.body.trailing",
    "bytes after the last record",
    ["R-V2-RECORD-004"],
    "",
    BASE4,
    { body: () => body4({ trailer: cat(0) }) },
    "TRAILING_BYTES",
    "gossip",
  ),
  X(
    "v2.body.family-5",
    "address family 5",
    ["R-V2-NETID-001"],
    "",
    BASE4,
    {
      body: (b) => setByte(b, 1, 5),
    },
    "BAD_NETID",
    "gossip",
  ),
  X(
    "v2.body.family-0",
    "address family 0",
    ["R-V2-NETID-001"],
    "",
    BASE4,
    {
      body: (b) => setByte(b, 8, 0),
    },
    "BAD_NETID",
    "gossip",
  ),
  X(
    "v2.body.table-v6-first",
    "IPv6 entry before IPv4",
    ["R-V2-TABLE-001"],
    "",
    BASE4,
    {
      body: () =>
        body4({
          table: cat(2, 6, namedBytes("v6", 16), 0, 1, 4, 10, 0, 0, 1, 0x75, 0x2f),
          gossip: cat(1, 1, 0, 0, 0),
          records: cat(TAG, 1, 1, 0),
        }),
    },
    "TABLE_NOT_CANONICAL",
    "gossip",
  ),
  X(
    "v2.body.table-repeat",
    "repeated table entry",
    ["R-V2-TABLE-001"],
    "",
    BASE4,
    {
      body: () =>
        body4({
          table: cat(2, 4, 10, 0, 0, 1, 0x75, 0x2f, 4, 10, 0, 0, 1, 0x75, 0x2f),
          gossip: cat(0, 1, 0, 0, 0),
          records: cat(TAG, 0, 1, 0),
        }),
    },
    "TABLE_NOT_CANONICAL",
    "gossip",
  ),
  X(
    "v2.body.table-port-order",
    "same address, ports descending",
    ["R-V2-TABLE-001"],
    "",
    BASE4,
    {
      body: () =>
        body4({
          table: cat(2, 4, 10, 0, 0, 1, 0x75, 0x30, 4, 10, 0, 0, 1, 0x75, 0x2f),
          gossip: cat(0, 1, 0, 0, 0),
          records: cat(TAG, 0, 1, 0),
        }),
    },
    "TABLE_NOT_CANONICAL",
    "gossip",
  ),
  X(
    "v2.body.table-limit",
    "table count over the limit",
    ["R-V2-LIMIT-001", "R-LIMIT-002"],
    "",
    BASE4,
    { body: () => cat(vi(4097), new Uint8Array(8)) },
    "TABLE_LIMIT",
    "gossip",
  ),
  X(
    "v2.body.table-beyond",
    "table count beyond the bytes left",
    ["R-ERR-002"],
    "",
    BASE4,
    { body: () => cat(vi(50), new Uint8Array(20)) },
    "TRUNCATED",
    "gossip",
  ),
  X(
    "v2.body.table-v6-cut",
    "IPv6 entry cut short",
    ["R-V2-NETID-001", "R-ERR-002"],
    "The count check passes (7 bytes per entry) but the IPv6 entry needs 19.",
    BASE4,
    { body: () => cat(1, 6, new Uint8Array(10)) },
    "TRUNCATED",
    "gossip",
  ),
  X(
    "v2.body.table-entry-past-end",
    "second entry starts past the end",
    ["R-V2-NETID-001", "R-ERR-002"],
    "Two entries announced; the first (IPv6, 19 bytes) uses every byte, so the second is missing.",
    BASE4,
    { body: () => cat(2, 6, namedBytes("v6", 16), 0, 1) },
    "TRUNCATED",
    "gossip",
  ),
  X(
    "v2.body.current-ref",
    "current reference out of range",
    ["R-V2-TABLE-002"],
    "",
    BASE4,
    { body: () => body4({ gossip: cat(3, 1, 0, 0, 0) }) },
    "TABLE_REF_OUT_OF_RANGE",
    "gossip",
  ),
  X(
    "v2.body.origin-ref",
    "record origin reference out of range",
    ["R-V2-TABLE-002"],
    "",
    BASE4,
    { body: () => body4({ records: cat(TAG, 3, 1, 5, utf8("world")) }) },
    "TABLE_REF_OUT_OF_RANGE",
    "gossip",
  ),
  X(
    "v2.body.origin-seqno-overflow",
    "origin seqno 2^53",
    ["R-VARINT-004"],
    "",
    BASE4,
    {
      body: () =>
        body4({ records: cat(TAG, 0, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10], 0) }),
    },
    "VARINT_OVERFLOW",
    "gossip",
  ),
  X(
    "v2.body.tag-overflow",
    "type tag 2^32",
    ["R-VARINT-004"],
    "",
    BASE4,
    { body: () => body4({ records: cat([0x80, 0x80, 0x80, 0x80, 0x10], 0, 1, 0) }) },
    "VARINT_OVERFLOW",
    "gossip",
  ),
  X(
    "v2.body.len-overlong",
    "overlong payload length varint",
    ["R-VARINT-003"],
    "",
    BASE4,
    { body: () => body4({ records: cat(TAG, 0, 1, [0x85, 0x00], utf8("world")) }) },
    "VARINT_OVERLONG",
    "gossip",
  ),
  X(
    "v2.body.seen-limit",
    "seen list over the limit",
    ["R-LIMIT-003"],
    "",
    BASE4,
    { body: () => body4({ gossip: cat(0, 1, vi(4097)) }) },
    "LIST_LIMIT",
    "gossip",
  ),
  X(
    "v2.body.empty",
    "empty body",
    ["R-ERR-002"],
    "An authentic frame with an empty plaintext.",
    BASE4,
    { body: () => new Uint8Array(0) },
    "TRUNCATED",
    "gossip",
  ),
  // -- compression (authentic, malformed)
  X(
    "v2.comp.corrupt",
    "corrupt snappy block",
    ["R-V2-COMP-002", "R-ENV-006"],
    "A copy whose offset points before the start of the output.",
    BASE_SNAPPY,
    { plaintext: (p) => cat(p.subarray(0, 1), 0x01, 0x05, p.subarray(1)) },
    "SNAPPY_CORRUPT",
    "plaintext",
  ),
  X(
    "v2.comp.declared-mismatch",
    "snappy block declares another length",
    ["R-V2-COMP-002"],
    "The block's own length varint differs from the header's uncompressed length.",
    BASE_SNAPPY,
    { plaintext: (p) => flip(p, 0, 0) },
    "SIZE_MISMATCH",
    "plaintext",
  ),
  X(
    "v2.comp.empty-block",
    "empty snappy block",
    ["R-V2-COMP-002"],
    "Compressed flag with zero ciphertext bytes (uncompressed length 0).",
    BASE_SNAPPY,
    { plaintext: () => new Uint8Array(0), header: (h) => setU32(h, 33, 0) },
    "SNAPPY_CORRUPT",
    "plaintext",
  ),
  // -- receiver binding [R-V2-BIND-001..002]
  X(
    "v2.bind.other-receiver",
    "TCP frame for one receiver offered to another",
    ["R-V2-BIND-001", "R-V2-BIND-002"],
    "Bound to 10.0.0.2:29999, received on a stream by 10.0.0.3:29999.",
    { ...BASE4, to: RX_A, receiver: { netId: RX_B } },
    {},
    "AUTH_FAILED",
  ),
  X(
    "v2.bind.other-port",
    "TCP frame for another port of the same address",
    ["R-V2-BIND-001"],
    "",
    { ...BASE4, to: RX_A, receiver: { netId: nid("10.0.0.2", 30000) } },
    {},
    "AUTH_FAILED",
  ),
  X(
    "v2.bind.mapped",
    "IPv4 receiver and its IPv4-mapped IPv6 form",
    ["R-V2-BIND-001", "R-V2-NETID-001"],
    "The binding is the NetID's table entry: ::ffff:10.0.0.2 is a different NetID.",
    { ...BASE4, to: RX_A, receiver: { netId: nid("::ffff:10.0.0.2", 29999) } },
    {},
    "AUTH_FAILED",
  ),
  X(
    "v2.bind.as-datagram",
    "bound frame arriving as a datagram",
    ["R-V2-BIND-002"],
    "",
    { ...BASE4, to: RX_A, receiver: { netId: null } },
    {},
    "BINDING_MISMATCH",
  ),
  X(
    "v2.bind.unbound-on-stream",
    "multicast frame arriving on a stream",
    ["R-V2-BIND-002"],
    "",
    { ...BASE4, receiver: { netId: RX_A } },
    {},
    "BINDING_MISMATCH",
  ),
  X(
    "v2.bind.flag-cleared",
    "bound flag cleared in transit, sent as a datagram",
    ["R-V2-BIND-001", "R-V2-AEAD-003"],
    "A TCP frame cannot be turned into a multicast frame: the flag is authenticated.",
    { ...BASE4, to: RX_A, receiver: { netId: null } },
    { frame: (f) => setByte(f, 3, f[3] & ~V2_FLAG_BOUND) },
    "AUTH_FAILED",
  ),
  X(
    "v2.bind.flag-set",
    "bound flag set in transit on a multicast frame",
    ["R-V2-BIND-001", "R-V2-AEAD-003"],
    "",
    { ...BASE4, receiver: { netId: RX_A } },
    { frame: (f) => setByte(f, 3, f[3] | V2_FLAG_BOUND) },
    "AUTH_FAILED",
  ),
  // -- sealed time [R-V2-TIME-001..003]
  X(
    "v2.time.future",
    "sealed one ms beyond the tolerance ahead",
    ["R-V2-TIME-002"],
    "",
    { ...BASE4, sealedAt: NOW + SKEW + 1 },
    {},
    "CLOCK_SKEW",
  ),
  X(
    "v2.time.stale",
    "sealed one ms beyond the tolerance ago",
    ["R-V2-TIME-002"],
    "A frame recorded more than the tolerance ago, replayed.",
    { ...BASE4, sealedAt: NOW - SKEW - 1 },
    {},
    "CLOCK_SKEW",
  ),
  X(
    "v2.time.custom-tolerance",
    "a receiver with a 100 ms tolerance",
    ["R-V2-TIME-002"],
    "Sealed 250 ms before the receiver's clock.",
    { ...BASE4, receiver: { maxClockSkewMs: 100 } },
    {},
    "CLOCK_SKEW",
  ),
  X(
    "v2.time.before-start",
    "sealed before the receiver started",
    ["R-V2-TIME-003"],
    "A frame recorded before the receiver restarted (1 ms after the sealed time), replayed.",
    { ...BASE4, to: RX_A, receiver: { startTime: SEALED + 1 } },
    {},
    "BEFORE_START",
  ),
  X(
    "v2.time.tampered",
    "sealed time changed in transit",
    ["R-V2-TIME-001", "R-V2-AEAD-003"],
    "The sealed time is authenticated: moving it forward by 1 ms fails authentication.",
    BASE4,
    { frame: (f) => setByte(f, 44, f[44] + 1) },
    "AUTH_FAILED",
  ),
];

// ---- sequence cases -----------------------------------------------------------------------

const SALT_S = namedBytes("v2.seq/salt-S", 16);
const SALT_T = namedBytes("v2.seq/salt-T", 16);
const SALT_U = namedBytes("v2.seq/salt-U", 16);

const SEQ_BASE: V2Base = { ...BASE4, salt: SALT_S };

const SEQUENCES: SequenceDef[] = [
  {
    id: "v2.replay.bound",
    name: "a bound TCP frame twice to its receiver",
    reqs: ["R-V2-REPLAY-001", "R-V2-BIND-001"],
    comment: "Binding does not replace the replay window: the second copy is a replay.",
    base: { ...SEQ_BASE, to: RX_A },
    steps: [{ counter: 3n }, { counter: 3n, error: "REPLAY" }, { counter: 4n }],
  },
  {
    id: "v2.replay.same",
    name: "the same frame twice",
    reqs: ["R-V2-REPLAY-001"],
    comment: "",
    base: SEQ_BASE,
    steps: [{ counter: 5n }, { counter: 5n, error: "REPLAY" }],
  },
  {
    id: "v2.replay.out-of-order",
    name: "out of order within the window",
    reqs: ["R-V2-REPLAY-001", "R-V2-REPLAY-002"],
    comment: "Counters 10, 8, 9, 12, 11 are all fresh; 8 again is a replay.",
    base: SEQ_BASE,
    steps: [
      { counter: 10n },
      { counter: 8n },
      { counter: 9n },
      { counter: 12n },
      { counter: 11n },
      { counter: 8n, error: "REPLAY" },
    ],
  },
  {
    id: "v2.replay.behind",
    name: "behind the window",
    reqs: ["R-V2-REPLAY-002"],
    comment: "After 2000: 976 (2000 - 1024) is behind the window, 977 is the oldest fresh one.",
    base: SEQ_BASE,
    steps: [
      { counter: 2000n },
      { counter: 976n, error: "BEHIND_WINDOW" },
      { counter: 977n },
      { counter: 977n, error: "REPLAY" },
      { counter: 0n, error: "BEHIND_WINDOW" },
    ],
  },
  {
    id: "v2.replay.jump",
    name: "a jump larger than the window",
    reqs: ["R-V2-REPLAY-002"],
    comment: "After 3 and a jump to 5000, 3 is behind and 4000 is fresh.",
    base: SEQ_BASE,
    steps: [
      { counter: 3n },
      { counter: 5000n },
      { counter: 3n, error: "BEHIND_WINDOW" },
      { counter: 4000n },
      { counter: 5000n, error: "REPLAY" },
    ],
  },
  {
    id: "v2.replay.sessions",
    name: "counters are per session",
    reqs: ["R-V2-REPLAY-001"],
    comment: "Counter 0 under two salts and under two key ids: four sessions, all fresh.",
    base: { ...SEQ_BASE, keys: [KEY_A, KEY_B] },
    steps: [
      { counter: 0n },
      { counter: 0n, salt: SALT_T },
      { counter: 0n, keyId: 2 },
      { counter: 0n, salt: SALT_T, keyId: 2 },
      { counter: 0n, salt: SALT_T, error: "REPLAY" },
    ],
  },
  {
    id: "v2.replay.forgery-no-advance",
    name: "a rejected frame does not move the window",
    reqs: ["R-V2-REPLAY-003"],
    comment: "A tampered frame with counter 900 fails authentication; it neither marks 900 " +
      "nor slides the window, so genuine 900 and then 10 are still fresh.",
    base: SEQ_BASE,
    steps: [
      { counter: 10n },
      { counter: 900n, craft: { frame: (f) => flip(f, -1, 0) }, error: "AUTH_FAILED" },
      { counter: 5000n, craft: { frame: (f) => flip(f, 48, 0) }, error: "AUTH_FAILED" },
      { counter: 900n },
      { counter: 11n },
    ],
  },
  {
    id: "v2.replay.max-counter",
    name: "counter 2^64-1",
    reqs: ["R-V2-REPLAY-001", "R-V2-SESSION-004"],
    comment: "",
    base: SEQ_BASE,
    steps: [
      { counter: 0xffff_ffff_ffff_fffen },
      { counter: 0xffff_ffff_ffff_ffffn },
      { counter: 0xffff_ffff_ffff_ffffn, error: "REPLAY" },
      { counter: 0xffff_ffff_ffff_fffen, error: "REPLAY" },
    ],
  },
  {
    id: "v2.replay.eviction",
    name: "least recently used session evicted",
    reqs: ["R-V2-REPLAY-004"],
    comment: "With maxSessions 2, a third session evicts the least recently used one; its " +
      "replay state is lost (the bounded-state limitation stated in the threat model), while " +
      "the most recent session still rejects its replay.",
    base: { ...SEQ_BASE, receiver: { limits: { maxSessions: 2 } } },
    steps: [
      { counter: 1n, salt: SALT_S },
      { counter: 1n, salt: SALT_T },
      { counter: 1n, salt: SALT_U },
      { counter: 1n, salt: SALT_U, error: "REPLAY" },
      { counter: 1n, salt: SALT_S },
    ],
  },
  {
    id: "v2.replay.unknown-key-no-state",
    name: "rejections before authentication keep no state",
    reqs: ["R-V2-KEY-002", "R-V2-REPLAY-003"],
    comment: "",
    base: { ...SEQ_BASE, keys: [KEY_A, KEY_B], receiver: { keys: [KEY_A], primary: 1 } },
    steps: [
      { counter: 7n, keyId: 2, error: "UNKNOWN_KEY_ID" },
      { counter: 7n },
      { counter: 7n, error: "REPLAY" },
    ],
  },
];

// ---- building -----------------------------------------------------------------------------

interface Built {
  keyId: number;
  salt: Uint8Array;
  body: Uint8Array;
  compressed: boolean;
  plaintext: Uint8Array;
  header: Uint8Array;
  associatedData: Uint8Array;
  sessionKey: Uint8Array;
  nonce: Uint8Array;
  tag: Uint8Array;
  frame: Uint8Array;
}

function senderRing(b: V2Base): V2Keyring {
  return new V2Keyring(b.keys, b.primary);
}

function receiverNetId(b: V2Base): NetId | undefined {
  const r = b.receiver ?? {};
  return r.netId === null ? undefined : r.netId ?? b.to;
}

function receiverJson(b: V2Base): V2ReceiverJson {
  const r = b.receiver ?? {};
  const ring = r.keys ? new V2Keyring(r.keys, r.primary) : senderRing(b);
  const out: V2ReceiverJson = { keyring: keyringToJson(ring), label: r.label ?? b.label };
  if (r.limits) out.limits = r.limits;
  const netId = receiverNetId(b);
  if (netId) out.netId = netId;
  out.now = r.now ?? NOW;
  out.startTime = r.startTime ?? START;
  if (r.maxClockSkewMs !== undefined) out.maxClockSkewMs = r.maxClockSkewMs;
  return out;
}

/** A u32 big-endian, written by hand (the vectors do not use the library's header writer). */
function be32(v: number): number[] {
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

function outgoing(b: V2Base) {
  return b.records.map((r) => ({
    typeTag: r.typeTag ?? tagOf(r.typeName!),
    origin: r.origin,
    payload: r.payload,
  }));
}

/** The spec's encoding steps, one by one, with a craft hook at each. */
function buildFrame(b: V2Base, craft: V2Craft = {}, caseId = ""): Built {
  const ring = senderRing(b);
  const keyId = b.keyId ?? ring.primaryId;
  const salt = b.salt ?? namedBytes(`${caseId}/salt`, 16);
  const records = outgoing(b);
  const table = buildV2Table(v2FrameNetIds(b.gossip, records, b.extraNetIds));
  const w = new ByteWriter();
  writeV2Body(w, table, b.gossip, records);
  let body = w.finish();
  if (craft.body) body = craft.body(body);
  let plaintext = body;
  let compressed = false;
  if ((b.compression ?? "snappy") === "snappy") {
    const block = snappyCompress(body);
    if (block.length < body.length) {
      plaintext = block;
      compressed = true;
    }
  }
  if (craft.plaintext) plaintext = craft.plaintext(plaintext);
  // The header, field by field as spec/wire.md section 15.2 lays it out.
  const sealedAt = b.sealedAt ?? SEALED;
  let header: Uint8Array = cat(
    0xc7,
    V2_VERSION,
    V2_HEADER_BYTES,
    (compressed ? V2_FLAG_SNAPPY : 0) | (b.to ? V2_FLAG_BOUND : 0),
    keyId,
    salt,
    be32(Number(b.counter >> 32n)),
    be32(Number(b.counter & 0xffff_ffffn)),
    be32(plaintext.length),
    be32(body.length),
    be32(Math.floor(sealedAt / 2 ** 32)),
    be32(sealedAt >>> 0),
  );
  if (header.length !== V2_HEADER_BYTES) throw new Error("header layout");
  if (craft.header) header = craft.header(header);
  // Associated data: the header, then the bound receiver's NetID as a table entry.
  const associatedData = b.to ? cat(header, v2ReceiverBinding(b.to)) : header;
  const sessionKey = deriveV2SessionKey(
    craft.sealKey ?? ring.get(keyId)!,
    keyId,
    salt,
    craft.sealLabel ?? b.label,
  );
  const nonce = v2Nonce(b.counter);
  const sealed = new Uint8Array(plaintext.length + V2_TAG_BYTES);
  v2Seal(sessionKey, nonce, associatedData, plaintext, sealed, 0);
  let frame = cat(header, sealed);
  const tag = sealed.slice(plaintext.length);
  if (craft.frame) frame = craft.frame(frame);
  return {
    keyId,
    salt,
    body,
    compressed,
    plaintext,
    header,
    associatedData,
    sessionKey,
    nonce,
    tag,
    frame,
  };
}

function decoderOptions(b: V2Base) {
  const r = b.receiver ?? {};
  const now = r.now ?? NOW;
  return {
    keyring: r.keys ? new V2Keyring(r.keys, r.primary) : senderRing(b),
    label: r.label ?? b.label,
    limits: r.limits,
    clock: () => now,
    startTime: r.startTime ?? START,
    maxClockSkewMs: r.maxClockSkewMs,
  };
}

function inputsJson(b: V2Base, built: Built): V2Vector["inputs"] {
  return {
    keyring: keyringToJson(senderRing(b)),
    keyId: built.keyId,
    label: b.label,
    salt: hex(built.salt),
    counter: b.counter.toString(),
    sealedAt: b.sealedAt ?? SEALED,
    ...(b.to ? { to: b.to } : {}),
    gossip: b.gossip,
    records: b.records.map((r) => ({
      typeName: r.typeName ?? null,
      typeTag: r.typeTag ?? tagOf(r.typeName!),
      origin: r.origin,
      payload: hex(r.payload),
    })),
    extraNetIds: b.extraNetIds ?? [],
    compression: b.compression ?? "snappy",
    receiver: receiverJson(b),
  };
}

function layersJson(built: Built): V2Vector["layers"] {
  return {
    body: hex(built.body),
    compressed: built.compressed,
    plaintext: hex(built.plaintext),
    header: hex(built.header),
    associatedData: hex(built.associatedData),
    sessionKey: hex(built.sessionKey),
    nonce: hex(built.nonce),
    tag: hex(built.tag),
    fitsDatagram: v2FitsDatagram(built.frame),
  };
}

function outcome(f: () => void): string {
  try {
    f();
    return "valid";
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return `${e.code}/${e.layer}`;
  }
}

function buildCase(def: CaseDef): V2Vector {
  const b = def.base;
  const built = buildFrame(b, def.craft, def.id);
  if (!def.craft) {
    // The library's encoder must produce exactly the spec's step-by-step bytes.
    const lib = encodeV2FrameLayers({
      keyring: senderRing(b),
      keyId: b.keyId,
      label: b.label,
      salt: built.salt,
      counter: b.counter,
      sealedAt: b.sealedAt ?? SEALED,
      receiver: b.to,
      gossip: b.gossip,
      records: outgoing(b),
      extraNetIds: b.extraNetIds,
      compression: b.compression,
    });
    if (hex(lib.frame) !== hex(built.frame)) {
      throw new Error(`${def.id}: library encoder and step-by-step encoding differ`);
    }
  }
  let decoded: V2Vector["decoded"];
  const got = outcome(() => {
    const d = decodeV2Frame(built.frame, decoderOptions(b), receiverNetId(b));
    decoded = decodedToJson(d);
    if (JSON.stringify(d.gossip) !== JSON.stringify(b.gossip)) {
      throw new Error(`${def.id}: gossip does not round-trip`);
    }
    const want = outgoing(b);
    if (
      d.records.length !== want.length ||
      d.records.some((r, i) =>
        r.typeTag !== want[i].typeTag || hex(r.payload) !== hex(want[i].payload) ||
        JSON.stringify(r.origin) !== JSON.stringify(want[i].origin)
      )
    ) throw new Error(`${def.id}: records do not round-trip`);
  });
  const expected = def.error ? `${def.error.code}/${def.error.layer}` : "valid";
  if (got !== expected) {
    throw new Error(`vector ${def.id}: expected ${expected}, library gives ${got}`);
  }
  const v: V2Vector = {
    id: def.id,
    name: def.name,
    reqs: def.reqs,
    comment: def.comment,
    profile: "v2",
    inputs: inputsJson(b, built),
    layers: layersJson(built),
    frame: hex(built.frame),
    result: def.error ? "invalid" : "valid",
  };
  if (def.error) v.errorClass = def.error.code;
  else v.decoded = decoded;
  return v;
}

function buildSequence(def: SequenceDef): V2Vector {
  const opts = decoderOptions(def.base);
  const rx = new V2Decoder(opts);
  const steps: V2StepJson[] = [];
  let first: Built | undefined;
  for (const [i, s] of def.steps.entries()) {
    const base: V2Base = {
      ...def.base,
      counter: s.counter,
      sealedAt: s.sealedAt ?? def.base.sealedAt,
      salt: s.salt ?? def.base.salt,
      keyId: s.keyId ?? def.base.keyId,
    };
    const built = buildFrame(base, s.craft, def.id);
    first ??= built;
    const got = outcome(() => rx.decode(built.frame, receiverNetId(base)));
    const want = s.error ?? "valid";
    if (got.split("/")[0] !== want) {
      throw new Error(`vector ${def.id} step ${i}: expected ${want}, library gives ${got}`);
    }
    const step: V2StepJson = { frame: hex(built.frame), result: s.error ? "invalid" : "valid" };
    if (s.error) step.errorClass = s.error;
    steps.push(step);
  }
  const last = def.steps[def.steps.length - 1];
  const v: V2Vector = {
    id: def.id,
    name: def.name,
    reqs: def.reqs,
    comment: def.comment,
    profile: "v2",
    inputs: inputsJson({ ...def.base, counter: def.steps[0].counter }, first!),
    layers: layersJson(first!),
    sequence: steps,
    result: last.error ? "invalid" : "valid",
  };
  if (last.error) v.errorClass = last.error;
  return v;
}

/** The whole `v2.json` content. */
export interface V2VectorFile {
  /** Always "v2". */
  profile: "v2";
  /** The default receiver limits every case uses unless its receiver says otherwise. */
  limits: V2Limits;
  /** Replay window width of every sequence case. */
  replayWindow: number;
  /** The cases: stateless ones first, then sequences. */
  cases: V2Vector[];
}

/** Build every v2 case; throws on a duplicate id or a case that misbehaves. */
export function buildV2Vectors(): V2VectorFile {
  const ids = new Set<string>();
  for (const d of [...VALID, ...INVALID, ...SEQUENCES]) {
    if (ids.has(d.id)) throw new Error(`duplicate vector id ${d.id}`);
    ids.add(d.id);
  }
  return {
    profile: "v2",
    limits: { ...DEFAULT_V2_LIMITS },
    replayWindow: 1024,
    cases: [...VALID.map(buildCase), ...INVALID.map(buildCase), ...SEQUENCES.map(buildSequence)],
  };
}

/** The `vectors/v2.json` suite. */
export const V2_SUITE: VectorSuite = {
  file: "v2.json",
  build: buildV2Vectors,
};
