/**
 * One node accepting both profiles (spec/node.md R-NODE-ACCEPT-001), on real loopback sockets:
 * TCP and UDP multicast, dispatched on each frame's first byte.
 */
import assert from "node:assert/strict";
import { type ChatterNode, jsonType, NodeOptionError, startNode } from "../../mod.ts";
import { closedByPeer, randomMulticast, waitFor } from "./_net_cluster.ts";

const KEY = "4f07693afa2281e0f072ca80956b4c7edcabdc529eaa52efb98cdb56991ad3b8";

Deno.test("[R-NODE-ACCEPT-001] a v2 node accepting legacy hears a legacy node by multicast and TCP; one that does not rejects both", async () => {
  const mc = randomMulticast();
  const nodes: ChatterNode[] = [];
  const got: string[][] = [];
  const start = async (o: Parameters<typeof startNode>[0]) => {
    const node = await startNode({
      address: "127.0.0.1",
      port: 0,
      multicastGroup: mc.group,
      multicastPort: mc.port,
      multicastInterface: "127.0.0.1",
      key: KEY,
      ...o,
    });
    const mine: string[] = [];
    node.register(jsonType<{ id: string }>("test.msg", (v) => {
      mine.push(v.id);
    }));
    nodes.push(node);
    got.push(mine);
    return node;
  };
  try {
    const legacy = await start({ profile: "legacy" });
    const both = await start({ profile: "v2", acceptProfiles: ["v2", "legacy"] });
    const v2only = await start({ profile: "v2" });
    legacy.broadcast([both.id, v2only.id], "test.msg", { id: "from-legacy" });
    // `both` decodes the multicast copy and the TCP copy (one delivered, one a duplicate).
    await waitFor(
      () => both.stats().delivered === 1 && both.stats().duplicates === 1,
      "both copies decoded by the accepting node",
    );
    assert.deepEqual(got[1], ["from-legacy"]);
    assert.ok(both.stats().udp.framesIn >= 1 && both.stats().tcp.framesIn >= 1);
    assert.deepEqual(both.stats().decodeErrors, {});
    // `v2only` counts both copies as a profile it does not accept, delivers nothing.
    await waitFor(
      () => (v2only.stats().decodeErrors.BAD_START_BYTE ?? 0) >= 2,
      "both copies rejected by the v2-only node",
    );
    assert.deepEqual(got[2], []);
    // And it closes a TCP connection that carries one.
    const frames: Uint8Array[] = [];
    const tap = await startNode({
      address: "127.0.0.1",
      port: 0,
      multicast: false,
      profile: "legacy",
      key: KEY,
    });
    nodes.push(tap);
    tap.register(jsonType("test.msg"));
    const sniff = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const sniffing = (async () => {
      const c = await sniff.accept();
      const buf = new Uint8Array(4096);
      const n = await c.read(buf);
      if (n) frames.push(buf.slice(0, n));
      c.close();
    })();
    tap.broadcast([{ ip: "127.0.0.1", port: (sniff.addr as Deno.NetAddr).port }], "test.msg", {
      id: "x",
    });
    await sniffing;
    sniff.close();
    assert.equal(await closedByPeer(v2only.id.port, [frames[0]]), true, "closed");
    // The accepting node still speaks v2: the v2-only node hears it.
    both.broadcast([v2only.id], "test.msg", { id: "from-both" });
    await waitFor(() => got[2].includes("from-both"), "v2 from the accepting node");
  } finally {
    for (const n of nodes) await n.close();
  }
});

Deno.test("[R-NODE-ACCEPT-001] acceptProfiles must list known profiles including the sending one", async () => {
  for (const bad of [[], ["legacy"], ["v3"], "v2"]) {
    await assert.rejects(
      () => startNode({ address: "127.0.0.1", port: 0, key: KEY, acceptProfiles: bad as never }),
      (e: Error) => e instanceof NodeOptionError && /option acceptProfiles/.test(e.message),
    );
  }
});
