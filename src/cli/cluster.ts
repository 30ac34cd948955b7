/**
 * `chatter cluster`: the chatterbox-style demo. N nodes on loopback (multicast on `lo`) each
 * broadcast random values to all nodes for `sendFor` seconds at `rate` messages/s, then wait
 * until everything is confirmed or given up, or until nothing moved for `waitFor` seconds (or
 * the library's longest retry interval while messages are unconfirmed, if longer; at most
 * `waitFor` + 30 s in all); each node reports how many distinct messages it received and a
 * checksum of them, and the survivors must agree. The demo has no repair of its own: the
 * library's reliable delivery (spec/node.md, R-NODE-REL-*) repairs multicast loss (`--loss`)
 * and kernel drops, reports what it cannot repair, and confirms each broadcast; the demo
 * prints the repairs, the losses reported and the confirmation times.
 *
 * @module
 */

import { generateV2Key } from "../node/keys.ts";
import { type ChatterNode, jsonType, type NetId, type NodeStats, startNode } from "../../mod.ts";
import { seededRandom } from "../node/random.ts";
import type { Profile } from "../wire/message.ts";
import { xxhash32 } from "../wire/xxhash32.ts";
import { formatNetId } from "../wire/netid.ts";
import { relayEdgesOf } from "../node/node.ts";
import { type ClusterPicture, pickPicture } from "./cluster_picture.ts";

/** Longest the wait phase runs beyond `waitFor` while messages are still moving (seconds). */
const WAIT_CAP_S = 30;
/** Longest retransmission timeout of reliable delivery (R-NODE-REL-003). */
const RETRY_CAP_MS = 5000;
/** What a silent destination waits beyond the timeout: 7 default acknowledgement intervals. */
const RETRY_SLACK_MS = 700;

/**
 * `kernel drops: N (sockopt)`: what the kernel dropped at the nodes' multicast receive sockets,
 * and where the count comes from; `kernel drops: unknown (unavailable)` when some node cannot
 * read it (R-NODE-REL-017: 0 would then mean "cannot know").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kernelDropsLine } from "./cluster.ts";
 * const t = (n: number, src: "sockopt" | "unavailable") =>
 *   ({ transport: { multicastKernelDrops: n, multicastKernelDropsSource: src } });
 * assert.equal(kernelDropsLine([t(2, "sockopt"), t(3, "sockopt")]), "kernel drops: 5 (sockopt)");
 * assert.equal(kernelDropsLine([t(0, "unavailable")]), "kernel drops: unknown (unavailable)");
 * ```
 */
export function kernelDropsLine(
  stats: readonly {
    transport: Pick<NodeStats["transport"], "multicastKernelDrops" | "multicastKernelDropsSource">;
  }[],
): string {
  const sources = [...new Set(stats.map((s) => s.transport.multicastKernelDropsSource))];
  const n = stats.reduce((a, s) => a + s.transport.multicastKernelDrops, 0);
  const known = !sources.includes("unavailable");
  return `kernel drops: ${known ? n : "unknown"} (${sources.join("+")})`;
}

