/**
 * Repairs by multicast (spec/node.md, "Repairs by multicast"): when an origin infers that
 * several destinations of one domain miss the same message, it sends the record once instead of
 * once per destination by TCP. This module only groups: a repair inferred from acknowledgement
 * order (R-NODE-REL-003 (a)) to a destination whose group (the origin's own domain, or another
 * domain) holds at least `min` destinations of the message waits up to `waitMs` for the other
 * destinations' inferences of the same number; as soon as `min` of one group have it (or when
 * the wait ends) the {@linkcode ReliableSender} sends it: by multicast (own domain), through one
 * relay of the domain (another domain), or by TCP to each destination as before (fewer than
 * `min`). A number is grouped at most once: later repairs of it go by TCP, so a lost multicast
 * repair never loops. [R-NODE-REL-020..024]
 *
 * @module
 */

import type { NetId } from "../wire/netid.ts";
import type { NodeClock, TimerHandle } from "./clock.ts";

/** The group key of the destinations that hear this node's own multicast. */
export const OWN_DOMAIN = "";

/** Repairs of one sequence number to destinations of one group, waiting to be sent. */
export interface GroupedRepair {
  /** The repaired sequence number. */
  seq: number;
  /** {@linkcode OWN_DOMAIN}, or the domain key of another domain. */
  group: string;
  /** Indexes (in the message's destination set) of the destinations inferred to miss it. */
  dests: number[];
  /** The destination set (the object the sender keeps for the message). */
  set: object;
}

/** What a {@linkcode RepairGrouper} needs. */
export interface RepairGrouperHost {
  /** The node's clock. */
  clock: NodeClock;
  /** {@linkcode OWN_DOMAIN} when `id` hears our multicast, else the key of its domain. */
  groupOf(id: NetId): string;
  /** Send these grouped repairs now (`due`: the wait ended, not the threshold). */
  flush(repairs: GroupedRepair[]): void;
}

/**
 * What a {@linkcode ReliableSender}'s host offers for repairs by multicast (optional: without
 * it every repair goes by TCP). [R-NODE-REL-020]
 */
export interface RepairGrouping<R> {
  /** Destinations of one group that must miss a number for it to go once (0: off). */
  min: number;
  /** How long an inference waits for the others of its group (ms). */
  waitMs: number;
  /** Records larger than this (payload bytes) are repaired by TCP only. */
  maxBytes: number;
  /** {@linkcode OWN_DOMAIN} when `id` hears our multicast, else the key of its domain. */
  groupOf(id: NetId): string;
  /** Send these records once by multicast (with a repair marker). */
  multicast(recs: R[]): { frames: number; bytes: number };
  /** Send these records by TCP to `relay`, which forwards them to `rest` (its domain). */
  via(relay: NetId, rest: NetId[], recs: R[]): { frames: number; bytes: number };
}

/** How long a destination set's grouping is reused before it is looked up again (ms). */
const GROUPS_TTL_MS = 1_000;

interface SetGroups {
  at: number;
  /** The group of each destination (by index). */
  of: string[];
  /** Destinations per group. */
  count: Map<string, number>;
}

/**
 * Groups the repairs of one origin by sequence number and domain.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "./clock.ts";
 * import { type GroupedRepair, OWN_DOMAIN, RepairGrouper } from "./multicast_repair.ts";
 * const clock = new ManualClock(0);
 * const sent: GroupedRepair[] = [];
 * const g = new RepairGrouper({
 *   clock,
 *   groupOf: (id) => (id.port < 10 ? OWN_DOMAIN : "far"),
 *   flush: (rs) => sent.push(...rs),
 * }, 3, 50);
 * const set = { ids: [1, 2, 3, 4, 11].map((port) => ({ ip: "10.0.0.1", port })) };
 * assert.equal(g.offer(7, set, 0), 1); // waits for the others
 * assert.equal(g.offer(7, set, 4), 0); // "far" has one destination: not grouped
 * g.offer(7, set, 1);
 * g.offer(7, set, 2); // the third of our domain: ready
 * g.flushReady();
 * assert.deepEqual(sent.map((r) => [r.seq, r.group, r.dests]), [[7, OWN_DOMAIN, [0, 1, 2]]]);
 * assert.equal(g.offer(7, set, 3), 0); // grouped once already: by TCP from now on
 * ```
 */
