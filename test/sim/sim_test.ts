/**
 * The simulator (`deno task sim`) on small networks: real nodes on the timed twin deliver
 * every broadcast, its depth and time figures follow the latencies, and shares stay inside
 * the receivers' limits. [R-NODE-SCALE-002], [R-NODE-SCALE-003]
 */
import assert from "node:assert/strict";
import { type SimConfig, simulate, summarize } from "../../sim/main.ts";

const base: SimConfig = {
  nodes: 64,
  domains: 8,
  broadcasts: 6,
  seed: 3,
  loss: 0,
  kill: 0,
  payloadBytes: 16,
  nodeOptions: {},
  sealed: false,
  rateMbps: 1000,
  warmup: 2,
  warmupDests: 1,
};

Deno.test("sim: 64 nodes in 8 domains, every broadcast reaches every node; times follow the hops", async () => {
  const res = await simulate(base);
  for (const r of res.rows) {
    assert.equal(r.delivered, r.live, `broadcast ${r.i}`);
    assert.equal(r.rejected, 0);
    assert.ok(r.tcpDepth >= 1);
    // Each TCP hop costs at least 1 ms of latency.
    assert.ok(r.lastDeliveryMs >= r.tcpDepth * 1, `${r.lastDeliveryMs} ms for depth ${r.tcpDepth}`);
  }
  const s = summarize(res);
  assert.equal(s.delivered, 1);
});

Deno.test("[R-NODE-SCALE-002] sim: 300 one-node domains with a 64-entry table limit: nothing rejected, all delivered", async () => {
  const res = await simulate({
    ...base,
    nodes: 300,
    domains: 300,
    broadcasts: 2,
    warmup: 0,
    nodeOptions: { limits: { maxTableEntries: 64 } },
  });
  for (const r of res.rows) {
    assert.equal(r.rejected, 0);
    assert.equal(r.delivered, r.live);
  }
});

Deno.test("sim: killed nodes are not destinations that count; the live ones still receive", async () => {
  const res = await simulate({ ...base, kill: 0.1 });
  for (const r of res.rows) {
    assert.equal(r.live, 64 - 1 - Math.round(0.1 * 64));
    assert.equal(r.delivered, r.live, `broadcast ${r.i}`);
  }
});

Deno.test("[R-NODE-SCALE-006] [R-NODE-SCALE-007] sim: 512 nodes in 64 subnets of 8: TCP frames ≤ 1.25 × (K − 1), depth ≤ ⌈log2 K⌉ + 2, ≤ 2 copies per node", async () => {
  const res = await simulate({ ...base, nodes: 512, domains: 64, broadcasts: 4, warmup: 1 });
  const s = summarize(res);
  assert.equal(s.minDelivered, 1);
  assert.ok(s.tcpFrames <= 1.25 * 63, `${s.tcpFrames} TCP frames per broadcast`);
  assert.ok(s.tcpDepth <= Math.ceil(Math.log2(64)) + 2, `depth ${s.tcpDepth}`);
  assert.ok(s.duplicatesPerNode <= 2);
  assert.equal(s.datagrams, 64, "one datagram per domain");
});

Deno.test("sim: the stripes layout (domains that are not subnets) still delivers everything, at about one TCP frame per node", async () => {
  const res = await simulate({
    ...base,
    nodes: 256,
    domains: 32,
    broadcasts: 2,
    layout: "stripes",
  });
  const s = summarize(res);
  assert.equal(s.minDelivered, 1);
  assert.ok(s.tcpFrames > 1.25 * 31, `${s.tcpFrames}: no subnet keys there`);
});

