/**
 * `deno bench bench/v2_bench.ts`: the v2 profile's encode+decode throughput with 100-byte
 * payloads (64-record and single-record frames), the AES-256-GCM floor of the same sizes, and
 * the per-message overhead in bytes of v2 against legacy (printed when the file loads).
 *
 * @module
 */

import { createCipheriv, createDecipheriv } from "node:crypto";
import {
  decodeLegacyFrame,
  encodeLegacyFrame,
  type Gossip,
  type OutgoingRecord,
  typeTag,
  V2Decoder,
  V2Keyring,
  V2Sender,
} from "../src/wire/mod.ts";

const PAYLOAD = 100;
const keyring = V2Keyring.single(crypto.getRandomValues(new Uint8Array(32)), 1);
const legacyKey = crypto.getRandomValues(new Uint8Array(32));
const me = { ip: "10.0.0.1", port: 29999, seqno: 1 };
const gossip: Gossip = {
  current: me,
  seen: [],
  other: [],
  distribution: [2, 3, 4, 5].map((i) => ({ ip: `10.0.0.${i}`, port: 29999 })),
};
const tag = typeTag("bench");

/** `n` records of random (incompressible) 100-byte payloads from 4 origins. */
function records(n: number): OutgoingRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    typeTag: tag,
    origin: { ip: `10.0.0.${(i % 4) + 1}`, port: 29999, seqno: 1000 + i },
    payload: crypto.getRandomValues(new Uint8Array(PAYLOAD)),
  }));
}

const R1 = records(1);
const R64 = records(64);

function pair(recs: OutgoingRecord[], compression: "snappy" | "none") {
  const tx = new V2Sender();
  const rx = new V2Decoder({ keyring, label: "bench" });
  return () => {
    const f = tx.encode({ keyring, label: "bench", gossip, records: recs, compression });
    const d = rx.decode(f);
    if (d.records.length !== recs.length) throw new Error("lost records");
  };
}

// ---- per-message overhead (printed once) ------------------------------------------------

function v2Bytes(n: number): number {
  const tx = new V2Sender();
  return tx.encode({
    keyring,
    label: "bench",
    gossip,
    records: R64.slice(0, n),
    compression: "snappy",
  })
    .length;
}
const legacyFrame = encodeLegacyFrame({
  key: legacyKey,
  gossip,
  typeTag: tag,
  payload: R1[0].payload as Uint8Array,
});
const legacyOverhead = legacyFrame.length - PAYLOAD;
const v2One = v2Bytes(1) - PAYLOAD;
const v2Many = (v2Bytes(64) - 64 * PAYLOAD) / 64;
console.log(
  `per-message overhead (bytes, 100-byte random payload, 4-entry distribution list):\n` +
    `  legacy: ${legacyOverhead} (one message per frame: same for 1 and 64 messages)\n` +
    `  v2, 1 record per frame: ${v2One}\n` +
    `  v2, 64 records per frame: ${v2Many.toFixed(1)}`,
);

// ---- benches ------------------------------------------------------------------------------

const v2Many64None = pair(R64, "none");
const v2Many64Snappy = pair(R64, "snappy");
const v2OneNone = pair(R1, "none");
const v2OneSnappy = pair(R1, "snappy");

Deno.bench({
  name: "v2 encode+decode, 64 records x 100 B, no compression (x64 = messages)",
  group: "v2-64",
  baseline: true,
  fn: v2Many64None,
});
Deno.bench({
  name: "v2 encode+decode, 64 records x 100 B, snappy attempted",
  group: "v2-64",
  fn: v2Many64Snappy,
});

const gcmKey = crypto.getRandomValues(new Uint8Array(32));
const iv = new Uint8Array(12);
const aad = new Uint8Array(45);
function gcmFloor(size: number) {
  const pt = new Uint8Array(size);
  return () => {
    const c = createCipheriv("aes-256-gcm", gcmKey, iv);
    c.setAAD(aad);
    const ct = c.update(pt);
    c.final();
    const t = c.getAuthTag();
    const d = createDecipheriv("aes-256-gcm", gcmKey, iv);
    d.setAAD(aad);
    d.setAuthTag(t);
    d.update(ct);
    d.final();
  };
}
Deno.bench({
  name: "floor: node:crypto AES-256-GCM seal+open of the 64-record body size",
  group: "v2-64",
  fn: gcmFloor(v2Bytes(64) - 53),
});

Deno.bench({
  name: "v2 encode+decode, 1 record x 100 B, no compression",
  group: "v2-1",
  baseline: true,
  fn: v2OneNone,
});
Deno.bench({
  name: "v2 encode+decode, 1 record x 100 B, snappy attempted",
  group: "v2-1",
  fn: v2OneSnappy,
});
Deno.bench({
  name: "floor: node:crypto AES-256-GCM seal+open of the 1-record body size",
  group: "v2-1",
  fn: gcmFloor(v2Bytes(1) - 53),
});
Deno.bench({
  name: "legacy encode+decode, 1 message x 100 B",
  group: "v2-1",
  fn: () => {
    const f = encodeLegacyFrame({
      key: legacyKey,
      gossip,
      typeTag: tag,
      payload: R1[0].payload as Uint8Array,
    });
    decodeLegacyFrame(f, legacyKey);
  },
});
