/**
 * Live cases of node.md "Transport": a flood of frames does not grow the node's memory without
 * bound.
 *
 * @module
 */

import { MemorySampler } from "../live_net.ts";
import { frameTo, judgeMemory, type LiveCase, sendOne, stillServes, te } from "./common.ts";

/** `memory.flood`: a flood of frames does not grow the node's memory without bound. */
export const memoryFlood: LiveCase = {
  id: "memory.flood",
  reqs: ["R-NODE-QUEUE-001", "R-ERR-001"],
  title: "a flood of frames does not grow the node's memory without bound",
  run: async (env) => {
    const sampler = env.pid !== undefined ? new MemorySampler(env.pid) : undefined;
    const s = await sendOne(env, [], "flood");
    const end = performance.now() + 2000;
    let sent = 0;
    // Bounded in count (20,000 frames) and time (2 s). Distinct frames (v2 would drop
    // repeats as replays), 200 per write.
    while (sent < 20_000 && performance.now() < end) {
      const frames = Array.from(
        { length: 200 },
        (_, i) =>
          env.codec.encode(
            frameTo(env, [], "conformance.echo", te.encode(`flood ${sent + i}`)),
          ),
      );
      const batch = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
      let o = 0;
      for (const f of frames) {
        batch.set(f, o);
        o += f.length;
      }
      if (!(await s.write(batch))) break;
      sent += 200;
    }
    await s.close();
    env.log.note(`flood: ${sent} frames sent`);
    const mem = sampler?.stop();
    const r = await stillServes(env, "after-flood");
    return judgeMemory(env, r, mem);
  },
};
