/**
 * Every script a user runs by hand (benchmarks, lab, simulator) answers `--help` with its usage
 * and exit 0, and a bad option or value with one line naming it and exit 2 (no stack trace).
 */

import { equal, match, ok } from "node:assert/strict";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--unstable-net", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: o.code, out: d.decode(o.stdout), err: d.decode(o.stderr) };
}

const SCRIPTS = [
  "bench/cluster_bench.ts",
  "bench/dedup_memory.ts",
  "bench/throughput.ts",
  "bench/v2_profile.ts",
  "bench/v2_throughput.ts",
  "lab/main.ts",
  "sim/main.ts",
];

for (const script of SCRIPTS) {
  Deno.test(`${script} --help prints its usage and exits 0`, async () => {
    const r = await run([script, "--help"]);
    equal(r.code, 0, r.err);
    ok(r.out.includes(script.startsWith("lab") ? "lab" : script.split("/")[0]), r.out);
    ok(r.out.length > 20, r.out);
  });
}

for (
  const [script, args, names] of [
    ["bench/cluster_bench.ts", ["--nodes", "x"], /--nodes "x"/],
    ["bench/cluster_bench.ts", ["--bogus"], /--bogus/],
    ["bench/cluster_bench.ts", ["--loss", "2"], /--loss "2"/],
    ["bench/dedup_memory.ts", ["--origins", "x"], /--origins "x"/],
    ["lab/main.ts", ["--hosts", "0"], /--hosts "0"/],
    ["sim/main.ts", ["--nodes", "x"], /--nodes "x"/],
    ["sim/main.ts", ["--layout", "q"], /--layout "q"/],
  ] as const
) {
  Deno.test(`${script} ${args.join(" ")}: one line naming it, exit 2`, async () => {
    const r = await run([script, ...args]);
    equal(r.code, 2, r.err);
    match(r.err, names);
    equal(r.err.trim().split("\n").length, 1, r.err);
  });
}
