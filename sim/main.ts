/**
 * `deno task sim`: N real {@linkcode ChatterNode}s (peer database, planner, dedup, relaying:
 * the library's code, unchanged) behind the transport seam on the timed network twin of
 * `sim/net.ts`, with a virtual clock. Prints, per broadcast, TCP frames, multicast datagrams,
 * bytes, TCP depth, time to last delivery, fraction delivered, duplicate copies, with the
 * ideal figures beside them; then a summary with state per node and CPU per delivery.
 *
 * Crypto is off in the simulator only (`sim/plain_codec.ts`, through the transport's
 * `unsealedCodec` hook; `--sealed` turns it back on): frame sizes are those of v2 without
 * compression.
 *
 *     deno task sim --nodes 10000 --domains 1250 --broadcasts 40 --seed 1
 *     deno task sim --nodes 2048 --domains 256 --loss 0.05 --json
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ChatterNode, jsonType, NodeOptionError, type NodeOptions } from "../mod.ts";
import { seededRandom } from "../src/node/random.ts";
import type { NetId } from "../src/wire/netid.ts";
import { SimNetwork } from "./net.ts";
import { numberArg, usageError } from "../bench/_args.ts";

/** Parameters of one simulation. */
export interface SimConfig {
  /** Nodes. */
  nodes: number;
  /** Multicast domains: node i is in domain i % domains. */
  domains: number;
  /**
   * Addresses (default "blocks"): each domain is an aligned IP subnet of its own (a block of
   * 2^b addresses, as a LAN segment is); "stripes": node i has address 10.0.0.0 + i, so
   * domains are not subnets (the layout of the first simulator runs).
   */
  layout?: "blocks" | "stripes";
  /**
   * Give every node its domain's subnet prefix length (option `subnetPrefixLength`, blocks
   * layout only; default true). [R-NODE-SCALE-006]
   */
  subnet?: boolean;
  /** Broadcasts, one after the other, from random live origins to every node. */
  broadcasts: number;
  /** Seed of every random choice. */
  seed: number;
  /** Multicast loss. */
  loss: number;
  /** Fraction of nodes killed before the first broadcast. */
  kill: number;
  /** Virtual milliseconds between broadcasts (default 1000 / nodes: one per node per second). */
  gapMs?: number;
  /** Payload bytes per message. */
  payloadBytes: number;
  /** Node options passed through (maxPeers, maxSeenIds, ...). */
  nodeOptions: Partial<NodeOptions>;
  /**
   * Learning rounds before the measured broadcasts: in each, every live node broadcasts once
   * to `warmupDests` random nodes (a cheap way to let 10,000 nodes hear each other).
   */
  warmup: number;
  /** Destinations per warm-up broadcast. */
  warmupDests: number;
  /** Seal frames with real AES-GCM (slow). */
  sealed: boolean;
  /** Uplink rate in Mbit/s. */
  rateMbps: number;
  /**
   * Reliable delivery on (default off in the simulator: it adds one acknowledgement frame per
   * destination per origin; `--reliable` measures that cost). [R-NODE-REL-001]
   */
  reliable?: boolean;
  /**
   * Virtual ms each broadcast is given after its frames settle, timers running (for
   * acknowledgements and repairs; default 0, or 3,000 with `reliable`).
   */
  settleMs?: number;
  /**
   * Sampled origins (default 0: every broadcast from a random live node): only this many nodes,
   * chosen at random, broadcast, in turn; every node still receives (and, with `reliable`,
   * acknowledges). A one-domain network of 10,000 nodes then costs about N deliveries per
   * broadcast instead of the N² of every node broadcasting. What it leaves out: the learning of
   * the nodes that never broadcast (their own first broadcasts are not measured).
   */
  origins?: number;
  /**
   * Fraction of the live nodes cut off in a partition of their own after the warm-up, before
   * the first measured broadcast (default 0): no frame crosses it. A row's `live` then counts
   * the destinations on the origin's side, `cut` those on the other side and `crossed` the
   * deliveries there (0 unless the twin leaks).
   */
  partition?: number;
}

