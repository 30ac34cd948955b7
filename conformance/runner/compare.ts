/**
 * Comparing a testee's reply to what a vector expects: only the fields the suite expects are
 * compared (a testee may add more), hex is compared case-insensitively and IP addresses by
 * value, so that `::1` and `0:0:0:0:0:0:0:1` are the same address.
 *
 * @module
 */

import { formatIp, parseIp } from "../../src/wire/netid.ts";

function canonIp(s: string): string {
  try {
    return formatIp(parseIp(s));
  } catch {
    return s;
  }
}

/**
 * Differences between `expected` and `actual`, as `path: expected X, got Y` lines. Objects in
 * `expected` are compared key by key (extra keys in `actual` are ignored); arrays must have
 * the same length.
 */
export function diff(expected: unknown, actual: unknown, path = "$"): string[] {
  if (expected === null || typeof expected !== "object") {
    if (typeof expected === "string" && typeof actual === "string") {
      const key = path.split(".").pop();
      if (key === "ip") {
        return canonIp(expected) === canonIp(actual) ? [] : [line(path, expected, actual)];
      }
      if (/^[0-9a-fA-F]*$/.test(expected) && /^[0-9a-fA-F]*$/.test(actual)) {
        return expected.toLowerCase() === actual.toLowerCase()
          ? []
          : [line(path, expected, actual)];
      }
    }
    return Object.is(expected, actual) ? [] : [line(path, expected, actual)];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [line(path, expected, actual)];
    if (expected.length !== actual.length) {
      return [`${path}: expected ${expected.length} items, got ${actual.length}`];
    }
    return expected.flatMap((e, i) => diff(e, actual[i], `${path}[${i}]`));
  }
  if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
    return [line(path, expected, actual)];
  }
  const a = actual as Record<string, unknown>;
  return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) =>
    v === undefined ? [] : k in a ? diff(v, a[k], `${path}.${k}`) : [`${path}.${k}: missing`]
  );
}

function line(path: string, e: unknown, a: unknown): string {
  const s = (x: unknown) => {
    const j = JSON.stringify(x);
    return j === undefined ? String(x) : j.length > 120 ? j.slice(0, 117) + "..." : j;
  };
  return `${path}: expected ${s(e)}, got ${s(a)}`;
}
