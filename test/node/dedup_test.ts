/** The dedup window against a reference model; its memory per origin. [R-NODE-DEDUP-001], [R-NODE-SCALE-005] */
import assert from "node:assert/strict";
import fc from "fast-check";
import { DedupWindow } from "../../src/node/dedup.ts";

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
