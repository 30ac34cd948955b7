// [R-MEM-009] [R-MEM-013]: the merge laws, 10,000 runs each with shrinking; and
// proof that the suite can fail: deliberately broken merges are rejected.
import assert from "node:assert/strict";
import fc from "fast-check";
import { MembershipState, merge, type TimedItem } from "../../src/membership/mod.ts";
import { type MergeFn, mergeLaws } from "./_laws.ts";

const RUNS = 10_000;

for (const [name, prop] of Object.entries(mergeLaws(merge))) {
  Deno.test(`merge law ${name} holds (${RUNS} runs)`, () => {
    fc.assert(prop, { numRuns: RUNS });
  });
}

/** Same slot key for a Map. */
const slot = (t: TimedItem) => `${t.item.memberKey}/${t.item.start}/${t.item.end}`;

/** Broken: on equal clocks the left side wins, whatever the content. */
const leftBiased: MergeFn = (a, b) => {
  const m = new Map<string, TimedItem>();
  for (const t of a.items) m.set(slot(t), t);
  for (const t of b.items) {
    const old = m.get(slot(t));
    if (old === undefined || t.clock.time > old.clock.time) m.set(slot(t), t);
  }
  return MembershipState.from([...m.values()], [...a.clock.clocks, ...b.clock.clocks]);
};

/** Broken: takes the right side's world clock entries instead of the maximum. */
const rightClock: MergeFn = (a, b) => {
  const clocks = new Map(a.clock.clocks.map((c) => [c.memberKey, c]));
  for (const c of b.clock.clocks) clocks.set(c.memberKey, c);
  // MembershipState.from still raises each clock to its items', so only clock-only entries go back.
  return MembershipState.from(merge(a, b).items, [...clocks.values()]);
};

/** Broken: a slot written by both sides keeps the older write. */
const olderWins: MergeFn = (a, b) => {
  const m = new Map<string, TimedItem>();
  for (const t of [...a.items, ...b.items]) {
    const old = m.get(slot(t));
    if (old === undefined || t.clock.time < old.clock.time) m.set(slot(t), t);
  }
  return MembershipState.from([...m.values()], [...a.clock.clocks, ...b.clock.clocks]);
};

function fails(fn: MergeFn, law: string): fc.RunDetails<unknown> {
  const out = fc.check(mergeLaws(fn)[law], { numRuns: RUNS });
  assert.equal(out.failed, true, `the ${law} law did not catch the broken merge`);
  return out;
}

Deno.test("the laws catch a left-biased merge (not commutative) and shrink the counterexample", () => {
  const out = fails(leftBiased, "commutative");
  // Shrunk to the essence: one colliding slot on each side.
  const [a, b] = out.counterexample as [MembershipState, MembershipState];
  assert.equal(a.items.length, 1);
  assert.equal(b.items.length, 1);
  assert.equal(a.items[0].clock.time, b.items[0].clock.time);
});

Deno.test("the laws catch a merge that moves a world clock backwards", () => {
  fails(rightClock, "monotone");
});

Deno.test("the laws catch an older-write-wins merge", () => {
  fails(olderWins, "monotone");
});

Deno.test("the idempotence law catches a merge that is not idempotent", () => {
  // Broken: re-stamps items of equal clocks as rmv (A + A changes A).
  const restamp: MergeFn = (a, b) => {
    const m = merge(a, b);
    if (a.items.length === 0 || b.items.length === 0) return m;
    return m.write({ ip: "10.0.0.1", port: 4000 }, []);
  };
  fails(restamp, "idempotent");
});
