/**
 * Interop with Elixir Chatter 0.0.15 (audit D9, D13, D16; spec/node.md R-NODE-LEGACY-*,
 * R-NODE-DEDUP-003, R-NODE-KEY-001), on real loopback sockets with a raw peer playing 0.0.15.
 */
import assert from "node:assert/strict";
import { parseV2Key } from "../../src/node/keys.ts";
import { DEFAULT_KEY } from "../../src/node/options.ts";
import { generateV2Key, jsonType, KeyError, startNode } from "../../mod.ts";
import { DedupWindow } from "../../src/node/dedup.ts";
import { legacyCodec } from "../../src/node/legacy_codec.ts";
import { legacyFrameLength } from "../../src/wire/legacy_frame.ts";
import { resolveNodeOptions } from "../../src/node/options.ts";
import { typeTag } from "../../src/wire/xxhash32.ts";
import { waitFor } from "./_net_cluster.ts";

const KEY = "legacy interop test key 32 bytes";
const enc = new TextEncoder();
const OPTS = { maxFrameBytes: 65536, maxRecords: 64 };

/** A legacy frame from a fake 0.0.15 peer 127.0.0.9:9 with BroadcastID seqno `seqno`. */
function rawFrame(id: string, seqno: number, distribution: { ip: string; port: number }[] = []) {
  const current = { ip: "127.0.0.9", port: 9, seqno };
  return legacyCodec({ key: KEY, nextSeqno: () => seqno }).encode(
    { current, seen: [], other: [], distribution },
    [{
      typeTag: typeTag("test.msg"),
      origin: current,
      payload: enc.encode(JSON.stringify({ id })),
    }],
    OPTS,
  )[0];
}

async function legacyNode(extra: Record<string, unknown> = {}) {
  const node = await startNode({
    address: "127.0.0.1",
    port: 0,
    multicast: false,
    profile: "legacy",
    key: KEY,
    ...extra,
  });
  const got = new Map<string, number>();
  node.register(jsonType<{ id: string }>("test.msg", (v) => {
    got.set(v.id, (got.get(v.id) ?? 0) + 1);
  }));
  return { node, got };
}

Deno.test("[R-NODE-LEGACY-001] to a legacy peer: one frame per TCP connection, in one write, then close", async () => {
  const { node } = await legacyNode();
  const peer = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const streams: Uint8Array[] = [];
  const accepting = (async () => {
    for await (const conn of peer) {
      const parts: Uint8Array[] = [];
      const buf = new Uint8Array(65536);
      for (;;) {
        const n = await conn.read(buf).catch(() => null);
        if (n === null) break;
        parts.push(buf.slice(0, n));
      }
      conn.close();
      const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
      let o = 0;
      for (const p of parts) all.set(p, (o += p.length) - p.length);
      streams.push(all);
    }
  })();
  try {
    const to = [{ ip: "127.0.0.1", port: (peer.addr as Deno.NetAddr).port }];
    // Five broadcasts in one task: a reusing, coalescing sender would put them in one stream.
    for (let i = 0; i < 5; i++) node.broadcast(to, "test.msg", { id: `m${i}` });
    await waitFor(() => streams.length === 5, "five connections, each closed by the node");
    const decoder = legacyCodec({ key: KEY, nextSeqno: () => 0 });
    const ids = streams.map((s) => {
      // Exactly one whole frame per connection: what 0.0.15's one-read-one-frame decoder needs.
      assert.equal(legacyFrameLength(s, 0), s.length);
      return JSON.parse(new TextDecoder().decode(decoder.decode(s, "tcp").records[0].payload)).id;
    });
    assert.deepEqual(ids.sort(), ["m0", "m1", "m2", "m3", "m4"]);
  } finally {
    await node.close();
    peer.close();
    await accepting;
  }
});

