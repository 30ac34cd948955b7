// [R-NODE-LEARN-005] The peer database is bounded (least recently heard forgotten first) and
// forgets peers, Hears facts and seen IDs not refreshed within the time-to-live.

import assert from "node:assert/strict";
import { ManualClock } from "../../src/node/clock.ts";
import { PeerDb } from "../../src/node/peer_db.ts";
import { seededRandom } from "../../src/node/random.ts";
import type { BroadcastId, NetId } from "../../src/wire/netid.ts";

const SELF: NetId = { ip: "10.0.0.1", port: 1 };
const peer = (i: number): BroadcastId => ({ ip: "10.1.0.1", port: 1000 + i, seqno: 1 });
const gossip = (current: BroadcastId, seen: BroadcastId[] = []) => ({
  current,
  seen,
  other: [],
  distribution: [],
});
const keys = (ids: NetId[]) => ids.map((p) => p.port).sort((a, b) => a - b);

function db(maxPeers: number, clock: ManualClock): PeerDb {
  return new PeerDb(
    SELF,
    { maxPeers, peerTtlMs: 60_000, maxSeenIds: 32, maxOtherIds: 4 },
    clock,
    seededRandom(1),
  );
}

Deno.test("[R-NODE-LEARN-005] at maxPeers the least recently heard peer is forgotten first", () => {
  const clock = new ManualClock(1000);
  const d = db(3, clock);
  for (let i = 0; i < 3; i++) {
    d.learn(gossip(peer(i)), "tcp");
    clock.advance(10);
  }
  d.learn(gossip(peer(0)), "tcp"); // peer 0 heard again: peer 1 is now the oldest
  clock.advance(10);
  d.learn(gossip(peer(3)), "tcp");
  assert.equal(d.size, 3);
  assert.deepEqual(keys(d.peers()), [1000, 1002, 1003]);
  // A burst of new names never grows the database past its bound.
  for (let i = 10; i < 200; i++) d.learn(gossip(peer(i)), "tcp");
  assert.equal(d.size, 3);
});

Deno.test("[R-NODE-LEARN-005] peers, Hears facts and seen IDs expire after the TTL", () => {
  const clock = new ManualClock(1000);
  const d = db(1024, clock);
  const a = peer(1);
  d.learn(gossip(a, [{ ...SELF, seqno: 1 }]), "udp"); // we hear a; a hears us
  assert.deepEqual(keys(d.peers()), [1001]);
  assert.ok(d.hearsUs(a));
  assert.deepEqual(d.seenIds(), [a]);
  clock.advance(60_000);
  assert.ok(d.hearsUs(a), "still within the TTL");
  clock.advance(1);
  assert.deepEqual(d.peers(), []);
  assert.equal(d.hearsUs(a), false);
  assert.deepEqual(d.seenIds(), []);
  d.sweep();
  assert.equal(d.size, 0, "sweep releases the expired peer");
});
