/**
 * What an origin's `lost` report means: "not acknowledged", not "not delivered". A destination
 * that got the message while every acknowledgement (and repair) to and from it failed is reported
 * lost by the origin although its handler ran once; the destination itself reports only what it
 * does not have. The README's guarantee says so. [R-NODE-REL-004] [R-NODE-REL-006]
 */
import assert from "node:assert/strict";
import { learn, memCluster } from "./_memory_cluster.ts";
import { collectLost, drive, driveUntilQuiet } from "./_reliable_helpers.ts";

Deno.test("[R-NODE-REL-004] [R-NODE-REL-006] a message delivered whose acknowledgements all failed is reported lost by the origin (not acknowledged), and by no destination", async () => {
  const c = await memCluster(["A", "A", "A"], { profile: "v2" }, {}, 5);
  try {
    const lost = collectLost(c.nodes);
    await learn(c, 2);
    await driveUntilQuiet(c);
    // From now every TCP frame fails: acknowledgements, repairs, the kept copy. Multicast works.
    c.net.setTcpFaults(1, 0);
    c.nodes[0].broadcast([c.ids[1], c.ids[2]], "test.msg", { n: 1, id: "x" });
    await drive(c, 60_000, 100);
    assert.equal(c.got[1].get("x"), 1, "delivered at 1, once");
    assert.equal(c.got[2].get("x"), 1, "delivered at 2, once");
    const origin = lost.filter((e) => e.side === "origin");
    assert.deepEqual(
      origin.flatMap((e) => e.destinations.map((d) => d.port)).sort(),
      [c.ids[1].port, c.ids[2].port],
      "the origin reports both destinations: they never acknowledged",
    );
    assert.equal(lost.filter((e) => e.side === "destination").length, 0);
    assert.equal(c.nodes[0].stats().reliable.lost, 1);
  } finally {
    await c.close();
  }
});
