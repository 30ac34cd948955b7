// [R-MEM-001..010]: construction checks name the bad value; values are immutable; clocks,
// world clocks and write() behave as the spec says.
import assert from "node:assert/strict";
import {
  Item,
  LocalClock,
  MembershipState,
  stateFromJson,
  stateToJson,
  TimedItem,
  WorldClock,
} from "../../src/membership/mod.ts";

const A = { ip: "10.0.0.1", port: 4000 }, B = { ip: "10.0.0.2", port: 4000 };
const item = (f: Partial<ConstructorParameters<typeof Item>[0]> = {}) =>
  new Item({ member: A, op: "add", start: 0, end: 9, priority: 1, ...f });

Deno.test("[R-MEM-003] Item rejects out-of-order ranges, bad ops and non-32-bit values, naming them", () => {
  assert.throws(() => item({ start: 10, end: 9 }), /start 10 > end 9/);
  assert.throws(() => item({ end: 2 ** 32 }), /Item end of 10.0.0.1:4000 .*got 4294967296/);
  assert.throws(() => item({ start: -1 }), /Item start .*got -1/);
  assert.throws(() => item({ priority: 0.5 }), /Item priority .*got 0.5/);
  assert.throws(() => item({ priority: "3" as unknown as number }), /got "3"/);
  assert.throws(() => item({ op: "del" as "add" }), /op .* "add" or "rmv", got "del"/);
  assert.throws(() => item({ member: { ip: "10.0.0.300", port: 1 } }), /Item member.*10.0.0.300/);
  assert.throws(() => item({ member: { ip: "10.0.0.1", port: 70000 } }), /70000/);
  assert.equal(item({ start: 0xffff_ffff, end: 0xffff_ffff }).end, 0xffff_ffff);
});

Deno.test("[R-MEM-002] LocalClock checks its time and advances by one", () => {
  assert.throws(
    () => new LocalClock(A, 2 ** 32),
    /LocalClock time of 10.0.0.1:4000 .*got 4294967296/,
  );
  assert.throws(() => new LocalClock(A, -3), /got -3/);
  assert.equal(new LocalClock(A, 7).next().time, 8);
  assert.throws(() => new LocalClock(A, 0xffff_ffff).next(), /cannot advance/);
  // Non-canonical address text is canonicalised, so equal members compare equal.
  assert.equal(new LocalClock({ ip: "FE80:0:0::1", port: 1 }).member.ip, "fe80::1");
});

Deno.test("[R-MEM-004] TimedItem rejects a clock of another member, naming both", () => {
  assert.throws(
    () => new TimedItem(item(), new LocalClock(B, 1)),
    /clock member 10.0.0.2:4000 differs from item member 10.0.0.1:4000/,
  );
  assert.throws(
    () => new TimedItem(item(), { member: A, time: 1 } as LocalClock),
    /must be a LocalClock/,
  );
});

Deno.test("values are immutable", () => {
  const t = new TimedItem(item(), new LocalClock(A, 1));
  const m = MembershipState.from([t]);
  assert.throws(() => {
    (t.item as { start: number }).start = 5;
  }, TypeError);
  assert.throws(() => {
    (m.items as TimedItem[]).push(t);
  }, TypeError);
  assert.throws(() => {
    (m.clock.clocks[0] as { time: number }).time = 0;
  }, TypeError);
  assert.ok(Object.isFrozen(t.item.member));
});

Deno.test("[R-MEM-005] MembershipState.from keeps one write per slot (the later) and lifts the world clock [R-MEM-008]", () => {
  const m = MembershipState.from(
    [
      new TimedItem(item({ op: "add" }), new LocalClock(A, 3)),
      new TimedItem(item({ op: "rmv" }), new LocalClock(A, 2)),
      new TimedItem(item({ start: 5 }), new LocalClock(A, 1)),
    ],
    [new LocalClock(B, 4), new LocalClock(A, 1)],
  );
  assert.deepEqual(m.items.map((t) => [t.item.start, t.item.op, t.clock.time]), [
    [0, "add", 3],
    [5, "add", 1],
  ]);
  assert.equal(m.clock.get(A), 3);
  assert.equal(m.clock.get(B), 4);
});

