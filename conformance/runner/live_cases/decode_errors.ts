/**
 * Live cases of wire.md "1.1 Decode errors": decompression bombs are refused without memory
 * growth.
 *
 * @module
 */

import { MemorySampler, sleep } from "../live_net.ts";
import { frameTo, judgeMemory, type LiveCase, sendOne, stillServes } from "./common.ts";

/** `memory.bomb`: decompression bombs are refused without growing the node's memory. */
export const memoryBomb: LiveCase = {
  id: "memory.bomb",
  reqs: ["R-ERR-001", "R-LIMIT-004", "R-LIMIT-005"],
  title: "decompression bombs are refused without growing the node's memory",
  run: async (env) => {
    const sampler = env.pid !== undefined ? new MemorySampler(env.pid) : undefined;
    // Near-limit valid frames (1 MiB of zeros compresses about 21x) over fresh connections.
    const big = new Uint8Array(1_000_000);
    for (let i = 0; i < 8; i++) {
      const s = await sendOne(env, [
        env.codec.encode(frameTo(env, [], "conformance.echo", big)),
      ], "bomb");
      await sleep(30);
      await s.close();
    }
    const mem = sampler?.stop();
    const r = await stillServes(env, "after-bomb");
    return judgeMemory(env, r, mem);
  },
};
