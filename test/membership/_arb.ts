/**
 * fast-check arbitraries for membership values. Small pools of members, keys, clocks and
 * priorities are mixed with full 32-bit values so that slot collisions and clock ties (where
 * merge bugs live) are frequent, and the edges of the key space are reached.
 */
import fc from "fast-check";
import { Item, LocalClock, MembershipState, TimedItem } from "../../src/membership/mod.ts";
import type { NetId } from "../../src/wire/mod.ts";

export const MEMBERS: NetId[] = [
  { ip: "10.0.0.1", port: 4000 },
  { ip: "10.0.0.2", port: 4000 },
  { ip: "10.0.0.1", port: 3999 },
  { ip: "fe80::1", port: 4000 },
];

const u32 = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 12 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }) },
  { weight: 1, arbitrary: fc.constantFrom(0xffff_fffe, 0xffff_ffff) },
);
const small = (max: number) =>
  fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 0, max }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }) },
  );

/** Raw fields of a timed item (plain data, so counterexamples print readably). */
export interface RawItem {
  m: number;
  op: "add" | "rmv";
  a: number;
  b: number;
  priority: number;
  time: number;
}

/** Raw fields of a message. */
export interface RawMessage {
  items: RawItem[];
  clocks: { m: number; time: number }[];
}

export const rawItem: fc.Arbitrary<RawItem> = fc.record({
  m: fc.integer({ min: 0, max: MEMBERS.length - 1 }),
  op: fc.constantFrom("add" as const, "rmv" as const),
  a: u32,
  b: u32,
  priority: small(3),
  time: small(3),
});

export const rawMessage: fc.Arbitrary<RawMessage> = fc.record({
  items: fc.array(rawItem, { maxLength: 10 }),
  clocks: fc.array(
    fc.record({ m: fc.integer({ min: 0, max: MEMBERS.length - 1 }), time: small(4) }),
    { maxLength: 3 },
  ),
});

/** Build a fresh MembershipState (new objects every call) from raw fields. */
export function build(r: RawMessage): MembershipState {
  return MembershipState.from(
    r.items.map((i) =>
      new TimedItem(
        new Item({
          member: MEMBERS[i.m],
          op: i.op,
          start: Math.min(i.a, i.b),
          end: Math.max(i.a, i.b),
          priority: i.priority,
        }),
        new LocalClock(MEMBERS[i.m], i.time),
      )
    ),
    r.clocks.map((c) => new LocalClock(MEMBERS[c.m], c.time)),
  );
}

/** Arbitrary MembershipState (built from raw fields, so it shrinks through them). */
export const message: fc.Arbitrary<MembershipState> = rawMessage.map(build, (m) => {
  // Unmapping lets fc shrink values it did not generate (e.g. in replayed examples).
  if (!(m instanceof MembershipState)) throw new Error("not a MembershipState");
  return {
    items: m.items.map((t) => ({
      m: MEMBERS.findIndex((x) => x.ip === t.item.member.ip && x.port === t.item.member.port),
      op: t.item.op,
      a: t.item.start,
      b: t.item.end,
      priority: t.item.priority,
      time: t.clock.time,
    })),
    clocks: m.clock.clocks.map((c) => ({
      m: MEMBERS.findIndex((x) => x.ip === c.member.ip && x.port === c.member.port),
      time: c.time,
    })),
  };
});
