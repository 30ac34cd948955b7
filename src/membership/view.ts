/**
 * The derived view: for every key of the 32-bit space, the members serving it, ordered by
 * priority. A function of the merged state alone. [R-MEM-011..013]
 *
 * @module
 */

import { MAX_UINT32 } from "../wire/constants.ts";
import type { NetId } from "../wire/netid.ts";
import { checkU32, compareKeys } from "./member.ts";
import type { MembershipState } from "./state.ts";
import { compareWrites, type TimedItem } from "./timed_item.ts";

/** A member serving a key, with the priority of the claim that makes it serve it. */
export interface Server {
  /** The member (canonical NetID). */
  readonly member: NetId;
  /** Priority of the winning `add` claim; higher comes first. */
  readonly priority: number;
}

/** A maximal run of keys `[start, end]` served by the same members at the same priorities. */
export interface Segment {
  /** First key. */
  readonly start: number;
  /** Last key (inclusive). */
  readonly end: number;
  /** The members serving every key of the run: priority descending, then NetID table order. */
  readonly servers: readonly Server[];
}

interface Run {
  start: number;
  end: number;
  server: Server;
  key: string;
}

/** Binary max-heap of timed items by write precedence. */
class WriteHeap {
  readonly a: TimedItem[] = [];
  push(t: TimedItem): void {
    const a = this.a;
    let i = a.length;
    a.push(t);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (compareWrites(a[p], a[i]) >= 0) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  top(): TimedItem | undefined {
    return this.a[0];
  }
  pop(): void {
    const a = this.a;
    const last = a.pop()!;
    if (a.length === 0) return;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < a.length && compareWrites(a[l], a[m]) > 0) m = l;
      if (r < a.length && compareWrites(a[r], a[m]) > 0) m = r;
      if (m === i) return;
      [a[m], a[i]] = [a[i], a[m]];
      i = m;
    }
  }
}

/**
 * The runs one member serves: for each key, the member's covering item with the highest write
 * precedence decides; `add` serves at its priority, `rmv` does not serve. Items are in slot
 * order (start, end), all of one member. Adjacent runs of equal priority are joined.
 */
function memberRuns(items: readonly TimedItem[], from: number, to: number, out: Run[]): void {
  const bounds: number[] = [];
  for (let i = from; i < to; i++) bounds.push(items[i].item.start, items[i].item.end + 1);
  bounds.sort((x, y) => x - y);
  const heap = new WriteHeap();
  let next = from;
  let prev: Run | undefined;
  for (let b = 0; b < bounds.length; b++) {
    const x = bounds[b];
    if (b > 0 && bounds[b - 1] === x) continue;
    if (x > MAX_UINT32) break;
    while (next < to && items[next].item.start === x) heap.push(items[next++]);
    while (heap.top() !== undefined && heap.top()!.item.end < x) heap.pop();
    const top = heap.top();
    if (top === undefined || top.item.op !== "add") continue;
    let y = b + 1;
    while (bounds[y] === x) y++;
    const end = bounds[y] - 1; // exists: the top's end + 1 is a bound above x
    if (
      prev !== undefined && prev.end + 1 === x && prev.server.priority === top.item.priority
    ) {
      prev.end = end;
    } else {
      prev = {
        start: x,
        end,
        server: Object.freeze({ member: top.item.member, priority: top.item.priority }),
        key: top.item.memberKey,
      };
      out.push(prev);
    }
  }
}

/** Servers in view order: priority descending, then member in NetID table order. [R-MEM-012] */
function compareServers(a: Run, b: Run): number {
  return b.server.priority - a.server.priority || compareKeys(a.key, b.key);
}

/**
 * The view derived from a membership state: the key space cut into maximal segments, each
 * listing its servers. Segments with no server are left out. Immutable.
 *
 * @example
 * ```ts
 * import { MembershipView, MembershipState } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * const m = { ip: "10.0.0.1", port: 4000 };
 * const state = MembershipState.EMPTY.write(m, [{ op: "add", start: 0, end: 99, priority: 5 }]);
 * assert.deepEqual(MembershipView.of(state).lookup(42), [{ member: m, priority: 5 }]);
 * ```
 */
