/**
 * R-NODE-SCALE-010: a frame bound to one receiver names that receiver first among its seen IDs
 * when the sender hears it, so an origin learns from its destinations' acknowledgements who
 * hears it, whatever else they heard since.
 */
import assert from "node:assert/strict";
import { type ChatterNode, jsonType, type NetId, startNode } from "../../mod.ts";
import { ManualClock } from "../../src/node/clock.ts";
import { MemoryNetwork } from "../../src/node/memory_transport.ts";
import { PeerDb } from "../../src/node/peer_db.ts";
import { seededRandom } from "../../src/node/random.ts";
import type { TransportFactory } from "../../src/node/transport.ts";
import { TEST_KEY } from "./_memory_cluster.ts";

Deno.test("[R-NODE-SCALE-010] seenIdsFor names the receiver first when we hear it, within maxSeenIds", () => {
  const self = { ip: "10.0.0.1", port: 1 };
  const clock = new ManualClock(1_000);
  const db = new PeerDb(
    self,
    { maxPeers: 100, peerTtlMs: 60_000, maxSeenIds: 4, maxOtherIds: 4 },
    clock,
    seededRandom(1),
  );
  const n = (i: number) => ({ ip: `10.0.1.${i}`, port: 1 });
  const heard = (i: number) =>
    db.learn(
      { current: { ...n(i), seqno: 100 + i }, seen: [], other: [], distribution: [] },
      "udp",
    );
  for (let i = 1; i <= 6; i++) heard(i);
  assert.deepEqual(db.seenIds().map((s) => s.ip), ["10.0.1.6", "10.0.1.5", "10.0.1.4", "10.0.1.3"]);
  // n(1) was heard, but is no longer among the 4 most recent: it is named first, the least
  // recent of the others makes room.
  const f = db.seenIdsFor(n(1));
  assert.deepEqual(f.map((s) => s.ip), ["10.0.1.1", "10.0.1.6", "10.0.1.5", "10.0.1.4"]);
  assert.equal(f[0].seqno, 101, "with the newest BroadcastID heard from it");
  // Among the recent ones: moved to the front, nothing dropped.
  assert.deepEqual(db.seenIdsFor(n(4)).map((s) => s.ip), [
    "10.0.1.4",
    "10.0.1.6",
    "10.0.1.5",
    "10.0.1.3",
  ]);
  // Never heard on multicast (only by TCP), or heard longer ago than the time-to-live: not named.
  db.learn({ current: { ...n(9), seqno: 1 }, seen: [], other: [], distribution: [] }, "tcp");
  assert.deepEqual(db.seenIdsFor(n(9)), db.seenIds());
  clock.advance(60_001);
  assert.deepEqual(db.seenIdsFor(n(1)), []);
});

Deno.test("[R-NODE-SCALE-010] an origin learns from the acknowledgements that its domain hears it, though 40 other senders were heard since", async () => {
  // One domain: the origin O, 10 listeners, 40 other senders. O's multicast receiving is
  // switched off after its first broadcast, so it never hears the other senders (nor learns of
  // them): the listeners' most recent 32 senders are nodes O knows nothing about, and only the
  // listeners' own word can tell O that they hear it.
  const net = new MemoryNetwork({ random: seededRandom(7) });
  const clock = new ManualClock(1_700_000_000_000);
  let deaf = false;
  const nodes: ChatterNode[] = [];
  const got: number[] = [];
  for (let i = 0; i < 51; i++) {
    const id: NetId = { ip: `10.0.0.${i + 1}`, port: 4000 };
    let transport: TransportFactory = net.transport({ id, domain: "A" });
    if (i === 0) {
      const inner = transport;
      transport = (h) => inner({ ...h, frame: (f, k) => (deaf && k === "udp") || h.frame(f, k) });
    }
    const node = await startNode({
      address: "127.0.0.1",
      profile: "v2",
      key: TEST_KEY,
      clock,
      random: seededRandom(100 + i),
      transport,
      heartbeatMs: 0,
      // The other senders acknowledge nothing: no frame of theirs ever reaches O.
      reliable: i <= 10,
      maxPeers: 4096,
    });
    got.push(0);
    node.register(jsonType<{ id: string }>("t.msg", (v) => {
      if (v.id.startsWith("b")) got[i]++;
    }));
    nodes.push(node);
  }
  try {
    const listeners = nodes.slice(1, 11).map((n) => n.id);
    nodes[0].broadcast(listeners, "t.msg", { id: "b1" });
    await net.settle();
    deaf = true;
    for (let i = 11; i < 51; i++) {
      nodes[i].broadcast([nodes[11 + ((i - 10) % 40)].id], "t.msg", { id: `x${i}` });
      await net.settle();
    }
    // Now the acknowledgements of b1 (and of the others' messages) go out.
    for (let k = 0; k < 10; k++) {
      clock.advance(100);
      await net.settle();
    }
    for (let i = 1; i <= 10; i++) assert.equal(got[i], 1, `listener ${i} got b1`);
    const tcpAll = () => nodes.reduce((a, n) => a + n.stats().tcp.framesOut, 0);
    const tcp0 = tcpAll();
    const udp0 = nodes[0].stats().udp.framesOut;
    nodes[0].broadcast(listeners, "t.msg", { id: "b2" });
    await net.settle(); // the clock stands still: no acknowledgement is sent yet
    for (let i = 1; i <= 10; i++) assert.equal(got[i], 2, `listener ${i} got b2`);
    // Every listener is known to hear O: one datagram and the one kept TCP copy, no relay.
    // (Without the rule O would know only that the listeners hear the other senders, so they
    // would be one domain apart from O's: one share to a relay, which forwards it.)
    assert.equal(nodes[0].stats().udp.framesOut - udp0, 1);
    assert.equal(tcpAll() - tcp0, 1, "TCP frames of the broadcast");
  } finally {
    for (const n of nodes) await n.close();
  }
});
