/**
 * Group: one node's membership state and the rules for exchanging it, independent of any
 * transport. The node wires it to Chatter broadcast; tests drive it over a simulated lossy
 * network. See `spec/membership.md` §7.
 *
 * The exchange, in short: a member broadcasts a **snapshot** of its own items (all of them,
 * with its clock) whenever it changes; a receiver accepts from a frame only the items and clock
 * of the member that originated it, so no node can rewrite another's claims. Every node also
 * broadcasts, now and then, a **digest** (its world clock, no items), under a type of its own
 * so that no digest is ever mistaken for a snapshot. A member that sees a digest in which its
 * own clock is behind or missing re-sends its snapshot; so after loss or a restart
 * every member eventually reaches everyone with everything it wrote, and all views converge.
 *
 * @module
 */

import type { NetId } from "../wire/netid.ts";
import type { ItemFields } from "./item.ts";
import { LocalClock } from "./local_clock.ts";
import { memberInfo } from "./member.ts";
import { MembershipState } from "./state.ts";
import { MembershipView, type Server } from "./view.ts";

/** A change of the view, as {@linkcode Group.onChange} listeners get it. */
export interface GroupChange {
  /** The view before. */
  previous: MembershipView;
  /** The view now. */
  view: MembershipView;
}

/** What {@linkcode Group.receive} did with a message. */
export interface ReceiveResult {
  /** True when the state changed (new items or a later clock of the originating member). */
  changed: boolean;
  /** Items of members other than the originator, ignored. */
  ignored: number;
  /**
   * True for a digest whose clock of this node is behind or missing: this node should
   * broadcast its snapshot again.
   */
  resend: boolean;
  /** Members whose clock in the message is ahead of ours: we lag behind them. */
  lagging: NetId[];
}

/**
 * One node's view of the group: its own claims, what it accepted from others, the derived view.
 *
 * @example
 * ```ts
 * import { Group } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * const a = new Group({ ip: "10.0.0.1", port: 4000 });
 * const b = new Group({ ip: "10.0.0.2", port: 4000 });
 * const snap = a.join(0, 999, 5);
 * b.receiveSnapshot(snap, a.self);
 * assert.deepEqual(b.lookup(42).map((s) => s.member.ip), ["10.0.0.1"]);
 * ```
 */
export class Group {
  /** This node's member NetID (canonical). */
  readonly self: NetId;
  readonly #key: string;
  #state: MembershipState;
  readonly #listeners = new Set<(c: GroupChange) => void>();

  /**
   * A group for member `self`, optionally starting from a saved state (e.g. after a restart;
   * its own clock then continues from the saved one).
   */
  constructor(self: NetId, initial: MembershipState = MembershipState.EMPTY) {
    const m = memberInfo(self, "Group member");
    this.self = m.id;
    this.#key = m.key;
    this.#state = initial;
  }

  /** The merged state. */
  get state(): MembershipState {
    return this.#state;
  }

  /** The derived view of the state. */
  get view(): MembershipView {
    return MembershipView.of(this.#state);
  }

  /** The members serving `key`, highest priority first. */
  lookup(key: number): readonly Server[] {
    return this.view.lookup(key);
  }

  /** Call `listener` on every change of the view; returns a function that unsubscribes. */
  onChange(listener: (c: GroupChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Serve `[start, end]` at `priority`. Returns the snapshot to broadcast. */
  join(start: number, end: number, priority: number): MembershipState {
    return this.write([{ op: "add", start, end, priority }]);
  }

  /** Stop serving `[start, end]`. Returns the snapshot to broadcast. */
  leave(start: number, end: number): MembershipState {
    return this.write([{ op: "rmv", start, end, priority: 0 }]);
  }

  /** Write several claims as one change (one clock tick). Returns the snapshot to broadcast. */
  write(items: Iterable<Omit<ItemFields, "member">>): MembershipState {
    this.#set(this.#state.write(this.self, items));
    return this.snapshot();
  }

  /** This node's own items and clock: what it broadcasts after a change or on request. */
  snapshot(): MembershipState {
    const clock = this.#state.clock.clockOf(this.self) ?? new LocalClock(this.self, 0);
    return MembershipState.from(this.#state.itemsOf(this.self), [clock]);
  }

  /** The whole world clock and no items: a digest, for anti-entropy. */
  digest(): MembershipState {
    return MembershipState.from([], this.#state.clock.clocks);
  }

  /**
   * Take in a snapshot that `origin` originated (its frame's origin identity): only `origin`'s
   * items and clock are merged, and only when the snapshot carries `origin`'s clock (a snapshot
   * is complete up to that clock, so taking it is sound). Everything else is ignored, as is a
   * snapshot claiming to come from this node.
   */
  receiveSnapshot(message: MembershipState, origin: NetId): ReceiveResult {
    const o = memberInfo(origin, "origin");
    const originClock = message.clock.clocks.find((c) => c.memberKey === o.key);
    if (originClock === undefined || o.key === this.#key) {
      return { changed: false, ignored: message.items.length, resend: false, lagging: [] };
    }
    let ignored = 0;
    const own = message.items.filter((t) => {
      if (t.item.memberKey === o.key) return true;
      ignored++;
      return false;
    });
    const before = this.#state;
    this.#set(before.merge(MembershipState.from(own, [originClock])));
    return { changed: !this.#state.equals(before), ignored, resend: false, lagging: [] };
  }

  /**
   * Take in a digest (from anyone: nothing in it is merged). Its clocks say whether its sender
   * lags behind this node's own clock (`resend`: this node should broadcast its snapshot) and
   * which members this node lags behind (`lagging`; their snapshots bring it up to date).
   */
  receiveDigest(message: MembershipState): ReceiveResult {
    const mine = this.#state.clock.clockOf(this.self);
    const theirs = message.clock.clockOf(this.self);
    const resend = mine !== undefined && (theirs === undefined || theirs.time < mine.time);
    const lagging = this.#state.clock.behind(message.clock)
      .filter((c) => c.memberKey !== this.#key)
      .map((c) => c.member);
    return { changed: false, ignored: message.items.length, resend, lagging };
  }

  #set(next: MembershipState): void {
    const previous = MembershipView.of(this.#state);
    this.#state = next;
    if (this.#listeners.size === 0) return;
    const view = MembershipView.of(next);
    if (view.equals(previous)) return;
    for (const l of this.#listeners) l({ previous, view });
  }
}
