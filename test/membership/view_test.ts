// [R-MEM-011] [R-MEM-012] [R-MEM-013]: the derived view against a per-key reference model
// written straight from the spec's words, plus worked examples.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  compareWrites,
  Item,
  LocalClock,
  lookup,
  MembershipState,
  MembershipView,
  type Server,
  TimedItem,
} from "../../src/membership/mod.ts";
import { build, message, rawMessage } from "./_arb.ts";

/** The spec, key by key: per member the covering write of highest precedence decides. */
function reference(state: MembershipState, key: number): { member: string; priority: number }[] {
  const best = new Map<string, (typeof state.items)[number]>();
  for (const t of state.items) {
    if (t.item.start > key || t.item.end < key) continue;
    const old = best.get(t.item.memberKey);
    if (old === undefined || compareWrites(t, old) > 0) best.set(t.item.memberKey, t);
  }
  return [...best.entries()]
    .filter(([, t]) => t.item.op === "add")
    .sort(([ka, a], [kb, b]) =>
      b.item.priority - a.item.priority || (ka < kb ? -1 : ka > kb ? 1 : 0)
    )
    .map(([, t]) => ({
      member: `${t.item.member.ip}:${t.item.member.port}`,
      priority: t.item.priority,
    }));
}

const show = (s: readonly Server[]) =>
  s.map((x) => ({ member: `${x.member.ip}:${x.member.port}`, priority: x.priority }));

Deno.test("view lookup equals the per-key reference at every segment edge and random keys (10,000 runs)", () => {
  fc.assert(
    fc.property(
      message,
      fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 4 }),
      (m, extra) => {
        const keys = new Set<number>([0, 0xffff_ffff, ...extra]);
        for (const t of m.items) {
          for (const k of [t.item.start - 1, t.item.start, t.item.end, t.item.end + 1]) {
            if (k >= 0 && k <= 0xffff_ffff) keys.add(k);
          }
        }
        const v = MembershipView.of(m);
        for (const k of keys) assert.deepEqual(show(v.lookup(k)), reference(m, k), `key ${k}`);
      },
    ),
    { numRuns: 10_000 },
  );
});

Deno.test("view segments are sorted, disjoint, non-empty and maximal (neighbours differ) [R-MEM-013]", () => {
  fc.assert(
    fc.property(message, (m) => {
      const s = MembershipView.of(m).segments;
      for (let i = 0; i < s.length; i++) {
        assert.ok(s[i].start <= s[i].end);
        assert.ok(s[i].servers.length > 0);
        if (i > 0) {
          assert.ok(s[i - 1].end < s[i].start);
          if (s[i - 1].end + 1 === s[i].start) {
            assert.notDeepEqual(show(s[i - 1].servers), show(s[i].servers));
          }
        }
      }
    }),
    { numRuns: 2_000 },
  );
});

Deno.test("equal states built independently give equal views", () => {
  fc.assert(
    fc.property(rawMessage, (r) => {
      assert.deepEqual(MembershipView.of(build(r)).segments, MembershipView.of(build(r)).segments);
    }),
    { numRuns: 2_000 },
  );
});

const A = { ip: "10.0.0.1", port: 4000 }, B = { ip: "10.0.0.2", port: 4000 };

Deno.test("worked example: join, overlap, partial leave, re-join, tie on priority", () => {
  let s = MembershipState.EMPTY.write(A, [{ op: "add", start: 0, end: 999, priority: 1 }]);
  s = s.merge(MembershipState.EMPTY.write(B, [{ op: "add", start: 500, end: 1999, priority: 9 }]));
  assert.deepEqual(show(lookup(s, 700)), [
    { member: "10.0.0.2:4000", priority: 9 },
    { member: "10.0.0.1:4000", priority: 1 },
  ]);
  s = s.write(A, [{ op: "rmv", start: 600, end: 699, priority: 0 }]);
  assert.deepEqual(show(lookup(s, 650)), [{ member: "10.0.0.2:4000", priority: 9 }]);
  assert.deepEqual(show(lookup(s, 599)).length, 2);
  // Re-join inside the removed part: the later write wins there.
  s = s.write(A, [{ op: "add", start: 650, end: 650, priority: 9 }]);
  // Equal priorities: NetID table order (10.0.0.1 before 10.0.0.2).
  assert.deepEqual(show(lookup(s, 650)), [
    { member: "10.0.0.1:4000", priority: 9 },
    { member: "10.0.0.2:4000", priority: 9 },
  ]);
  assert.deepEqual(show(lookup(s, 2000)), []);
  assert.deepEqual(show(lookup(s, 0xffff_ffff)), []);
  assert.deepEqual(
    MembershipView.of(s).segments.map((x) => [x.start, x.end, x.servers.length]),
    [[0, 499, 1], [500, 599, 2], [600, 649, 1], [650, 650, 2], [651, 699, 1], [700, 999, 2], [
      1000,
      1999,
      1,
    ]],
  );
});

Deno.test("equal clocks on overlapping slots of one member: rmv wins, then higher priority [R-MEM-011]", () => {
  const c = new LocalClock(A, 5);
  const t = (op: "add" | "rmv", start: number, end: number, priority: number) =>
    new TimedItem(new Item({ member: A, op, start, end, priority }), c);
  const s = MembershipState.from([t("add", 0, 10, 1), t("add", 5, 20, 7), t("rmv", 8, 9, 0)]);
  assert.deepEqual(show(lookup(s, 3)), [{ member: "10.0.0.1:4000", priority: 1 }]);
  assert.deepEqual(show(lookup(s, 6)), [{ member: "10.0.0.1:4000", priority: 7 }]);
  assert.deepEqual(show(lookup(s, 8)), []);
  assert.deepEqual(show(lookup(s, 15)), [{ member: "10.0.0.1:4000", priority: 7 }]);
});

Deno.test("full key space and lookup argument checks", () => {
  const s = MembershipState.EMPTY.write(A, [{
    op: "add",
    start: 0,
    end: 0xffff_ffff,
    priority: 0,
  }]);
  assert.deepEqual(MembershipView.of(s).segments.map((x) => [x.start, x.end]), [[0, 0xffff_ffff]]);
  assert.throws(
    () => lookup(s, 2 ** 32),
    /lookup key must be an integer in \[0, 4294967295\], got 4294967296/,
  );
  assert.throws(() => lookup(s, -1), /got -1/);
  assert.throws(() => lookup(s, 1.5), /got 1.5/);
});
