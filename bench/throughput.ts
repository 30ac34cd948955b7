/**
 * The codec targets of issue 11 in one runtime-neutral script (no `Deno.*`), timed in CPU time
 * of the process (`process.cpuUsage`, user + system), best of `--rounds` rounds, so that other
 * jobs on a shared machine inflate the figures less than wall-clock time would:
 *
 * - v2 encode + decode (`V2Sender` → stateful `V2Decoder`), 64 records and 1 record per frame,
 *   100-byte random payloads, no compression;
 * - legacy encode and decode of one frame (100-byte payload, 4-entry distribution list).
 *
 * Run: `deno run --allow-ffi bench/throughput.ts` (OpenSSL AES-GCM), `deno run
 * bench/throughput.ts` (node:crypto), or bundled under Node:
 * `deno bundle -o /tmp/t.mjs bench/throughput.ts && node /tmp/t.mjs`.
 *
 * @module
 */

import process from "node:process";
import {
  decodeLegacyFrame,
  encodeLegacyFrame,
  v2AeadInfo,
  V2Decoder,
  V2Sender,
} from "../src/wire/mod.ts";
import { helpOr, scriptArgs } from "./_args.ts";
import { cpu, gossip, keyring, records, tag } from "./_v2_fixture.ts";

helpOr(
  scriptArgs(),
  "deno run --allow-ffi bench/throughput.ts [--rounds N]   (CPU-time codec figures; --rounds default 9)",
);

const argv: string[] = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  process.argv.slice(2);
const ROUNDS = Number(argv[argv.indexOf("--rounds") + 1] || 9) || 9;

/** Best calls per CPU second of `fn` over ROUNDS rounds of `n` calls. */
function rate(n: number, fn: () => void): number {
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t = cpu();
    for (let i = 0; i < n; i++) fn();
    const us = cpu() - t;
    if (us > 0) best = Math.max(best, (n * 1e6) / us);
  }
  return best;
}

function v2(n: number, frames: number): number {
  const recs = records(n);
  const tx = new V2Sender();
  const rx = new V2Decoder({ keyring, label: "bench" });
  return rate(frames, () => {
    const d = rx.decode(
      tx.encode({ keyring, label: "bench", gossip, records: recs, compression: "none" }),
    );
    if (d.records.length !== n) throw new Error("lost records");
  });
}

const legacyKey = crypto.getRandomValues(new Uint8Array(32));
const payload = crypto.getRandomValues(new Uint8Array(100));
const legacyInput = { key: legacyKey, gossip, typeTag: tag, payload };
const legacyFrame = encodeLegacyFrame(legacyInput);

const runtime = typeof (globalThis as { Deno?: unknown }).Deno === "object"
  ? "deno"
  : `node ${process.version}`;
const a = v2AeadInfo();
console.log(
  `${runtime}, AES-GCM ${a.name}${a.fallbackReason ? ` (${a.fallbackReason})` : ""}; ` +
    `CPU time, best of ${ROUNDS}`,
);
const f64 = v2(64, 2000);
console.log(
  `v2 64 records/frame encode+decode: ${Math.round(f64 * 64)} messages/s (${
    Math.round(f64)
  } frames/s)`,
);
console.log(`v2 1 record/frame encode+decode: ${Math.round(v2(1, 20000))} frames/s`);
console.log(
  `legacy encode: ${Math.round(rate(20000, () => encodeLegacyFrame(legacyInput)))} frames/s`,
);
console.log(
  `legacy decode: ${
    Math.round(rate(20000, () => decodeLegacyFrame(legacyFrame, legacyKey)))
  } frames/s`,
);
