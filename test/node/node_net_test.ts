/**
 * The node on real loopback sockets: TCP, UDP multicast on lo, >= 8 nodes. Every test uses
 * its own multicast group/port and key and ephemeral TCP ports, so tests and helpers running
 * in parallel do not disturb each other.
 */
import assert from "node:assert/strict";
import { NodeOptionError, startNode } from "../../mod.ts";
import { parseV2Key } from "../../src/node/keys.ts";
import { legacyCodec } from "../../src/node/legacy_codec.ts";
import { typeTag } from "../../src/wire/xxhash32.ts";
import { v2Codec } from "../../src/node/v2_codec.ts";
import { V2Keyring } from "../../src/wire/v2/keyring.ts";
import { allGot, closedByPeer, netCluster, quiet, send, total, waitFor } from "./_net_cluster.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

for (const profile of ["v2", "legacy"] as const) {
  Deno.test(`[R-NODE-NET-001] 8 nodes on loopback (${profile}): all receive; after learning 1 TCP frame per broadcast`, async () => {
    const c = await netCluster(8, { profile });
    try {
      // Learning: everyone broadcasts to everyone until every node knows every other hears it.
      for (let round = 0; round < 20; round++) {
        const ids = range(8).map((i) => send(c, i));
        await waitFor(() => allGot(c, range(8), ids), "learning round delivery");
        if (c.nodes.every((n) => c.ids.every((p) => p === n.id || n.hearsUs(p)))) break;
      }
      assert.ok(c.nodes.every((n) => c.ids.every((p) => p === n.id || n.hearsUs(p))), "learned");
      await quiet(c);
      // Data frames: acknowledgements and repairs of reliable delivery are counted apart.
      const data = (s: ReturnType<typeof c.nodes[0]["stats"]>) =>
        s.tcp.framesOut - s.reliable.ackFrames - s.reliable.repairFrames;
      const before = total(c, data);
      const sent: string[] = [];
      for (let k = 0; k < 20; k++) {
        const from = k % 8;
        const id = send(c, from);
        sent.push(id);
        await waitFor(
          () => allGot(c, range(8).filter((i) => i !== from), [id]),
          `delivery of ${id}`,
        );
      }
      // 20 broadcasts, each: one multicast + one TCP frame to the kept random destination.
      await quiet(c);
      assert.equal(total(c, data) - before, 20);
      assert.equal(total(c, (s) => Object.values(s.decodeErrors).reduce((a, b) => a + b, 0)), 0);
    } finally {
      await c.close();
    }
  });
}

Deno.test("[R-NODE-RELAY-001] real sockets: a dead relay's share is taken over", async () => {
  // TCP only, so the tree (and its relays) carries everything.
  const c = await netCluster(8, { multicast: false, connectTimeoutMs: 500 });
  try {
    await c.nodes[3].close();
    await c.nodes[6].close();
    const live = [0, 1, 2, 4, 5, 7];
    const ids: string[] = [];
    for (let k = 0; k < 12; k++) ids.push(send(c, live[k % live.length]));
    await waitFor(
      () => live.every((n) => ids.every((id, k) => live[k % 6] === n || c.got[n].has(id))),
      "delivery",
    );
    assert.ok(total(c, (s) => s.relayTakeovers) > 0, "some relay was dead and taken over");
    assert.ok(total(c, (s) => s.connectFailures) > 0);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-QUEUE-001] real sockets: a peer that never reads does not block the others", async () => {
  const c = await netCluster(8, {
    multicast: false,
    maxQueueBytes: 512 * 1024,
    maxQueueFrames: 256,
  });
  const slow = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of slow) held.push(conn); // accept, never read
  })();
  try {
    const slowId = { ip: "127.0.0.1", port: (slow.addr as Deno.NetAddr).port };
    // ~4 KB of fresh random text per message: snappy cannot shrink it much (not even across
    // the records of a batch), so the socket buffers fill.
    const pad = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(3000))));
    const others = range(7).map((i) => c.ids[i + 1]);
    const ids: string[] = [];
    for (let k = 0; k < 4000; k++) {
      send(c, 0, [slowId], pad());
      if (k % 100 === 0) ids.push(send(c, 0, others));
      if (k % 200 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    // Generous deadlines: encoding 16 MB of random text takes seconds on a loaded 2-core
    // machine; the assertion is about what arrives, not how fast.
    await waitFor(
      () => allGot(c, range(7).map((i) => i + 1), ids),
      "delivery to the fast peers",
      60_000,
    );
    await waitFor(() => c.nodes[0].stats().queueDrops > 0, "queue drops", 60_000);
  } finally {
    await c.close();
    slow.close();
    await accepting;
    for (const h of held) h.close();
  }
});

