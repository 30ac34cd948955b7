/**
 * Message types: how a payload is encoded, decoded and handled (the seed's
 * `extract_netids`, `encode_with`, `decode_with` and `dispatch` callbacks). The type name's
 * xxhash32 is the tag frames carry.
 *
 * @module
 */

import type { BroadcastId, NetId } from "../wire/netid.ts";
import type { NetIdTable } from "../wire/netid_table.ts";
import type { TransportKind } from "./frame_codec.ts";

/** How a message reached this node: by TCP, by multicast, or handed to `broadcast` here. */
export type Arrival = TransportKind | "local";

/** Metadata given to handlers with each message. */
export interface MessageMeta {
  /** The message's type name. */
  typeName: string;
  /** The message's identity: its origin node and origin sequence number. */
  origin: BroadcastId;
  /** The node whose frame delivered it (the origin or a relay). */
  sender: NetId;
  /** How it arrived. */
  transport: Arrival;
  /**
   * True when it arrived in an authenticated frame (v2) or was broadcast here; false when it
   * arrived without authentication (a legacy frame: anyone on the path could have forged it).
   * [R-NODE-DOWNGRADE-001]
   */
  authenticated: boolean;
}

/**
 * A registered message type.
 *
 * @typeParam T the decoded value.
 */
export interface MessageType<T> {
  /** The type name; its xxhash32 is the wire tag. */
  typeName: string;
  /**
   * Encode a value. `table` holds every NetID of the frame, including those
   * {@linkcode MessageType.extractNetIds} returned, so NetIDs can be written as positions.
   */
  encode(value: T, table: NetIdTable): Uint8Array;
  /** Decode payload bytes; `table` is the frame's NetID table. Throw on bad bytes. */
  decode(bytes: Uint8Array, table: readonly NetId[]): T;
  /** NetIDs the value refers to; they join the frame's NetID table. */
  extractNetIds?(value: T): NetId[];
  /**
   * Handle a delivered message. Return a replacement value to forward instead (the seed's
   * `dispatch` contract), or nothing to forward the value as received.
   */
  handler?(value: T, meta: MessageMeta): T | undefined | void;
}

/** A delivered message, as {@linkcode ChatterNode.messages} yields it. */
export interface ReceivedMessage<T = unknown> {
  /** The decoded value (after the handler, the value forwarded). */
  value: T;
  /** Its metadata. */
  meta: MessageMeta;
}

/**
 * A message type registered on a node, as `node.register(type)` returns it: values and
 * iterators carry the type's value type.
 *
 * @typeParam T the decoded value.
 */
export interface MessageHandle<T> {
  /** The registered type. */
  readonly type: MessageType<T>;
  /** Its name. */
  readonly typeName: string;
  /**
   * Broadcast `value` to `destinations` (NetIDs or `"host:port"` text), as
   * `node.broadcast(destinations, typeName, value)` does: encoded now, so a bad value throws
   * an `EncodeError` here. Returns the message's identity.
   */
  broadcast(destinations: Iterable<NetId | string>, value: T): BroadcastId;
  /** Delivered messages of this type only, from now on, until the node closes. */
  messages(): AsyncIterableIterator<ReceivedMessage<T>>;
}

function expect(ok: boolean, what: string, v: unknown): void {
  if (!ok) {
    throw new TypeError(`expected ${what}, got ${v === null ? "null" : typeof v}`);
  }
}

/**
 * A message type whose payload is raw bytes.
 *
 * @example
 * ```ts
 * import { bytesType } from "@chatter/chatter";
 * import assert from "node:assert/strict";
 * const t = bytesType("blob");
 * assert.equal(t.typeName, "blob");
 * ```
 */
export function bytesType(
  typeName: string,
  handler?: (value: Uint8Array, meta: MessageMeta) => Uint8Array | undefined | void,
): MessageType<Uint8Array> {
  return {
    typeName,
    encode: (v) => {
      expect(v instanceof Uint8Array, "a Uint8Array", v);
      return v;
    },
    decode: (b) => b.slice(),
    handler,
  };
}

/**
 * A message type whose payload is UTF-8 text.
 *
 * @example
 * ```ts
 * import { textType } from "@chatter/chatter";
 * import assert from "node:assert/strict";
 * const t = textType("chat", (text, meta) => console.log(meta.origin, text));
 * const table = undefined as never; // text payloads refer to no NetIDs
 * assert.deepEqual(t.encode("hi", table), new Uint8Array([0x68, 0x69]));
 * assert.equal(t.decode(new Uint8Array([0x68, 0x69]), []), "hi");
 * assert.throws(() => t.encode(42 as unknown as string, table), TypeError); // not a string
 * ```
 */
export function textType(
  typeName: string,
  handler?: (value: string, meta: MessageMeta) => string | undefined | void,
): MessageType<string> {
  const enc = new TextEncoder();
  const dec = new TextDecoder("utf-8", { fatal: true });
  return {
    typeName,
    encode: (v) => {
      expect(typeof v === "string", "a string", v);
      return enc.encode(v);
    },
    decode: (b) => dec.decode(b),
    handler,
  };
}

/**
 * A message type whose payload is JSON text.
 *
 * @example
 * ```ts
 * import { jsonType } from "@chatter/chatter";
 * import assert from "node:assert/strict";
 * const t = jsonType<{ n: number }>("event");
 * const bytes = t.encode({ n: 1 }, undefined as never);
 * assert.equal(new TextDecoder().decode(bytes), '{"n":1}');
 * assert.deepEqual(t.decode(bytes, []), { n: 1 });
 * ```
 */
export function jsonType<T = unknown>(
  typeName: string,
  handler?: (value: T, meta: MessageMeta) => T | undefined | void,
): MessageType<T> {
  const enc = new TextEncoder();
  const dec = new TextDecoder("utf-8", { fatal: true });
  return {
    typeName,
    encode: (v) => {
      const text = JSON.stringify(v);
      expect(typeof text === "string", "a value JSON can represent", v);
      return enc.encode(text);
    },
    decode: (b) => JSON.parse(dec.decode(b)) as T,
    handler,
  };
}
