/**
 * The running Chatter node: options, message types, the node itself, the transport seam with
 * its real (Deno) and in-memory implementations, the broadcast planner and the peer database.
 *
 * @example
 * ```ts ignore
 * import { startNode, textType } from "@chatter/chatter";
 * const node = await startNode({ address: "127.0.0.1", port: 0 });
 * node.register(textType("chat", (text) => console.log(text)));
 * await node.close();
 * ```
 *
 * @module
 */

export * from "./random.ts";
export * from "./clock.ts";
export * from "./options.ts";
export * from "./message_type.ts";
export * from "./frame_codec.ts";
export * from "./legacy_codec.ts";
export * from "./v2_codec.ts";
export * from "./transport.ts";
export * from "./deno_transport.ts";
export * from "./memory_transport.ts";
export * from "./plan.ts";
export * from "./peer_db.ts";
export * from "./dedup.ts";
export * from "./node.ts";
export * from "./events.ts";
export { emptyReliableStats, type ReliableStats } from "./reliable.ts";
export * from "./reliable_sender.ts";
export * from "./reliable_receiver.ts";
export * from "./reliable_wire.ts";
