/**
 * The multicast receive socket's kernel buffer on real sockets (Linux). [R-NODE-REL-010]
 */
import assert from "node:assert/strict";
import { openMulticastReceiveSocket } from "../../src/node/multicast_socket.ts";
import { netCluster, send, waitFor } from "./_net_cluster.ts";

const linux = Deno.build.os === "linux";
const rmemMax = linux ? Number(Deno.readTextFileSync("/proc/sys/net/core/rmem_max").trim()) : 0;
const DATAGRAMS = 600;
const SIZE = 1000;

/** Send DATAGRAMS datagrams to a socket that does not read yet; return what it then reads. */
async function flood(bufferBytes: number) {
  const rx = openMulticastReceiveSocket(0, bufferBytes);
  const port = (rx.socket.addr as Deno.NetAddr).port;
  const tx = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const payload = new Uint8Array(SIZE);
    for (let i = 0; i < DATAGRAMS; i++) {
      await tx.send(payload, { transport: "udp", hostname: "127.0.0.1", port });
    }
    const drops = rx.kernelDrops();
    // Read what the kernel kept; the queue is complete once all sends returned.
    let read = 0;
    const buf = new Uint8Array(65_536);
    while (read + drops < DATAGRAMS) {
      await rx.socket.receive(buf);
      read++;
    }
    return { drops, read, buffer: rx.buffer };
  } finally {
    tx.close();
    rx.close();
  }
}

Deno.test({
  name:
    "[R-NODE-REL-010] the receive buffer is really enlarged: a burst the default buffer drops is kept whole, and kernel drops are counted",
  // 600 datagrams of 1000 bytes take about 1.4 MB of kernel buffer (skb overhead included).
  ignore: !linux || rmemMax < 2_000_000,
  async fn() {
    const big = await flood(4 << 20);
    assert.equal(big.buffer.method, "setsockopt");
    // Linux grants min(asked, rmem_max) and reports twice that.
    assert.equal(big.buffer.grantedBytes, 2 * Math.min(4 << 20, rmemMax));
    assert.equal(big.drops, 0);
    assert.equal(big.read, DATAGRAMS);
    // The OS default (about 208 KiB) cannot hold the burst: the kernel drops, and we count it.
    const small = await flood(0);
    assert.equal(small.buffer.method, "default");
    assert.ok(small.drops > 0, `default buffer dropped ${small.drops}`);
    assert.equal(small.read + small.drops, DATAGRAMS);
  },
});

Deno.test({
  name:
    "[R-NODE-REL-010] a node asks for multicastReceiveBuffer (default 8 MiB) and reports what it got",
  ignore: !linux,
  async fn() {
    const c = await netCluster(2);
    const d = await netCluster(1, { multicastReceiveBuffer: 0 });
    try {
      const b = c.nodes[0].stats().transport.multicastReceiveBuffer;
      assert.equal(b.requestedBytes, 8 << 20);
      assert.equal(b.method, "setsockopt");
      assert.equal(b.grantedBytes, 2 * Math.min(8 << 20, rmemMax));
      const id = send(c, 0);
      await waitFor(() => c.got[1].has(id), "delivery");
      assert.equal(c.nodes[1].stats().transport.multicastKernelDrops, 0);
      const off = d.nodes[0].stats().transport.multicastReceiveBuffer;
      assert.deepEqual(off, { requestedBytes: 0, grantedBytes: 0, method: "default" });
    } finally {
      await c.close();
      await d.close();
    }
  },
});
