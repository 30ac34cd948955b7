/**
 * The retransmit buffer's bookkeeping (src/node/reliable_sender.ts): entries indexed by sequence
 * number in an array, and the ring of the last 65,536 settled numbers that `confirmed()` answers
 * from after the fact (spec/node.md R-NODE-REL-004, R-NODE-REL-007). ReliableSender alone on a
 * manual clock, with sequence numbers as large as a node's (clock × 1024).
 */
import assert from "node:assert/strict";
import { ManualClock } from "../../src/node/clock.ts";
import { type LostReason, ReliableSender } from "../../src/node/reliable_sender.ts";
import type { NetId } from "../../src/wire/netid.ts";

const SELF = { ip: "10.0.0.1", port: 1 };
const A = { ip: "10.0.0.2", port: 2 };
const B = { ip: "10.0.0.3", port: 3 };
const BASE = 1_796_000_000_000 * 1024;

function sender(maxMessages = 1 << 20) {
  const clock = new ManualClock();
  const lost: { seq: number; reason: LostReason; dests: NetId[] }[] = [];
  const repaired: string[] = [];
  const released: string[][] = [];
  const s = new ReliableSender<string>({
    clock,
    currentSeq: () => BASE,
    release: (_d, _k, recs) => released.push(recs),
    notifyLost: () => {},
    lost: (id, dests, reason) => lost.push({ seq: id.seqno, reason, dests }),
    requestAck: () => {},
    repair: (to, recs) => (repaired.push(`${to.port}:${recs}`), { frames: 1, bytes: 10 }),
  }, {
    maxMessages,
    maxBytes: 1 << 30,
    maxAgeMs: 1e9,
    maxSpan: 1 << 30,
    window: 1 << 20,
    minRtoMs: 200,
    ackDelayMs: 50,
    maxRepairFailures: 3,
  });
  return { clock, s, lost, repaired, released };
}
const id = (seq: number) => ({ ...SELF, seqno: seq });

Deno.test("[R-NODE-REL-004] [R-NODE-REL-007] sequence numbers with gaps and one admitted below the lowest kept are acknowledged, evicted oldest first and confirmed", async () => {
  const { clock, s, lost } = sender(4);
  // Gaps (numbers broadcast to nobody), then one admitted out of order below everything kept
  // (a broadcast from inside a delivery listener).
  for (const q of [10, 13, 20]) assert.equal(s.admit(id(BASE + q), `m${q}`, [A, B], "ab", 1), true);
  assert.equal(s.admit(id(BASE + 5), "m5", [A, B], "ab", 1), true);
  assert.equal(s.snapshot().buffered, 4);
  // A acknowledges everything (a range wider than the buffer, and single numbers), B 13 and 5.
  s.acked(A, [[BASE + 1, BASE + 30]]);
  s.acked(B, [[BASE + 13, BASE + 13], [BASE + 5, BASE + 5]]);
  assert.equal(s.stats.confirmed, 2);
  await s.confirmed(id(BASE + 13), 1000);
  await s.confirmed(id(BASE + 5), 1000);
  assert.equal(s.snapshot().buffered, 2);
  // Over the bound: the oldest (10) goes first, then 20.
  s.admit(id(BASE + 21), "m21", [A, B], "ab", 1);
  s.admit(id(BASE + 22), "m22", [A, B], "ab", 1);
  assert.equal(lost.length, 0);
  s.admit(id(BASE + 23), "m23", [A, B], "ab", 1);
  assert.deepEqual(lost.map((l) => [l.seq - BASE, l.reason, l.dests]), [[10, "buffer", [B]]]);
  s.admit(id(BASE + 24), "m24", [A, B], "ab", 1);
  assert.deepEqual(lost.map((l) => l.seq - BASE), [10, 20]);
  // A number no longer kept, an unknown one, and a kept one that both then acknowledge.
  await assert.rejects(s.confirmed(id(BASE + 10), 1000), { reason: "lost" });
  await assert.rejects(s.confirmed(id(BASE + 7), 1000), { reason: "unknown" });
  const c22 = s.confirmed(id(BASE + 22), 10_000);
  s.acked(B, [[BASE + 21, BASE + 24]]);
  assert.equal(s.snapshot().buffered, 4); // 21..24 await A
  s.acked(A, [[BASE + 22, BASE + 22], [BASE + 24, BASE + 24]]);
  await c22;
  assert.equal(s.snapshot().buffered, 2);
  s.acked(A, [[BASE + 21, BASE + 23]]);
  assert.equal(s.snapshot().buffered, 0);
  assert.equal(s.stats.confirmed, 6);
  // Empty, then new numbers far above: kept and confirmed as before.
  s.admit(id(BASE + 100_000), "x", [A], "a", 1);
  s.acked(A, [[BASE + 100_000, BASE + 100_000]]);
  await s.confirmed(id(BASE + 100_000), 1000);
  clock.advance(10_000);
  s.close();
});

Deno.test("[R-NODE-REL-007] confirmed() after the fact answers for the last 65,536 settled messages and forgets older ones, oldest first", async () => {
  const { s } = sender();
  const N = 65_536 + 1000;
  for (let q = 1; q <= N; q++) {
    s.admit(id(BASE + q), "m", [A], "a", 1);
    if (q % 100 === 0 || q === N) s.acked(A, [[BASE + q - 99, BASE + q]]);
  }
  assert.equal(s.stats.confirmed, N);
  await assert.rejects(s.confirmed(id(BASE + 1), 1000), { reason: "unknown" });
  await assert.rejects(s.confirmed(id(BASE + 1000), 1000), { reason: "unknown" });
  await s.confirmed(id(BASE + 1001), 1000);
  await s.confirmed(id(BASE + N), 1000);
  s.close();
});

Deno.test("[R-NODE-REL-007] confirmed() after the fact asked early keeps answering as numbers settle: the last 65,536, oldest forgotten first", async () => {
  const { s } = sender();
  s.admit(id(BASE + 1), "m", [A], "a", 1);
  s.acked(A, [[BASE + 1, BASE + 1]]);
  // Asked after the fact before the ring is full (its lookup is built now and kept up to date).
  await s.confirmed(id(BASE + 1), 1000);
  await assert.rejects(s.confirmed(id(BASE + 2), 1000), { reason: "unknown" });
  const N = 65_536 + 1000;
  for (let q = 2; q <= N; q++) {
    s.admit(id(BASE + q), "m", [A], "a", 1);
    if (q % 100 === 0 || q === N) s.acked(A, [[BASE + q - 99, BASE + q]]);
    if (q === 5_000) await s.confirmed(id(BASE + 4_900), 1000);
  }
  assert.equal(s.stats.confirmed, N);
  await assert.rejects(s.confirmed(id(BASE + 1), 1000), { reason: "unknown" });
  await assert.rejects(s.confirmed(id(BASE + 1000), 1000), { reason: "unknown" });
  await s.confirmed(id(BASE + 1001), 1000);
  await s.confirmed(id(BASE + N), 1000);
  s.close();
});
