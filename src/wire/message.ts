/**
 * Profile-neutral shapes of the messages a frame carries, shared by the legacy and v2 codecs
 * and used by the node. A legacy frame carries exactly one record whose origin is the frame's
 * current BroadcastID (0.0.15 has no origin identity); a v2 frame carries one or more records,
 * each with the origin BroadcastID it was first broadcast under.
 *
 * @module
 */

import type { Gossip } from "./gossip.ts";
import type { BroadcastId, NetId } from "./netid.ts";
import type { NetIdTable } from "./netid_table.ts";

/** Which wire profile a frame uses. */
export type Profile = "legacy" | "v2";

/** A message record to encode into a frame. */
export interface OutgoingRecord {
  /** xxhash32 of the type name. */
  typeTag: number;
  /** The BroadcastID the message was first broadcast under; unchanged by forwarding. */
  origin: BroadcastId;
  /** Payload bytes, or an encoder given the frame's NetID table (the seed's `encode_with`). */
  payload: Uint8Array | ((table: NetIdTable) => Uint8Array);
  /** NetIDs the payload refers to (the seed's `extract_netids`); they join the table. */
  extraNetIds?: readonly NetId[];
}

/** A message record read from a frame. */
export interface DecodedRecord {
  /** xxhash32 of the type name. */
  typeTag: number;
  /** The BroadcastID the message was first broadcast under. */
  origin: BroadcastId;
  /** Payload bytes; resolve NetID references in it against the frame's table. */
  payload: Uint8Array;
}

/** A decoded frame of any profile. */
export interface DecodedFrame {
  /** The frame's profile. */
  profile: Profile;
  /** The gossip header. */
  gossip: Gossip;
  /** The records, in frame order (exactly one for legacy). */
  records: DecodedRecord[];
  /** The frame's NetID table. */
  table: NetId[];
}
