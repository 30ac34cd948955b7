/**
 * Needless repairs (spec/node.md R-NODE-REL-011): a destination tells repairs of messages it had
 * already from needed ones, counts them and reports them to the origin, whose reordering
 * allowance grows. MemoryNetwork, seeded, virtual clock.
 */
import assert from "node:assert/strict";
import type { NetId } from "../../mod.ts";
import { SYS_DUP_TAG, SYS_REPAIR_TAG } from "../../src/wire/reliable_control.ts";
import { typeTag } from "../../src/wire/xxhash32.ts";
import { decodeSeqRanges } from "../../src/wire/reliable_control.ts";
import { ManualClock } from "../../src/node/clock.ts";
import { ReliableReceiver } from "../../src/node/reliable_receiver.ts";
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
    // A report names each sequence number once per acknowledgement: every one of the 20 was
    // named, at most as often as it was repaired.
    assert.ok(
      s0.needlessReported >= 20 && s0.needlessReported <= s1.needlessRepairs,
      `reported ${s0.needlessReported} of ${s1.needlessRepairs}`,
    );
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

Deno.test("[R-NODE-REL-012] [R-NODE-REL-019] a TCP arrival ahead of the origin's multicast stream waits at least one interval, and on while the stream moves; an ackreq answer and TCP-only origins are not delayed", () => {
  const clock = new ManualClock();
  const acks: { to: number; seqs: number[] }[] = [];
  const r = new ReliableReceiver({
    clock,
    sendAck: (to, payload) => {
      const seqs: number[] = [];
      for (const [a, b] of decodeSeqRanges(payload)) for (let s = a; s <= b; s++) seqs.push(s);
      acks.push({ to: to.port, seqs });
      return { frames: 1, bytes: payload.length };
    },
  }, 100);
  const o = (port: number, seqno: number) => ({ ip: "10.0.0.1", port, seqno });
  // Origin 1 is heard by multicast up to 5; 6 and 7 came by TCP only (the kept copy).
  for (let s = 1; s <= 5; s++) r.received(o(1, s), "udp");
  r.received(o(1, 6), "tcp");
  r.received(o(1, 7), "tcp");
  // Origin 2 is never heard by multicast: its TCP arrivals are acknowledged at once.
  r.received(o(2, 9), "tcp");
  clock.advance(100);
  assert.deepEqual(acks, [{ to: 1, seqs: [1, 2, 3, 4, 5] }, { to: 2, seqs: [9] }]);
  assert.equal(r.stats.acksDeferred, 2);
  // Multicast catches up with 6 (and 6 goes); 7 is still ahead of a stream that moved: it waits
  // on (R-NODE-REL-019; before, it went after one interval whatever came).
  r.received(o(1, 6), "udp");
  clock.advance(100);
  assert.deepEqual(acks.slice(2), [{ to: 1, seqs: [6] }]);
  // A quiet interval: the stream stopped, 7 goes.
  clock.advance(100);
  assert.deepEqual(acks.slice(3), [{ to: 1, seqs: [7] }]);
  // An acknowledgement request is answered with everything, ahead or not.
  r.received(o(1, 20), "tcp");
  r.requested({ ip: "10.0.0.1", port: 1 });
  assert.deepEqual(acks.slice(4), [{ to: 1, seqs: [20] }]);
  assert.equal(r.stats.acksDeferred, 2);
  r.close();
});

Deno.test("[R-NODE-REL-013] steady traffic from an origin stretches its acknowledgement interval (doubling up to 8 x ackDelayMs); a quiet interval resets it", () => {
  const clock = new ManualClock();
  const ackAt: number[] = [];
  const r = new ReliableReceiver({
    clock,
    sendAck: (_to, payload) => {
      ackAt.push(clock.now());
      return { frames: 1, bytes: payload.length };
    },
  }, 100);
  let seq = 0;
  const burst = (n: number) => {
    for (let i = 0; i < n; i++) r.received({ ip: "10.0.0.1", port: 1, seqno: ++seq }, "udp");
  };
  const t0 = clock.now();
  // Busy: 40 records per batch. Each batch is due one (growing) interval after its first record.
  for (let k = 0; k < 6; k++) {
    burst(40);
    const before = ackAt.length;
    while (ackAt.length === before) clock.advance(10);
  }
  const gaps = ackAt.map((t, i) => t - (i === 0 ? t0 : ackAt[i - 1]));
  assert.deepEqual(gaps, [100, 200, 400, 800, 800, 800]);
  // A quiet batch (5 records) is acknowledged after the current interval, then it resets.
  burst(5);
  clock.advance(800);
  burst(5);
  clock.advance(100);
  assert.equal(ackAt.length, 8);
  assert.equal(ackAt[7] - ackAt[6], 100);
  // Steady again, but a repair arrived in the batch: loss keeps the short interval.
  burst(40);
  clock.advance(100);
  burst(40);
  r.repairArrived({ ip: "10.0.0.1", port: 1 });
  clock.advance(200);
  burst(40);
  clock.advance(100);
  assert.deepEqual(ackAt.slice(8).map((t, i) => t - ackAt[7 + i]), [100, 200, 100]);
  r.close();
});
