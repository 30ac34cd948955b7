/**
 * [R-NODE-TRANSPORT-007] One TCP reset must not make a node deaf. Peers that connect and reset
 * (SO_LINGER 0) before the node's accept completes make Deno's `accept()` throw
 * (`NotConnected`, os error 107); the accept loop must count that and keep accepting.
 *
 * The resets are made by a Python helper run with `Deno.Command.outputSync()`: it blocks this
 * process's event loop, so every connection is established and reset while it waits in the
 * listen backlog, and the node's next `accept()` calls meet them. Deterministic, no sleeps.
 */
import assert from "node:assert/strict";
import { netCluster, send, waitFor } from "../node/_net_cluster.ts";

const PY = "/usr/bin/python3";
const hasPython = (() => {
  try {
    return Deno.statSync(PY).isFile;
  } catch {
    return false;
  }
})();

function resetConnections(port: number, count: number): void {
  const script = `
import socket, struct, sys
for _ in range(${count}):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.connect(("127.0.0.1", ${port}))
    s.close()
`;
  const out = new Deno.Command(PY, { args: ["-c", script], stderr: "piped" }).outputSync();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

Deno.test({
  name: "[R-NODE-TRANSPORT-007] resets before accept: the node keeps accepting and delivering",
  ignore: !hasPython,
  async fn() {
    const c = await netCluster(2, { multicast: false });
    try {
      const victim = c.nodes[1];
      for (let round = 0; round < 3; round++) {
        resetConnections(victim.id.port, 20);
        const id = send(c, 0, [victim.id]);
        await waitFor(() => c.got[1].has(id), `delivery after reset round ${round}`);
      }
      const t = victim.stats().transport;
      assert.ok(t.acceptErrors > 0, `accept errors counted (${t.acceptErrors})`);
      assert.equal(t.listenerFailures, 0);
    } finally {
      await c.close();
    }
  },
});