Deno.test("[R-NODE-LEGACY-002] a node never writes on a connection it accepted (0.0.15 stops on any inbound byte)", async () => {
  for (const profile of ["legacy", "v2"] as const) {
    const { node, got } = await legacyNode(
      // The v2 side has a v2 key of its own; `key` stays the legacy text key. [R-NODE-KEY-002]
      profile === "v2"
        ? { profile, acceptProfiles: ["v2", "legacy"], keyring: [{ id: 0, key: generateV2Key() }] }
        : { profile },
    );
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: node.id.port });
      // 0.0.15 reuses its outgoing connection for later frames: both are served.
      await conn.write(rawFrame("w1", 1, [{ ip: "127.0.0.1", port: 1 }]));
      await conn.write(rawFrame("w2", 2));
      await waitFor(() => got.has("w1") && got.has("w2"), `${profile}: both frames delivered`);
      await conn.closeWrite();
      // The node closes its side at our end of stream without having sent a single byte.
      const n = await conn.read(new Uint8Array(64)).catch(() => null);
      assert.equal(n, null, `${profile}: no byte written back`);
      conn.close();
    } finally {
      await node.close();
    }
  }
});

Deno.test("[R-NODE-DEDUP-003] legacy: a restarted 0.0.15 peer (seqnos from 1 again) is delivered again", async () => {
  const { node, got } = await legacyNode({ legacyDedupMs: 200 });
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: node.id.port });
    try {
      // (Merging the multicast and the TCP copy of one send, and restarts inside the memory
      // time: legacy_live_defects_test.ts, R-NODE-LEGACY-005.)
      await conn.write(rawFrame("before-restart", 1));
      for (let s = 2; s <= 50; s++) await conn.write(rawFrame(`old-${s}`, s));
      await waitFor(() => got.has("old-50"), "the first run's frames");
      assert.equal(got.get("before-restart"), 1);
      await new Promise((r) => setTimeout(r, 300));
      // The peer restarted: its seqnos start at 1 again, far below its newest (50).
      await conn.write(rawFrame("after-restart", 1));
      await conn.write(rawFrame("after-restart-2", 2));
      await waitFor(() => got.has("after-restart") && got.has("after-restart-2"), "after restart");
      assert.equal(node.stats().tooOld, 0);
    } finally {
      conn.close();
    }
  } finally {
    await node.close();
  }
});

Deno.test("[R-NODE-DEDUP-003] time-bounded dedup window: duplicates within the time, nothing is old", () => {
  let now = 1000;
  const d = new DedupWindow(64, 8, { ttlMs: 100, now: () => now });
  const id = (seqno: number) => ({ ip: "10.0.0.1", port: 1, seqno });
  for (let s = 1; s <= 200; s++) assert.equal(d.check(id(s), "udp"), "new");
  assert.equal(d.check(id(200), "tcp"), "duplicate");
  assert.equal(d.check(id(1), "udp"), "new", "far behind the newest is not 'old' in timed mode");
  now += 100;
  assert.equal(d.check(id(1), "tcp"), "new", "forgotten after ttlMs");
  // The untimed window keeps its 'old' rule.
  const u = new DedupWindow(64, 8);
  for (let s = 1; s <= 200; s++) u.check(id(s));
  assert.equal(u.check(id(1)), "old");
});

Deno.test("[R-NODE-KEY-001] legacy defaults to 0.0.15's key; v2 refuses to start without a key", async () => {
  assert.equal(DEFAULT_KEY, "01234567890123456789012345678901");
  const o = resolveNodeOptions({ address: "127.0.0.1", profile: "legacy" });
  assert.deepEqual(o.key, enc.encode("01234567890123456789012345678901"));
  await assert.rejects(
    () => startNode({ address: "127.0.0.1", port: 0, multicast: false }),
    /option key: .*v2 profile has no default key/,
  );
  const hex = generateV2Key();
  const ring = resolveNodeOptions({ address: "127.0.0.1", keyring: [{ id: 3, key: hex }] });
  assert.deepEqual(ring.key, parseV2Key(hex));
  // 0.1's 32-character text keys are refused for v2, with a way to make a key.
  assert.throws(
    () => resolveNodeOptions({ address: "127.0.0.1", keyring: [{ id: 3, key: "k".repeat(32) }] }),
    (e: unknown) => e instanceof KeyError && e.code === "KEY_INVALID" && /keygen/.test(e.message),
  );
});
