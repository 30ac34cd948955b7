/**
 * The seam between the node and a wire profile. The node hands a codec one gossip header and
 * the records to send; the codec returns the frames (a batching profile packs many records
 * into one frame, the legacy profile writes one frame per record). Decoding returns the
 * profile-neutral {@linkcode DecodedFrame}. A codec may keep state (replay windows).
 *
 * @module
 */

import type { Gossip } from "../wire/gossip.ts";
import type { DecodedFrame, OutgoingRecord, Profile } from "../wire/message.ts";
import type { NetId } from "../wire/netid.ts";

/** The transport a frame came in on or goes out by. */
export type TransportKind = "tcp" | "udp";

/** Options of one {@linkcode FrameCodec.encode} call. */
export interface EncodeOptions {
  /**
   * Frames should not exceed this many bytes: a batching codec splits the records over
   * several frames. A single record larger than this still gets a frame of its own; the
   * caller checks the size (multicast drops it, TCP sends it).
   */
  maxFrameBytes: number;
  /** Most records in one frame. */
  maxRecords: number;
  /**
   * The one receiver of a TCP frame: a profile that binds frames to their receiver (v2)
   * seals them for this NetID only. Absent for multicast. [R-V2-BIND-001]
   */
  to?: NetId;
}

/** A wire profile as the node uses it. */
export interface FrameCodec {
  /** The profile. */
  readonly profile: Profile;
  /** True when the profile carries each record's origin identity through forwards. */
  readonly carriesOrigin: boolean;
  /**
   * Encode `records` under `gossip`. Throws `InvalidValueError` for inputs the profile
   * cannot carry (e.g. IPv6 in legacy). The node encodes one send once per copy (multicast, each
   * TCP share, a take-over) with the same record objects; a codec that numbers records keeps one
   * number per record object, so all copies carry it. [R-NODE-LEGACY-003]
   */
  encode(gossip: Gossip, records: readonly OutgoingRecord[], opts: EncodeOptions): Uint8Array[];
  /**
   * True when `frame` was certainly sealed by this codec (e.g. our own multicast looped back),
   * told without decrypting it. Optional; a codec that cannot tell returns false.
   */
  isOwn?(frame: Uint8Array): boolean;
  /** Replay sessions the decoder forgot to stay within its limit (v2). Optional. */
  sessionsEvicted?(): number;
  /**
   * Decode one whole frame. `local` is the receiving node's own NetID: a TCP frame must be
   * bound to it (v2). Throws only `DecodeError`.
   */
  decode(frame: Uint8Array, transport: TransportKind, local?: NetId): DecodedFrame;
}