/** Figures of one broadcast. */
export interface BroadcastRow {
  /** Index of the broadcast. */
  i: number;
  /** The origin (node index). */
  origin: number;
  /** How many broadcasts this origin had made before this one (0: its first). */
  originRound: number;
  /** TCP frames sent. */
  tcpFrames: number;
  /** Multicast datagrams sent. */
  datagrams: number;
  /** Bytes sent (TCP and multicast). */
  bytes: number;
  /** Largest TCP hop count of a first delivery. */
  tcpDepth: number;
  /** Virtual ms from the broadcast to its last first delivery. */
  lastDeliveryMs: number;
  /** Live destinations that got it. */
  delivered: number;
  /** Live destinations (on the origin's side of a partition). */
  live: number;
  /** Live destinations on the other side of the partition (0 without `partition`). */
  cut: number;
  /** Deliveries on the other side of the partition (0 unless frames cross it). */
  crossed: number;
  /** Copies received again (dedup hits) over all nodes. */
  duplicates: number;
  /** Frames receivers rejected (e.g. over the table limit). */
  rejected: number;
  /** Multicast copies lost. */
  lost: number;
  /** Wall ms the simulator spent on it. */
  wallMs: number;
  /** Frames handled by nodes. */
  handled: number;
  /**
   * TCP frames caused by timers (acknowledgements, heartbeats, probes, timed repairs), not
   * counted in `tcpFrames`.
   */
  ctlTcpFrames: number;
  /** Datagrams caused by timers, not counted in `datagrams`. */
  ctlDatagrams: number;
  /** Reliable delivery: acknowledgement (control) frames sent. */
  ackFrames: number;
  /** Reliable delivery: repair frames sent. */
  repairFrames: number;
  /** Liveness: TCP heartbeats and probes sent (direct, indirect, relayed). */
  livenessTcp: number;
}

/** Result of a run. */
export interface SimResult {
  /** The parameters. */
  config: SimConfig;
  /** One row per broadcast. */
  rows: BroadcastRow[];
  /** JS heap per node after the run (bytes; includes the simulator's own small share). */
  heapPerNode: number;
  /** Wall ms to start the nodes. */
  setupMs: number;
  /** Wall ms of the warm-up rounds. */
  warmupMs: number;
  /** Wall ms of the measured broadcasts. */
  runMs: number;
  /** Peak resident set size of the simulator process (bytes) at the end of the run. */
  rssBytes: number;
}

/** Address number `a` as 10.x.y.z: distinct addresses for up to 2^24. */
function ipOf(a: number): string {
  return `10.${(a >> 16) & 255}.${(a >> 8) & 255}.${a & 255}`;
}

/**
 * Node `i`'s NetID and its domain's subnet prefix length: in "blocks", domain d = i % K owns
 * the aligned block of 2^b addresses starting at d·2^b (2^b ≥ its size); in "stripes",
 * address i (domains are not subnets: prefix length 0).
 */
export function simAddress(
  i: number,
  nodes: number,
  domains: number,
  layout: "blocks" | "stripes",
): { id: NetId; prefixLength: number } {
  if (layout === "stripes") return { id: { ip: ipOf(i), port: 4000 }, prefixLength: 0 };
  const size = Math.ceil(nodes / domains);
  const b = Math.ceil(Math.log2(Math.max(1, size)));
  const a = (i % domains) * 2 ** b + Math.floor(i / domains);
  return { id: { ip: ipOf(a), port: 4000 }, prefixLength: 32 - b };
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}

