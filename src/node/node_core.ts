/**
 * The state a node's parts share: the options, the transport, the peer database, liveness,
 * reliable delivery, the duplicate windows, the events and the counters. `ChatterNode`
 * (src/node/node.ts) builds one and hands it to its send path (src/node/send_path.ts), its
 * receive path (src/node/receive_path.ts) and its delivery (src/node/delivery.ts).
 * Internal: not exported by the package.
 *
 * @module
 */

import type { Profile } from "../wire/message.ts";
import type { BroadcastId, NetId } from "../wire/netid.ts";
import type { DedupWindow } from "./dedup.ts";
import type { NodeEvents } from "./events.ts";
import type { FrameCodec } from "./frame_codec.ts";
import type { Liveness } from "./liveness.ts";
import type { MessageType } from "./message_type.ts";
import type { RelayLog } from "./monitor.ts";
import type { ResolvedNodeOptions } from "./options.ts";
import type { PeerDb } from "./peer_db.ts";
import { emptyReceiveLimitStats, type ReceiveLimitStats } from "./receive_guard.ts";
import type { Reliability } from "./reliable.ts";
import type { Transport } from "./transport.ts";

/** A registered message type. */
export interface Registered {
  type: MessageType<unknown>;
  tag: number;
  /** A reserved `chatter.sys.` type: not yielded by the node-wide `messages()`. */
  system: boolean;
}

/** A record on its way out: a typed value, or raw bytes of a type not registered here. */
export interface OutRec {
  tag: number;
  origin: BroadcastId;
  reg?: Registered;
  value?: unknown;
  raw?: Uint8Array;
  /** NetIDs the payload refers to, when known already. */
  extraNetIds?: NetId[];
}

/** The node's own counters (the rest of `NodeStats` comes from its parts). */
export interface NodeCounters {
  broadcasts: number;
  delivered: number;
  duplicates: number;
  tooOld: number;
  decodeErrors: Record<string, number>;
  multicastTooLarge: number;
  sharesUnsent: number;
  relayTakeovers: number;
  unknownTypes: number;
  unknownForwarded: number;
  unknownDropped: number;
  payloadErrors: number;
  handlerErrors: number;
  messageBufferDrops: number;
  limits: ReceiveLimitStats;
}

/** Every node counter at zero. */
export function emptyNodeCounters(): NodeCounters {
  return {
    broadcasts: 0,
    delivered: 0,
    duplicates: 0,
    tooOld: 0,
    decodeErrors: {},
    multicastTooLarge: 0,
    sharesUnsent: 0,
    relayTakeovers: 0,
    unknownTypes: 0,
    unknownForwarded: 0,
    unknownDropped: 0,
    payloadErrors: 0,
    handlerErrors: 0,
    messageBufferDrops: 0,
    limits: emptyReceiveLimitStats(),
  };
}

/** What a node's send path, receive path and delivery share. */
export interface NodeCore {
  /** This node's NetID. */
  readonly id: NetId;
  /** The profile it sends. */
  readonly profile: Profile;
  readonly o: ResolvedNodeOptions;
  /** The sending profile's codec. */
  readonly codec: FrameCodec;
  readonly transport: Transport;
  readonly db: PeerDb;
  readonly live: Liveness;
  /** Reliable delivery, when on (v2). [R-NODE-REL-001] */
  readonly rel?: Reliability;
  readonly events: NodeEvents;
  /** Recent TCP relay edges of data frames, for the monitor. */
  readonly relayLog: RelayLog;
  readonly s: NodeCounters;
  /** The next sequence number (origins and frames). */
  readonly nextSeq: () => number;
  /** Identities delivered (v2). */
  readonly dedup: DedupWindow;
  /** Identities delivered (legacy: brief, no "too old" rule). [R-NODE-DEDUP-003] */
  readonly dedupLegacy: DedupWindow;
  /** Set once by `close()`. */
  closed: boolean;
}

/** The duplicate window for records of profile `p`. */
export function dedupFor(core: NodeCore, p: Profile): DedupWindow {
  return p === "legacy" ? core.dedupLegacy : core.dedup;
}
