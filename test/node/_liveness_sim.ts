/** Helpers for liveness runs on the in-memory network with a virtual clock. */

import type { NodeOptions, PeerEvent } from "../../mod.ts";
import type { MemoryNetworkOptions } from "../../src/node/memory_transport.ts";
import { type MemCluster, memCluster } from "./_memory_cluster.ts";

export interface LiveCluster extends MemCluster {
  /** Events seen: [time, observer index, event, peer "ip:port"]. */
  log: { at: number; node: number; type: string; peer: string }[];
  /** Advance virtual time by `ms` in steps of `step`, delivering frames after each step. */
  run(ms: number, step?: number): Promise<void>;
}

export const LIVE_TYPES = [
  "peerJoin",
  "peerSuspect",
  "peerDead",
  "peerLeave",
  "peerRejoin",
  "peerAlive",
] as const;

export async function liveCluster(
  domains: string[],
  opts: Partial<NodeOptions> = {},
  netOpts: MemoryNetworkOptions = {},
  seed = 1,
): Promise<LiveCluster> {
  const c = await memCluster(domains, { profile: "v2", heartbeatMs: 1000, ...opts }, netOpts, seed);
  const log: LiveCluster["log"] = [];
  c.nodes.forEach((n, i) => {
    for (const t of LIVE_TYPES) {
      n.on(
        t,
        (e: PeerEvent) =>
          log.push({ at: c.clock.now(), node: i, type: t, peer: `${e.peer.ip}:${e.peer.port}` }),
      );
    }
  });
  await c.net.settle();
  return {
    ...c,
    log,
    run: async (ms: number, step = 50) => {
      for (let t = 0; t < ms; t += step) {
        c.clock.advance(step);
        await c.net.settle();
      }
    },
  };
}

/** "ip:port" of node `i`. */
export function key(c: MemCluster, i: number): string {
  return `${c.ids[i].ip}:${c.ids[i].port}`;
}

/** The state node `obs` holds for node `i` (undefined when not tracked). */
export function stateOf(c: MemCluster, obs: number, i: number): string | undefined {
  return c.nodes[obs].peers({ includeGone: true }).find((p) =>
    p.ip === c.ids[i].ip && p.port === c.ids[i].port
  )?.state;
}
