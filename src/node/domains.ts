/**
 * Compact domain facts (spec/node.md, R-NODE-SCALE-004): frames carry, in one internal record
 * of type `chatter.sys.domains.v1`, groups of NetIDs the sender knows to share a multicast
 * domain. A multicast frame carries the sender and a few nodes it hears; a TCP frame to a relay
 * carries the relay's share grouped by domain. Receivers merge each group into their domain map,
 * an incremental union-find: learning costs O(size of the frame), never a recomputation over
 * every pair of peers.
 *
 * Payload: varint group count, then per group a varint member count and that many varint
 * indexes into the frame's NetID table. The record's origin is the frame's sender; a record
 * whose origin is not the sender (a relay forwarding bytes it does not understand) is ignored,
 * since its indexes refer to another frame's table.
 *
 * @module
 */

import { ByteWriter } from "../wire/byte_writer.ts";
import type { OutgoingRecord } from "../wire/message.ts";
import type { BroadcastId, NetId } from "../wire/netid.ts";
import type { NetIdTable } from "../wire/netid_table.ts";
import { decodeVarint } from "../wire/varint.ts";
import { typeTag } from "../wire/xxhash32.ts";

/** Type name of the domain-facts record. [R-NODE-SCALE-004] */
export const DOMAINS_TYPE_NAME = "chatter.sys.domains.v1";

/** Its type tag (xxhash32 of the name). */
export const DOMAINS_TAG: number = typeTag(DOMAINS_TYPE_NAME);

/** Most groups and most members one record carries when decoded. */
const MAX_MEMBERS = 65_536;

/**
 * The record carrying `groups` (each of two or more NetIDs) in a frame sent as `origin`.
 *
 * @example
 * ```ts
 * import { domainsRecord, DOMAINS_TAG } from "./domains.ts";
 * const me = { ip: "10.0.0.1", port: 1, seqno: 5 };
 * const r = domainsRecord(me, [[me, { ip: "10.0.0.2", port: 1 }]]);
 * r.typeTag === DOMAINS_TAG; // true
 * ```
 */
export function domainsRecord(origin: BroadcastId, groups: readonly NetId[][]): OutgoingRecord {
  const extra: NetId[] = [];
  for (const g of groups) for (const m of g) extra.push(m);
  return {
    typeTag: DOMAINS_TAG,
    origin,
    extraNetIds: extra,
    payload: (table: NetIdTable) => {
      const w = new ByteWriter(8 + extra.length * 2);
      w.varint(groups.length);
      for (const g of groups) {
        w.varint(g.length);
        for (const m of g) w.varint(table.indexOf(m));
      }
      return w.finish();
    },
  };
}

/**
 * The groups of a domain-facts payload, resolved against the frame's table; `undefined` for a
 * malformed payload (it is ignored).
 *
 * @example
 * ```ts
 * import { decodeDomains } from "./domains.ts";
 * const table = [{ ip: "10.0.0.1", port: 1 }, { ip: "10.0.0.2", port: 1 }];
 * decodeDomains(new Uint8Array([1, 2, 0, 1]), table)?.[0].length; // 2
 * ```
 */
export function decodeDomains(payload: Uint8Array, table: readonly NetId[]): NetId[][] | undefined {
  try {
    let o = 0;
    let n: number, k: number, ix: number;
    [n, o] = decodeVarint(payload, o, 5, MAX_MEMBERS, "payload");
    const out: NetId[][] = [];
    let total = 0;
    for (let i = 0; i < n; i++) {
      [k, o] = decodeVarint(payload, o, 5, MAX_MEMBERS, "payload");
      total += k;
      if (total > MAX_MEMBERS || k > payload.length - o) return undefined;
      const g: NetId[] = [];
      for (let j = 0; j < k; j++) {
        [ix, o] = decodeVarint(payload, o, 5, MAX_MEMBERS, "payload");
        if (ix >= table.length) return undefined;
        g.push(table[ix]);
      }
      out.push(g);
    }
    return o === payload.length ? out : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `groups` (a TCP frame's domain facts) hold the unit marker for `self`: a group of
 * one member, the frame's receiver. It says the sender planned the receiver and the nodes of
 * its domain that follow it in the list as one multicast domain, covered by the receiver's
 * multicast: the receiver keeps no TCP copy for them (R-NODE-SCALE-007). Nodes that do not know
 * the marker skip it (groups of one teach nothing).
 *
 * @example
 * ```ts
 * import { isUnitMarker } from "./domains.ts";
 * const me = { ip: "10.0.0.1", port: 1 };
 * isUnitMarker([[{ ip: "10.0.0.1", port: 1 }]], me); // true
 * ```
 */
export function isUnitMarker(groups: readonly (readonly NetId[])[], self: NetId): boolean {
  for (const g of groups) {
    if (g.length === 1 && g[0].ip === self.ip && g[0].port === self.port) return true;
  }
  return false;
}

/**
 * An incremental union-find over NetID keys; the root of a set is its smallest key, so every
 * node that knows the same members names the domain alike.
 *
 * @example
 * ```ts
 * import { DomainMap } from "./domains.ts";
 * const d = new DomainMap();
 * d.union("b", "c");
 * d.union("a", "c");
 * d.find("b"); // "a"
 * ```
 */
export class DomainMap {
  readonly #parent = new Map<string, string>();

  /** Keys in the map. */
  get size(): number {
    return this.#parent.size;
  }

  /** The set's root (smallest key) of `k`; `k` itself when unknown. */
  find(k: string): string {
    const p = this.#parent;
    const first = p.get(k);
    if (first === undefined || first === k) return k;
    let r = first;
    for (let n = p.get(r); n !== undefined && n !== r; n = p.get(r)) r = n;
    // Path compression (nothing to write when `k` points at the root already).
    let c = k;
    let n = first;
    while (n !== r) {
      p.set(c, r);
      c = n;
      n = p.get(c)!;
    }
    return r;
  }

  /** Merge the sets of `a` and `b`; true when they were apart. */
  union(a: string, b: string): boolean {
    const ra = this.find(a), rb = this.find(b);
    if (ra === rb) {
      if (!this.#parent.has(a)) this.#parent.set(a, ra);
      return false;
    }
    if (ra < rb) this.#parent.set(rb, ra);
    else this.#parent.set(ra, rb);
    if (!this.#parent.has(ra)) this.#parent.set(ra, ra);
    if (!this.#parent.has(rb)) this.#parent.set(rb, rb);
    return true;
  }

  /** Forget everything (before a rebuild from fresh facts). */
  clear(): void {
    this.#parent.clear();
  }
}
