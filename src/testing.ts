/**
 * Running nodes without a network or a wall clock: the in-memory network (multicast domains,
 * loss, kills, pauses, a deterministic event order), a virtual clock and seeded randomness,
 * plus the transport seam a custom transport implements. For tests and simulations.
 *
 * @example
 * ```ts
 * import { ManualClock, MemoryNetwork, seededRandom } from "@chatter/chatter/testing";
 * import assert from "node:assert/strict";
 * const net = new MemoryNetwork({ random: seededRandom(1) });
 * const clock = new ManualClock(0);
 * let fired = 0;
 * clock.setTimeout(() => fired++, 100);
 * clock.advance(100);
 * assert.equal(fired, 1);
 * assert.equal(net.pending, 0);
 * ```
 *
 * @module
 */

export {
  type MemoryEndpointOptions,
  MemoryNetwork,
  type MemoryNetworkOptions,
} from "./node/memory_transport.ts";
export { ManualClock, type NodeClock, systemClock, type TimerHandle } from "./node/clock.ts";
export { cryptoRandom, type RandomSource, seededRandom } from "./node/random.ts";
export {
  type SendFailure,
  type TrafficCounters,
  type Transport,
  type TransportFactory,
  type TransportHandlers,
  type TransportStats,
} from "./node/transport.ts";
export type { TransportKind } from "./node/frame_codec.ts";
