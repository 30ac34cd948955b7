/**
 * One node of the network-namespace test, run inside a namespace by `netns_test.ts`:
 * `deno run --allow-all --unstable-net _netns_node.ts '<json config>'`. Broadcasts its
 * messages to every node, then prints one JSON line with what it received and learned.
 */
import { jsonType, type NetId, startNode } from "../../mod.ts";

interface Config {
  self: string;
  all: string[];
  key: string;
  group: string;
  mport: number;
  startDelayMs: number;
  messages: number;
  everyMs: number;
  lingerMs: number;
}

const cfg = JSON.parse(Deno.args[0]) as Config;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const node = await startNode({
  address: cfg.self,
  port: 29999,
  multicastGroup: cfg.group,
  multicastPort: cfg.mport,
  multicastInterface: cfg.self,
  key: cfg.key,
  // This test asserts no decode errors at all: a heartbeat multicast while another node is
  // still starting is rightly rejected there as BEFORE_START (R-V2-TIME-003). Heartbeats off.
  heartbeatMs: 0,
});
const got = new Set<string>();
node.register(jsonType<{ id: string }>("netns.msg", (v) => void got.add(v.id)));
const all: NetId[] = cfg.all.map((ip) => ({ ip, port: 29999 }));
await sleep(cfg.startDelayMs);
for (let i = 0; i < cfg.messages; i++) {
  node.broadcast(all, "netns.msg", { id: `${cfg.self}/${i}` });
  await sleep(cfg.everyMs);
}
await sleep(cfg.lingerMs);
const s = node.stats();
console.log(JSON.stringify({
  self: cfg.self,
  got: [...got].sort(),
  hearsUs: cfg.all.filter((ip) => ip !== cfg.self && node.hearsUs({ ip, port: 29999 })),
  // Peers learned, those that already closed (and announced it) included.
  peers: node.peers({ includeGone: true }).map((p) => p.ip).sort(),
  udpIn: s.udp.framesIn,
  tcpIn: s.tcp.framesIn,
  tcpOut: s.tcp.framesOut,
  decodeErrors: s.decodeErrors,
}));
await node.close();