for (const profile of ["v2", "legacy"] as const) {
  Deno.test(`[R-NODE-ERR-001] real sockets (${profile}): malformed, foreign and split frames`, async () => {
    const c = await netCluster(8, { profile });
    try {
      const target = c.ids[1];
      const closed = (bytes: Uint8Array[]) => closedByPeer(target.port, bytes);
      // Garbage start byte: framing breaks, the node closes the connection.
      assert.equal(await closed([new Uint8Array([0x42, 1, 2, 3])]), true);
      // A frame of another cluster (other key): decode fails, connection closed.
      const gossip = {
        current: { ip: "127.0.0.1", port: 1, seqno: 1 },
        seen: [],
        other: [],
        distribution: [],
      };
      const rec = (id: string) => ({
        typeTag: typeTag("test.msg"),
        origin: gossip.current,
        payload: new TextEncoder().encode(JSON.stringify({ id })),
      });
      // TCP frames are sealed for their receiver (v2). [R-V2-BIND-001]
      const opts = { maxFrameBytes: 65536, maxRecords: 64, to: target };
      const codecFor = (key: string) =>
        profile === "v2"
          ? v2Codec({ keyring: V2Keyring.single(parseV2Key(key)), label: "" })
          : legacyCodec({ key, nextSeqno: () => 1 });
      const [foreign] = codecFor("a229bc997b4d9d498101e461c9e90e4561eef77e239aad6edc3c0e304a0363fa")
        .encode(gossip, [
          rec("foreign"),
        ], opts);
      assert.equal(await closed([foreign]), true);
      // Garbage on the multicast group.
      const udp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
      await udp.send(new Uint8Array([0xff, 0x05, 1, 2]), {
        transport: "udp",
        hostname: c.group,
        port: c.mport,
      });
      udp.close();
      // Two valid frames of this cluster, one split over 1-byte writes, one whole in the same stream.
      const ours = codecFor(c.key);
      const own = (id: string) => {
        const current = { ip: "127.0.0.9", port: 9, seqno: id.charCodeAt(0) };
        return ours.encode({ ...gossip, current }, [{ ...rec(id), origin: current }], opts)[0];
      };
      const conn = await Deno.connect({ hostname: target.ip, port: target.port });
      const a = own("split-a"), b = own("whole-b");
      for (const byte of a) await conn.write(new Uint8Array([byte]));
      await conn.write(b);
      await waitFor(() => c.got[1].has("split-a") && c.got[1].has("whole-b"), "reassembled frames");
      conn.close();
      // Delivery to everyone is undisturbed.
      const id = send(c, 0);
      await waitFor(() => allGot(c, range(7).map((i) => i + 1), [id]), "delivery");
      assert.equal(c.got[1].has("foreign"), false);
      const errs = c.nodes[1].stats();
      assert.ok(errs.streamErrors >= 1);
      assert.ok(
        Object.values(errs.decodeErrors).reduce((x, y) => x + y, 0) >= 2,
        JSON.stringify(errs.decodeErrors),
      );
    } finally {
      await c.close();
    }
  });
}

Deno.test("[R-NODE-TRANSPORT-004] idle connections close; the connection cap holds; peers still receive", async () => {
  const c = await netCluster(8, { multicast: false, idleTimeoutMs: 100, maxConnections: 2 });
  try {
    const ids: string[] = [];
    for (let i = 1; i < 8; i++) ids.push(send(c, 0, [c.ids[i]]));
    await waitFor(() => ids.every((id, k) => c.got[k + 1].has(id)), "delivery under the cap");
    assert.ok(c.nodes[0].stats().transport.outgoingOpen <= 2);
    await waitFor(() => c.nodes[0].stats().transport.outgoingOpen === 0, "idle close", 3000);
    assert.ok(c.nodes[0].stats().transport.idleClosed >= 1);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-OPT-001] bad options name the option and value; a port in use says so", async () => {
  await assert.rejects(() => startNode({ port: -1 }), (e: Error) => {
    assert.ok(e instanceof NodeOptionError);
    assert.match(e.message, /option port: .*-1/);
    return true;
  });
  await assert.rejects(() => startNode({ address: "1.2.3" }), /option address: .*"1\.2\.3"/);
  await assert.rejects(() => startNode({ multicastGroup: "10.0.0.1" }), /option multicastGroup/);
  await assert.rejects(() => startNode({ profile: "v3" as "v2" }), /option profile: .*"v3"/);
  await assert.rejects(() => startNode({ multicastLoss: 2 }), /option multicastLoss: .*2/);
  const key = "df202a18c6eb5d32265aa513666e4728efa9362761f1511c7922171da060fa19";
  const a = await startNode({ address: "127.0.0.1", port: 0, multicast: false, key });
  try {
    await assert.rejects(
      () => startNode({ address: "127.0.0.1", port: a.id.port, multicast: false, key }),
      new RegExp(`127\\.0\\.0\\.1:${a.id.port} is already in use`),
    );
  } finally {
    await a.close();
  }
});

Deno.test("[R-NODE-ERR-002] v2: a replayed frame and an other-label frame are dropped and close the connection; a fresh one is served", async () => {
  const c = await netCluster(2, { profile: "v2", multicast: false });
  try {
    const codecFor = (label: string) =>
      v2Codec({ keyring: V2Keyring.single(parseV2Key(c.key)), label });
    const ours = codecFor("");
    const current = { ip: "127.0.0.9", port: 9, seqno: 1 };
    const frame = (codec: ReturnType<typeof v2Codec>, id: string, seqno: number) =>
      codec.encode({ current, seen: [], other: [], distribution: [] }, [{
        typeTag: typeTag("test.msg"),
        origin: { ...current, seqno },
        payload: new TextEncoder().encode(JSON.stringify({ id })),
      }], { maxFrameBytes: 65536, maxRecords: 8, to: c.ids[1] })[0];
    const closedAfter = (bytes: Uint8Array[]) => closedByPeer(c.ids[1].port, bytes);
    const first = frame(ours, "replay-1", 1);
    // The same frame twice on one connection: the second is a REPLAY, the node hangs up.
    assert.equal(await closedAfter([first, first]), true);
    assert.equal(c.got[1].get("replay-1"), 1);
    assert.equal(c.nodes[1].stats().decodeErrors.REPLAY, 1);
    // A frame sealed under another cluster label: rejected, connection closed.
    assert.equal(await closedAfter([frame(codecFor("other label"), "other-label", 1)]), true);
    assert.equal(c.got[1].has("other-label"), false);
    // A fresh connection with a valid frame is served.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: c.ids[1].port });
    try {
      await conn.write(frame(ours, "after-replay", 2));
      await waitFor(() => c.got[1].has("after-replay"), "the next valid frame");
    } finally {
      conn.close();
    }
  } finally {
    await c.close();
  }
});
