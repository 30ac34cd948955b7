/**
 * Learning cost and state in one large domain. [R-NODE-SCALE-008]
 */
import assert from "node:assert/strict";
import { PeerDb } from "../../src/node/peer_db.ts";
import { ManualClock } from "../../src/node/clock.ts";
import { seededRandom } from "../../src/node/random.ts";
import { netIdKey } from "../../src/wire/netid.ts";

const n = 300;
const ids = Array.from({ length: n }, (_, i) => ({ ip: `10.0.${i >> 8}.${i & 255}`, port: 4000 }));

function oneDomain(clock: ManualClock): PeerDb {
  const db = new PeerDb(
    ids[0],
    { maxPeers: 1024, peerTtlMs: 60_000, maxSeenIds: 32, maxOtherIds: 4 },
    clock,
    seededRandom(1),
  );
  // Every other node multicasts, naming the 32 nodes it heard last (us among them for some).
  for (let r = 0; r < 3; r++) {
    for (let i = 1; i < n; i++) {
      clock.advance(1);
      const seen = Array.from(
        { length: 32 },
        (_, k) => ({ ...ids[(i + r * 7 + k + 1) % n], seqno: 1 }),
      );
      db.learn({ current: { ...ids[i], seqno: r + 1 }, seen, other: [], distribution: [] }, "udp");
    }
  }
  return db;
}

Deno.test("[R-NODE-SCALE-008] a domain of 300 that names 32 seen IDs per frame: every member hears us, O(peers) facts stored", () => {
  const clock = new ManualClock(1000);
  const db = oneDomain(clock);
  for (let i = 1; i < n; i++) assert.equal(db.hearsUs(ids[i]), true, `node ${i}`);
  // 299 × 32 facts were named, three times over; only what joins or says "hears us" is kept.
  assert.ok(db.facts <= 3 * n, `${db.facts} facts stored`);
  assert.equal(db.domainOf(ids[1]), db.domainOf(ids[n - 1]));
});

Deno.test("[R-NODE-SCALE-008] facts expire with the time-to-live and are learned again from the next frames", () => {
  const clock = new ManualClock(1000);
  const db = oneDomain(clock);
  clock.advance(60_001);
  db.sweep();
  assert.equal(db.hearsUs(ids[5]), false, "expired");
  assert.equal(db.facts, 0);
  clock.advance(1);
  db.learn({
    current: { ...ids[5], seqno: 9 },
    seen: [{ ...ids[6], seqno: 1 }],
    other: [],
    distribution: [],
  }, "udp");
  db.learn({
    current: { ...ids[6], seqno: 9 },
    seen: [{ ...ids[0], seqno: 1 }],
    other: [],
    distribution: [],
  }, "udp");
  assert.equal(db.hearsUs(ids[6]), true);
  assert.equal(db.hearsUs(ids[5]), true, "5 hears 6, we hear both: one domain again");
});

Deno.test("[R-NODE-SCALE-008] netIdKey is memoised per object but follows a changed address", () => {
  const id = { ip: "10.0.0.1", port: 1 };
  assert.equal(netIdKey(id), "10.0.0.1|1");
  assert.equal(netIdKey(id), netIdKey({ ip: "10.0.0.1", port: 1 }));
  id.port = 2;
  assert.equal(netIdKey(id), "10.0.0.1|2");
  id.ip = "10.0.0.9";
  assert.equal(netIdKey(id), "10.0.0.9|2");
});