Deno.test("[R-MEM-007] WorldClock keeps the latest clock per member and reports what a node lags on", () => {
  const w = WorldClock.from([new LocalClock(B, 1), new LocalClock(A, 5), new LocalClock(A, 2)]);
  assert.deepEqual(w.clocks.map((c) => [c.member.ip, c.time]), [["10.0.0.1", 5], ["10.0.0.2", 1]]);
  const mine = WorldClock.from([new LocalClock(A, 5)]);
  assert.deepEqual(mine.behind(w).map((c) => [c.member.ip, c.time]), [["10.0.0.2", 1]]);
  assert.deepEqual(w.behind(mine), []);
  assert.equal(mine.merge(w).equals(w), true);
  assert.equal(w.with(new LocalClock(A, 1)).get(A), 5);
});

Deno.test("[R-MEM-010] write() stamps the member's next clock, so a change wins over the member's past", () => {
  let s = MembershipState.EMPTY.write(A, [{ op: "add", start: 0, end: 9, priority: 1 }]);
  assert.equal(s.clock.get(A), 1);
  s = s.write(A, [{ op: "rmv", start: 0, end: 9, priority: 1 }]);
  assert.equal(s.clock.get(A), 2);
  assert.equal(s.items.length, 1);
  assert.equal(s.items[0].item.op, "rmv");
});

Deno.test("since(): what a lagging node misses, which brings it up to date when merged", () => {
  let full = MembershipState.EMPTY.write(A, [{ op: "add", start: 0, end: 9, priority: 1 }]);
  const old = full;
  full = full.write(A, [{ op: "add", start: 20, end: 29, priority: 1 }]);
  full = full.write(B, [{ op: "add", start: 5, end: 6, priority: 2 }]);
  const delta = full.since(old.clock);
  assert.equal(delta.items.length, 2);
  assert.equal(old.merge(delta).equals(full), true);
  assert.equal(full.since(full.clock).items.length, 0);
});

Deno.test("JSON form: round trip, and invalid JSON rejected naming the value", () => {
  const s = MembershipState.EMPTY.write(A, [{ op: "add", start: 0, end: 9, priority: 1 }]).write(
    B,
    [],
  );
  assert.equal(stateFromJson(stateToJson(s)).equals(s), true);
  const j = stateToJson(s);
  j.items[0].clock.member = { ip: "10.0.0.2", port: 4000 };
  assert.throws(() => stateFromJson(j), /clock member 10.0.0.2:4000 differs/);
  const m = { ip: "10.0.0.1", port: 1 };
  assert.throws(
    () =>
      stateFromJson({
        clock: [],
        items: [{
          item: { member: m, op: "add", start: 3, end: 2, priority: 0 },
          clock: { member: m, time: 0 },
        }],
      }),
    /start 3 > end 2/,
  );
  assert.throws(
    () => stateFromJson({ clock: [{ member: "nope" as unknown as typeof m, time: 1 }], items: [] }),
    /clock\[0\] member must be a NetID \{ip, port\}, got "nope"/,
  );
  assert.throws(
    () => stateFromJson({ clock: [{ member: { ip: "1.2.3", port: 1 }, time: 1 }], items: [] }),
    /clock\[0\] member: not an IPv4 or IPv6 address: "1.2.3"/,
  );
});

Deno.test("equals() tells different states apart", () => {
  const a = MembershipState.EMPTY.write(A, [{ op: "add", start: 0, end: 9, priority: 1 }]);
  const b = MembershipState.EMPTY.write(A, [{ op: "add", start: 0, end: 9, priority: 2 }]);
  assert.equal(a.equals(b), false);
  assert.equal(a.equals(stateFromJson(stateToJson(a))), true);
  assert.equal(a.equals(a.write(B, [])), false);
});
