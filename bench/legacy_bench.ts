/**
 * `deno task bench`: the legacy frame codec (targets: >= 150,000 decodes/s and >= 120,000
 * encodes/s on one core for a 100-byte payload and a 4-entry distribution list) and the
 * primitives against the libraries we could have used instead.
 *
 * @module
 */

import { createCipheriv } from "node:crypto";
import snappyjs from "snappyjs";
import xxhashWasm from "xxhash-wasm";
import {
  decodeLegacyFrame,
  encodeLegacyFrame,
  LEGACY_IV,
  legacyCrypt,
  type LegacyFrameInput,
  legacyKey,
  snappyCompress,
  snappyDecompress,
  xxhash32,
} from "../src/wire/mod.ts";

const key = new TextEncoder().encode("01234567890123456789012345678912");
const payload = new Uint8Array(100).map((_, i) => (i * 73 + 11) & 0xff);
const input: LegacyFrameInput = {
  key,
  padding: new Uint8Array(32).fill(7),
  gossip: {
    current: { ip: "192.168.1.10", port: 29999, seqno: 123456 },
    seen: [],
    other: [],
    distribution: [
      { ip: "192.168.1.11", port: 29999 },
      { ip: "192.168.1.12", port: 29999 },
      { ip: "192.168.2.13", port: 29999 },
      { ip: "192.168.3.14", port: 29999 },
    ],
  },
  typeName: "Elixir.Bench.Msg",
  payload,
};
const frame = encodeLegacyFrame(input);

Deno.bench("legacy encode (100-byte payload, 4 distribution)", { group: "legacy frame" }, () => {
  encodeLegacyFrame(input);
});
Deno.bench("legacy decode (100-byte payload, 4 distribution)", { group: "legacy frame" }, () => {
  decodeLegacyFrame(frame, key);
});

// AES-CTR: a fresh node:crypto cipher per frame (what the fixed IV makes unnecessary) vs the
// cached keystream XOR.
const pt = new Uint8Array(frame.length - 2);
const k32 = legacyKey(key);
Deno.bench("AES-256-CTR: node:crypto cipher per frame", { group: "aes-ctr per frame" }, () => {
  const c = createCipheriv("aes-256-ctr", k32, LEGACY_IV);
  c.update(pt);
  c.final();
});
Deno.bench("AES-256-CTR: cached keystream XOR (ours)", {
  group: "aes-ctr per frame",
  baseline: true,
}, () => {
  legacyCrypt(key, pt);
});

const wasm = await xxhashWasm();
const gossip100 = new Uint8Array(140).map((_, i) => (i * 31) & 0xff);
Deno.bench("xxhash32 ours (140 B)", { group: "xxhash32 140 B", baseline: true }, () => {
  xxhash32(gossip100);
});
Deno.bench("xxhash32 xxhash-wasm h32Raw (140 B)", { group: "xxhash32 140 B" }, () => {
  wasm.h32Raw(gossip100, 0);
});
const big = new Uint8Array(64 * 1024).map((_, i) => (i * 2654435761) >>> 24);
Deno.bench("xxhash32 ours (64 KiB)", { group: "xxhash32 64 KiB", baseline: true }, () => {
  xxhash32(big);
});
Deno.bench("xxhash32 xxhash-wasm h32Raw (64 KiB)", { group: "xxhash32 64 KiB" }, () => {
  wasm.h32Raw(big, 0);
});

const gossip = new Uint8Array(140);
gossip.set(new TextEncoder().encode("\x05\xc0\xa8\x01\x0au/\xc0\xa8\x01\x0bu/\xc0\xa8\x01\x0cu/"));
gossip.set(payload, 40);
const compressed = snappyCompress(gossip);
Deno.bench(
  "snappy compress ours (140 B gossip)",
  { group: "snappy compress", baseline: true },
  () => {
    snappyCompress(gossip);
  },
);
Deno.bench("snappy compress snappyjs (140 B gossip)", { group: "snappy compress" }, () => {
  snappyjs.compress(gossip);
});
Deno.bench(
  "snappy decompress ours (140 B gossip)",
  { group: "snappy decompress", baseline: true },
  () => {
    snappyDecompress(compressed, 1 << 20);
  },
);
Deno.bench("snappy decompress snappyjs (140 B gossip)", { group: "snappy decompress" }, () => {
  snappyjs.uncompress(compressed);
});
const text = new TextEncoder().encode("the quick brown fox jumps over the lazy dog; ".repeat(1500));
const textC = snappyCompress(text);
Deno.bench("snappy compress ours (66 KiB text)", { group: "snappy 66 KiB", baseline: true }, () => {
  snappyCompress(text);
});
Deno.bench("snappy compress snappyjs (66 KiB text)", { group: "snappy 66 KiB" }, () => {
  snappyjs.compress(text);
});
Deno.bench(
  "snappy decompress ours (66 KiB text)",
  { group: "snappy 66 KiB d", baseline: true },
  () => {
    snappyDecompress(textC, 1 << 20);
  },
);
Deno.bench("snappy decompress snappyjs (66 KiB text)", { group: "snappy 66 KiB d" }, () => {
  snappyjs.uncompress(textC);
});