/** Run one simulation. */
export async function simulate(
  c: SimConfig,
  onRow?: (r: BroadcastRow) => void,
): Promise<SimResult> {
  const net = new SimNetwork({
    multicastLoss: c.loss,
    random: seededRandom(c.seed * 7919 + 1),
    unsealed: !c.sealed,
    rateBytesPerMs: c.rateMbps * 125,
  });
  gc();
  const heap0 = Deno.memoryUsage().heapUsed;
  const t0 = performance.now();
  const nodes: ChatterNode[] = [];
  const got = new Uint8Array(c.nodes);
  let cur = { delivered: 0, last: 0, depth: 0, start: 0, id: "", crossed: 0 };
  // The side of the partition each node is on (all 0 without `partition`).
  const side = new Uint8Array(c.nodes);
  let originSide = 0;
  // A fixed, non-weak key (the node refuses repeated bytes). [R-NODE-KEY-003]
  const key = "d2903f64e9befad5e42b0d2ae524864752d878b415c16b1568ca451e4cc1957b";
  const layout = c.layout ?? "blocks";
  for (let i = 0; i < c.nodes; i++) {
    const { id, prefixLength } = simAddress(i, c.nodes, c.domains, layout);
    const node = await ChatterNode.start({
      profile: "v2",
      key,
      clock: net.clock,
      random: seededRandom(c.seed * 1_000_003 + i),
      transport: net.transport(id, `d${i % c.domains}`),
      reliable: c.reliable ?? false,
      subnetPrefixLength: (c.subnet ?? true) ? prefixLength : 0,
      ...c.nodeOptions,
    });
    node.register(jsonType<{ id: string; pad: string }>("sim.msg", (v) => {
      if (v.id !== cur.id || got[i]) return;
      got[i] = 1;
      if (side[i] !== originSide) {
        cur.crossed++;
        return;
      }
      cur.delivered++;
      cur.last = Math.max(cur.last, net.now - cur.start);
      cur.depth = Math.max(cur.depth, net.current.tcp);
    }));
    nodes.push(node);
  }
  const setupMs = performance.now() - t0;
  const r = seededRandom(c.seed);
  const dead = new Set<number>();
  const nKill = Math.round(c.kill * c.nodes);
  while (dead.size < nKill) dead.add(Math.floor(r.next() * c.nodes));
  for (const d of dead) net.kill(nodes[d].id);
  const ids = nodes.map((n) => n.id);
  const live = c.nodes - dead.size;
  const gap = c.gapMs ?? 1000 / c.nodes;
  const pad = "p".repeat(c.payloadBytes);
  const rows: BroadcastRow[] = [];
  const tw = performance.now();
  for (let w = 0; w < c.warmup; w++) {
    for (let i = 0; i < c.nodes; i++) {
      if (dead.has(i)) continue;
      const to: NetId[] = [];
      for (let k = 0; k < c.warmupDests; k++) to.push(ids[Math.floor(r.next() * c.nodes)]);
      nodes[i].broadcast(to, "sim.msg", { id: "warmup", pad });
      await Promise.resolve();
      net.advance(gap);
    }
    net.run();
  }
  const warmupMs = performance.now() - tw;
  const livePool = [...Array(c.nodes).keys()].filter((i) => !dead.has(i));
  const nCut = Math.round((c.partition ?? 0) * livePool.length);
  for (let k = 0; k < nCut; k++) {
    const j = k + Math.floor(r.next() * (livePool.length - k));
    [livePool[k], livePool[j]] = [livePool[j], livePool[k]];
    side[livePool[k]] = 1;
    net.partition(nodes[livePool[k]].id, 1);
  }
  const liveOn = [livePool.length - nCut, nCut];
  const totals = () => {
    const t = { dups: 0, acks: 0, repairs: 0, live: 0 };
    for (const n of nodes) {
      const s = n.stats();
      t.dups += s.duplicates;
      t.acks += s.reliable.ackFrames;
      t.repairs += s.reliable.repairFrames;
      const l = s.liveness;
      t.live += l.heartbeatsTcp + l.probes + l.indirectProbes + l.probesRelayed;
    }
    return t;
  };
  let tot = totals();
  const settle = c.settleMs ?? (c.reliable ? 3000 : 0);
  // Sampled origins: chosen once, at random among the live nodes, then taking turns.
  const sampled: number[] = [];
  const want = Math.min(c.origins ?? 0, live);
  while (sampled.length < want) {
    const o = Math.floor(r.next() * c.nodes);
    if (!dead.has(o) && !sampled.includes(o)) sampled.push(o);
  }
  const rounds = new Map<number, number>();
  const tr = performance.now();
  for (let b = 0; b < c.broadcasts; b++) {
    let o: number;
    if (sampled.length > 0) o = sampled[b % sampled.length];
    else do o = Math.floor(r.next() * c.nodes); while (dead.has(o));
    const originRound = rounds.get(o) ?? 0;
    rounds.set(o, originRound + 1);
    got.fill(0);
    const k0 = { ...net.counters };
    const w0 = performance.now();
    cur = { delivered: 0, last: 0, depth: 0, start: net.now, id: `b${b}`, crossed: 0 };
    originSide = side[o];
    got[o] = 1; // the origin is not counted as a destination
    nodes[o].broadcast(ids, "sim.msg", { id: cur.id, pad });
    await Promise.resolve();
    await Promise.resolve();
    net.run();
    if (settle > 0) {
      net.advance(settle);
      net.run();
    }
    const k = net.counters;
    const d = totals();
    const ctlTcp = k.ctlTcpFrames - k0.ctlTcpFrames;
    const ctlDg = k.ctlDatagrams - k0.ctlDatagrams;
    const row: BroadcastRow = {
      i: b,
      origin: o,
      originRound,
      tcpFrames: k.tcpFrames - k0.tcpFrames - ctlTcp,
      datagrams: k.datagrams - k0.datagrams - ctlDg,
      bytes: k.tcpBytes - k0.tcpBytes + k.datagramBytes - k0.datagramBytes,
      tcpDepth: cur.depth,
      lastDeliveryMs: cur.last,
      delivered: cur.delivered,
      live: liveOn[originSide] - 1,
      cut: liveOn[1 - originSide],
      crossed: cur.crossed,
      duplicates: d.dups - tot.dups,
      rejected: k.rejected - k0.rejected,
      lost: k.lost - k0.lost,
      wallMs: performance.now() - w0,
      handled: k.handled - k0.handled,
      ctlTcpFrames: ctlTcp,
      ctlDatagrams: ctlDg,
      ackFrames: d.acks - tot.acks,
      repairFrames: d.repairs - tot.repairs,
      livenessTcp: d.live - tot.live,
    };
    tot = d;
    rows.push(row);
    onRow?.(row);
    net.advance(gap);
  }
  const runMs = performance.now() - tr;
  gc();
  const mem = Deno.memoryUsage();
  const heapPerNode = (mem.heapUsed - heap0) / c.nodes;
  for (const n of nodes) await n.close();
  return { config: c, rows, heapPerNode, setupMs, warmupMs, runMs, rssBytes: mem.rss };
}

