/**
 * Profiles only the measured throughput runs of bench/cluster_bench.ts, both modes in one process
 * (as the bench measures them), with `node:inspector`: a CPU profile (`PROF=cpu`, default) or a
 * sampled allocation profile of every allocation, collected objects included (`PROF=alloc`), per
 * run, written to `OUTDIR` as `on_N` / `off_N`; then prints, per run and mode, self time (ms) or
 * sampled bytes (MB) per function, on minus off. Runs of fewer than `MINTOTAL` messages (default
 * 20000: the warm-up) are not profiled. (reliable8, issue #9 item 7.)
 *
 * Run: PROF=cpu|alloc OUTDIR=/tmp/prof deno run --allow-all --unstable-net bench/run_profile.ts
 *      --mode both --loss 0 --latency no --messages 30000 --repeat 4
 *      (every argument goes to cluster_bench.ts)
 *      deno run --allow-read bench/run_profile.ts --summary DIR [N]   (summary of a finished run)
 */
import { Session } from "node:inspector";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface CpuNode {
  id: number;
  callFrame: CallFrame;
}
interface HeapNode {
  id: number;
  callFrame: CallFrame;
  children: HeapNode[];
}

const where = (cf: CallFrame) =>
  `${cf.functionName || "(anon)"} ${cf.url.replace(/.*\/(src|bench)\//, "$1/")}:${
    cf.lineNumber + 1
  }`;

/** Per-function totals of the profiles in `dir`, by mode, per run; printed on − off. */
function summary(dir: string, n: number): void {
  const agg = { on: new Map<string, number>(), off: new Map<string, number>() };
  const runs = { on: 0, off: 0 };
  let unit = "ms";
  for (const e of Deno.readDirSync(dir)) {
    const mode = e.name.startsWith("on_") ? "on" : e.name.startsWith("off_") ? "off" : undefined;
    if (!mode) continue;
    runs[mode]++;
    const m = agg[mode];
    const add = (k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
    const p = JSON.parse(Deno.readTextFileSync(`${dir}/${e.name}`));
    if (e.name.endsWith(".cpuprofile")) {
      const byId = new Map<number, CpuNode>();
      for (const x of p.nodes as CpuNode[]) byId.set(x.id, x);
      (p.samples as number[]).forEach((id, i) => {
        const node = byId.get(id);
        if (node) add(where(node.callFrame), (p.timeDeltas[i + 1] ?? 0) / 1000);
      });
    } else {
      unit = "MB";
      const byId = new Map<number, HeapNode>();
      const walk = (x: HeapNode) => {
        byId.set(x.id, x);
        x.children.forEach(walk);
      };
      walk(p.head);
      for (const s of p.samples as { nodeId: number; size: number }[]) {
        const node = byId.get(s.nodeId);
        if (node) add(where(node.callFrame), s.size / 1e6);
      }
    }
  }
  const per = (mode: "on" | "off", k: string) => (agg[mode].get(k) ?? 0) / Math.max(1, runs[mode]);
  const keys = [...new Set([...agg.on.keys(), ...agg.off.keys()])];
  const rows = keys.map((k) => [k, per("on", k), per("off", k)] as const)
    .sort((a, b) => Math.abs(b[1] - b[2]) - Math.abs(a[1] - a[2]));
  console.log(`runs: on ${runs.on}, off ${runs.off}; ${unit} per run: on − off, on, off`);
  for (const [k, a, b] of rows.slice(0, n)) {
    console.log(
      `${(a - b).toFixed(1).padStart(8)} ${a.toFixed(1).padStart(8)} ${
        b.toFixed(1).padStart(8)
      }  ${k}`,
    );
  }
}

if (Deno.args[0] === "--summary") {
  summary(Deno.args[1], Number(Deno.args[2] ?? 40));
} else {
  const kind = Deno.env.get("PROF") ?? "cpu";
  const dir = Deno.env.get("OUTDIR") ?? await Deno.makeTempDir({ prefix: "chatter_prof_" });
  const minTotal = Number(Deno.env.get("MINTOTAL") ?? 20_000);
  Deno.mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  const post = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<{ profile?: unknown }>((resolve, reject) =>
      session.post(
        method,
        params,
        (e: Error | null, r?: object) => e ? reject(e) : resolve(r ?? {}),
      )
    );
  await post(kind === "cpu" ? "Profiler.enable" : "HeapProfiler.enable");
  if (kind === "cpu") await post("Profiler.setSamplingInterval", { interval: 200 });
  let n = 0;
  (globalThis as { chatterBenchHook?: unknown }).chatterBenchHook = async (
    what: "start" | "stop",
    reliable: boolean,
    total: number,
  ) => {
    if (total < minTotal) return;
    if (what === "start") {
      if (kind === "cpu") await post("Profiler.start");
      else {
        await post("HeapProfiler.startSampling", {
          samplingInterval: 2048,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        });
      }
      return;
    }
    const r = await post(kind === "cpu" ? "Profiler.stop" : "HeapProfiler.stopSampling");
    const ext = kind === "cpu" ? "cpuprofile" : "heapprofile";
    Deno.writeTextFileSync(
      `${dir}/${reliable ? "on" : "off"}_${n++}.${ext}`,
      JSON.stringify(r.profile),
    );
  };
  await import("./cluster_bench.ts");
  console.log(`profiles in ${dir}`);
  summary(dir, 40);
}
