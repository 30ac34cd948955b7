/**
 * The coverage table: every MUST requirement of the spec and the cases that check it.
 *
 * @module
 */

import type { Requirement } from "./spec_index.ts";

/** One row of the coverage table. */
export interface CoverageRow {
  /** Requirement tag. */
  tag: string;
  /** MUST / SHOULD / ... */
  level: string;
  /** Section that defines it. */
  section: string;
  /** Ids of the cases that name it (all cases of the suite, not only those run). */
  cases: string[];
}

/** Rows for every MUST requirement in `spec`, given every case's `{id, reqs}`. */
export function coverage(
  spec: Map<string, Requirement>,
  cases: { id: string; reqs: string[] }[],
): CoverageRow[] {
  const byTag = new Map<string, string[]>();
  for (const c of cases) {
    for (const r of c.reqs) {
      if (!byTag.has(r)) byTag.set(r, []);
      byTag.get(r)!.push(c.id);
    }
  }
  return [...spec.values()].filter((r) => r.level === "MUST").map((r) => ({
    tag: r.tag,
    level: r.level,
    section: r.section,
    cases: byTag.get(r.tag) ?? [],
  }));
}

/** The table as Markdown, requirements with no case flagged `NONE`. */
export function coverageMarkdown(rows: CoverageRow[], offlineOnlyNote = ""): string {
  const lines = [
    "# Conformance coverage of MUST requirements",
    "",
    offlineOnlyNote,
    `${
      rows.filter((r) => r.cases.length).length
    } of ${rows.length} MUST requirements have at least one case.`,
    "",
    "| requirement | section | cases |",
    "| --- | --- | --- |",
  ];
  for (const r of rows) {
    const cs = r.cases.length === 0
      ? "**NONE**"
      : r.cases.length > 6
      ? `${r.cases.slice(0, 6).join(", ")} and ${r.cases.length - 6} more`
      : r.cases.join(", ");
    lines.push(`| ${r.tag} | ${r.section} | ${cs} |`);
  }
  return lines.join("\n") + "\n";
}