/** Mean of `f` over rows. */
function mean(rows: BroadcastRow[], f: (r: BroadcastRow) => number): number {
  return rows.length === 0 ? 0 : rows.reduce((a, r) => a + f(r), 0) / rows.length;
}

/**
 * Per origin, how many of its broadcasts it took to learn: the number of its broadcasts before
 * the first one from which on every one of its broadcasts cost at most `maxDatagrams`
 * datagrams and `maxTcp` data TCP frames and reached every live destination (-1: never within
 * the run). The summary uses the issue's targets: 3 and 3 in one domain, K datagrams and
 * 1.25 × (K − 1) TCP frames in K domains.
 */
export function learningRounds(
  rows: readonly BroadcastRow[],
  maxDatagrams = 3,
  maxTcp = 3,
): Map<number, number> {
  const by = new Map<number, BroadcastRow[]>();
  for (const r of rows) {
    const l = by.get(r.origin);
    if (l) l.push(r);
    else by.set(r.origin, [r]);
  }
  const out = new Map<number, number>();
  for (const [o, l] of by) {
    let from = -1;
    for (let k = l.length - 1; k >= 0; k--) {
      const r = l[k];
      if (r.datagrams > maxDatagrams || r.tcpFrames > maxTcp || r.delivered < r.live) break;
      from = k;
    }
    out.set(o, from === -1 ? -1 : l[from].originRound);
  }
  return out;
}

/**
 * The summary after learning as one object: the second half of the run, or with sampled
 * origins every broadcast but each origin's first.
 */
