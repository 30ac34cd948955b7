/**
 * The Chatter conformance runner. Offline: drive a testee (any language) over the protocol of
 * `spec/testee.md` through every golden vector and generated case. Live: check a running
 * node over real sockets. Writes a text tree, a JSON report, JUnit XML and a coverage table.
 *
 * ```
 * deno task conformance -- --testee "deno task testee"
 * deno task conformance -- --testee "/usr/bin/python3 conformance/ports/python/testee.py"
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { coverageMarkdown } from "./runner/coverage.ts";
import { parseExpectedFailures } from "./runner/expected_failures.ts";
import { runOffline, type RunOutput } from "./runner/offline.ts";
import { jsonReport, junitReport, summaryLine, textReport } from "./runner/reports.ts";
import { DEFAULT_TIMEOUT_MS } from "./runner/testee_client.ts";
import { BUNDLED_SPEC, BUNDLED_VECTORS } from "./runner/suite_files.ts";

const HELP = `Chatter conformance runner

Usage:
  deno task conformance -- --testee "<command>" [options]        offline (testee protocol)
  deno task conformance -- --live --spawn "<command>" [options]   live, runner starts the node
  deno task conformance -- --live --target host:port [options]    live, node already running

Options:
  --testee CMD              shell command that starts a testee (spec/testee.md)
  --filter PREFIX           run only cases whose id starts with PREFIX (repeatable)
  --profile NAME            run only cases of this profile, plus profile-neutral ones (repeatable)
  --expected-failures FILE  lines "case-id  # reason": listed FAIL/ERROR do not fail the run;
                            a listed case that passes, or an id naming no case, fails it
  --timeout MS              per-request (offline) or per-step (live) timeout, default ${DEFAULT_TIMEOUT_MS}
  --deadline MS             offline: overall deadline of the run; cases not started by then are ERROR
  --report-dir DIR          where report.txt, report.json, junit.xml, coverage.md go
                            (default: reports/conformance)
  --vectors DIR             golden vectors directory (default: the vectors published with
                            the runner, so no checkout is needed)
  --spec DIR                spec directory for sections and coverage (default: the spec
                            published with the runner)

Live mode:
  --live                    check a running node instead of a testee
  --spawn CMD               start the node with CMD; the runner sets CHATTER_PROFILE, CHATTER_ADDRESS,
                            CHATTER_PORT, CHATTER_MULTICAST_GROUP, CHATTER_MULTICAST_PORT,
                            CHATTER_MULTICAST_INTERFACE, CHATTER_KEY (hex), CHATTER_LABEL
                            (spec/testee.md); one node run per --profile (default legacy)
  --target HOST:PORT        a node already running (give its --key, --label, --multicast)
  --key HEX                 the target node's key bytes (default: 0.0.15's default key)
  --label TEXT              the target node's cluster label (v2)
  --multicast GROUP:PORT    the target node's multicast group (default 224.1.1.1:29999)
  --max-rss-growth-mb N     resident-memory growth that fails a bomb/flood case (default 256)

Output:
  --verbose                 list passing cases in the text tree too
  --quiet                   print only the summary line
  --help                    this text

Exit status: 0 when no case FAILs or ERRORs outside the expected-failures list and the list
is not stale; 1 otherwise; 2 on bad usage.
`;

/**
 * Parse the command line, run, write the reports; returns the exit status.
 *
 * @example
 * ```ts
 * import { main } from "@chatter/chatter/conformance";
 * import assert from "node:assert/strict";
 * assert.equal(await main(["--no-such-option"]), 2); // bad usage
 * ```
 */
