// [R-MEM-050..053] GroupNode over real ChatterNodes: on the deterministic in-memory network with
// multicast loss (v2 and legacy profiles), and on real loopback sockets (v2). Views converge,
// and a member's claims arrive with the member's own origin identity.
import assert from "node:assert/strict";
import { GroupNode, type MembershipState, viewToJson } from "../../src/membership/mod.ts";
import { formatNetId } from "../../src/wire/mod.ts";
import { memCluster } from "../node/_memory_cluster.ts";
import { netCluster } from "../node/_net_cluster.ts";

const agree = (gs: GroupNode[]) => {
  const v = JSON.stringify(viewToJson(gs[0].view));
  return gs.every((g) =>
    JSON.stringify(viewToJson(g.view)) === v && g.group.state.equals(gs[0].group.state)
  );
};

/** Claims, a change and a leave per node, as `cluster --membership` makes them. */
function script(gs: GroupNode[]): void {
  gs.forEach((g, i) => g.join(i * 1000, i * 1000 + 1999, i));
  gs[1].leave(1000, 1499);
  gs[2].join(2000, 3999, 9); // same slot as its first claim: re-prioritised
}

for (const profile of ["v2", "legacy"] as const) {
  Deno.test(`[R-MEM-053] GroupNodes on ${profile} ChatterNodes converge under 50% multicast loss`, async () => {
    const c = await memCluster(["A", "A", "A", "A", "A", "A"], { profile }, {
      multicastLoss: 0.5,
    });
    try {
      const gs = c.nodes.map((n) => new GroupNode(n, { destinations: () => c.ids }));
      script(gs);
      await c.net.settle();
      let rounds = 0;
      while (!agree(gs) && rounds < 50) {
        gs.forEach((g) => g.tick());
        await c.net.settle();
        rounds++;
      }
      assert.ok(agree(gs), `no agreement after ${rounds} rounds`);
      assert.deepEqual(gs[5].lookup(2500).map((s) => [s.member.port, s.priority]), [
        [4002, 9],
        [4001, 1],
      ]);
      assert.deepEqual(gs[0].lookup(1200).map((s) => s.member.port), [4000]);
    } finally {
      await c.close();
    }
  });
}

Deno.test("[R-MEM-050] a member's items reach others under its own origin (v2 origin identity)", async () => {
  const c = await memCluster(["A", "A", "A"], { profile: "v2" });
  try {
    const gs = c.nodes.map((n) => new GroupNode(n, { destinations: () => c.ids }));
    gs[0].join(0, 9, 1);
    await c.net.settle();
    assert.equal(gs[1].group.state.clock.get(c.ids[0]), 1);
    assert.equal(gs[2].lookup(5)[0].member.port, c.ids[0].port);
    // A relay that re-broadcasts node 0's snapshot under its own origin changes nothing.
    const forged: MembershipState = gs[0].group.state.write(c.ids[0], [
      { op: "rmv", start: 0, end: 9, priority: 0 },
    ]);
    c.nodes[1].broadcast(c.ids, "chatter.membership.v1", forged);
    await c.net.settle();
    assert.equal(gs[2].lookup(5).length, 1, formatNetId(c.ids[0]));
    assert.equal(gs[2].stats().ignoredItems, 1);
  } finally {
    await c.close();
  }
});

Deno.test("[R-MEM-053] GroupNodes on real loopback sockets (v2, multicast) converge", async () => {
  const c = await netCluster(4, { profile: "v2", multicastLoss: 0.3 });
  try {
    const gs = c.nodes.map((n) => new GroupNode(n, { destinations: () => c.ids }));
    script(gs);
    const deadline = Date.now() + 10_000;
    while (!agree(gs) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      gs.forEach((g) => g.tick());
    }
    assert.ok(agree(gs), "no agreement within 10 s");
    assert.deepEqual(gs[3].lookup(2500).map((s) => s.priority), [9, 1]);
  } finally {
    await c.close();
  }
});
