/** The dedup window against a reference model; its memory per origin. [R-NODE-DEDUP-001], [R-NODE-SCALE-005] */
import assert from "node:assert/strict";
import fc from "fast-check";
import { DedupWindow } from "../../src/node/dedup.ts";
import { MAX_RUNS, SeqWindow } from "../../src/node/dedup_runs.ts";

Deno.test("[R-NODE-DEDUP-001] [R-NODE-SCALE-005] the bitmap window answers as an exact set within the window", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(1, 7, 32, 64, 100),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 400 })), {
        maxLength: 300,
      }),
      (window, ops) => {
        const d = new DedupWindow(window, 2);
        const seen = [new Set<number>(), new Set<number>(), new Set<number>()];
        const max = [-1, -1, -1];
        const live = new Set<number>();
        for (const [o, s] of ops) {
          const got = d.check({ ip: `10.0.0.${o}`, port: 1, seqno: s });
          if (!live.has(o)) {
            // A new origin may evict the one refreshed longest ago (cap 2): model it as fresh.
            if (live.size >= 2) {
              const oldest = [...live][0];
              live.delete(oldest);
              seen[oldest].clear();
              max[oldest] = -1;
            }
          } else live.delete(o);
          live.add(o);
          let want: string;
          if (max[o] >= 0 && s <= max[o] - window) want = "old";
          else if (seen[o].has(s)) want = "duplicate";
          else {
            want = "new";
            seen[o].add(s);
            if (s > max[o]) max[o] = s;
          }
          assert.equal(got, want, `origin ${o} seqno ${s}`);
          // Lists (few numbers) and bitmaps answer `has` alike. [R-NODE-SCALE-005]
          assert.equal(d.has({ ip: `10.0.0.${o}`, port: 1, seqno: s }), got !== "old");
        }
      },
    ),
    { numRuns: 300 },
  );
});

/** The reference: a set of the numbers received within (newest − W, newest]. */
class ModelWindow {
  max = -1;
  readonly got = new Set<number>();
  constructor(readonly w: number) {}
  check(s: number): string {
    if (this.max >= 0 && s <= this.max - this.w) return "old";
    if (this.got.has(s)) return "duplicate";
    this.got.add(s);
    if (s > this.max) this.max = s;
    for (const x of this.got) if (x <= this.max - this.w) this.got.delete(x);
    return "new";
  }
  has(s: number): boolean {
    return this.max >= 0 && s > this.max - this.w && this.got.has(s);
  }
}

/**
 * Streams as a node sees them: steps (1: a batch, 2: records with their frames' numbers between),
 * reordered within a span, duplicated, with losses repaired later, huge jumps, and numbers spread
 * at random over the window (the adversary).
 */
const stream = (w: number) =>
  fc.tuple(
    fc.integer({ min: 0, max: 2 ** 40 }),
    fc.array(
      fc.oneof(
        fc.record({
          kind: fc.constant("steps" as const),
          step: fc.integer({ min: 1, max: 5 }),
          n: fc.integer({ min: 1, max: 200 }),
          shuffle: fc.integer({ min: 0, max: 40 }),
          lose: fc.double({ min: 0, max: 0.3, noNaN: true }),
          dup: fc.double({ min: 0, max: 0.3, noNaN: true }),
        }),
        fc.record({
          kind: fc.constant("jump" as const),
          by: fc.integer({ min: -2 * w, max: 3 * w }),
        }),
        fc.record({
          kind: fc.constant("spread" as const),
          offsets: fc.array(fc.integer({ min: -w - 2, max: 8 }), { maxLength: 150 }),
        }),
      ),
      { maxLength: 12 },
    ),
    fc.integer({ min: 1, max: 2 ** 31 }),
  ).map(([start, parts, seed]) => {
    let x = seed;
    const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const out: number[] = [];
    let at = start;
    for (const p of parts) {
      if (p.kind === "jump") at = Math.max(0, at + p.by);
      else if (p.kind === "spread") {
        const top = out.length > 0 ? Math.max(...out) : at;
        for (const o of p.offsets) out.push(Math.max(0, top + o));
      } else {
        const block: number[] = [];
        const late: number[] = [];
        for (let i = 0; i < p.n; i++) {
          at += p.step;
          if (rnd() < p.lose) late.push(at);
          else block.push(at);
          if (rnd() < p.dup) block.push(at);
        }
        for (let i = block.length - 1; i > 0; i--) {
          const j = Math.max(0, i - Math.floor(rnd() * (p.shuffle + 1)));
          [block[i], block[j]] = [block[j], block[i]];
        }
        // Repairs come after the block, some twice.
        out.push(...block, ...late, ...late.filter(() => rnd() < 0.2));
      }
    }
    return out;
  });

