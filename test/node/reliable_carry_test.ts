/**
 * Acknowledgements that ride in frames sent anyway (spec/node.md R-NODE-REL-014, spec/wire.md
 * R-WIRE-REL-002). ReliableReceiver on a manual clock; nodes on the MemoryNetwork, seeded.
 */
import assert from "node:assert/strict";
import { ManualClock } from "../../src/node/clock.ts";
import { ReliableReceiver } from "../../src/node/reliable_receiver.ts";
import { decodeSeqRanges } from "../../src/wire/reliable_control.ts";
import { learn, memCluster, send, total } from "./_memory_cluster.ts";
import { collectLost, drive, driveUntilQuiet } from "./_reliable_helpers.ts";

const O = { ip: "10.0.0.1", port: 1 };

function receiver() {
  const clock = new ManualClock();
  const own: number[][] = [];
  const r = new ReliableReceiver({
    clock,
    sendAck: (_to, p) => {
      own.push(decodeSeqRanges(p).flat());
      return { frames: 1, bytes: p.length };
    },
  }, 100);
  return { clock, own, r };
}

Deno.test("[R-NODE-REL-014] a batch at least half its interval old rides the next frame to its origin; no frame of its own follows", () => {
  const { clock, own, r } = receiver();
  r.received({ ...O, seqno: 7 });
  r.received({ ...O, seqno: 8 });
  clock.advance(49);
  assert.equal(r.take(O), undefined, "not half the interval old yet");
  assert.equal(r.take({ ip: "10.0.0.9", port: 1 }), undefined, "nothing for another node");
  clock.advance(1);
  const taken = r.take(O);
  assert.ok(taken);
  assert.equal(taken.length, 1);
  assert.deepEqual(decodeSeqRanges(taken[0].ack), [[7, 8]]);
  assert.equal(taken[0].dup, undefined);
  clock.advance(500);
  assert.deepEqual(own, [], "the carried batch is not sent again");
  assert.equal(r.stats.acksCarried, 1);
  assert.equal(r.stats.ackFrames, 0);
  assert.equal(r.stats.ackedSeqnos, 2);
  // A batch no frame carried goes in a frame of its own at the end of its interval.
  r.received({ ...O, seqno: 9 });
  clock.advance(100);
  assert.deepEqual(own, [[9, 9]]);
  assert.equal(r.take(O), undefined, "nothing pending");
});

Deno.test("[R-NODE-REL-014] [R-NODE-REL-012] a carried batch holds back TCP arrivals ahead of the multicast stream, as at the interval's end", () => {
  const { clock, own, r } = receiver();
  r.received({ ...O, seqno: 10 }, "udp");
  r.received({ ...O, seqno: 11 }, "tcp");
  clock.advance(60);
  const taken = r.take(O);
  assert.ok(taken);
  assert.deepEqual(decodeSeqRanges(taken[0].ack), [[10, 10]]);
  // 11 waits one interval, then goes whatever comes.
  clock.advance(200);
  assert.deepEqual(own, [[11, 11]]);
});

