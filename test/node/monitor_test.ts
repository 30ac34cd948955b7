/**
 * The monitoring endpoint over real HTTP (spec/node.md [R-NODE-MON-001..002]): `/metrics`
 * parsed by an independent parser of the Prometheus text format, every `stats()` number
 * present under its documented name and type; `/peers` and `/stats` JSON; loopback only; no key.
 */

import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { generateV2Key, startNode } from "../../mod.ts";
import { randomMulticast, waitFor } from "./_net_cluster.ts";

/** The documented name of every numeric leaf of a stats() snapshot (R-NODE-MON-002). */
function expectedMetrics(stats: Record<string, unknown>): Map<string, "COUNTER" | "GAUGE"> {
  const snake = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  const gauges = new Set([
    "peers",
    "liveness.tracked",
    "transport.outgoingOpen",
    "transport.incomingOpen",
    "transport.pendingFrames",
    "transport.multicastReceiveBuffer.requestedBytes",
    "transport.multicastReceiveBuffer.grantedBytes",
  ]);
  const dup = new Set([
    "tcp",
    "udp",
    "queueDrops",
    "multicastDrops",
    "connectFailures",
    "streamErrors",
  ]);
  const traffic: Record<string, string> = {
    framesIn: "frames_received_total",
    bytesIn: "received_bytes_total",
    framesOut: "frames_sent_total",
    bytesOut: "sent_bytes_total",
  };
  const out = new Map<string, "COUNTER" | "GAUGE">();
  const walk = (o: Record<string, unknown>, path: string[]) => {
    for (const [k, v] of Object.entries(o)) {
      const p = [...path, k];
      if (path.length === 0 && k === "decodeErrors") {
        out.set("chatter_decode_errors_total", "COUNTER");
        continue;
      }
      if (path[0] === "transport" && path.length === 1 && dup.has(k)) continue;
      if (path.length === 0 && (k === "tcp" || k === "udp")) {
        for (const t of Object.keys(v as object)) {
          out.set(`chatter_${k === "tcp" ? "tcp" : "multicast"}_${traffic[t]}`, "COUNTER");
        }
        continue;
      }
      if (v !== null && typeof v === "object") walk(v as Record<string, unknown>, p);
      else if (typeof v === "number") {
        const g = gauges.has(p.join("."));
        out.set(`chatter_${p.map(snake).join("_")}${g ? "" : "_total"}`, g ? "GAUGE" : "COUNTER");
      }
    }
  };
  walk(stats, []);
  for (
    const g of [
      "chatter_info",
      "chatter_peer_states",
      "chatter_peer_up",
      "chatter_peer_last_heard_seconds",
    ]
  ) {
    out.set(g, "GAUGE");
  }
  return out;
}

Deno.test("[R-NODE-MON-001] [R-NODE-MON-002] /metrics parses as Prometheus text with every stats() number; /peers and /stats are JSON", async () => {
  const mc = randomMulticast();
  const key = generateV2Key();
  const opts = {
    address: "127.0.0.1",
    port: 0,
    multicastGroup: mc.group,
    multicastPort: mc.port,
    multicastInterface: "127.0.0.1",
    key,
    heartbeatMs: 200,
  };
  const a = await startNode({ ...opts, monitor: "127.0.0.1:0" });
  const b = await startNode(opts);
  try {
    await waitFor(() => a.peers().some((p) => p.port === b.id.port), "a hears b", 10_000);
    const base = `http://${a.monitorAddress}`;
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const families = parsePrometheusTextFormat(text) as {
      name: string;
      type: string;
      metrics: { value?: string; labels?: Record<string, string> }[];
    }[];
    const byName = new Map(families.map((f) => [f.name, f]));
    const want = expectedMetrics(a.stats() as unknown as Record<string, unknown>);
    const missing: string[] = [];
    for (const [name, type] of want) {
      const f = byName.get(name);
      if (!f) missing.push(name);
      else assert.equal(f.type, type, `${name} type`);
    }
    assert.deepEqual(missing, [], "documented metrics missing from /metrics");
    for (const f of families) assert.match(f.name, /^chatter_[a-z0-9_]+$/, f.name);
    // Per-peer gauges name b.
    const up = byName.get("chatter_peer_up")!;
    assert.ok(
      up.metrics.some((m) => m.labels?.peer === `127.0.0.1:${b.id.port}` && m.value === "1"),
    );
    const states = byName.get("chatter_peer_states")!;
    assert.equal(states.metrics.find((m) => m.labels?.state === "alive")?.value, "1");
    assert.ok(!text.includes(key), "the key never appears");
    // The kernel drop count names its source: under --allow-all on Linux, SO_MEMINFO. [R-NODE-REL-017]
    const drops = byName.get("chatter_transport_multicast_kernel_drops_total")!;
    assert.deepEqual(drops.metrics.map((m) => m.labels?.source), [
      a.stats().transport.multicastKernelDropsSource,
    ]);
    if (Deno.build.os === "linux") assert.equal(drops.metrics[0].labels?.source, "sockopt");

    const peers = await (await fetch(`${base}/peers`)).json();
    assert.equal(peers.self.id, `127.0.0.1:${a.id.port}`);
    const pb = peers.peers.find((p: { port: number }) => p.port === b.id.port);
    assert.equal(pb.state, "alive");
    assert.equal(pb.domain, a.domain, "one multicast domain");
    const stats = await (await fetch(`${base}/stats`)).json();
    assert.ok(stats.liveness.heartbeatsReceived > 0);
    const page = await (await fetch(`${base}/`)).text();
    assert.match(page, /<!doctype html>/);
    assert.ok(!/(src|href)=["']https?:/.test(page), "no external assets");
    const nope = await fetch(`${base}/nope`);
    assert.equal(nope.status, 404);
    await nope.body?.cancel();
    await (await fetch(`${base}/tree`)).body?.cancel();
  } finally {
    await b.close();
    await a.close();
  }
});

Deno.test("[R-NODE-MON-001] monitor binds loopback unless monitorPublic is set", async () => {
  await assert.rejects(
    () =>
      startNode({
        address: "127.0.0.1",
        port: 0,
        multicast: false,
        key: generateV2Key(),
        monitor: "0.0.0.0:0",
      }),
    (e: Error & { code?: string }) => e.code === "OPTION_INVALID" && /monitor/.test(e.message),
  );
});
