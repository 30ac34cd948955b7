/**
 * What the origin limit of R-NODE-REL-015 (a frame's records are acknowledged for at most 32
 * origins besides its sender) costs in a node's own traffic: nothing, because a relay forwards
 * each received frame's records as they came (one origin's broadcasts per frame) and never
 * coalesces several origins' records into one frame. Here 36 origins of one domain broadcast in
 * the same instant to every node, so that relays in the other domain forward 36 origins' records
 * at once; if a relay ever coalesced them, records beyond the 32nd origin would go unacknowledged
 * (`acksLimited`) and their origins would repair them needlessly. [R-NODE-REL-015]
 */
import assert from "node:assert/strict";
import { learn, memCluster } from "./_memory_cluster.ts";
import { drive, driveUntilQuiet } from "./_reliable_helpers.ts";

Deno.test("[R-NODE-REL-015] 36 busy origins relayed into another domain at once: no acknowledgement is limited, nothing is repaired", async () => {
  const A = 36, B = 2, ROUNDS = 2;
  const c = await memCluster(
    [...Array(A).fill("A"), ...Array(B).fill("B")],
    {
      profile: "v2",
    },
    {},
    77,
  );
  try {
    await learn(c, 2);
    await driveUntilQuiet(c);
    const s0 = c.nodes.map((n) => n.stats());
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < A; i++) {
        c.nodes[i].broadcast(c.ids, "test.msg", { n: r, id: `o${r}.${i}` });
      }
      await drive(c, 25);
    }
    await driveUntilQuiet(c);
    const s1 = c.nodes.map((n) => n.stats());
    const d = (f: (s: typeof s1[0]) => number) => s1.reduce((a, s, i) => a + f(s) - f(s0[i]), 0);
    let missing = 0, dup = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (let i = 0; i < A; i++) {
        for (let j = 0; j < A + B; j++) {
          if (j === i) continue;
          const k = c.got[j].get(`o${r}.${i}`) ?? 0;
          if (k === 0) missing++;
          else if (k > 1) dup++;
        }
      }
    }
    assert.equal(missing, 0);
    assert.equal(dup, 0);
    // Domain B heard all 36 origins through its relays (TCP in, multicast out).
    assert.ok(d((s) => s.tcp.framesIn) > 0);
    assert.equal(d((s) => s.reliable.acksLimited), 0, "no acknowledgement was limited");
    assert.equal(d((s) => s.reliable.retransmits), 0, "no repair at 0 % loss");
    assert.equal(d((s) => s.reliable.buffered), 0);
  } finally {
    await c.close();
  }
});
