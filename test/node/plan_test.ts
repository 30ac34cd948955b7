import assert from "node:assert/strict";
import type { NetId } from "../../mod.ts";
import { netIdKey } from "../../src/wire/netid.ts";
import { planBroadcast, takeOver } from "../../src/node/plan.ts";
import { seededRandom } from "../../src/node/random.ts";

const ids: NetId[] = Array.from({ length: 16 }, (_, i) => ({ ip: `10.0.0.${i + 1}`, port: 7 }));
const own = { hearsUs: () => false, domainOf: (id: NetId) => netIdKey(id) };

/** Every destination except self appears exactly once as a relay or in a distribution list. */
function covered(plan: ReturnType<typeof planBroadcast>): string[] {
  return plan.tcp.flatMap((s) => [s.to, ...s.distribution]).map(netIdKey).sort();
}

Deno.test("[R-NODE-PLAN-001] nothing to send when only self (or nobody) is left", () => {
  assert.deepEqual(planBroadcast(ids[0], [], own, seededRandom(1)), { multicast: false, tcp: [] });
  assert.deepEqual(planBroadcast(ids[0], [ids[0], ids[0]], own, seededRandom(1)), {
    multicast: false,
    tcp: [],
  });
});

Deno.test("[R-NODE-PLAN-004] logarithmic tree: 7 unknown destinations, 3 rounds of halves 4,2,1", () => {
  for (let seed = 0; seed < 50; seed++) {
    const plan = planBroadcast(ids[0], ids.slice(0, 8), own, seededRandom(seed));
    assert.equal(plan.multicast, true);
    assert.deepEqual(plan.tcp.map((s) => s.distribution.length + 1), [4, 2, 1]);
    assert.deepEqual(covered(plan), ids.slice(1, 8).map(netIdKey).sort());
  }
});

Deno.test("[R-NODE-PLAN-004] repeats and self are removed; every destination covered once", () => {
  const dests = [...ids, ...ids.slice(3, 9), ids[0]];
  const plan = planBroadcast(ids[0], dests, own, seededRandom(3));
  assert.deepEqual(covered(plan), ids.slice(1).map(netIdKey).sort());
  // 15 units: rounds take 8, 4, 2, 1.
  assert.deepEqual(plan.tcp.map((s) => s.distribution.length + 1), [8, 4, 2, 1]);
});

Deno.test("[R-NODE-PLAN-004] randomised: successive plans build different trees", () => {
  const r = seededRandom(9);
  const shapes = new Set<string>();
  for (let i = 0; i < 20; i++) {
    shapes.add(JSON.stringify(planBroadcast(ids[0], ids, own, r).tcp));
  }
  assert.ok(shapes.size > 15, `only ${shapes.size} distinct trees in 20`);
});

Deno.test("[R-NODE-PLAN-003] destinations hearing us are dropped, one random original kept on TCP", () => {
  const all = { hearsUs: () => true, domainOf: (id: NetId) => netIdKey(id) };
  const kept = new Set<string>();
  for (let seed = 0; seed < 60; seed++) {
    const plan = planBroadcast(ids[0], ids.slice(0, 8), all, seededRandom(seed));
    assert.equal(plan.multicast, true);
    assert.equal(plan.tcp.length, 1);
    assert.deepEqual(plan.tcp[0].distribution, []);
    kept.add(netIdKey(plan.tcp[0].to));
  }
  assert.equal(kept.size, 7, "the kept destination is random over the 7");
});

Deno.test("[R-NODE-PLAN-004] the tree is over domains: one relay per domain carries its members", () => {
  // 15 destinations in 3 remote domains of 5; none hears us.
  const view = {
    hearsUs: () => false,
    domainOf: (id: NetId) => `d${Math.floor((Number(id.ip.split(".")[3]) - 2) / 5)}`,
  };
  for (let seed = 0; seed < 30; seed++) {
    const plan = planBroadcast(ids[0], ids, view, seededRandom(seed));
    // 3 units: a relay with 2 domains, then a relay with 1.
    assert.equal(plan.tcp.length, 2);
    assert.deepEqual(plan.tcp.map((s) => s.distribution.length + 1).sort(), [10, 5].sort());
    assert.deepEqual(covered(plan), ids.slice(1).map(netIdKey).sort());
    for (const s of plan.tcp) {
      // A relay's share is whole domains, its own domain first.
      const doms = [s.to, ...s.distribution].map(view.domainOf);
      assert.equal(doms.slice(0, 5).every((d) => d === doms[0]), true);
    }
  }
});

Deno.test("[R-NODE-RELAY-001] take-over: the next node of the share becomes the relay", () => {
  assert.deepEqual(takeOver({ to: ids[1], distribution: [ids[2], ids[3]] }), {
    to: ids[2],
    distribution: [ids[3]],
  });
  assert.equal(takeOver({ to: ids[1], distribution: [] }), undefined);
});
