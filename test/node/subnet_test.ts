/**
 * Subnet domain keys and the relay's unit marker. [R-NODE-SCALE-006], [R-NODE-SCALE-007]
 */
import assert from "node:assert/strict";
import { interfacePrefixLength, subnetKey } from "../../src/node/subnet.ts";
import { PeerDb } from "../../src/node/peer_db.ts";
import { ManualClock } from "../../src/node/clock.ts";
import { seededRandom } from "../../src/node/random.ts";
import { planBroadcast } from "../../src/node/plan.ts";
import { isUnitMarker } from "../../src/node/domains.ts";
import { learn, memCluster, total } from "./_memory_cluster.ts";

Deno.test("[R-NODE-SCALE-006] subnet keys: one key per /L subnet, IPv4 and IPv6, none for a bad address", () => {
  assert.equal(subnetKey("10.0.0.13", 29), "net:10.0.0.8/29");
  assert.equal(subnetKey("10.0.0.8", 29), subnetKey("10.0.0.15", 29));
  assert.notEqual(subnetKey("10.0.0.7", 29), subnetKey("10.0.0.8", 29));
  assert.equal(subnetKey("192.168.7.200", 24), "net:192.168.7.0/24");
  assert.equal(subnetKey("192.168.7.200", 0), "net:0.0.0.0/0");
  assert.equal(subnetKey("10.0.0.1", 32), "net:10.0.0.1/32");
  assert.equal(subnetKey("10.0.0.1", 33), undefined);
  assert.equal(subnetKey("10.0.0", 24), undefined);
  assert.equal(subnetKey("10.0.0.256", 24), undefined);
  assert.equal(subnetKey("fd00::1:5", 112), subnetKey("fd00::1:ffff", 112));
  assert.notEqual(subnetKey("fd00::1:5", 112), subnetKey("fd00::2:5", 112));
  assert.equal(subnetKey("nonsense", 24), undefined);
});

function db(self: { ip: string; port: number }, subnetPrefixLength: number): PeerDb {
  return new PeerDb(
    self,
    { maxPeers: 100, peerTtlMs: 60_000, maxSeenIds: 32, maxOtherIds: 4, subnetPrefixLength },
    new ManualClock(1000),
    seededRandom(1),
  );
}

Deno.test("[R-NODE-SCALE-006] remote destinations are grouped by subnet with no learning; our own subnet only by what was learned", () => {
  const self = { ip: "10.0.0.1", port: 1 };
  const d = db(self, 24);
  const at = (s: number, h: number) => ({ ip: `10.0.${s}.${h}`, port: 1 });
  assert.equal(d.domainOf(at(5, 1)), d.domainOf(at(5, 200)));
  assert.notEqual(d.domainOf(at(5, 1)), d.domainOf(at(6, 1)));
  // Members of our own subnet that we know nothing about are not one domain.
  assert.notEqual(d.domainOf(at(0, 2)), d.domainOf(at(0, 3)));
  assert.equal(d.hearsUs(at(5, 1)), false, "a subnet key never says a node hears us");
  // Without the prefix length nothing is grouped.
  const off = db(self, 0);
  assert.notEqual(off.domainOf(at(5, 1)), off.domainOf(at(5, 200)));
  // The plan: 3 remote subnets of 4 are 3 shares' worth of units, not 12.
  const dests = [5, 6, 7].flatMap((s) => [1, 2, 3, 4].map((h) => at(s, h)));
  const plan = planBroadcast(self, dests, d, seededRandom(2));
  assert.equal(plan.tcp.length, 2, "rounds over 3 units: 2, then 1");
  assert.equal(planBroadcast(self, dests, off, seededRandom(2)).tcp.length, 4);
  for (const s of plan.tcp) {
    const subnets = new Set([s.to, ...s.distribution].map((x) => x.ip.split(".")[2]));
    assert.equal([s.to, ...s.distribution].length, subnets.size * 4, "whole subnets per share");
  }
});

