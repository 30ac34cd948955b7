/**
 * The three reports: a human-readable tree by spec section, a JSON report, and JUnit XML
 * (one testsuite per section).
 *
 * @module
 */

import type { CaseResult } from "./types.ts";
import type { Verdict } from "./verdict.ts";

/** Everything a report says about the run besides the results. */
export interface RunInfo {
  /** Implementation, as the testee's `hello` or the node named itself. */
  implementation: unknown;
  /** The command or target that was checked. */
  target: string;
  /** "offline" or "live". */
  mode: string;
  /** Version of this conformance suite. */
  suiteVersion: string;
  /** sha-256 of the vector files. */
  vectorsDigest: string;
  /** Profiles and ops the implementation declared. */
  declared?: { profiles: string[]; ops: string[] };
  /** ISO time the run started. */
  startedAt: string;
  /** Wall time in ms. */
  durationMs: number;
  /** How often the testee process was (re)started. */
  testeeStarts?: number;
}

function bySection(results: CaseResult[]): Map<string, CaseResult[]> {
  const m = new Map<string, CaseResult[]>();
  for (const r of results) {
    if (!m.has(r.section)) m.set(r.section, []);
    m.get(r.section)!.push(r);
  }
  return m;
}

function short(x: unknown): string {
  const s = JSON.stringify(x);
  return s === undefined ? "-" : s.length > 400 ? s.slice(0, 397) + "..." : s;
}

/** The one-line summary. */
export function summaryLine(v: Verdict): string {
  const c = v.counts;
  return `${c.PASS} passed, ${c["PASS-NONSTRICT"]} passed non-strict, ${c.FAIL} failed, ` +
    `${c.ERROR} errors, ${c.UNSUPPORTED} unsupported` +
    (v.expectedFailures ? ` (${v.expectedFailures} expected failures)` : "") +
    ` — ${v.problems.length ? "CONFORMANCE FAILED" : "OK"}`;
}

/**
 * The text tree. `verbose` lists every case; otherwise passing cases are counted per section
 * and only the others are listed with expected/actual.
 */
export function textReport(
  info: RunInfo,
  results: CaseResult[],
  v: Verdict,
  verbose = false,
): string {
  const out: string[] = [];
  out.push(`Chatter conformance (${info.mode}) suite ${info.suiteVersion}`);
  out.push(`implementation: ${short(info.implementation)}`);
  out.push(`target: ${info.target}`);
  out.push(`vectors sha-256: ${info.vectorsDigest}`);
  if (info.declared) {
    out.push(
      `declared profiles: ${info.declared.profiles.join(", ") || "-"}; ops: ${
        info.declared.ops.join(", ")
      }`,
    );
  }
  out.push("");
  for (const [section, rs] of bySection(results)) {
    const pass = rs.filter((r) => r.status === "PASS").length;
    out.push(`${section}  [${pass}/${rs.length} PASS]`);
    for (const r of rs) {
      if (r.status === "PASS" && !verbose && !r.expectedFailure) continue;
      const xf = r.expectedFailure ? `  (expected failure: ${r.expectedFailure})` : "";
      out.push(`  ${r.status.padEnd(14)} ${r.id}  ${r.title}${xf}`);
      if (r.status !== "PASS" && r.status !== "UNSUPPORTED") {
        if (r.detail) out.push(`      why:      ${r.detail}`);
        if (r.expected !== undefined) out.push(`      expected: ${short(r.expected)}`);
        if (r.actual !== undefined) out.push(`      actual:   ${short(r.actual)}`);
      } else if (r.status === "UNSUPPORTED" && verbose && r.detail) {
        out.push(`      why:      ${r.detail}`);
      }
    }
  }
  out.push("");
  for (const p of v.problems.slice(0, 50)) out.push(`problem: ${p}`);
  if (v.problems.length > 50) out.push(`... and ${v.problems.length - 50} more problems`);
  out.push(summaryLine(v));
  return out.join("\n") + "\n";
}

/** The JSON report (an object; the caller serialises it). */
export function jsonReport(info: RunInfo, results: CaseResult[], v: Verdict): unknown {
  return {
    ...info,
    summary: { ...v.counts, expectedFailures: v.expectedFailures, ok: v.problems.length === 0 },
    problems: v.problems,
    cases: results.map((r) => ({
      id: r.id,
      section: r.section,
      profile: r.profile,
      title: r.title,
      status: r.status,
      expectedFailure: r.expectedFailure,
      reqs: r.reqs,
      durationMs: r.durationMs,
      detail: r.detail,
      expected: r.expected,
      actual: r.actual,
      wireLog: r.wireLog,
    })),
  };
}

function xml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
    // XML 1.0 forbids most control characters even as references.
    // deno-lint-ignore no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "?");
}

/** JUnit XML: one `<testsuite>` per spec section, one `<testcase>` per case. */
export function junitReport(info: RunInfo, results: CaseResult[]): string {
  const out = [`<?xml version="1.0" encoding="UTF-8"?>`];
  const total = results.length;
  const fails = results.filter((r) => r.status === "FAIL" && !r.expectedFailure).length;
  const errs = results.filter((r) => r.status === "ERROR" && !r.expectedFailure).length;
  const skips = results.filter((r) => r.status === "UNSUPPORTED" || r.expectedFailure).length;
  out.push(
    `<testsuites name="chatter-conformance" tests="${total}" failures="${fails}" errors="${errs}" skipped="${skips}" time="${
      (info.durationMs / 1000).toFixed(3)
    }">`,
  );
  for (const [section, rs] of bySection(results)) {
    const f = rs.filter((r) => r.status === "FAIL" && !r.expectedFailure).length;
    const e = rs.filter((r) => r.status === "ERROR" && !r.expectedFailure).length;
    const s = rs.filter((r) => r.status === "UNSUPPORTED" || r.expectedFailure).length;
    const t = rs.reduce((n, r) => n + r.durationMs, 0) / 1000;
    out.push(
      `  <testsuite name="${
        xml(section)
      }" tests="${rs.length}" failures="${f}" errors="${e}" skipped="${s}" time="${t.toFixed(3)}">`,
    );
    for (const r of rs) {
      out.push(
        `    <testcase classname="${xml(section)}" name="${xml(r.id)}" time="${
          (r.durationMs / 1000).toFixed(3)
        }">`,
      );
      const body = `${r.detail ?? ""}\nexpected: ${short(r.expected)}\nactual: ${
        short(r.actual)
      }\nreqs: ${r.reqs.join(" ")}`;
      if (r.expectedFailure) {
        out.push(
          `      <skipped message="${
            xml(`expected failure (${r.status}): ${r.expectedFailure}`)
          }"/>`,
        );
      } else if (r.status === "FAIL") {
        out.push(`      <failure message="${xml(r.detail ?? "failed")}">${xml(body)}</failure>`);
      } else if (r.status === "ERROR") {
        out.push(`      <error message="${xml(r.detail ?? "error")}">${xml(body)}</error>`);
      } else if (r.status === "UNSUPPORTED") {
        out.push(`      <skipped message="${xml(`UNSUPPORTED: ${r.detail ?? ""}`)}"/>`);
      } else if (r.status === "PASS-NONSTRICT") {
        out.push(`      <system-out>${xml(`PASS-NONSTRICT: ${r.detail ?? ""}`)}</system-out>`);
      }
      out.push(`    </testcase>`);
    }
    out.push(`  </testsuite>`);
  }
  out.push(`</testsuites>`);
  return out.join("\n") + "\n";
}
