/**
 * [R-NODE-ROBUST-001] An exception other than `DecodeError` in the TCP receive path (here: the
 * frame handler throws, as a bug in the node would) is caught, counted and reported with the
 * remote address; the transport keeps serving, and the process does not die (before, the read
 * loop rethrew it: an unhandled rejection that ends a Deno process).
 */
import assert from "node:assert/strict";
import type { NetId } from "../../mod.ts";
import { denoTransport } from "../../src/node/deno_transport.ts";
import { netCluster } from "../node/_net_cluster.ts";
import {
  closeAll,
  closedWithin,
  craft,
  gossipFrom,
  keyHolderCodec,
  testRecord,
} from "./_attack.ts";

Deno.test("[R-NODE-ROBUST-001] a throwing frame handler: counted, reported, never fatal", async () => {
  const reported: { transport: string; remote: NetId; error: unknown }[] = [];
  let calls = 0;
  const t = await denoTransport({
    address: "127.0.0.1",
    port: 0,
    multicast: false,
    maxConnections: 8,
    maxIncomingConnections: 8,
    idleTimeoutMs: 30_000,
    connectTimeoutMs: 1000,
    maxQueueFrames: 16,
    maxQueueBytes: 1 << 20,
    maxDatagramBytes: 1400,
    maxInflightDatagrams: 16,
  })(
    {
      frame: () => {
        calls++;
        throw new TypeError("a bug in the frame handler");
      },
      streamError: () => {},
      receiveError: (error, transport, remote) => void reported.push({ transport, remote, error }),
    } as Parameters<ReturnType<typeof denoTransport>>[0],
  );
  const conns: Deno.TcpConn[] = [];
  try {
    const me = { ip: "127.0.0.1", port: 1, seqno: 1 };
    const { key } = await netCluster(0); // a fresh key of the test clusters' kind, no nodes
    const frame = craft(keyHolderCodec(key), gossipFrom(me), [testRecord(me, "x")], t.local);
    for (let i = 0; i < 3; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.local.port });
      conns.push(conn);
      await conn.write(frame);
      assert.equal(await closedWithin(conn, 3000), true, "the connection is closed");
    }
    assert.equal(calls, 3, "every connection is still served");
    const s = t.stats() as unknown as { intake?: { receiveErrors: number } };
    assert.equal(s.intake?.receiveErrors, 3);
    assert.equal(reported.length, 3);
    assert.equal(reported[0].transport, "tcp");
    assert.equal(reported[0].remote.ip, "127.0.0.1");
    assert.ok(reported[0].error instanceof TypeError);
  } finally {
    closeAll(conns);
    await t.close();
  }
});
