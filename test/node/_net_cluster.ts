/** Helpers: Chatter nodes on real loopback sockets, each test with its own multicast group. */

import { type ChatterNode, jsonType, type NetId, type NodeOptions, startNode } from "../../mod.ts";

export interface NetCluster {
  nodes: ChatterNode[];
  ids: NetId[];
  /** Per node: message id -> times delivered. */
  got: Map<string, number>[];
  key: string;
  group: string;
  mport: number;
  close(): Promise<void>;
}

/** A random multicast group in 239.0.0.0/8 and a random port, so parallel tests do not mix. */
export function randomMulticast(): { group: string; port: number } {
  const b = crypto.getRandomValues(new Uint8Array(5));
  return {
    group: `239.${b[0]}.${b[1]}.${1 + (b[2] % 250)}`,
    port: 20000 + ((b[3] << 8 | b[4]) % 40000),
  };
}

/** Start `n` nodes on 127.0.0.1 (ephemeral TCP ports) sharing a fresh multicast group and key. */
export async function netCluster(n: number, opts: Partial<NodeOptions> = {}): Promise<NetCluster> {
  const mc = randomMulticast();
  const key = crypto.randomUUID().slice(0, 32);
  const nodes: ChatterNode[] = [];
  const got: Map<string, number>[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const node = await startNode({
        address: "127.0.0.1",
        port: 0,
        multicastGroup: mc.group,
        multicastPort: mc.port,
        multicastInterface: "127.0.0.1",
        key,
        // These tests count data frames exactly: heartbeats off unless a test asks.
        heartbeatMs: 0,
        ...opts,
      });
      const seen = new Map<string, number>();
      node.register(jsonType<{ id: string; pad?: string }>("test.msg", (v) => {
        seen.set(v.id, (seen.get(v.id) ?? 0) + 1);
      }));
      nodes.push(node);
      got.push(seen);
    }
  } catch (e) {
    for (const x of nodes) await x.close();
    throw e;
  }
  return {
    nodes,
    ids: nodes.map((x) => x.id),
    got,
    key,
    group: mc.group,
    mport: mc.port,
    close: async () => {
      for (const x of nodes) await x.close();
    },
  };
}

let idSeq = 0;

/** Broadcast a test message; returns its id. */
export function send(c: NetCluster, from: number, dests: NetId[] = c.ids, pad?: string): string {
  const id = `r${++idSeq}`;
  c.nodes[from].broadcast(dests, "test.msg", pad === undefined ? { id } : { id, pad });
  return id;
}

/** Wait (polling) until `cond` holds; throws with `what` after `ms`. */
export async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** True when every node in `nodes` (indexes) got every id. */
export function allGot(c: NetCluster, nodes: number[], ids: string[]): boolean {
  return nodes.every((n) => ids.every((id) => (c.got[n].get(id) ?? 0) >= 1));
}

/** Sum of a counter over nodes. */
export function total(c: NetCluster, f: (s: ReturnType<ChatterNode["stats"]>) => number): number {
  return c.nodes.reduce((t, x) => t + f(x.stats()), 0);
}

/** Wait until every TCP frame sent has been received (nothing in flight). */
export async function quiet(c: NetCluster): Promise<void> {
  await waitFor(
    () =>
      total(c, (s) => s.transport.pendingFrames) === 0 &&
      total(c, (s) => s.tcp.framesOut) === total(c, (s) => s.tcp.framesIn),
    "TCP frames in flight to arrive",
  );
}

/**
 * Connect to `port`, write `bytes`, and tell whether the node closes the connection within
 * `ms` without writing anything back (false when it keeps the connection open).
 */
export async function closedByPeer(port: number, bytes: Uint8Array[], ms = 2000): Promise<boolean> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    for (const b of bytes) await conn.write(b);
    const read = conn.read(new Uint8Array(16)).then((n) => n === null, () => true);
    const late = new Promise<boolean>((r) => timer = setTimeout(() => r(false), ms));
    return await Promise.race([read, late]);
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}
