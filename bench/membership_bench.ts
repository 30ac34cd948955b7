/**
 * Membership benchmarks (`deno bench bench/membership_bench.ts`): merge of two Messages of
 * 10,000 items each (the target: under 20 ms on one core), decode + merge of a
 * 1,000-item payload, and view derivation. Inputs come from a seeded generator, so runs are
 * comparable.
 *
 * @module
 */

import {
  decodeMembership,
  encodeMembership,
  Item,
  LocalClock,
  membershipNetIds,
  MembershipState,
  MembershipView,
  TimedItem,
} from "../src/membership/mod.ts";
import { type NetId, NetIdTable } from "../src/wire/mod.ts";

/** Deterministic xorshift32. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const MEMBERS: NetId[] = Array.from({ length: 100 }, (_, i) => ({
  ip: `10.0.${i >> 4}.${(i & 15) + 1}`,
  port: 4000,
}));

/**
 * `n` items over 100 members. Slots come from a pool shared by both sides (`slotSeed`), so a
 * share of them collide and the merge resolves them by clock; clocks differ per side.
 */
function state(n: number, seed: number): MembershipState {
  const slots = rng(1234);
  const r = rng(seed);
  const items: TimedItem[] = [];
  const pool = n * 1.5;
  const picked = new Set<number>();
  while (picked.size < n) picked.add(r() % pool);
  const slotOf: { start: number; end: number }[] = [];
  for (let i = 0; i < pool; i++) {
    const start = slots();
    slotOf.push({ start, end: Math.min(0xffff_ffff, start + (slots() % 1_000_000)) });
  }
  for (const p of picked) {
    const member = MEMBERS[p % MEMBERS.length];
    const { start, end } = slotOf[p];
    items.push(
      new TimedItem(
        new Item({ member, op: r() % 4 === 0 ? "rmv" : "add", start, end, priority: r() % 16 }),
        new LocalClock(member, r() % 1000),
      ),
    );
  }
  return MembershipState.from(items);
}

const A = state(10_000, 7);
const B = state(10_000, 99);
const small = state(1_000, 5);
const smallTable = NetIdTable.build([{ ip: "127.0.0.1", port: 29999 }, ...membershipNetIds(small)]);
const smallPayload = encodeMembership(small, smallTable);
const smallIds = smallTable.ids();
const merged = A.merge(B);

Deno.bench("membership: merge 10,000 + 10,000 items", { group: "merge", baseline: true }, () => {
  A.merge(B);
});

Deno.bench("membership: decode + merge a 1,000-item payload into a 10,000-item state", {
  group: "decode",
}, () => {
  A.merge(decodeMembership(smallPayload, smallIds));
});

Deno.bench("membership: decode a 1,000-item payload", { group: "decode" }, () => {
  decodeMembership(smallPayload, smallIds);
});

Deno.bench("membership: encode a 1,000-item payload", { group: "encode" }, () => {
  encodeMembership(small, smallTable);
});

Deno.bench("membership: derive the view of the 13,287-item merged state", { group: "view" }, () => {
  // A fresh (equal) state each time, so the view cache does not answer.
  MembershipView.of(merged.merge(MembershipState.EMPTY.write(MEMBERS[0], [])));
});

if (import.meta.main) {
  console.log(
    `items: A ${A.items.length}, B ${B.items.length}, A+B ${merged.items.length}; ` +
      `1,000-item payload ${smallPayload.length} bytes`,
  );
}
