/**
 * Golden vector cases of the legacy profile (`vectors/legacy.json`). Each case is declared
 * from inputs; an invalid case also declares how the generator crafts its bytes, so that the
 * intended check is the one that fails (a crafted gossip gets a recomputed checksum and a
 * fresh snappy block, a crafted plaintext is re-encrypted). The generator decodes every case
 * with the library and refuses to write a file in which a case does not come out as declared.
 *
 * Case ids are stable and spec-section based; never reuse or renumber one.
 *
 * @module
 */

import {
  DecodeError,
  type DecodeErrorCode,
  type DecodeErrorLayer,
  decodeLegacyFrame,
  DEFAULT_LIMITS,
  encodeLegacyFrameLayers,
  type Gossip,
  LEGACY_START_BYTE,
  legacyCrypt,
  type NetId,
  snappyCompress,
  typeTag as tagOf,
  xxhash32,
} from "../src/wire/mod.ts";
import {
  cat,
  type GossipMap,
  mapGossip,
  prngBytes,
  splice,
  vi,
  VI_2_32,
  VI_2_53,
  viNonMinimal,
  viTooLong,
} from "./craft.ts";
import { hex, type LegacyInputsJson, unhex } from "./json.ts";
import type { VectorSuite } from "./suite.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

/** What a legacy case is encoded from (before crafting). */
export interface LegacyBase {
  /** Key bytes. */
  key: Uint8Array;
  /** Padding; derived from the case id when absent. */
  padding?: Uint8Array;
  /** Gossip header. */
  gossip: Gossip;
  /** Type name (or give typeTag). */
  typeName?: string;
  /** Type tag, when no name. */
  typeTag?: number;
  /** Payload bytes. */
  payload: Uint8Array;
  /** Extra NetIDs for the table. */
  extraNetIds?: NetId[];
}

/** How an invalid case's bytes are crafted; each step feeds the later layers. */
export interface LegacyCraft {
  /** Rewrite the uncompressed gossip (checksum and snappy block are recomputed from it). */
  gossip?: (g: Uint8Array, map: GossipMap) => Uint8Array;
  /** Rewrite the checksum. */
  checksum?: (c: number, g: Uint8Array, compressed: Uint8Array) => number;
  /** Rewrite the snappy block. */
  compressed?: (c: Uint8Array, g: Uint8Array) => Uint8Array;
  /** The raw bytes of the size field (default: the minimal varint of the gossip length). */
  size?: (n: number) => Uint8Array;
  /** Rewrite the whole plaintext (it is then encrypted). */
  plaintext?: (p: Uint8Array) => Uint8Array;
  /** Encrypt under this key instead of the case key. */
  encryptKey?: Uint8Array;
  /** Rewrite the final frame. */
  frame?: (f: Uint8Array) => Uint8Array;
}

/** One declared case. */
export interface LegacyCaseDef {
  /** Stable id, `legacy.<section>.<what>`. */
  id: string;
  /** Short human name. */
  name: string;
  /** Requirement tags the case checks. */
  reqs: string[];
  /** What the case is about, and how it was built. */
  comment: string;
  /** Inputs. */
  base: LegacyBase;
  /** Crafting of an invalid case. */
  craft?: LegacyCraft;
  /** For invalid cases: the code and the layer the decoder must report. */
  error?: { code: DecodeErrorCode; layer: DecodeErrorLayer };
}

/** One case as written to `legacy.json`. */
export interface LegacyVector {
  /** Stable id. */
  id: string;
  /** Short name. */
  name: string;
  /** Requirement tags. */
  reqs: string[];
  /** Explanation. */
  comment: string;
  /** Always "legacy". */
  profile: "legacy";
  /** Declared inputs. */
  inputs: LegacyInputsJson;
  /** The generator's intermediate layers (for invalid cases: as crafted). */
  layers: { gossip: string; checksum: string; compressed: string; plaintext: string };
  /** The frame, hex. */
  frame: string;
  /** Whether a receiver must accept it. */
  result: "valid" | "invalid";
  /** For invalid cases: the decode error code. */
  errorClass?: DecodeErrorCode;
}

// ---- bases --------------------------------------------------------------------------------

const EXAMPLE_KEY = utf8("01234567890123456789012345678912");
const ip = (ip: string, port: number): NetId => ({ ip, port });
const bid = (ip: string, port: number, seqno: number) => ({ ip, port, seqno });

/** The worked example, produced by Elixir Chatter 0.0.15. */
const EXAMPLE: LegacyBase = {
  key: EXAMPLE_KEY,
  padding: unhex("2a7327802f5c6c9f28f14e17835d0dd3a889b715eb871e143854d2f7d735d08a"),
  gossip: {
    current: bid("127.0.0.1", 29999, 1),
    seen: [],
    other: [],
    distribution: [ip("127.0.0.1", 30001), ip("127.0.0.1", 30002)],
  },
  typeName: "hello",
  payload: utf8("world"),
};

/** Every gossip field in use: table of 6, two seen, one other, two distribution. */
const RICH: LegacyBase = {
  key: EXAMPLE_KEY,
  gossip: {
    current: bid("10.0.0.5", 4000, 300),
    seen: [bid("10.0.0.7", 4000, 5), bid("10.0.0.6", 4001, 70000)],
    other: [ip("10.0.0.9", 4000)],
    distribution: [ip("10.0.0.8", 4000), ip("10.0.0.1", 4000)],
  },
  typeName: "chat",
  payload: utf8("hi there"),
};

/** The benchmark's frame: a 100-byte payload and a 4-entry distribution list. */
const BENCH: LegacyBase = {
  key: EXAMPLE_KEY,
  gossip: {
    current: bid("192.168.1.10", 29999, 123456),
    seen: [],
    other: [],
    distribution: [
      ip("192.168.1.11", 29999),
      ip("192.168.1.12", 29999),
      ip("192.168.2.13", 29999),
      ip("192.168.3.14", 29999),
    ],
  },
  typeName: "Elixir.Bench.Msg",
  payload: prngBytes(100, 100),
};

const only = (current: { ip: string; port: number; seqno: number }): Gossip => ({
  current,
  seen: [],
  other: [],
  distribution: [],
});

const withGossip = (base: LegacyBase, gossip: Partial<Gossip>): LegacyBase => ({
  ...base,
  padding: undefined,
  gossip: { ...base.gossip, ...gossip },
});

// ---- case declarations --------------------------------------------------------------------

const valid = (
  id: string,
  name: string,
  reqs: string[],
  comment: string,
  base: LegacyBase,
): LegacyCaseDef => ({ id, name, reqs, comment, base });

const invalid = (
  id: string,
  name: string,
  reqs: string[],
  comment: string,
  code: DecodeErrorCode,
  layer: DecodeErrorLayer,
  base: LegacyBase,
  craft: LegacyCraft,
): LegacyCaseDef => ({ id, name, reqs, comment, base, craft, error: { code, layer } });

/** Replace the varint at `span` of the gossip with `bytes`. */
const setField = (span: (m: GossipMap) => [number, number], bytes: Uint8Array) => ({
  gossip: (g: Uint8Array, m: GossipMap) => splice(g, span(m)[0], span(m)[1], bytes),
});

/** Cut the gossip at an offset computed from its map. */
const cutGossip = (at: (m: GossipMap) => number) => ({
  gossip: (g: Uint8Array, m: GossipMap) => g.slice(0, at(m)),
});

