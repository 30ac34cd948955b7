/**
 * The destination records arrivals as ranges (src/node/seq_ranges.ts) and acknowledges exactly
 * the numbers that arrived (spec/node.md R-NODE-REL-002, R-NODE-REL-012): property tests against a
 * plain set of numbers, with repeats and out-of-order arrivals.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ManualClock } from "../../src/node/clock.ts";
import { ReliableReceiver } from "../../src/node/reliable_receiver.ts";
import { SeqRangeSet } from "../../src/node/seq_ranges.ts";
import { decodeSeqRanges } from "../../src/wire/reliable_control.ts";

/** Sorted distinct numbers as ranges (the model). */
function modelRanges(xs: Iterable<number>): [number, number][] {
  const out: [number, number][] = [];
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    const l = out[out.length - 1];
    if (l && x === l[1] + 1) l[1] = x;
    else out.push([x, x]);
  }
  return out;
}

/** Nearly sorted arrivals with repeats and some out of order, around a large base. */
const arrivals = fc.tuple(
  fc.integer({ min: 0, max: 2 ** 50 }),
  fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(1) }, // the next number
      { weight: 2, arbitrary: fc.integer({ min: 2, max: 4 }) }, // a gap (frame numbers)
      { weight: 1, arbitrary: fc.integer({ min: -40, max: 0 }) }, // a repeat or an older one
      { weight: 1, arbitrary: fc.integer({ min: 5, max: 60 }) }, // one overtaking
    ),
    { maxLength: 400 },
  ),
).map(([base, steps]) => {
  const out: number[] = [];
  let at = base;
  for (const s of steps) {
    at = Math.max(base, at + s);
    out.push(at);
    if (s > 4) at -= s; // the overtaking one came early: the stream goes on where it was
  }
  return out;
});

Deno.test("[R-NODE-REL-002] SeqRangeSet holds exactly the numbers added (repeats, out of order)", () => {
  fc.assert(
    fc.property(arrivals, (xs) => {
      const s = new SeqRangeSet();
      for (const x of xs) s.add(x);
      assert.deepEqual(s.ranges(), modelRanges(xs));
      assert.equal(s.count, new Set(xs).size);
      assert.equal(s.empty, xs.length === 0);
    }),
    { numRuns: 500 },
  );
  // Arbitrary order too (not only nearly sorted).
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 200 }), (xs) => {
      const s = new SeqRangeSet();
      for (const x of xs) s.add(x);
      assert.deepEqual(s.ranges(), modelRanges(xs));
    }),
    { numRuns: 500 },
  );
});

Deno.test("[R-NODE-REL-012] SeqRangeSet split, remove and union agree with plain sets", () => {
  const small = fc.array(fc.integer({ min: 0, max: 120 }), { maxLength: 120 });
  fc.assert(
    fc.property(small, small, fc.integer({ min: -1, max: 121 }), (xs, ys, limit) => {
      const a = new SeqRangeSet(), b = new SeqRangeSet();
      for (const x of xs) a.add(x);
      for (const y of ys) b.add(y);
      const u = new SeqRangeSet();
      u.r = a.r.slice();
      u.addAll(b);
      assert.deepEqual(u.ranges(), modelRanges([...xs, ...ys]));
      const d = new SeqRangeSet();
      d.r = a.r.slice();
      d.remove(b);
      const ySet = new Set(ys);
      assert.deepEqual(d.ranges(), modelRanges(xs.filter((x) => !ySet.has(x))));
      const above = a.splitAbove(limit);
      assert.deepEqual(a.ranges(), modelRanges(xs.filter((x) => x <= limit)));
      assert.deepEqual(above?.ranges() ?? [], modelRanges(xs.filter((x) => x > limit)));
      assert.equal(above !== undefined, xs.some((x) => x > limit));
    }),
    { numRuns: 1000 },
  );
});

