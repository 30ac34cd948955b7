/**
 * `chatter cluster`: the chatterbox-style demo. N nodes on loopback (multicast on `lo`) each
 * broadcast random values to all nodes for `sendFor` seconds at `rate` messages/s, then wait
 * `waitFor` seconds; each node reports how many distinct messages it received and a checksum
 * of them, and the survivors must agree. During the wait the demo runs a small repair round
 * (status digests and negative acknowledgements), because Chatter itself guarantees TCP only
 * to one random destination per broadcast and multicast may lose datagrams (`--loss`).
 *
 * @module
 */

import { type ChatterNode, jsonType, type NetId, type NodeStats, startNode } from "../../mod.ts";
import { seededRandom } from "../node/random.ts";
import type { Profile } from "../wire/message.ts";
import { xxhash32 } from "../wire/xxhash32.ts";

/** Options of {@linkcode runCluster}. */
export interface ClusterOptions {
  /** Number of nodes (default 8). */
  nodes: number;
  /** Seconds of sending (default 3). */
  sendFor: number;
  /** Seconds of waiting after sending (default 2). */
  waitFor: number;
  /** Messages per second per node (default 100). */
  rate: number;
  /** Seed for values, trees and kills (default: random). */
  seed: number;
  /** Multicast groups the nodes are split into (default 1). */
  subnets: number;
  /** Fraction of multicast datagrams dropped at receivers (default 0). */
  loss: number;
  /** Nodes killed half way through sending (default 0). */
  kill: number;
  /** Wire profile. */
  profile?: Profile;
  /** Shared key (default: random per run). */
  key?: string;
  /** Called with a progress line about twice a second. */
  progress?: (line: string) => void;
}

/** One node's outcome. */
export interface ClusterNodeResult {
  /** Node index. */
  index: number;
  /** Its address. */
  id: NetId;
  /** Subnet (multicast group) index. */
  subnet: number;
  /** Killed during the run. */
  killed: boolean;
  /** Distinct messages received (its own included). */
  count: number;
  /** Order-independent checksum of them (hex). */
  checksum: string;
  /** Its counters at the end. */
  stats: NodeStats;
}

/** The run's outcome. */
export interface ClusterResult {
  /** Options used (seed filled in). */
  options: ClusterOptions;
  /** Per node. */
  nodes: ClusterNodeResult[];
  /** Data messages broadcast. */
  broadcasts: number;
  /** TCP frames sent during the send phase (after it drained), per data broadcast. */
  tcpFramesPerBroadcast: number;
  /** Multicast frames sent during the send phase, per data broadcast. */
  udpFramesPerBroadcast: number;
  /** Messages re-sent by the repair round. */
  repairs: number;
  /** True when every survivor has the same count and checksum. */
  agree: boolean;
}

interface Data {
  o: number;
  s: number;
  v: string;
}

interface Status {
  o: number;
  h: number[];
}

