/**
 * The legacy profile (Elixir Chatter 0.0.15) behind the {@linkcode FrameCodec} seam: one
 * record per frame; a record's origin is the frame's current BroadcastID, since 0.0.15 has no
 * origin identity. A record this node originated keeps its origin as the frame's current ID,
 * so the multicast copy and the TCP copy of it can be recognised as the same message. A record
 * it forwards gets one fresh sequence number, taken at its first encode and kept for every
 * later encode of the same record object (the node encodes one send once for multicast and once
 * per TCP share, with the same objects), so every copy of one forward carries one BroadcastID.
 * [R-NODE-LEGACY-003]
 *
 * @module
 */

import { type DecodeLimits, DEFAULT_LIMITS } from "../wire/constants.ts";
import type { Gossip } from "../wire/gossip.ts";
import { decodeLegacyFrame, encodeLegacyFrame } from "../wire/legacy_frame.ts";
import { legacyKey } from "../wire/legacy_cipher.ts";
import type { DecodedFrame, OutgoingRecord } from "../wire/message.ts";
import type { EncodeOptions, FrameCodec, TransportKind } from "./frame_codec.ts";

/** Options of {@linkcode legacyCodec}. */
export interface LegacyCodecOptions {
  /** The shared key, text or bytes (normalised as 0.0.15 does). */
  key: string | Uint8Array;
  /** Receiver limits. */
  limits?: DecodeLimits;
  /**
   * Allocates a fresh sequence number for a record forwarded for someone else; called once per
   * record object, however many copies of it are encoded.
   */
  nextSeqno: () => number;
}

/**
 * A legacy-profile codec.
 *
 * @example
 * ```ts
 * import { legacyCodec } from "./legacy_codec.ts";
 * let n = 0;
 * const codec = legacyCodec({ key: "01234567890123456789012345678912", nextSeqno: () => ++n });
 * const me = { ip: "127.0.0.1", port: 29999, seqno: 1 };
 * const frames = codec.encode({ current: me, seen: [], other: [], distribution: [] },
 *   [{ typeTag: 1, origin: me, payload: new Uint8Array([42]) }], { maxFrameBytes: 1400, maxRecords: 64 });
 * codec.decode(frames[0], "tcp").records[0].payload; // Uint8Array [42]
 * ```
 */
export function legacyCodec(opts: LegacyCodecOptions): FrameCodec {
  const key = legacyKey(
    typeof opts.key === "string" ? new TextEncoder().encode(opts.key) : opts.key,
  );
  const limits = opts.limits ?? DEFAULT_LIMITS;
  // One number per forwarded record object: its multicast copy and all its TCP copies share it.
  const forwardSeqno = new WeakMap<OutgoingRecord, number>();
  return {
    profile: "legacy",
    carriesOrigin: false,
    encode(gossip: Gossip, records: readonly OutgoingRecord[], _o: EncodeOptions): Uint8Array[] {
      const out: Uint8Array[] = [];
      for (const r of records) {
        const own = r.origin.ip === gossip.current.ip && r.origin.port === gossip.current.port;
        let seqno = own ? r.origin.seqno : forwardSeqno.get(r);
        if (seqno === undefined) forwardSeqno.set(r, seqno = opts.nextSeqno());
        const current = own ? r.origin : { ...gossip.current, seqno };
        out.push(encodeLegacyFrame({
          key,
          gossip: { ...gossip, current },
          typeTag: r.typeTag,
          payload: r.payload,
          extraNetIds: r.extraNetIds,
        }));
      }
      return out;
    },
    decode(frame: Uint8Array, _t: TransportKind): DecodedFrame {
      const f = decodeLegacyFrame(frame, key, limits);
      return {
        profile: "legacy",
        gossip: f.gossip,
        records: [{ typeTag: f.typeTag, origin: f.gossip.current, payload: f.payload }],
        table: f.table,
      };
    },
  };
}
