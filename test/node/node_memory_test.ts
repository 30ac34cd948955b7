/**
 * The node's behaviour on the deterministic in-memory network (seeded randomness, virtual
 * clock): delivery, learning, TCP frame counts, take-over, dedup, bounded queues, replacement.
 */
import assert from "node:assert/strict";
import { DecodeError, jsonType, textType } from "../../mod.ts";
import { netIdKey } from "../../src/wire/netid.ts";
import { seededRandom } from "../../src/node/random.ts";
import { assertDelivered, learn, memCluster, send, total } from "./_memory_cluster.ts";

const eight = (d: (i: number) => string) => Array.from({ length: 8 }, (_, i) => d(i));

for (const profile of ["v2", "legacy"] as const) {
  Deno.test(`[R-NODE-DELIVER-001] every destination receives every broadcast exactly once (${profile})`, async () => {
    const c = await memCluster(eight(() => "A"), { profile });
    try {
      const origins: string[] = [];
      for (let i = 0; i < 40; i++) {
        origins.push(send(c, i % 8));
        if (i % 5 === 0) await c.net.settle();
      }
      await c.net.settle();
      for (let n = 0; n < 8; n++) {
        for (const [i, o] of origins.entries()) {
          if (i % 8 === n) continue; // the sender is not its own destination here
          assertDelivered(c, n, o, c.nodes[0].profile !== "legacy");
        }
      }
      assert.ok(
        total(c.nodes, (s) => s.duplicates) > 0,
        "multicast + TCP copies were de-duplicated",
      );
    } finally {
      await c.close();
    }
  });

  Deno.test(`[R-NODE-LEARN-001..003] one domain: after learning a broadcast costs 1 multicast + 1 TCP frame (${profile})`, async () => {
    const c = await memCluster(eight(() => "A"), { profile });
    try {
      // Before learning: nobody is known to hear anybody, so the first broadcast is a TCP tree.
      c.nodes[0].broadcast(c.ids, "test.msg", { n: 0 });
      await c.net.settle();
      assert.equal(
        total(c.nodes, (s) => s.tcp.framesOut),
        7,
        "TCP-only tree: one frame per destination",
      );
      await learn(c);
      for (const n of c.nodes) {
        for (const p of c.ids) if (netIdKey(p) !== netIdKey(n.id)) assert.ok(n.hearsUs(p));
      }
      for (let k = 0; k < 10; k++) {
        const before = c.nodes.map((n) => n.stats());
        const o = send(c, k % 8);
        await c.net.settle();
        const after = c.nodes.map((n) => n.stats());
        const d = (f: (s: typeof after[0]) => number) =>
          after.reduce((t, s, i) => t + f(s) - f(before[i]), 0);
        assert.equal(d((s) => s.tcp.framesOut), 1, "only the kept random destination gets TCP");
        assert.equal(
          d((s) => s.udp.framesOut),
          1,
          "only the origin multicasts; the leaf sends nothing",
        );
        for (let n = 0; n < 8; n++) if (n !== k % 8) assertDelivered(c, n, o, true);
      }
    } finally {
      await c.close();
    }
  });

  Deno.test(`[R-NODE-LEARN-004] two domains of 4: TCP frames per broadcast fall from 7 to between 1 and 3 (${profile})`, async () => {
    const c = await memCluster(eight((i) => (i < 4 ? "A" : "B")), { profile });
    try {
      await learn(c, 3);
      // Other IDs taught each node the other domain; seen IDs taught who hears whom.
      for (const n of c.nodes) assert.equal(n.peers().length, 7);
      let sum = 0;
      const runs = 20;
      for (let k = 0; k < runs; k++) {
        const before = total(c.nodes, (s) => s.tcp.framesOut);
        const mBefore = total(c.nodes, (s) => s.udp.framesOut);
        const o = send(c, k % 8);
        await c.net.settle();
        const tcp = total(c.nodes, (s) => s.tcp.framesOut) - before;
        // One relay for the other domain, plus at most one kept local destination per
        // sending node (origin and the relay).
        assert.ok(tcp >= 1 && tcp <= 3, `tcp frames ${tcp}`);
        assert.equal(
          total(c.nodes, (s) => s.udp.framesOut) - mBefore,
          2,
          "one multicast per domain",
        );
        sum += tcp;
        for (let n = 0; n < 8; n++) {
          if (n !== k % 8) assertDelivered(c, n, o, c.nodes[0].profile !== "legacy");
        }
      }
      assert.ok(sum / runs < 3, `mean ${sum / runs}`);
    } finally {
      await c.close();
    }
  });

  Deno.test(`[R-NODE-RELAY-001] a dead relay's share is taken over; all live nodes receive (${profile})`, async () => {
    // No multicast domains in common: a pure TCP tree where relays matter.
    const c = await memCluster(eight((i) => `D${i}`), { profile });
    try {
      c.net.kill(c.ids[3]);
      c.net.kill(c.ids[6]);
      for (let k = 0; k < 20; k++) {
        const from = [0, 1, 2, 4, 5, 7][k % 6];
        const o = send(c, from);
        await c.net.settle();
        for (const n of [0, 1, 2, 4, 5, 7]) if (n !== from) assertDelivered(c, n, o, true);
      }
      assert.ok(total(c.nodes, (s) => s.relayTakeovers) > 0);
    } finally {
      await c.close();
    }
  });

  Deno.test(`[R-NODE-QUEUE-001] a paused (slow) peer's queue is bounded, drops are counted, others receive (${profile})`, async () => {
    const c = await memCluster(eight((i) => `D${i}`), { profile }, { maxQueueFrames: 8 });
    try {
      c.net.pause(c.ids[5], true);
      const others = [1, 2, 3, 4, 6, 7];
      const origins: string[] = [];
      for (let k = 0; k < 50; k++) {
        // The slow peer is a destination of its own (a leaf), the rest go in another broadcast.
        send(c, 0, [c.ids[5]]);
        origins.push(send(c, 0, others.map((i) => c.ids[i])));
        await c.net.settle();
      }
      assert.ok(c.net.pending <= 8, `held ${c.net.pending}`);
      assert.ok(c.nodes[0].stats().queueDrops >= 40);
      for (const n of others) for (const o of origins) assertDelivered(c, n, o, true);
      c.net.pause(c.ids[5], false);
      await c.net.settle();
    } finally {
      await c.close();
    }
  });

  Deno.test(`[R-NODE-DISPATCH-001] a handler's replacement value is what relays forward (${profile})`, async () => {
    const c = await memCluster(eight((i) => `D${i}`), { profile });
    try {
      const hops: number[] = [];
      for (const n of c.nodes) {
        n.register(jsonType<{ hops: number }>("hop", (v) => {
          hops.push(v.hops);
          return { hops: v.hops + 1 };
        }));
      }
      c.nodes[0].broadcast(c.ids.slice(1), "hop", { hops: 0 });
      await c.net.settle();
      // 7 destinations, tree rounds of 4, 2, 1: depths 1..3, so hop counts 0, 1 and 2 appear.
      assert.equal(hops.length, 7);
      assert.deepEqual([...new Set(hops)].sort(), [0, 1, 2]);
    } finally {
      await c.close();
    }
  });

  Deno.test(`[R-NODE-TABLE-001] payload NetIDs go through the frame's table across relays (${profile})`, async () => {
    const c = await memCluster(eight((i) => `D${i}`), { profile });
    try {
      const got: string[] = [];
      for (const n of c.nodes) {
        n.register({
          typeName: "point-at",
          extractNetIds: (v: { ip: string; port: number }) => [v],
          encode: (v, table) => new Uint8Array([table.indexOf(v)]),
          decode: (b, table) => table[b[0]],
          handler: (v) => void got.push(`${v.ip}:${v.port}`),
        });
      }
      c.nodes[2].broadcast(c.ids.filter((_, i) => i !== 2), "point-at", {
        ip: "192.0.2.9",
        port: 77,
      });
      await c.net.settle();
      assert.deepEqual(got, new Array(7).fill("192.0.2.9:77"));
    } finally {
      await c.close();
    }
  });

  Deno.test(`[R-NODE-LEARN-005] peers age out after the TTL (${profile})`, async () => {
    const c = await memCluster(eight(() => "A"), {
      profile,
      peerTtlMs: 5_000,
      maintenanceMs: 1_000,
    });
    try {
      await learn(c, 1);
      assert.equal(c.nodes[0].peers().length, 7);
      c.clock.advance(6_000);
      assert.equal(c.nodes[0].peers().length, 0);
      assert.equal(c.nodes[0].stats().peers, 0, "swept, not only hidden");
      assert.equal(c.nodes[0].hearsUs(c.ids[1]), false);
    } finally {
      await c.close();
    }
  });

  Deno.test(`[R-NODE-ERR-001] malformed and foreign frames are counted and dropped; delivery goes on (${profile})`, async () => {
    const c = await memCluster(eight(() => "A"), { profile });
    const foreign = await memCluster(
      ["A"],
      { profile, key: "another cluster's key, 32 bytes." },
      {},
      5,
    );
    try {
      // A frame sealed with another key, and garbage, injected straight into node 1.
      const junkSender = await c.net.transport({ id: { ip: "10.9.9.9", port: 1 }, domain: "A" })({
        frame: () => true,
        streamError: () => {},
      });
      let foreignFrame: Uint8Array | undefined;
      const tap = await foreign.net.transport({ id: { ip: "10.9.9.8", port: 1 }, domain: "A" })({
        frame: (f) => (foreignFrame = f, true),
        streamError: () => {},
      });
      foreign.nodes[0].broadcast([tap.local], "test.msg", { n: 1 });
      await foreign.net.settle();
      assert.ok(foreignFrame);
      junkSender.sendTcp(c.ids[1], foreignFrame);
      junkSender.sendTcp(c.ids[1], new Uint8Array([0xff, 3, 1, 2, 3]));
      junkSender.sendMulticast(new Uint8Array([0xff, 0x80]));
      const o = send(c, 0);
      await c.net.settle();
      const errs = c.nodes[1].stats().decodeErrors;
      assert.ok(Object.values(errs).reduce((a, b) => a + b, 0) >= 3, JSON.stringify(errs));
      for (let n = 1; n < 8; n++) assertDelivered(c, n, o, c.nodes[0].profile !== "legacy");
      await junkSender.close();
      await tap.close();
    } finally {
      await c.close();
      await foreign.close();
    }
  });

  Deno.test(`[R-NODE-API-001] broadcast checks its type; local delivery; messages() iterator ends on close (${profile})`, async () => {
    const c = await memCluster(["A", "A"], { profile });
    const n0 = c.nodes[0];
    n0.register(textType("chat"));
    c.nodes[1].register(textType("chat"));
    assert.throws(() => n0.broadcast(c.ids, "nope", 1), /not registered/);
    const it = c.nodes[1].messages();
    n0.broadcast(c.ids, "chat", "hi");
    await c.net.settle();
    const m = await it.next();
    assert.equal(m.value?.value, "hi");
    assert.equal(m.value?.meta.typeName, "chat");
    assert.equal(n0.stats().delivered, 1, "delivered locally to the sender, once");
    const pending = it.next();
    await c.close();
    assert.equal((await pending).done, true);
    assert.throws(() => n0.broadcast(c.ids, "chat", "late"), /closed/);
    void DecodeError;
    void seededRandom;
  });
}
