/**
 * Live cases of wire.md "15.4 Sessions, session keys and nonces": no (salt, counter) pair seals
 * two different frames.
 *
 * @module
 */

import { hex as hexOf } from "../hex.ts";
import type { Outcome } from "../types.ts";
import { type LiveCase, sameId } from "./common.ts";

/** `session.nonces`: every v2 frame the node sent in this run has its own (salt, counter). */
export const sessionNonces: LiveCase = {
  id: "session.nonces",
  reqs: ["R-V2-SESSION-003", "R-V2-AEAD-002"],
  profiles: ["v2"],
  title: "every v2 frame the node sent in this run has its own (salt, counter)",
  run: (env) => {
    const frames = [...env.peers.flatMap((p) => p.received), ...(env.mcast?.received ?? [])]
      // The node's own frames only (the runner hears its own multicast too).
      .filter((r) => r.decoded && sameId(r.decoded.gossip.current, env.node))
      .map((r) => r.frame).filter((f) => f.length >= 37 && f[0] === 0xc7);
    // One sealed frame may go to several peers (identical bytes); two different frames under
    // one (salt, counter) would be a nonce reuse.
    const seen = new Map<string, Set<string>>();
    for (const f of frames) {
      const k = `${hexOf(f.subarray(5, 21))}/${hexOf(f.subarray(21, 29))}`;
      if (!seen.has(k)) seen.set(k, new Set());
      seen.get(k)!.add(hexOf(f));
    }
    env.log.note(`checked ${frames.length} node frames in ${seen.size} (salt, counter) pairs`);
    const dup = [...seen].filter(([, bodies]) => bodies.size > 1).map(([k, b]) => [k, b.size]);
    if (frames.length < 10) {
      return Promise.resolve(
        { status: "ERROR", detail: `only ${frames.length} node frames seen` } as Outcome,
      );
    }
    return Promise.resolve(
      dup.length
        ? {
          status: "FAIL",
          actual: { repeated: dup.slice(0, 5) },
          detail: `${dup.length} (salt, counter) pairs carry different frames: nonce reuse`,
        } as Outcome
        : {
          status: "PASS",
          actual: {
            framesChecked: frames.length,
            sessions: new Set([...seen.keys()].map((k) => k.split("/")[0])).size,
          },
        } as Outcome,
    );
  },
};
