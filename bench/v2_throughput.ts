/**
 * Runtime-neutral throughput script for the v2 profile (no `Deno.*`): runs under Deno
 * (`deno run bench/v2_throughput.ts`) and, bundled, under Node
 * (`deno bundle -o /tmp/v2t.mjs bench/v2_throughput.ts && node /tmp/v2t.mjs`), so the codec can
 * be measured on both runtimes' AES-GCM. Prints the best of 5 rounds per case.
 *
 * @module
 */

import { v2AeadInfo, V2Decoder, V2Sender } from "../src/wire/mod.ts";
import { helpOr, scriptArgs } from "./_args.ts";
import { gossip, keyring, records } from "./_v2_fixture.ts";

helpOr(
  scriptArgs(),
  "deno run --allow-ffi bench/v2_throughput.ts   (no options: v2 codec throughput, best of 5 rounds)",
);

function run(n: number, compression: "snappy" | "none", frames: number): number {
  const recs = records(n);
  let best = 0;
  for (let round = 0; round < 5; round++) {
    const tx = new V2Sender();
    const rx = new V2Decoder({ keyring, label: "bench" });
    const t = performance.now();
    for (let i = 0; i < frames; i++) {
      rx.decode(tx.encode({ keyring, label: "bench", gossip, records: recs, compression }));
    }
    best = Math.max(best, frames / ((performance.now() - t) / 1000));
  }
  return best;
}

const runtime = typeof (globalThis as { Deno?: unknown }).Deno === "object"
  ? "deno"
  : `node ${(globalThis as unknown as { process: { version: string } }).process.version}`;
for (const compression of ["none", "snappy"] as const) {
  const f64 = run(64, compression, 2000);
  const f1 = run(1, compression, 20000);
  console.log(
    `${runtime} aead=${v2AeadInfo().name} compression=${compression}: 64 records: ${
      Math.round(f64 * 64)
    } messages/s ` +
      `(${Math.round(f64)} frames/s); 1 record: ${Math.round(f1)} frames/s`,
  );
}
