/**
 * A destination that accepts TCP connections and never reads them (real loopback sockets): the
 * origin's queue to it fills and drops (counted, bounded by `maxQueueFrames`/`maxQueueBytes`), its
 * send window holds what is addressed to it, and the origin goes on serving everyone else:
 * broadcasts to the healthy destination alone are delivered and confirmed as before.
 * [R-NODE-REL-008] [R-NODE-QUEUE-001]
 */
import assert from "node:assert/strict";
import { startNode, textType } from "../../mod.ts";

Deno.test("[R-NODE-REL-008] [R-NODE-QUEUE-001] a peer that connects and never reads does not stop the origin serving others", async () => {
  // The stalled peer: accepts and never reads (its kernel buffers fill, then the origin's writes
  // block). Each accepted connection is kept open until the end.
  const stalled = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const c of stalled) held.push(c);
    } catch { /* closed */ }
  })();
  const key = crypto.getRandomValues(new Uint8Array(32));
  const options = {
    address: "127.0.0.1",
    port: 0,
    multicast: false,
    key,
    maxQueueBytes: 1 << 20,
    sendWindow: 512,
    sendWindowMin: 256,
  };
  const a = await startNode(options);
  const b = await startNode(options);
  try {
    a.register(textType("chat"));
    let got = 0;
    b.register(textType("chat", () => {
      got++;
    }));
    const c = { ip: "127.0.0.1", port: (stalled.addr as Deno.NetAddr).port };
    const big = "x".repeat(2_000);
    // 2,000 messages of 2 kB to [b, c]: c's window (512) holds the rest; what was sent to c
    // fills its socket and then a's queue to it.
    for (let i = 0; i < 2_000; i++) a.broadcast([b.id, c], "chat", big);
    await new Promise((r) => setTimeout(r, 1_500));
    // Now to b alone: delivered and confirmed while c still blocks.
    const t0 = performance.now();
    const ids = Array.from({ length: 200 }, (_, i) => a.broadcast([b.id], "chat", `only b ${i}`));
    await Promise.all(ids.map((id) => a.confirmed(id, { timeoutMs: 10_000 })));
    const ms = performance.now() - t0;
    const s = a.stats();
    assert.ok(got >= 200, `b got ${got}`);
    assert.ok(s.reliable.held > 0, `messages to c held by its window: ${s.reliable.held}`);
    assert.ok(s.reliable.inflightMax <= 512, `in flight to c: ${s.reliable.inflightMax}`);
    console.log(
      `200 to b confirmed in ${
        Math.round(ms)
      } ms; held ${s.reliable.held}, queueDrops ${s.queueDrops}, sendFailures ${s.transport.sendFailures}, buffered ${s.reliable.buffered}`,
    );
  } finally {
    await a.close();
    await b.close();
    stalled.close();
    await accepting;
    for (const c of held) c.close();
  }
});