const VALID: LegacyCaseDef[] = [
  valid(
    "legacy.example.worked",
    "worked example from Elixir Chatter 0.0.15",
    [
      "R-FRAME-001",
      "R-ENV-001",
      "R-ENV-002",
      "R-ENV-003",
      "R-CRYPT-001",
      "R-CRYPT-002",
      "R-TAG-001",
    ],
    "The frame a 0.0.15 node produced (spec Appendix A); our encoder reproduces it byte for byte.",
    EXAMPLE,
  ),
  valid(
    "legacy.gossip.minimal",
    "only the current BroadcastID",
    ["R-GOSSIP-001", "R-GOSSIP-005", "R-TAG-002"],
    "Table of one entry, all lists empty, empty payload.",
    {
      key: EXAMPLE_KEY,
      gossip: only(bid("127.0.0.1", 29999, 2)),
      typeName: "x",
      payload: utf8(""),
    },
  ),
  valid(
    "legacy.tag.empty-payload",
    "empty payload",
    ["R-TAG-002"],
    "The worked example's gossip with a zero-length payload: the gossip ends with the type tag.",
    { ...EXAMPLE, padding: undefined, payload: new Uint8Array(0) },
  ),
  valid(
    "legacy.netid.seqno-zero",
    "sequence number 0",
    ["R-NETID-003", "R-NETID-006"],
    "Sequence number 0 is written as the single byte 00.",
    withGossip(EXAMPLE, { current: bid("127.0.0.1", 29999, 0) }),
  ),
  valid(
    "legacy.varint.seqno-127",
    "sequence number 127 (largest 1-byte varint)",
    ["R-VARINT-001"],
    "127 = 7f.",
    withGossip(EXAMPLE, { current: bid("127.0.0.1", 29999, 127) }),
  ),
  valid(
    "legacy.varint.seqno-128",
    "sequence number 128 (smallest 2-byte varint)",
    ["R-VARINT-001"],
    "128 = 8001.",
    withGossip(EXAMPLE, { current: bid("127.0.0.1", 29999, 128) }),
  ),
  valid(
    "legacy.varint.seqno-2-32",
    "sequence number 2^32",
    ["R-VARINT-002", "R-NETID-006"],
    "A sequence number beyond 32 bits: 2^32 = 8080808010 (5 bytes), legal in the 8-byte seqno field.",
    withGossip(EXAMPLE, { current: bid("127.0.0.1", 29999, 2 ** 32) }),
  ),
  valid(
    "legacy.varint.seqno-max",
    "sequence number 2^53 - 1",
    ["R-VARINT-002", "R-NETID-006"],
    "The largest sequence number: 8 bytes ffffffffffffff0f.",
    withGossip(RICH, {
      current: bid("10.0.0.5", 4000, 2 ** 53 - 1),
      seen: [bid("10.0.0.7", 4000, 2 ** 53 - 1)],
    }),
  ),
  valid(
    "legacy.gossip.seen-list",
    "seen BroadcastIDs",
    ["R-GOSSIP-001", "R-NETID-003"],
    "Three seen BroadcastIDs with 1-, 2- and 3-byte sequence numbers; no other or distribution.",
    {
      key: EXAMPLE_KEY,
      gossip: {
        current: bid("192.168.0.1", 5000, 10),
        seen: [
          bid("192.168.0.2", 5000, 9),
          bid("192.168.0.3", 5000, 200),
          bid("192.168.0.4", 5000, 20000),
        ],
        other: [],
        distribution: [],
      },
      typeName: "hello",
      payload: utf8("seen"),
    },
  ),
  valid(
    "legacy.gossip.other-list",
    "other NetIDs",
    ["R-GOSSIP-001"],
    "Two other NetIDs, nothing seen or to distribute.",
    {
      key: EXAMPLE_KEY,
      gossip: {
        current: bid("192.168.0.1", 5000, 11),
        seen: [],
        other: [ip("192.168.0.9", 5000), ip("192.168.0.8", 5000)],
        distribution: [],
      },
      typeName: "hello",
      payload: utf8("other"),
    },
  ),
  valid(
    "legacy.gossip.rich",
    "every gossip field",
    ["R-GOSSIP-001", "R-TABLE-001", "R-TABLE-003", "R-TABLE-005"],
    "Seen, other and distribution lists all present; table of six entries in sorted order.",
    RICH,
  ),
  valid(
    "legacy.gossip.order-preserved",
    "lists keep the sender's order",
    ["R-GOSSIP-003", "R-TABLE-003"],
    "Lists given in descending table order: the table is sorted, the lists are not reordered.",
    {
      key: EXAMPLE_KEY,
      gossip: {
        current: bid("10.1.1.1", 1, 1),
        seen: [bid("10.1.1.9", 1, 3), bid("10.1.1.5", 1, 2)],
        other: [ip("10.1.1.8", 1), ip("10.1.1.4", 1)],
        distribution: [ip("10.1.1.7", 1), ip("10.1.1.3", 1), ip("10.1.1.2", 1)],
      },
      typeName: "hello",
      payload: utf8("order"),
    },
  ),
  valid(
    "legacy.gossip.repeats",
    "repeated NetIDs in lists",
    ["R-GOSSIP-004", "R-TABLE-003"],
    "The current NetID also appears in the distribution list, and one NetID twice in it; the table holds each once.",
    {
      key: EXAMPLE_KEY,
      gossip: {
        current: bid("10.2.0.1", 7000, 5),
        seen: [bid("10.2.0.1", 7000, 4)],
        other: [ip("10.2.0.2", 7000)],
        distribution: [ip("10.2.0.1", 7000), ip("10.2.0.2", 7000), ip("10.2.0.2", 7000)],
      },
      typeName: "hello",
      payload: utf8("repeats"),
    },
  ),
  valid(
    "legacy.netid.port-extremes",
    "ports 0 and 65535",
    ["R-NETID-001", "R-NETID-002", "R-TABLE-003"],
    "Port 0 and port 65535 on the same address; 65535 is ffff.",
    {
      key: EXAMPLE_KEY,
      gossip: { ...only(bid("10.3.0.1", 65535, 1)), distribution: [ip("10.3.0.1", 0)] },
      typeName: "hello",
      payload: utf8("ports"),
    },
  ),
  valid(
    "legacy.netid.address-extremes",
    "addresses 0.0.0.0 and 255.255.255.255",
    ["R-NETID-002", "R-NETID-004", "R-TABLE-003"],
    "Every 6-byte string is a valid legacy NetID, the all-zero and all-one addresses included.",
    {
      key: EXAMPLE_KEY,
      gossip: { ...only(bid("255.255.255.255", 1, 1)), distribution: [ip("0.0.0.0", 0)] },
      typeName: "hello",
      payload: utf8("addrs"),
    },
  ),
  valid(
    "legacy.table.port-order",
    "ports sort numerically",
    ["R-TABLE-003"],
    "Ports 256, 1 and 255 on one address sort as 1, 255, 256 (big-endian numeric, not by low byte).",
    {
      key: EXAMPLE_KEY,
      gossip: {
        ...only(bid("10.4.0.1", 256, 1)),
        distribution: [ip("10.4.0.1", 1), ip("10.4.0.1", 255)],
      },
      typeName: "hello",
      payload: utf8("port order"),
    },
  ),
  valid(
    "legacy.table.octet-order",
    "octets sort numerically",
    ["R-TABLE-003"],
    "9.0.0.1 < 10.0.0.2 < 10.0.0.10 < 100.0.0.1: numeric octet order, not text order.",
    {
      key: EXAMPLE_KEY,
      gossip: {
        ...only(bid("100.0.0.1", 1, 1)),
        distribution: [ip("10.0.0.10", 1), ip("9.0.0.1", 1), ip("10.0.0.2", 1)],
      },
      typeName: "hello",
      payload: utf8("octet order"),
    },
  ),
  valid(
    "legacy.table.extra-netids",
    "payload NetIDs join the table",
    ["R-TABLE-001", "R-TAG-002"],
    "Two extra NetIDs reported by the payload handler join the table; the payload refers to them by position (02, 00).",
    {
      key: EXAMPLE_KEY,
      gossip: only(bid("10.5.0.5", 9000, 3)),
      typeName: "membership",
      payload: new Uint8Array([0x02, 0x00]),
      extraNetIds: [ip("10.5.0.9", 9000), ip("10.5.0.1", 9000)],
    },
  ),
  valid(
    "legacy.table.extra-netids-overlap",
    "extra NetIDs overlapping the gossip",
    ["R-TABLE-001", "R-TABLE-003"],
    "Extra NetIDs that the gossip also uses appear once in the table.",
    {
      ...RICH,
      extraNetIds: [ip("10.0.0.5", 4000), ip("10.0.0.1", 4000), ip("10.0.0.3", 4000)],
    },
  ),
  valid(
    "legacy.table.large",
    "table of 130 entries",
    ["R-TABLE-002", "R-TABLE-005", "R-VARINT-001"],
    "130 distinct NetIDs: the table count and references from 128 on take two varint bytes.",
    {
      key: EXAMPLE_KEY,
      gossip: {
        ...only(bid("172.16.0.1", 4000, 1)),
        distribution: Array.from(
          { length: 129 },
          (_, i) => ip(`172.16.${i >> 4}.${(i & 15) + 2}`, 4000),
        ),
      },
      typeName: "hello",
      payload: utf8("big table"),
    },
  ),
  valid(
    "legacy.tag.tag-without-name",
    "type tag given as a number",
    ["R-TAG-003", "R-TAG-001"],
    "Only the tag (7) is known; typeName is null.",
    { key: EXAMPLE_KEY, gossip: EXAMPLE.gossip, typeTag: 7, payload: utf8("tag") },
  ),
  valid(
    "legacy.tag.tag-zero",
    "type tag 0",
    ["R-TAG-001", "R-VARINT-001"],
    "Tag 0 is the single byte 00.",
    { key: EXAMPLE_KEY, gossip: EXAMPLE.gossip, typeTag: 0, payload: utf8("tag") },
  ),
  valid(
    "legacy.tag.tag-max",
    "type tag 2^32 - 1",
    ["R-TAG-001", "R-VARINT-002"],
    "The largest tag takes the full 5 bytes: ffffffff0f.",
    { key: EXAMPLE_KEY, gossip: EXAMPLE.gossip, typeTag: 0xffffffff, payload: utf8("tag") },
  ),
  valid(
    "legacy.tag.empty-name",
    "empty type name",
    ["R-TAG-001"],
    "xxhash32 of the empty string is 0x02cc5d05.",
    { key: EXAMPLE_KEY, gossip: EXAMPLE.gossip, typeName: "", payload: utf8("tag") },
  ),
  valid(
    "legacy.tag.utf8-name",
    "non-ASCII type name",
    ["R-TAG-001"],
    "The tag hashes the UTF-8 bytes of the name.",
    { key: EXAMPLE_KEY, gossip: EXAMPLE.gossip, typeName: "héllo wörld ✓", payload: utf8("tag") },
  ),
  valid(
    "legacy.crypt.short-key",
    "3-byte key",
    ["R-CRYPT-003"],
    "Key 'abc' is extended to 'abc01234567890123456789012345678'.",
    { ...EXAMPLE, padding: undefined, key: utf8("abc") },
  ),
  valid(
    "legacy.crypt.empty-key",
    "empty key",
    ["R-CRYPT-003"],
    "An empty key becomes '01234567890123456789012345678901'.",
    { ...EXAMPLE, padding: undefined, key: new Uint8Array(0) },
  ),
  valid(
    "legacy.crypt.long-key",
    "40-byte key",
    ["R-CRYPT-003"],
    "A longer key is cut to its first 32 bytes.",
    { ...EXAMPLE, padding: undefined, key: utf8("0123456789012345678901234567891299999999") },
  ),
  valid(
    "legacy.crypt.binary-key",
    "32 random key bytes",
    ["R-CRYPT-001", "R-CRYPT-003"],
    "A key of arbitrary (non-ASCII) bytes is used as it is.",
    { ...RICH, key: prngBytes(32, 32) },
  ),
  valid(
    "legacy.env.bench-frame",
    "100-byte payload, 4-entry distribution list",
    ["R-ENV-001", "R-FRAME-001"],
    "The benchmark's frame; the ciphertext length takes a 2-byte varint.",
    BENCH,
  ),
  valid(
    "legacy.env.incompressible",
    "300 incompressible payload bytes",
    ["R-ENV-003"],
    "Pseudo-random payload: the snappy block is mostly one long literal (2 length bytes).",
    { ...EXAMPLE, padding: undefined, payload: prngBytes(300, 300) },
  ),
  valid(
    "legacy.env.repetitive",
    "10000 zero payload bytes",
    ["R-ENV-003", "R-LIMIT-005"],
    "A highly compressible payload: snappy's best ratio (about 21) stays under maxCompressionRatio.",
    { ...EXAMPLE, padding: undefined, payload: new Uint8Array(10000) },
  ),
  valid(
    "legacy.snappy.literal-61",
    "payload needing a literal with a length byte",
    ["R-ENV-003"],
    "A gossip of more than 60 distinct bytes: the literal's length goes into an extra byte.",
    {
      ...EXAMPLE,
      padding: undefined,
      payload: new Uint8Array(Array.from({ length: 64 }, (_, i) => i * 3)),
    },
  ),
];

