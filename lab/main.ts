/**
 * `deno task lab`: real Chatter processes across subnets (needs root and `ip`; Linux).
 *
 * Builds, in network namespaces it creates and deletes again: one router namespace with one
 * bridge per subnet (IP forwarding on, no multicast routing), and `--hosts` host namespaces per
 * subnet, each joined to its subnet's bridge by a veth pair with `tc netem` delay and loss on it.
 * Starts one `chatter node --json` process (the CLI) in every host, then broadcasts
 * `--broadcasts` messages with `chatter send` from hosts of every subnet in turn, kills one node
 * (SIGKILL) half-way, and reports per broadcast: deliveries to live nodes, by transport;
 * multicast deliveries from another subnet (must be 0: multicast stays inside each subnet);
 * TCP deliveries across subnets; the sender's TCP and multicast frame counts; IP datagrams the
 * router forwarded. Prints `SKIP: <reason>` and exits 0 where it cannot run.
 *
 *     sudo deno task lab [--subnets 3] [--hosts 4] [--broadcasts 6] [--loss 0.05] [--delay-ms 1] [--json]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { helpOr, numberArg, usageError } from "../bench/_args.ts";
import { generateV2Key } from "../src/node/keys.ts";

const CLI = new URL("../src/cli/main.ts", import.meta.url).pathname;
const dec = new TextDecoder();

/** Options of one lab run. */
export interface LabOptions {
  /** Subnets (default 3). */
  subnets: number;
  /** Node processes per subnet (default 4). */
  hosts: number;
  /** Broadcasts (default 6). */
  broadcasts: number;
  /** Packet loss on every host link, 0..1 (default 0.05). */
  loss: number;
  /** One-way delay on every host link in ms (default 1). */
  delayMs: number;
  /** Give up after this long (default 120 s). */
  timeoutMs: number;
}

/** Figures of one broadcast of the lab. */
export interface LabBroadcast {
  /** Message id. */
  id: string;
  /** The sending host's address. */
  from: string;
  /** Live receivers (the killed node excluded once killed). */
  live: number;
  /** Live receivers that delivered it. */
  delivered: number;
  /** Deliveries by multicast (all from the sender's own subnet). */
  multicast: number;
  /** Multicast deliveries whose sender is in another subnet (must be 0). */
  multicastCrossSubnet: number;
  /** Deliveries by TCP from a sender in another subnet. */
  tcpCrossSubnet: number;
  /** Deliveries by TCP inside a subnet. */
  tcpInSubnet: number;
  /** The `chatter send` line (its TCP and multicast frame counts). */
  sendReport: string;
  /** IP datagrams the router forwarded while this broadcast ran. */
  routerForwarded: number;
}

/** The result of a lab run. */
export interface LabResult {
  /** The options. */
  options: LabOptions;
  /**
   * Whether netem (delay and loss on every packet) was applied; when false (no sch_netem in
   * the kernel), loss is applied to received multicast by the nodes' `--multicast-loss`.
   */
  netem: boolean;
  /** The node killed half-way. */
  killed: string;
  /** The namespaces it created (all deleted again when it returns). */
  namespaces: string[];
  /** Per broadcast. */
  broadcasts: LabBroadcast[];
}

async function sh(
  cmd: string[],
  check = true,
): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped", stderr: "piped" })
    .output();
  const res = { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
  if (check && r.code !== 0) throw new Error(`${cmd.join(" ")} failed: ${res.err.trim()}`);
  return res;
}

/** Why the lab cannot run here, or undefined when it can. */
export async function labUnavailable(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "not Linux";
  if (Deno.uid() !== 0) return "not root (the lab creates network namespaces)";
  try {
    await sh(["ip", "-V"]);
  } catch {
    return "no `ip` command (iproute2)";
  }
  const probe = `chlprobe${crypto.randomUUID().slice(0, 6)}`;
  try {
    await sh(["ip", "netns", "add", probe]);
  } catch (e) {
    return `cannot create network namespaces (${(e as Error).message})`;
  } finally {
    await sh(["ip", "netns", "del", probe], false);
  }
  return undefined;
}

interface Host {
  ns: string;
  ip: string;
  subnet: number;
  proc?: Deno.ChildProcess;
  lines: string[];
  ready: Promise<void>;
  alive: boolean;
}

async function readLines(s: ReadableStream<Uint8Array>, onLine: (l: string) => void) {
  let buf = "";
  for await (const chunk of s) {
    buf += dec.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  }
  if (buf) onLine(buf);
}

