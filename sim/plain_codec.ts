/**
 * The simulator's unsealed codec: real v2 bodies (NetID table, gossip, records, the receiver's
 * table and list limits enforced by the real body reader) between a 37-byte header and a
 * 16-byte zero "tag", so frame sizes are those of v2 without compression, but no AES-GCM and
 * no snappy. It exists so that `deno task sim` runs 10,000 nodes in minutes. It is reachable
 * only through the node's simulation-only `unsealedCodec` transport hook, which only the
 * simulator's network sets (`sim/net.ts`); production nodes on the Deno transport always seal their frames.
 *
 * @module
 */

import { type DecodeLimits, DEFAULT_V2_LIMITS, type V2Limits } from "../src/wire/constants.ts";
import { V2_HEADER_BYTES, V2_START_BYTE, V2_TAG_BYTES } from "../src/wire/constants.ts";
import { DecodeError } from "../src/wire/decode_error.ts";
import { ByteWriter } from "../src/wire/byte_writer.ts";
import { buildV2Table, readV2Body, v2FrameNetIds, writeV2Body } from "../src/wire/v2/body.ts";
import type { Gossip } from "../src/wire/gossip.ts";
import type { DecodedFrame, OutgoingRecord } from "../src/wire/message.ts";
import type { EncodeOptions, FrameCodec } from "../src/node/frame_codec.ts";

/** Encode `records` in chunks, halving a chunk whose frame is over the size (to one record). */
function encodeSplit(
  records: readonly OutgoingRecord[],
  opts: EncodeOptions,
  encodeOne: (chunk: readonly OutgoingRecord[]) => Uint8Array,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  const go = (chunk: readonly OutgoingRecord[]) => {
    if (chunk.length > opts.maxRecords) {
      for (let i = 0; i < chunk.length; i += opts.maxRecords) {
        go(chunk.slice(i, i + opts.maxRecords));
      }
      return;
    }
    const frame = encodeOne(chunk);
    if (frame.length <= opts.maxFrameBytes || chunk.length === 1) {
      out.push(frame);
      return;
    }
    const half = Math.ceil(chunk.length / 2);
    go(chunk.slice(0, half));
    go(chunk.slice(half));
  };
  if (records.length > 0) go(records);
  return out;
}

let nextCodecId = 1;

/**
 * Decoded datagrams shared by every receiver: one multicast datagram (one `Uint8Array`, see
 * `sim/net.ts`) reaches a whole domain, and decoding it once instead of once per receiver is
 * what lets a domain of thousands run in minutes. Keyed by the frame's bytes (the object) and
 * the receiver's limits; the node reads decoded frames and never changes them. Simulator only.
 */
const shared = new WeakMap<Uint8Array, { limits: string; frame: DecodedFrame }>();

/**
 * An unsealed v2-shaped codec for the simulator.
 *
 * @example
 * ```ts
 * import { plainCodec } from "./plain_codec.ts";
 * const c = plainCodec({});
 * const me = { ip: "10.0.0.1", port: 1, seqno: 1 };
 * const [f] = c.encode({ current: me, seen: [], other: [], distribution: [] },
 *   [{ typeTag: 1, origin: me, payload: new Uint8Array([9]) }], { maxFrameBytes: 1400, maxRecords: 64 });
 * c.decode(f, "tcp").records[0].payload[0]; // 9
 * ```
 */
export function plainCodec(limits: Partial<DecodeLimits>): FrameCodec {
  const l: V2Limits = { ...DEFAULT_V2_LIMITS, ...limits };
  const id = nextCodecId++;
  const lk = JSON.stringify(l);
  const one = (gossip: Gossip, chunk: readonly OutgoingRecord[]): Uint8Array => {
    const table = buildV2Table(v2FrameNetIds(gossip, chunk));
    const w = new ByteWriter(V2_HEADER_BYTES + 64 + table.size * 7);
    for (let i = 0; i < V2_HEADER_BYTES; i++) w.u8(0);
    writeV2Body(w, table, gossip, chunk);
    for (let i = 0; i < V2_TAG_BYTES; i++) w.u8(0);
    const f = w.finish();
    f[0] = V2_START_BYTE;
    f[1] = 2;
    new DataView(f.buffer, f.byteOffset).setUint32(5, id);
    return f;
  };
  return {
    profile: "v2",
    carriesOrigin: true,
    encode(gossip, records, opts) {
      return encodeSplit(records, opts, (chunk) => one(gossip, chunk));
    },
    isOwn(f) {
      return f.length >= 9 && new DataView(f.buffer, f.byteOffset).getUint32(5) === id;
    },
    decode(f, kind): DecodedFrame {
      const hit = kind === "udp" ? shared.get(f) : undefined;
      if (hit && hit.limits === lk) return hit.frame;
      if (f.length < V2_HEADER_BYTES + V2_TAG_BYTES) {
        throw new DecodeError("TRUNCATED", f.length, "shorter than a header and a tag");
      }
      if (f.length > l.maxFrameBytes) {
        throw new DecodeError("FRAME_TOO_LARGE", 0, `frame of ${f.length} bytes`);
      }
      const b = readV2Body(f.subarray(V2_HEADER_BYTES, f.length - V2_TAG_BYTES), l);
      const frame: DecodedFrame = {
        profile: "v2",
        gossip: b.gossip,
        records: b.records,
        table: b.table,
      };
      if (kind === "udp") shared.set(f, { limits: lk, frame });
      return frame;
    },
  };
}
