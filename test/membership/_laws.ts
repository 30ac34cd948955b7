/**
 * The merge laws of `spec/membership.md` §3 as fast-check properties over any merge function,
 * so the same suite runs against the real merge and against deliberately broken ones (which
 * it must reject). States are compared through their canonical JSON, not through
 * `MembershipState.equals`, so a broken `equals` cannot make a law pass.
 */
import fc from "fast-check";
import {
  type MembershipState,
  MembershipView,
  stateToJson,
  viewToJson,
} from "../../src/membership/mod.ts";
import { build, message, rawMessage } from "./_arb.ts";

/** A merge under test. */
export type MergeFn = (a: MembershipState, b: MembershipState) => MembershipState;

const json = (m: MembershipState) => JSON.stringify(stateToJson(m));
const view = (m: MembershipState) => JSON.stringify(viewToJson(MembershipView.of(m)));

function same(x: string, y: string, what: string): void {
  if (x !== y) throw new Error(`${what}:\n  ${x}\n  ${y}`);
}

/** Each law as a property of `merge`, by requirement tag. */
export function mergeLaws(merge: MergeFn): Record<string, fc.IProperty<any>> {
  return {
    // [R-MEM-009] A + A = A, with A built twice (distinct objects), and (A + B) + B = A + B.
    idempotent: fc.property(rawMessage, message, (ra, b) => {
      const a1 = build(ra), a2 = build(ra);
      same(json(merge(a1, a2)), json(a1), "A + A != A");
      const ab = merge(a1, b);
      same(json(merge(ab, b)), json(ab), "(A + B) + B != A + B");
    }),
    // [R-MEM-009] A + B = B + A.
    commutative: fc.property(message, message, (a, b) => {
      same(json(merge(a, b)), json(merge(b, a)), "A + B != B + A");
    }),
    // [R-MEM-009] (A + B) + C = A + (B + C).
    associative: fc.property(message, message, message, (a, b, c) => {
      same(json(merge(merge(a, b), c)), json(merge(a, merge(b, c))), "(A + B) + C != A + (B + C)");
    }),
    // [R-MEM-009] No member's world clock and no slot's write moves backwards, nothing is lost.
    monotone: fc.property(message, message, (a, b) => {
      const m = merge(a, b);
      for (const input of [a, b]) {
        for (const c of input.clock.clocks) {
          const t = m.clock.get(c.member);
          if (t === undefined || t < c.time) {
            throw new Error(`clock of ${c.member.ip}:${c.member.port} went from ${c.time} to ${t}`);
          }
        }
        for (const t of input.items) {
          const got = m.items.find((x) =>
            x.item.memberKey === t.item.memberKey && x.item.start === t.item.start &&
            x.item.end === t.item.end
          );
          if (got === undefined || got.clock.time < t.clock.time) {
            throw new Error(`slot [${t.item.start}, ${t.item.end}] lost or older after merge`);
          }
        }
        // Every item is covered by the merged world clock of its member. [R-MEM-008]
        for (const t of m.items) {
          if ((m.clock.get(t.item.member) ?? -1) < t.clock.time) {
            throw new Error(`item at ${t.clock.time} ahead of its member's world clock`);
          }
        }
      }
    }),
    // [R-MEM-013] The view is a function of the merged state: any merge order, equal views;
    // equal states built independently, equal views.
    viewOfState: fc.property(message, message, message, (a, b, c) => {
      const x = merge(merge(a, b), c);
      const y = merge(c, merge(b, a));
      same(json(x), json(y), "merge orders gave different states");
      same(view(x), view(y), "equal states, different views");
    }),
  };
}
