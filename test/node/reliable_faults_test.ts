/**
 * Issue 9's fault list for every size of the sweep: 8 and 64 nodes in 1 and 4 multicast domains,
 * with multicast loss in bursts, TCP connections that fail (refused and silently dropped) and the
 * busiest forwarding node killed mid-run with frames in flight, all at once. Every surviving
 * destination delivers every message of a surviving origin exactly once; every message the dead
 * node never delivered is reported lost by its origin, naming it, and nothing else is reported.
 * (reliable_test.ts has the loss sweep alone and one size of each fault.) [R-NODE-REL-*]
 */
import assert from "node:assert/strict";
import { netIdKey } from "../../src/wire/netid.ts";
import { seededRandom } from "../../src/node/random.ts";
import { learn, type MemCluster, memCluster } from "./_memory_cluster.ts";
import { collectLost, drive, driveUntilQuiet, idKey } from "./_reliable_helpers.ts";

interface Sent {
  id: string;
  from: number;
  dests: number[];
  origin: { ip: string; port: number; seqno: number };
}

let idSeq = 0;

function sendTo(c: MemCluster, from: number, dests: number[]): Sent {
  const id = `f${++idSeq}`;
  const origin = c.nodes[from].broadcast(dests.map((i) => c.ids[i]), "test.msg", { n: idSeq, id });
  return { id, from, dests, origin };
}

function randomDests(r: { next(): number }, n: number): number[] {
  const out: number[] = [];
  const p = 0.3 + 0.7 * r.next();
  for (let i = 0; i < n; i++) if (r.next() < p) out.push(i);
  if (out.length === 0) out.push(Math.floor(r.next() * n));
  return out;
}

/** The live node (not `except`) that has sent the most TCP frames: a relay of the trees. */
function busiestForwarder(c: MemCluster, except: number): number {
  let best = -1, most = -1;
  for (let i = 0; i < c.nodes.length; i++) {
    if (i === except || !c.alive[i]) continue;
    const f = c.nodes[i].stats().tcp.framesOut;
    if (f > most) [best, most] = [i, f];
  }
  return best;
}

for (const nodes of [8, 64]) {
  for (const domains of [1, 4]) {
    Deno.test(`[R-NODE-REL-003] [R-NODE-REL-004] [R-NODE-REL-009] ${nodes} nodes, ${domains} domain(s): 20 % multicast loss in bursts, failing TCP, a forwarder killed mid-run`, async () => {
      const seed = 900 + nodes + domains;
      const c = await memCluster(
        Array.from({ length: nodes }, (_, i) => `D${i % domains}`),
        { profile: "v2", retransmitMs: 100 },
        { multicastBurst: 8 },
        seed,
      );
      try {
        const lost = collectLost(c.nodes);
        if (nodes === 8) await learn(c, 2);
        c.net.setMulticastLoss(0.2);
        c.net.setTcpFaults(0.1, 0.05);
        const r = seededRandom(seed);
        const sent: Sent[] = [];
        const msgs = nodes === 8 ? 200 : 96;
        let victim = -1;
        for (let i = 0; i < msgs; i++) {
          let from = i % nodes;
          if (from === victim) from = (from + 1) % nodes;
          sent.push(sendTo(c, from, randomDests(r, nodes)));
          if (i === Math.floor(msgs / 2)) {
            // With this broadcast's frames still in flight through it.
            victim = busiestForwarder(c, from);
            c.kill(victim);
          }
          if (i % 16 === 15) await drive(c, 25);
        }
        await driveUntilQuiet(c);
        assert.ok(victim >= 0);
        const st = c.nodes.map((n) => n.stats());
        assert.ok(st.some((s) => s.transport.sendFailures > 0), "TCP sends did fail");
        assert.ok(st.reduce((a, s) => a + s.reliable.retransmits, 0) > 0, "losses were repaired");
        const fromLive = sent.filter((m) => m.from !== victim);
        let missing = 0, dup = 0, ok = 0;
        const missed: string[] = [];
        for (const m of fromLive) {
          for (const d of m.dests) {
            if (d === m.from || d === victim) continue;
            const k = c.got[d].get(m.id) ?? 0;
            if (k === 0 && missed.length < 5) missed.push(`${m.id}@${d}`);
            if (k === 0) missing++;
            else if (k > 1) dup++;
            else ok++;
          }
        }
        assert.equal(missing, 0, `missing ${missing}: ${missed.join(", ")}`);
        assert.equal(dup, 0, "delivered twice");
        assert.ok(ok > msgs, `${ok} deliveries`);
        // Reported: only the dead node, and every message it never delivered.
        const reported = new Set<string>();
        for (const e of lost) {
          assert.equal(e.side, "origin", JSON.stringify(e));
          for (const d of e.destinations) {
            assert.equal(netIdKey(d), netIdKey(c.ids[victim]), "only the dead node is missing");
          }
          for (const s of e.seqnos) reported.add(idKey({ ...e.origin, seqno: s }));
        }
        let unrepairable = 0, silent = 0;
        for (const m of fromLive) {
          if (!m.dests.includes(victim) || (c.got[victim].get(m.id) ?? 0) > 0) continue;
          unrepairable++;
          if (!reported.has(idKey(m.origin))) silent++;
        }
        assert.ok(unrepairable > 0, "the victim missed messages after its death");
        assert.equal(silent, 0, `${silent} of ${unrepairable} missed silently`);
        const live = st.filter((_, i) => i !== victim);
        assert.equal(live.reduce((a, s) => a + s.reliable.buffered, 0), 0, "buffers emptied");
        assert.ok(
          live.reduce((a, s) => a + s.reliable.lostDestinations, 0) >= unrepairable,
          "lostDestinations counts them",
        );
      } finally {
        await c.close();
      }
    });
  }
}

Deno.test("[R-NODE-REL-004] [R-NODE-REL-006] an origin that closes tells the destinations of its unconfirmed messages: they report what they never got", async () => {
  const c = await memCluster(["A", "A", "A"], { profile: "v2" }, {}, 31);
  try {
    const lost = collectLost(c.nodes);
    await learn(c, 2);
    await driveUntilQuiet(c);
    // Every copy of m is lost: its multicast datagram and its TCP frames.
    c.net.setMulticastLoss(1);
    c.net.setTcpFaults(1, 0);
    const m = sendTo(c, 0, [1, 2]);
    await c.net.settle();
    c.net.setMulticastLoss(0);
    c.net.setTcpFaults(0, 0);
    // The origin closes before any repair: it gives m up ("closed") and says so.
    await c.nodes[0].close();
    await c.net.settle();
    const atOrigin = lost.filter((e) => e.side === "origin");
    assert.equal(atOrigin.length, 1);
    assert.equal(atOrigin[0].reason, "closed");
    for (const d of [1, 2]) {
      assert.equal(c.got[d].get(m.id), undefined);
      const told = lost.filter((e) =>
        e.side === "destination" && netIdKey(e.destinations[0]) === netIdKey(c.ids[d])
      );
      assert.equal(told.length, 1, `destination ${d} was told`);
      assert.deepEqual(told[0].seqnos, [m.origin.seqno]);
      assert.equal(told[0].reason, "notice");
      assert.equal(c.nodes[d].stats().reliable.lostReported, 1);
    }
  } finally {
    await c.close();
  }
});
