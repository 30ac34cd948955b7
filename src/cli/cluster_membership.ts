/**
 * `chatter cluster --membership`: N nodes on loopback each attach a {@linkcode GroupNode}, claim
 * ranges of the key space, then change and leave some, while `--loss` drops multicast
 * datagrams; then anti-entropy rounds (digests) run until every node holds the same view. Prints
 * a view checksum per node and the time and rounds until agreement; the run fails when the
 * nodes never agree.
 *
 * @module
 */

import { type ChatterNode, type NetId, startNode } from "../../mod.ts";
import { GroupNode } from "../membership/group_node.ts";
import { stateToJson, viewToJson } from "../membership/json.ts";
import { seededRandom } from "../node/random.ts";
import type { Profile } from "../wire/message.ts";
import { xxhash32 } from "../wire/xxhash32.ts";

/** Options of {@linkcode runMembershipCluster}. */
export interface MembershipClusterOptions {
  /** Number of nodes. */
  nodes: number;
  /** Seed for claims and node randomness. */
  seed: number;
  /** Multicast groups the nodes are split into. */
  subnets: number;
  /** Fraction of received multicast datagrams dropped. */
  loss: number;
  /** Milliseconds between anti-entropy rounds (default 100). */
  roundMs?: number;
  /** Rounds after which the run gives up (default 100). */
  maxRounds?: number;
  /** Wire profile. */
  profile?: Profile;
  /** Shared key (default: random per run). */
  key?: string;
  /** Called with a progress line per round. */
  progress?: (line: string) => void;
}

/** One node's outcome. */
export interface MembershipNodeResult {
  /** Its address. */
  id: NetId;
  /** xxhash32 (hex) of its view's JSON form. */
  viewChecksum: string;
  /** xxhash32 (hex) of its state's JSON form. */
  stateChecksum: string;
  /** Segments in its view. */
  segments: number;
  /** Timed items in its state. */
  items: number;
  /** Snapshots it broadcast. */
  snapshotsSent: number;
  /** Digests it broadcast. */
  digestsSent: number;
}

