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
import {
  V2_FLAG_SNAPPY,
  V2_HEADER_BYTES,
  V2_REPLAY_WINDOW,
  V2_SALT_BYTES,
  V2_TAG_BYTES,
  type V2Limits,
} from "../wire/constants.ts";
import { varintLength } from "../wire/varint.ts";
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
  /** Replay window in frames per sender session (power of two, default `V2_REPLAY_WINDOW`). */
  replayWindow?: number;
  /** Random bytes for session salts (default: crypto). */
  random?: (n: number) => Uint8Array;
}

/** Offset of the session salt in a v2 header. [R-V2-FRAME-*] */
const SALT_AT = 5;

function sameSalt(frame: Uint8Array, salt: Uint8Array): boolean {
  for (let i = 0; i < salt.length; i++) if (frame[SALT_AT + i] !== salt[i]) return false;
  return true;
}

/** Table bytes for NetID keys `ip|port`: family, address (4 or 16 bytes), port. */
function tableBytes(keys: Set<string>): number {
  let n = 0;
  for (const k of keys) n += k.includes(":") ? 19 : 7;
  return n;
}

/** The distinct NetIDs of a gossip header, as `ip|port` keys. */
function gossipNetIdKeys(g: Gossip): Set<string> {
  const s = new Set<string>();
  s.add(`${g.current.ip}|${g.current.port}`);
  for (const x of g.seen) s.add(`${x.ip}|${x.port}`);
  for (const x of g.other) s.add(`${x.ip}|${x.port}`);
  for (const x of g.distribution) s.add(`${x.ip}|${x.port}`);
  return s;
}

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
    replayWindow: opts.replayWindow ?? V2_REPLAY_WINDOW,
  });
  let misses = 0, skipped = 0;
  let lastGossip: Gossip | undefined;
  let lastGossipIds = new Set<string>();
  // The salt of our sending session, as it appears in our frames' headers (bytes 5..20).
  let ownSalt: Uint8Array | undefined;
  const seal = (gossip: Gossip, records: readonly OutgoingRecord[]) => {
    // After 8 frames in a row that did not compress, try snappy on every 16th frame only:
    // compressing incompressible payloads costs the sender for nothing. [R-NODE-PERF-003]
    const tryIt = misses < 8 || ++skipped % 16 === 0;
    const f = sender.encode({
      keyring: opts.keyring,
      label: opts.label,
      gossip,
      records,
      compression: tryIt ? "snappy" : "none",
      // A block that saves under 1/8 costs every receiver a decompression for little.
      minCompressionSaving: 0.125,
    });
    if (tryIt) {
      if ((f[3] & V2_FLAG_SNAPPY) !== 0) misses = 0;
      else misses++;
    }
    if (!ownSalt || !sameSalt(f, ownSalt)) ownSalt = f.slice(SALT_AT, SALT_AT + V2_SALT_BYTES);
    return f;
  };
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
        if (typeof r.payload !== "function") return { r, len: r.payload.length };
        probe ??= buildV2Table(ids);
        const bytes = r.payload(probe);
        // Without extra NetIDs the payload cannot refer to the table: keep the bytes.
        const keep = !r.extraNetIds || r.extraNetIds.length === 0;
        return { r: keep ? { ...r, payload: bytes } : r, len: bytes.length };
      });
      // Pack by an upper bound of the frame size: header + AEAD tag + the uncompressed body
      // (snappy is used only when it makes the body smaller). The body is the gossip part
      // (table of the gossip's NetIDs, gossip fields) plus, per record, the table entries its
      // NetIDs add and its fields; varints are counted at their largest width for the
      // frame's table, so a chunk packed under the limit is sealed once and fits.
      const gIds = gossip === lastGossip ? lastGossipIds : gossipNetIdKeys(gossip);
      lastGossip = gossip;
      lastGossipIds = gIds;
      const tableCap = ids.length + 2;
      const refW = varintLength(tableCap);
      const gossipBytes = varintLength(tableCap) + tableBytes(gIds) +
        refW + varintLength(gossip.current.seqno) +
        varintLength(gossip.seen.length) + gossip.seen.reduce(
          (a, x) => a + refW + varintLength(x.seqno),
          0,
        ) + varintLength(gossip.other.length) + gossip.other.length * refW +
        varintLength(gossip.distribution.length) + gossip.distribution.length * refW;
      const base = V2_HEADER_BYTES + V2_TAG_BYTES + gossipBytes + varintLength(o.maxRecords);
      const out: Uint8Array[] = [];
      let chunk: OutgoingRecord[] = [];
      let size = base;
      let added = new Set<string>();
      const flush = () => {
        if (chunk.length === 0) return;
        const frame = seal(gossip, chunk);
        if (frame.length > o.maxFrameBytes && chunk.length > 1) {
          // Only table-dependent payloads can grow after the probe: split and retry.
          const half = Math.ceil(chunk.length / 2);
          const [a, b] = [chunk.slice(0, half), chunk.slice(half)];
          for (const part of [a, b]) {
            chunk = part;
            flush();
          }
        } else out.push(frame);
        chunk = [];
      };
      for (const { r, len } of sized) {
        let s = varintLength(r.typeTag) + refW + varintLength(r.origin.seqno) +
          varintLength(len) + len;
        const newIds: string[] = [];
        for (const id of [r.origin, ...(r.extraNetIds ?? [])]) {
          const k = `${id.ip}|${id.port}`;
          if (!gIds.has(k) && !added.has(k)) {
            newIds.push(k);
            s += id.ip.includes(":") ? 19 : 7;
          }
        }
        if (chunk.length > 0 && (size + s > o.maxFrameBytes || chunk.length >= o.maxRecords)) {
          flush();
          size = base;
          added = new Set();
          // Recount the record's table entries against the fresh chunk.
          s = varintLength(r.typeTag) + refW + varintLength(r.origin.seqno) + varintLength(len) +
            len;
          newIds.length = 0;
          for (const id of [r.origin, ...(r.extraNetIds ?? [])]) {
            const k = `${id.ip}|${id.port}`;
            if (!gIds.has(k) && !added.has(k)) {
              newIds.push(k);
              s += id.ip.includes(":") ? 19 : 7;
            }
          }
        }
        for (const k of newIds) added.add(k);
        chunk.push(r);
        size += s;
      }
      flush();
      return out;
    },
    isOwn(frame: Uint8Array): boolean {
      // Salts are 16 random bytes per session: a match is our own frame, so the node skips
      // decrypting its own multicast looped back to it.
      return ownSalt !== undefined && frame.length > SALT_AT + V2_SALT_BYTES &&
        sameSalt(frame, ownSalt);
    },
    decode(frame: Uint8Array, _t: TransportKind): DecodedFrame {
      return decoder.decode(frame);
    },
  };
}
