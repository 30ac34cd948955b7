/**
 * Command-line handling shared by the benchmark, lab and simulator scripts (not part of the library): `--help`
 * prints the script's usage, and a bad option or value is one line naming it, exit status 2,
 * instead of an uncaught stack trace.
 *
 * @module
 */

import process from "node:process";

/** The script's arguments under Deno or, bundled, under Node. */
export function scriptArgs(): string[] {
  return (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
}

/** Print `usage` and exit 0 when `--help` or `-h` is among `args`. */
export function helpOr(args: readonly string[], usage: string): void {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(usage);
    process.exit(0);
  }
}

/** Print `usage: <message>` on stderr and exit 2 (bad usage). */
export function usageError(message: string): never {
  console.error(`usage: ${message} (--help lists the options)`);
  process.exit(2);
}

/**
 * `value` as a number in [min, max] (integers only when `integer`), or a usage error naming
 * the option and the value.
 */
export function numberArg(
  name: string,
  value: string | undefined,
  fallback: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER, integer = true }: {
    min?: number;
    max?: number;
    integer?: boolean;
  } = {},
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    usageError(`--${name} ${JSON.stringify(value)}: expected a number from ${min} to ${max}`);
  }
  if (integer && !Number.isInteger(n)) {
    usageError(`--${name} ${JSON.stringify(value)}: expected an integer`);
  }
  return n;
}
