/**
 * Scale rules on the in-memory network: records too large for a datagram keep their
 * destinations on TCP, shares are cut to the receiver's limits, relays do not re-multicast
 * to a domain that already heard the frame. [R-NODE-SCALE-*]
 */
import assert from "node:assert/strict";
import { jsonType, type NetId, startNode } from "../../mod.ts";
import { netIdKey } from "../../src/wire/netid.ts";
import { planBroadcast } from "../../src/node/plan.ts";
import { seededRandom } from "../../src/node/random.ts";
import { PeerDb } from "../../src/node/peer_db.ts";
import { ManualClock } from "../../src/node/clock.ts";
import { NetIdTable } from "../../src/wire/netid_table.ts";
import { decodeDomains, domainsRecord } from "../../src/node/domains.ts";
import { learn, memCluster, TEST_KEY, total } from "./_memory_cluster.ts";

const same = (n: number, d: string) => Array.from({ length: n }, () => d);

// On legacy an originator refuses a frame over the datagram limit (R-NODE-LEGACY-004, in
// legacy_live_defects_test.ts): there a too-large record exists only at relays (test below).
for (const profile of ["v2"] as const) {
  Deno.test(`[R-NODE-SCALE-001] a record too large for one datagram reaches every node of a learned 32-node domain (${profile})`, async () => {
    const c = await memCluster(same(32, "A"), { profile });
    try {
      await learn(c, 2);
      let hears = 0;
      for (const p of c.ids.slice(1)) if (c.nodes[0].hearsUs(p)) hears++;
      assert.ok(hears >= 28, `node 0 learned that ${hears} of 31 hear it`);
      const got = new Set<number>();
      c.nodes.forEach((n, i) =>
        n.register(jsonType<string>("big", () => {
          if (i > 0) got.add(i);
        }))
      );
      // Incompressible, so snappy cannot bring it under the datagram limit.
      const r = seededRandom(5);
      const big = Array.from({ length: 2_000 }, () => String.fromCharCode(33 + r.next() * 90));
      c.nodes[0].broadcast(c.ids, "big", big.join(""));
      await c.net.settle();
      assert.equal(got.size, 31, `delivered to ${got.size} of 31`);
      assert.ok(c.nodes[0].stats().multicastTooLarge >= 1);
    } finally {
      await c.close();
    }
  });
}

Deno.test("[R-NODE-SCALE-001] legacy: a relay that cannot multicast a too-large record keeps its whole list on TCP", async () => {
  const c = await memCluster(same(32, "A"), { profile: "legacy" });
  // The origin does not multicast, so it may send a legacy frame over the datagram limit.
  const origin = await startNode({
    address: "127.0.0.1",
    profile: "legacy",
    key: TEST_KEY,
    clock: c.clock,
    random: seededRandom(99),
    multicast: false,
    transport: c.net.transport({ id: { ip: "10.0.66.1", port: 5000 }, domain: "B" }),
  });
  try {
    await learn(c, 2);
    origin.register(jsonType("test.msg"));
    // The domain tells the origin (by TCP) whom it hears: the origin sees one domain.
    for (const n of c.nodes) n.broadcast([origin.id], "test.msg", { n: -2 });
    await c.net.settle();
    const got = new Set<number>();
    origin.register(jsonType<string>("big"));
    c.nodes.forEach((n, i) => n.register(jsonType<string>("big", () => void got.add(i))));
    const r = seededRandom(5);
    const big = Array.from({ length: 2_000 }, () => String.fromCharCode(33 + r.next() * 90));
    origin.broadcast(c.ids, "big", big.join(""));
    await c.net.settle();
    assert.equal(got.size, 32, `delivered to ${got.size} of 32`);
    assert.ok(total(c.nodes, (s) => s.multicastTooLarge) >= 1, "a relay could not multicast it");
  } finally {
    await origin.close();
    await c.close();
  }
});