export function summarize(res: SimResult): Record<string, number> {
  const c = res.config;
  const sampled = (c.origins ?? 0) > 0;
  const after = res.rows.filter((r) => r.originRound >= 1);
  const rows = sampled && after.length > 0
    ? after
    : res.rows.slice(Math.floor(res.rows.length / 2));
  const K1 = Math.min(c.domains, c.nodes);
  const learn = [
    ...(K1 <= 1 ? learningRounds(res.rows) : learningRounds(res.rows, K1, 1.25 * (K1 - 1)))
      .values(),
  ];
  const K = Math.min(c.domains, c.nodes);
  const handled = rows.reduce((a, r) => a + r.handled, 0);
  const wall = rows.reduce((a, r) => a + r.wallMs, 0);
  return {
    nodes: c.nodes,
    domains: K,
    broadcastsMeasured: rows.length,
    tcpFrames: mean(rows, (r) => r.tcpFrames),
    idealTcpFrames: K - 1,
    datagrams: mean(rows, (r) => r.datagrams),
    idealDatagrams: K,
    bytes: mean(rows, (r) => r.bytes),
    tcpDepth: Math.max(0, ...rows.map((r) => r.tcpDepth)),
    idealTcpDepth: Math.ceil(Math.log2(Math.max(1, K))),
    lastDeliveryMs: Math.max(0, ...rows.map((r) => r.lastDeliveryMs)),
    delivered: mean(rows, (r) => r.delivered / Math.max(1, r.live)),
    minDelivered: Math.min(...rows.map((r) => r.delivered / Math.max(1, r.live))),
    duplicatesPerNode: mean(rows, (r) => r.duplicates / Math.max(1, r.live)),
    crossedPartition: rows.reduce((a, r) => a + r.crossed, 0),
    rejected: mean(rows, (r) => r.rejected),
    heapPerNodeBytes: Math.round(res.heapPerNode),
    cpuUsPerHandledFrame: handled === 0 ? 0 : (wall * 1000) / handled,
    cpuUsPerDelivery: (wall * 1000) / Math.max(1, rows.reduce((a, r) => a + r.delivered, 0)),
    ctlTcpFrames: mean(rows, (r) => r.ctlTcpFrames),
    ctlDatagrams: mean(rows, (r) => r.ctlDatagrams),
    ackFrames: mean(rows, (r) => r.ackFrames),
    repairFrames: mean(rows, (r) => r.repairFrames),
    livenessTcp: mean(rows, (r) => r.livenessTcp),
    wallMsPerBroadcast: mean(rows, (r) => r.wallMs),
    origins: new Set(res.rows.map((r) => r.origin)).size,
    learningBroadcastsMax: learn.includes(-1) ? -1 : Math.max(0, ...learn),
    learningBroadcastsMean: learn.length === 0 || learn.includes(-1)
      ? -1
      : learn.reduce((a, x) => a + x, 0) / learn.length,
    runMs: Math.round(res.runMs),
    rssMiB: Math.round(res.rssBytes / 2 ** 20),
  };
}

function fmt(n: number, d = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
}

/** `deno task sim --help`: every option, what it does and its default. */
const SIM_USAGE = `deno task sim [options]   (N real nodes on a timed network twin, virtual clock)
  --nodes N           nodes (default 128)
  --domains K         multicast domains; node i is in domain i % K (default 16)
  --broadcasts B      measured broadcasts, one after the other, each from a random live node
                      to every node (default 20)
  --seed S            seed of every random choice (default 1)
  --loss P            multicast loss per copy, 0..1 (default 0)
  --kill F            fraction of nodes killed before the first broadcast, 0..1, leaving at
                      least one alive (default 0)
  --gap-ms MS         virtual ms between broadcasts (default 1000 / nodes)
  --payload BYTES     payload bytes per message (default 16)
  --max-peers N       the nodes' maxPeers option (default: the node's, 1024)
  --seen-ids N        the nodes' maxSeenIds option (default: the node's)
  --rate-mbps R       uplink rate per node in Mbit/s, above 0 (default 1000)
  --warmup ROUNDS     learning rounds first: every live node broadcasts once per round to
                      --warmup-dests random nodes (default 0)
  --warmup-dests D    destinations per warm-up broadcast (default 1)
  --dedup-window W    the nodes' dedupWindow option (default: the node's)
  --reliable          reliable delivery on (default off in the simulator)
  --settle-ms MS      virtual ms given to each broadcast after its frames settle, timers
                      running (default 0, or 3000 with --reliable)
  --origins S         only S random nodes broadcast, in turn (default 0: any live node)
  --partition F       fraction of the live nodes cut off in a partition of their own after the
                      warm-up (no frame crosses it); delivered then counts the origin's side,
                      and each row adds the nodes cut off and deliveries across (default 0)
  --heartbeat-ms MS   the nodes' heartbeatMs option (0: liveness off; default: the node's)
  --layout L          blocks: each domain an aligned IP subnet; stripes: node i has address
                      10.0.0.0 + i, domains are not subnets (default blocks)
  --no-subnet         blocks layout without the nodes' subnetPrefixLength
  --sealed            real AES-GCM sealing (slow; default off: crypto is off in the simulator only)
  --json              one JSON object (summary, config, rows) instead of the table
  --quiet             the summary only, no row per broadcast
  --help              this text`;

/** Bounds of the numeric options (default: a number from 0, fractions allowed). */
const SIM_NUMBERS: Record<
  string,
  { min?: number; max?: number; integer?: boolean; positive?: boolean }
