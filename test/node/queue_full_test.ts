// A full outgoing queue is reported as an event, not only counted. [R-NODE-SEND-004]

import assert from "node:assert/strict";
import { type SendFailedEvent, startNode, textType } from "../../mod.ts";
import { ManualClock } from "../../src/node/clock.ts";
import { MemoryNetwork } from "../../src/node/memory_transport.ts";

Deno.test("[R-NODE-SEND-004] a frame dropped by a full queue gives sendFailed QUEUE_FULL", async () => {
  // One frame in flight per peer: the second flush before the network delivers finds it full.
  const net = new MemoryNetwork({ maxQueueFrames: 1 });
  const key = crypto.getRandomValues(new Uint8Array(32));
  const clock = new ManualClock(1_700_000_000_000);
  const opts = (ip: string) => ({
    key,
    clock,
    multicast: false,
    transport: net.transport({ id: { ip, port: 4000 }, domain: ip }),
  });
  const a = await startNode(opts("10.0.0.1"));
  const b = await startNode(opts("10.0.0.2"));
  try {
    const chat = a.register(textType("chat"));
    b.register(textType("chat"));
    const failures: SendFailedEvent[] = [];
    a.on("sendFailed", (e) => failures.push(e));
    chat.broadcast([b.id], "first");
    await Promise.resolve(); // the first flush: its frame is in flight
    assert.equal(failures.length, 0, "a frame that fits the queue is not a failure");
    chat.broadcast([b.id], "second");
    await Promise.resolve(); // the second flush: the queue is full
    assert.equal(a.stats().queueDrops, 1);
    assert.equal(failures.length, 1);
    assert.equal(failures[0].error.code, "QUEUE_FULL");
    assert.deepEqual({ ip: failures[0].to.ip, port: failures[0].to.port }, b.id);
    await net.settle();
    assert.equal(b.stats().delivered, 1, "the dropped frame is not delivered");
  } finally {
    await a.close();
    await b.close();
  }
});
