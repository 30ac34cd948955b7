/**
 * The four defects found by running Elixir Chatter 0.0.15 against Deno nodes (issue 14), each
 * on real loopback sockets (spec/node.md, "Legacy interop": R-NODE-LEGACY-003..006):
 * one BroadcastID per forwarded send, the legacy datagram limit, restart detection, and empty
 * payloads. A fake 0.0.15 peer sends as 0.0.15 does: each broadcast once by multicast, then once
 * by TCP on a connection it keeps, with sequence numbers 1, 2, 3, ... from its start.
 */
import assert from "node:assert/strict";
import { EncodeError, jsonType, type NetId, startNode, textType } from "../../mod.ts";
import { DedupWindow } from "../../src/node/dedup.ts";
import { legacyCodec } from "../../src/node/legacy_codec.ts";
import { resolveNodeOptions } from "../../src/node/options.ts";
import { typeTag } from "../../src/wire/xxhash32.ts";
import { netCluster, quiet, randomMulticast, waitFor } from "./_net_cluster.ts";

const enc = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Random hex text: snappy cannot shrink it much, so its frame is about its length. */
function randomHex(chars: number): string {
  const b = crypto.getRandomValues(new Uint8Array(Math.ceil(chars / 2)));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("").slice(0, chars);
}

/** A fake Elixir Chatter 0.0.15 node: NetID `id`, sequence numbers from 1 at every start. */
class FakeLegacyPeer {
  readonly id: NetId;
  #seqno = 0;
  readonly #key: string;
  readonly #udp?: Deno.DatagramConn;
  readonly #group?: { hostname: string; port: number; transport: "udp" };
  #tcp?: Deno.TcpConn;
  readonly #tcpPort?: number;

  constructor(
    key: string,
    id: NetId,
    to: { multicast?: { group: string; port: number }; tcpPort?: number },
  ) {
    this.#key = key;
    this.id = id;
    if (to.multicast) {
      this.#udp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
      this.#group = { hostname: to.multicast.group, port: to.multicast.port, transport: "udp" };
    }
    this.#tcpPort = to.tcpPort;
  }