const N = (g: Uint8Array) => g.length;
const litTag = (len: number) => (len <= 60 ? [(len - 1) << 2] : [60 << 2, len - 1]);
const literal = (b: Uint8Array) => cat(litTag(b.length), b);

const INVALID: LegacyCaseDef[] = [
  // -- frame header (section 9) --
  invalid(
    "legacy.frame.empty",
    "empty datagram",
    ["R-ERR-002", "R-ORDER-001"],
    "Zero bytes.",
    "TRUNCATED",
    "frame",
    EXAMPLE,
    { frame: () => new Uint8Array(0) },
  ),
  invalid(
    "legacy.frame.start-byte-00",
    "start byte 00",
    ["R-FRAME-002"],
    "The worked example's frame with its first byte set to 00.",
    "BAD_START_BYTE",
    "frame",
    EXAMPLE,
    { frame: (f) => splice(f, 0, 1, cat(0x00)) },
  ),
  invalid(
    "legacy.frame.start-byte-fe",
    "start byte fe",
    ["R-FRAME-002"],
    "The worked example's frame with its first byte set to fe.",
    "BAD_START_BYTE",
    "frame",
    EXAMPLE,
    { frame: (f) => splice(f, 0, 1, cat(0xfe)) },
  ),
  invalid(
    "legacy.frame.start-byte-only",
    "start byte and nothing else",
    ["R-ERR-002"],
    "The datagram ends before the length varint.",
    "TRUNCATED",
    "frame",
    EXAMPLE,
    { frame: (f) => f.slice(0, 1) },
  ),
  invalid(
    "legacy.frame.length-truncated",
    "datagram ends inside the length varint",
    ["R-ERR-002", "R-VARINT-005"],
    "The bench frame cut after the first byte of its 2-byte length varint.",
    "TRUNCATED",
    "frame",
    BENCH,
    { frame: (f) => f.slice(0, 2) },
  ),
  invalid(
    "legacy.frame.length-nonminimal",
    "non-minimal length varint",
    ["R-VARINT-003"],
    "The worked example's length 47 written as c700.",
    "VARINT_OVERLONG",
    "frame",
    EXAMPLE,
    { frame: (f) => splice(f, 1, 2, viNonMinimal(f[1])) },
  ),
  invalid(
    "legacy.frame.length-too-long",
    "length varint longer than 5 bytes",
    ["R-VARINT-002", "R-VARINT-003"],
    "808080808001 in place of the length: 5 bytes all continue.",
    "VARINT_OVERLONG",
    "frame",
    EXAMPLE,
    { frame: (f) => splice(f, 1, 2, viTooLong(5)) },
  ),
  invalid(
    "legacy.frame.length-overflow",
    "length varint over 2^32 - 1",
    ["R-VARINT-004"],
    "Length 2^32 (8080808010), minimal and 5 bytes long, overflows the 32-bit field.",
    "VARINT_OVERFLOW",
    "frame",
    EXAMPLE,
    { frame: (f) => splice(f, 1, 2, VI_2_32) },
  ),
  invalid(
    "legacy.limit.frame-too-large",
    "length over maxFrameBytes",
    ["R-ERR-003", "R-LIMIT-001", "R-LIMIT-006"],
    "The header announces 1048577 bytes (limit 1048576); only 71 follow. The limit is checked first.",
    "FRAME_TOO_LARGE",
    "frame",
    EXAMPLE,
    { frame: (f) => splice(f, 1, 2, vi(DEFAULT_LIMITS.maxFrameBytes + 1)) },
  ),
  invalid(
    "legacy.frame.length-too-short",
    "length one less than the ciphertext",
    ["R-TRANSPORT-002"],
    "The header says 70 but 71 ciphertext bytes follow.",
    "TRAILING_BYTES",
    "frame",
    EXAMPLE,
    { frame: (f) => splice(f, 1, 2, vi(f[1] - 1)) },
  ),
  invalid(
    "legacy.frame.length-too-long-for-datagram",
    "length one more than the ciphertext",
    ["R-TRANSPORT-002", "R-ERR-002"],
    "The header says 72 but only 71 ciphertext bytes follow.",
    "TRUNCATED",
    "frame",
    EXAMPLE,
    { frame: (f) => splice(f, 1, 2, vi(f[1] + 1)) },
  ),
  // -- transport (section 10) --
  invalid(
    "legacy.transport.datagram-missing-last-byte",
    "datagram one byte short",
    ["R-TRANSPORT-002", "R-ERR-002"],
    "The worked example's frame without its last byte.",
    "TRUNCATED",
    "frame",
    EXAMPLE,
    { frame: (f) => f.slice(0, f.length - 1) },
  ),
  invalid(
    "legacy.transport.datagram-cut-in-ciphertext",
    "datagram cut inside the ciphertext",
    ["R-TRANSPORT-002", "R-ERR-002"],
    "The worked example's frame cut to 30 bytes.",
    "TRUNCATED",
    "frame",
    EXAMPLE,
    { frame: (f) => f.slice(0, 30) },
  ),
  invalid(
    "legacy.transport.trailing-byte",
    "one byte after the frame",
    ["R-TRANSPORT-001", "R-TRANSPORT-002"],
    "The worked example's frame followed by 00 in the same datagram.",
    "TRAILING_BYTES",
    "frame",
    EXAMPLE,
    { frame: (f) => cat(f, 0x00) },
  ),
  invalid(
    "legacy.transport.two-frames",
    "two frames in one datagram",
    ["R-TRANSPORT-001", "R-TRANSPORT-002"],
    "Two copies of the worked example's frame in one datagram: the second is trailing bytes.",
    "TRAILING_BYTES",
    "frame",
    EXAMPLE,
    { frame: (f) => cat(f, f) },
  ),
  // -- encryption (section 8) --
  invalid(
    "legacy.crypt.wrong-key",
    "encrypted under another key",
    ["R-ERR-003", "R-CRYPT-004", "R-ORDER-001"],
    "The worked example's plaintext encrypted under 'another key, not the right one' and decoded with the example key: the garbage fails the first envelope check it meets.",
    "SIZE_MISMATCH",
    "plaintext",
    EXAMPLE,
    { encryptKey: utf8("another key, not the right one") },
  ),
  // -- envelope (section 7) --
  invalid(
    "legacy.env.empty-ciphertext",
    "zero-length ciphertext",
    ["R-ERR-002"],
    "Frame ff00: an empty plaintext.",
    "TRUNCATED",
    "plaintext",
    EXAMPLE,
    { plaintext: () => new Uint8Array(0) },
  ),
  invalid(
    "legacy.env.truncated-in-padding",
    "plaintext ends inside the padding",
    ["R-ENV-001", "R-ERR-002"],
    "Plaintext of 20 bytes, re-encrypted.",
    "TRUNCATED",
    "plaintext",
    EXAMPLE,
    { plaintext: (p) => p.slice(0, 20) },
  ),
  invalid(
    "legacy.env.truncated-in-checksum",
    "plaintext ends inside the checksum",
    ["R-ENV-001", "R-ERR-002"],
    "Plaintext of 34 bytes, re-encrypted.",
    "TRUNCATED",
    "plaintext",
    EXAMPLE,
    { plaintext: (p) => p.slice(0, 34) },
  ),
  invalid(
    "legacy.env.no-size",
    "plaintext ends after the checksum",
    ["R-ENV-001", "R-ERR-002"],
    "Plaintext of 36 bytes: padding and checksum only.",
    "TRUNCATED",
    "plaintext",
    EXAMPLE,
    { plaintext: (p) => p.slice(0, 36) },
  ),
  invalid(
    "legacy.env.truncated-in-size",
    "plaintext ends inside the size varint",
    ["R-ENV-001", "R-ERR-002", "R-VARINT-005"],
    "The bench plaintext (size needs 2 bytes) cut after the first size byte.",
    "TRUNCATED",
    "plaintext",
    BENCH,
    { plaintext: (p) => p.slice(0, 37) },
  ),
  invalid(
    "legacy.env.size-nonminimal",
    "non-minimal size varint",
    ["R-VARINT-003"],
    "Size 36 written as a400.",
    "VARINT_OVERLONG",
    "plaintext",
    EXAMPLE,
    { size: (n) => viNonMinimal(n) },
  ),
  invalid(
    "legacy.env.size-too-long",
    "size varint longer than 5 bytes",
    ["R-VARINT-002", "R-VARINT-003"],
    "Size written as 808080808001.",
    "VARINT_OVERLONG",
    "plaintext",
    EXAMPLE,
    { size: () => viTooLong(5) },
  ),
  invalid(
    "legacy.env.size-overflow",
    "size varint over 2^32 - 1",
    ["R-VARINT-004"],
    "Size 2^32.",
    "VARINT_OVERFLOW",
    "plaintext",
    EXAMPLE,
    { size: () => VI_2_32 },
  ),
  invalid(
    "legacy.env.no-block",
    "plaintext ends after the size",
    ["R-ENV-001", "R-ERR-002"],
    "Padding, checksum and size, but no snappy block.",
    "TRUNCATED",
    "plaintext",
    EXAMPLE,
    { compressed: () => new Uint8Array(0) },
  ),
  invalid(
    "legacy.env.size-larger",
    "size field one more than the gossip",
    ["R-ENV-005"],
    "Size 37, snappy preamble 36.",
    "SIZE_MISMATCH",
    "plaintext",
    EXAMPLE,
    { size: (n) => vi(n + 1) },
  ),
  invalid(
    "legacy.env.size-smaller",
    "size field one less than the gossip",
    ["R-ENV-005"],
    "Size 35, snappy preamble 36.",
    "SIZE_MISMATCH",
    "plaintext",
    EXAMPLE,
    { size: (n) => vi(n - 1) },
  ),
  invalid(
    "legacy.env.checksum-mismatch",
    "checksum off by one bit",
    ["R-ENV-004"],
    "The checksum's lowest bit flipped.",
    "CHECKSUM_MISMATCH",
    "plaintext",
    EXAMPLE,
    { checksum: (c) => (c ^ 1) >>> 0 },
  ),
  invalid(
    "legacy.env.checksum-of-compressed",
    "checksum over the compressed gossip",
    ["R-ENV-002", "R-ENV-004"],
    "The checksum is the hash of the snappy block instead of the uncompressed gossip.",
    "CHECKSUM_MISMATCH",
    "plaintext",
    RICH,
    { checksum: (_c, _g, compressed) => xxhash32(compressed) },
  ),
  invalid(
    "legacy.env.checksum-little-endian",
    "checksum written little-endian",
    ["R-ENV-002", "R-ENV-004"],
    "The right hash, bytes reversed.",
    "CHECKSUM_MISMATCH",
    "plaintext",
    EXAMPLE,
    {
      checksum: (c) =>
        (((c & 0xff) << 24) | ((c >>> 8 & 0xff) << 16) | ((c >>> 16 & 0xff) << 8) | (c >>> 24)) >>>
        0,
    },
  ),
  // -- limits on the envelope (section 11) --
  invalid(
    "legacy.limit.size-bomb",
    "size 2^32 - 1 (decompression bomb)",
    ["R-LIMIT-004"],
    "Size and snappy preamble both say 4294967295 over a 7-byte block; rejected before any allocation.",
    "SIZE_LIMIT",
    "plaintext",
    EXAMPLE,
    { size: () => vi(0xffffffff), compressed: () => cat(vi(0xffffffff), 0x00, 0x61) },
  ),
  invalid(
    "legacy.limit.size-over-limit",
    "size one over maxUncompressedBytes",
    ["R-LIMIT-004", "R-LIMIT-006"],
    "Size 1048577 (limit 1048576); the block declares the same.",
    "SIZE_LIMIT",
    "plaintext",
    EXAMPLE,
    {
      size: () => vi(DEFAULT_LIMITS.maxUncompressedBytes + 1),
      compressed: () => cat(vi(DEFAULT_LIMITS.maxUncompressedBytes + 1), 0x00, 0x61),
    },
  ),
  invalid(
    "legacy.limit.ratio-bomb",
    "size far over the compression ratio",
    ["R-LIMIT-005"],
    "Size and preamble 1000000 (under the size limit) over an 8-byte block: ratio 125000 > 32.",
    "RATIO_LIMIT",
    "plaintext",
    EXAMPLE,
    {
      size: () => vi(1_000_000),
      compressed: () => cat(vi(1_000_000), 0x00, 0x61, 0xfe, 0x01, 0x00),
    },
  ),
  invalid(
    "legacy.limit.ratio-just-over",
    "size one over ratio × block length",
    ["R-LIMIT-005"],
    "Block of 10 bytes, size and preamble 321 = 32 × 10 + 1.",
    "RATIO_LIMIT",
    "plaintext",
    EXAMPLE,
    {
      size: () => vi(321),
      compressed: () => cat(vi(321), 0x00, 0x61, 0xfe, 0x01, 0x00, 0xfe, 0x01, 0x00),
    },
  ),
  invalid(
    "legacy.snappy.ratio-at-limit-but-short",
    "size exactly ratio × block length",
    ["R-ERR-003", "R-LIMIT-005", "R-ENV-007"],
    "Block of 10 bytes, size and preamble 320 = 32 × 10: passes the ratio check, then the block produces only 129 of 320 bytes.",
    "SNAPPY_CORRUPT",
    "plaintext",
    EXAMPLE,
    {
      size: () => vi(320),
      compressed: () => cat(vi(320), 0x00, 0x61, 0xfe, 0x01, 0x00, 0xfe, 0x01, 0x00),
    },
  ),
  // -- snappy (section 7.2) --
  invalid(
    "legacy.snappy.preamble-truncated",
    "snappy block ends inside its preamble",
    ["R-ENV-006", "R-ENV-007"],
    "The block is the single byte 80.",
    "SNAPPY_CORRUPT",
    "plaintext",
    EXAMPLE,
    { compressed: () => cat(0x80) },
  ),
  invalid(
    "legacy.snappy.preamble-nonminimal",
    "non-minimal snappy preamble",
    ["R-ENV-007"],
    "The preamble 36 written as a400; the size field is minimal.",
    "SNAPPY_CORRUPT",
    "plaintext",
    EXAMPLE,
    { compressed: (c, g) => splice(c, 0, 1, viNonMinimal(N(g))) },
  ),
  invalid(
    "legacy.snappy.copy-offset-zero",
    "copy with offset 0",
    ["R-ENV-006", "R-ENV-007"],
    "A literal of all but 4 gossip bytes, then a 4-byte copy with offset 0.",
    "SNAPPY_CORRUPT",
    "plaintext",
    RICH,
    { compressed: (_c, g) => cat(vi(N(g)), literal(g.subarray(0, N(g) - 4)), 0x01, 0x00) },
  ),
  invalid(
    "legacy.snappy.copy-offset-too-far",
    "copy reaching before the output",
    ["R-ENV-006", "R-ENV-007"],
    "A literal of n - 4 bytes, then a 4-byte copy with offset n - 3.",
    "SNAPPY_CORRUPT",
    "plaintext",
    RICH,
    {
      compressed: (_c, g) =>
        cat(
          vi(N(g)),
          literal(g.subarray(0, N(g) - 4)),
          0x02 | (3 << 2),
          (N(g) - 3) & 0xff,
          (N(g) - 3) >> 8,
        ),
    },
  ),
  invalid(
    "legacy.snappy.literal-past-end",
    "literal running past the block",
    ["R-ENV-006", "R-ENV-007"],
    "A literal tag for the whole gossip followed by one byte less.",
    "SNAPPY_CORRUPT",
    "plaintext",
    RICH,
    { compressed: (_c, g) => cat(vi(N(g)), litTag(N(g)), g.subarray(0, N(g) - 1)) },
  ),
  invalid(
    "legacy.snappy.output-short",
    "block produces fewer bytes than declared",
    ["R-ENV-006", "R-ENV-007"],
    "Preamble n, one literal of n - 1 bytes.",
    "SNAPPY_CORRUPT",
    "plaintext",
    RICH,
    { compressed: (_c, g) => cat(vi(N(g)), literal(g.subarray(0, N(g) - 1))) },
  ),
  invalid(
    "legacy.snappy.output-overflow",
    "block produces more bytes than declared",
    ["R-ENV-006", "R-ENV-007"],
    "Preamble n, a literal of the whole gossip, then one more literal byte.",
    "SNAPPY_CORRUPT",
    "plaintext",
    RICH,
    { compressed: (_c, g) => cat(vi(N(g)), literal(g), 0x00, 0x00) },
  ),
  invalid(
    "legacy.snappy.copy4-truncated",
    "copy with a 4-byte offset cut short",
    ["R-ENV-006", "R-ENV-007"],
    "A literal of n - 4 bytes, then a copy-4 tag with only 2 offset bytes.",
    "SNAPPY_CORRUPT",
    "plaintext",
    RICH,
    { compressed: (_c, g) => cat(vi(N(g)), literal(g.subarray(0, N(g) - 4)), 0x0f, 0x01, 0x00) },
  ),
  invalid(
    "legacy.snappy.literal-length-truncated",
    "literal length bytes run past the block",
    ["R-ENV-006", "R-ENV-007"],
    "The block ends with a literal tag announcing 2 length bytes (f4) and one of them.",
    "SNAPPY_CORRUPT",
    "plaintext",
    RICH,
    { compressed: (_c, g) => cat(vi(N(g)), literal(g.subarray(0, N(g) - 4)), 0xf4, 0x01) },
  ),
  // -- gossip: table (section 4) --
  invalid(
    "legacy.gossip.empty",
    "empty gossip",
    ["R-ERR-002"],
    "Size 0, block 00: nothing where the table count should be.",
    "TRUNCATED",
    "gossip",
    EXAMPLE,
    { gossip: () => new Uint8Array(0) },
  ),
  invalid(
    "legacy.table.count-truncated",
    "gossip ends inside the table count",
    ["R-ERR-002"],
    "The gossip is the single byte 80.",
    "TRUNCATED",
    "gossip",
    EXAMPLE,
    { gossip: () => cat(0x80) },
  ),
  invalid(
    "legacy.table.count-nonminimal",
    "non-minimal table count",
    ["R-VARINT-003"],
    "Table count 6 written as 8600.",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    setField((m) => m.tableCount, viNonMinimal(6)),
  ),
  invalid(
    "legacy.table.count-too-long",
    "table count longer than 5 bytes",
    ["R-VARINT-003"],
    "Table count written as 808080808001.",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    setField((m) => m.tableCount, viTooLong(5)),
  ),
  invalid(
    "legacy.table.count-overflow",
    "table count over 2^32 - 1",
    ["R-VARINT-004"],
    "Table count 2^32.",
    "VARINT_OVERFLOW",
    "gossip",
    RICH,
    setField((m) => m.tableCount, VI_2_32),
  ),
  invalid(
    "legacy.limit.table-count",
    "table count over maxTableEntries",
    ["R-ERR-003", "R-LIMIT-002"],
    "Table count 4097 (limit 4096) in front of the six real entries; the limit is checked before the bytes left.",
    "TABLE_LIMIT",
    "gossip",
    RICH,
    setField((m) => m.tableCount, vi(4097)),
  ),
  invalid(
    "legacy.table.count-exceeds-bytes",
    "table count larger than the bytes left",
    ["R-TABLE-007", "R-ERR-002"],
    "Table count 100 with 6 entries and the rest of the gossip (fewer than 600 bytes) behind it.",
    "TRUNCATED",
    "gossip",
    RICH,
    setField((m) => m.tableCount, vi(100)),
  ),
  invalid(
    "legacy.table.entry-truncated",
    "gossip ends inside a table entry",
    ["R-TABLE-002", "R-ERR-002"],
    "The gossip cut 3 bytes into the third table entry.",
    "TRUNCATED",
    "gossip",
    RICH,
    cutGossip((m) => m.entries[2][0] + 3),
  ),
  invalid(
    "legacy.table.unsorted",
    "table entries out of order",
    ["R-TABLE-003", "R-TABLE-004"],
    "Entries 0 and 1 swapped.",
    "TABLE_NOT_CANONICAL",
    "gossip",
    RICH,
    {
      gossip: (g, m) => {
        const [a, b] = [g.slice(...m.entries[0]), g.slice(...m.entries[1])];
        return splice(g, m.entries[0][0], m.entries[1][1], cat(b, a));
      },
    },
  ),
  invalid(
    "legacy.table.duplicate",
    "repeated table entry",
    ["R-TABLE-003", "R-TABLE-004"],
    "Entry 1 replaced by a copy of entry 0.",
    "TABLE_NOT_CANONICAL",
    "gossip",
    RICH,
    { gossip: (g, m) => splice(g, m.entries[1][0], m.entries[1][1], g.slice(...m.entries[0])) },
  ),
  invalid(
    "legacy.table.ports-unsorted",
    "same address, ports descending",
    ["R-TABLE-003", "R-TABLE-004"],
    "The worked example's entries 1 (port 30001) and 2 (port 30002) swapped.",
    "TABLE_NOT_CANONICAL",
    "gossip",
    EXAMPLE,
    {
      gossip: (g, m) => {
        const [a, b] = [g.slice(...m.entries[1]), g.slice(...m.entries[2])];
        return splice(g, m.entries[1][0], m.entries[2][1], cat(b, a));
      },
    },
  ),
  invalid(
    "legacy.table.text-order",
    "table sorted as text",
    ["R-TABLE-003", "R-TABLE-004"],
    "The octet-order case's table in text order (10.0.0.10, 10.0.0.2, 100.0.0.1, 9.0.0.1).",
    "TABLE_NOT_CANONICAL",
    "gossip",
    {
      key: EXAMPLE_KEY,
      gossip: {
        ...only(bid("100.0.0.1", 1, 1)),
        distribution: [ip("10.0.0.10", 1), ip("9.0.0.1", 1), ip("10.0.0.2", 1)],
      },
      typeName: "hello",
      payload: utf8("octet order"),
    },
    {
      gossip: (g, m) => {
        // Numeric order is 9.0.0.1, 10.0.0.2, 10.0.0.10, 100.0.0.1; text order is 2, 1, 3, 0.
        const e = m.entries.map((s) => g.slice(...s));
        return splice(g, m.entries[0][0], m.entries[3][1], cat(e[2], e[1], e[3], e[0]));
      },
    },
  ),
  // -- gossip: current BroadcastID (section 5) --
  invalid(
    "legacy.gossip.no-current",
    "gossip ends after the table",
    ["R-GOSSIP-001", "R-ERR-002"],
    "Only the table.",
    "TRUNCATED",
    "gossip",
    RICH,
    cutGossip((m) => m.currentRef[0]),
  ),
  invalid(
    "legacy.gossip.current-ref-out-of-range",
    "current reference equal to the table size",
    ["R-TABLE-006"],
    "Current reference 6 into a table of 6 entries.",
    "TABLE_REF_OUT_OF_RANGE",
    "gossip",
    RICH,
    setField((m) => m.currentRef, vi(6)),
  ),
  invalid(
    "legacy.gossip.current-ref-nonminimal",
    "non-minimal current reference",
    ["R-VARINT-003"],
    "Current reference 1 written as 8100.",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    setField((m) => m.currentRef, viNonMinimal(1)),
  ),
  invalid(
    "legacy.gossip.current-ref-too-long",
    "current reference longer than 5 bytes",
    ["R-VARINT-003"],
    "Current reference written as 808080808001.",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    setField((m) => m.currentRef, viTooLong(5)),
  ),
  invalid(
    "legacy.gossip.current-ref-overflow",
    "current reference over 2^32 - 1",
    ["R-ERR-003", "R-VARINT-004"],
    "Current reference 2^32: overflow is reported before the range check.",
    "VARINT_OVERFLOW",
    "gossip",
    RICH,
    setField((m) => m.currentRef, VI_2_32),
  ),
  invalid(
    "legacy.gossip.current-seqno-truncated",
    "gossip ends inside the current sequence number",
    ["R-ERR-002"],
    "Sequence number 300 (ac02) cut after ac.",
    "TRUNCATED",
    "gossip",
    RICH,
    cutGossip((m) => m.currentSeqno[0] + 1),
  ),
  invalid(
    "legacy.gossip.current-seqno-nonminimal",
    "non-minimal sequence number",
    ["R-VARINT-003"],
    "300 written as ac8200.",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    setField((m) => m.currentSeqno, viNonMinimal(300)),
  ),
  invalid(
    "legacy.gossip.current-seqno-too-long",
    "sequence number longer than 8 bytes",
    ["R-VARINT-002", "R-VARINT-003"],
    "Sequence number written as 80808080808080808001 (9 bytes).",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    setField((m) => m.currentSeqno, viTooLong(8)),
  ),
  invalid(
    "legacy.gossip.current-seqno-overflow",
    "sequence number 2^53",
    ["R-VARINT-004", "R-NETID-006"],
    "2^53 (8080808080808010) exceeds the largest sequence number 2^53 - 1.",
    "VARINT_OVERFLOW",
    "gossip",
    RICH,
    setField((m) => m.currentSeqno, VI_2_53),
  ),
  // -- gossip: seen --
  invalid(
    "legacy.limit.seen-count",
    "seen count over maxListLength",
    ["R-ERR-003", "R-LIMIT-003", "R-GOSSIP-006"],
    "Seen count 4097; the limit is checked before the bytes left.",
    "LIST_LIMIT",
    "gossip",
    RICH,
    setField((m) => m.seenCount, vi(4097)),
  ),
  invalid(
    "legacy.gossip.seen-count-exceeds-bytes",
    "seen count larger than the bytes left",
    ["R-GOSSIP-006", "R-ERR-002"],
    "Seen count 100 needs at least 200 bytes; fewer are left.",
    "TRUNCATED",
    "gossip",
    RICH,
    setField((m) => m.seenCount, vi(100)),
  ),
  invalid(
    "legacy.gossip.seen-count-nonminimal",
    "non-minimal seen count",
    ["R-VARINT-003"],
    "Seen count 2 written as 8200.",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    setField((m) => m.seenCount, viNonMinimal(2)),
  ),
  invalid(
    "legacy.gossip.seen-count-overflow",
    "seen count over 2^32 - 1",
    ["R-VARINT-004"],
    "Seen count 2^32.",
    "VARINT_OVERFLOW",
    "gossip",
    RICH,
    setField((m) => m.seenCount, VI_2_32),
  ),
  invalid(
    "legacy.gossip.seen-ref-out-of-range",
    "seen reference out of range",
    ["R-TABLE-006"],
    "The second seen reference set to 200 (table of 6).",
    "TABLE_REF_OUT_OF_RANGE",
    "gossip",
    RICH,
    setField((m) => m.seen[1].ref, vi(200)),
  ),
  invalid(
    "legacy.gossip.seen-seqno-truncated",
    "gossip ends inside a seen sequence number",
    ["R-ERR-002"],
    "Seen sequence number 70000 (3 bytes) cut after 2.",
    "TRUNCATED",
    "gossip",
    RICH,
    cutGossip((m) => m.seen[1].seqno[0] + 2),
  ),
  invalid(
    "legacy.gossip.seen-seqno-overflow",
    "seen sequence number 2^53",
    ["R-VARINT-004", "R-NETID-006"],
    "The first seen sequence number set to 2^53.",
    "VARINT_OVERFLOW",
    "gossip",
    RICH,
    setField((m) => m.seen[0].seqno, VI_2_53),
  ),
  // -- gossip: other --
  invalid(
    "legacy.limit.other-count",
    "other count over maxListLength",
    ["R-LIMIT-003", "R-GOSSIP-006"],
    "Other count 4097.",
    "LIST_LIMIT",
    "gossip",
    RICH,
    setField((m) => m.otherCount, vi(4097)),
  ),
  invalid(
    "legacy.gossip.other-count-overflow",
    "other count over 2^32 - 1",
    ["R-VARINT-004"],
    "Other count 2^32.",
    "VARINT_OVERFLOW",
    "gossip",
    RICH,
    setField((m) => m.otherCount, VI_2_32),
  ),
  invalid(
    "legacy.gossip.other-ref-out-of-range",
    "other reference out of range",
    ["R-TABLE-006"],
    "Other reference 6 into a table of 6.",
    "TABLE_REF_OUT_OF_RANGE",
    "gossip",
    RICH,
    setField((m) => m.other[0], vi(6)),
  ),
  invalid(
    "legacy.gossip.other-ref-truncated",
    "gossip ends inside an other reference",
    ["R-ERR-002"],
    "The gossip ends with the other count 1 and a reference byte 80.",
    "TRUNCATED",
    "gossip",
    RICH,
    { gossip: (g, m) => cat(g.slice(0, m.other[0][0]), 0x80) },
  ),
  // -- gossip: distribution --
  invalid(
    "legacy.limit.distribution-count",
    "distribution count over maxListLength",
    ["R-LIMIT-003", "R-GOSSIP-006"],
    "Distribution count 4097.",
    "LIST_LIMIT",
    "gossip",
    RICH,
    setField((m) => m.distCount, vi(4097)),
  ),
  invalid(
    "legacy.gossip.distribution-count-exceeds-bytes",
    "distribution count larger than the bytes left",
    ["R-GOSSIP-006", "R-ERR-002"],
    "Distribution count 100; fewer than 100 bytes are left.",
    "TRUNCATED",
    "gossip",
    RICH,
    setField((m) => m.distCount, vi(100)),
  ),
  invalid(
    "legacy.gossip.distribution-ref-out-of-range",
    "distribution reference out of range",
    ["R-TABLE-006"],
    "The worked example's second distribution reference set to 3 (table of 3).",
    "TABLE_REF_OUT_OF_RANGE",
    "gossip",
    EXAMPLE,
    setField((m) => m.dist[1], vi(3)),
  ),
  invalid(
    "legacy.gossip.distribution-ref-nonminimal",
    "non-minimal distribution reference",
    ["R-VARINT-003"],
    "The worked example's first distribution reference 1 written as 8100.",
    "VARINT_OVERLONG",
    "gossip",
    EXAMPLE,
    setField((m) => m.dist[0], viNonMinimal(1)),
  ),
  // -- type tag (section 6) --
  invalid(
    "legacy.tag.missing",
    "gossip ends before the type tag",
    ["R-GOSSIP-002", "R-ERR-002"],
    "The worked example's gossip cut after the distribution list.",
    "TRUNCATED",
    "gossip",
    EXAMPLE,
    cutGossip((m) => m.tag[0]),
  ),
  invalid(
    "legacy.tag.truncated",
    "gossip ends inside the type tag",
    ["R-TAG-001", "R-ERR-002"],
    "Tag f9ef81d80f cut after 2 bytes, no payload.",
    "TRUNCATED",
    "gossip",
    EXAMPLE,
    cutGossip((m) => m.tag[0] + 2),
  ),
  invalid(
    "legacy.tag.nonminimal",
    "non-minimal type tag",
    ["R-VARINT-003"],
    "Tag 7 written as 8700 (followed by the payload).",
    "VARINT_OVERLONG",
    "gossip",
    { key: EXAMPLE_KEY, gossip: EXAMPLE.gossip, typeTag: 7, payload: utf8("tag") },
    setField((m) => m.tag, viNonMinimal(7)),
  ),
  invalid(
    "legacy.tag.too-long",
    "type tag longer than 5 bytes",
    ["R-VARINT-003"],
    "Tag written as 808080808001.",
    "VARINT_OVERLONG",
    "gossip",
    EXAMPLE,
    setField((m) => m.tag, viTooLong(5)),
  ),
  invalid(
    "legacy.tag.overflow",
    "type tag over 2^32 - 1",
    ["R-VARINT-004", "R-TAG-001"],
    "Tag 2^32.",
    "VARINT_OVERFLOW",
    "gossip",
    EXAMPLE,
    setField((m) => m.tag, VI_2_32),
  ),
  // -- more varint shapes and truncations, so that every varint field and every field
  //    boundary has its own case --
  invalid(
    "legacy.snappy.preamble-overflow",
    "snappy preamble over 2^32 - 1",
    ["R-ENV-007"],
    "Preamble 2^32 (8080808010): the varint procedure fails, reported as SNAPPY_CORRUPT.",
    "SNAPPY_CORRUPT",
    "plaintext",
    EXAMPLE,
    { compressed: (c) => splice(c, 0, 1, VI_2_32) },
  ),
  invalid(
    "legacy.snappy.preamble-too-long",
    "snappy preamble longer than 5 bytes",
    ["R-ENV-007"],
    "Preamble 808080808001.",
    "SNAPPY_CORRUPT",
    "plaintext",
    EXAMPLE,
    { compressed: (c) => splice(c, 0, 1, viTooLong(5)) },
  ),
  invalid(
    "legacy.gossip.current-ref-truncated",
    "gossip ends inside the current reference",
    ["R-ERR-002", "R-VARINT-005"],
    "The table, then the byte 80.",
    "TRUNCATED",
    "gossip",
    RICH,
    { gossip: (g, m) => cat(g.slice(0, m.currentRef[0]), 0x80) },
  ),
  invalid(
    "legacy.gossip.no-seen-count",
    "gossip ends before the seen count",
    ["R-GOSSIP-001", "R-ERR-002"],
    "Cut after the current sequence number.",
    "TRUNCATED",
    "gossip",
    RICH,
    cutGossip((m) => m.seenCount[0]),
  ),
  invalid(
    "legacy.gossip.seen-count-too-long",
    "seen count longer than 5 bytes",
    ["R-VARINT-003"],
    "Seen count written as 808080808001.",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    setField((m) => m.seenCount, viTooLong(5)),
  ),
  invalid(
    "legacy.gossip.seen-ref-nonminimal",
    "non-minimal seen reference",
    ["R-VARINT-003"],
    "The first seen reference written with an extra 00 group.",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    {
      gossip: (g, m) =>
        splice(g, m.seen[0].ref[0], m.seen[0].ref[1], viNonMinimal(g[m.seen[0].ref[0]])),
    },
  ),
  invalid(
    "legacy.gossip.seen-ref-overflow",
    "seen reference over 2^32 - 1",
    ["R-VARINT-004"],
    "The first seen reference 2^32.",
    "VARINT_OVERFLOW",
    "gossip",
    RICH,
    setField((m) => m.seen[0].ref, VI_2_32),
  ),
  invalid(
    "legacy.gossip.seen-seqno-nonminimal",
    "non-minimal seen sequence number",
    ["R-VARINT-003"],
    "The first seen sequence number 5 written as 8500.",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    setField((m) => m.seen[0].seqno, viNonMinimal(5)),
  ),
  invalid(
    "legacy.gossip.seen-seqno-too-long",
    "seen sequence number longer than 8 bytes",
    ["R-VARINT-003"],
    "The second seen sequence number written as 80808080808080808001.",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    setField((m) => m.seen[1].seqno, viTooLong(8)),
  ),
  invalid(
    "legacy.gossip.no-other-count",
    "gossip ends before the other count",
    ["R-GOSSIP-001", "R-ERR-002"],
    "Cut after the seen list.",
    "TRUNCATED",
    "gossip",
    RICH,
    cutGossip((m) => m.otherCount[0]),
  ),
  invalid(
    "legacy.gossip.other-count-nonminimal",
    "non-minimal other count",
    ["R-VARINT-003"],
    "Other count 1 written as 8100.",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    setField((m) => m.otherCount, viNonMinimal(1)),
  ),
  invalid(
    "legacy.gossip.other-count-too-long",
    "other count longer than 5 bytes",
    ["R-VARINT-003"],
    "Other count written as 808080808001.",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    setField((m) => m.otherCount, viTooLong(5)),
  ),
  invalid(
    "legacy.gossip.other-count-exceeds-bytes",
    "other count larger than the bytes left",
    ["R-GOSSIP-006", "R-ERR-002"],
    "Other count 100; fewer than 100 bytes are left.",
    "TRUNCATED",
    "gossip",
    RICH,
    setField((m) => m.otherCount, vi(100)),
  ),
  invalid(
    "legacy.gossip.other-ref-overflow",
    "other reference over 2^32 - 1",
    ["R-VARINT-004"],
    "Other reference 2^32.",
    "VARINT_OVERFLOW",
    "gossip",
    RICH,
    setField((m) => m.other[0], VI_2_32),
  ),
  invalid(
    "legacy.gossip.other-ref-too-long",
    "other reference longer than 5 bytes",
    ["R-VARINT-003"],
    "Other reference written as 808080808001.",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    setField((m) => m.other[0], viTooLong(5)),
  ),
  invalid(
    "legacy.gossip.no-distribution-count",
    "gossip ends before the distribution count",
    ["R-GOSSIP-001", "R-ERR-002"],
    "Cut after the other list.",
    "TRUNCATED",
    "gossip",
    RICH,
    cutGossip((m) => m.distCount[0]),
  ),
  invalid(
    "legacy.gossip.distribution-count-nonminimal",
    "non-minimal distribution count",
    ["R-VARINT-003"],
    "Distribution count 2 written as 8200.",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    setField((m) => m.distCount, viNonMinimal(2)),
  ),
  invalid(
    "legacy.gossip.distribution-count-too-long",
    "distribution count longer than 5 bytes",
    ["R-VARINT-003"],
    "Distribution count written as 808080808001.",
    "VARINT_OVERLONG",
    "gossip",
    RICH,
    setField((m) => m.distCount, viTooLong(5)),
  ),
  invalid(
    "legacy.gossip.distribution-count-overflow",
    "distribution count over 2^32 - 1",
    ["R-VARINT-004"],
    "Distribution count 2^32.",
    "VARINT_OVERFLOW",
    "gossip",
    RICH,
    setField((m) => m.distCount, VI_2_32),
  ),
  invalid(
    "legacy.gossip.distribution-refs-cut",
    "gossip ends inside the distribution references",
    ["R-GOSSIP-006", "R-ERR-002"],
    "The worked example's gossip cut after the first of two distribution references: the count needs 2 bytes, 1 is left.",
    "TRUNCATED",
    "gossip",
    EXAMPLE,
    cutGossip((m) => m.dist[1][0]),
  ),
  invalid(
    "legacy.gossip.distribution-ref-truncated",
    "gossip ends inside a distribution reference",
    ["R-ERR-002", "R-VARINT-005"],
    "The worked example's last distribution reference replaced by the byte 80, nothing after it.",
    "TRUNCATED",
    "gossip",
    EXAMPLE,
    { gossip: (g, m) => cat(g.slice(0, m.dist[1][0]), 0x80) },
  ),
  invalid(
    "legacy.gossip.distribution-ref-overflow",
    "distribution reference over 2^32 - 1",
    ["R-VARINT-004"],
    "The worked example's first distribution reference 2^32.",
    "VARINT_OVERFLOW",
    "gossip",
    EXAMPLE,
    setField((m) => m.dist[0], VI_2_32),
  ),
  invalid(
    "legacy.gossip.distribution-ref-too-long",
    "distribution reference longer than 5 bytes",
    ["R-VARINT-003"],
    "The worked example's first distribution reference written as 808080808001.",
    "VARINT_OVERLONG",
    "gossip",
    EXAMPLE,
    setField((m) => m.dist[0], viTooLong(5)),
  ),
];

