/**
 * Cases for `vectors/membership.json` (`spec/membership.md` section 6.1, `spec/testee.md`
 * section 8): payload encode and decode, invalid payloads, and merges in both orders.
 * Membership ops are profile-neutral: a testee declares them in `hello.ops`.
 *
 * @module
 */

import { diff } from "./compare.ts";
import type { Case, Outcome } from "./types.ts";
import type { Vector } from "./vectors.ts";

function unsupported(r: Record<string, unknown>): Outcome | undefined {
  return r.result === "unsupported" ? { status: "UNSUPPORTED", detail: "unsupported" } : undefined;
}

function errorCase(
  expected: { result: string; errorClass?: unknown },
  r: Record<string, unknown>,
): Outcome {
  if (r.result === "ok") return { status: "FAIL", expected, actual: r, detail: "accepted" };
  if (expected.errorClass !== undefined && r.errorClass !== expected.errorClass) {
    return {
      status: "PASS-NONSTRICT",
      expected,
      actual: { result: r.result, errorClass: r.errorClass, detail: r.detail },
      detail: `rejected as ${r.errorClass}, the vector says ${expected.errorClass}`,
    };
  }
  return { status: "PASS" };
}

function compare(expected: Record<string, unknown>, r: Record<string, unknown>): Outcome {
  if (r.result !== "ok") {
    return { status: "FAIL", expected, actual: r, detail: `rejected (${r.errorClass})` };
  }
  const d = diff(expected, r);
  return d.length
    ? { status: "FAIL", expected, actual: r, detail: d.slice(0, 5).join("; ") }
    : { status: "PASS" };
}

/** The cases of one membership vector (none for other vectors). */
export function membershipCases(v: Vector, section: string): Case[] {
  if (typeof v.op !== "string" || !v.op.startsWith("membership_")) return [];
  const base = { section, reqs: v.reqs ?? [], title: v.name ?? v.id };
  if (v.op === "membership_merge") {
    const messages = (v.messages ?? []) as unknown[];
    const run = (order: unknown[]) => async (ctx: Parameters<Case["run"]>[0]) => {
      const r = await ctx.call({ op: "membership_merge", messages: order });
      const u = unsupported(r);
      if (u) return u;
      return v.result === "invalid"
        ? errorCase({ result: "error", errorClass: v.errorClass }, r)
        : compare({ message: v.merged, view: v.view }, r);
    };
    return [
      { ...base, id: `${v.id}/merge`, ops: ["membership_merge"], run: run(messages) },
      {
        ...base,
        id: `${v.id}/merge-reversed`,
        ops: ["membership_merge"],
        title: `${base.title} (messages in reverse order)`,
        run: run([...messages].reverse()),
      },
    ];
  }
  const decode = async (ctx: Parameters<Case["run"]>[0]) => {
    const r = await ctx.call({ op: "membership_decode", payload: v.payload, table: v.table });
    const u = unsupported(r);
    if (u) return u;
    return v.result === "invalid"
      ? errorCase({ result: "error", errorClass: v.errorClass }, r)
      : compare({ message: v.decoded }, r);
  };
  const cases: Case[] = [{
    ...base,
    id: `${v.id}/decode`,
    ops: ["membership_decode"],
    run: decode,
  }];
  if (v.result === "valid" && v.inputs) {
    cases.push({
      ...base,
      id: `${v.id}/encode`,
      ops: ["membership_encode"],
      title: `${base.title}: encodes exactly`,
      run: async (ctx) => {
        const r = await ctx.call({ op: "membership_encode", ...v.inputs });
        const u = unsupported(r);
        if (u) return u;
        return compare({ payload: v.payload, table: v.table }, r);
      },
    });
  }
  return cases;
}
