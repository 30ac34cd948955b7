/**
 * The broadcast plan: which frames a node sends for one set of destinations. Pure, so the
 * algorithm is tested without sockets. The rules (spec/node.md):
 *
 * 1. Nothing to send when no destination other than ourselves is left. [R-NODE-PLAN-001]
 * 2. Otherwise multicast first. [R-NODE-PLAN-002]
 * 3. Drop destinations whose seen IDs name us (they hear our multicast), but keep one random
 *    original destination on TCP, since UDP may lose the frame. [R-NODE-PLAN-003]
 * 4. Group the rest into multicast domains; each round hands half of the remaining domains to
 *    one relay (the first node of the first of them) with the other nodes of that half as its
 *    distribution list; the relay repeats the procedure. Domains and nodes are shuffled so
 *    successive broadcasts build different trees. [R-NODE-PLAN-004]
 *
 * @module
 */

import { type NetId, netIdKey } from "../wire/netid.ts";
import { randomInt, type RandomSource, shuffle } from "./random.ts";

/** What the plan needs to know from the peer database. */
export interface PlanView {
  /** True when `id`'s seen IDs recently named us: it hears our multicast. */
  hearsUs(id: NetId): boolean;
  /** A key naming `id`'s multicast domain; unknown nodes are domains of their own. */
  domainOf(id: NetId): string;
}

/** One TCP frame of a plan: to a relay, with the relay's distribution list. */
export interface TcpSend {
  /** The relay (or leaf) to connect to. */
  to: NetId;
  /** Who the relay must forward to; empty for a leaf. */
  distribution: NetId[];
}

/** The frames one node sends for one set of destinations. */
export interface BroadcastPlan {
  /** Send the frame by multicast first. */
  multicast: boolean;
  /** TCP frames, in the order of the tree's rounds. */
  tcp: TcpSend[];
}

/**
 * Plan the frames for `destinations` (any order, repeats and `self` allowed).
 *
 * @example
 * ```ts
 * import { planBroadcast, seededRandom } from "@chatter/chatter";
 * const ids = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => ({ ip: "10.0.0." + i, port: 1 }));
 * const view = { hearsUs: () => false, domainOf: (id: { ip: string }) => id.ip };
 * const plan = planBroadcast(ids[0], ids, view, seededRandom(1));
 * plan.tcp.length; // 3: rounds of a logarithmic tree over 7 destinations
 * ```
 */
export function planBroadcast(
  self: NetId,
  destinations: readonly NetId[],
  view: PlanView,
  random: RandomSource,
): BroadcastPlan {
  const selfKey = netIdKey(self);
  const unique = new Map<string, NetId>();
  for (const d of destinations) {
    const k = netIdKey(d);
    if (k !== selfKey && !unique.has(k)) unique.set(k, d);
  }
  const dests = [...unique.values()];
  if (dests.length === 0) return { multicast: false, tcp: [] };
  const keep = dests[randomInt(random, dests.length)];
  const byDomain = new Map<string, NetId[]>();
  let keepUnit: NetId[] | undefined;
  for (const d of dests) {
    if (view.hearsUs(d)) {
      if (d === keep) keepUnit = [keep];
      continue;
    }
    const dom = view.domainOf(d);
    const unit = byDomain.get(dom);
    if (unit) unit.push(d);
    else byDomain.set(dom, [d]);
  }
  const units: NetId[][] = [];
  for (const unit of byDomain.values()) units.push(shuffle(random, unit));
  if (keepUnit) units.push(keepUnit);
  shuffle(random, units);
  const tcp: TcpSend[] = [];
  let at = 0;
  while (at < units.length) {
    const take = Math.ceil((units.length - at) / 2);
    const share = units.slice(at, at + take).flat();
    at += take;
    tcp.push({ to: share[0], distribution: share.slice(1) });
  }
  return { multicast: true, tcp };
}

/**
 * The send that takes over a failed relay's share: the next node of the share becomes the
 * relay for the rest. `undefined` when the share had no one else. [R-NODE-RELAY-001]
 */
export function takeOver(failed: TcpSend): TcpSend | undefined {
  if (failed.distribution.length === 0) return undefined;
  return { to: failed.distribution[0], distribution: failed.distribution.slice(1) };
}