/** Every declared legacy case, valid ones first. */
export const LEGACY_CASES: LegacyCaseDef[] = [...VALID, ...INVALID];

function u32be(n: number): Uint8Array {
  return new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/** Build one case into its vector; throws when the case does not decode as declared. */
export function buildLegacyCase(def: LegacyCaseDef): LegacyVector {
  const b = def.base;
  const padding = b.padding ?? prngBytes(xxhash32(utf8(def.id)), 32);
  const tag = b.typeTag ?? tagOf(b.typeName!);
  const honest = encodeLegacyFrameLayers({
    key: b.key,
    padding,
    gossip: b.gossip,
    typeTag: tag,
    payload: b.payload,
    extraNetIds: b.extraNetIds,
  });
  const c = def.craft ?? {};
  const gossip = c.gossip ? c.gossip(honest.gossip, mapGossip(honest.gossip)) : honest.gossip;
  let compressed = snappyCompress(gossip);
  const checksum = c.checksum ? c.checksum(xxhash32(gossip), gossip, compressed) : xxhash32(gossip);
  if (c.compressed) compressed = c.compressed(compressed, gossip);
  const size = c.size ? c.size(gossip.length) : vi(gossip.length);
  let plaintext = cat(padding, u32be(checksum), size, compressed);
  if (c.plaintext) plaintext = c.plaintext(plaintext);
  const ct = legacyCrypt(c.encryptKey ?? b.key, plaintext);
  let frame = cat(LEGACY_START_BYTE, vi(ct.length), ct);
  if (c.frame) frame = c.frame(frame);

  // Self-check: the case must come out of the library exactly as declared.
  let outcome: string;
  try {
    const d = decodeLegacyFrame(frame, b.key);
    outcome = "valid";
    if (!def.error) {
      if (hex(frame) !== hex(honest.frame)) {
        throw new Error(`${def.id}: frame differs from encoder`);
      }
      const want = JSON.stringify(b.gossip);
      if (JSON.stringify(d.gossip) !== want) {
        throw new Error(`${def.id}: gossip does not round-trip`);
      }
      if (d.typeTag !== tag || hex(d.payload) !== hex(b.payload)) {
        throw new Error(`${def.id}: tag or payload does not round-trip`);
      }
    }
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    outcome = `${e.code}/${e.layer}`;
  }
  const expected = def.error ? `${def.error.code}/${def.error.layer}` : "valid";
  if (outcome !== expected) {
    throw new Error(`vector ${def.id}: expected ${expected}, the library gives ${outcome}`);
  }

  const v: LegacyVector = {
    id: def.id,
    name: def.name,
    reqs: def.reqs,
    comment: def.comment,
    profile: "legacy",
    inputs: {
      key: hex(b.key),
      padding: hex(padding),
      gossip: b.gossip,
      typeName: b.typeName ?? null,
      typeTag: tag,
      payload: hex(b.payload),
      extraNetIds: b.extraNetIds ?? [],
    },
    layers: {
      gossip: hex(gossip),
      checksum: hex(u32be(checksum)),
      compressed: hex(compressed),
      plaintext: hex(plaintext),
    },
    frame: hex(frame),
    result: def.error ? "invalid" : "valid",
  };
  if (def.error) v.errorClass = def.error.code;
  return v;
}

/** Build every legacy case; throws on a duplicate id or a case that misbehaves. */
export function buildLegacyVectors(): {
  profile: "legacy";
  limits: typeof DEFAULT_LIMITS;
  cases: LegacyVector[];
} {
  const ids = new Set<string>();
  for (const d of LEGACY_CASES) {
    if (ids.has(d.id)) throw new Error(`duplicate vector id ${d.id}`);
    ids.add(d.id);
  }
  const cases: LegacyVector[] = [];
  const problems: string[] = [];
  for (const d of LEGACY_CASES) {
    try {
      cases.push(buildLegacyCase(d));
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
  }
  if (problems.length) throw new Error(`bad legacy cases:\n${problems.join("\n")}`);
  return { profile: "legacy", limits: DEFAULT_LIMITS, cases };
}

/** The `vectors/legacy.json` suite. */
export const LEGACY_SUITE: VectorSuite = { file: "legacy.json", build: buildLegacyVectors };
