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

const A = { ip: "10.0.0.1", port: 4000 };

/**
 * Requests of the wrong JSON type (`spec/membership.md` section 6, [R-MEM-040]): a testee MUST
 * answer `BAD_REQUEST`, not `BAD_INPUT` (reserved for well-typed Messages that break section 2)
 * and not a decode error or an `ok`.
 */
export function membershipRequestCases(section: (reqs: string[], id: string) => string): Case[] {
  const item = (member: unknown, start: unknown) => ({
    item: { member, op: "add", start, end: 9, priority: 0 },
    clock: { member: A, time: 1 },
  });
  const requests: { id: string; title: string; req: Record<string, unknown> }[] = [
    {
      id: "clock-not-a-list",
      title: "a message whose clock is a string",
      req: { op: "membership_merge", messages: [{ clock: "x", items: [] }] },
    },
    {
      id: "netid-as-text",
      title: 'a member written as "ip:port" text, not {ip, port}',
      req: { op: "membership_merge", messages: [{ clock: [], items: [item("10.0.0.1:4000", 0)] }] },
    },
    {
      id: "number-as-text",
      title: 'an item start written as the string "0"',
      req: { op: "membership_merge", messages: [{ clock: [], items: [item(A, "0")] }] },
    },
    {
      id: "port-as-text",
      title: 'an encode request whose member port is the string "4000"',
      req: {
        op: "membership_encode",
        message: { clock: [{ member: { ip: "10.0.0.1", port: "4000" }, time: 1 }], items: [] },
      },
    },
    {
      id: "payload-not-hex",
      title: "a decode request whose payload is not hex",
      req: { op: "membership_decode", payload: "zz", table: [] },
    },
  ];
  const reqs = ["R-MEM-040", "R-TESTEE-008"];
  return requests.map(({ id: name, title, req }) => {
    const id = `membership/runner/bad-request/${name}`;
    return {
      id,
      section: section(reqs, id),
      reqs,
      ops: [String(req.op)],
      title: `${title} is BAD_REQUEST`,
      run: async (ctx) => {
        const r = await ctx.call(req);
        const u = unsupported(r);
        if (u) return u;
        const expected = { result: "error", errorClass: "BAD_REQUEST" };
        return r.result === "error" && r.errorClass === "BAD_REQUEST" ? { status: "PASS" } : {
          status: "FAIL",
          expected,
          actual: { result: r.result, errorClass: r.errorClass, detail: r.detail },
          detail: r.result === "ok" ? "accepted" : `answered ${r.errorClass}`,
        };
      },
    };
  });
}
