/**
 * GroupNode: a {@linkcode Group} attached to a Chatter node. It registers the membership
 * snapshot and digest types (one payload layout, two type names), broadcasts a snapshot after every change of this node's claims, takes in what others
 * broadcast (only from the member that originated it), answers a lagging peer's digest with a
 * snapshot, and broadcasts a digest on every {@linkcode GroupNode.tick} (anti-entropy,
 * `spec/membership.md` §7). It needs only the small {@linkcode GroupHost} part of a node, so it
 * runs over the real node, its in-memory transport, or a test double.
 *
 * @module
 */

import type { NetId } from "../wire/netid.ts";
import type { NetIdTable } from "../wire/netid_table.ts";
import { Group, type GroupChange } from "./group.ts";
import type { ItemFields } from "./item.ts";
import type { MembershipState } from "./state.ts";
import { MEMBERSHIP_CODEC } from "./payload.ts";
import { MEMBERSHIP_DIGEST_TYPE_NAME } from "../wire/constants.ts";
import type { MembershipView, Server } from "./view.ts";

/** How a host delivers a message to a type's handler. */
export interface GroupMessageMeta {
  /** The member whose broadcast this is (its origin identity, not the relay that sent it). */
  origin: NetId;
}

/** The membership message type a {@linkcode GroupHost} registers. */
export interface GroupMessageType {
  /** The payload's type name. */
  typeName: string;
  /** Encode against the frame's NetID table. */
  encode(value: MembershipState, table: NetIdTable): Uint8Array;
  /** Decode against the frame's NetID table. */
  decode(bytes: Uint8Array, table: readonly NetId[]): MembershipState;
  /** The member NetIDs, for the frame's table. */
  extractNetIds(value: MembershipState): NetId[];
  /** Called with every delivered message. */
  handler(value: MembershipState, meta: GroupMessageMeta): undefined;
}

/** The part of a Chatter node a {@linkcode GroupNode} uses. */
export interface GroupHost {
  /** This node's NetID: its member identity. */
  readonly id: NetId;
  /** Register a message type. */
  register(type: GroupMessageType): void;
  /** Broadcast `value` of type `typeName` to `destinations`. */
  broadcast(destinations: Iterable<NetId>, typeName: string, value: MembershipState): unknown;
  /** The peers this node knows. */
  peers(): NetId[];
}

/** Options of a {@linkcode GroupNode}. */
export interface GroupNodeOptions {
  /** Where to broadcast; default: the host's peers. */
  destinations?: () => Iterable<NetId>;
  /** A saved state to start from (e.g. after a restart). */
  initial?: MembershipState;
}

/** Counters of a {@linkcode GroupNode}. */
export interface GroupNodeStats {
  /** Snapshots broadcast (after changes and as answers to lagging digests). */
  snapshotsSent: number;
  /** Digests broadcast. */
  digestsSent: number;
  /** Membership messages received. */
  received: number;
  /** Items ignored: sent by another member, or in a snapshot without its origin's clock. */
  ignoredItems: number;
}

/**
 * Group membership over a Chatter node.
 *
 * @example
 * ```ts ignore
 * import { GroupNode } from "@chatter/chatter/membership";
 * const group = new GroupNode(node); // node: a started ChatterNode
 * group.join(0, 0x7fffffff, 10);
 * setInterval(() => group.tick(), 1000);
 * group.onChange(({ view }) => console.log(view.segments.length));
 * ```
 */
export class GroupNode {
  /** The membership state and rules. */
  readonly group: Group;
  readonly #host: GroupHost;
  readonly #destinations: () => Iterable<NetId>;
  #answered = false;
  readonly #stats: GroupNodeStats = {
    snapshotsSent: 0,
    digestsSent: 0,
    received: 0,
    ignoredItems: 0,
  };

  /** Attach to `host`: registers the membership payload type. */
  constructor(host: GroupHost, options: GroupNodeOptions = {}) {
    this.#host = host;
    this.group = new Group(host.id, options.initial);
    this.#destinations = options.destinations ?? (() => host.peers());
    host.register({
      ...MEMBERSHIP_CODEC,
      handler: (value, meta) => {
        this.#stats.received++;
        const r = this.group.receiveSnapshot(value, meta.origin);
        this.#stats.ignoredItems += r.ignored;
        return undefined;
      },
    });
    host.register({
      ...MEMBERSHIP_CODEC,
      typeName: MEMBERSHIP_DIGEST_TYPE_NAME,
      handler: (value) => {
        this.#stats.received++;
        // A lagging peer gets one snapshot per round, however many digests show the lag.
        if (this.group.receiveDigest(value).resend && !this.#answered) {
          this.#answered = true;
          this.#send(this.group.snapshot());
        }
        return undefined;
      },
    });
  }

  /** The current view. */
  get view(): MembershipView {
    return this.group.view;
  }

  /** The members serving `key`, highest priority first. */
  lookup(key: number): readonly Server[] {
    return this.group.lookup(key);
  }

  /** Call `listener` on every change of the view; returns a function that unsubscribes. */
  onChange(listener: (c: GroupChange) => void): () => void {
    return this.group.onChange(listener);
  }

  /** Serve `[start, end]` at `priority`, and tell the group. */
  join(start: number, end: number, priority: number): void {
    this.#send(this.group.join(start, end, priority));
  }

  /** Stop serving `[start, end]`, and tell the group. */
  leave(start: number, end: number): void {
    this.#send(this.group.leave(start, end));
  }

  /** Write several claims as one change, and tell the group. */
  write(items: Iterable<Omit<ItemFields, "member">>): void {
    this.#send(this.group.write(items));
  }

  /**
   * Anti-entropy round: broadcast a digest. Call it periodically (the node's timer, or a test's
   * loop); it also re-arms the one snapshot answer allowed per round.
   */
  tick(): void {
    this.#answered = false;
    this.#stats.digestsSent++;
    this.#host.broadcast(this.#destinations(), MEMBERSHIP_DIGEST_TYPE_NAME, this.group.digest());
  }

  /** Counters. */
  stats(): GroupNodeStats {
    return { ...this.#stats };
  }

  #send(snapshot: MembershipState): void {
    this.#stats.snapshotsSent++;
    this.#host.broadcast(this.#destinations(), MEMBERSHIP_CODEC.typeName, snapshot);
  }
}