> = {
  nodes: { min: 1, integer: true },
  domains: { min: 1, integer: true },
  broadcasts: { integer: true },
  seed: { integer: true },
  loss: { max: 1 },
  kill: { max: 1 },
  partition: { max: 1 },
  payload: { integer: true },
  "max-peers": { min: 1, integer: true },
  "seen-ids": { integer: true },
  "rate-mbps": { positive: true },
  warmup: { integer: true },
  "warmup-dests": { integer: true },
  "dedup-window": { min: 1, integer: true },
  origins: { integer: true },
};

if (import.meta.main) {
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      options: {
        nodes: { type: "string", default: "128" },
        domains: { type: "string", default: "16" },
        broadcasts: { type: "string", default: "20" },
        seed: { type: "string", default: "1" },
        loss: { type: "string", default: "0" },
        kill: { type: "string", default: "0" },
        partition: { type: "string", default: "0" },
        "gap-ms": { type: "string" },
        payload: { type: "string", default: "16" },
        "max-peers": { type: "string" },
        "seen-ids": { type: "string" },
        "rate-mbps": { type: "string", default: "1000" },
        warmup: { type: "string", default: "0" },
        "warmup-dests": { type: "string", default: "1" },
        "dedup-window": { type: "string" },
        reliable: { type: "boolean", default: false },
        layout: { type: "string", default: "blocks" },
        "no-subnet": { type: "boolean", default: false },
        "settle-ms": { type: "string" },
        origins: { type: "string" },
        "heartbeat-ms": { type: "string" },
        sealed: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    });
  } catch (e) {
    usageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(SIM_USAGE);
    Deno.exit(0);
  }
  // Every string option but --layout is a number: a bad one is named, not simulated as NaN
  // (or as a fractional count, or as a run that cannot end).
  for (const [name, value] of Object.entries(v)) {
    if (typeof value !== "string" || name === "layout") continue;
    const spec = SIM_NUMBERS[name] ?? {};
    numberArg(name, value, 0, {
      min: spec.min ?? 0,
      max: spec.max,
      integer: spec.integer ?? false,
    });
    if (spec.positive && Number(value) <= 0) {
      usageError(`--${name} ${JSON.stringify(value)}: expected a number above 0`);
    }
  }
  if (Math.round(Number(v.kill) * Number(v.nodes)) > Number(v.nodes) - 1) {
    usageError(
      `--kill ${JSON.stringify(v.kill)}: kills every one of the ${v.nodes} nodes, ` +
        `leaving no origin (expected a fraction that leaves at least one node alive)`,
    );
  }
  if (v.layout !== "blocks" && v.layout !== "stripes") {
    usageError(`--layout ${JSON.stringify(v.layout)}: expected blocks or stripes`);
  }
  const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  const nodeOptions: Partial<NodeOptions> = {};
  if (v["max-peers"]) nodeOptions.maxPeers = num(v["max-peers"]);
  if (v["seen-ids"]) nodeOptions.maxSeenIds = num(v["seen-ids"]);
  if (v["dedup-window"]) nodeOptions.dedupWindow = num(v["dedup-window"]);
  if (v["heartbeat-ms"] !== undefined) nodeOptions.heartbeatMs = num(v["heartbeat-ms"]);
  const config: SimConfig = {
    nodes: num(v.nodes)!,
    domains: num(v.domains)!,
    broadcasts: num(v.broadcasts)!,
    seed: num(v.seed)!,
    loss: num(v.loss)!,
    kill: num(v.kill)!,
    partition: num(v.partition)!,
    gapMs: num(v["gap-ms"]),
    payloadBytes: num(v.payload)!,
    nodeOptions,
    sealed: v.sealed!,
    rateMbps: num(v["rate-mbps"])!,
    warmup: num(v.warmup)!,
    warmupDests: num(v["warmup-dests"])!,
    reliable: v.reliable!,
    settleMs: num(v["settle-ms"]),
    origins: num(v.origins),
    layout: v.layout === "stripes" ? "stripes" : "blocks",
    subnet: !v["no-subnet"],
  };
  const K = Math.min(config.domains, config.nodes);
  if (!v.json) {
    console.log(
      `sim: ${fmt(config.nodes)} nodes, ${
        fmt(K)
      } domains, loss ${config.loss}, kill ${config.kill}${
        config.partition ? `, partition ${config.partition}` : ""
      }, ` +
        `seed ${config.seed}, crypto ${config.sealed ? "on" : "off (simulator only)"}, ` +
        `reliable ${config.reliable ? "on" : "off"}, layout ${config.layout}${
          config.layout === "blocks" && !config.subnet ? " (no subnet prefix)" : ""
        }`,
    );
    if (!v.quiet) {
      console.log(
        "  #  origin/its#  tcp(ideal)  dgrams(ideal)   bytes  depth(ideal)  last ms  delivered  dups/node  rejected  wall ms  ctl tcp/dgrams  acks  repairs  liveness tcp",
      );
    }
  }
  let res: SimResult;
  try {
    res = await simulate(config, (r) => {
      if (v.json || v.quiet) return;
      console.log(
        `${String(r.i).padStart(3)}  ${String(r.origin).padStart(6)}/${String(r.originRound)}  ${
          fmt(r.tcpFrames).padStart(5)
        }(${fmt(K - 1)})  ` +
          `${fmt(r.datagrams).padStart(6)}(${fmt(K)})  ${fmt(r.bytes).padStart(9)}  ` +
          `${String(r.tcpDepth).padStart(3)}(${Math.ceil(Math.log2(Math.max(1, K)))})  ` +
          `${fmt(r.lastDeliveryMs, 1).padStart(8)}  ${
            fmt((100 * r.delivered) / r.live, 1).padStart(7)
          } %  ` +
          `${fmt(r.duplicates / r.live, 2).padStart(8)}  ${String(r.rejected).padStart(7)}  ${
            fmt(r.wallMs).padStart(7)
          }  ${fmt(r.ctlTcpFrames).padStart(7)}/${fmt(r.ctlDatagrams)}  ${fmt(r.ackFrames)}  ${
            fmt(r.repairFrames)
          }  ${fmt(r.livenessTcp)}${
            config.partition ? `  cut off ${fmt(r.cut)}, delivered across ${fmt(r.crossed)}` : ""
          }`,
      );
    });
  } catch (e) {
    // A node option out of its range (e.g. --max-peers above 2^20): named, not a stack trace.
    if (e instanceof NodeOptionError) usageError(e.message);
    throw e;
  }
  const s = summarize(res);
  if (v.json) console.log(JSON.stringify({ summary: s, config, rows: res.rows }));
  else {
    console.log(
      `after learning (last ${s.broadcastsMeasured}): tcp ${fmt(s.tcpFrames, 1)} (ideal ${
        fmt(s.idealTcpFrames)
      }), datagrams ${fmt(s.datagrams, 1)} (ideal ${fmt(s.idealDatagrams)}), depth ${s.tcpDepth} ` +
        `(ideal ${s.idealTcpDepth}), last delivery ${fmt(s.lastDeliveryMs, 1)} ms, delivered ${
          fmt(100 * s.delivered, 2)
        } % (min ${fmt(100 * s.minDelivered, 2)} %), duplicates/node ${
          fmt(s.duplicatesPerNode, 2)
        }, ${
          config.partition ? `delivered across the partition ${fmt(s.crossedPartition)}, ` : ""
        }` +
        `heap/node ${fmt(s.heapPerNodeBytes / 1024, 1)} KiB, cpu ${
          fmt(s.cpuUsPerHandledFrame, 1)
        } µs/frame, ${fmt(s.cpuUsPerDelivery, 1)} µs/delivery, control tcp ${
          fmt(s.ctlTcpFrames, 1)
        } datagrams ${fmt(s.ctlDatagrams, 1)}, acks ${fmt(s.ackFrames, 1)} repairs ${
          fmt(s.repairFrames, 1)
        } liveness tcp ${fmt(s.livenessTcp, 1)}, ` +
        `setup ${fmt(res.setupMs)} ms, warm-up ${fmt(res.warmupMs)} ms, run ${
          fmt(s.runMs)
        } ms, rss ${fmt(s.rssMiB)} MiB; ${s.origins} origins, learning took ${
          s.learningBroadcastsMax < 0
            ? "more than the run for some origin"
            : `${fmt(s.learningBroadcastsMax)} broadcast(s) per origin (max; mean ${
              fmt(s.learningBroadcastsMean, 2)
            })`
        }`,
    );
  }
}
