/**
 * Differential cases for the membership payload: deterministic mutations of every valid
 * membership vector, decoded by the testee and by the reference decoder. Whatever the bytes, a
 * decoder returns a valid MembershipState or fails with one decode error of `spec/membership.md`
 * section 5.2, the code of the first failing step of section 5.3 [R-MEM-029].
 *
 * @module
 */

import { membershipDecode } from "../testee/ops_membership.ts";
import { errorReply } from "../testee/server.ts";
import { diff } from "./compare.ts";
import { gradeDifferential } from "./differential.ts";
import { mutate, MUTATIONS_PER_VECTOR, prng, seedOf } from "./fuzz_cases.ts";
import { hex, unhex } from "./hex.ts";
import type { Case } from "./types.ts";
import type { Vector } from "./vectors.ts";

/** The decode error codes of `spec/membership.md` section 5.2. */
export const MEMBERSHIP_DECODE_CODES: ReadonlySet<string> = new Set([
  "TRUNCATED",
  "VARINT_OVERLONG",
  "VARINT_OVERFLOW",
  "TABLE_REF_OUT_OF_RANGE",
  "TABLE_NOT_CANONICAL",
  "MEMBERSHIP_ITEM_LIMIT",
  "MEMBERSHIP_BAD_OP",
  "MEMBERSHIP_BAD_RANGE",
  "MEMBERSHIP_CLOCK_AHEAD",
  "MEMBERSHIP_NOT_CANONICAL",
  "MEMBERSHIP_TRAILING_BYTES",
]);

/** What the reference decoder says, as a testee reply. */
function reference(payload: string, table: unknown): Record<string, unknown> {
  try {
    return membershipDecode({ id: 0, op: "membership_decode", payload, table });
  } catch (e) {
    return errorReply(e);
  }
}

/** One mutations case per valid membership payload vector. */
export function membershipFuzzCases(
  vectors: Vector[],
  section: (reqs: string[], id: string) => string,
): Case[] {
  const out: Case[] = [];
  for (const v of vectors) {
    if (
      v.op !== "membership_decode" || v.result !== "valid" || typeof v.payload !== "string"
    ) continue;
    const r = prng(seedOf(v.id));
    const payload = unhex(v.payload);
    const inputs = Array.from({ length: MUTATIONS_PER_VECTOR }, () => hex(mutate(payload, r)));
    const table = v.table;
    const reqs = ["R-MEM-029", "R-MEM-042"];
    const id = `${v.id}/mutations`;
    out.push({
      id,
      section: section(reqs, id),
      reqs,
      ops: ["membership_decode"],
      title: `${inputs.length} mutations of ${v.id} decode as the reference decodes them`,
      run: async (ctx) => {
        const expected = inputs.map((p) => reference(p, table));
        const replies = await ctx.pipeline(
          inputs.map((p) => ({ op: "membership_decode", payload: p, table })),
        );
        return gradeDifferential(expected, replies, {
          compareAccepted: (e, a, label) =>
            diff({ message: e.message }, { message: a.message }, label),
          badRejection: (a) =>
            MEMBERSHIP_DECODE_CODES.has(String(a.errorClass))
              ? undefined
              : `rejected with ${a.errorClass}, not a code of section 5.2`,
        });
      },
    });
  }
  return out;
}
