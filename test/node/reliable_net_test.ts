/**
 * Reliable delivery on real loopback sockets with a destination in a process of its own
 * (`chatter node`), so that it can really crash (SIGKILL) or stop reading (SIGSTOP):
 * confirmation resolves when all confirm and rejects naming the crashed destination; a stopped
 * receiver holds the sender back at its window, and nothing is lost or doubled once it reads
 * again. [R-NODE-REL-007] [R-NODE-REL-008]
 */
import assert from "node:assert/strict";
import { DeliveryUnconfirmedError, type NetId, textType } from "../../mod.ts";
import { netIdKey } from "../../src/wire/netid.ts";
import { netCluster, waitFor } from "./_net_cluster.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const linux = Deno.build.os === "linux";

/** `chatter node --json` in a child process on the cluster's group and key. */
async function childNode(key: string, group: string, mport: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-sys",
      "--allow-env",
      "--allow-ffi",
      "--allow-read",
      "--unstable-net",
      MAIN,
      "node",
      "--address",
      "127.0.0.1",
      "--port",
      "0",
      "--multicast-group",
      group,
      "--multicast-port",
      String(mport),
      "--interface",
      "127.0.0.1",
      "--heartbeat-ms",
      "0",
      "--json",
    ],
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", CHATTER_KEY: key },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let err = "";
  const pump = async (s: ReadableStream<Uint8Array>, to: (text: string) => void) => {
    for await (const t of s.pipeThrough(new TextDecoderStream())) to(t);
  };
  let partial = "";
  const out = pump(child.stdout, (t) => {
    const parts = (partial + t).split("\n");
    partial = parts.pop()!;
    lines.push(...parts.filter((l) => l.length > 0));
  });
  const errDone = pump(child.stderr, (t) => err += t);
  let id: NetId | undefined;
  try {
    await waitFor(() => /node 127\.0\.0\.1:(\d+) \(v2\) running/.test(err), "child node", 20_000);
    id = { ip: "127.0.0.1", port: Number(/node 127\.0\.0\.1:(\d+)/.exec(err)![1]) };
  } catch (e) {
    child.kill("SIGKILL");
    await Promise.all([out, errDone, child.status]);
    throw new Error(`${(e as Error).message}: ${err}`);
  }
  /** Texts it printed, with how often each. */
  const got = () => {
    const m = new Map<string, number>();
    for (const l of lines) {
      const v = (JSON.parse(l) as { value: string }).value;
      m.set(v, (m.get(v) ?? 0) + 1);
    }
    return m;
  };
  return {
    id: id!,
    got,
    signal: (s: Deno.Signal) => child.kill(s),
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await Promise.all([out, errDone, child.status]);
    },
  };
}

Deno.test({
  name:
    "[R-NODE-REL-007] real sockets: confirmed() resolves when all confirm and rejects naming the destination whose process was killed",
  ignore: !linux,
  async fn() {
    const c = await netCluster(2);
    const d = await childNode(c.key, c.group, c.mport).catch(async (e) => {
      await c.close();
      throw e;
    });
    try {
      c.nodes[0].register(textType("chatter.text"));
      const dests = [c.ids[1], d.id];
      const m1 = c.nodes[0].broadcast(dests, "chatter.text", "one");
      await c.nodes[0].confirmed(m1, { timeoutMs: 10_000 });
      assert.equal(d.got().get("one"), 1);
      // A crash: no close, no leave announcement.
      d.signal("SIGKILL");
      await d.stop();
      const m2 = c.nodes[0].broadcast(dests, "chatter.text", "two");
      const err = await c.nodes[0].confirmed(m2, { timeoutMs: 1_500 }).then(
        () => undefined,
        (e) => e,
      );
      assert.ok(err instanceof DeliveryUnconfirmedError, String(err));
      assert.equal(err.reason, "timeout");
      assert.deepEqual(err.missing.map(netIdKey), [netIdKey(d.id)]);
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${d.id.port}`));
    } finally {
      await d.stop();
      await c.close();
    }
  },
});

Deno.test({
  name:
    "[R-NODE-REL-008] real sockets: a receiver that stops reading (SIGSTOP) holds the sender at its window; after SIGCONT everything arrives exactly once",
  ignore: !linux,
  async fn() {
    const c = await netCluster(1, { sendWindow: 32 });
    const d = await childNode(c.key, c.group, c.mport).catch(async (e) => {
      await c.close();
      throw e;
    });
    try {
      const o = c.nodes[0];
      o.register(textType("chatter.text"));
      await o.confirmed(o.broadcast([d.id], "chatter.text", "first"), { timeoutMs: 10_000 });
      d.signal("SIGSTOP");
      const n = 400;
      for (let i = 0; i < n; i++) o.broadcast([d.id], "chatter.text", `m${i}`);
      let drained = false;
      o.drained().then(() => drained = true);
      // At most the window is outstanding; the rest waits in the sender, not on the wire.
      await waitFor(() => o.stats().reliable.held >= n - 32, "held at the window", 10_000);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(drained, false, "not drained while the receiver is stopped");
      assert.ok(o.stats().reliable.held >= n - 32, `held ${o.stats().reliable.held}`);
      d.signal("SIGCONT");
      await waitFor(() => drained, "drained after SIGCONT", 30_000);
      await waitFor(() => o.stats().reliable.buffered === 0, "every message confirmed", 30_000);
      const got = d.got();
      for (let i = 0; i < n; i++) assert.equal(got.get(`m${i}`), 1, `m${i}`);
      const r = o.stats().reliable;
      assert.equal(r.lost, 0);
      assert.ok(r.heldTotal >= n - 32, `heldTotal ${r.heldTotal}`);
    } finally {
      await d.stop();
      await c.close();
    }
  },
});
