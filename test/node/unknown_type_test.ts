/**
 * Records of types a relay has not registered (spec/node.md R-NODE-UNKNOWN-001), on real
 * loopback sockets: a raw v2 frame asks relay B to forward to C.
 */
import assert from "node:assert/strict";
import { type ChatterNode, jsonType, type NetId, startNode } from "../../mod.ts";
import { parseV2Key } from "../../src/node/keys.ts";
import { typeTag } from "../../src/wire/xxhash32.ts";
import { v2Codec } from "../../src/node/v2_codec.ts";
import { V2Keyring } from "../../src/wire/v2/keyring.ts";
import { waitFor } from "./_net_cluster.ts";

const KEY = "61a06429172f0460ea4dd0f8cdf8db1c1a8491dc7286e88be0f77e15cfd34a37";
const enc = new TextEncoder();

function frameTo(
  to: NetId,
  distribution: NetId[],
  records: { type: string; id: string }[],
  seq: number,
) {
  const codec = v2Codec({ keyring: V2Keyring.single(parseV2Key(KEY)), label: "" });
  const current = { ip: "127.0.0.9", port: 9, seqno: seq };
  return codec.encode(
    { current, seen: [], other: [], distribution },
    records.map((r, i) => ({
      typeTag: typeTag(r.type),
      origin: { ...current, seqno: seq * 100 + i },
      payload: enc.encode(JSON.stringify({ id: r.id })),
    })),
    // A TCP frame is sealed for its one receiver. [R-V2-BIND-001]
    { maxFrameBytes: 65536, maxRecords: 64, to },
  )[0];
}

async function trio(relayOpts: Record<string, unknown>) {
  const nodes: ChatterNode[] = [];
  const got: string[] = [];
  for (let i = 0; i < 2; i++) {
    nodes.push(
      await startNode({
        address: "127.0.0.1",
        port: 0,
        multicast: false,
        key: KEY,
        ...(i === 0 ? relayOpts : {}),
      }),
    );
  }
  const [relay, leaf] = nodes;
  // Only the leaf knows "app.msg"; both know "known.msg".
  relay.register(jsonType("known.msg"));
  leaf.register(jsonType<{ id: string }>("app.msg", (v) => {
    got.push(`app:${v.id}`);
  }));
  leaf.register(jsonType<{ id: string }>("known.msg", (v) => {
    got.push(`known:${v.id}`);
  }));
  const close = async () => {
    for (const n of nodes) await n.close();
  };
  return { relay, leaf, got, close };
}

async function sendTo(node: ChatterNode, frame: Uint8Array) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: node.id.port });
  await conn.write(frame);
  conn.close();
}

Deno.test("[R-NODE-UNKNOWN-001] a relay forwards an unknown-type record with its bytes unchanged, counted", async () => {
  const t = await trio({});
  try {
    await sendTo(t.relay, frameTo(t.relay.id, [t.leaf.id], [{ type: "app.msg", id: "u1" }], 1));
    await waitFor(() => t.got.includes("app:u1"), "the unknown-type record at the leaf");
    const s = t.relay.stats();
    assert.equal(s.unknownTypes, 1);
    assert.equal(s.unknownForwarded, 1);
    assert.equal(s.delivered, 0);
  } finally {
    await t.close();
  }
});

Deno.test("[R-NODE-UNKNOWN-001] forwardUnknownTypes: false drops them (counted); known types still go", async () => {
  const t = await trio({ forwardUnknownTypes: false });
  try {
    await sendTo(
      t.relay,
      frameTo(t.relay.id, [t.leaf.id], [{ type: "app.msg", id: "u2" }, {
        type: "known.msg",
        id: "k2",
      }], 2),
    );
    await waitFor(() => t.got.includes("known:k2"), "the known record at the leaf");
    assert.equal(t.got.includes("app:u2"), false);
    const s = t.relay.stats();
    assert.equal(s.unknownDropped, 1);
    assert.equal(s.unknownForwarded, 0);
  } finally {
    await t.close();
  }
});
