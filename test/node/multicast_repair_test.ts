/**
 * Repairs by multicast (spec/node.md, "Repairs by multicast"), on the in-memory network: a
 * message that several destinations of the origin's domain miss is repaired once by multicast,
 * not once per destination by TCP; one that several destinations of another domain miss goes
 * by TCP to one of them, which multicasts it there; a lost multicast repair is followed by TCP
 * repairs; the option off restores one TCP repair per destination; independent and shared loss
 * together still deliver every message exactly once. [R-NODE-REL-020..024]
 */
import assert from "node:assert/strict";
import type { NodeOptions } from "../../mod.ts";
import { seededRandom } from "../../src/node/random.ts";
import { learn, memCluster } from "./_memory_cluster.ts";
import { collectLost, drive, driveUntilQuiet, sendTo, type Sent } from "./_reliable_helpers.ts";

interface Outcome {
  missing: number;
  dup: number;
  ok: number;
  lost: number;
  /** Shared datagram losses. */
  datagrams: number;
  /** TCP repair records and frames. */
  tcp: number;
  tcpFrames: number;
  mc: number;
  mcFrames: number;
  covered: number;
  relayed: number;
  received: number;
  useful: number;
  needless: number;
  duplicates: number;
  buffered: number;
}

/**
 * `nodes` nodes in `domains` domains, everyone learned; then `msgs` broadcasts (round robin
 * origins, wide random destination sets) under the given losses; counts after quiet.
 */
async function run(
  nodes: number,
  domains: number,
  opts: Partial<NodeOptions>,
  loss: { shared?: number; independent?: number },
  msgs: number,
  seed: number,
  allDests = false,
): Promise<Outcome> {
  const c = await memCluster(
    Array.from({ length: nodes }, (_, i) => `D${i % domains}`),
    { profile: "v2", multicastRepairMin: 3, ...opts },
    {},
    seed,
  );
  try {
    const lost = collectLost(c.nodes);
    await learn(c, 2);
    await driveUntilQuiet(c);
    const before = c.nodes.map((n) => n.stats());
    const shared0 = c.net.multicastSharedDrops;
    c.net.setMulticastSharedLoss(loss.shared ?? 0);
    c.net.setMulticastLoss(loss.independent ?? 0);
    const r = seededRandom(seed);
    const sent: Sent[] = [];
    for (let i = 0; i < msgs; i++) {
      const dests: number[] = [];
      for (let j = 0; j < nodes; j++) if (allDests || r.next() < 0.8) dests.push(j);
      sent.push(sendTo(c, i % nodes, dests, "r"));
      if (i % 8 === 7) await drive(c, 25);
    }
    await driveUntilQuiet(c);
    const o: Outcome = {
      missing: 0,
      dup: 0,
      ok: 0,
      lost: lost.length,
      datagrams: c.net.multicastSharedDrops - shared0,
      tcp: 0,
      tcpFrames: 0,
      mc: 0,
      mcFrames: 0,
      covered: 0,
      relayed: 0,
      received: 0,
      useful: 0,
      needless: 0,
      duplicates: 0,
      buffered: 0,
    };
    for (const m of sent) {
      for (const d of m.dests) {
        if (d === m.from) continue;
        const n = c.got[d].get(m.id) ?? 0;
        if (n === 0) o.missing++;
        else if (n > 1) o.dup++;
        else o.ok++;
      }
    }
    c.nodes.forEach((n, i) => {
      const s = n.stats(), b = before[i];
      o.tcp += s.reliable.retransmits - b.reliable.retransmits;
      o.tcpFrames += s.reliable.repairFrames - b.reliable.repairFrames;
      o.mc += s.reliable.multicastRepairs - b.reliable.multicastRepairs;
      o.mcFrames += s.reliable.multicastRepairFrames - b.reliable.multicastRepairFrames;
      o.covered += s.reliable.multicastRepairCovered - b.reliable.multicastRepairCovered;
      o.relayed += s.reliable.relayRepairs - b.reliable.relayRepairs;
      o.received += s.reliable.multicastRepairsReceived - b.reliable.multicastRepairsReceived;
      o.useful += s.reliable.multicastRepairsUseful - b.reliable.multicastRepairsUseful;
      o.needless += s.reliable.needlessRepairs - b.reliable.needlessRepairs;
      o.duplicates += s.duplicates - b.duplicates;
      o.buffered += s.reliable.buffered;
    });
    return o;
  } finally {
    await c.close();
  }
}

