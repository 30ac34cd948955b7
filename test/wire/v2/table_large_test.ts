/**
 * A NetID table of more distinct addresses than the encoder's parse cache (1,024) stays
 * canonical: sorted, no repeats. Shares of a few thousand nodes hit this. [R-V2-TABLE-001]
 */
import assert from "node:assert/strict";
import { buildV2Table } from "../../../src/wire/v2/body.ts";
import { compareTableEntries } from "../../../src/wire/netid_table.ts";
import { seededRandom } from "../../../src/node/random.ts";

Deno.test("[R-V2-TABLE-001] 3,000 distinct addresses, repeated and shuffled: a canonical table of 3,000", () => {
  const r = seededRandom(4);
  const ids = Array.from({ length: 3000 }, (_, i) => ({
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    port: 4000,
  }));
  for (let t = 0; t < 5; t++) {
    const list = [...ids, ...ids.slice(0, 700)];
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(r.next() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    const table = buildV2Table(list);
    assert.equal(table.size, 3000);
    for (let i = 1; i < table.entries.length; i++) {
      assert.ok(compareTableEntries(table.entries[i - 1], table.entries[i]) < 0, `entry ${i}`);
    }
  }
});