/** The run's outcome. */
export interface MembershipClusterResult {
  /** Options used. */
  options: MembershipClusterOptions;
  /** Per node. */
  nodes: MembershipNodeResult[];
  /** Changes written (joins, re-joins, leaves). */
  changes: number;
  /** Anti-entropy rounds run before all nodes agreed (or the limit). */
  rounds: number;
  /** Milliseconds from the last change until all nodes agreed (or the run gave up). */
  ms: number;
  /** True when every node holds the same state and view. */
  agree: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hex32 = (s: string) => xxhash32(new TextEncoder().encode(s), 0).toString(16).padStart(8, "0");

/**
 * Run the membership demo in this process.
 *
 * @example
 * ```ts ignore
 * import { runMembershipCluster } from "./cluster_membership.ts";
 * const r = await runMembershipCluster({ nodes: 6, seed: 1, subnets: 1, loss: 0.3 });
 * console.log(r.agree, r.rounds);
 * ```
 */
export async function runMembershipCluster(
  opts: MembershipClusterOptions,
): Promise<MembershipClusterResult> {
  const n = opts.nodes;
  const roundMs = opts.roundMs ?? 100;
  const maxRounds = opts.maxRounds ?? 100;
  const rnd = seededRandom(opts.seed);
  const int = (k: number) => Math.floor(rnd.next() * k);
  const key = opts.key ?? crypto.randomUUID().replaceAll("-", "");
  const b = crypto.getRandomValues(new Uint8Array(4));
  const port = 20000 + ((b[2] << 8 | b[3]) % 40000);
  const nodes: ChatterNode[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const subnet = i % opts.subnets;
      nodes.push(
        await startNode({
          address: "127.0.0.1",
          port: 0,
          multicastGroup: `239.${b[0]}.${b[1]}.${subnet + 1}`,
          multicastPort: port + subnet,
          multicastInterface: "127.0.0.1",
          multicastLoss: opts.loss,
          key,
          profile: opts.profile,
          random: seededRandom(opts.seed * 7919 + i),
        }),
      );
    }
    const ids = nodes.map((x) => x.id);
    const groups = nodes.map((x) => new GroupNode(x, { destinations: () => ids }));

    // Claims: every node serves one or two ranges of a 2^32 key space cut in n slices.
    const slice = Math.floor(2 ** 32 / n);
    const claims: [number, number][][] = [];
    let changes = 0;
    groups.forEach((g, i) => {
      const mine: [number, number][] = [];
      for (let k = int(2) + 1; k > 0; k--) {
        const start = ((i + int(3)) % n) * slice + int(slice / 2);
        const end = Math.min(2 ** 32 - 1, start + slice + int(slice));
        mine.push([start, end]);
        g.join(start, end, int(10));
        changes++;
      }
      claims.push(mine);
    });
    await sleep(roundMs);
    // Changes: a third re-prioritise a claim, a quarter leave part of one, one leaves all.
    groups.forEach((g, i) => {
      const [s, e] = claims[i][0];
      if (i % 3 === 1) {
        g.join(s, e, 10 + int(10));
        changes++;
      }
      if (i % 4 === 2) {
        const mid = s + Math.floor((e - s) / 2);
        g.leave(s, mid);
        changes++;
      }
    });
    const quitter = groups[n - 1];
    for (const [s, e] of claims[n - 1]) {
      quitter.leave(s, e);
      changes++;
    }

    const t0 = performance.now();
    // Checksums name members by node index, not by their (free, so run-dependent) ports: the
    // same --seed gives the same checksums on every run.
    const index = new Map(ids.map((id, i) => [`${id.ip}|${id.port}`, i]));
    // Entries are kept in NetID table order (by port, here), so they are sorted again once
    // renamed; the state is a set of clocks and items, so the order carries nothing.
    const sortDeep = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sortDeep).map((x) => [JSON.stringify(x), x] as const)
          .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, x]) => x)
        : v !== null && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sortDeep(x)]))
        : v;
    const canon = (json: unknown) =>
      JSON.stringify(sortDeep(JSON.parse(
        JSON.stringify(json).replace(
          /"ip":"([^"]*)","port":(\d+)/g,
          (m, ip, port) => {
            const i = index.get(`${ip}|${port}`);
            return i === undefined ? m : `"node":${i}`;
          },
        ),
      )));
    const views = () => groups.map((g) => hex32(canon(viewToJson(g.view))));
    const states = () => groups.map((g) => hex32(canon(stateToJson(g.group.state))));
    const agreed = () => {
      const v = views(), s = states();
      return v.every((x) => x === v[0]) && s.every((x) => x === s[0]);
    };
    let rounds = 0;
    await sleep(roundMs);
    while (!agreed() && rounds < maxRounds) {
      for (const g of groups) g.tick();
      rounds++;
      await sleep(roundMs);
      if (opts.progress) {
        const distinct = new Set(views()).size;
        opts.progress(`round ${rounds}: ${distinct} distinct view(s) among ${n} nodes`);
      }
    }
    const agree = agreed();
    const ms = performance.now() - t0;
    const v = views(), s = states();
    return {
      options: opts,
      nodes: groups.map((g, i) => ({
        id: ids[i],
        viewChecksum: v[i],
        stateChecksum: s[i],
        segments: g.view.segments.length,
        items: g.group.state.items.length,
        snapshotsSent: g.stats().snapshotsSent,
        digestsSent: g.stats().digestsSent,
      })),
      changes,
      rounds,
      ms,
      agree,
    };
  } finally {
    for (const x of nodes) await x.close();
  }
}

/** Render a {@linkcode runMembershipCluster} result as a table and a verdict. */
export function formatMembershipResult(r: MembershipClusterResult): string {
  const pad = (x: string | number, w: number) => String(x).padStart(w);
  const lines = [
    `${"node".padEnd(22)}${pad("view", 10)}${pad("state", 10)}${pad("segments", 10)}${
      pad("items", 7)
    }${pad("snapshots", 11)}${pad("digests", 9)}`,
  ];
  for (const x of r.nodes) {
    lines.push(
      `${`${x.id.ip}:${x.id.port}`.padEnd(22)}${pad(x.viewChecksum, 10)}${
        pad(x.stateChecksum, 10)
      }${pad(x.segments, 10)}${pad(x.items, 7)}${pad(x.snapshotsSent, 11)}${pad(x.digestsSent, 9)}`,
    );
  }
  lines.push("");
  lines.push(
    `${r.changes} changes by ${r.nodes.length} nodes, loss ${r.options.loss}, profile ${
      r.options.profile ?? "default"
    }, seed ${r.options.seed}`,
  );
  if (r.agree) {
    lines.push(
      `AGREE: all ${r.nodes.length} nodes hold view ${
        r.nodes[0].viewChecksum
      } after ${r.rounds} anti-entropy round(s), ${r.ms.toFixed(0)} ms after the last change`,
    );
  } else {
    const groups = new Map<string, number>();
    for (const x of r.nodes) groups.set(x.viewChecksum, (groups.get(x.viewChecksum) ?? 0) + 1);
    lines.push(
      `DISAGREE after ${r.rounds} rounds (${r.ms.toFixed(0)} ms): views ${
        [...groups].map(([k, c]) => `${c}x ${k}`).join(", ")
      }`,
    );
  }
  return lines.join("\n");
}