export class MembershipView {
  /** Non-empty segments in key order, maximal (neighbours differ). */
  readonly segments: readonly Segment[];

  private constructor(segments: Segment[]) {
    this.segments = Object.freeze(segments);
    Object.freeze(this);
  }

  /** Derive the view of `state` (cached per state object). [R-MEM-013] */
  static of(state: MembershipState): MembershipView {
    let v = cache.get(state);
    if (v === undefined) {
      v = new MembershipView(deriveSegments(state));
      cache.set(state, v);
    }
    return v;
  }

  /** True when both views have the same segments with the same servers. */
  equals(other: MembershipView): boolean {
    if (this === other) return true;
    const a = this.segments, b = other.segments;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      const x = a[i], y = b[i];
      if (x.start !== y.start || x.end !== y.end || x.servers.length !== y.servers.length) {
        return false;
      }
      for (let j = 0; j < x.servers.length; j++) {
        const u = x.servers[j], v = y.servers[j];
        if (
          u.priority !== v.priority || u.member.ip !== v.member.ip ||
          u.member.port !== v.member.port
        ) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * The members serving `key`, priority descending, ties in NetID table order. Throws an
   * `InvalidValueError` when `key` is not a 32-bit unsigned integer.
   */
  lookup(key: number): readonly Server[] {
    checkU32(key, "lookup key");
    const s = this.segments;
    let lo = 0, hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid].end < key) lo = mid + 1;
      else if (s[mid].start > key) hi = mid - 1;
      else return s[mid].servers;
    }
    return EMPTY_SERVERS;
  }
}

const EMPTY_SERVERS: readonly Server[] = Object.freeze([]);

/**
 * Where `r` is (or goes) in `active`, sorted by view order. Runs of one member never overlap,
 * so (priority, member) identifies a run among the active ones.
 */
function position(active: Run[], r: Run): number {
  let lo = 0, hi = active.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareServers(active[mid], r) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
const cache = new WeakMap<MembershipState, MembershipView>();

function deriveSegments(state: MembershipState): Segment[] {
  const items = state.items;
  const runs: Run[] = [];
  for (let i = 0; i < items.length;) {
    let j = i + 1;
    while (j < items.length && items[j].item.memberKey === items[i].item.memberKey) j++;
    memberRuns(items, i, j, runs);
    i = j;
  }
  // Sweep over run boundaries; between two consecutive boundaries the server set is constant.
  // Starts and ends sorted separately (two number sorts, no event objects); the active runs
  // are kept in view order, so each segment's list is a copy, not a sort.
  const starts = runs.slice().sort((x, y) => x.start - y.start);
  const ends = runs.slice().sort((x, y) => x.end - y.end);
  const active: Run[] = [];
  const out: Segment[] = [];
  let si = 0, ei = 0;
  while (si < starts.length || ei < ends.length) {
    const nextStart = si < starts.length ? starts[si].start : Infinity;
    const nextEnd = ei < ends.length ? ends[ei].end + 1 : Infinity;
    const at = Math.min(nextStart, nextEnd);
    while (ei < ends.length && ends[ei].end + 1 === at) {
      active.splice(position(active, ends[ei++]), 1);
    }
    while (si < starts.length && starts[si].start === at) {
      const r = starts[si++];
      active.splice(position(active, r), 0, r);
    }
    if (active.length === 0) continue;
    const next = Math.min(
      si < starts.length ? starts[si].start : Infinity,
      ei < ends.length ? ends[ei].end + 1 : Infinity,
    );
    const servers: Server[] = new Array(active.length);
    for (let k = 0; k < active.length; k++) servers[k] = active[k].server;
    out.push(Object.freeze({ start: at, end: next - 1, servers: Object.freeze(servers) }));
  }
  return out;
}

/**
 * The members serving `key` in `state`: shorthand for `MembershipView.of(state).lookup(key)`.
 *
 * @example
 * ```ts
 * import { lookup, MembershipState } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * assert.deepEqual(lookup(MembershipState.EMPTY, 7), []);
 * ```
 */
export function lookup(state: MembershipState, key: number): readonly Server[] {
  return MembershipView.of(state).lookup(key);
}