/** Options of {@linkcode runCluster}. */
export interface ClusterOptions {
  /** Number of nodes (default 8). */
  nodes: number;
  /** Seconds of sending (default 3). */
  sendFor: number;
  /**
   * Seconds of waiting after sending without progress (default 2): the wait ends when every
   * broadcast is confirmed or given up, or when nothing was delivered, confirmed or reported lost
   * for this long, and lasts at most this plus 30 s.
   */
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
  /** Collect what `--picture` draws (default false). */
  picture?: boolean;
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
  /** Records the library re-sent (repairs), summed over nodes. */
  repairs: number;
  /**
   * Of the repairs, those sent once by multicast for several destinations (records and
   * datagrams) and through one relay of another domain (records), summed over nodes; they are
   * not in `repairs`, which counts TCP repair records. [R-NODE-REL-020..022]
   */
  groupedRepairs: { multicast: number; multicastFrames: number; relayed: number };
  /** Messages the library reported lost at their origin, and (message, destination) pairs. */
  lost: {
    messages: number;
    destinations: number;
    reportedAtDestinations: number;
    /**
     * Of those, what the surviving nodes gave up (their messages to the killed nodes) and how
     * many of those pairs name a surviving destination (0 when nothing was lost silently).
     */
    bySurvivors: { messages: number; destinations: number; toSurvivors: number };
    /** What the killed nodes gave up when they were closed (reason `closed`). */
    byKilled: { messages: number; destinations: number };
  };
  /** Frames each node's decoder refused, by error code, summed over nodes (the `errors` column). */
  decodeErrors: Record<string, number>;
  /** Broadcasts confirmed by every destination, and confirmation times (ms). */
  confirmations: { confirmed: number; unconfirmed: number; p50: number; p99: number; max: number };
  /**
   * Messages of killed nodes: at every survivor, or at only some (their origin was closed before
   * they were confirmed: nobody repairs them; the closing origin's loss notices make the survivors
   * that miss them report them, in `lost.reportedAtDestinations`).
   */
  killedOrigins: { everywhere: number; partial: number };
  /**
   * True when every survivor has the same count and checksum (over the messages of surviving
   * origins) and every message confirmed before its origin died is at every survivor.
   */
  agree: boolean;
  /** With `options.picture`: the domains, one broadcast's TCP tree and its multicast reach. */
  picture?: ClusterPicture;
}

