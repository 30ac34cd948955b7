/** Helpers for the reliable-delivery sweeps on the in-memory network. */

import type { ChatterNode, LostEvent } from "../../mod.ts";
import { netIdKey } from "../../src/wire/netid.ts";
import type { MemCluster } from "./_memory_cluster.ts";

/** Settle the network and move the virtual clock in steps until `ms` have passed. */
export async function drive(c: MemCluster, ms: number, stepMs = 25): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    await c.net.settle();
    c.clock.advance(stepMs);
  }
  await c.net.settle();
}

/** Drive until no node has anything in its retransmit buffer (or `maxMs` passed). */
export async function driveUntilQuiet(
  c: MemCluster,
  maxMs = 120_000,
  stepMs = 25,
): Promise<number> {
  let t = 0;
  for (; t < maxMs; t += stepMs) {
    await c.net.settle();
    const busy = c.nodes.some((n, i) => c.alive[i] && n.stats().reliable.buffered > 0);
    if (!busy && c.net.pending === 0) break;
    c.clock.advance(stepMs);
  }
  // Let the last acknowledgements go out.
  await drive(c, 200, stepMs);
  return t;
}

/** Collect `lost` events of every node. */
export function collectLost(nodes: ChatterNode[]): LostEvent[] {
  const out: LostEvent[] = [];
  for (const n of nodes) n.on("lost", (e) => out.push(e));
  return out;
}

/** Key of a (origin node, seqno) identity. */
export function idKey(id: { ip: string; port: number; seqno: number }): string {
  return `${netIdKey(id)}/${id.seqno}`;
}

/** One broadcast of a sweep: its payload id, origin index and destination indices. */
export interface Sent {
  id: string;
  from: number;
  dests: number[];
}

let sentSeq = 0;

/**
 * Broadcast one `test.msg` from node `from` to the nodes `dests` (indices), with a payload id
 * unique in the process (`prefix` + a counter) so deliveries can be matched to it.
 */
export function sendTo(c: MemCluster, from: number, dests: number[], prefix = "s"): Sent {
  const id = `${prefix}${++sentSeq}`;
  c.nodes[from].broadcast(dests.map((i) => c.ids[i]), "test.msg", { n: sentSeq, id });
  return { id, from, dests };
}
