/**
 * Chatter: broadcast small, compressed, encrypted messages to a set of nodes, over UDP
 * multicast inside a network and a logarithmic TCP tree across networks.
 *
 * This entry point is what an application needs: start a node, register message types, the
 * errors, events, options and counters. Advanced parts have entry points of their own:
 * `@chatter/chatter/wire` (the codec), `@chatter/chatter/membership` (group membership),
 * `@chatter/chatter/testing` (the in-memory network, virtual clock, seeded randomness) and
 * `@chatter/chatter/conformance` (the conformance runner).
 *
 * @example Three nodes on the in-memory network
 * ```ts
 * import { generateV2Key, startNode, textType } from "@chatter/chatter";
 * import { ManualClock, MemoryNetwork } from "@chatter/chatter/testing";
 * import assert from "node:assert/strict";
 *
 * const net = new MemoryNetwork();
 * const clock = new ManualClock();
 * const key = generateV2Key(); // 32 random bytes, hex (`chatter keygen`)
 * const nodes = [];
 * for (let i = 1; i <= 3; i++) {
 *   const id = { ip: `10.0.0.${i}`, port: 4000 };
 *   nodes.push(await startNode({ key, clock, transport: net.transport({ id, domain: "lan" }) }));
 * }
 * const heard: string[] = [];
 * const chat = nodes.map((n) => n.register(textType("chat", (text) => void heard.push(text))));
 * chat[0].broadcast(nodes.map((n) => n.id), "hello");
 * await net.settle();
 * assert.deepEqual(heard, ["hello", "hello", "hello"]); // the sender and both others
 * for (const n of nodes) await n.close();
 * ```
 *
 * @module
 */

export { ALL_PEERS, ChatterNode, type NodeStats, startNode } from "./src/node/node.ts";
export type { HeardBy, LivenessStats, PeerRecord, PeerState } from "./src/node/liveness.ts";
export type { ReliableStats } from "./src/node/reliable.ts";
export {
  type KeyringEntry,
  LEGACY_DEFAULTS,
  type Logger,
  NODE_DEFAULTS,
  type NodeDefaults,
  type NodeOptions,
} from "./src/node/options.ts";
export {
  type Arrival,
  bytesType,
  jsonType,
  type MessageHandle,
  type MessageMeta,
  type MessageType,
  type ReceivedMessage,
  textType,
} from "./src/node/message_type.ts";
export type {
  DecodeErrorEvent,
  HandlerErrorEvent,
  ListenerFailedEvent,
  LostEvent,
  NodeEventListener,
  NodeEventMap,
  PeerEvent,
  ReceiveErrorEvent,
  SendFailedEvent,
  ShareUnsentEvent,
} from "./src/node/events.ts";
export {
  AddressInUseError,
  CHATTER_ERROR_CODES,
  ChatterError,
  type ChatterErrorCode,
  DeliveryUnconfirmedError,
  EncodeError,
  KeyError,
  MessageTypeError,
  NodeClosedError,
  NodeOptionError,
  UnknownTypeError,
} from "./src/errors.ts";
export { generateV2Key } from "./src/node/keys.ts";
export { DecodeError, type DecodeErrorCode } from "./src/wire/decode_error.ts";
export { type BroadcastId, type NetId, parseNetId } from "./src/wire/netid.ts";
export type { Profile } from "./src/wire/message.ts";
export type { DecodeLimits } from "./src/wire/constants.ts";
export type { TrafficCounters, TransportFactory, TransportStats } from "./src/node/transport.ts";
export type { IntakeStats } from "./src/node/intake.ts";
export type { ReceiveLimitStats } from "./src/node/receive_guard.ts";
export type { NodeClock, TimerHandle } from "./src/node/clock.ts";
export type { RandomSource } from "./src/node/random.ts";
