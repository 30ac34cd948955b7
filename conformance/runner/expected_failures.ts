/**
 * The expected-failures file: one `case-id  # reason` per line; blank lines and lines that
 * start with `#` are ignored. A listed case that fails is reported but does not fail the
 * run; a listed case that passes, or an entry that names no case, fails the run (the list
 * must not go stale).
 *
 * @module
 */

/** One entry of the expected-failures file. */
export interface ExpectedFailure {
  /** The case id. */
  id: string;
  /** The reason after `#` (may be empty). */
  reason: string;
  /** 1-based line number, for messages. */
  line: number;
}

/** Parse the file's text; throws a `SyntaxError` naming the line of a malformed entry. */
export function parseExpectedFailures(text: string): ExpectedFailure[] {
  const out: ExpectedFailure[] = [];
  const ids = new Set<string>();
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const hash = line.indexOf("#");
    const id = (hash < 0 ? line : line.slice(0, hash)).trim();
    const reason = hash < 0 ? "" : line.slice(hash + 1).trim();
    if (/\s/.test(id)) throw new SyntaxError(`line ${i + 1}: expected "id  # reason", got ${raw}`);
    if (ids.has(id)) throw new SyntaxError(`line ${i + 1}: ${id} is listed twice`);
    ids.add(id);
    out.push({ id, reason, line: i + 1 });
  }
  return out;
}