Deno.test("[R-NODE-SCALE-001] with multicast off every destination stays on TCP", () => {
  const ids: NetId[] = Array.from({ length: 9 }, (_, i) => ({ ip: `10.0.0.${i + 1}`, port: 7 }));
  const all = { hearsUs: () => true, domainOf: () => "A" };
  const plan = planBroadcast(ids[0], ids, all, seededRandom(1), { multicast: false });
  assert.equal(plan.multicast, false);
  const covered = plan.tcp.flatMap((s) => [s.to, ...s.distribution]).map(netIdKey).sort();
  assert.deepEqual(covered, ids.slice(1).map(netIdKey).sort());
});

Deno.test("[R-NODE-SCALE-002] the planner cuts shares to maxShare, whole domains where they fit", () => {
  // 100 destinations in 10 domains of 10; no list may exceed 14.
  const ids: NetId[] = Array.from(
    { length: 101 },
    (_, i) => ({ ip: `10.${i % 10}.0.${i}`, port: 7 }),
  );
  const view = { hearsUs: () => false, domainOf: (id: NetId) => id.ip.split(".")[1] };
  for (let seed = 0; seed < 20; seed++) {
    const plan = planBroadcast(ids[100], ids.slice(0, 100), view, seededRandom(seed), {
      maxShare: 14,
    });
    const covered = plan.tcp.flatMap((s) => [s.to, ...s.distribution]).map(netIdKey).sort();
    assert.deepEqual(covered, ids.slice(0, 100).map(netIdKey).sort(), "each node exactly once");
    for (const s of plan.tcp) {
      assert.ok(s.distribution.length <= 14, `a list of ${s.distribution.length}`);
      // A share of at most 15 nodes holds one whole domain of 10 and no part of another.
      const doms = new Set([s.to, ...s.distribution].map(view.domainOf));
      if (s.distribution.length > 0) assert.equal(doms.size, 1);
    }
  }
  // A single domain larger than a share is cut into pieces.
  const one = { hearsUs: () => false, domainOf: () => "A" };
  const plan = planBroadcast(ids[100], ids.slice(0, 100), one, seededRandom(1), { maxShare: 9 });
  assert.ok(plan.tcp.every((s) => s.distribution.length <= 9));
  assert.equal(plan.tcp.flatMap((s) => [s.to, ...s.distribution]).length, 100);
});

