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
 * 5. Records that are not multicast (multicast off, or too large for one datagram) keep every
 *    destination on TCP: rule 3 applies only to what was multicast. [R-NODE-SCALE-001]
 * 6. No distribution list is longer than `maxShare`: a larger share is cut into several TCP
 *    frames, at domain boundaries where it can be. [R-NODE-SCALE-002]
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
  /**
   * The relay's own group in this share (the relay and the nodes of its domain that follow it)
   * has two or more nodes and was planned as one domain: the relay's multicast covers it, and
   * the relay keeps no TCP copy for it. [R-NODE-SCALE-007]
   */
  unit?: boolean;
}

/** Options of {@linkcode planBroadcast}. */
export interface PlanOptions {
  /**
   * The records go by multicast (default true). When false nothing is dropped as "hears us":
   * every destination stays on TCP. [R-NODE-SCALE-001]
   */
  multicast?: boolean;
  /** Longest distribution list of one TCP frame (default unbounded). [R-NODE-SCALE-002] */
  maxShare?: number;
  /** Keep one random destination on TCP although it hears us (R-NODE-PLAN-003; default true). */
  keep?: boolean;
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
 * import { seededRandom } from "@chatter/chatter/testing";
 * import { planBroadcast } from "./plan.ts";
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
  opts: PlanOptions = {},
): BroadcastPlan {
  const multicast = opts.multicast ?? true;
  const maxShare = Math.max(0, Math.floor(opts.maxShare ?? Infinity));
  const selfKey = netIdKey(self);
  const unique = new Map<string, NetId>();
  for (const d of destinations) {
    const k = netIdKey(d);
    if (k !== selfKey && !unique.has(k)) unique.set(k, d);
  }
  const dests = [...unique.values()];
  if (dests.length === 0) return { multicast: false, tcp: [] };
  const keep = (opts.keep ?? true) ? dests[randomInt(random, dests.length)] : undefined;
  const byDomain = new Map<string, NetId[]>();
  let keepUnit: NetId[] | undefined;
  for (const d of dests) {
    if (multicast && view.hearsUs(d)) {
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
    const half = units.slice(at, at + take);
    at += take;
    if (half.reduce((a, u) => a + u.length, 0) <= maxShare + 1) {
      const share = half.flat();
      const s: TcpSend = { to: share[0], distribution: share.slice(1) };
      if (half[0].length > 1) s.unit = true;
      tcp.push(s);
    } else cutShare(half, maxShare, tcp);
  }
  return { multicast, tcp };
}

/**
 * Cut a share too long for one frame into frames of at most `maxShare + 1` nodes (a relay and
 * its list), filling each with whole domains and cutting a domain only when it alone is too
 * large. [R-NODE-SCALE-002]
 */
function cutShare(units: NetId[][], maxShare: number, tcp: TcpSend[]): void {
  const cap = maxShare + 1;
  let cur: NetId[] = [];
  let unit = false;
  const emit = () => {
    if (cur.length > 0) {
      const s: TcpSend = { to: cur[0], distribution: cur.slice(1) };
      if (unit) s.unit = true;
      tcp.push(s);
    }
    cur = [];
  };
  for (const u of units) {
    if (cur.length + u.length > cap) emit();
    for (let i = 0; i < u.length; i += cap) {
      const piece = u.slice(i, i + cap);
      if (cur.length + piece.length > cap) emit();
      if (cur.length === 0) unit = piece.length > 1;
      cur.push(...piece);
    }
  }
  emit();
}

/**
 * The send that takes over a failed relay's share: the next node of the share becomes the
 * relay for the rest. `undefined` when the share had no one else. [R-NODE-RELAY-001]
 */
export function takeOver(failed: TcpSend): TcpSend | undefined {
  if (failed.distribution.length === 0) return undefined;
  return { to: failed.distribution[0], distribution: failed.distribution.slice(1) };
}