interface Nack {
  o: number;
  j: number;
  seqs: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function randomMulticastBase(): { a: number; b: number; port: number } {
  const r = crypto.getRandomValues(new Uint8Array(4));
  return { a: r[0], b: r[1], port: 20000 + ((r[2] << 8 | r[3]) % 40000) };
}

/**
 * Run the cluster demo in this process.
 *
 * @example
 * ```ts ignore
 * import { runCluster } from "./cluster.ts";
 * const r = await runCluster({ nodes: 8, sendFor: 1, waitFor: 1, rate: 50, seed: 1, subnets: 1, loss: 0, kill: 0 });
 * console.log(r.agree);
 * ```
 */
export async function runCluster(opts: ClusterOptions): Promise<ClusterResult> {
  const n = opts.nodes;
  const rnd = seededRandom(opts.seed);
  const key = opts.key ?? crypto.randomUUID().replaceAll("-", "");
  const mc = randomMulticastBase();
  const nodes: ChatterNode[] = [];
  const have: Map<string, Data>[] = [];
  const high: number[][] = [];
  const killed = new Set<number>();
  let repairs = 0;
  let phase: "send" | "wait" = "send";
  try {
    for (let i = 0; i < n; i++) {
      const subnet = i % opts.subnets;
      const node = await startNode({
        address: "127.0.0.1",
        port: 0,
        multicastGroup: `239.${mc.a}.${mc.b}.${subnet + 1}`,
        multicastPort: mc.port + subnet,
        multicastInterface: "127.0.0.1",
        multicastLoss: opts.loss,
        key,
        profile: opts.profile,
        random: seededRandom(opts.seed * 7919 + i),
      });
      nodes.push(node);
      have.push(new Map());
      high.push(new Array(n).fill(0));
    }
    const ids = nodes.map((x) => x.id);
    for (let i = 0; i < n; i++) {
      const me = i;
      const node = nodes[i];
      node.register(jsonType<Data>("cluster.data", (d) => {
        const k = `${d.o}/${d.s}`;
        if (!have[me].has(k)) have[me].set(k, d);
        if (d.s > high[me][d.o]) high[me][d.o] = d.s;
      }));
      node.register(jsonType<Status>("cluster.status", (st) => {
        for (let j = 0; j < n; j++) if ((st.h[j] ?? 0) > high[me][j]) high[me][j] = st.h[j];
      }));
      node.register(jsonType<Nack>("cluster.nack", (nk) => {
        if (killed.has(me) || nk.o === me) return;
        for (const s of nk.seqs) {
          const d = have[me].get(`${nk.j}/${s}`);
          if (d) {
            repairs++;
            node.broadcast([ids[nk.o]], "cluster.data", d);
          }
        }
      }));
    }

    // Send phase: each node broadcasts exactly rate * sendFor values, on a 10 ms tick.
    const perNode = Math.round(opts.rate * opts.sendFor);
    const sent = new Array(n).fill(0);
    const values = nodes.map((_, i) => seededRandom(opts.seed * 31 + i + 1));
    const killAt = Math.floor(perNode / 2);
    const start = performance.now();
    let lastProgress = start;
    const progress = () => {
      const now = performance.now();
      if (!opts.progress || now - lastProgress < 500) return;
      lastProgress = now;
      const t = ((now - start) / 1000).toFixed(1);
      const tot = (f: (s: NodeStats) => number) =>
        nodes.reduce((a, x, i) => a + (killed.has(i) ? 0 : f(x.stats())), 0);
      const counts = have.filter((_, i) => !killed.has(i)).map((h) => h.size);
      opts.progress(
        `t=${t}s ${phase} sent=${sent.reduce((a, b) => a + b, 0)} received min/max=${
          Math.min(...counts)
        }/${Math.max(...counts)} tcp=${tot((s) => s.tcp.framesOut)} udp=${
          tot((s) => s.udp.framesOut)
        } dups=${tot((s) => s.duplicates)}${repairs ? ` repairs=${repairs}` : ""}`,
      );
    };
    let broadcasts = 0;
    while (sent.some((c, i) => c < perNode && !killed.has(i))) {
      const due = Math.min(
        perNode,
        Math.floor(((performance.now() - start) / 1000) * opts.rate) + 1,
      );
      for (let i = 0; i < n; i++) {
        if (killed.has(i)) continue;
        while (sent[i] < due) {
          const s = ++sent[i];
          const v = values[i].next().toFixed(9);
          nodes[i].broadcast(ids, "cluster.data", { o: i, s, v });
          broadcasts++;
        }
      }
      if (opts.kill > 0 && killed.size === 0 && Math.min(...sent) >= killAt) {
        const order = nodes.map((_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(rnd.next() * (i + 1));
          [order[i], order[j]] = [order[j], order[i]];
        }
        for (const k of order.slice(0, Math.min(opts.kill, n - 1))) {
          killed.add(k);
          await nodes[k].close();
        }
      }
      progress();
      await sleep(10);
    }

    // Let the send phase drain, then measure its frames per broadcast.
    const alive = () => nodes.filter((_, i) => !killed.has(i));
    const tot = (f: (s: NodeStats) => number) => alive().reduce((a, x) => a + f(x.stats()), 0);
    const drainEnd = performance.now() + 1000;
    let last = -1;
    while (performance.now() < drainEnd) {
      const now = tot((s) => s.tcp.framesOut + s.udp.framesOut);
      if (now === last && tot((s) => s.tcp.framesOut) <= tot((s) => s.tcp.framesIn)) break;
      last = now;
      await sleep(50);
    }
    const tcpFrames = tot((s) => s.tcp.framesOut);
    const udpFrames = tot((s) => s.udp.framesOut);

    // Wait phase: status digests and repairs until the time is up.
    phase = "wait";
    const waitEnd = performance.now() + opts.waitFor * 1000;
    while (performance.now() < waitEnd) {
      for (let i = 0; i < n; i++) {
        if (killed.has(i)) continue;
        nodes[i].broadcast(ids, "cluster.status", { o: i, h: high[i] });
      }
      await sleep(100);
      for (let i = 0; i < n; i++) {
        if (killed.has(i)) continue;
        for (let j = 0; j < n; j++) {
          const seqs: number[] = [];
          for (let s = 1; s <= high[i][j] && seqs.length < 500; s++) {
            if (!have[i].has(`${j}/${s}`)) seqs.push(s);
          }
          if (seqs.length > 0) {
            nodes[i].broadcast(ids.filter((_, k) => k !== i), "cluster.nack", { o: i, j, seqs });
          }
        }
      }
      progress();
      await sleep(Math.max(0, Math.min(150, waitEnd - performance.now())));
    }

    const results: ClusterNodeResult[] = nodes.map((x, i) => {
      let sum = 0;
      const enc = new TextEncoder();
      for (const d of have[i].values()) {
        sum = (sum + xxhash32(enc.encode(`${d.o}/${d.s}/${d.v}`), 0)) >>> 0;
      }
      return {
        index: i,
        id: x.id,
        subnet: i % opts.subnets,
        killed: killed.has(i),
        count: have[i].size,
        checksum: sum.toString(16).padStart(8, "0"),
        stats: x.stats(),
      };
    });
    const survivors = results.filter((r) => !r.killed);
    const agree = survivors.every((r) =>
      r.count === survivors[0].count && r.checksum === survivors[0].checksum
    );
    return {
      options: opts,
      nodes: results,
      broadcasts,
      tcpFramesPerBroadcast: broadcasts ? tcpFrames / broadcasts : 0,
      udpFramesPerBroadcast: broadcasts ? udpFrames / broadcasts : 0,
      repairs,
      agree,
    };
  } finally {
    for (const x of nodes) await x.close();
  }
}

/** Render the final table of a {@linkcode runCluster} result. */
export function formatClusterResult(r: ClusterResult): string {
  const n = r.options.nodes;
  const lines: string[] = [];
  const pad = (s: string | number, w: number) => String(s).padStart(w);
  lines.push(
    `${"node".padEnd(22)}${pad("subnet", 7)}${pad("count", 8)}${pad("checksum", 10)}${
      pad("tcp out", 9)
    }${pad("udp out", 9)}${pad("dups", 7)}${pad("errors", 7)}  state`,
  );
  for (const x of r.nodes) {
    const errs = Object.values(x.stats.decodeErrors).reduce((a, b) => a + b, 0);
    lines.push(
      `${`${x.id.ip}:${x.id.port}`.padEnd(22)}${pad(x.subnet, 7)}${pad(x.count, 8)}${
        pad(x.checksum, 10)
      }${pad(x.stats.tcp.framesOut, 9)}${pad(x.stats.udp.framesOut, 9)}${
        pad(x.stats.duplicates, 7)
      }${pad(errs, 7)}  ${x.killed ? "killed" : "alive"}`,
    );
  }
  const live = r.nodes.filter((x) => !x.killed);
  const sum = (f: (x: ClusterNodeResult) => number) => live.reduce((a, x) => a + f(x), 0);
  lines.push("");
  lines.push(
    `messages: ${r.broadcasts} broadcast by ${n} nodes (profile ${
      r.nodes[0]?.stats ? r.options.profile ?? "default" : ""
    }), seed ${r.options.seed}`,
  );
  lines.push(
    `tcp: ${sum((x) => x.stats.tcp.framesOut)} frames, ${
      sum((x) => x.stats.tcp.bytesOut)
    } bytes out; ` +
      `udp: ${sum((x) => x.stats.udp.framesOut)} frames, ${
        sum((x) => x.stats.udp.bytesOut)
      } bytes out`,
  );
  lines.push(
    `duplicates dropped: ${sum((x) => x.stats.duplicates)}; multicast dropped (loss): ${
      sum((x) => x.stats.multicastDrops)
    }; queue drops: ${sum((x) => x.stats.queueDrops)}; relay take-overs: ${
      sum((x) => x.stats.relayTakeovers)
    }; repairs: ${r.repairs}`,
  );
  const treeSender = Math.ceil(Math.log2(n));
  lines.push(
    `TCP frames per broadcast: ${r.tcpFramesPerBroadcast.toFixed(2)} (multicast ${
      r.udpFramesPerBroadcast.toFixed(2)
    }); TCP-only tree: ${n - 1} (${treeSender} from the origin); unicast to everyone: ${
      n - 1
    } (all from the origin)`,
  );
  if (r.agree) {
    lines.push(
      `AGREE: all ${live.length} surviving nodes received ${live[0]?.count} messages, checksum ${
        live[0]?.checksum
      }`,
    );
  } else {
    const groups = new Map<string, number>();
    for (const x of live) {
      groups.set(`${x.count}/${x.checksum}`, (groups.get(`${x.count}/${x.checksum}`) ?? 0) + 1);
    }
    lines.push(
      `DISAGREE: survivors split into ${[...groups].map(([k, v]) => `${v}x ${k}`).join(", ")}`,
    );
  }
  return lines.join("\n");
}
