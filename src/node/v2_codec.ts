/**
 * The v2 profile behind the {@linkcode FrameCodec} seam: many records per frame (batching),
 * each with its origin identity; AES-256-GCM sessions with replay windows (one stateful
 * decoder per node). Packing and sealing live in the wire (`encodeV2Batch`); this codec keeps
 * only node policy: when to try snappy, the minimum saving, and recognising its own frames.
 *
 * @module
 */

import type { Gossip } from "../wire/gossip.ts";
import type { DecodedFrame, OutgoingRecord } from "../wire/message.ts";
import { V2Decoder } from "../wire/v2/decoder.ts";
import type { V2Compression } from "../wire/v2/encoder.ts";
import { v2FrameSalt } from "../wire/v2/header.ts";
import type { V2Keyring } from "../wire/v2/keyring.ts";
import { encodeV2Batch, type V2CompressionPolicy } from "../wire/v2/pack.ts";
import { V2Sender } from "../wire/v2/sender.ts";
import { V2SessionKeys } from "../wire/v2/session_keys.ts";
import { V2_REPLAY_WINDOW, type V2Limits } from "../wire/constants.ts";
import type { NetId } from "../wire/netid.ts";
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
  /**
   * Clock (ms since the Unix epoch) for sealed times and the receiver's time rules; the
   * receiver's start time is the clock's time when the codec is made (default `Date.now`).
   * [R-V2-TIME-001..003]
   */
  clock?: () => number;
  /** Clock-skew tolerance in ms (default 60000). [R-V2-TIME-002] */
  maxClockSkewMs?: number;
}

/** Stands for the local NetID when a caller decodes a TCP frame without naming it. */
const UNKNOWN_LOCAL: NetId = { ip: "0.0.0.0", port: 0 };

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Snappy for a sender of incompressible payloads: after 8 frames in a row that did not
 * compress, try it on every 16th frame only. [R-NODE-PERF-003]
 */
function snappyPolicy(): V2CompressionPolicy {
  let misses = 0, skipped = 0;
  return {
    choose: (): V2Compression => misses < 8 || ++skipped % 16 === 0 ? "snappy" : "none",
    sealed(compressed, tried) {
      if (tried !== "snappy") return;
      if (compressed) misses = 0;
      else misses++;
    },
  };
}

/**
 * A v2-profile codec.
 *
 * @example
 * ```ts
 * import { V2Keyring } from "@chatter/chatter/wire";
 * import { v2Codec } from "./v2_codec.ts";
 * const codec = v2Codec({ keyring: V2Keyring.single(new Uint8Array(32)), label: "demo" });
 * const me = { ip: "127.0.0.1", port: 29999, seqno: 1 };
 * const frames = codec.encode({ current: me, seen: [], other: [], distribution: [] },
 *   [{ typeTag: 1, origin: me, payload: new Uint8Array([42]) }],
 *   { maxFrameBytes: 1400, maxRecords: 64, to: { ip: "127.0.0.1", port: 30000 } });
 * import assert from "node:assert/strict";
 * const got = codec.decode(frames[0], "tcp", { ip: "127.0.0.1", port: 30000 });
 * assert.deepEqual([...got.records[0].payload], [42]);
 * ```
 */
export function v2Codec(opts: V2CodecOptions): FrameCodec {
  const clock = opts.clock ?? Date.now;
  const sender = new V2Sender({ random: opts.random, clock });
  const sessionKeys = new V2SessionKeys(4);
  const decoder = new V2Decoder({
    keyring: opts.keyring,
    label: opts.label,
    limits: opts.limits,
    replayWindow: opts.replayWindow ?? V2_REPLAY_WINDOW,
    clock,
    maxClockSkewMs: opts.maxClockSkewMs,
  });
  const compression = snappyPolicy();
  // The salt of our sending session, as our frames carry it.
  let ownSalt: Uint8Array | undefined;
  return {
    profile: "v2",
    carriesOrigin: true,
    encode(gossip: Gossip, records: readonly OutgoingRecord[], o: EncodeOptions): Uint8Array[] {
      const frames = encodeV2Batch({
        sender,
        keyring: opts.keyring,
        label: opts.label,
        gossip,
        records,
        maxFrameBytes: o.maxFrameBytes,
        maxRecords: o.maxRecords,
        compression,
        // A block that saves under 1/8 costs every receiver a decompression for little.
        minCompressionSaving: 0.125,
        sessionKeys,
        // TCP frames are sealed for their one receiver. [R-V2-BIND-001], [R-V2-BIND-003]
        receiver: o.to,
      });
      const last = frames.length > 0 ? v2FrameSalt(frames[frames.length - 1]) : undefined;
      if (last && (!ownSalt || !sameBytes(last, ownSalt))) ownSalt = last.slice();
      return frames;
    },
    isOwn(frame: Uint8Array): boolean {
      // Salts are 16 random bytes per session: a match is our own frame, so the node skips
      // decrypting its own multicast looped back to it.
      if (ownSalt === undefined) return false;
      const salt = v2FrameSalt(frame);
      return salt !== undefined && frame.length > ownSalt.length && sameBytes(salt, ownSalt);
    },
    sessionsEvicted: () => decoder.stats().sessionsEvicted,
    decode(frame: Uint8Array, t: TransportKind, local?: NetId): DecodedFrame {
      // A TCP frame must be bound to this node; a datagram must not be bound. [R-V2-BIND-002]
      return decoder.decode(frame, t === "tcp" ? local ?? UNKNOWN_LOCAL : undefined);
    },
  };
}
