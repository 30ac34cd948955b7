/**
 * Kernel drops at the multicast receive socket are counted under exactly the permissions
 * `deno task node` grants, not only under `--allow-all`. [R-NODE-REL-017]
 *
 * Deno 2.9 lets only `--allow-all` read `/proc/net/udp`, so before `getsockopt(SO_MEMINFO)` was
 * used `multicastKernelDrops` read 0 under the task's flags however many datagrams the kernel
 * dropped. Here a child process with the task's flags overruns a tiny receive buffer on purpose
 * (loopback only, a bounded burst) and must count the drops exactly; without FFI it must say it
 * cannot know (`unavailable`) rather than report 0 drops as a fact.
 */

import assert from "node:assert/strict";
import { netCluster, randomMulticast, waitFor } from "./_net_cluster.ts";

const linux = Deno.build.os === "linux";
const MOD = new URL("../../mod.ts", import.meta.url).href;
const SOCK = new URL("../../src/node/multicast_socket.ts", import.meta.url).href;
/** Datagrams of each burst, 1,000 bytes each: a 4 KiB buffer keeps only a few. */
const BURST = 200;

/** The flags of `deno task node` (deno.json), as the user gets them. */
async function taskFlags(): Promise<string[]> {
  const cfg = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  return (cfg.tasks.node as string).split(/\s+/).filter((f) => f.startsWith("--"));
}

/**
 * The child: (1) a receive socket with a 4 KiB buffer that is not read while BURST datagrams
 * arrive, then read empty: drops + read must equal BURST; (2) a node with a 4 KiB receive buffer,
 * which the parent stops (SIGSTOP) while it sends a burst to the node's multicast port.
 */
const CHILD = `
import { generateV2Key, startNode } from ${JSON.stringify(MOD)};
import { openMulticastReceiveSocket } from ${JSON.stringify(SOCK)};
const [group, mport] = Deno.args;
const say = (o) => console.log(JSON.stringify(o));
const rx = openMulticastReceiveSocket(0, 4096);
const port = rx.socket.addr.port;
const tx = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
const payload = new Uint8Array(1000);
for (let i = 0; i < ${BURST}; i++) {
  await tx.send(payload, { transport: "udp", hostname: "127.0.0.1", port });
}
const drops = rx.kernelDrops();
let read = 0;
const stop = setTimeout(() => rx.close(), 3000);
try {
  const buf = new Uint8Array(65536);
  while (read + drops < ${BURST}) { await rx.socket.receive(buf); read++; }
} catch { /* closed by the timer: fewer datagrams kept than the count says */ }
clearTimeout(stop);
tx.close();
rx.close();
say({ socket: { source: rx.kernelDropsSource, drops, read, buffer: rx.buffer } });
const n = await startNode({ address: "127.0.0.1", port: 0, multicastGroup: group,
  multicastPort: Number(mport), multicastInterface: "127.0.0.1", key: generateV2Key(),
  heartbeatMs: 0, multicastReceiveBuffer: 4096 });
const t = () => n.stats().transport;
say({ node: { source: t().multicastKernelDropsSource, drops: t().multicastKernelDrops } });
for await (const _ of Deno.stdin.readable) break;
say({ after: { source: t().multicastKernelDropsSource, drops: t().multicastKernelDrops } });
await n.close();
`;

async function runChild(flags: string[]) {
  const mc = randomMulticast();
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(file, CHILD);
  // `deno eval` would grant everything: a file run with exactly these flags.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, file, mc.group, String(mc.port)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  }).spawn();
  const lines: Record<string, any>[] = [];
  let partial = "";
  const out = (async () => {
    for await (const t of child.stdout.pipeThrough(new TextDecoderStream())) {
      const parts = (partial + t).split("\n");
      partial = parts.pop()!;
      for (const l of parts) if (l.trim()) lines.push(JSON.parse(l));
    }
  })();
  let err = "";
  const errDone = (async () => {
    for await (const t of child.stderr.pipeThrough(new TextDecoderStream())) err += t;
  })();
  const writer = child.stdin.getWriter();
  try {
    const until = async (k: string) => {
      for (let i = 0; i < 600 && !lines.some((l) => k in l); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      const got = lines.find((l) => k in l);
      assert.ok(got, `child said ${k} (stderr: ${err})`);
      return got[k];
    };
    const socket = await until("socket");
    const node = await until("node");
    // The node stops reading; a bounded burst to its multicast port over loopback.
    child.kill("SIGSTOP");
    const tx = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      const payload = new Uint8Array(1000);
      for (let i = 0; i < BURST; i++) {
        await tx.send(payload, { transport: "udp", hostname: "127.0.0.1", port: mc.port });
      }
    } finally {
      tx.close();
      child.kill("SIGCONT");
    }
    await writer.write(new TextEncoder().encode("go\n"));
    const after = await until("after");
    return { socket, node, after };
  } finally {
    await writer.close().catch(() => {});
    const status = await child.status;
    await out;
    await errDone;
    await Deno.remove(file);
    assert.equal(status.code, 0, err);
  }
}

