/**
 * Chatter: broadcast small, compressed, encrypted messages to a set of nodes, over UDP
 * multicast inside a network and a logarithmic TCP tree across networks.
 *
 * @example
 * ```ts
 * import { typeTag } from "@chatter/chatter";
 * typeTag("hello"); // 0xfb0077f9
 * ```
 *
 * @module
 */

export * from "./src/errors.ts";
export * from "./src/wire/mod.ts";
export * from "./src/node/mod.ts";
export * from "./src/membership/mod.ts";
