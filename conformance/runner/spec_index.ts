/**
 * An index of the requirement tags in `spec/*.md`: which section each tag belongs to and
 * whether it is a MUST. The runner groups cases by section and builds the coverage table
 * from it.
 *
 * @module
 */

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
}

const TAG = /\[(R-[A-Z0-9]+(?:-[A-Z0-9]+)*-\d+)\]/g;

/**
 * Parse one spec file. A tag's first occurrence is its definition; its level is the first of
 * MUST NOT / MUST / SHOULD NOT / SHOULD / MAY in the sentence (or list item) around it.
 */
export function parseSpec(file: string, text: string): Requirement[] {
  const out: Requirement[] = [];
  let section = file;
  const seen = new Set<string>();
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
  for (const b of blocks) {
    // Split into sentences-ish units so a tag picks the level of its own sentence.
    const units = b.text.split(/(?<=[.;])\s+(?=[A-Z(`*[])/);
    for (const u of units) {
      for (const m of u.matchAll(TAG)) {
        const tag = m[1];
        if (seen.has(tag)) continue;
        seen.add(tag);
        const lv = /\b(MUST NOT|MUST|SHOULD NOT|SHOULD|MAY)\b/.exec(u);
        out.push({
          tag,
          level: lv ? lv[1].split(" ")[0] : "",
          section: b.section,
          text: u.length > 300 ? u.slice(0, 297) + "..." : u,
        });
      }
    }
  }
  return out;
}

/** Read every `*.md` in `dir` (name order) and index their tags; a missing dir gives none. */
export async function loadSpec(dir: string): Promise<Map<string, Requirement>> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".md")) names.push(e.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  names.sort();
  const map = new Map<string, Requirement>();
  for (const n of names) {
    for (const r of parseSpec(n, await Deno.readTextFile(`${dir}/${n}`))) {
      if (!map.has(r.tag)) map.set(r.tag, r);
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
