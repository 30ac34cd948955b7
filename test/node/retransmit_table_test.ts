/**
 * The retransmit buffer's columns (src/node/retransmit_table.ts) against a plain `Map` model:
 * sequence numbers as large as a node's (clock × 1024), added mostly in order with gaps, some
 * below everything kept (a broadcast from inside a delivery listener), deleted in any order;
 * the ring grows past its first 1,024 slots and wraps. Each slot's numbers and references must
 * survive growth and wrapping, holes must read as absent, and the lowest / highest kept number
 * must follow deletions at both ends. (R-NODE-REL-004: what the buffer keeps is what is repaired
 * and reported.)
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { RetransmitTable } from "../../src/node/retransmit_table.ts";

type Op =
  | { k: "add"; gap: number }
  | { k: "below"; gap: number }
  | { k: "del"; pick: number }
  | { k: "delFirst" }
  | { k: "delLast" }
  | { k: "touch"; pick: number; v: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant("add" as const), gap: fc.nat(3) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant("below" as const),
      gap: fc.integer({ min: 1, max: 40 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("del" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("delFirst" as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("delLast" as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant("touch" as const),
      pick: fc.nat(),
      v: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    }),
  },
);

interface Model {
  rec: string | undefined;
  id: number | undefined;
  left: number;
  firstAt: number;
  held: boolean;
}

function check(t: RetransmitTable<string, string, number>, m: Map<number, Model>): void {
  const keys = [...m.keys()].sort((a, b) => a - b);
  assert.equal(t.size, keys.length);
  assert.deepEqual(t.seqs(), keys);
  assert.equal(t.firstSeq(), keys.length ? keys[0] : -1);
  assert.equal(t.lastSeq(), keys.length ? keys[keys.length - 1] : -1);
  assert.equal(t.span, keys.length ? keys[keys.length - 1] - keys[0] + 1 : 0);
  for (const [seq, v] of m) {
    const s = t.slot(seq);
    assert.ok(s >= 0, `kept ${seq}`);
    assert.equal(t.seqOf(s), seq);
    assert.equal(t.rec[s], v.rec);
    assert.equal(t.id[s], v.id);
    assert.equal(t.set[s], "set");
    assert.equal(t.left[s], v.left);
    assert.equal(t.firstAt[s], v.firstAt);
    assert.equal(t.isHeld(s), v.held);
  }
  if (keys.length) {
    // Holes and numbers just outside read as absent; slotAt agrees with slot.
    for (let q = keys[0] - 2; q <= keys[keys.length - 1] + 2; q++) {
      if (!m.has(q)) assert.equal(t.slot(q), -1, `hole ${q}`);
      else assert.equal(t.slotAt(q - keys[0]), t.slot(q));
    }
  }
}

Deno.test("[R-NODE-REL-004] RetransmitTable keeps exactly what a Map keeps, through growth, wrapping and deletions at both ends, with and without records and ids", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 52 }),
      fc.array(op, { minLength: 200, maxLength: 3000, size: "max" }),
      // Messages kept as bytes have no record or id: the first one with them comes after this
      // many adds (past the ring's growth, often), then the two kinds mix.
      fc.nat(3000),
      (base, ops, refsFrom) => {
        const t = new RetransmitTable<string, string, number>();
        const m = new Map<number, Model>();
        let next = base + 100;
        let n = 0;
        const add = (seq: number) => {
          const bare = n < refsFrom || n % 3 === 1;
          const v = {
            rec: bare ? undefined : `r${seq}`,
            id: bare ? undefined : n,
            left: 7,
            firstAt: seq / 3,
            held: n % 5 === 0,
          };
          n++;
          const s = t.add(seq, v.rec, v.id, "set");
          t.left[s] = v.left;
          t.firstAt[s] = v.firstAt;
          t.setHeld(s, v.held);
          m.set(seq, v);
        };
        const keys = () => [...m.keys()].sort((a, b) => a - b);
        for (const o of ops) {
          if (o.k === "add") {
            add(next);
            next += 1 + o.gap;
          } else if (o.k === "below") {
            const low = m.size ? Math.min(...m.keys()) : next;
            const seq = low - o.gap;
            if (seq >= 0 && !m.has(seq)) add(seq);
          } else if (m.size > 0) {
            const ks = keys();
            const seq = o.k === "delFirst"
              ? ks[0]
              : o.k === "delLast"
              ? ks[ks.length - 1]
              : ks[o.pick % ks.length];
            if (o.k === "touch") {
              const s = t.slot(seq);
              t.left[s] = o.v;
              m.get(seq)!.left = o.v;
            } else {
              t.delete(seq);
              m.delete(seq);
              assert.equal(t.slot(seq), -1);
            }
          }
        }
        check(t, m);
        // Deleting what is not kept changes nothing.
        t.delete(next + 5);
        check(t, m);
        return true;
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("[R-NODE-REL-004] RetransmitTable: a long run kept in a window (deleted oldest first) wraps its ring without growing, then grows keeping every slot", () => {
  const t = new RetransmitTable<number, string>();
  const base = 1_796_000_000_000 * 1024;
  for (let i = 0; i < 100_000; i++) {
    const s = t.add(base + i, i, undefined, "s");
    t.bytes[s] = i;
    if (i >= 500) {
      const old = base + i - 500;
      assert.equal(t.bytes[t.slot(old)], i - 500);
      t.delete(old);
    }
  }
  assert.equal(t.size, 500);
  assert.equal(t.firstSeq(), base + 99_500);
  assert.equal(t.firstAt.length, 1024); // the ring did not grow: 500 slots in use at most
  assert.throws(() => t.add(base + 99_999, 0, undefined, "s"), RangeError);
  // Now grow it while its front is anywhere in the ring: everything kept moves along.
  for (let i = 100_000; i < 103_000; i++) {
    const s = t.add(base + i, i, undefined, "s"); // (first: `add` may replace the columns)
    t.bytes[s] = i;
  }
  assert.equal(t.size, 3_500);
  assert.equal(t.firstAt.length, 4096);
  for (let i = 99_500; i < 103_000; i++) {
    const s = t.slot(base + i);
    assert.equal(t.bytes[s], i);
    assert.equal(t.rec[s], i);
  }
});
