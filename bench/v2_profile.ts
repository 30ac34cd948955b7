/**
 * Where the time of a v2 frame goes, step by step (runtime-neutral, like v2_throughput.ts):
 * `deno run --allow-ffi bench/v2_profile.ts` (native AES-GCM), `deno run bench/v2_profile.ts`
 * (node:crypto), or bundled under Node. Each step is timed alone, best of 7 rounds, for
 * 64-record and single-record frames of 100-byte random payloads, no compression. Times are
 * CPU time of the process (`process.cpuUsage`), so other jobs on the machine inflate them less
 * than wall-clock time.
 *
 * @module
 */

import {
  buildV2Table,
  v2Aead,
  v2AeadInfo,
  V2Decoder,
  v2FrameNetIds,
  v2Nonce,
  V2Sender,
} from "../src/wire/mod.ts";
import { ByteWriter } from "../src/wire/byte_writer.ts";
import { readV2Body, writeV2Body } from "../src/wire/v2/body.ts";
import { DEFAULT_V2_LIMITS } from "../src/wire/constants.ts";
import { helpOr, scriptArgs } from "./_args.ts";
import { cpu, gossip, keyring, records } from "./_v2_fixture.ts";

helpOr(
  scriptArgs(),
  "deno run --allow-ffi bench/v2_profile.ts   (no options: per-step CPU time of a v2 frame)",
);

/** Best CPU time per call, in µs, of `fn` over `rounds` rounds of `n` calls. */
function time(n: number, fn: () => void, rounds = 15): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = cpu();
    for (let i = 0; i < n; i++) fn();
    best = Math.min(best, (cpu() - t) / n);
  }
  return best;
}

const aead = v2Aead();
const info = v2AeadInfo();
console.log(
  `aead=${info.name}${info.fallbackReason ? ` (${info.fallbackReason})` : ""}; µs per frame`,
);
for (const n of [64, 1]) {
  const recs = records(n);
  const iters = n === 64 ? 3000 : 30000;
  const tx = new V2Sender();
  const sample = tx.encode({ keyring, label: "b", gossip, records: recs, compression: "none" });
  const w = new ByteWriter(8192);
  const ids = v2FrameNetIds(gossip, recs);
  const table = buildV2Table(ids);
  w.length = 0;
  writeV2Body(w, table, gossip, recs);
  const body = w.finish();
  const key = new Uint8Array(32).fill(1), nonce = v2Nonce(1n), aad = sample.subarray(0, 37);
  const sealed = new Uint8Array(body.length + 16);
  aead.seal(key, nonce, aad, body, sealed, 0);
  const steps: [string, number][] = [
    ["table (buildV2Table)", time(iters, () => buildV2Table(v2FrameNetIds(gossip, recs)))],
    [
      "body write",
      time(iters, () => {
        w.length = 0;
        writeV2Body(w, table, gossip, recs);
      }),
    ],
    ["AES-GCM seal", time(iters, () => aead.seal(key, nonce, aad, body, sealed, 0))],
    [
      "encode total (V2Sender.encode)",
      time(iters, () => {
        tx.encode({ keyring, label: "b", gossip, records: recs, compression: "none" });
      }),
    ],
    [
      "AES-GCM open",
      time(iters, () => {
        aead.open(key, nonce, aad, sealed.subarray(0, body.length), sealed.subarray(body.length));
      }),
    ],
    ["body read (readV2Body)", time(iters, () => readV2Body(body, DEFAULT_V2_LIMITS))],
  ];
  // The decoder needs fresh counters: encode a batch of frames first, decode them timed.
  const frames: Uint8Array[] = [];
  const tx2 = new V2Sender();
  for (let i = 0; i < iters; i++) {
    frames.push(tx2.encode({ keyring, label: "b", gossip, records: recs, compression: "none" }));
  }
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const rx = new V2Decoder({ keyring, label: "b", replayWindow: 1 << 16, startTime: 0 });
    const t = cpu();
    for (const f of frames) rx.decode(f);
    best = Math.min(best, (cpu() - t) / iters);
  }
  steps.push(["decode total (V2Decoder.decode)", best]);
  console.log(`${n} record(s), body ${body.length} bytes:`);
  for (const [name, us] of steps) console.log(`  ${name.padEnd(34)} ${us.toFixed(2).padStart(7)}`);
}
