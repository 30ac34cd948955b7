/** Helpers: N Chatter nodes on the in-memory network, on a virtual clock. */

import { type ChatterNode, jsonType, type NetId, type NodeOptions, startNode } from "../../mod.ts";
import { ManualClock } from "../../src/node/clock.ts";
import { MemoryNetwork, type MemoryNetworkOptions } from "../../src/node/memory_transport.ts";
import { seededRandom } from "../../src/node/random.ts";

export interface MemCluster {
  net: MemoryNetwork;
  clock: ManualClock;
  nodes: ChatterNode[];
  ids: NetId[];
  /** Per node: origin key -> times delivered. */
  got: Map<string, number>[];
  /** Per node: false once killed with `kill`. */
  alive: boolean[];
  /** Kill node `i` (its endpoint stops; the node object is closed at the end). */
  kill(i: number): void;
  close(): Promise<void>;
}

export const TEST_KEY = "a test key for the node tests!!!";

/** `domains[i]` is node i's multicast domain. */
export async function memCluster(
  domains: string[],
  opts: Partial<NodeOptions> = {},
  netOpts: MemoryNetworkOptions = {},
  seed = 1,
): Promise<MemCluster> {
  const net = new MemoryNetwork({ random: seededRandom(seed * 1000), ...netOpts });
  const clock = new ManualClock(1_700_000_000_000);
  const nodes: ChatterNode[] = [];
  const got: Map<string, number>[] = [];
  for (let i = 0; i < domains.length; i++) {
    const id = { ip: `10.0.${domains[i].charCodeAt(0) % 250}.${i + 1}`, port: 4000 + i };
    const node = await startNode({
      address: "127.0.0.1",
      profile: "legacy",
      key: TEST_KEY,
      clock,
      random: seededRandom(seed * 100 + i),
      transport: net.transport({ id, domain: domains[i] }),
      // These tests count data frames exactly: heartbeats off unless a test asks.
      heartbeatMs: 0,
      ...opts,
    });
    const seen = new Map<string, number>();
    node.register(jsonType<{ n: number; id?: string }>("test.msg", (v, meta) => {
      // The legacy profile carries no origin identity through relays: key by payload id.
      const k = v.id ?? `${meta.origin.ip}:${meta.origin.port}/${meta.origin.seqno}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }));
    nodes.push(node);
    got.push(seen);
  }
  const alive = nodes.map(() => true);
  return {
    net,
    clock,
    nodes,
    ids: nodes.map((n) => n.id),
    got,
    alive,
    kill(i: number) {
      alive[i] = false;
      net.kill(nodes[i].id);
    },
    close: async () => {
      for (const n of nodes) await n.close();
    },
  };
}

/** Sum of a counter over nodes. */
export function total(
  nodes: ChatterNode[],
  f: (s: ReturnType<ChatterNode["stats"]>) => number,
): number {
  let t = 0;
  for (const n of nodes) t += f(n.stats());
  return t;
}

/**
 * Every node broadcasts once to all others, `rounds` times, settling in between. The clock
 * advances `stepMs` per broadcast: seen IDs are the most recently heard senders, so on a
 * frozen clock every frame would name the same first 32 and learning would stall in domains
 * larger than that.
 */
export async function learn(c: MemCluster, rounds = 2, stepMs = 1): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    for (const n of c.nodes) {
      c.clock.advance(stepMs);
      n.broadcast(c.ids, "test.msg", { n: -1 });
      await c.net.settle();
    }
  }
}

let idSeq = 0;

/** Broadcast a test message from node `from` to `dests`; returns its payload id. */
export function send(c: MemCluster, from: number, dests = c.ids): string {
  const id = `m${++idSeq}`;
  c.nodes[from].broadcast(dests, "test.msg", { n: idSeq, id });
  return id;
}

/** Exactly once where the profile carries message identity, at least once for legacy. */
export function assertDelivered(c: MemCluster, node: number, id: string, exact: boolean): void {
  const n = c.got[node].get(id) ?? 0;
  if (exact ? n !== 1 : n < 1) {
    throw new Error(
      `node ${node} got ${id} ${n} times (expected ${exact ? "exactly" : "at least"} once)`,
    );
  }
}
