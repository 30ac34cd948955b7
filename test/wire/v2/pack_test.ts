/**
 * v2 packing in the wire (encodeV2Batch): frames hold the records in order, respect the byte
 * and record limits, are full (the next record would not have fit), and are byte for byte the
 * frames encodeV2Frame writes for the same records, salt and counter. [R-V2-IMPL-002]
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import fc from "fast-check";
import {
  decodeV2Frame,
  encodeV2Batch,
  encodeV2Frame,
  type NetIdTable,
  type OutgoingRecord,
  v2FrameSalt,
  V2Keyring,
  V2Sender,
} from "../../../src/wire/mod.ts";

const keyring = V2Keyring.single(new Uint8Array(32).fill(3), 5);
const me = { ip: "10.0.0.1", port: 4000, seqno: 99 };
const addrs = ["10.0.0.1", "10.0.0.2", "::1", "fe80::7", "192.168.1.200"];

const arbRecord = fc.record({
  typeTag: fc.oneof(fc.nat(200), fc.nat()),
  ip: fc.constantFrom(...addrs),
  port: fc.constantFrom(4000, 4001, 65535),
  seqno: fc.oneof(fc.nat(100), fc.nat()),
  len: fc.oneof(fc.nat(40), fc.nat(900)),
  // A payload that refers to NetIDs through the frame's table (as membership payloads do).
  refs: fc.option(fc.array(fc.constantFrom(...addrs), { minLength: 1, maxLength: 3 }), {
    nil: undefined,
  }),
});

interface Raw {
  typeTag: number;
  ip: string;
  port: number;
  seqno: number;
  len: number;
  refs?: string[];
}

function toRecord(a: Raw): OutgoingRecord {
  const origin = { ip: a.ip, port: a.port, seqno: a.seqno };
  if (a.refs === undefined) {
    return { typeTag: a.typeTag, origin, payload: new Uint8Array(a.len).fill(a.len & 0xff) };
  }
  const ids = a.refs.map((ip) => ({ ip, port: 9 }));
  return {
    typeTag: a.typeTag,
    origin,
    extraNetIds: ids,
    payload: (t: NetIdTable) => new Uint8Array([...ids.map((x) => t.indexOf(x)), a.len & 0xff]),
  };
}

Deno.test("[R-V2-IMPL-002] encodeV2Batch: order, limits, full frames, same bytes as encodeV2Frame", () => {
  fc.assert(
    fc.property(
      fc.array(arbRecord, { minLength: 1, maxLength: 60 }),
      fc.integer({ min: 200, max: 5000 }),
      fc.integer({ min: 1, max: 40 }),
      fc.array(fc.constantFrom(...addrs), { maxLength: 4 }),
      (raw, maxFrameBytes, maxRecords, dist) => {
        const records = raw.map(toRecord);
        const gossip = {
          current: me,
          seen: [],
          other: [],
          distribution: dist.map((ip) => ({ ip, port: 4000 })),
        };
        const salt = new Uint8Array(16).fill(1);
        // A fixed clock: the one-frame encoder below seals at the same time. [R-V2-TIME-001]
        const sender = new V2Sender({ random: () => salt, clock: () => 1_767_225_600_000 });
        const frames = encodeV2Batch({
          sender,
          keyring,
          label: "L",
          gossip,
          records,
          maxFrameBytes,
          maxRecords,
          compression: "none",
        });
        let at = 0;
        frames.forEach((f, i) => {
          const d = decodeV2Frame(f, { keyring, label: "L" });
          const n = d.records.length;
          ok(n <= maxRecords);
          ok(f.length <= maxFrameBytes || n === 1, `frame ${i}: ${f.length} > ${maxFrameBytes}`);
          const chunk = records.slice(at, at + n);
          // Same bytes as the one-frame encoder for this chunk, salt and counter.
          const same = encodeV2Frame({
            keyring,
            label: "L",
            gossip,
            records: chunk,
            salt,
            counter: BigInt(i),
            sealedAt: 1_767_225_600_000,
            compression: "none",
          });
          deepStrictEqual(f, same);
          // Full: adding the next record would break a limit.
          if (i < frames.length - 1 && n < maxRecords) {
            const bigger = encodeV2Frame({
              keyring,
              label: "L",
              gossip,
              records: records.slice(at, at + n + 1),
              salt,
              counter: 0n,
              compression: "none",
            });
            ok(bigger.length > maxFrameBytes, `frame ${i} could hold one more record`);
          }
          at += n;
        });
        equal(at, records.length);
        deepStrictEqual(v2FrameSalt(frames[0]), salt);
        equal(sender.counter, BigInt(frames.length));
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("[R-V2-IMPL-002] encodeV2Batch: a compression policy is asked per frame and told the result", () => {
  const asked: string[] = [];
  const text = new TextEncoder().encode("hello hello hello hello hello hello hello hello");
  const records = Array.from({ length: 6 }, (_, i) => ({
    typeTag: 1,
    origin: { ...me, seqno: i },
    payload: i < 3 ? text : crypto.getRandomValues(new Uint8Array(48)),
  }));
  const frames = encodeV2Batch({
    sender: new V2Sender(),
    keyring,
    label: "",
    gossip: { current: me, seen: [], other: [], distribution: [] },
    records,
    maxFrameBytes: 65536,
    maxRecords: 3,
    minCompressionSaving: 0.125,
    compression: {
      choose: () => "snappy",
      sealed: (compressed, tried) => asked.push(`${tried}:${compressed}`),
    },
  });
  equal(frames.length, 2);
  deepStrictEqual(asked, ["snappy:true", "snappy:false"]);
});