Deno.test("[R-NODE-REL-001] [R-NODE-REL-003] sim --reliable: 128 nodes in 16 domains at 5 % multicast loss, every broadcast reaches every node; acks and repairs counted apart", async () => {
  const res = await simulate({
    ...base,
    nodes: 128,
    domains: 16,
    broadcasts: 4,
    loss: 0.05,
    reliable: true,
  });
  for (const r of res.rows) {
    assert.equal(r.delivered, r.live, `broadcast ${r.i}`);
    assert.ok(r.ackFrames > 0, "destinations acknowledge");
    assert.ok(r.ctlTcpFrames >= r.ackFrames, "acknowledgements are control frames");
  }
  assert.ok(res.rows.reduce((a, r) => a + r.repairFrames + r.lost, 0) > 0, "loss happened");
  // Without reliable delivery some copies are lost for good.
  const off = await simulate({ ...base, nodes: 128, domains: 16, broadcasts: 4, loss: 0.05 });
  assert.ok(off.rows.some((r) => r.delivered < r.live), "5 % loss without repairs loses some");
  assert.ok(off.rows.every((r) => r.ackFrames === 0));
});

Deno.test("sim --origins: one domain of 256, reliable: each sampled origin learns from its first broadcast's acknowledgements", async () => {
  const res = await simulate({
    ...base,
    nodes: 256,
    domains: 1,
    broadcasts: 8,
    warmup: 0,
    reliable: true,
    origins: 4,
    nodeOptions: { heartbeatMs: 0, maxPeers: 1024 },
  });
  assert.deepEqual(new Set(res.rows.map((r) => r.origin)).size, 4);
  for (const r of res.rows) assert.equal(r.delivered, r.live, `broadcast ${r.i}`);
  for (const r of res.rows.filter((r) => r.originRound >= 1)) {
    assert.equal(r.datagrams, 1, `broadcast ${r.i}`);
    assert.equal(r.tcpFrames, 1, `broadcast ${r.i}: the kept copy only`);
    assert.ok(r.ackFrames >= 255, `broadcast ${r.i}: ${r.ackFrames} acks`);
  }
  const s = summarize(res);
  assert.equal(s.learningBroadcastsMax, 1);
  assert.equal(s.origins, 4);
});

Deno.test("[R-NODE-SCALE-004] sim: domains that are not subnets (stripes), reliable: acknowledgements teach the origin every remote domain in one broadcast", async () => {
  // The acknowledgement frames carry the destinations' seen IDs (their domain-mates): after an
  // origin's first broadcast its shares are grouped by domain, about K − 1 TCP frames.
  const res = await simulate({
    ...base,
    nodes: 192,
    domains: 24,
    layout: "stripes",
    broadcasts: 6,
    warmup: 1,
    reliable: true,
    origins: 2,
    nodeOptions: { heartbeatMs: 0 },
  });
  for (const r of res.rows) assert.equal(r.delivered, r.live, `broadcast ${r.i}`);
  const first = res.rows.filter((r) => r.originRound === 0);
  const later = res.rows.filter((r) => r.originRound >= 1);
  for (const r of first) assert.ok(r.tcpFrames > 100, `first broadcast ${r.i}: ${r.tcpFrames}`);
  for (const r of later) {
    assert.ok(r.tcpFrames <= 1.25 * 23, `broadcast ${r.i}: ${r.tcpFrames} TCP frames`);
    assert.ok(r.ackFrames >= 191, `broadcast ${r.i}: ${r.ackFrames} acknowledgements`);
  }
  assert.equal(summarize(res).learningBroadcastsMax, 1);
});

Deno.test("sim --partition: no frame crosses the cut; the origin's side still gets every broadcast", async () => {
  const res = await simulate({
    ...base,
    partition: 0.25,
    broadcasts: 8,
    reliable: true,
    settleMs: 1000,
  });
  const cut = Math.round(0.25 * 64);
  let fromCutSide = 0;
  for (const r of res.rows) {
    assert.equal(r.crossed, 0, `broadcast ${r.i}: delivered across the partition`);
    assert.equal(r.live + 1 + r.cut, 64, `broadcast ${r.i}: sides`);
    if (r.cut === 64 - cut) fromCutSide++;
    else assert.equal(r.cut, cut);
    assert.equal(r.delivered, r.live, `broadcast ${r.i}: the origin's side`);
  }
  assert.equal(summarize(res).crossedPartition, 0);
  // Some broadcast came from each side (seed 3), so both directions of the cut were tried.
  assert.ok(fromCutSide > 0 && fromCutSide < res.rows.length, `${fromCutSide} from the cut side`);
});
