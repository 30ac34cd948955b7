/**
 * Seeds of the outside sweep (test/node/reliable_seed_sweep.ts) that found live, reachable
 * destinations never repaired within `retransmitMaxAgeMs` under 50 % multicast loss and failing
 * TCP (10 % failed + 5 % silently lost frames), 64 nodes, one origin: their messages were given
 * up and reported lost although the destination never stopped answering. Causes: a repair whose
 * frame failed still counted as sent (no re-send within one RTO, whatever the evidence), and a
 * destination that had acknowledged lately was looked at again only one RTO later (at the 5 s
 * cap, up to 2 RTO + 0.7 s between tries: 3 tries in 30 s). [R-NODE-REL-003] [R-NODE-REL-004]
 */
import assert from "node:assert/strict";
import { runScenario, scenarioOf } from "./reliable_seed_sweep.ts";

for (const seed of [5078, 5079]) {
  Deno.test(`[R-NODE-REL-003] sweep seed ${seed}: every live destination gets every message (none given up undelivered)`, async () => {
    const k = scenarioOf(seed);
    const r = await runScenario(k);
    assert.equal(r.silent, 0, r.examples.join("; "));
    assert.equal(r.dup, 0);
    assert.equal(r.buffered, 0);
    assert.equal(r.reportedLiveMissing, 0, r.examples.join("; "));
    assert.ok(r.ok > 3_000, `${r.ok} pairs delivered`);
  });
}
