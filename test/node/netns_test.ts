/**
 * Two subnets in network namespaces (two bridges joined by a router namespace): multicast
 * stays inside each subnet, TCP crosses the router, every node receives every message, and
 * nodes learn that only their own subnet hears their multicast. Needs root and `ip` (iproute2,
 * which .ci/run installs); reported as ignored, with the reason, otherwise.
 */
import assert from "node:assert/strict";
import { named } from "../_helpers/requires.ts";

const NODE = new URL("./_netns_node.ts", import.meta.url).pathname;

async function sh(
  cmd: string[],
  check = true,
): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped", stderr: "piped" })
    .output();
  const res = {
    code: r.code,
    out: new TextDecoder().decode(r.stdout),
    err: new TextDecoder().decode(r.stderr),
  };
  if (check && r.code !== 0) throw new Error(`${cmd.join(" ")} failed: ${res.err.trim()}`);
  return res;
}

async function canNetns(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "not Linux";
  if (Deno.uid() !== 0) return "not root";
  try {
    const probe = `chnprobe${crypto.randomUUID().slice(0, 6)}`;
    await sh(["ip", "netns", "add", probe]);
    await sh(["ip", "netns", "del", probe]);
  } catch (e) {
    return `cannot create network namespaces (${(e as Error).message})`;
  }
  return undefined;
}

const NO_NETNS = await canNetns();

Deno.test({
  name: named(
    "[R-NODE-NET-002] two subnets in namespaces: multicast stays local, TCP crosses, all receive",
    NO_NETNS,
  ),
  ignore: NO_NETNS !== undefined,
}, async () => {
  const tag = crypto.randomUUID().slice(0, 5);
  const router = `chn${tag}r`;
  const subnets = [
    { name: "a", net: 10 + Math.floor(Math.random() * 200), hosts: [1, 2, 3] },
    { name: "b", net: 0, hosts: [1, 2, 3] },
  ];
  subnets[1].net = subnets[0].net + 1;
  const o2 = 100 + Math.floor(Math.random() * 100);
  const ip = (s: { net: number }, h: number) => `10.${o2}.${s.net}.${h}`;
  const nss: string[] = [router];
  try {
    await sh(["ip", "netns", "add", router]);
    await sh(["ip", "-n", router, "link", "set", "lo", "up"]);
    await sh(["ip", "netns", "exec", router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
    for (const s of subnets) {
      const br = `br${s.name}`;
      await sh(["ip", "-n", router, "link", "add", br, "type", "bridge"]);
      // No IGMP querier here: let the bridge flood multicast instead of snooping.
      await sh(["ip", "-n", router, "link", "set", br, "type", "bridge", "mcast_snooping", "0"]);
      await sh(["ip", "-n", router, "addr", "add", `${ip(s, 254)}/24`, "dev", br]);
      await sh(["ip", "-n", router, "link", "set", br, "up"]);
      for (const h of s.hosts) {
        const ns = `chn${tag}${s.name}${h}`;
        nss.push(ns);
        await sh(["ip", "netns", "add", ns]);
        await sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
        const inside = `v${tag}${s.name}${h}`, outside = `w${tag}${s.name}${h}`;
        await sh([
          "ip",
          "-n",
          ns,
          "link",
          "add",
          inside,
          "type",
          "veth",
          "peer",
          "name",
          outside,
          "netns",
          router,
        ]);
        await sh(["ip", "-n", router, "link", "set", outside, "master", br, "up"]);
        await sh(["ip", "-n", ns, "addr", "add", `${ip(s, h)}/24`, "dev", inside]);
        await sh(["ip", "-n", ns, "link", "set", inside, "up"]);
        await sh(["ip", "-n", ns, "route", "add", "default", "via", ip(s, 254)]);
      }
    }
    const all = subnets.flatMap((s) => s.hosts.map((h) => ip(s, h)));
    const key = crypto.randomUUID().slice(0, 32);
    const procs = subnets.flatMap((s) =>
      s.hosts.map((h) => {
        const cfg = {
          self: ip(s, h),
          all,
          key,
          group: "239.255.77.1",
          mport: 29998,
          startDelayMs: 2500,
          messages: 12,
          everyMs: 150,
          lingerMs: 2000,
        };
        return new Deno.Command("ip", {
          args: [
            "netns",
            "exec",
            `chn${tag}${s.name}${h}`,
            Deno.execPath(),
            "run",
            "--allow-all",
            "--unstable-net",
            NODE,
            JSON.stringify(cfg),
          ],
          stdout: "piped",
          stderr: "piped",
          env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
        }).output();
      })
    );
    const outs = await Promise.all(procs);
    const results = outs.map((r) => {
      const text = new TextDecoder().decode(r.stdout).trim();
      assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
      return JSON.parse(text.split("\n").at(-1)!);
    });
    const expected = all.flatMap((a) => Array.from({ length: 12 }, (_, i) => `${a}/${i}`));
    for (const r of results) {
      const subnetOf = (x: string) => x.split(".")[2];
      const mine = subnetOf(r.self);
      // Every node received every other node's messages.
      const missing = expected.filter((id) => !id.startsWith(`${r.self}/`) && !r.got.includes(id));
      assert.deepEqual(missing, [], `${r.self} missed ${missing.length}`);
      // Multicast stays in the subnet: only same-subnet nodes hear us, and they do.
      for (const h of r.hearsUs) {
        assert.equal(subnetOf(h), mine, `${r.self}: ${h} hears us across the router`);
      }
      assert.equal(r.hearsUs.length, 2, `${r.self} hearsUs ${r.hearsUs}`);
      // TCP crossed the router, and the node learned of the other subnet.
      assert.ok(r.tcpIn > 0);
      assert.ok(r.peers.some((p: string) => subnetOf(p) !== mine));
      assert.deepEqual(r.decodeErrors, {});
    }
  } finally {
    for (const ns of nss.reverse()) await sh(["ip", "netns", "del", ns], false);
  }
});