Deno.test("[R-NODE-SCALE-007] the planner marks a share whose first group has two or more nodes; the marker names the receiver", () => {
  const self = { ip: "10.0.0.1", port: 1 };
  const at = (s: number, h: number) => ({ ip: `10.0.${s}.${h}`, port: 1 });
  const view = { hearsUs: () => false, domainOf: (x: { ip: string }) => x.ip.split(".")[2] };
  const plan = planBroadcast(self, [at(5, 1), at(5, 2), at(6, 1)], view, seededRandom(3));
  for (const s of plan.tcp) {
    const first = [s.to, ...s.distribution].filter((x) =>
      x.ip.split(".")[2] === s.to.ip.split(".")[2]
    );
    assert.equal(s.unit === true, first.length > 1, JSON.stringify(s));
  }
  assert.ok(plan.tcp.some((s) => s.unit), "the two-node subnet is one unit");
  // Cut shares (maxShare) keep the marker for the piece that starts with a group of two.
  const cut = planBroadcast(self, [at(5, 1), at(5, 2), at(5, 3), at(6, 1)], view, seededRandom(3), {
    maxShare: 1,
  });
  for (const s of cut.tcp) {
    const all = [s.to, ...s.distribution];
    assert.equal(
      s.unit === true,
      all.length > 1 &&
        all.every((x) => x.ip === all[0].ip || x.ip.split(".")[2] === all[0].ip.split(".")[2]),
    );
  }
  assert.equal(isUnitMarker([[at(5, 1)]], at(5, 1)), true);
  assert.equal(isUnitMarker([[at(5, 1), at(5, 2)]], at(5, 1)), false, "a real group is no marker");
  assert.equal(isUnitMarker([[at(5, 2)]], at(5, 1)), false, "a marker for someone else");
});

Deno.test("[R-NODE-SCALE-007] a relay handed its domain as one unit keeps no TCP copy: 1 TCP frame for a remote domain of 4", async () => {
  // Node 0 alone in subnet A; nodes 1-4 in subnet B (MemoryNetwork domains are /24 subnets).
  const c = await memCluster(["A", "B", "B", "B", "B"], { profile: "v2", subnetPrefixLength: 24 });
  try {
    await learn(c, 3);
    for (let k = 0; k < 6; k++) {
      const tcp0 = total(c.nodes, (s) => s.tcp.framesOut);
      const id = `unit-${k}`;
      c.nodes[0].broadcast(c.ids.slice(1), "test.msg", { n: k, id });
      await c.net.settle();
      for (let i = 1; i < 5; i++) assert.equal(c.got[i].get(id), 1, `node ${i}, broadcast ${k}`);
      // One frame to B's relay; no kept copy inside B (without the marker: 2).
      assert.equal(total(c.nodes, (s) => s.tcp.framesOut) - tcp0, 1, `broadcast ${k}`);
    }
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-SCALE-006] 12 subnets of 6: at most 1.25 × 11 TCP frames per broadcast after learning", async () => {
  const doms = Array.from({ length: 72 }, (_, i) => String.fromCharCode(65 + (i % 12)));
  const c = await memCluster(doms, { profile: "v2", subnetPrefixLength: 24 });
  try {
    await learn(c, 3);
    let sum = 0;
    for (let k = 0; k < 10; k++) {
      const tcp0 = total(c.nodes, (s) => s.tcp.framesOut);
      const id = `sub-${k}`;
      c.nodes[(k * 5) % 72].broadcast(c.ids, "test.msg", { n: k, id });
      await c.net.settle();
      for (let i = 0; i < 72; i++) if (i !== (k * 5) % 72) assert.equal(c.got[i].get(id), 1);
      sum += total(c.nodes, (s) => s.tcp.framesOut) - tcp0;
    }
    assert.ok(sum / 10 <= 1.25 * 11, `mean ${sum / 10} TCP frames per broadcast`);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-SCALE-006] the multicast interface's prefix length is read from the system's interfaces", () => {
  const ifs = Deno.networkInterfaces();
  for (const i of ifs) {
    // The first interface with this address decides (as a node would see it).
    const first = ifs.find((j) => j.address === i.address)!;
    assert.equal(interfacePrefixLength(i.address), Number(first.cidr.split("/")[1]), i.address);
  }
  if (!ifs.some((i) => i.address === "192.0.2.254")) {
    assert.equal(interfacePrefixLength("192.0.2.254"), 0, "no interface has it");
  }
});