function assertExact(o: Outcome): void {
  if (Deno.env.get("CHATTER_SWEEP_REPORT") === "1") console.log(JSON.stringify(o));
  assert.equal(o.missing, 0, "missing deliveries");
  assert.equal(o.dup, 0, "delivered twice [R-NODE-REL-009]");
  assert.equal(o.lost, 0, "reported lost");
  assert.equal(o.buffered, 0, "every buffer emptied");
}

Deno.test("[R-NODE-REL-020] 24 nodes in one domain, 20 % of datagrams lost at every receiver: one multicast repair per lost datagram instead of one TCP repair per destination", async () => {
  const on = await run(24, 1, {}, { shared: 0.2 }, 96, 11);
  const off = await run(24, 1, { multicastRepairMin: 0 }, { shared: 0.2 }, 96, 11);
  assertExact(on);
  assertExact(off);
  // Off: every destination that missed a datagram got its own TCP repair (about 18 of 23).
  assert.equal(off.mc, 0);
  assert.equal(off.mcFrames, 0);
  assert.ok(off.tcp >= 12 * off.datagrams, `off: ${off.tcp} TCP records, ${off.datagrams} lost`);
  // On: about one multicast datagram per lost one; TCP only where the repair was lost too.
  assert.ok(on.mcFrames > 0 && on.mc >= on.mcFrames, JSON.stringify(on));
  assert.ok(on.covered >= 12 * on.mc, `${on.covered} destinations for ${on.mc} records`);
  const perLost = (on.tcpFrames + on.mcFrames) / on.datagrams;
  assert.ok(perLost < 6, `on: ${perLost} frames per lost datagram (off: ${off.tcpFrames})`);
  assert.ok(on.tcp * 3 < off.tcp, `TCP repairs ${on.tcp} on vs ${off.tcp} off`);
  // Receivers count the multicast repairs they heard; those that had the message already
  // de-duplicated it (counted as duplicates, never delivered twice). [R-NODE-REL-023]
  assert.ok(on.received >= on.mc * 10, `${on.received} received`);
  assert.ok(on.useful > 0 && on.useful < on.received, `${on.useful} of ${on.received} useful`);
  assert.ok(on.duplicates > off.duplicates, "the copies that reached nodes that had it");
});

Deno.test("[R-NODE-REL-021] a multicast repair that is lost too: the destinations still get the message, by TCP", async () => {
  // Every multicast datagram is lost: the original, and the multicast repair of it.
  const o = await run(8, 1, {}, { shared: 1 }, 1, 21, true);
  assertExact(o);
  assert.equal(o.ok, 7);
  assert.equal(o.mc, 1, "one multicast repair");
  assert.equal(o.useful, 0, "it reached nobody");
  // Then one TCP repair to each destination but the one that had the kept TCP copy.
  assert.equal(o.tcp, 6);
});

Deno.test("[R-NODE-REL-020] multicastRepairMin 0: one TCP repair per destination, as before", async () => {
  const o = await run(8, 1, { multicastRepairMin: 0 }, { shared: 1 }, 1, 21, true);
  assertExact(o);
  assert.equal(o.mc, 0);
  assert.equal(o.received, 0);
  assert.equal(o.tcp, 6);
  // And a threshold above the destinations that miss it changes nothing either.
  const high = await run(8, 1, { multicastRepairMin: 7 }, { shared: 1 }, 1, 21, true);
  assertExact(high);
  assert.equal(high.mc, 0);
  assert.equal(high.tcp, 6);
});

Deno.test("[R-NODE-REL-022] other domains: one TCP repair through a relay of the domain, which multicasts it there", async () => {
  const on = await run(24, 4, {}, { shared: 0.2 }, 96, 31);
  const off = await run(24, 4, { multicastRepairMin: 0 }, { shared: 0.2 }, 96, 31);
  assertExact(on);
  assertExact(off);
  assert.ok(on.relayed > 0, JSON.stringify(on));
  assert.equal(off.relayed, 0);
  assert.ok(
    on.tcpFrames + on.mcFrames < off.tcpFrames,
    `frames ${on.tcpFrames} + ${on.mcFrames} on vs ${off.tcpFrames} off`,
  );
});

Deno.test("[R-NODE-REL-024] independent and shared loss together: exactly once, nothing lost", async () => {
  const o = await run(16, 2, {}, { shared: 0.1, independent: 0.1 }, 96, 41);
  assertExact(o);
  assert.ok(o.ok > 96 * 8, `${o.ok} deliveries`);
  assert.ok(o.mc > 0, "some repairs went by multicast");
  assert.ok(o.tcp > 0, "single losses went by TCP");
});
