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
import { decodeMembership, MEMBERSHIP_CODEC } from "./payload.ts";
import { MEMBERSHIP_DIGEST_TYPE_NAME } from "../wire/constants.ts";
import { DecodeError } from "../wire/decode_error.ts";
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
  /**
   * Most items one member's snapshot may carry (default 4,096); a larger one is rejected while
   * it is decoded (`oversizedSnapshots`). [R-NODE-AMP-004]
   */
  maxItemsPerMember?: number;
  /** Most members the state holds (default 1,024); a snapshot of one more is rejected (`stateFull`). */
  maxMembers?: number;
  /** Most items the state holds over all members (default 65,536), likewise. */
  maxTotalItems?: number;
}

/**
 * Default membership state bounds of a {@linkcode GroupNode}. [R-NODE-AMP-004]
 *
 * @example
 * ```ts
 * import { DEFAULT_GROUP_LIMITS } from "@chatter/chatter/membership";
 * DEFAULT_GROUP_LIMITS.maxItemsPerMember; // 4096
 * ```
 */
export const DEFAULT_GROUP_LIMITS: Readonly<
  Required<Pick<GroupNodeOptions, "maxItemsPerMember" | "maxMembers" | "maxTotalItems">>
> = Object.freeze({ maxItemsPerMember: 4096, maxMembers: 1024, maxTotalItems: 65_536 });

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
  /** Payloads rejected for carrying more than `maxItemsPerMember` items. [R-NODE-AMP-004] */
  oversizedSnapshots: number;
  /** Snapshots rejected because they would take the state past `maxMembers`/`maxTotalItems`. */
  stateFull: number;
  /** Digests ignored for naming more than `maxMembers` members. */
  oversizedDigests: number;
}

/**
 * Group membership over a Chatter node.
 *
 * @example
 * ```ts
 * import { startNode } from "@chatter/chatter";
 * import { GroupNode } from "@chatter/chatter/membership";
 * import { MemoryNetwork } from "@chatter/chatter/testing";
 * import assert from "node:assert/strict";
 * const net = new MemoryNetwork();
 * const key = crypto.getRandomValues(new Uint8Array(32));
 * const ids = [{ ip: "10.0.0.1", port: 4000 }, { ip: "10.0.0.2", port: 4000 }];
 * const nodes = await Promise.all(
 *   ids.map((id) => startNode({ key, transport: net.transport({ id, domain: "lan" }) })),
 * );
 * const groups = nodes.map((n) => new GroupNode(n, { destinations: () => ids }));
 * groups[0].join(0, 0x7fffffff, 10); // node 0 serves the lower half of the key space
 * await net.settle();
 * assert.deepEqual(groups[1].lookup(12345).map((s) => s.member), [ids[0]]);
 * for (const n of nodes) await n.close();
 * ```
 */
export class GroupNode {
  /** The membership state and rules. */
  readonly group: Group;
  readonly #host: GroupHost;
  readonly #destinations: () => Iterable<NetId>;
  #answered = false;
  readonly #limits: typeof DEFAULT_GROUP_LIMITS;
  readonly #stats: GroupNodeStats = {
    snapshotsSent: 0,
    digestsSent: 0,
    received: 0,
    ignoredItems: 0,
    oversizedSnapshots: 0,
    stateFull: 0,
    oversizedDigests: 0,
  };

  /** Attach to `host`: registers the membership payload type. */
  constructor(host: GroupHost, options: GroupNodeOptions = {}) {
    this.#host = host;
    this.group = new Group(host.id, options.initial);
    this.#destinations = options.destinations ?? (() => host.peers());
    this.#limits = {
      maxItemsPerMember: options.maxItemsPerMember ?? DEFAULT_GROUP_LIMITS.maxItemsPerMember,
      maxMembers: options.maxMembers ?? DEFAULT_GROUP_LIMITS.maxMembers,
      maxTotalItems: options.maxTotalItems ?? DEFAULT_GROUP_LIMITS.maxTotalItems,
    };
    // Payloads are decoded under the per-member item bound: a snapshot carries only its
    // origin's items, a digest none. [R-NODE-AMP-004]
    const decode = (bytes: Uint8Array, table: readonly NetId[]) => {
      try {
        return decodeMembership(bytes, table, { maxItems: this.#limits.maxItemsPerMember });
      } catch (e) {
        if (e instanceof DecodeError && e.code === "MEMBERSHIP_ITEM_LIMIT") {
          this.#stats.oversizedSnapshots++;
        }
        throw e;
      }
    };
    host.register({
      ...MEMBERSHIP_CODEC,
      decode,
      handler: (value, meta) => {
        this.#stats.received++;
        if (!this.#fits(value, meta.origin)) {
          this.#stats.stateFull++;
          return undefined;
        }
        const r = this.group.receiveSnapshot(value, meta.origin);
        this.#stats.ignoredItems += r.ignored;
        return undefined;
      },
    });
    host.register({
      ...MEMBERSHIP_CODEC,
      typeName: MEMBERSHIP_DIGEST_TYPE_NAME,
      decode,
      handler: (value) => {
        this.#stats.received++;
        if (value.clock.size > this.#limits.maxMembers) {
          this.#stats.oversizedDigests++;
          return undefined;
        }
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

  /** Would taking `m` from `origin` keep the state within `maxMembers` and `maxTotalItems`? */
  #fits(m: MembershipState, origin: NetId): boolean {
    const st = this.group.state;
    if (st.clock.clockOf(origin) === undefined && st.clock.size >= this.#limits.maxMembers) {
      return false;
    }
    const total = st.items.length - st.itemsOf(origin).length + m.itemsOf(origin).length;
    return total <= this.#limits.maxTotalItems;
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