Deno.test({
  name:
    "[R-NODE-REL-017] under deno task node's flags an overrun receive buffer's kernel drops are counted (SO_MEMINFO), exactly",
  ignore: !linux,
  async fn() {
    const flags = await taskFlags();
    assert.ok(!flags.includes("--allow-all"), flags.join(" "));
    const r = await runChild(flags);
    const s = r.socket;
    assert.equal(s.source, "sockopt", JSON.stringify(s));
    assert.equal(s.buffer.method, "setsockopt", JSON.stringify(s));
    // The kernel kept a few; every other datagram is counted, no more, no less.
    assert.ok(s.drops > BURST / 2, JSON.stringify(s));
    assert.equal(s.read + s.drops, BURST, JSON.stringify(s));
    // The node: the same source; its count rises by what the stopped process could not keep.
    assert.equal(r.node.source, "sockopt");
    assert.equal(r.after.source, "sockopt");
    assert.ok(r.after.drops - r.node.drops > BURST / 2, JSON.stringify(r));
    assert.ok(r.after.drops - r.node.drops <= BURST, JSON.stringify(r));
  },
});

Deno.test({
  name:
    "[R-NODE-REL-017] without FFI the drop count says unavailable: 0 means cannot know, not none",
  ignore: !linux,
  async fn() {
    const flags = (await taskFlags()).filter((f) => f !== "--allow-ffi");
    const r = await runChild(flags);
    assert.equal(r.socket.source, "unavailable");
    assert.equal(r.socket.drops, 0);
    assert.equal(r.after.source, "unavailable");
    assert.equal(r.after.drops, 0);
  },
});

/** A node with a 4 KiB receive buffer under the task's flags, reporting on stdin's "report". */
const STOPPED_CHILD = `
import { jsonType, startNode } from ${JSON.stringify(MOD)};
const [key, group, mport, ...peers] = Deno.args;
const say = (o) => console.log(JSON.stringify(o));
const n = await startNode({ address: "127.0.0.1", port: 0, multicastGroup: group,
  multicastPort: Number(mport), multicastInterface: "127.0.0.1", key, heartbeatMs: 0,
  multicastReceiveBuffer: 4096 });
const seen = new Map();
n.register(jsonType("test.msg", (v) => seen.set(v.id, (seen.get(v.id) ?? 0) + 1)));
const ids = peers.map((p) => ({ ip: "127.0.0.1", port: Number(p) }));
// The others learn that this node hears their multicast.
for (let i = 0; i < 5; i++) {
  n.broadcast(ids, "test.msg", { id: "hello" + i });
  await new Promise((r) => setTimeout(r, 50));
}
say({ ready: n.id });
const dec = new TextDecoder();
for await (const chunk of Deno.stdin.readable) {
  if (!dec.decode(chunk).includes("report")) break;
  const t = n.stats().transport;
  say({ report: { seen: Object.fromEntries(seen), drops: t.multicastKernelDrops,
    source: t.multicastKernelDropsSource, buffer: t.multicastReceiveBuffer } });
}
await n.close();
`;

Deno.test({
  name:
    "[R-NODE-REL-017] [R-NODE-REL-010] a node stopped under the task's flags: its kernel drops are counted and repaired, every message arrives once",
  ignore: !linux,
  async fn() {
    const c = await netCluster(2);
    const file = await Deno.makeTempFile({ suffix: ".ts" });
    await Deno.writeTextFile(file, STOPPED_CHILD);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...(await taskFlags()),
        file,
        c.key,
        c.group,
        String(c.mport),
        ...c.ids.map((i) => String(i.port)),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    }).spawn();
    const lines: Record<string, any>[] = [];
    let partial = "", err = "";
    const out = (async () => {
      for await (const t of child.stdout.pipeThrough(new TextDecoderStream())) {
        const parts = (partial + t).split("\n");
        partial = parts.pop()!;
        for (const l of parts) if (l.trim()) lines.push(JSON.parse(l));
      }
    })();
    const errDone = (async () => {
      for await (const t of child.stderr.pipeThrough(new TextDecoderStream())) err += t;
    })();
    const writer = child.stdin.getWriter();
    const until = async (k: string, after = 0) => {
      await waitFor(() => lines.slice(after).some((l) => k in l), `child: ${k} (${err})`, 20_000);
      return lines.slice(after).find((l) => k in l)![k];
    };
    try {
      const id = await until("ready");
      const o = c.nodes[0];
      const dests = [c.ids[1], id];
      await o.confirmed(o.broadcast(dests, "test.msg", { id: "warm" }), { timeoutMs: 10_000 });
      child.kill("SIGSTOP");
      const sent: ReturnType<typeof o.broadcast>[] = [];
      const pad = "x".repeat(80);
      try {
        // 300 messages in 10 batches: far more datagrams than a 4 KiB buffer holds.
        for (let b = 0; b < 10; b++) {
          for (let i = 0; i < 30; i++) {
            sent.push(o.broadcast(dests, "test.msg", { id: `k${b * 30 + i}`, pad }));
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        child.kill("SIGCONT");
      }
      await Promise.all(sent.map((m) => o.confirmed(m, { timeoutMs: 20_000 })));
      const n = lines.length;
      await writer.write(new TextEncoder().encode("report\n"));
      const r = await until("report", n);
      assert.equal(r.source, "sockopt", JSON.stringify(r.buffer));
      assert.ok(r.drops > 0, `the kernel dropped datagrams at the stopped node: ${r.drops}`);
      for (let i = 0; i < 300; i++) assert.equal(r.seen[`k${i}`], 1, `k${i}`);
      const rel = o.stats().reliable;
      assert.ok(rel.retransmits > 0, "repaired");
      assert.equal(rel.lost, 0);
    } finally {
      await writer.close().catch(() => {});
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
      await out;
      await errDone;
      await Deno.remove(file);
      await c.close();
    }
  },
});
