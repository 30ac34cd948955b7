/**
 * Offline mode: drive a testee through every case and grade it.
 *
 * @module
 */

import { coverage, type CoverageRow } from "./coverage.ts";
import type { ExpectedFailure } from "./expected_failures.ts";
import {
  primitiveCases,
  primitiveTableCases,
  PROBE_OP,
  profileProtocolCases,
  protocolCases,
  statelessV2Case,
  vectorCases,
} from "./offline_cases.ts";
import { fuzzCases, fuzzV2Cases } from "./fuzz_cases.ts";
import { generatedV2Cases } from "./generated_v2.ts";
import { membershipCases, membershipRequestCases } from "./membership_cases.ts";
import { membershipFuzzCases } from "./membership_fuzz.ts";
import type { RunInfo } from "./reports.ts";
import { hello, runCase } from "./run_cases.ts";
import { loadSpec, sectionOf, sortBySection } from "./spec_index.ts";
import { TesteeClient } from "./testee_client.ts";
import { type Case, type CaseResult, SUITE_VERSION } from "./types.ts";
import { liveCaseIndex } from "./live.ts";
import { loadVectors } from "./vectors.ts";
import { decide, type Verdict } from "./verdict.ts";

export { SUITE_VERSION };

/** Options of an offline run. */
export interface OfflineOptions {
  /** Shell command that starts the testee. */
  testee: string;
  /** Directory of `*.json` vectors. */
  vectorsDir: string | URL;
  /** Directory of `*.md` spec files. */
  specDir: string | URL;
  /** Run only cases whose id starts with one of these (all when empty). */
  filters?: string[];
  /** Run only cases of these profiles (and profile-neutral ones); all when empty. */
  profiles?: string[];
  /** Expected failures. */
  expectedFailures?: ExpectedFailure[];
  /** Per-request timeout in ms. */
  timeoutMs?: number;
  /**
   * Overall deadline of the run in ms (default: none): cases not started by then are ERROR
   * ("overall deadline"), and the run ends.
   */
  deadlineMs?: number;
  /** Called after each case (progress). */
  onResult?: (r: CaseResult) => void;
}

/** What an offline run produced. */
export interface RunOutput {
  /** Header of the reports. */
  info: RunInfo;
  /** Per-case results. */
  results: CaseResult[];
  /** Counts and problems. */
  verdict: Verdict;
  /** Coverage of MUST requirements by the whole suite. */
  coverage: CoverageRow[];
  /**
   * Set when the testee (or live node) never started: no handshake, so no case ran. The runner
   * stops with this instead of listing every case as the same ERROR.
   */
  startFailure?: StartFailure;
}

/** Why the testee (or node) did not start, and what it wrote to stderr. */
export interface StartFailure {
  /** What went wrong (the handshake's error). */
  detail: string;
  /** The tail of its stderr. */
  stderr: string;
}

/** Every offline case of the suite, in run order. */
export async function offlineCases(vectorsDir: string | URL, specDir: string | URL) {
  const spec = await loadSpec(specDir);
  const suite = await loadVectors(vectorsDir);
  const sec = (reqs: string[], id: string) => sectionOf(reqs, id, spec);
  const cases: Case[] = [
    ...protocolCases(sec(["R-TESTEE-011"], "testee protocol")),
    ...profileProtocolCases(sec),
    ...statelessV2Case(suite.vectors, sec),
    ...suite.vectors.flatMap((v) =>
      typeof v.op === "string" && v.op.startsWith("membership_")
        ? membershipCases(v, sec(v.reqs ?? [], v.id))
        : vectorCases(v, sec(v.reqs ?? [], v.id))
    ),
    ...fuzzCases(suite.vectors, sec),
    ...fuzzV2Cases(suite.vectors, sec),
    ...membershipFuzzCases(suite.vectors, sec),
    ...membershipRequestCases(sec),
    ...generatedV2Cases(sec),
    ...Object.entries(suite.tables).flatMap(([f, t]) => primitiveTableCases(f, t, sec)),
    ...primitiveCases(sec),
  ];
  // Closing stdin ends the session: that case runs last.
  const eof = cases.findIndex((c) => c.id === "testee.exit-on-eof");
  if (eof >= 0) cases.push(...cases.splice(eof, 1));
  return { spec, suite, cases };
}

/** Run the offline suite against `opts.testee`. */
/** The result of a case the testee never saw (no handshake, or the overall deadline passed). */
function notRun(c: Case, detail: string): CaseResult {
  const { id, section, reqs, profile, title } = c;
  return { id, section, reqs, profile, title, status: "ERROR", durationMs: 0, detail, wireLog: [] };
}

export async function runOffline(opts: OfflineOptions): Promise<RunOutput> {
  const started = new Date();
  const t0 = performance.now();
  const { spec, suite, cases } = await offlineCases(opts.vectorsDir, opts.specDir);
  const allIds = new Set(cases.map((c) => c.id));
  const selected = cases.filter((c) =>
    (!opts.filters?.length || opts.filters.some((f) => c.id.startsWith(f))) &&
    (!opts.profiles?.length || c.profile === undefined || opts.profiles.includes(c.profile))
  );
  const client = new TesteeClient(opts.testee, opts.timeoutMs);
  const results: CaseResult[] = [];
  let declared: { profiles: string[]; ops: string[] } | undefined;
  let implementation: unknown = undefined;
  let startFailure: StartFailure | undefined;
  try {
    const h = await hello(client);
    if (typeof h === "string") {
      startFailure = { detail: h, stderr: "" };
      // No handshake: every case is an ERROR, said plainly.
      for (const c of selected) {
        results.push(notRun(c, h));
      }
    } else {
      declared = { profiles: h.profiles, ops: [...h.ops, "hello", PROBE_OP] };
      implementation = h.impl;
      for (const c of selected) {
        if (opts.deadlineMs !== undefined && performance.now() - t0 > opts.deadlineMs) {
          results.push(notRun(c, `not run: the overall deadline of ${opts.deadlineMs} ms passed`));
          continue;
        }
        const r = await runCase(client, c, { ...h, ops: declared.ops });
        results.push(r);
        opts.onResult?.(r);
      }
      declared.ops = h.ops;
    }
  } finally {
    await client.stop();
  }
  if (startFailure) startFailure.stderr = client.stderrTail.trim();
  results.splice(0, results.length, ...sortBySection(results, spec));
  const verdict = decide(results, opts.expectedFailures ?? [], allIds);
  return {
    info: {
      implementation,
      target: opts.testee,
      mode: "offline",
      suiteVersion: SUITE_VERSION,
      vectorsDigest: suite.digest,
      declared,
      startedAt: started.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      testeeStarts: client.starts,
    },
    results,
    verdict,
    // Coverage counts the whole suite, offline and live.
    coverage: coverage(spec, [...cases, ...liveCaseIndex()]),
    startFailure,
  };
}
