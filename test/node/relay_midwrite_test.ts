/**
 * A relay that fails in the middle of a write (spec/node.md R-NODE-RELAY-001), on real
 * loopback sockets: the relay accepts, reads a few bytes and resets the connection while the
 * sender is still writing a frame larger than the socket buffers; the next node of its share
 * must take over.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { type ChatterNode, jsonType, type NetId, type RandomSource, startNode } from "../../mod.ts";
import { netIdKey } from "../../src/wire/netid.ts";
import { planBroadcast } from "../../src/node/plan.ts";
import { waitFor } from "./_net_cluster.ts";

const KEY = "relay mid-write test key 32bytes";
/** Constant randomness: the plan depends only on the destination order, so the test picks it. */
const ZERO: RandomSource = { next: () => 0 };
const BIG = 6 << 20;

Deno.test("[R-NODE-RELAY-001] a relay that resets mid-write: the next node of its share takes over", async () => {
  const limits = { maxFrameBytes: 16 << 20, maxUncompressedBytes: 16 << 20 };
  const nodes: ChatterNode[] = [];
  const got: Map<string, number>[] = [];
  for (let i = 0; i < 3; i++) {
    const node = await startNode({
      address: "127.0.0.1",
      port: 0,
      multicast: false,
      key: KEY,
      random: ZERO,
      limits,
      connectTimeoutMs: 1000,
    });
    const seen = new Map<string, number>();
    node.register(jsonType<{ id: string; pad: string }>("big.msg", (v) => {
      seen.set(v.id, v.pad.length);
    }));
    nodes.push(node);
    got.push(seen);
  }
  // The failing relay: accepts, reads a few bytes, closes with unread data (a reset).
  const bad = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const badLoop = (async () => {
    for (;;) {
      let c: Deno.Conn;
      try {
        c = await bad.accept();
      } catch {
        return;
      }
      accepted++;
      await c.read(new Uint8Array(8)).catch(() => null);
      c.close();
    }
  })();
  try {
    const [a, c, d] = nodes;
    const f: NetId = { ip: "127.0.0.1", port: (bad.addr as Deno.NetAddr).port };
    // Pick the destination order whose plan makes the failing peer a relay with a share.
    const view = { hearsUs: () => false, domainOf: (id: NetId) => netIdKey(id) };
    const orders = [[f, c.id, d.id], [c.id, f, d.id], [c.id, d.id, f], [f, d.id, c.id], [
      d.id,
      f,
      c.id,
    ], [d.id, c.id, f]];
    const order = orders.find((o) => {
      const p = planBroadcast(a.id, o, view, ZERO);
      return netIdKey(p.tcp[0].to) === netIdKey(f) && p.tcp[0].distribution.length === 1;
    });
    assert.ok(order, "some order makes the failing peer a relay");
    // Incompressible, larger than the loopback socket buffers: the write is cut mid-frame.
    const bytes = new Uint8Array(BIG * 3 / 4);
    for (let o = 0; o < bytes.length; o += 65536) {
      crypto.getRandomValues(bytes.subarray(o, o + 65536));
    }
    const pad = Buffer.from(bytes).toString("base64");
    a.broadcast(order, "big.msg", { id: "big", pad });
    await waitFor(
      () => got[1].get("big") === pad.length && got[2].get("big") === pad.length,
      "delivery to both real destinations",
      15_000,
    );
    assert.ok(accepted >= 1, "the failing relay was contacted");
    assert.equal(a.stats().relayTakeovers, 1);
  } finally {
    for (const n of nodes) await n.close();
    bad.close();
    await badLoop;
  }
});
