/// <reference lib="deno.worker" />
/**
 * One node of `cluster_bench.ts --workers`: runs in its own Worker (its own thread), as nodes
 * in separate processes would. Commands arrive by postMessage; the count of messages received
 * is reported every 20 ms.
 */
import { bytesType, type ChatterNode, type NetId, startNode } from "../mod.ts";
import type { Profile } from "../src/wire/message.ts";

let node: ChatterNode | undefined;
let got = 0;
let ids: NetId[] = [];
let timer: ReturnType<typeof setInterval> | undefined;
let seq = 0;

self.onmessage = async (e: MessageEvent) => {
  const m = e.data;
  if (m.cmd === "start") {
    node = await startNode({
      address: "127.0.0.1",
      port: 0,
      multicastGroup: m.group,
      multicastPort: m.mport,
      multicastInterface: "127.0.0.1",
      key: m.key,
      profile: m.profile as Profile,
      maxQueueFrames: 1 << 16,
      maxQueueBytes: 64 << 20,
      maxDatagramBytes: m.datagram ?? 1400,
    });
    node.register(bytesType("bench", () => void got++));
    timer = setInterval(() => self.postMessage({ got }), 20);
    self.postMessage({ ready: node.id });
  } else if (m.cmd === "peers") {
    ids = m.ids;
  } else if (m.cmd === "send") {
    for (let i = 0; i < m.count; i++) {
      const b = new Uint8Array(100);
      crypto.getRandomValues(b.subarray(8));
      new DataView(b.buffer).setFloat64(0, ++seq);
      node!.broadcast(ids, "bench", b);
    }
  } else if (m.cmd === "close") {
    clearInterval(timer);
    await node?.close();
    self.postMessage({ closed: true, stats: node?.stats() });
  }
};
