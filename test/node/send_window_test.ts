/**
 * The adaptive send window (src/node/send_window.ts) on its own: its bounds, the one-reduction-
 * per-round-trip rule, growth, and (fast-check) its invariants over random sequences of
 * acknowledgements and inferred losses. [R-NODE-REL-016]
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  LOSS_FRACTION,
  SendWindow,
  WINDOW_DECREASE,
  WINDOW_GROWTH,
} from "../../src/node/send_window.ts";

Deno.test("[R-NODE-REL-016] with no loss the window is the whole bound and never shrinks", () => {
  const w = new SendWindow({ max: 8192, initial: 8192, min: 256 });
  for (let i = 0; i < 100; i++) {
    w.acked(1000, i * 10, 50);
    assert.equal(w.size, 8192);
  }
  assert.equal(w.reductions, 0);
});

Deno.test("[R-NODE-REL-016] a loss halves the window, once per loss event and round trip, not below the floor", () => {
  const w = new SendWindow({ max: 1000, initial: 1000, min: 100 });
  assert.equal(w.lost(0, 10, 50), true);
  assert.equal(w.size, 500);
  // Losses of messages sent before the reduction: the same event.
  assert.equal(w.lost(5, 100, 50), false);
  // Sent after it but less than a round trip since the reduction: not again.
  assert.equal(w.lost(20, 40, 50), false);
  assert.equal(w.size, 500);
  assert.equal(w.lost(20, 60, 50), true);
  assert.equal(w.size, 250);
  assert.equal(w.lost(70, 200, 50), true);
  assert.equal(w.size, 125);
  assert.equal(w.lost(300, 400, 50), true);
  assert.equal(w.size, 100, "the floor");
  assert.equal(w.lost(500, 600, 50), true);
  assert.equal(w.size, 100);
  assert.equal(w.reductions, 5);
});

Deno.test("[R-NODE-REL-016] growth: slow start to the threshold, then an eighth per acknowledged message", () => {
  const w = new SendWindow({ max: 4096, initial: 64, min: 16 });
  assert.equal(w.size, 64);
  w.acked(64, 0, 10); // slow start: doubles per window acknowledged
  assert.equal(w.size, 128);
  w.lost(0, 1, 10, 64);
  assert.equal(w.size, 64); // the threshold is now 64
  w.acked(64, 2, 10);
  assert.equal(w.size, 64 + 64 * WINDOW_GROWTH);
  for (let i = 0; i < 1000; i++) w.acked(1000, 3 + i, 10);
  assert.equal(w.size, 4096, "never above the bound");
});

Deno.test("[R-NODE-REL-016] sparse loss does not shrink the window; a tenth lost does", () => {
  const w = new SendWindow({ max: 8192, initial: 8192, min: 256 });
  // 5 % of every round trip's messages lost, for 100 round trips of 50 ms: no reduction.
  for (let rt = 0; rt < 100; rt++) {
    w.acked(950, rt * 50, 50);
    assert.equal(w.lost(rt * 50 - 10, rt * 50 + 10, 50, 50), false, `round trip ${rt}`);
  }
  assert.equal(w.size, 8192);
  // Then a fifth: halved at once.
  w.acked(800, 5000, 50);
  assert.equal(w.lost(4990, 5010, 50, 200), true);
  assert.equal(w.size, 4096);
});

Deno.test("[R-NODE-REL-016] bounds are clamped: a floor above the bound is the bound, an initial outside them is clamped", () => {
  assert.equal(new SendWindow({ max: 100, initial: 1000, min: 10 }).size, 100);
  assert.equal(new SendWindow({ max: 100, initial: 1, min: 10 }).size, 10);
  const fixed = new SendWindow({ max: 100, initial: 100, min: 1000 });
  assert.equal(fixed.lost(0, 1, 1), false);
  assert.equal(fixed.size, 100, "min = max: a fixed window");
  assert.equal(fixed.reductions, 0);
});

type Op = { ack: number; dt: number } | {
  loss: { age: number; dt: number; rtt: number; n: number };
};

Deno.test("[R-NODE-REL-016] property: floor <= window <= bound, at most one reduction per round trip, only for messages sent after the last one and heavy loss", () => {
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ ack: fc.integer({ min: 0, max: 5000 }), dt: fc.integer({ min: 0, max: 500 }) }),
    fc.record({
      loss: fc.record({
        age: fc.integer({ min: 0, max: 2000 }),
        dt: fc.integer({ min: 0, max: 500 }),
        rtt: fc.integer({ min: 1, max: 1000 }),
        n: fc.integer({ min: 1, max: 500 }),
      }),
    }),
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20_000 }),
      fc.integer({ min: 1, max: 20_000 }),
      fc.integer({ min: 1, max: 20_000 }),
      fc.array(op, { maxLength: 200 }),
      (max, minRaw, initial, ops) => {
        const w = new SendWindow({ max, min: minRaw, initial });
        const floor = Math.min(minRaw, max);
        let now = 0;
        let lastAt = -Infinity;
        let reductions = 0;
        // Reference model of the recent counts: halved once per round trip passed.
        let acked = 0, lost = 0, epoch = NaN;
        const decay = (rtt: number) => {
          if (Number.isNaN(epoch)) {
            epoch = now;
            return;
          }
          const k = Math.floor((now - epoch) / rtt);
          if (k <= 0) return;
          const f = k >= 32 ? 0 : 0.5 ** k;
          acked *= f;
          lost *= f;
          epoch += k * rtt;
        };
        const RTT = 100; // the round trip the acknowledgements are given
        for (const o of ops) {
          const before = w.size;
          if ("ack" in o) {
            now += o.dt;
            w.acked(o.ack, now, RTT);
            if (o.ack > 0) {
              decay(RTT);
              acked += o.ack;
            }
            assert.ok(w.size >= before, "acknowledgements never shrink it");
          } else {
            now += o.loss.dt;
            const sentAt = now - o.loss.age;
            const reduced = w.lost(sentAt, now, o.loss.rtt, o.loss.n);
            const heavy = floor < max &&
              (decay(o.loss.rtt), lost += o.loss.n, lost >= LOSS_FRACTION * (acked + lost));
            if (reduced) {
              reductions++;
              assert.ok(now - lastAt >= o.loss.rtt, "at most one reduction per round trip");
              assert.ok(sentAt >= lastAt, "only for a message sent after the last reduction");
              assert.ok(heavy, "only when a tenth of what settled lately was lost");
              assert.equal(w.size, Math.max(floor, Math.floor(before * WINDOW_DECREASE)));
              lastAt = now;
            } else assert.equal(w.size, before, "no reduction, no change");
            // A loss event that is new and a round trip after the last one is never ignored.
            if (heavy && sentAt >= lastAt && now - lastAt >= o.loss.rtt) {
              assert.fail("missed a reduction");
            }
          }
          assert.ok(w.size >= floor && w.size <= max, `window ${w.size} in [${floor}, ${max}]`);
          assert.ok(Number.isInteger(w.size));
        }
        assert.equal(w.reductions, reductions);
      },
    ),
    { numRuns: 500 },
  );
});