async function forwarded(router: string): Promise<number> {
  const r = await sh(["ip", "netns", "exec", router, "cat", "/proc/net/snmp"], false);
  const lines = r.out.split("\n").filter((l) => l.startsWith("Ip:"));
  if (lines.length < 2) return 0;
  const names = lines[0].split(/\s+/), vals = lines[1].split(/\s+/);
  return Number(vals[names.indexOf("ForwDatagrams")] ?? 0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run the lab. Throws when it cannot (see {@linkcode labUnavailable}). */
export async function runLab(
  o: LabOptions,
  log: (s: string) => void = () => {},
): Promise<LabResult> {
  const tag = crypto.randomUUID().slice(0, 4);
  const router = `chl${tag}r`;
  const nss: string[] = [];
  const hosts: Host[] = [];
  const o2 = 100 + Math.floor(Math.random() * 100);
  const base = 10 + Math.floor(Math.random() * 150);
  const ip = (s: number, h: number) => `10.${o2}.${base + s}.${h}`;
  const group = `239.255.${o2}.${base}`;
  const key = generateV2Key(); // 32 random bytes, hex [R-NODE-KEY-002]
  const deadline = Date.now() + o.timeoutMs;
  let netem = true;
  try {
    await sh(["ip", "netns", "add", router]);
    nss.push(router);
    await sh(["ip", "-n", router, "link", "set", "lo", "up"]);
    await sh(["ip", "netns", "exec", router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
    for (let s = 0; s < o.subnets; s++) {
      const br = `br${s}`;
      await sh(["ip", "-n", router, "link", "add", br, "type", "bridge"]);
      // No IGMP querier here: the bridge floods multicast instead of snooping.
      await sh(["ip", "-n", router, "link", "set", br, "type", "bridge", "mcast_snooping", "0"]);
      await sh(["ip", "-n", router, "addr", "add", `${ip(s, 254)}/24`, "dev", br]);
      await sh(["ip", "-n", router, "link", "set", br, "up"]);
      for (let h = 1; h <= o.hosts; h++) {
        const ns = `chl${tag}s${s}h${h}`;
        await sh(["ip", "netns", "add", ns]);
        nss.push(ns);
        await sh(["ip", "-n", ns, "link", "set", "lo", "up"]);
        const inside = `v${tag}s${s}h${h}`, outside = `w${tag}s${s}h${h}`;
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
        if (netem && (o.loss > 0 || o.delayMs > 0)) {
          const r = await sh([
            "ip",
            "netns",
            "exec",
            ns,
            "tc",
            "qdisc",
            "add",
            "dev",
            inside,
            "root",
            "netem",
            "delay",
            `${o.delayMs}ms`,
            "loss",
            `${(o.loss * 100).toFixed(2)}%`,
          ], false);
          if (r.code !== 0) {
            netem = false;
            log(
              `netem unavailable (${r.err.trim()}): no delay; multicast loss by the nodes' ` +
                `--multicast-loss knob instead`,
            );
          }
        }
        hosts.push({
          ns,
          ip: ip(s, h),
          subnet: s,
          lines: [],
          ready: Promise.resolve(),
          alive: true,
        });
      }
    }
    log(`${o.subnets} subnets x ${o.hosts} hosts in namespaces chl${tag}*, router ${router}`);
    const nodeArgs = (h: Host) => [
      "--address",
      h.ip,
      "--multicast-group",
      group,
      "--multicast-port",
      "29998",
      "--interface",
      h.ip,
      "--key",
      key,
    ];
    for (const h of hosts) {
      const p = new Deno.Command("ip", {
        args: [
          "netns",
          "exec",
          h.ns,
          Deno.execPath(),
          "run",
          "--allow-net",
          "--allow-sys",
          "--allow-env",
          "--unstable-net",
          CLI,
          "node",
          "--json",
          "--port",
          "29999",
          ...nodeArgs(h),
        ],
        stdout: "piped",
        stderr: "piped",
        env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      }).spawn();
      h.proc = p;
      readLines(p.stdout, (l) => h.lines.push(l)).catch(() => {});
      h.ready = new Promise<void>((resolve) => {
        readLines(p.stderr, (l) => {
          if (l.includes("running")) resolve();
        }).catch(() => {}).finally(resolve);
      });
    }
    // The deadline's timer is cleared once the nodes are ready: left pending, it kept the
    // process alive until the whole --timeout-ms had passed after a run of a few seconds.
    let readyTimer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(hosts.map((h) => h.ready)),
      new Promise((r) => readyTimer = setTimeout(r, Math.max(1, deadline - Date.now()))),
    ]);
    clearTimeout(readyTimer);
    await sleep(500);
    const all = hosts.map((h) => `${h.ip}:29999`);
    const out: LabBroadcast[] = [];
    const killAt = Math.floor(o.broadcasts / 2);
    const victim = hosts[hosts.length - 1];
    for (let b = 0; b < o.broadcasts; b++) {
      if (Date.now() > deadline) throw new Error(`lab timed out after ${o.timeoutMs} ms`);
      if (b === killAt) {
        victim.proc?.kill("SIGKILL");
        victim.alive = false;
        await victim.proc?.status;
        log(`killed the node at ${victim.ip}`);
      }
      const from = hosts[(b % o.subnets) * o.hosts + (Math.floor(b / o.subnets) % o.hosts)];
      const id = `lab${b}`;
      const f0 = await forwarded(router);
      const r = await sh([
        "ip",
        "netns",
        "exec",
        from.ns,
        Deno.execPath(),
        "run",
        "--allow-net",
        "--allow-sys",
        "--allow-env",
        "--unstable-net",
        CLI,
        "send",
        "--port",
        "0",
        "--json",
        "--linger",
        "1500",
        ...nodeArgs(from),
        ...all.flatMap((a) => ["--to", a]),
        JSON.stringify({ lab: id }),
      ], false);
      await sleep(300);
      const f1 = await forwarded(router);
      out.push({
        id,
        from: from.ip,
        live: 0,
        delivered: 0,
        multicast: 0,
        multicastCrossSubnet: 0,
        tcpCrossSubnet: 0,
        tcpInSubnet: 0,
        sendReport: (r.out.trim() || r.err.trim()).split("\n").at(-1) ?? "",
        routerForwarded: f1 - f0,
      });
    }
    await sleep(1000);
    for (const h of hosts) {
      if (!h.alive) continue;
      h.proc?.kill("SIGTERM");
    }
    await Promise.all(hosts.map((h) => h.proc?.status));
    const subnetOf = (a: string) => a.split(":")[0].split(".")[2];
    for (const [b, row] of out.entries()) {
      for (const h of hosts) {
        if (b >= killAt && h === victim) continue;
        row.live++;
        const msgs = h.lines.map((l) => {
          try {
            return JSON.parse(l);
          } catch {
            return undefined;
          }
        }).filter((m) => m?.value?.lab === row.id);
        if (msgs.length === 0) continue;
        row.delivered++;
        const m = msgs[0];
        const cross = subnetOf(m.sender) !== subnetOf(h.ip);
        if (m.transport === "udp") {
          row.multicast++;
          if (cross) row.multicastCrossSubnet++;
        } else if (cross) row.tcpCrossSubnet++;
        else row.tcpInSubnet++;
      }
    }
    return { options: o, netem, killed: victim.ip, namespaces: [...nss], broadcasts: out };
  } finally {
    for (const h of hosts) {
      try {
        h.proc?.kill("SIGKILL");
      } catch { /* already gone */ }
    }
    await Promise.all(hosts.map((h) => h.proc?.status.catch(() => {})));
    for (const ns of nss.reverse()) await sh(["ip", "netns", "del", ns], false);
  }
}

const USAGE = `deno task lab [options]   (root: network namespaces, bridges, a router)
  --subnets K       subnets, each its own multicast domain (default 3)
  --hosts H         node processes per subnet (default 4)
  --broadcasts B    broadcasts, round-robin over the subnets (default 6)
  --loss P          multicast loss 0..1 (tc netem, or the node's --multicast-loss) (default 0.05)
  --delay-ms MS     netem delay per link (default 1)
  --timeout-ms MS   give up after (default 120000)
  --json            one JSON object instead of the table
  --help            this text`;

if (import.meta.main) {
  helpOr(Deno.args, USAGE);
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      options: {
        subnets: { type: "string", default: "3" },
        hosts: { type: "string", default: "4" },
        broadcasts: { type: "string", default: "6" },
        loss: { type: "string", default: "0.05" },
        "delay-ms": { type: "string", default: "1" },
        "timeout-ms": { type: "string", default: "120000" },
        json: { type: "boolean", default: false },
      },
    });
  } catch (e) {
    usageError((e as Error).message);
  }
  const v = parsed.values;
  const o: LabOptions = {
    subnets: numberArg("subnets", v.subnets, 3, { min: 1, max: 16 }),
    hosts: numberArg("hosts", v.hosts, 4, { min: 1, max: 32 }),
    broadcasts: numberArg("broadcasts", v.broadcasts, 6, { min: 1, max: 1000 }),
    loss: numberArg("loss", v.loss, 0.05, { max: 1, integer: false }),
    delayMs: numberArg("delay-ms", v["delay-ms"], 1, { max: 10_000, integer: false }),
    timeoutMs: numberArg("timeout-ms", v["timeout-ms"], 120_000, { min: 1 }),
  };
  const why = await labUnavailable();
  if (why) {
    console.log(`SKIP: lab cannot run here: ${why}`);
    Deno.exit(0);
  }
  const res = await runLab(o, v.json ? () => {} : (s) => console.log(`lab: ${s}`));
  if (v.json) console.log(JSON.stringify(res));
  else {
    console.log(
      `lab: netem ${
        res.netem ? `delay ${o.delayMs} ms, loss ${o.loss * 100} %` : "off"
      }; killed ${res.killed} before broadcast ${Math.floor(o.broadcasts / 2)}`,
    );
    console.log(
      "  id     from            delivered  mcast  mcast-cross  tcp-cross  tcp-in  router-fwd  sender",
    );
    for (const b of res.broadcasts) {
      console.log(
        `  ${b.id.padEnd(6)} ${b.from.padEnd(15)} ${`${b.delivered}/${b.live}`.padStart(9)}  ${
          String(b.multicast).padStart(5)
        }  ${String(b.multicastCrossSubnet).padStart(11)}  ${
          String(b.tcpCrossSubnet).padStart(9)
        }  ${String(b.tcpInSubnet).padStart(6)}  ${
          String(b.routerForwarded).padStart(10)
        }  ${b.sendReport}`,
      );
    }
  }
}
