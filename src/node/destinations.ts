/**
 * A broadcast's destinations, checked and keyed: NetIDs or `"ip:port"` text become NetIDs
 * without this node, and a key naming the set (broadcasts to the same set share frames).
 * Internal: not exported by the package.
 *
 * @module
 */

import { NodeOptionError } from "../errors.ts";
import { type NetId, netIdKey, parseNetId } from "../wire/netid.ts";
import { NetIdTable } from "../wire/netid_table.ts";

/**
 * `broadcast(ALL_PEERS, ...)` (or `"all"`) sends to every peer alive or suspect now.
 * [R-NODE-LIVE-007]
 */
export const ALL_PEERS = "all";

/** Destinations without this node, the key of the set, and whether this node was among them. */
export interface ResolvedDestinations {
  dests: NetId[];
  key: string;
  toSelf: boolean;
}

/**
 * Resolves destinations for one node. The last result is reused when the same (unchanged)
 * array is passed again, as applications that broadcast many messages to one peer list do;
 * checking it costs one identity comparison per element.
 */
export class DestinationResolver {
  readonly #self: NetId;
  #cache?: {
    input: unknown;
    items: (NetId | string)[];
    ips: string[];
    ports: number[];
    out: ResolvedDestinations;
  };

  /** A resolver for the node `self`. */
  constructor(self: NetId) {
    this.#self = self;
  }

  /**
   * Destinations without this node, and a key naming the set. Throws
   * {@linkcode NodeOptionError} ("destination") for one that is not an address.
   */
  resolve(destinations: Iterable<NetId | string>): ResolvedDestinations {
    const c = this.#cache;
    if (c && c.input === destinations && Array.isArray(destinations)) {
      const a = destinations as (NetId | string)[];
      let same = a.length === c.items.length;
      for (let i = 0; same && i < a.length; i++) {
        const d = a[i];
        // Objects are compared by identity and must not have changed since.
        same = d === c.items[i] &&
          (typeof d === "string" || (d.ip === c.ips[i] && d.port === c.ports[i]));
      }
      if (same) return c.out;
    }
    const dests: NetId[] = [];
    const keys: string[] = [];
    const selfKey = netIdKey(this.#self);
    let toSelf = false;
    for (const d of destinations) {
      let id: NetId, k: string;
      try {
        id = typeof d === "string" ? parseNetId(d) : d;
        k = netIdKey(id);
        if (typeof d !== "string") NetIdTable.build([id]);
      } catch {
        throw new NodeOptionError("destination", d, `a NetID {ip, port} or "ip:port" text`);
      }
      if (k === selfKey) {
        toSelf = true;
        continue;
      }
      dests.push(id);
      keys.push(k);
    }
    const out = { dests, key: keys.sort().join(","), toSelf };
    if (Array.isArray(destinations)) {
      const items = [...destinations] as (NetId | string)[];
      this.#cache = {
        input: destinations,
        items,
        ips: items.map((d) => typeof d === "string" ? "" : d.ip),
        ports: items.map((d) => typeof d === "string" ? 0 : d.port),
        out,
      };
    }
    return out;
  }
}