export class RepairGrouper {
  readonly #h: RepairGrouperHost;
  readonly #min: number;
  readonly #waitMs: number;
  readonly #sets = new WeakMap<object, SetGroups>();
  /** Waiting repairs by sequence number, then group. */
  readonly #pending = new Map<number, Map<string, GroupedRepair>>();
  /** Those that reached the threshold, to be sent by `flushReady`. */
  #ready: GroupedRepair[] = [];
  /** Numbers grouped once already (cleared by `forget`). */
  readonly #tried = new Set<number>();
  #timer: TimerHandle | undefined;
  #closed = false;

  /**
   * `min`: destinations of one group (at least 2) that must miss a number for it to go once;
   * `waitMs`: how long an inference waits for the others.
   */
  constructor(h: RepairGrouperHost, min: number, waitMs: number) {
    this.#h = h;
    this.#min = Math.max(2, min);
    this.#waitMs = Math.max(1, waitMs);
  }

  #groups(set: { ids: readonly NetId[] }): SetGroups {
    const now = this.#h.clock.now();
    let g = this.#sets.get(set);
    if (g && now - g.at < GROUPS_TTL_MS) return g;
    const of = set.ids.map((id) => this.#h.groupOf(id));
    const count = new Map<string, number>();
    for (const k of of) count.set(k, (count.get(k) ?? 0) + 1);
    this.#sets.set(set, g = { at: now, of, count });
    return g;
  }

  /** The group of destination `i` of `set` (as last looked up). */
  groupOf(set: { ids: readonly NetId[] }, i: number): string {
    return this.#groups(set).of[i];
  }

  /**
   * The repair of `seq` to destination `i` of `set` was inferred: 1 when it now waits to be
   * grouped, 2 when it was waiting already, 0 when it is to go by TCP now (its group has fewer
   * than `min` destinations of the message, or the number was grouped once already).
   */
  offer(seq: number, set: { ids: readonly NetId[] }, i: number): 0 | 1 | 2 {
    if (this.#closed || this.#tried.has(seq)) return 0;
    const g = this.#groups(set);
    const key = g.of[i];
    if ((g.count.get(key) ?? 0) < this.#min) return 0;
    let bySeq = this.#pending.get(seq);
    if (!bySeq) this.#pending.set(seq, bySeq = new Map());
    let r = bySeq.get(key);
    if (!r) bySeq.set(key, r = { seq, group: key, dests: [], set });
    if (r.dests.includes(i)) return 2;
    r.dests.push(i);
    if (r.dests.length === this.#min) this.#ready.push(r);
    if (this.#timer === undefined) {
      this.#timer = this.#h.clock.setTimeout(() => {
        this.#timer = undefined;
        this.#flushAll();
      }, this.#waitMs);
    }
    return 1;
  }

  /** Whether `seq` was grouped once already (its next repairs go by TCP). */
  tried(seq: number): boolean {
    return this.#tried.has(seq);
  }

  /** `seq` left the retransmit buffer. */
  forget(seq: number): void {
    if (this.#tried.size > 0) this.#tried.delete(seq);
  }

  /** Send the groups that reached the threshold. */
  flushReady(): void {
    if (this.#ready.length === 0) return;
    const out = this.#ready;
    this.#ready = [];
    for (const r of out) this.#take(r);
    this.#h.flush(out);
  }

  #take(r: GroupedRepair): void {
    this.#tried.add(r.seq);
    const bySeq = this.#pending.get(r.seq);
    if (!bySeq) return;
    bySeq.delete(r.group);
    if (bySeq.size === 0) this.#pending.delete(r.seq);
  }

  #flushAll(): void {
    if (this.#closed) return;
    this.#ready = [];
    const out: GroupedRepair[] = [];
    for (const bySeq of this.#pending.values()) {
      for (const r of bySeq.values()) out.push(r);
    }
    this.#pending.clear();
    // Only numbers sent as one copy are "tried"; those still below the threshold go by TCP
    // each, and may be grouped later (a later inference is new evidence).
    for (const r of out) if (r.dests.length >= this.#min) this.#tried.add(r.seq);
    if (out.length > 0) this.#h.flush(out);
  }

  /** Whether `r` reached the threshold. */
  enough(r: GroupedRepair): boolean {
    return r.dests.length >= this.#min;
  }

  /** Stop (pending repairs are dropped: the sender is closing). */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#h.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending.clear();
    this.#ready = [];
  }
}
