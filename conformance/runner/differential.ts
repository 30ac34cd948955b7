/**
 * Grading a batch of testee replies against what the reference decoder says about the same
 * inputs: the one rule every differential (mutation) case shares. An input the reference accepts
 * must be accepted with the same content; an input it rejects must be rejected with an error of
 * the right kind; a different error code of the right kind is PASS-NONSTRICT, never hidden.
 *
 * @module
 */

import type { Outcome } from "./types.ts";

/** How one family of differential cases compares replies. */
export interface DifferentialRules {
  /** Differences between an accepted reply and the reference's accepted result (empty: equal). */
  compareAccepted(
    expected: Record<string, unknown>,
    actual: Record<string, unknown>,
    label: string,
  ): string[];
  /** Why a rejection is not of the right kind (e.g. not a decode error), or undefined when it is. */
  badRejection(actual: Record<string, unknown>): string | undefined;
}

/** Grade `replies[i]` against the reference verdict `expected[i]` for every i. */
export function gradeDifferential(
  expected: Record<string, unknown>[],
  replies: Record<string, unknown>[],
  rules: DifferentialRules,
): Outcome {
  const fails: string[] = [];
  const soft: string[] = [];
  for (const [i, e] of expected.entries()) {
    const a = replies[i];
    if (a.result === "unsupported") return { status: "UNSUPPORTED", detail: "unsupported" };
    if (e.result === "ok") {
      if (a.result !== "ok") {
        fails.push(`#${i}: rejected (${a.errorClass}), reference accepts`);
      } else fails.push(...rules.compareAccepted(e, a, `#${i}`));
    } else if (a.result === "ok") {
      fails.push(`#${i}: accepted, reference rejects with ${e.errorClass}`);
    } else if (rules.badRejection(a)) {
      fails.push(`#${i}: ${rules.badRejection(a)}`);
    } else if (a.errorClass !== e.errorClass) {
      soft.push(`#${i}: ${a.errorClass}, reference ${e.errorClass}`);
    }
  }
  const actual = replies.map((a) => ({ result: a.result, errorClass: a.errorClass }));
  if (fails.length) {
    return { status: "FAIL", expected, actual, detail: fails.slice(0, 4).join("; ") };
  }
  return soft.length
    ? { status: "PASS-NONSTRICT", expected, actual, detail: soft.slice(0, 4).join("; ") }
    : { status: "PASS" };
}
