/**
 * An index of the requirement tags in `spec/*.md`: which section each tag belongs to and
 * whether it is a MUST. The runner groups cases by section and builds the coverage table
 * from it.
 *
 * @module
 */

import { BUNDLED_SPEC, SPEC_FILES, suiteFiles } from "./suite_files.ts";

/** One requirement as the spec states it. */
export interface Requirement {
  /** The tag, e.g. `R-VARINT-003`. */
  tag: string;
  /** Strength of the defining sentence: MUST, SHOULD, MAY, or "" when it names none. */
  level: string;
  /** The section heading the tag is defined under (e.g. `wire.md §3 Varint`). */
  section: string;
  /** The defining sentence (trimmed). */
  text: string;
  /** Position in the spec (for ordering sections). */
  order: number;
}

const TAG = /\[(R-[A-Z0-9]+(?:-[A-Z0-9]+)*-\d+)\]/g;

/**
 * Parse one spec file. A tag's first occurrence is its definition; its level is the first of
 * MUST NOT / MUST / SHOULD NOT / SHOULD / MAY in the sentence (or list item) around it.
 */
export function parseSpec(file: string, text: string): Requirement[] {
  const out: Requirement[] = [];
  let section = file;
  let order = 0;
  // Join wrapped lines into paragraphs / list items so a sentence is one unit.
  const blocks: { section: string; text: string }[] = [];
  let cur = "";
  const flush = () => {
    if (cur.trim()) blocks.push({ section, text: cur.trim() });
    cur = "";
  };
  for (const line of text.split("\n")) {
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      flush();
      section = `${file} ${h[2].trim()}`;
      continue;
    }
    if (line.trim() === "" || /^\s*([-*+]|\d+\.|\|)\s/.test(line)) flush();
    cur += " " + line.trim();
  }
  flush();
  // A tag is defined where a list item or paragraph opens with it ("- [R-X-001] A receiver
  // MUST ..."); other occurrences are references. Tags never opening a block fall back to
  // their first occurrence.
  const defs = new Map<string, Requirement>();
  const firsts = new Map<string, Requirement>();
  for (const b of blocks) {
    const opening = /^(?:[-*+]|\d+\.)?\s*\[(R-[A-Z0-9-]+)\]/.exec(b.text)?.[1];
    // Split into sentence-like units so a tag picks the level of its own sentence.
    const units = b.text.split(/(?<=[.;])\s+(?=[A-Z(`*[])/);
    for (const [ui, u] of units.entries()) {
      for (const m of u.matchAll(TAG)) {
        const tag = m[1];
        const isDef = tag === opening && ui === 0;
        if (defs.has(tag) || (!isDef && firsts.has(tag))) continue;
        // The level of a definition is that of its whole block (the sentence may wrap).
        const scope = isDef ? b.text : u;
        const lv = /\b(MUST NOT|MUST|SHOULD NOT|SHOULD|MAY)\b/.exec(scope);
        const r = {
          tag,
          level: lv ? lv[1].split(" ")[0] : "",
          section: b.section,
          text: scope.length > 300 ? scope.slice(0, 297) + "..." : scope,
          order: order++,
        };
        if (isDef) defs.set(tag, r);
        else firsts.set(tag, r);
      }
    }
  }
  for (const [tag, r] of firsts) if (!defs.has(tag)) defs.set(tag, r);
  out.push(...[...defs.values()].sort((a, b) => a.order - b.order));
  return out;
}

/**
 * Read every `*.md` in `dir` (name order) and index their tags; a missing dir gives none. `dir`
 * is a path or a URL (default: the spec published with the runner, see `suite_files.ts`).
 */
export async function loadSpec(
  dir: string | URL = BUNDLED_SPEC,
): Promise<Map<string, Requirement>> {
  const { names, read } = await suiteFiles(dir, ".md", SPEC_FILES);
  const map = new Map<string, Requirement>();
  for (const [i, n] of names.entries()) {
    for (const r of parseSpec(n, new TextDecoder().decode(await read(n)))) {
      if (!map.has(r.tag)) map.set(r.tag, { ...r, order: i * 1e6 + r.order });
    }
  }
  return map;
}

/** The section of a case: that of its first requirement the spec defines, else its id's stem. */
export function sectionOf(
  reqs: readonly string[],
  id: string,
  spec: Map<string, Requirement>,
): string {
  for (const r of reqs) {
    const s = spec.get(r);
    if (s) return s.section;
  }
  const stem = id.split(/[/.:]/)[0];
  return reqs.length ? `${reqs[0].replace(/-\d+$/, "")} (not in spec)` : stem;
}

/** Rank of each section (its first requirement's position), for ordering reports. */
export function sectionRanks(spec: Map<string, Requirement>): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of spec.values()) {
    if (!m.has(r.section) || m.get(r.section)! > r.order) m.set(r.section, r.order);
  }
  return m;
}

/** Sort results (stably) into spec order of their sections; unknown sections go last. */
export function sortBySection<T extends { section: string }>(
  items: T[],
  spec: Map<string, Requirement>,
): T[] {
  const rank = sectionRanks(spec);
  return items.map((x, i) => ({ x, i })).sort((a, b) =>
    (rank.get(a.x.section) ?? Infinity) - (rank.get(b.x.section) ?? Infinity) || a.i - b.i
  ).map((e) => e.x);
}
