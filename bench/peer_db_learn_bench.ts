/**
 * What one received frame costs the peer database (R-NODE-AMP-002): a full database (1,024
 * peers) learning a frame of fresh NetIDs. The node bounds what a frame may make it learn
 * (64 seen IDs, 1,024 distribution entries); the unbounded 4,096-entry lists show what it costs
 * without those bounds. Run: `deno bench --allow-all bench/peer_db_learn_bench.ts`.
 */
import { ManualClock } from "../src/node/clock.ts";
import { PeerDb } from "../src/node/peer_db.ts";
import { seededRandom } from "../src/node/random.ts";
import type { BroadcastId } from "../src/wire/netid.ts";

const clock = new ManualClock();
const db = new PeerDb(
  { ip: "10.0.0.1", port: 1 },
  { maxPeers: 1024, peerTtlMs: 60_000, maxSeenIds: 32, maxOtherIds: 4 },
  clock,
  seededRandom(1),
);
let n = 0;
const id = (): BroadcastId => {
  n++;
  return { ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, port: 1, seqno: n };
};
for (let i = 0; i < 1024; i++) {
  db.learn({ current: id(), seen: [id(), id()], other: [], distribution: [] }, "tcp");
}

for (const [seen, dist] of [[64, 0], [4096, 0], [64, 1024], [4096, 4093]]) {
  // Frames prepared outside the timed part: only learn() is measured.
  const frames = Array.from({ length: 64 }, () => ({
    current: id(),
    seen: Array.from({ length: seen }, id),
    other: [],
    distribution: Array.from({ length: dist }, id),
  }));
  let i = 0;
  Deno.bench(`learn: seen ${seen}, distribution ${dist}`, () => {
    clock.advance(1);
    db.learn(frames[i++ % frames.length], "tcp");
  });
}