Deno.test("[R-NODE-DEDUP-001] [R-NODE-SCALE-005] runs and bitmap answer as the set of numbers received within the window", () => {
  for (const w of [1, 2, 7, 64, 100, 1000]) {
    fc.assert(
      fc.property(stream(w), (seqs) => {
        const d = new SeqWindow(w);
        const m = new ModelWindow(w);
        for (const s of seqs) {
          const want = m.check(s);
          assert.equal(d.check(s), want, `check ${s} (W ${w})`);
          // Probe around it and at the window's edges.
          for (const p of [s - 1, s + 1, s - 2, m.max, m.max - w, m.max - w + 1, m.max - 1]) {
            assert.equal(d.has(p), m.has(p), `has ${p} after ${s} (W ${w})`);
          }
        }
        for (const p of m.got) assert.equal(d.has(p), m.has(p));
        assert.ok(d.runs <= MAX_RUNS);
        assert.ok(d.bitmapBytes <= 4 * (Math.ceil(w / 32) + 1), `bitmap ${d.bitmapBytes} B`);
      }),
      { numRuns: w >= 1000 ? 150 : 250 },
    );
  }
});

Deno.test("[R-NODE-SCALE-005] cost: in order or in steady steps one run and no bitmap; the adversary at most W/8 bytes, gone once the window passes", () => {
  const W = 65_536;
  for (const step of [1, 2, 3, 10]) {
    const d = new SeqWindow(W);
    for (let i = 0; i < 100_000; i++) d.check(1_700_000_000_000 * 1024 + step * i);
    assert.equal(d.runs, 1, `step ${step}`);
    assert.equal(d.bitmapBytes, 0, `step ${step}`);
  }
  // Losses repaired later: the runs join again.
  for (const step of [1, 2]) {
    const r = new SeqWindow(W);
    const lost: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      if (i % 97 === 5) lost.push(step * i);
      else r.check(step * i);
      if (lost.length > 0 && lost[0] < step * (i - 200)) {
        assert.equal(r.check(lost.shift()!), "new");
      }
    }
    for (const s of lost) r.check(s);
    assert.equal(r.runs, 1, `step ${step}`);
    assert.equal(r.bitmapBytes, 0);
  }
  // Reordered within blocks of 16 (every other number): one run again once each block is whole.
  let y = 7;
  const rand = () => ((y = (Math.imul(y, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let o = 0; o < 50; o++) {
    const q = new SeqWindow(W);
    for (let b = 0; b < 400; b += 16) {
      const block = Array.from({ length: 16 }, (_, i) => 2 * (b + i));
      for (let i = 15; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [block[i], block[j]] = [block[j], block[i]];
      }
      for (const s of block) q.check(s);
      assert.equal(q.runs, 1, `origin ${o} block ${b}`);
    }
  }
  // Spread at random over the window: exact, and the bitmap never exceeds ⌈W/32⌉ + 1 words.
  const a = new SeqWindow(W);
  let x = 1;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const base = 1_000_000;
  for (let i = 0; i < 40_000; i++) a.check(base + Math.floor(rnd() * W));
  assert.ok(a.bitmapBytes > 0 && a.bitmapBytes <= 4 * (W / 32 + 1), `${a.bitmapBytes} B`);
  // Back to an in-order stream: once the window has passed the disorder, one run again.
  for (let s = base + W; s < base + 3 * W; s++) a.check(s);
  assert.equal(a.bitmapBytes, 0);
  assert.equal(a.runs, 1);
});
