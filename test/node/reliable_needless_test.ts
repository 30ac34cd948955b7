/**
 * Needless repairs (spec/node.md R-NODE-REL-011): a destination tells repairs of messages it had
 * already from needed ones, counts them and reports them to the origin, whose reordering
 * allowance grows. MemoryNetwork, seeded, virtual clock.
 */
import assert from "node:assert/strict";
import type { NetId } from "../../mod.ts";
import { SYS_DUP_TAG, SYS_REPAIR_TAG } from "../../src/wire/reliable_control.ts";
import { typeTag } from "../../src/wire/xxhash32.ts";
import { learn, type MemCluster, memCluster, total } from "./_memory_cluster.ts";
import { collectLost, driveUntilQuiet } from "./_reliable_helpers.ts";

let seq = 0;
function sendTo(c: MemCluster, from: number, dests: number[]): string {
  const id = `n${++seq}`;
  c.nodes[from].broadcast(dests.map((i) => c.ids[i]) as NetId[], "test.msg", { n: seq, id });
  return id;
}

Deno.test("[R-NODE-REL-011] repairs of messages a stalled destination had already are counted needless, reported to the origin, and delivered once", async () => {
  // Node 1 has a domain of its own: everything reaches it by TCP, which a pause holds.
  const c = await memCluster(["A", "B", "A", "A"], { profile: "v2" }, {}, 11);
  try {
    const lost = collectLost(c.nodes);
    await learn(c, 2);
    await driveUntilQuiet(c);
    const reoBefore = c.nodes[0].stats().reliable.reorderWindowMs;
    // Node 1 stops reading: everything for it waits, in order, behind what was sent before.
    c.net.pause(c.ids[1], true);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(sendTo(c, 0, [1, 2, 3]));
    // Long enough for timeouts: the origin re-sends to the silent node (held, too).
    for (let t = 0; t < 4_000; t += 25) {
      await c.net.settle();
      c.clock.advance(25);
    }
    const retransmits = c.nodes[0].stats().reliable.retransmits;
    assert.ok(retransmits >= 20, `timeout repairs to the stalled node: ${retransmits}`);
    // Everything sent is now held for node 1, in the order it was sent.
    await c.net.settle();
    c.net.pause(c.ids[1], false);
    await driveUntilQuiet(c);
    const s1 = c.nodes[1].stats().reliable;
    const s0 = c.nodes[0].stats().reliable;
    // Every repair reached node 1 after the original it repeats: all needless.
    assert.equal(s1.repairsReceived, s0.retransmits);
    assert.equal(s1.needlessRepairs, s1.repairsReceived);
    // The report names each sequence number once per acknowledgement (4 repairs of 20 messages
    // arrived together: 20 named).
    assert.equal(s0.needlessReported, 20);
    assert.ok(
      s0.reorderWindowMs > reoBefore,
      `reorder window ${reoBefore} -> ${s0.reorderWindowMs}`,
    );
    // Nobody else got a repair; everyone delivered each message once; nothing lost.
    for (const i of [2, 3]) assert.equal(c.nodes[i].stats().reliable.repairsReceived, 0);
    for (const i of [1, 2, 3]) {
      for (const id of ids) assert.equal(c.got[i].get(id), 1, `${id}@${i}`);
    }
    assert.equal(lost.length, 0);
    assert.equal(s0.confirmed - s0.tracked + s0.buffered, 0);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-011] under 20 % multicast loss every repair is needed: repairs received equal repairs sent, none needless", async () => {
  const c = await memCluster(Array.from({ length: 8 }, () => "A"), { profile: "v2" }, {
    multicastLoss: 0.2,
  }, 12);
  try {
    await learn(c, 2);
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      ids.push(sendTo(c, i % 8, [0, 1, 2, 3, 4, 5, 6, 7]));
      if (i % 10 === 9) {
        await c.net.settle();
        c.clock.advance(5);
      }
    }
    await driveUntilQuiet(c);
    const sent = total(c.nodes, (s) => s.reliable.retransmits);
    assert.ok(sent > 50, `repairs sent: ${sent}`);
    assert.equal(total(c.nodes, (s) => s.reliable.repairsReceived), sent);
    assert.equal(total(c.nodes, (s) => s.reliable.needlessRepairs), 0);
    assert.equal(total(c.nodes, (s) => s.reliable.needlessReported), 0);
    for (let d = 0; d < 8; d++) {
      for (const id of ids) assert.equal(c.got[d].get(id) ?? 0, 1, `${id}@${d}`);
    }
  } finally {
    await c.close();
  }
});

Deno.test("[R-WIRE-REL-001] [R-NODE-REL-011] repair and dup records have the tags of spec/wire.md section 16", () => {
  assert.equal(SYS_REPAIR_TAG, 0xc293e242);
  assert.equal(SYS_DUP_TAG, 0x00ddc40c);
  assert.equal(SYS_REPAIR_TAG, typeTag("chatter.sys.rel.repair"));
  assert.equal(SYS_DUP_TAG, typeTag("chatter.sys.rel.dup"));
});