Deno.test("[R-NODE-REL-002] [R-NODE-REL-012] the receiver acknowledges exactly the set received, once, whatever the order and the transport", () => {
  fc.assert(
    fc.property(
      arrivals,
      fc.array(fc.boolean(), { minLength: 400, maxLength: 400 }),
      fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 400, maxLength: 400 }),
      (xs, udp, waits) => {
        const clock = new ManualClock();
        const acked: number[] = [];
        const r = new ReliableReceiver({
          clock,
          sendAck: (_to, p) => {
            for (const [a, b] of decodeSeqRanges(p)) for (let s = a; s <= b; s++) acked.push(s);
            return { frames: 1, bytes: p.length };
          },
        }, 100);
        const O = { ip: "10.0.0.1", port: 1 };
        xs.forEach((x, i) => {
          r.received({ ...O, seqno: x }, udp[i] ? "udp" : "tcp");
          if (waits[i] > 100) clock.advance(waits[i] - 100);
        });
        // Everything pending goes out, the numbers held back by R-NODE-REL-012 at the latest two
        // intervals later; then nothing more.
        clock.advance(2_000);
        const before = acked.length;
        r.close();
        assert.equal(acked.length, before, "all acknowledged on the timers already");
        // Each number is acknowledged once per flush it arrived before: here, as a set, exactly
        // the numbers received; no number acknowledged that never arrived.
        assert.deepEqual(modelRanges(acked), modelRanges(xs));
        assert.equal(r.stats.ackedSeqnos, acked.length);
        // Never acknowledged more often than it arrived (held back once, not again and again).
        const times = new Map<number, number>();
        for (const x of xs) times.set(x, (times.get(x) ?? 0) + 1);
        for (const a of acked) times.set(a, times.get(a)! - 1);
        for (const [x, left] of times) assert.ok(left >= 0, `${x} acknowledged too often`);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("[R-NODE-REL-002] records of many origins interleaved: each origin is acknowledged exactly its own numbers", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(fc.integer({ min: 0, max: 11 }), fc.integer({ min: 0, max: 300 }), fc.boolean()),
        { maxLength: 600 },
      ),
      fc.array(fc.integer({ min: 0, max: 80 }), { minLength: 600, maxLength: 600 }),
      (recs, waits) => {
        const clock = new ManualClock();
        const acked = new Map<string, number[]>();
        const r = new ReliableReceiver({
          clock,
          sendAck: (to, p) => {
            const l = acked.get(`${to.ip}:${to.port}`) ?? [];
            for (const [a, b] of decodeSeqRanges(p)) for (let s = a; s <= b; s++) l.push(s);
            acked.set(`${to.ip}:${to.port}`, l);
            return { frames: 1, bytes: p.length };
          },
        }, 100);
        // 12 origins: two ports on each of six addresses, so that address and port both matter.
        const origin = (o: number) => ({ ip: `10.0.0.${o >> 1}`, port: 1000 + (o & 1) });
        const key = (o: number) => `10.0.0.${o >> 1}:${1000 + (o & 1)}`;
        recs.forEach(([o, seqno, udp], i) => {
          r.received({ ...origin(o), seqno }, udp ? "udp" : "tcp");
          // Now and then a frame to an origin takes its batch (R-NODE-REL-014).
          if (waits[i] > 70) {
            for (const t of r.take(origin(o)) ?? []) {
              const l = acked.get(key(o)) ?? [];
              for (const [a, b] of decodeSeqRanges(t.ack)) for (let s = a; s <= b; s++) l.push(s);
              acked.set(key(o), l);
            }
          }
          clock.advance(waits[i] % 40);
        });
        r.close();
        for (let o = 0; o < 12; o++) {
          const mine = recs.filter(([x]) => x === o).map(([, s]) => s);
          assert.deepEqual(
            modelRanges(acked.get(key(o)) ?? []),
            modelRanges(mine),
            `origin ${o}`,
          );
        }
      },
    ),
    { numRuns: 300 },
  );
});
