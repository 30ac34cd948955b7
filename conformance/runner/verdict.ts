/**
 * The run's verdict: which results fail the run once the expected-failures list is applied.
 *
 * @module
 */

import type { ExpectedFailure } from "./expected_failures.ts";
import type { CaseResult, Status } from "./types.ts";

/** Counts and the problems that make the run fail. */
export interface Verdict {
  /** Results per grade. */
  counts: Record<Status, number>;
  /** FAIL/ERROR results listed as expected. */
  expectedFailures: number;
  /** Reasons the run fails (empty: the run passes). */
  problems: string[];
}

/**
 * Mark listed results (`expectedFailure`) and decide. `allIds` are every case id the suite
 * has (before `--filter`/`--profile`), so an entry that names no case is caught even when
 * filtered out.
 */
export function decide(
  results: CaseResult[],
  expected: ExpectedFailure[],
  allIds: ReadonlySet<string>,
): Verdict {
  const counts: Record<Status, number> = {
    "PASS": 0,
    "PASS-NONSTRICT": 0,
    "FAIL": 0,
    "ERROR": 0,
    "UNSUPPORTED": 0,
  };
  const byId = new Map(expected.map((e) => [e.id, e]));
  const problems: string[] = [];
  let xf = 0;
  for (const e of expected) {
    if (!allIds.has(e.id)) {
      problems.push(`expected-failures line ${e.line}: ${e.id} names no case`);
    }
  }
  for (const r of results) {
    counts[r.status]++;
    const e = byId.get(r.id);
    if (e) r.expectedFailure = e.reason || "(no reason given)";
    const bad = r.status === "FAIL" || r.status === "ERROR";
    if (bad && e) xf++;
    else if (bad) problems.push(`${r.status} ${r.id}: ${r.detail ?? ""}`.trim());
    else if (e && (r.status === "PASS" || r.status === "PASS-NONSTRICT")) {
      problems.push(
        `${r.id} is listed as an expected failure (line ${e.line}) but passed: remove it`,
      );
    }
  }
  return { counts, expectedFailures: xf, problems };
}