Deno.test("[R-NODE-REL-014] [R-WIRE-REL-002] nodes that all broadcast carry most acknowledgements in their data frames, across relays, and every message is confirmed and delivered once", async () => {
  // Two domains: frames between them go by TCP shares with distribution lists (relays).
  const domains = ["A", "A", "A", "A", "B", "B", "B", "B"];
  const c = await memCluster(domains, { profile: "v2" }, {}, 21);
  try {
    const lost = collectLost(c.nodes);
    await learn(c, 2);
    await driveUntilQuiet(c);
    const before = c.nodes.map((n) => n.stats().reliable);
    const ids: string[] = [];
    // Steady traffic (more than 32 records per origin per interval: R-NODE-REL-013).
    for (let step = 0; step < 200; step++) {
      for (let i = 0; i < c.nodes.length * 4; i++) ids.push(send(c, i % c.nodes.length));
      await c.net.settle();
      c.clock.advance(10);
    }
    // While traffic flows, most acknowledgements ride in data frames (the tail, after the
    // last broadcasts, goes in frames of its own).
    const mid = c.nodes.map((n) => n.stats().reliable);
    const dm = (f: (s: (typeof mid)[number]) => number) =>
      mid.reduce((a, s, i) => a + f(s) - f(before[i]), 0);
    const carried = dm((s) => s.acksCarried);
    const ownFrames = dm((s) => s.ackFrames);
    assert.ok(
      ownFrames * 3 < carried,
      `frames of their own ${ownFrames} vs carried records ${carried}`,
    );
    await driveUntilQuiet(c);
    const after = c.nodes.map((n) => n.stats().reliable);
    const d = (f: (s: (typeof after)[number]) => number) =>
      after.reduce((a, s, i) => a + f(s) - f(before[i]), 0);
    // Carried acknowledgements were understood by their origins (not forwarded, not lost):
    // everything confirmed, nothing repaired, nothing lost, no bad control records.
    assert.equal(d((s) => s.tracked), ids.length);
    assert.equal(d((s) => s.confirmed), ids.length);
    // (A few repairs by acknowledgement order happen with or without carrying: relayed copies
    // arrive later than the reordering allowance on this network.)
    assert.ok(d((s) => s.retransmits) <= ids.length / 100, "repairs stay rare");
    assert.equal(d((s) => s.controlErrors), 0);
    assert.equal(lost.length, 0);
    assert.equal(total(c.nodes, (s) => s.unknownTypes), 0);
    for (let n = 0; n < c.nodes.length; n++) {
      for (const id of ids) assert.equal(c.got[n].get(id), 1, `${id}@${n}`);
    }
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-014] a destination that sends nothing acknowledges in frames of its own", async () => {
  const c = await memCluster(["A", "A"], { profile: "v2" }, {}, 22);
  try {
    await learn(c, 2);
    await driveUntilQuiet(c);
    const b0 = c.nodes[1].stats().reliable;
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      ids.push(send(c, 0, [c.ids[1]]));
      await c.net.settle();
      c.clock.advance(10);
    }
    await driveUntilQuiet(c);
    await drive(c, 1000);
    const b1 = c.nodes[1].stats().reliable;
    assert.equal(b1.acksCarried - b0.acksCarried, 0);
    assert.ok(b1.ackFrames - b0.ackFrames > 0);
    assert.equal(c.nodes[0].stats().reliable.buffered, 0);
    for (const id of ids) assert.equal(c.got[1].get(id), 1);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-014] [R-NODE-REL-012] numbers held back for the multicast stream are not carried before the acknowledgement delay has passed", () => {
  const { clock, own, r } = receiver();
  r.received({ ...O, seqno: 20 }, "udp");
  r.received({ ...O, seqno: 21 }, "tcp");
  clock.advance(100); // the timer: 20 acknowledged, 21 held back into the next batch
  assert.deepEqual(own, [[20, 20]]);
  clock.advance(50);
  assert.equal(r.take(O), undefined, "held-back numbers wait the whole delay");
  clock.advance(50); // the next batch's timer sends 21, whatever comes
  assert.deepEqual(own, [[20, 20], [21, 21]]);
});

Deno.test("[R-NODE-REL-013] numbers held back for the multicast stream do not reset a steady origin's interval", () => {
  const { clock, own, r } = receiver();
  let s = 100;
  // Steady batches: 40 records per interval, all by multicast, and one TCP arrival ahead.
  const batch = () => {
    for (let i = 0; i < 40; i++) r.received({ ...O, seqno: s++ }, "udp");
    r.received({ ...O, seqno: s + 5 }, "tcp");
  };
  const gaps: number[] = [];
  let last = clock.now();
  for (let round = 0; round < 6; round++) {
    batch();
    const before = own.length;
    for (let t = 0; t < 2_000 && own.length === before; t += 10) clock.advance(10);
    gaps.push(clock.now() - last);
    last = clock.now();
  }
  // 100, 200, 400, 800, 800, 800 ms: doubling although every batch held a number back.
  assert.deepEqual(gaps, [100, 200, 400, 800, 800, 800]);
  assert.ok(r.stats.acksDeferred >= 6);
});