Deno.test("[R-NODE-SCALE-002] no frame exceeds the receivers' table limit: 200 one-node domains, limit 64", async () => {
  const doms = Array.from({ length: 200 }, (_, i) => `d${i}`);
  // Domain names must give distinct ips in memCluster: it uses the first char; ids differ by index.
  const c = await memCluster(doms, { profile: "v2", limits: { maxTableEntries: 64 } });
  try {
    c.nodes[0].broadcast(c.ids, "test.msg", { n: 1, id: "big-share" });
    await c.net.settle();
    let got = 0;
    for (let i = 1; i < 200; i++) if (c.got[i].get("big-share") === 1) got++;
    const errs = total(c.nodes, (s) => Object.values(s.decodeErrors).reduce((a, b) => a + b, 0));
    assert.equal(errs, 0, "no receiver rejected a frame");
    assert.equal(got, 199, `delivered to ${got} of 199`);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-SCALE-002] a share that cannot fit even without a list is counted and reported", async () => {
  const c = await memCluster(same(2, "A"), {
    profile: "v2",
    limits: { maxTableEntries: 1 },
    maxSeenIds: 0,
    maxOtherIds: 0,
  });
  try {
    const events: string[] = [];
    c.nodes[0].on("shareUnsent", (e) => events.push(`${e.error.code} ${e.nodes}`));
    c.nodes[0].broadcast(c.ids, "test.msg", { n: 1 });
    await c.net.settle();
    assert.equal(c.nodes[0].stats().sharesUnsent, 1);
    assert.deepEqual(events, ["SHARE_TOO_LARGE 1"]);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-SCALE-003] relays do not re-multicast a frame their domain already heard: one domain of 32, unlearned", async () => {
  const c = await memCluster(same(32, "A"), { profile: "v2" });
  try {
    c.nodes[0].broadcast(c.ids, "test.msg", { n: 1, id: "storm" });
    await c.net.settle();
    for (let i = 1; i < 32; i++) assert.equal(c.got[i].get("storm"), 1, `node ${i}`);
    assert.equal(total(c.nodes, (s) => s.udp.framesOut), 1, "only the origin multicast");
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-SCALE-004] one v2 domain of 48: after a few broadcasts per node, 1 datagram and at most 3 TCP frames per broadcast", async () => {
  const c = await memCluster(same(48, "A"), { profile: "v2" });
  try {
    await learn(c, 3);
    for (let k = 0; k < 6; k++) {
      const tcp0 = total(c.nodes, (s) => s.tcp.framesOut);
      const udp0 = total(c.nodes, (s) => s.udp.framesOut);
      const id = `one-${k}`;
      c.nodes[(k * 7) % 48].broadcast(c.ids, "test.msg", { n: k, id });
      await c.net.settle();
      for (let i = 0; i < 48; i++) if (i !== (k * 7) % 48) assert.equal(c.got[i].get(id), 1);
      const tcp = total(c.nodes, (s) => s.tcp.framesOut) - tcp0;
      const udp = total(c.nodes, (s) => s.udp.framesOut) - udp0;
      assert.ok(tcp <= 3, `${tcp} TCP frames`);
      assert.equal(udp, 1, "only the origin multicasts");
    }
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-SCALE-004] 12 domains of 6 (v2): a relay plans its share by the domains the sender told it", async () => {
  const doms = Array.from({ length: 72 }, (_, i) => String.fromCharCode(65 + (i % 12)));
  const c = await memCluster(doms, { profile: "v2" });
  try {
    await learn(c, 3);
    let sum = 0;
    for (let k = 0; k < 10; k++) {
      const tcp0 = total(c.nodes, (s) => s.tcp.framesOut);
      const id = `many-${k}`;
      c.nodes[(k * 5) % 72].broadcast(c.ids, "test.msg", { n: k, id });
      await c.net.settle();
      for (let i = 0; i < 72; i++) if (i !== (k * 5) % 72) assert.equal(c.got[i].get(id), 1);
      sum += total(c.nodes, (s) => s.tcp.framesOut) - tcp0;
    }
    // Ideal: 11 (one per other domain), plus the kept destination of each sender that
    // multicast (R-NODE-PLAN-003: up to one per domain).
    assert.ok(sum / 10 <= 2 * 11 + 2, `mean ${sum / 10} TCP frames per broadcast`);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-SCALE-004] domain groups merge domains in the peer DB; a member of ours hears us", () => {
  const self = { ip: "10.0.0.1", port: 1 };
  const db = new PeerDb(
    self,
    { maxPeers: 100, peerTtlMs: 60_000, maxSeenIds: 32, maxOtherIds: 4 },
    new ManualClock(1000),
    seededRandom(1),
  );
  const n = (i: number) => ({ ip: `10.0.1.${i}`, port: 1 });
  db.learnGroups([[n(1), n(2), n(3)], [n(4), n(5)], [self, n(6)]]);
  assert.equal(db.domainOf(n(1)), db.domainOf(n(3)));
  assert.notEqual(db.domainOf(n(1)), db.domainOf(n(4)));
  assert.equal(db.hearsUs(n(6)), true, "in our domain by a group");
  assert.equal(db.hearsUs(n(2)), false);
  db.learnGroups([[n(3), n(6)]]);
  assert.equal(db.hearsUs(n(1)), true, "groups chain: 1-3, 3-6, 6-self");
  assert.deepEqual(db.groupsOf([n(1), n(4), n(5), n(2)]).map((g) => g.length).sort(), [2, 2]);
  // The record round-trips through a v2 frame's table.
  const table = NetIdTable.build([self, n(1), n(2), n(6)]);
  const rec = domainsRecord({ ...self, seqno: 1 }, [[self, n(6)], [n(1), n(2)]]);
  const bytes = (rec.payload as (t: NetIdTable) => Uint8Array)(table);
  const back = decodeDomains(bytes, table.entries.map((e) => e.id));
  assert.deepEqual(back?.map((g) => g.map((x) => x.ip)), [["10.0.0.1", "10.0.1.6"], [
    "10.0.1.1",
    "10.0.1.2",
  ]]);
  assert.equal(decodeDomains(new Uint8Array([1, 2, 0, 9]), [self]), undefined, "bad index");
});
