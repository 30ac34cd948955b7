/**
 * What a legacy-profile `broadcast` checks before it queues a message, so that a message no
 * Elixir Chatter 0.0.15 node could ever read fails at once, as an {@linkcode EncodeError},
 * instead of being dropped silently at every 0.0.15 receiver:
 *
 * - an empty payload: 0.0.15's payload decoder requires at least one byte and drops the frame
 *   (it cannot decode its own empty payloads either) [R-NODE-LEGACY-006];
 * - a frame larger than the multicast datagram limit: 0.0.15 receives only by multicast (it
 *   drops every frame it receives over TCP), and reads datagrams of at most 8192 bytes (the
 *   legacy default of `maxDatagramBytes`) [R-NODE-LEGACY-004].
 *
 * The check encodes the message's multicast frame once (the frame the node will send, with the
 * gossip of this moment); the send encodes it again. Internal to the node.
 *
 * @module
 */

import { EncodeError } from "../errors.ts";
import type { BroadcastId, NetId } from "../wire/netid.ts";
import type { NetIdTable } from "../wire/netid_table.ts";
import type { FrameCodec } from "./frame_codec.ts";
import type { MessageType } from "./message_type.ts";

/** What {@linkcode checkLegacyBroadcast} checks. */
export interface LegacyBroadcastCheck<T> {
  /** The node's (legacy) codec. */
  codec: FrameCodec;
  /** The message's identity (the multicast frame's current BroadcastID). */
  origin: BroadcastId;
  /** The seen IDs the frame will carry. */
  seen: BroadcastId[];
  /** The other IDs the frame will carry. */
  other: NetId[];
  /** The registered type (for its name and, without `bytes`, its encoder). */
  type: MessageType<T>;
  /** The type's tag. */
  tag: number;
  /** The value to broadcast. */
  value: T;
  /** The payload, when it is already encoded (table-free types). */
  bytes?: Uint8Array;
  /** NetIDs the payload refers to (they join the frame's table). */
  extraNetIds?: readonly NetId[];
  /** The multicast datagram limit, or `undefined` when the node does not multicast. */
  maxDatagramBytes: number | undefined;
}

/**
 * Throw an {@linkcode EncodeError} when a legacy broadcast cannot reach any 0.0.15 node:
 * `ENCODE_FAILED` for a value the type cannot encode or an empty payload, `MESSAGE_TOO_LARGE`
 * for a multicast frame over the datagram limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { legacyCodec } from "./legacy_codec.ts";
 * import { textType } from "./message_type.ts";
 * import { checkLegacyBroadcast } from "./legacy_interop.ts";
 * const codec = legacyCodec({ key: "k", nextSeqno: () => 1 });
 * const base = {
 *   codec, origin: { ip: "127.0.0.1", port: 1, seqno: 1 }, seen: [], other: [],
 *   type: textType("chat"), tag: 1, maxDatagramBytes: 8192,
 * };
 * const randomHex = (n: number) =>
 *   Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0"))
 *     .join("");
 * checkLegacyBroadcast({ ...base, value: "hello" }); // fits: no error
 * assert.throws(() => checkLegacyBroadcast({ ...base, value: "" }), { code: "ENCODE_FAILED" });
 * assert.throws(
 *   () => checkLegacyBroadcast({ ...base, value: randomHex(10_000) }),
 *   { code: "MESSAGE_TOO_LARGE" },
 * );
 * ```
 */
export function checkLegacyBroadcast<T>(c: LegacyBroadcastCheck<T>): void {
  const name = c.type.typeName;
  let payloadBytes = -1;
  let frame: Uint8Array;
  try {
    const extraNetIds = c.bytes ? c.extraNetIds : c.type.extractNetIds?.(c.value);
    if (c.bytes) payloadBytes = c.bytes.length;
    [frame] = c.codec.encode(
      { current: c.origin, seen: c.seen, other: c.other, distribution: [] },
      [{
        typeTag: c.tag,
        origin: c.origin,
        payload: c.bytes ?? ((table: NetIdTable) => {
          const p = c.type.encode(c.value, table);
          payloadBytes = p.length;
          return p;
        }),
        extraNetIds,
      }],
      { maxFrameBytes: c.maxDatagramBytes ?? Infinity, maxRecords: 1 },
    );
  } catch (e) {
    throw new EncodeError(
      "ENCODE_FAILED",
      name,
      `the value cannot be encoded: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  if (payloadBytes === 0) {
    throw new EncodeError(
      "ENCODE_FAILED",
      name,
      "the payload is empty, and Elixir Chatter 0.0.15 cannot decode a legacy frame with an " +
        "empty payload (its decoder needs at least one byte); send at least one byte, or use " +
        "the v2 profile",
    );
  }
  if (c.maxDatagramBytes !== undefined && frame.length > c.maxDatagramBytes) {
    throw new EncodeError(
      "MESSAGE_TOO_LARGE",
      name,
      `the legacy frame is ${frame.length} bytes, over maxDatagramBytes ${c.maxDatagramBytes}: ` +
        "Elixir Chatter 0.0.15 receives only by multicast (it drops every TCP frame) and reads " +
        "datagrams of at most 8192 bytes",
    );
  }
}
