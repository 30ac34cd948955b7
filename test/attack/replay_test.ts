/**
 * Replays across nodes and restarts (spec/wire.md section 15.15), on real loopback sockets:
 * an attacker without the key records a TCP frame on its way to one node and offers it to
 * another node of the cluster, or to the same node after it restarted. Both fail on a v2 that
 * neither binds TCP frames to their receiver nor checks sealed times (the 0.1 drafts'
 * version 2 layout): the frame was delivered a second time.
 */
import assert from "node:assert/strict";
import { jsonType, type NetId, startNode } from "../../mod.ts";
import { FrameReader, typeTag, V2Keyring, V2Sender } from "../../src/wire/mod.ts";
import { netCluster, send, waitFor } from "../node/_net_cluster.ts";

/** A TCP listener that stands where a node would and records the first frame it receives. */
function capture(): { id: NetId; frame: Promise<Uint8Array>; close(): void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const frame = (async () => {
    for await (const c of l) {
      conns.push(c);
      const reader = new FrameReader();
      const buf = new Uint8Array(65536);
      for (;;) {
        const n = await c.read(buf);
        if (n === null) break;
        const got = reader.push(buf.subarray(0, n));
        if (got.length > 0) return got[0].slice();
      }
    }
    throw new Error("listener closed before a frame arrived");
  })();
  return {
    id: { ip: "127.0.0.1", port: (l.addr as Deno.NetAddr).port },
    frame,
    close() {
      try {
        l.close();
      } catch { /* closed when the loop returned */ }
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

async function deliverRaw(to: NetId, bytes: Uint8Array): Promise<void> {
  const conn = await Deno.connect({ hostname: to.ip, port: to.port });
  try {
    await conn.write(bytes);
    // Wait for the node to hang up (it closes a connection after a rejected frame) or give it
    // a moment to deliver an accepted one.
    const t = setTimeout(() => conn.close(), 300);
    await conn.read(new Uint8Array(1)).catch(() => null);
    clearTimeout(t);
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

Deno.test("[R-V2-BIND-001] [R-V2-BIND-002] a TCP frame captured on its way to one node is refused by another", async () => {
  const c = await netCluster(2, { multicast: false });
  const tap = capture();
  try {
    const [sender, other] = [0, 1];
    // The sender broadcasts to the tapped address; the attacker keeps the bytes.
    const id = send(c, sender, [tap.id]);
    const frame = await tap.frame;
    // Control: the other node hears the sender (same key and label).
    const direct = send(c, sender, [c.ids[other]]);
    await waitFor(() => c.got[other].has(direct), "a direct broadcast");
    // Replay the captured frame to the other node: it is not accepted.
    await deliverRaw(c.ids[other], frame);
    await waitFor(
      () => (c.nodes[other].stats().decodeErrors.AUTH_FAILED ?? 0) >= 1,
      "the captured frame rejected",
    );
    assert.equal(c.got[other].has(id), false, "the captured frame was delivered by another node");
    assert.equal(c.nodes[other].stats().delivered, 1);
  } finally {
    tap.close();
    await c.close();
  }
});

Deno.test("[R-V2-TIME-003] a frame accepted before a restart is refused after it", async () => {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const got: string[] = [];
  const start = async (port: number) => {
    const n = await startNode({ address: "127.0.0.1", port, multicast: false, key });
    n.register(jsonType<{ id: string }>("test.msg", (v) => {
      got.push(v.id);
    }));
    return n;
  };
  let node = await start(0);
  const nodeId = node.id;
  try {
    // A genuine key holder's frame to the node (what any peer sends), recorded by the attacker.
    const me = { ip: "127.0.0.9", port: 9, seqno: 1 };
    const frame = new V2Sender().encode({
      keyring: V2Keyring.single(key),
      label: "",
      receiver: nodeId,
      gossip: { current: me, seen: [], other: [], distribution: [] },
      records: [{
        typeTag: typeTag("test.msg"),
        origin: me,
        payload: new TextEncoder().encode(JSON.stringify({ id: "once" })),
      }],
    });
    await deliverRaw(nodeId, frame);
    await waitFor(() => got.length === 1, "the first delivery");
    // Within one run the replay window refuses it.
    await deliverRaw(nodeId, frame);
    await waitFor(() => node.stats().decodeErrors.REPLAY === 1, "the replay refused");
    // Restart on the same address: the new run has no replay state, the start rule holds.
    await node.close();
    node = await start(nodeId.port);
    await deliverRaw(nodeId, frame);
    await waitFor(() => node.stats().decodeErrors.BEFORE_START === 1, "refused after restart");
    assert.deepEqual(got, ["once"], "the frame was delivered again after the restart");
  } finally {
    await node.close();
  }
});
