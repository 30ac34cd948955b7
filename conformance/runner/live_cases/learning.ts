/**
 * Live cases of node.md "Learning": the node learns who multicasts from what it hears.
 *
 * @module
 */

import { hex as hexOf } from "../hex.ts";
import { MulticastSender, sleep } from "../live_net.ts";
import {
  carrying,
  expectForward,
  frameTo,
  type LiveCase,
  sameId,
  sendOne,
  uniquePayload,
} from "./common.ts";

/** `multicast.learning`: after the runner multicasts, the node's later frames list the runner among seen IDs. */
export const multicastLearning: LiveCase = {
  id: "multicast.learning",
  reqs: ["R-NODE-LEARN-001"],
  title: "after the runner multicasts, the node's later frames list the runner among seen IDs",
  run: async (env) => {
    const m = env.peers[5];
    const seqno = env.seq();
    const ms = new MulticastSender(env.multicast.group, env.multicast.port, env.log);
    try {
      const frame = env.codec.encode({
        gossip: { current: { ...m.id, seqno }, seen: [], other: [], distribution: [] },
        typeName: "conformance.echo",
        payload: uniquePayload("mcast"),
        multicast: true,
      });
      // Multicast is lossy: send a few copies.
      for (let i = 0; i < 3; i++) {
        await ms.send(frame);
        await sleep(20);
      }
    } finally {
      ms.close();
    }
    await sleep(100);
    const p = uniquePayload("after-mcast");
    const s = await sendOne(env, [
      env.codec.encode(frameTo(env, [env.peers[0].id], "conformance.echo", p)),
    ]);
    try {
      const r = await expectForward(
        env,
        [env.peers[0]],
        hexOf(p),
        hexOf(p),
        "conformance.echo",
      );
      if (r.status !== "PASS") return r;
      const f = carrying([env.peers[0]], hexOf(p))[0].frame;
      const listed = f.gossip.seen.some((x) => sameId(x, m.id));
      return listed ? { status: "PASS", actual: { seen: f.gossip.seen } } : {
        status: "FAIL",
        expected: { seen: [`${m.id.ip}:${m.id.port}`] },
        actual: { seen: f.gossip.seen },
        detail: "the node's next frame does not list the multicast sender among its seen IDs",
      };
    } finally {
      await s.close();
    }
  },
};