interface Data {
  o: number;
  s: number;
  v: string;
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
  const key = opts.key ?? generateV2Key();
  const mc = randomMulticastBase();
  const nodes: ChatterNode[] = [];
  const have: Map<string, Data>[] = [];
  const killed = new Set<number>();
  const confirmedAt = new Map<string, number>();
  const confirmMs: number[] = [];
  // With --picture: per node, how each broadcast ("ip:port#seqno") arrived.
  const arrivals: Map<string, string>[] = [];
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
      arrivals.push(new Map());
    }
    const ids = nodes.map((x) => x.id);
    // Losses reported at surviving origins that name a surviving destination.
    let lostToSurvivors = 0;
    nodes.forEach((node, i) =>
      node.on("lost", (e) => {
        if (e.side !== "origin" || killed.has(i)) return;
        for (const d of e.destinations) {
          const j = ids.findIndex((x) => x.ip === d.ip && x.port === d.port);
          if (j >= 0 && !killed.has(j)) lostToSurvivors++;
        }
      })
    );
    for (let i = 0; i < n; i++) {
      const me = i;
      const node = nodes[i];
      node.register(jsonType<Data>("cluster.data", (d, meta) => {
        if (opts.picture) {
          arrivals[me].set(`${formatNetId(meta.origin)}#${meta.origin.seqno}`, meta.transport);
        }
        const k = `${d.o}/${d.s}`;
        if (!have[me].has(k)) have[me].set(k, d);
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
      const repairs = tot((s) => s.reliable.retransmits);
      const lost = tot((s) => s.reliable.lost);
      const counts = have.filter((_, i) => !killed.has(i)).map((h) => h.size);
      opts.progress(
        `t=${t}s ${phase} sent=${sent.reduce((a, b) => a + b, 0)} received min/max=${
          Math.min(...counts)
        }/${Math.max(...counts)} tcp=${tot((s) => s.tcp.framesOut)} udp=${
          tot((s) => s.udp.framesOut)
        } dups=${
          tot((s) => s.duplicates)
        } repairs=${repairs} lost=${lost} confirmed=${confirmMs.length}`,
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
          const id = nodes[i].broadcast(ids, "cluster.data", { o: i, s, v });
          broadcasts++;
          const t0 = performance.now();
          const key = `${i}/${s}`;
          nodes[i].confirmed(id, {
            timeoutMs: (opts.sendFor + opts.waitFor + WAIT_CAP_S + 5) * 1000,
          }).then(
            () => {
              confirmedAt.set(key, performance.now());
              confirmMs.push(performance.now() - t0);
            },
            () => {},
          );
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

    // Wait phase: the library repairs; wait until every survivor's retransmit buffer is empty
    // (everything confirmed or given up), or until nothing moved for `waitFor` seconds. A process
    // that is seconds behind (high --rate) still delivers and confirms after sending ends; ending
    // the wait on a fixed clock then reported messages in flight as a disagreement. Movement =
    // deliveries, confirmations or losses reported; the whole wait is bounded by WAIT_CAP_S.
    phase = "wait";
    const waitStart = performance.now();
    // Repairs sent count as movement too. While a survivor still holds messages, the quiet
    // period is at least the library's own longest retry interval: a message is re-sent after
    // a retransmission timeout that doubles per retry up to 5 s, to a destination silent for
    // one RTO plus 7 acknowledgement intervals (R-NODE-REL-003). Ending the wait sooner
    // reported messages still being repaired as a disagreement (`--loss 0.5 -n 12 --subnets 3`:
    // seconds with nothing delivered or repaired, then the timeout repairs came).
    const moved = () =>
      have.reduce((a, h) => a + h.size, 0) + confirmMs.length +
      tot((s) => s.reliable.lost + s.reliable.retransmits);
    const quietMs = () =>
      Math.max(
        opts.waitFor * 1000,
        RETRY_CAP_MS + RETRY_SLACK_MS +
          Math.max(0, ...alive().map((x) => x.stats().reliable.rtoMs)),
      );
    let lastMoved = moved();
    let waitEnd = opts.waitFor > 0 ? waitStart + quietMs() : waitStart;
    const capEnd = waitStart + (opts.waitFor + WAIT_CAP_S) * 1000;
    while (performance.now() < waitEnd) {
      if (alive().every((x) => x.stats().reliable.buffered === 0)) break;
      const m = moved();
      if (m !== lastMoved) {
        lastMoved = m;
        waitEnd = Math.min(capEnd, performance.now() + quietMs());
      }
      progress();
      await sleep(Math.max(0, Math.min(50, waitEnd - performance.now())));
    }
    // Acknowledgements of the last repairs.
    await sleep(Math.min(300, opts.waitFor * 1000));

    // Agreement is over the messages of surviving origins: a killed origin's messages that
    // were not yet confirmed may have reached only some nodes, and nobody can repair them.
    const enc = new TextEncoder();
    const results: ClusterNodeResult[] = nodes.map((x, i) => {
      let sum = 0;
      let count = 0;
      for (const d of have[i].values()) {
        if (killed.has(d.o)) continue;
        count++;
        sum = (sum + xxhash32(enc.encode(`${d.o}/${d.s}/${d.v}`), 0)) >>> 0;
      }
      return {
        index: i,
        id: x.id,
        subnet: i % opts.subnets,
        killed: killed.has(i),
        count,
        checksum: sum.toString(16).padStart(8, "0"),
        stats: x.stats(),
      };
    });
    const survivors = results.filter((r) => !r.killed);
    let agree = survivors.every((r) =>
      r.count === survivors[0].count && r.checksum === survivors[0].checksum
    );
    const killedOrigins = { everywhere: 0, partial: 0 };
    const seen = new Set<string>();
    for (const i of survivors.map((r) => r.index)) {
      for (const [k, d] of have[i]) {
        if (!killed.has(d.o) || seen.has(k)) continue;
        seen.add(k);
        const all = survivors.every((r) => have[r.index].has(k));
        if (all) killedOrigins.everywhere++;
        else {
          killedOrigins.partial++;
          if (confirmedAt.has(k)) agree = false; // confirmed yet missing: a library bug
        }
      }
    }
    const everyNode = (f: (s: NodeStats) => number) => results.reduce((a, r) => a + f(r.stats), 0);
    const ofNodes = (dead: boolean, f: (s: NodeStats) => number) =>
      results.reduce((a, r) => a + (r.killed === dead ? f(r.stats) : 0), 0);
    const decodeErrors: Record<string, number> = {};
    for (const r of results) {
      for (const [code, k] of Object.entries(r.stats.decodeErrors)) {
        if (k > 0) decodeErrors[code] = (decodeErrors[code] ?? 0) + k;
      }
    }
    confirmMs.sort((a, b) => a - b);
    const q = (p: number) =>
      confirmMs.length
        ? confirmMs[Math.min(confirmMs.length - 1, Math.floor(p * confirmMs.length))]
        : 0;
    return {
      options: opts,
      nodes: results,
      broadcasts,
      tcpFramesPerBroadcast: broadcasts ? tcpFrames / broadcasts : 0,
      udpFramesPerBroadcast: broadcasts ? udpFrames / broadcasts : 0,
      repairs: everyNode((s) => s.reliable.retransmits),
      groupedRepairs: {
        multicast: everyNode((s) => s.reliable.multicastRepairs),
        multicastFrames: everyNode((s) => s.reliable.multicastRepairFrames),
        relayed: everyNode((s) => s.reliable.relayRepairs),
      },
      lost: {
        messages: everyNode((s) => s.reliable.lost),
        destinations: everyNode((s) => s.reliable.lostDestinations),
        reportedAtDestinations: everyNode((s) => s.reliable.lostReported),
        bySurvivors: {
          messages: ofNodes(false, (s) => s.reliable.lost),
          destinations: ofNodes(false, (s) => s.reliable.lostDestinations),
          toSurvivors: lostToSurvivors,
        },
        byKilled: {
          messages: ofNodes(true, (s) => s.reliable.lost),
          destinations: ofNodes(true, (s) => s.reliable.lostDestinations),
        },
      },
      decodeErrors,
      confirmations: {
        confirmed: confirmMs.length,
        unconfirmed: broadcasts - confirmMs.length,
        p50: q(0.5),
        p99: q(0.99),
        max: confirmMs[confirmMs.length - 1] ?? 0,
      },
      killedOrigins,
      agree,
      picture: opts.picture
        ? pickPicture(
          results.map((r) => ({ id: formatNetId(r.id), domain: r.subnet, killed: r.killed })),
          nodes.flatMap((x) => relayEdgesOf(x)),
          (id, broadcast) =>
            arrivals[results.findIndex((r) => formatNetId(r.id) === id)]?.get(broadcast),
          {
            broadcasts,
            tcpFramesPerBroadcast: broadcasts ? tcpFrames / broadcasts : 0,
            udpFramesPerBroadcast: broadcasts ? udpFrames / broadcasts : 0,
          },
        )
        : undefined,
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
    }; ${kernelDropsLine(live.map((x) => x.stats))}`,
  );
  const c = r.confirmations;
  const l = r.lost;
  const killedAny = r.nodes.some((x) => x.killed);
  // With kills, say who gave up what: the progress line counts only the survivors.
  const lostSplit = killedAny
    ? `: ${l.bySurvivors.messages} by survivors (${l.bySurvivors.destinations} pairs, ${l.bySurvivors.toSurvivors} to surviving nodes), ` +
      `${l.byKilled.messages} by killed nodes when they closed (${l.byKilled.destinations} pairs)`
    : "";
  lines.push(
    `reliable delivery: ${r.repairs} records repaired by TCP, ${r.groupedRepairs.multicast} by multicast (${r.groupedRepairs.multicastFrames} datagrams), ${r.groupedRepairs.relayed} through relays; lost reported: ${l.messages} messages ` +
      `(${l.destinations} message-destination pairs${lostSplit}; ${l.reportedAtDestinations} at destinations); ` +
      `confirmed ${c.confirmed} of ${r.broadcasts} broadcasts${
        killedAny ? " (each is addressed to every node: once one is killed none can confirm)" : ""
      }, confirmation p50 ${c.p50.toFixed(1)} ms, p99 ${c.p99.toFixed(1)} ms, max ${
        c.max.toFixed(1)
      } ms`,
  );
  const refused = Object.entries(r.decodeErrors ?? {});
  if (refused.length > 0) {
    const why = refused.every(([code]) => code === "BEFORE_START")
      ? " (frames sealed just before the receiving node started, refused by the start rule of spec/wire.md 15.15: expected while the nodes start)"
      : "";
    lines.push(
      `errors column = frames the decoder refused: ${
        refused.map(([code, k]) => `${code} ${k}`).join(", ")
      }${why}`,
    );
  }
  if (r.killedOrigins.everywhere + r.killedOrigins.partial > 0) {
    lines.push(
      `messages of killed nodes: ${r.killedOrigins.everywhere} at every survivor, ${r.killedOrigins.partial} at only some (their origin was closed before they were confirmed: not repaired, reported by the survivors that miss them; not counted in the agreement)`,
    );
  }
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
