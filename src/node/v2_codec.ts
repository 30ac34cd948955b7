/**
 * The v2 profile behind the {@linkcode FrameCodec} seam: many records per frame (batching),
 * each with its origin identity; AES-256-GCM sessions with replay windows (one stateful
 * decoder per node). Records are packed greedily into frames of at most `maxFrameBytes`
 * (estimated from payload sizes, then checked), so multicast frames fit one datagram.
 *
 * @module
 */

import type { Gossip } from "../wire/gossip.ts";
import type { DecodedFrame, OutgoingRecord } from "../wire/message.ts";
import { buildV2Table, v2FrameNetIds } from "../wire/v2/body.ts";
import { V2Decoder } from "../wire/v2/decoder.ts";
import type { V2Keyring } from "../wire/v2/keyring.ts";
import { V2Sender } from "../wire/v2/sender.ts";
import type { V2Limits } from "../wire/constants.ts";
import type { NetIdTable } from "../wire/netid_table.ts";
import type { EncodeOptions, FrameCodec, TransportKind } from "./frame_codec.ts";

/** Options of {@linkcode v2Codec}. */
export interface V2CodecOptions {
  /** Keys accepted, by id; the primary one seals. */
  keyring: V2Keyring;
  /** Cluster label bound into authentication. */
  label: string;
  /** Receiver limits. */
  limits?: Partial<V2Limits>;
  /** Replay window in frames per sender session (power of two, default 4096). */
  replayWindow?: number;
  /** Random bytes for session salts (default: crypto). */
  random?: (n: number) => Uint8Array;
}

/** Bytes a record adds besides its payload: tag, origin reference and seqno, length. */
const RECORD_OVERHEAD = 20;
/** Bytes of header, AEAD tag and body framing besides the table and the records. */
const FRAME_OVERHEAD = 96;

/**
 * A v2-profile codec.
 *
 * @example
 * ```ts
 * import { V2Keyring, v2Codec } from "@chatter/chatter";
 * const codec = v2Codec({ keyring: V2Keyring.single(new Uint8Array(32)), label: "demo" });
 * const me = { ip: "127.0.0.1", port: 29999, seqno: 1 };
 * const frames = codec.encode({ current: me, seen: [], other: [], distribution: [] },
 *   [{ typeTag: 1, origin: me, payload: new Uint8Array([42]) }], { maxFrameBytes: 1400, maxRecords: 64 });
 * codec.decode(frames[0], "tcp").records[0].payload; // Uint8Array [42]
 * ```
 */
export function v2Codec(opts: V2CodecOptions): FrameCodec {
  const sender = new V2Sender({ random: opts.random });
  const decoder = new V2Decoder({
    keyring: opts.keyring,
    label: opts.label,
    limits: opts.limits,
    replayWindow: opts.replayWindow ?? 4096,
  });
  const seal = (gossip: Gossip, records: readonly OutgoingRecord[]) =>
    sender.encode({ keyring: opts.keyring, label: opts.label, gossip, records });
  return {
    profile: "v2",
    carriesOrigin: true,
    encode(gossip: Gossip, records: readonly OutgoingRecord[], o: EncodeOptions): Uint8Array[] {
      if (records.length === 0) return [];
      // Payload encoders need the frame's table: encode each once against the table of all
      // the records, which gives the sizes for packing and the bytes (NetID positions can
      // differ per frame, so table-dependent payloads are re-encoded per frame below).
      const ids = v2FrameNetIds(gossip, records);
      let probe: NetIdTable | undefined;
      const sized = records.map((r) => {
        if (typeof r.payload !== "function") return { r, size: r.payload.length + RECORD_OVERHEAD };
        probe ??= buildV2Table(ids);
        const bytes = r.payload(probe);
        // Without extra NetIDs the payload cannot refer to the table: keep the bytes.
        const keep = !r.extraNetIds || r.extraNetIds.length === 0;
        return { r: keep ? { ...r, payload: bytes } : r, size: bytes.length + RECORD_OVERHEAD };
      });
      const base = FRAME_OVERHEAD + 19 * (new Set(ids.map((i) => `${i.ip}|${i.port}`)).size) +
        10 * gossip.seen.length;
      const out: Uint8Array[] = [];
      let chunk: OutgoingRecord[] = [];
      let size = base;
      const flush = () => {
        if (chunk.length === 0) return;
        const frame = seal(gossip, chunk);
        if (frame.length > o.maxFrameBytes && chunk.length > 1) {
          // The estimate was short: split in halves and try again.
          const half = Math.ceil(chunk.length / 2);
          const [a, b] = [chunk.slice(0, half), chunk.slice(half)];
          for (const part of [a, b]) {
            chunk = part;
            flush();
          }
        } else out.push(frame);
        chunk = [];
      };
      for (const { r, size: s } of sized) {
        if (chunk.length > 0 && (size + s > o.maxFrameBytes || chunk.length >= o.maxRecords)) {
          flush();
          size = base;
        }
        chunk.push(r);
        size += s;
      }
      flush();
      return out;
    },
    decode(frame: Uint8Array, _t: TransportKind): DecodedFrame {
      return decoder.decode(frame);
    },
  };
}
