/**
 * Received text is untrusted: before the CLI prints it, control characters (C0, DEL, C1), line
 * and paragraph separators and bidirectional overrides are escaped, so a message cannot move
 * the cursor, recolour or clear the operator's terminal, fake a line, or reorder what is shown.
 * [R-CLI-007]
 *
 * @module
 */

// deno-lint-ignore no-control-regex
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every control character written as a visible escape (`\x1b`, `\u{202e}`).
 *
 * @example
 * ```ts
 * import { escapeControl } from "./terminal.ts";
 * import assert from "node:assert/strict";
 * assert.equal(escapeControl("hi\x1b[2Jthere\n"), "hi\\x1b[2Jthere\\x0a");
 * ```
 */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u{${n.toString(16)}}`;
  });
}

/**
 * JSON text with the control characters `JSON.stringify` leaves raw (DEL, C1, separators, bidi
 * overrides) written as `\uXXXX` escapes; the result is still valid JSON with the same value.
 *
 * @example
 * ```ts
 * import { escapeJsonControl } from "./terminal.ts";
 * import assert from "node:assert/strict";
 * const line = escapeJsonControl(JSON.stringify({ text: "a\u009b2Jb" }));
 * assert.equal(line, '{"text":"a\\u009b2Jb"}');
 * assert.equal(JSON.parse(line).text, "a\u009b2Jb");
 * ```
 */
export function escapeJsonControl(json: string): string {
  return json.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
