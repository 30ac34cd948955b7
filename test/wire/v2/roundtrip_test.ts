import { deepStrictEqual, strictEqual } from "node:assert/strict";
import fc from "fast-check";
import {
  decodeV2Frame,
  encodeV2Frame,
  type Gossip,
  type NetId,
  type OutgoingRecord,
  V2Keyring,
} from "../../../src/wire/mod.ts";

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join("."));
const ipv6 = fc.ipV6();
const ip = fc.oneof(ipv4, ipv6);
const port = fc.nat(65535);
const seqno = fc.oneof(fc.nat(1000), fc.maxSafeNat());
const netId = fc.record({ ip, port });
const bid = fc.record({ ip, port, seqno });

const gossip: fc.Arbitrary<Gossip> = fc.record({
  current: bid,
  seen: fc.array(bid, { maxLength: 5 }),
  other: fc.array(netId, { maxLength: 5 }),
  distribution: fc.array(netId, { maxLength: 5 }),
});
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ maxLength: 200 }).map((s) => new TextEncoder().encode(s.repeat(3))),
);
const record: fc.Arbitrary<OutgoingRecord> = fc.record({
  typeTag: fc.nat(0xffff_ffff),
  origin: bid,
  payload,
});
const key = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** The canonical text of an address, as the decoder returns it. */
function canon(id: NetId): string {
  return new URL(`http://[${id.ip.includes(":") ? id.ip : "::ffff:" + id.ip}]`).hostname;
}

Deno.test("v2 round trip: decode(encode(x)) = x for random gossips, records, keys, labels [R-V2-BODY-001]", () => {
  fc.assert(
    fc.property(
      gossip,
      fc.array(record, { minLength: 1, maxLength: 20 }),
      key,
      fc.nat(255),
      fc.string({ maxLength: 40 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
      fc.constantFrom("snappy" as const, "none" as const),
      (g, records, k, keyId, label, salt, counter, compression) => {
        const keyring = V2Keyring.single(k, keyId);
        const frame = encodeV2Frame({
          keyring,
          label,
          salt,
          counter,
          gossip: g,
          records,
          compression,
        });
        const d = decodeV2Frame(frame, { keyring, label });
        strictEqual(d.profile, "v2");
        strictEqual(d.keyId, keyId);
        strictEqual(d.counter, counter);
        deepStrictEqual([...d.salt], [...salt]);
        // Addresses come back in canonical text: compare through a canonicaliser.
        const c = (x: NetId) => `${canon(x)}|${x.port}`;
        strictEqual(c(d.gossip.current), c(g.current));
        strictEqual(d.gossip.current.seqno, g.current.seqno);
        deepStrictEqual(
          d.gossip.seen.map((s) => c(s) + "|" + s.seqno),
          g.seen.map((s) => c(s) + "|" + s.seqno),
        );
        deepStrictEqual(d.gossip.other.map(c), g.other.map(c));
        deepStrictEqual(d.gossip.distribution.map(c), g.distribution.map(c));
        strictEqual(d.records.length, records.length);
        for (let i = 0; i < records.length; i++) {
          const r = records[i];
          strictEqual(d.records[i].typeTag, r.typeTag);
          strictEqual(c(d.records[i].origin), c(r.origin));
          strictEqual(d.records[i].origin.seqno, r.origin.seqno);
          deepStrictEqual([...d.records[i].payload], [...(r.payload as Uint8Array)]);
        }
        if (compression === "none") strictEqual(d.compressed, false);
      },
    ),
    { numRuns: 300 },
  );
});
