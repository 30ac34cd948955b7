/**
 * Memory of the dedup window (R-NODE-DEDUP-001, R-NODE-SCALE-005) per node for many busy origins:
 * one {@linkcode DedupWindow} (W = 65,536, the default) fed the sequence numbers of `--origins`
 * origins in several patterns, heap + external bytes measured after a forced GC, per node and per
 * origin. Run:
 * `deno run --v8-flags=--expose-gc bench/dedup_memory.ts [--origins 10000] [--per-origin 200]`.
 *
 * Patterns: `in-order` (each origin's numbers one after another: a batch), `stepped` (every
 * other number: a busy origin's records, each flush's frame takes the number between), `reordered`
 * (stepped, shuffled within blocks of 16), `lossy` (stepped, 5 % missing, repaired 64 numbers
 * later), `sparse` (every 10th number: a receiver of an origin's targeted sends), `full` (every
 * other number across the whole window, W/2 of them: a bitmap's worst before R-NODE-SCALE-005's
 * runs) and `adversarial` (W/2 numbers at random over the window: the worst case). The last two
 * are measured on `--origins / 10` origins and reported per origin and scaled.
 *
 * @module
 */
import { DedupWindow } from "../src/node/dedup.ts";
import { seededRandom } from "../src/node/random.ts";
import { helpOr, numberArg, scriptArgs } from "./_args.ts";

const USAGE = `deno run --v8-flags=--expose-gc bench/dedup_memory.ts [options]
  --origins N      busy origins per node (default 10000)
  --per-origin N   numbers received per origin (default 200; > 64 makes an origin busy)`;
const args = scriptArgs();
helpOr(args, USAGE);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
const ORIGINS = numberArg("--origins", opt("--origins"), 10_000, { min: 1, max: 100_000 });
const PER = numberArg("--per-origin", opt("--per-origin"), 200, { min: 1, max: 1_000_000 });
const W = 65_536;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error("run with --v8-flags=--expose-gc (memory figures need a forced GC)");
  Deno.exit(2);
}
function used(): number {
  gc!();
  gc!();
  const m = Deno.memoryUsage();
  return m.heapUsed + m.external;
}

/** The numbers one origin's stream gives a receiver, in arrival order. */
function pattern(name: string, base: number, random: () => number): number[] {
  const out: number[] = [];
  switch (name) {
    case "in-order":
      for (let i = 0; i < PER; i++) out.push(base + i);
      break;
    case "stepped":
      for (let i = 0; i < PER; i++) out.push(base + 2 * i);
      break;
    case "reordered":
      for (let b = 0; b < PER; b += 16) {
        const block = [];
        for (let i = b; i < Math.min(PER, b + 16); i++) block.push(base + 2 * i);
        for (let i = block.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [block[i], block[j]] = [block[j], block[i]];
        }
        out.push(...block);
      }
      break;
    case "lossy": {
      const late: number[] = [];
      for (let i = 0; i < PER; i++) {
        if (random() < 0.05) late.push(base + 2 * i);
        else out.push(base + 2 * i);
        // Repairs arrive 64 numbers after the loss.
        while (late.length > 0 && late[0] <= base + 2 * (i - 64)) out.push(late.shift()!);
      }
      out.push(...late);
      break;
    }
    case "sparse":
      for (let i = 0; i < PER; i++) out.push(base + 10 * i);
      break;
    case "full":
      for (let i = 0; i < W / 2; i++) out.push(base + 2 * i);
      break;
    case "adversarial":
      out.push(base + W - 1);
      for (let i = 1; i < W / 2; i++) out.push(base + Math.floor(random() * W));
      break;
  }
  return out;
}

const rows: string[] = [];
const kept: DedupWindow[] = [];
const PATTERNS = ["in-order", "stepped", "reordered", "lossy", "sparse", "full", "adversarial"];
for (const name of PATTERNS) {
  const heavy = name === "full" || name === "adversarial";
  const origins = heavy ? Math.max(1, Math.floor(ORIGINS / 10)) : ORIGINS;
  const rng = seededRandom(7);
  const random = () => rng.next();
  const before = used();
  const d = new DedupWindow(W, origins);
  let received = 0;
  const t0 = performance.now();
  for (let o = 0; o < origins; o++) {
    const ip = `10.${(o >> 16) & 255}.${(o >> 8) & 255}.${o & 255}`;
    // Sequence numbers start from the clock (R-NODE-DEDUP-002): large, per origin.
    for (const seqno of pattern(name, 1_700_000_000_000 * 1024 + o * 7919, random)) {
      d.check({ ip, port: 1, seqno }, "udp");
      received++;
    }
  }
  const bytes = used() - before;
  const t = performance.now() - t0;
  rows.push(
    `${name.padEnd(12)} origins ${String(origins).padStart(6)}  numbers ${
      String(received).padStart(9)
    }  per node ${(bytes / 2 ** 20).toFixed(2).padStart(8)} MiB  per origin ${
      (bytes / origins).toFixed(0).padStart(6)
    } B  ${(1000 * t / received).toFixed(2)} µs/number` + (origins !== ORIGINS
      ? `  (× ${ORIGINS}: ${((bytes / origins) * ORIGINS / 2 ** 20).toFixed(1)} MiB)`
      : ""),
  );
  // Kept alive so that the next pattern's figure is its own.
  kept.push(d);
}
console.log(
  `dedup window W = ${W}, ${ORIGINS} origins, ${PER} numbers each (full, adversarial: W/2)`,
);
for (const r of rows) console.log(r);
