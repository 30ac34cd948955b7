/**
 * A node's counters (`ChatterNode.stats()`): its own, and those of its transport, liveness,
 * reliable delivery and codecs, in one snapshot.
 *
 * @module
 */

import { v2Aead, type V2AeadName } from "../wire/v2/aead_backend.ts";
import type { FrameCodec } from "./frame_codec.ts";
import type { LivenessStats } from "./liveness.ts";
import type { NodeCore } from "./node_core.ts";
import type { ReceiveLimitStats } from "./receive_guard.ts";
import { emptyReliableStats, type ReliableStats } from "./reliable.ts";
import type { TrafficCounters, TransportStats } from "./transport.ts";

/** Counters of a node. */
export interface NodeStats {
  /** TCP frames and bytes in and out. */
  tcp: TrafficCounters;
  /** Multicast frames and bytes in and out. */
  udp: TrafficCounters;
  /** Messages this node broadcast. */
  broadcasts: number;
  /** Messages delivered to handlers (each identity once). */
  delivered: number;
  /** Messages received again and not delivered. */
  duplicates: number;
  /** Messages too far behind their origin's newest to tell; not delivered. */
  tooOld: number;
  /** Legacy peers seen restarting (their duplicate memory cleared). [R-NODE-LEGACY-005] */
  legacyRestarts: number;
  /** Frames rejected by the decoder, by error code. */
  decodeErrors: Record<string, number>;
  /** TCP frames dropped because a peer's queue was full. */
  queueDrops: number;
  /** Multicast datagrams dropped (loss knob, too many in flight). */
  multicastDrops: number;
  /**
   * Records not sent by multicast because they exceed the datagram limit (they went by TCP
   * to every destination). [R-NODE-SCALE-001]
   */
  multicastTooLarge: number;
  /** TCP shares not sent: even a frame without a list is over the receiver's limits. */
  sharesUnsent: number;
  /** Failed TCP sends whose share the next node took over. */
  relayTakeovers: number;
  /** Outgoing connections that could not be opened. */
  connectFailures: number;
  /** TCP streams closed because their framing broke. */
  streamErrors: number;
  /** Records of types not registered here (not delivered). [R-NODE-UNKNOWN-001] */
  unknownTypes: number;
  /** Of those, records forwarded with their payload bytes unchanged. */
  unknownForwarded: number;
  /** Of those, records a relay did not forward (`forwardUnknownTypes: false`). */
  unknownDropped: number;
  /** Records whose payload the type's decoder rejected. */
  payloadErrors: number;
  /** Handler calls that threw. */
  handlerErrors: number;
  /** Messages dropped from a full `messages()` buffer. */
  messageBufferDrops: number;
  /** Event listener calls that threw (see `ChatterNode.on`). */
  listenerErrors: number;
  /** Reliable delivery (zero when off): acknowledgements, repairs, losses, flow control. */
  reliable: ReliableStats;
  /** Peers known now. */
  peers: number;
  /** Heartbeats, probes and peer states (see spec/node.md, "Liveness"). */
  liveness: LivenessStats;
  /** Receive limits hit and unauthenticated records held back. [R-NODE-AMP-*] */
  limits: ReceiveLimitStats;
  /** The transport's own counters. */
  transport: TransportStats;
  /** The AES-256-GCM backend v2 frames are sealed and opened with. [R-V2-IMPL-001] */
  aead: V2AeadName;
}

/** A snapshot of the counters of the node of `c`, whose receive codecs are `decoders`. */
export function nodeStats(c: NodeCore, decoders: Iterable<FrameCodec>): NodeStats {
  const t = c.transport.stats();
  let evicted = 0;
  for (const d of decoders) evicted += d.sessionsEvicted?.() ?? 0;
  c.s.limits.sessionsEvicted = evicted;
  return {
    tcp: t.tcp,
    udp: t.udp,
    ...structuredClone(c.s),
    legacyRestarts: c.dedupLegacy.restarts,
    queueDrops: t.queueDrops,
    multicastDrops: t.multicastDrops,
    connectFailures: t.connectFailures,
    streamErrors: t.streamErrors,
    listenerErrors: c.events.listenerErrors,
    reliable: c.rel?.stats() ?? emptyReliableStats(),
    peers: c.db.size,
    liveness: c.live.stats(),
    transport: t,
    aead: v2Aead().name,
  };
}