export async function main(args: string[]): Promise<number> {
  // `deno task conformance -- --testee ...` passes the `--` through; it separates nothing here.
  if (args[0] === "--") args = args.slice(1);
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        testee: { type: "string" },
        live: { type: "boolean", default: false },
        spawn: { type: "string" },
        target: { type: "string" },
        key: { type: "string" },
        label: { type: "string" },
        multicast: { type: "string" },
        "max-rss-growth-mb": { type: "string" },
        filter: { type: "string", multiple: true },
        profile: { type: "string", multiple: true },
        "expected-failures": { type: "string" },
        timeout: { type: "string" },
        deadline: { type: "string" },
        "report-dir": { type: "string", default: "reports/conformance" },
        vectors: { type: "string" },
        spec: { type: "string" },
        verbose: { type: "boolean", default: false },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      allowPositionals: false,
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const o = parsed.values;
  if (o.help) {
    console.log(HELP);
    return 0;
  }
  const timeoutMs = o.timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(o.timeout);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    console.error(`--timeout must be a positive number of ms, got ${o.timeout}`);
    return 2;
  }
  const deadlineMs = o.deadline === undefined ? undefined : Number(o.deadline);
  if (deadlineMs !== undefined && (!Number.isFinite(deadlineMs) || deadlineMs <= 0)) {
    console.error(`--deadline must be a positive number of ms, got ${o.deadline}`);
    return 2;
  }
  let expectedFailures;
  if (o["expected-failures"]) {
    try {
      expectedFailures = parseExpectedFailures(await Deno.readTextFile(o["expected-failures"]));
    } catch (e) {
      console.error(`--expected-failures ${o["expected-failures"]}: ${(e as Error).message}`);
      return 2;
    }
  }
  let out: RunOutput;
  if (o.live) {
    if (!o.spawn === !o.target) {
      console.error("--live needs exactly one of --spawn CMD or --target host:port");
      return 2;
    }
    const { runLive } = await import("./runner/live.ts");
    out = await runLive({
      spawn: o.spawn,
      target: o.target,
      keyHex: o.key,
      label: o.label,
      multicast: o.multicast,
      maxRssGrowthBytes: o["max-rss-growth-mb"]
        ? Number(o["max-rss-growth-mb"]) * 2 ** 20
        : undefined,
      vectorsDir: o.vectors ?? BUNDLED_VECTORS,
      specDir: o.spec ?? BUNDLED_SPEC,
      filters: o.filter,
      profiles: o.profile,
      expectedFailures,
      timeoutMs,
      // Live cases take seconds each: say where the run is (stderr, so reports stay clean).
      onResult: o.quiet
        ? undefined
        : (r, done, total) =>
          console.error(`live: [${done}/${total}] ${r.id} ${r.status} (${r.durationMs} ms)`),
    });
  } else {
    if (!o.testee) {
      console.error(`--testee CMD (or --live) is required\n\n${HELP}`);
      return 2;
    }
    out = await runOffline({
      testee: o.testee,
      vectorsDir: o.vectors ?? BUNDLED_VECTORS,
      specDir: o.spec ?? BUNDLED_SPEC,
      filters: o.filter,
      profiles: o.profile,
      expectedFailures,
      timeoutMs,
      deadlineMs,
    });
  }
  if (out.startFailure) {
    // Nothing ran: one clear message with what the testee said, not one ERROR per case.
    const f = out.startFailure;
    console.error(`conformance: the ${o.live ? "node" : "testee"} did not start: ${f.detail}`);
    console.error(
      f.stderr ? `its stderr (last lines):\n${f.stderr}` : "it wrote nothing to stderr",
    );
    return 1;
  }
  const text = textReport(out.info, out.results, out.verdict, o.verbose);
  console.log(o.quiet ? summaryLine(out.verdict) : text);
  const dir = o["report-dir"]!;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/report.txt`,
    textReport(out.info, out.results, out.verdict, true),
  );
  await Deno.writeTextFile(
    `${dir}/report.json`,
    JSON.stringify(jsonReport(out.info, out.results, out.verdict), null, 1) + "\n",
  );
  await Deno.writeTextFile(`${dir}/junit.xml`, junitReport(out.info, out.results));
  await Deno.writeTextFile(
    `${dir}/coverage.md`,
    coverageMarkdown(out.coverage, `Cases of the ${out.info.mode} suite; ${out.info.target}.`),
  );
  if (!o.quiet) console.log(`reports: ${dir}/{report.txt,report.json,junit.xml,coverage.md}`);
  return out.verdict.problems.length ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
