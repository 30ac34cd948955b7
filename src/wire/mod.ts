/**
 * Chatter's wire codec: runtime-neutral (no `Deno.*`), for Deno, Node, Bun. Every rule it
 * implements is stated, with a tag, in `spec/wire.md`.
 *
 * @example
 * ```ts
 * import { decodeLegacyFrame, encodeLegacyFrame } from "@chatter/chatter/wire";
 * const key = new TextEncoder().encode("01234567890123456789012345678912");
 * const gossip = { current: { ip: "127.0.0.1", port: 29999, seqno: 1 }, seen: [], other: [], distribution: [] };
 * const frame = encodeLegacyFrame({ key, gossip, typeName: "hello", payload: new TextEncoder().encode("world") });
 * decodeLegacyFrame(frame, key).typeTag; // 0xfb0077f9
 * ```
 *
 * @module
 */

export * from "./constants.ts";
export * from "./decode_error.ts";
export * from "./varint.ts";
export * from "./byte_writer.ts";
export * from "./netid.ts";
export * from "./netid_table.ts";
export * from "./gossip.ts";
export * from "./message.ts";
export * from "./xxhash32.ts";
export * from "./snappy.ts";
export * from "./legacy_cipher.ts";
export * from "./legacy_frame.ts";
export * from "./frame_length.ts";
export * from "./frame_reader.ts";
export * from "./v2/mod.ts";