  /** One 0.0.15 broadcast of `{id}` as type `test.msg`: multicast first, then TCP. */
  async send(msgId: string): Promise<void> {
    const current = { ...this.id, seqno: ++this.#seqno };
    const frame = legacyCodec({ key: this.#key, nextSeqno: () => 0 }).encode(
      { current, seen: [], other: [], distribution: [] },
      [{ typeTag: typeTag("test.msg"), origin: current, payload: enc.encode(`{"id":"${msgId}"}`) }],
      { maxFrameBytes: 65536, maxRecords: 1 },
    )[0];
    if (this.#udp) await this.#udp.send(frame, this.#group!);
    if (this.#tcpPort !== undefined) {
      this.#tcp ??= await Deno.connect({ hostname: "127.0.0.1", port: this.#tcpPort });
      await this.#tcp.write(frame);
    }
  }

  close(): void {
    this.#udp?.close();
    this.#tcp?.close();
  }
}

/** A legacy node on 127.0.0.1 counting deliveries of `test.msg` by id (and how they came). */
async function legacyReceiver(key: string, extra: Record<string, unknown> = {}) {
  const mc = randomMulticast();
  const node = await startNode({
    address: "127.0.0.1",
    port: 0,
    profile: "legacy",
    key,
    multicastGroup: mc.group,
    multicastPort: mc.port,
    multicastInterface: "127.0.0.1",
    ...extra,
  });
  const got = new Map<string, number>();
  const via = new Map<string, string>();
  node.register(jsonType<{ id: string }>("test.msg", (v, meta) => {
    got.set(v.id, (got.get(v.id) ?? 0) + 1);
    via.set(v.id, meta.transport);
  }));
  return { node, got, via, mc };
}

Deno.test("[R-NODE-LEGACY-003] a relay stamps every copy of one forward with one BroadcastID: three nodes in one domain and a relay deliver each message once", async () => {
  const domain = await netCluster(4, { profile: "legacy" });
  const origin = await netCluster(1, { profile: "legacy", key: domain.key });
  const all = [...domain.ids, ...origin.ids];
  const both = { ...domain, nodes: [...domain.nodes, ...origin.nodes] };
  try {
    // Warm-up: the domain's nodes hear each other's multicast, learn that the others hear them,
    // and tell the origin (by TCP) whom they hear, so the origin sees one domain.
    let round = 0;
    const everyoneHeard = () =>
      domain.nodes.every((a) => domain.ids.every((b) => b === a.id || a.hearsUs(b)));
    while (!everyoneHeard()) {
      assert.ok(++round <= 50, "the domain's nodes did not learn that they hear each other");
      for (const n of domain.nodes) n.broadcast(all, "test.msg", { id: `warm-${round}` });
      await sleep(50);
    }
    // Domain-mates may count each other as hearing after one round (R-NODE-SCALE-004: the
    // domain is the connected component); two more rounds let the origin learn the domain too.
    for (const last of ["warm-last", "warm-last-2"]) {
      for (const n of domain.nodes) n.broadcast(all, "test.msg", { id: last });
      await quiet(both);
    }
    const before = domain.got.map((g) => new Map(g));
    const tcpBefore = origin.nodes[0].stats().tcp.framesOut;
    const dupsBefore = domain.nodes.reduce((t, n) => t + n.stats().duplicates, 0);

    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const id = `fwd-${i}`;
      ids.push(id);
      origin.nodes[0].broadcast(domain.ids, "test.msg", { id });
      await sleep(10);
    }
    await waitFor(
      () => domain.got.every((g) => ids.every((id) => g.has(id))),
      "every message at every node of the domain",
    );
    await quiet(both);
    await sleep(300); // stragglers (a second copy) have time to arrive
    // The origin saw one domain: one TCP frame per message, to the relay of the whole domain.
    assert.equal(origin.nodes[0].stats().tcp.framesOut - tcpBefore, ids.length);
    for (const [n, g] of domain.got.entries()) {
      for (const id of ids) {
        assert.equal(g.get(id), 1, `node ${n} delivered ${id} ${g.get(id)} times`);
      }
      assert.equal(g.size - before[n].size, ids.length);
    }
    // The relays merged the multicast and the TCP copy of their forward at the kept destination.
    const dups = domain.nodes.reduce((t, n) => t + n.stats().duplicates, 0) - dupsBefore;
    assert.ok(dups >= ids.length, `${dups} copies merged`);
  } finally {
    await domain.close();
    await origin.close();
  }
});

Deno.test("[R-NODE-LEGACY-003] a forwarded record keeps its number across encodes; each forwarded record gets its own", () => {
  let n = 100;
  const codec = legacyCodec({ key: "k", nextSeqno: () => ++n });
  const me = { ip: "127.0.0.1", port: 1, seqno: 7 };
  const them = { ip: "127.0.0.2", port: 2, seqno: 1 };
  const rec = (origin: typeof me) => ({ typeTag: 1, origin, payload: new Uint8Array([1]) });
  const own = rec(me), a = rec(them), b = rec(them);
  const g = { current: me, seen: [], other: [], distribution: [] };
  const o = { maxFrameBytes: 65536, maxRecords: 8 };
  const seqnos = (frames: Uint8Array[]) =>
    frames.map((f) => codec.decode(f, "tcp").gossip.current.seqno);
  const udp = seqnos(codec.encode(g, [own, a, b], o));
  const tcp1 = seqnos(codec.encode({ ...g, distribution: [them] }, [own, a, b], o));
  const tcp2 = seqnos(codec.encode(g, [own, a, b], o));
  assert.deepEqual(udp, [7, 101, 102]);
  assert.deepEqual(tcp1, udp);
  assert.deepEqual(tcp2, udp);
});

Deno.test("[R-NODE-LEGACY-004] legacy datagram limit: default 8192 (what 0.0.15 reads), v2 keeps 1400, configurable to 65,507", () => {
  assert.equal(
    resolveNodeOptions({ address: "127.0.0.1", profile: "legacy" }).maxDatagramBytes,
    8192,
  );
  assert.equal(
    resolveNodeOptions({ address: "127.0.0.1", key: "k".repeat(32) }).maxDatagramBytes,
    1400,
  );
  assert.equal(
    resolveNodeOptions({ address: "127.0.0.1", profile: "legacy", maxDatagramBytes: 65_507 })
      .maxDatagramBytes,
    65_507,
  );
  assert.throws(
    () => resolveNodeOptions({ address: "127.0.0.1", profile: "legacy", maxDatagramBytes: 65_508 }),
    { code: "OPTION_INVALID" },
  );
});

Deno.test("[R-NODE-LEGACY-004] a legacy frame over 1400 bytes is multicast (0.0.15 receives only by multicast); one over the limit throws MESSAGE_TOO_LARGE at once", async () => {
  const c = await netCluster(2, { profile: "legacy" });
  const via = new Map<string, string>();
  c.nodes[1].register(jsonType<{ id: string; pad?: string }>("test.big", (v, m) => {
    via.set(v.id, m.transport);
  }));
  c.nodes[0].register(jsonType("test.big"));
  try {
    // 5,000 bytes: over v2's 1400, under the legacy default. The only destination is a node
    // that does not (yet) hear us, so it also gets a TCP copy; the multicast copy must exist.
    const before = c.nodes[0].stats();
    c.nodes[0].broadcast([c.ids[1]], "test.big", { id: "mid", pad: randomHex(5000) });
    await waitFor(() => via.has("mid"), "the 5 KB message");
    await waitFor(() => c.nodes[1].stats().udp.framesIn >= 1, "its multicast copy");
    const after = c.nodes[0].stats();
    assert.equal(after.multicastTooLarge, before.multicastTooLarge);
    assert.equal(after.udp.framesOut - before.udp.framesOut, 1);

    // 9,000 bytes: over what 0.0.15 reads, so no 0.0.15 node could ever get it.
    const big = { id: "big", pad: randomHex(9000) };
    assert.throws(
      () => c.nodes[0].broadcast([c.ids[1]], "test.big", big),
      (e: unknown) =>
        e instanceof EncodeError && e.code === "MESSAGE_TOO_LARGE" && /0\.0\.15/.test(e.message),
    );
    await sleep(200);
    const late = c.nodes[0].stats();
    assert.equal(late.broadcasts, after.broadcasts, "a refused broadcast is not counted as sent");
    assert.equal(late.udp.framesOut, after.udp.framesOut);
    assert.equal(late.tcp.framesOut, after.tcp.framesOut);
    assert.ok(!via.has("big"));
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-LEGACY-004] with maxDatagramBytes 65507 a 60 KB legacy frame goes by multicast and is received", async () => {
  const c = await netCluster(2, { profile: "legacy", maxDatagramBytes: 65_507, multicast: true });
  const via = new Map<string, string>();
  c.nodes[1].register(
    jsonType<{ id: string }>("test.big", (v, m) => void via.set(v.id, m.transport)),
  );
  c.nodes[0].register(jsonType("test.big"));
  try {
    // The receiver also gets a TCP copy (it does not hear us yet); the datagram counters show
    // that the 60 KB multicast copy arrived.
    c.nodes[0].broadcast([c.ids[1]], "test.big", { id: "huge", pad: randomHex(60_000) });
    await waitFor(() => c.nodes[1].stats().udp.framesIn >= 1, "the 60 KB datagram");
    await waitFor(() => via.has("huge"), "the 60 KB message");
    assert.ok(c.nodes[1].stats().udp.bytesIn > 50_000); // snappy shrinks hex text a little
    assert.equal(c.nodes[0].stats().multicastTooLarge, 0);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-LEGACY-005] a 0.0.15 peer restarted 1 s later (seqnos from 1 again): all its new messages arrive, once each", async () => {
  const key = "legacy restart test key 32 byte!";
  for (const k of [3, 50]) {
    const r = await legacyReceiver(key);
    const id = { ip: "127.0.0.9", port: 9 };
    const to = { multicast: r.mc, tcpPort: r.node.id.port };
    try {
      const first = new FakeLegacyPeer(key, id, to);
      const old = Array.from({ length: k }, (_, i) => `k${k}-run1-${i}`);
      for (const m of old) await first.send(m);
      await waitFor(() => old.every((m) => r.got.has(m)), `run 1 (${k} messages)`);
      await sleep(100);
      first.close();
      for (const m of old) assert.equal(r.got.get(m), 1, `${m}: multicast and TCP copy merged`);
      await sleep(1000); // well inside the 5 s legacy duplicate memory
      const second = new FakeLegacyPeer(key, id, to);
      const fresh = Array.from({ length: k }, (_, i) => `k${k}-run2-${i}`);
      for (const m of fresh) await second.send(m);
      try {
        await waitFor(() => fresh.every((m) => r.got.has(m)), `run 2 (${k} messages)`, 3000);
      } finally {
        second.close();
      }
      await sleep(100);
      for (const m of fresh) assert.equal(r.got.get(m), 1, `${m} delivered once`);
      assert.ok(r.node.stats().legacyRestarts >= 1);
    } finally {
      await r.node.close();
    }
  }
});

Deno.test("[R-NODE-LEGACY-005] a restarted peer heard by TCP only (no multicast) is heard again too", async () => {
  const key = "legacy restart test key 32 byte!";
  const r = await legacyReceiver(key, { multicast: false });
  const id = { ip: "127.0.0.9", port: 9 };
  try {
    const first = new FakeLegacyPeer(key, id, { tcpPort: r.node.id.port });
    for (let i = 0; i < 5; i++) await first.send(`tcp-run1-${i}`);
    await waitFor(() => r.got.has("tcp-run1-4"), "run 1");
    first.close();
    await sleep(1000);
    const second = new FakeLegacyPeer(key, id, { tcpPort: r.node.id.port });
    for (let i = 0; i < 5; i++) await second.send(`tcp-run2-${i}`);
    try {
      await waitFor(() => r.got.size === 10, "run 2", 3000);
    } finally {
      second.close();
    }
  } finally {
    await r.node.close();
  }
});

Deno.test("[R-NODE-LEGACY-005] restart detection: same-transport repeat and far-below clear the peer; late copies of a burst are still merged", () => {
  let now = 0;
  const d = new DedupWindow(64, 8, { ttlMs: 5000, now: () => now });
  const id = (seqno: number, port = 1) => ({ ip: "10.0.0.1", port, seqno });
  // A burst: every multicast copy first, the TCP copies late. All merged, no restart.
  for (let s = 1; s <= 60; s++) assert.equal(d.check(id(s), "udp"), "new");
  for (let s = 1; s <= 60; s++) assert.equal(d.check(id(s), "tcp"), "duplicate");
  assert.equal(d.restarts, 0);
  // The same identity again by a transport that brought it: a restart; the old run forgotten.
  now = 1000;
  assert.equal(d.check(id(1), "udp"), "new");
  assert.equal(d.restarts, 1);
  assert.equal(d.check(id(2), "tcp"), "new", "the old run's 2 is forgotten");
  assert.equal(d.check(id(2), "udp"), "duplicate", "the new run's copies merge");
  // Far below the newest (a window or more) and not remembered: a restart.
  for (let s = 3; s <= 200; s++) d.check(id(s), "udp");
  assert.equal(d.check(id(100), "udp"), "new");
  assert.equal(d.restarts, 2);
  // Other peers are not disturbed.
  assert.equal(d.check(id(5, 2), "udp"), "new");
  assert.equal(d.check(id(5, 2), "tcp"), "duplicate");
});

Deno.test("[R-NODE-LEGACY-006] legacy broadcast refuses an empty payload (0.0.15 cannot decode it); v2 sends it", async () => {
  const legacy = await netCluster(2, { profile: "legacy" });
  try {
    for (const n of legacy.nodes) n.register(textType("test.text"));
    const before = legacy.nodes[0].stats();
    assert.throws(
      () => legacy.nodes[0].broadcast([legacy.ids[1]], "test.text", ""),
      (e: unknown) =>
        e instanceof EncodeError && e.code === "ENCODE_FAILED" && /0\.0\.15/.test(e.message) &&
        e.typeName === "test.text",
    );
    // To itself only: refused too (the rule is about the message, not the route).
    assert.throws(
      () => legacy.nodes[0].broadcast([legacy.ids[0]], "test.text", ""),
      { code: "ENCODE_FAILED" },
    );
    // One byte is fine.
    legacy.nodes[0].broadcast([legacy.ids[1]], "test.text", "x");
    await quiet(legacy);
    const after = legacy.nodes[0].stats();
    assert.equal(after.broadcasts - before.broadcasts, 1);
  } finally {
    await legacy.close();
  }
  const v2 = await netCluster(2, { profile: "v2" });
  try {
    const got: string[] = [];
    v2.nodes[0].register(textType("test.text"));
    v2.nodes[1].register(textType("test.text", (t) => void got.push(t)));
    v2.nodes[0].broadcast([v2.ids[1]], "test.text", "");
    await waitFor(() => got.length >= 1, "the empty v2 message");
    assert.equal(got[0], "");
  } finally {
    await v2.close();
  }
});
