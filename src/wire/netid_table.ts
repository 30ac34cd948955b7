/**
 * The NetID table: every NetID a frame mentions, de-duplicated and sorted, so that the gossip
 * and payloads refer to NetIDs by position. [R-TABLE-001..006]
 *
 * @module
 */

import { InvalidValueError } from "../errors.ts";
import { formatIp, type NetId, netIdKey, parseIp } from "./netid.ts";

/** Compare two address byte arrays: shorter (IPv4) first, then bytes numerically. */
function compareAddr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return 0;
}

/** One parsed table entry: the NetID and its address bytes. */
export interface NetIdTableEntry {
  /** The NetID, address in canonical text. */
  id: NetId;
  /** 4 (IPv4) or 16 (IPv6) address bytes. */
  addr: Uint8Array;
}

/**
 * Compare two table entries in table order: IPv4 before IPv6, then address bytes
 * numerically, then port. [R-TABLE-003]
 */
export function compareTableEntries(a: NetIdTableEntry, b: NetIdTableEntry): number {
  return compareAddr(a.addr, b.addr) || a.id.port - b.id.port;
}

/**
 * A built NetID table: the sorted, de-duplicated entries and a lookup from NetID to
 * position. Payload encoders get one to turn NetIDs into table references.
 *
 * @example
 * ```ts
 * import { NetIdTable } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const t = NetIdTable.build([{ ip: "10.0.0.2", port: 1 }, { ip: "10.0.0.1", port: 9 }]);
 * assert.equal(t.indexOf({ ip: "10.0.0.1", port: 9 }), 0);
 * ```
 */
export class NetIdTable {
  /** Entries in table order. */
  readonly entries: readonly NetIdTableEntry[];
  /** Address text, then port, to position (no per-lookup key strings). */
  readonly #index: Map<string, number | Map<number, number>>;
  /** Port of the entry an address maps to directly (the common single-port case). */
  readonly #ports: number[];

  private constructor(entries: NetIdTableEntry[]) {
    this.entries = entries;
    this.#index = new Map();
    this.#ports = new Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const { ip, port } = entries[i].id;
      this.#ports[i] = port;
      const at = this.#index.get(ip);
      if (at === undefined) this.#index.set(ip, i);
      else if (typeof at === "number") {
        this.#index.set(ip, new Map([[this.#ports[at], at], [port, i]]));
      } else at.set(port, i);
    }
  }

  #find(ip: string, port: number): number | undefined {
    const at = this.#index.get(ip);
    if (at === undefined) return undefined;
    if (typeof at === "number") return this.#ports[at] === port ? at : undefined;
    return at.get(port);
  }

  /**
   * Build a table from NetIDs in any order, with repeats. Throws an `InvalidValueError` naming an
   * invalid address or port.
   */
  static build(ids: Iterable<NetId>): NetIdTable {
    const seen = new Map<string, NetIdTableEntry>();
    for (const id of ids) {
      const addr = parseIp(id.ip);
      if (!Number.isInteger(id.port) || id.port < 0 || id.port > 65535) {
        throw new InvalidValueError(`port must be an integer in [0, 65535], got ${id.port}`);
      }
      const canon = { ip: formatIp(addr), port: id.port };
      const key = netIdKey(canon);
      if (!seen.has(key)) seen.set(key, { id: canon, addr });
    }
    const entries = [...seen.values()].sort(compareTableEntries);
    return new NetIdTable(entries);
  }

  /** Wrap entries already in table order (as a decoder read them). */
  static fromSorted(entries: NetIdTableEntry[]): NetIdTable {
    return new NetIdTable(entries);
  }

  /** Number of entries. */
  get size(): number {
    return this.entries.length;
  }

  /** The NetIDs in table order. */
  ids(): NetId[] {
    return this.entries.map((e) => e.id);
  }

  /** The NetID at position `i`, or undefined past the end. */
  at(i: number): NetId | undefined {
    return this.entries[i]?.id;
  }

  /** Position of `id`; throws a `RangeError` naming the NetID when it is not in the table. */
  indexOf(id: NetId): number {
    let i = this.#find(id.ip, id.port);
    if (i === undefined) {
      // Accept non-canonical address text from callers.
      try {
        i = this.#find(formatIp(parseIp(id.ip)), id.port);
      } catch { /* fall through to the error below */ }
    }
    if (i === undefined) {
      throw new RangeError(`NetID ${id.ip}:${id.port} is not in the NetID table`);
    }
    return i;
  }
}
