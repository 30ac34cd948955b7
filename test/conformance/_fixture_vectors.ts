/**
 * Small fixture vectors for the runner's own tests, built with the reference codec at test
 * time, so the runner is tested independently of the golden vector files. Each invalid
 * fixture's `errorClass` is what the reference decoder says, and the builder asserts it is
 * the class the fixture was made to provoke.
 */

import { ByteWriter } from "../../src/wire/byte_writer.ts";
import { DecodeError } from "../../src/wire/decode_error.ts";
import type { Gossip } from "../../src/wire/gossip.ts";
import { legacyCrypt } from "../../src/wire/legacy_cipher.ts";
import { decodeLegacyFrame, encodeLegacyFrameLayers } from "../../src/wire/legacy_frame.ts";
import { snappyCompress } from "../../src/wire/snappy.ts";
import { typeTag, xxhash32 } from "../../src/wire/xxhash32.ts";
import { hex, unhex } from "../../conformance/runner/hex.ts";

const te = new TextEncoder();
const KEY = te.encode("01234567890123456789012345678912");
const PAD = unhex("2a7327802f5c6c9f28f14e17835d0dd3a889b715eb871e143854d2f7d735d08a");

function seal(pt: Uint8Array, key = KEY): Uint8Array {
  const w = new ByteWriter();
  w.u8(0xff);
  w.varint(pt.length);
  w.bytes(legacyCrypt(key, pt));
  return w.finish();
}

function plaintext(gossip: Uint8Array, opt: { checksumXor?: number; sizeDelta?: number } = {}) {
  const w = new ByteWriter();
  w.bytes(PAD);
  w.u32be((xxhash32(gossip, 0) ^ (opt.checksumXor ?? 0)) >>> 0);
  w.varint(gossip.length + (opt.sizeDelta ?? 0));
  w.bytes(snappyCompress(gossip));
  return w.finish();
}

/** Raw gossip bytes: a table of [a,b,c,d,port] entries, then the fields as given. */
function rawGossip(table: number[][], fields: number[]): Uint8Array {
  const w = new ByteWriter();
  w.varint(table.length);
  for (const [a, b, c, d, port] of table) {
    w.bytes(new Uint8Array([a, b, c, d]));
    w.u16be(port);
  }
  for (const f of fields) w.varint(f);
  return w.finish();
}

interface ValidSpec {
  id: string;
  reqs: string[];
  gossip: Gossip;
  typeName: string;
  payload: Uint8Array;
  extraNetIds?: { ip: string; port: number }[];
}

function valid(s: ValidSpec) {
  const layers = encodeLegacyFrameLayers({
    key: KEY,
    padding: PAD,
    gossip: s.gossip,
    typeName: s.typeName,
    payload: s.payload,
    extraNetIds: s.extraNetIds,
  });
  return {
    id: s.id,
    name: s.id,
    reqs: s.reqs,
    profile: "legacy",
    inputs: {
      key: hex(KEY),
      padding: hex(PAD),
      gossip: s.gossip,
      typeName: s.typeName,
      typeTag: typeTag(s.typeName),
      payload: hex(s.payload),
      extraNetIds: s.extraNetIds ?? [],
    },
    layers: {
      gossip: hex(layers.gossip),
      checksum: layers.checksum,
      compressed: hex(layers.compressed),
      plaintext: hex(layers.plaintext),
    },
    frame: hex(layers.frame),
    result: "valid",
  };
}

function invalid(id: string, reqs: string[], frame: Uint8Array, want: string) {
  let code = "";
  try {
    decodeLegacyFrame(frame, KEY);
  } catch (e) {
    if (e instanceof DecodeError) code = e.code;
    else throw e;
  }
  if (code !== want) {
    throw new Error(`fixture ${id}: reference says ${code || "valid"}, want ${want}`);
  }
  return {
    id,
    name: id,
    reqs,
    profile: "legacy",
    inputs: { key: hex(KEY) },
    frame: hex(frame),
    result: "invalid",
    errorClass: code,
  };
}

/** The fixture vectors. */
export function fixtureVectors(): unknown[] {
  const worked = valid({
    id: "fx.valid.worked-example",
    reqs: ["R-FRAME-001"],
    gossip: {
      current: { ip: "127.0.0.1", port: 29999, seqno: 1 },
      seen: [],
      other: [],
      distribution: [{ ip: "127.0.0.1", port: 30001 }, { ip: "127.0.0.1", port: 30002 }],
    },
    typeName: "hello",
    payload: te.encode("world"),
  });
  const unsorted = valid({
    id: "fx.valid.first-use-not-sorted",
    reqs: ["R-TABLE-003"],
    gossip: {
      current: { ip: "10.0.0.9", port: 5, seqno: 70000 },
      seen: [{ ip: "10.0.0.1", port: 7, seqno: 300 }],
      other: [{ ip: "10.0.0.5", port: 1 }],
      distribution: [{ ip: "10.0.0.3", port: 2 }, { ip: "10.0.0.9", port: 5 }],
    },
    typeName: "x",
    payload: te.encode("abcdefgh".repeat(25)),
    extraNetIds: [{ ip: "10.0.0.2", port: 9 }],
  });
  const empty = valid({
    id: "fx.valid.empty-payload",
    reqs: ["R-PAYLOAD-001"],
    gossip: {
      current: { ip: "192.168.1.1", port: 65535, seqno: 0 },
      seen: [],
      other: [],
      distribution: [],
    },
    typeName: "",
    payload: new Uint8Array(0),
  });
  const good = unhex(worked.frame);
  const startByte = good.slice();
  startByte[0] = 0x00;
  const trailing = new Uint8Array([...good, 0]);
  const g = unhex(worked.layers.gossip);
  return [
    worked,
    unsorted,
    empty,
    invalid("fx.invalid.truncated", ["R-ERR-002"], good.subarray(0, good.length - 1), "TRUNCATED"),
    invalid("fx.invalid.short", ["R-ERR-002"], new Uint8Array([0xff]), "TRUNCATED"),
    invalid("fx.invalid.start-byte", ["R-FRAME-002"], startByte, "BAD_START_BYTE"),
    invalid("fx.invalid.trailing", ["R-TRANSPORT-002"], trailing, "TRAILING_BYTES"),
    invalid(
      "fx.invalid.checksum",
      ["R-ENV-004"],
      seal(plaintext(g, { checksumXor: 1 })),
      "CHECKSUM_MISMATCH",
    ),
    invalid(
      "fx.invalid.size-mismatch",
      ["R-ENV-005"],
      seal(plaintext(g, { sizeDelta: 1 })),
      "SIZE_MISMATCH",
    ),
    invalid(
      "fx.invalid.table-ref",
      ["R-TABLE-006"],
      seal(plaintext(rawGossip([[10, 0, 0, 1, 1], [10, 0, 0, 2, 2]], [5, 1, 0, 0, 0, 1]))),
      "TABLE_REF_OUT_OF_RANGE",
    ),
    invalid(
      "fx.invalid.table-unsorted",
      ["R-TABLE-004"],
      seal(plaintext(rawGossip([[10, 0, 0, 2, 2], [10, 0, 0, 1, 1]], [0, 1, 0, 0, 1, 1, 1]))),
      "TABLE_NOT_CANONICAL",
    ),
  ];
}

/** Write the fixtures as `<dir>/fixture.json`; returns `dir`. */
export async function writeFixtureVectors(dir: string): Promise<string> {
  await Deno.writeTextFile(`${dir}/fixture.json`, JSON.stringify(fixtureVectors(), null, 1));
  return dir;
}
