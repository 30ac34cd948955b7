/**
 * The `chatter` command line: `node`, `send`, `peers`, `members`, `keygen`, `cluster`. Run with
 * `deno task node <command>` or `deno run --allow-net --allow-sys --allow-env --unstable-net
 * src/cli/main.ts <command>`; `--help` on every command.
 *
 * @module
 */

import { ChatterError, KeyFileUnsafeError, NodeOptionError, showValue } from "../errors.ts";
import { generateV2Key, PUBLIC_LEGACY_KEYS, readKeyringFile } from "../node/keys.ts";
import { lookup } from "node:dns/promises";
import denoJson from "../../deno.json" with { type: "json" };
import { parseArgs } from "node:util";
import {
  type ChatterNode,
  jsonType,
  type NetId,
  NODE_DEFAULTS,
  type NodeOptions,
  parseNetId,
  startNode,
  textType,
} from "../../mod.ts";
import { DEFAULT_KEY, DEFAULT_PROFILE } from "../node/options.ts";
import { formatNetId } from "../wire/netid.ts";
import { GroupNode } from "../membership/group_node.ts";
import { viewToJson } from "../membership/json.ts";
import type { Profile } from "../wire/message.ts";
import { v2AeadInfo } from "../wire/v2/aead_backend.ts";
import { formatClusterResult, runCluster } from "./cluster.ts";
import { renderClusterHtml, renderClusterSvg } from "./cluster_picture.ts";
import { escapeControl, escapeJsonControl } from "./terminal.ts";
import { formatMembershipResult, runMembershipCluster } from "./cluster_membership.ts";

/** Type names the CLI uses for text and JSON messages. */
export const TEXT_TYPE = "chatter.text";
/** See {@linkcode TEXT_TYPE}. */
export const JSON_TYPE = "chatter.json";

const NODE_OPTS = {
  address: { type: "string" },
  port: { type: "string" },
  "multicast-group": { type: "string" },
  "multicast-port": { type: "string" },
  ttl: { type: "string" },
  interface: { type: "string" },
  "no-multicast": { type: "boolean" },
  key: { type: "string" },
  "key-file": { type: "string" },
  label: { type: "string" },
  profile: { type: "string" },
  accept: { type: "string" },
  "multicast-loss": { type: "string" },
  seed: { type: "string", multiple: true },
  "heartbeat-ms": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** The version this CLI reports (`chatter --version`): the package's. */
export const VERSION: string = denoJson.version;

/** Node flags' help; `port` is the command's default TCP port (0 for the short-lived ones). */
const nodeHelp = (port: number) =>
  `  --address A          address to listen on and be known by: IPv4, IPv6 or a host name
                       (default: first non-loopback IPv4; IPv6 needs --no-multicast or --interface)
  --port P             TCP port (default ${port}${
    port === 0 ? ": any free port" : "; 0 = any free port"
  })
  --multicast-group G  multicast group (default ${NODE_DEFAULTS.multicastGroup})
  --multicast-port P   multicast port (default ${NODE_DEFAULTS.multicastPort})
  --ttl T              multicast TTL (default ${NODE_DEFAULTS.multicastTtl})
  --interface A        interface address multicast uses (default: --address)
  --no-multicast       TCP only
  --key-file F         read the key or keyring from file F (default: $CHATTER_KEY_FILE); the
                       file must not be readable by other users (chmod 600); see chatter keygen
  --key K              the key itself (default: $CHATTER_KEY); visible to other users in ps,
                       prefer --key-file. v2: 32 random bytes as 64 hex digits or 44 base64
                       characters (chatter keygen); legacy: 0.0.15's text key (default: its
                       public default key, with a warning)
  --label L            cluster label (v2)
  --profile P          v2 or legacy (default ${DEFAULT_PROFILE})
  --accept P,Q         profiles accepted on receive, e.g. v2,legacy (default: --profile's);
                       legacy frames carry no authentication: their messages are shown as
                       "unauthenticated" and a v2 node never forwards them
  --multicast-loss P   testing: drop this fraction of received multicast datagrams (default 0)
  --seed ADDR:PORT     a node to join through (peer exchange), where multicast does not reach;
                       repeat for more
  --heartbeat-ms MS    heartbeat interval (default 1000 for v2, off for legacy; 0 = off)`;

const USAGE =
  `chatter: broadcast small encrypted messages over UDP multicast and a logarithmic TCP tree

usage: chatter <command> [options]      (deno task node <command> ...)

commands:
  cluster   run N nodes on loopback, broadcast random values, check they all agree (start here)
  node      run a node and print the messages it receives
  send      broadcast a text or JSON message
  peers     listen for a while and list the peers heard
  members   listen for a while and print the group-membership view (who serves which keys)
  keygen    print a new random key (32 random bytes, hex)

'chatter help <command>' or 'chatter <command> --help' for a command's options;
'chatter --version' prints the version.`;

/** Library option names as the CLI spells them, for errors. */
const FLAG_OF: Record<string, string> = {
  address: "--address",
  port: "--port",
  multicast: "--no-multicast",
  multicastGroup: "--multicast-group",
  multicastPort: "--multicast-port",
  multicastTtl: "--ttl",
  multicastInterface: "--interface",
  key: "--key",
  keyring: "--key-file",
  label: "--label",
  profile: "--profile",
  acceptProfiles: "--accept",
};

/** A library option error in CLI terms: `--port: expected ..., got ...`. */
function cliOptionMessage(e: NodeOptionError): string {
  const flag = FLAG_OF[e.option] ?? FLAG_OF[e.option.replace(/[[.].*$/, "")];
  if (!flag) return e.message;
  const got = e.option === "multicast"
    ? "multicast on"
    : Array.isArray(e.value)
    ? e.value.join(",")
    : showValue(e.value);
  return `${flag}: expected ${e.expected}, got ${got}`;
}

function num(
  name: string,
  v: string | undefined,
  def: number,
  min: number,
  max: number,
  int = true,
): number {
  if (v === undefined) return def;
  const x = Number(v);
  if (
    v.trim() === "" || !Number.isFinite(x) || (int && !Number.isInteger(x)) || x < min || x > max
  ) {
    throw new UsageError(
      `--${name}: expected ${int ? "an integer" : "a number"} in [${min}, ${max}], got ${
        JSON.stringify(v)
      }`,
    );
  }
  return x;
}

class UsageError extends Error {}

type NodeFlags = {
  [K in keyof typeof NODE_OPTS]?: (typeof NODE_OPTS)[K] extends { multiple: true } ? string[]
    : (typeof NODE_OPTS)[K]["type"] extends "string" ? string
    : boolean;
};

function nodeOptions(v: NodeFlags, defaults: Partial<NodeOptions> = {}): NodeOptions {
  // A key file (or keyring file) first, then the key itself. [R-NODE-KEY-004], [R-NODE-KEY-005]
  const keyFile = v["key-file"] ?? Deno.env.get("CHATTER_KEY_FILE");
  let key: string | undefined;
  let keyring: { id: number; key: Uint8Array }[] | undefined;
  const profile = v.profile ?? DEFAULT_PROFILE;
  if (keyFile !== undefined) {
    if (v.key !== undefined) throw new UsageError("give --key or --key-file, not both");
    if (profile === "legacy") {
      // A legacy key is 0.0.15's text: the file holds it as one line.
      const st = Deno.statSync(keyFile);
      if (st.mode !== null && (st.mode & 0o077) !== 0) {
        throw new KeyFileUnsafeError(keyFile, st.mode & 0o777);
      }
      key = Deno.readTextFileSync(keyFile).trim();
    } else keyring = readKeyringFile(keyFile).keys;
  } else key = v.key ?? Deno.env.get("CHATTER_KEY");
  if (key === undefined && keyring === undefined) {
    if (profile !== "legacy") {
      throw new UsageError(
        "--key: the v2 profile has no default key; give --key-file, CHATTER_KEY_FILE, --key or CHATTER_KEY (chatter keygen makes one)",
      );
    }
    key = DEFAULT_KEY;
  }
  if (profile === "legacy" && key !== undefined && PUBLIC_LEGACY_KEYS.includes(key)) {
    // Anyone can read and forge frames under a public key. [R-NODE-KEY-006]
    console.error(
      "chatter: warning: the legacy key is 0.0.15's public default key: anyone can read and forge these frames",
    );
  }
  const o: NodeOptions = {
    ...defaults,
    ...(keyring ? { keyring } : { key }),
    multicast: !v["no-multicast"],
  };
  if (v.address !== undefined) o.address = v.address;
  if (v.port !== undefined) o.port = num("port", v.port, NODE_DEFAULTS.port, 0, 65535);
  if (v["multicast-group"] !== undefined) o.multicastGroup = v["multicast-group"];
  if (v["multicast-port"] !== undefined) {
    o.multicastPort = num("multicast-port", v["multicast-port"], 0, 1, 65535);
  }
  if (v.ttl !== undefined) o.multicastTtl = num("ttl", v.ttl, 0, 0, 255);
  if (v.interface !== undefined) o.multicastInterface = v.interface;
  if (v.label !== undefined) o.label = v.label;
  if (v.seed !== undefined) {
    o.seeds = v.seed.map((t) => {
      try {
        return parseNetId(t);
      } catch (e) {
        throw new UsageError(`--seed: ${(e as Error).message}`);
      }
    });
  }
  if (v["heartbeat-ms"] !== undefined) {
    o.heartbeatMs = num("heartbeat-ms", v["heartbeat-ms"], 1000, 0, 3_600_000);
  }
  if (v["multicast-loss"] !== undefined) {
    o.multicastLoss = num("multicast-loss", v["multicast-loss"], 0, 0, 0.99, false);
  }
  if (v.profile !== undefined) o.profile = v.profile as Profile;
  if (v.accept !== undefined) {
    const list = v.accept.split(",").map((p) => p.trim());
    const profile = v.profile ?? DEFAULT_PROFILE;
    if (list.some((p) => p !== "v2" && p !== "legacy") || !list.includes(profile)) {
      throw new UsageError(
        `--accept: expected a comma-separated list of v2/legacy that includes --profile (${profile}), got ${
          JSON.stringify(v.accept)
        }`,
      );
    }
    o.acceptProfiles = list as Profile[];
  }
  return o;
}

function registerCliTypes(node: ChatterNode, print?: (line: string) => void, json = false): void {
  const show =
    (type: string) =>
    (value: unknown, meta: Parameters<NonNullable<ReturnType<typeof textType>["handler"]>>[1]) => {
      if (!print) return;
      // Received text is untrusted: control characters are escaped. [R-CLI-007]
      if (json) {
        print(escapeJsonControl(JSON.stringify({
          type,
          value,
          origin: `${formatNetId(meta.origin)}#${meta.origin.seqno}`,
          sender: formatNetId(meta.sender),
          transport: meta.transport,
          authenticated: meta.authenticated,
        })));
      } else {
        // [R-NODE-DOWNGRADE-001] legacy records carry no authentication: say so.
        const how = meta.authenticated === false ? ", unauthenticated" : "";
        print(
          `${formatNetId(meta.origin)} (${meta.transport} via ${formatNetId(meta.sender)}${how}): ${
            escapeControl(typeof value === "string" ? value : JSON.stringify(value))
          }`,
        );
      }
    };
  node.register(textType(TEXT_TYPE, show(TEXT_TYPE)));
  node.register(jsonType(JSON_TYPE, show(JSON_TYPE)));
}

/** What a rejected frame most likely means, in CLI terms. */
const DECODE_HINTS: Record<string, string> = {
  AUTH_FAILED: "wrong --key or --label on one side?",
  UNKNOWN_KEY_ID: "the sender seals with a key id this node does not have",
  BAD_START_BYTE: "a frame of a profile this node does not accept (see --profile, --accept)",
  REPLAY: "a frame received twice",
};

/**
 * The node's asynchronous failures, one clear line each on stderr: a rejected frame (first of
 * each code, then every 1000th with the count), a handler or listener failure. Returns the
 * decode error counts, for a summary. [R-CLI-011]
 */
function reportFailures(node: ChatterNode, cmd: string): Map<string, number> {
  const counts = new Map<string, number>();
  node.on("decodeError", (e) => {
    const n = (counts.get(e.error.code) ?? 0) + 1;
    counts.set(e.error.code, n);
    if (n === 1 || n % 1000 === 0) {
      const hint = DECODE_HINTS[e.error.code];
      console.error(
        `chatter ${cmd}: rejected a ${e.transport} frame: ${e.error.code}${
          hint ? ` (${hint})` : ""
        }${n > 1 ? `; ${n} so far` : ""}`,
      );
    }
  });
  node.on("handlerError", (e) =>
    console.error(
      `chatter ${cmd}: handling a ${e.typeName} message failed: ${
        e.error instanceof Error ? e.error.message : String(e.error)
      }`,
    ));
  node.on("listenerFailed", (e) => console.error(`chatter ${cmd}: ${e.error.message}`));
  return counts;
}

/** `; 3 frame(s) rejected: AUTH_FAILED (wrong --key ...)` or "". */
function rejectedNote(counts: Map<string, number>): string {
  if (counts.size === 0) return "";
  const parts = [...counts].map(([c, n]) =>
    `${n} ${c}${DECODE_HINTS[c] ? ` (${DECODE_HINTS[c]})` : ""}`
  );
  return `; frames rejected: ${parts.join(", ")}`;
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      Deno.removeSignalListener("SIGINT", done);
      try {
        Deno.removeSignalListener("SIGTERM", done);
      } catch { /* not supported */ }
      resolve();
    };
    Deno.addSignalListener("SIGINT", done);
    try {
      Deno.addSignalListener("SIGTERM", done);
    } catch { /* not supported on this OS */ }
  });
}

async function cmdNode(args: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      ...NODE_OPTS,
      json: { type: "boolean" },
      join: { type: "string", multiple: true },
      membership: { type: "boolean" },
      peer: { type: "string", multiple: true },
      "digest-ms": { type: "string" },
      monitor: { type: "string" },
      "monitor-public": { type: "boolean" },
    },
    strict: true,
  });
  if (v.help) {
    console.log(
      `usage: chatter node [options]\n\nRun a node; print every message it receives (until Ctrl-C).\n\n${
        nodeHelp(NODE_DEFAULTS.port)
      }
  --json               print one JSON object per message
  --join S-E[:P]       take part in group membership and serve keys S to E (0 to 4294967295)
                       at priority P (default 0); repeat for more ranges
  --membership         take part in group membership without claiming a range
  --peer HOST:PORT     a node to send membership messages to besides the peers heard (repeat)
  --digest-ms MS       membership anti-entropy period (default 1000)
  --monitor HOST:PORT  serve /metrics (Prometheus), /peers, /stats, /tree and a live status page
                       at / (e.g. 127.0.0.1:9464; loopback only unless --monitor-public)
  --monitor-public     allow --monitor on a non-loopback address`,
    );
    return 0;
  }
  const joins = (v.join ?? []).map(parseJoin);
  const peers = await peerFlags(v.peer);
  const digestMs = num("digest-ms", v["digest-ms"], 1000, 10, 3_600_000);
  const o = nodeOptions(v);
  if (v.monitor !== undefined) o.monitor = v.monitor;
  if (v["monitor-public"]) o.monitorPublic = true;
  const node = await startNode(o);
  reportFailures(node, "node");
  registerCliTypes(node, (l) => console.log(l), v.json);
  let timer: ReturnType<typeof setInterval> | undefined;
  if (joins.length > 0 || v.membership) {
    const group = new GroupNode(node, { destinations: () => withPeers(peers, node) });
    for (const [s, e, p] of joins) group.join(s, e, p);
    group.onChange(({ view }) =>
      console.error(`chatter: membership view changed: ${view.segments.length} segment(s)`)
    );
    timer = setInterval(() => group.tick(), digestMs);
  }
  console.error(
    `chatter: node ${formatNetId(node.id)} (${node.profile}) running${
      aeadNote(node.profile)
    }; Ctrl-C to stop`,
  );
  if (node.monitorAddress) {
    console.error(`chatter: monitor on http://${node.monitorAddress}/ (/metrics, /peers, /stats)`);
  }
  await waitForSignal();
  if (timer !== undefined) clearInterval(timer);
  await node.close();
  return 0;
}

/** `; AES-GCM openssl` or `; AES-GCM node:crypto (--allow-ffi not granted)` for v2. */
function aeadNote(profile: string): string {
  if (profile !== "v2") return "";
  const a = v2AeadInfo();
  return `; AES-GCM ${a.name}${a.fallbackReason ? ` (${a.fallbackReason})` : ""}`;
}

/**
 * `HOST:PORT` of a flag: an IPv4 address, `[IPv6]`, or a host name (resolved now, with the
 * system resolver) and a port.
 */
async function target(flag: string, text: string): Promise<NetId> {
  try {
    return parseNetId(text);
  } catch { /* maybe a host name */ }
  const m = /^([A-Za-z0-9.-]+):(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(
      `${flag}: expected HOST:PORT (IPv4, [IPv6] or a host name), got ${JSON.stringify(text)}`,
    );
  }
  try {
    return { ip: (await lookup(m[1])).address, port };
  } catch {
    throw new UsageError(`${flag}: host ${JSON.stringify(m[1])} does not resolve`);
  }
}

function peerFlags(texts: string[] | undefined): Promise<NetId[]> {
  return Promise.all((texts ?? []).map((t) => target("--peer", t)));
}

/** The given peers and those the node has heard, once each. */
function withPeers(peers: NetId[], node: ChatterNode): NetId[] {
  const seen = new Map<string, NetId>();
  for (const p of [...peers, ...node.peers()]) seen.set(formatNetId(p), p);
  return [...seen.values()];
}

/** `S-E[:P]` → [start, end, priority]. */
function parseJoin(text: string): [number, number, number] {
  const m = /^(\d+)-(\d+)(?::(\d+))?$/.exec(text);
  const u32 = (x: string) => Number(x) <= 0xffff_ffff;
  if (!m || !u32(m[1]) || !u32(m[2]) || (m[3] !== undefined && !u32(m[3]))) {
    throw new UsageError(
      `--join: expected START-END[:PRIORITY] of 32-bit numbers, got ${JSON.stringify(text)}`,
    );
  }
  const [s, e, p] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (s > e) {
    throw new UsageError(`--join: start ${s} is greater than end ${e} in ${JSON.stringify(text)}`);
  }
  return [s, e, p];
}

async function cmdMembers(args: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      ...NODE_OPTS,
      wait: { type: "string" },
      json: { type: "boolean" },
      peer: { type: "string", multiple: true },
    },
    strict: true,
  });
  if (v.help) {
    console.log(`usage: chatter members [options]

Start a node that takes part in group membership without claiming anything, ask the members it
hears for their claims (digests), and print the view after --wait milliseconds: one line per
range of keys with the members serving it, highest priority first. Exit 1 if no member answered.

  --wait MS            how long to listen (default 3000)
  --json               print the view as JSON (segments of spec/membership.md section 6)
  --peer HOST:PORT     a member to ask besides the peers heard (repeat)
${nodeHelp(0)}`);
    return 0;
  }
  const wait = num("wait", v.wait, 3000, 0, 600_000);
  const peers = await peerFlags(v.peer);
  const node = await startNode(nodeOptions(v, { port: 0 }));
  try {
    const rejected = reportFailures(node, "members");
    registerCliTypes(node);
    const group = new GroupNode(node, { destinations: () => withPeers(peers, node) });
    // Our empty digest makes every member that hears it answer with its snapshot.
    const end = Date.now() + wait;
    while (Date.now() < end) {
      group.tick();
      await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, end - Date.now()))));
    }
    const view = group.view;
    if (v.json) {
      console.log(JSON.stringify(viewToJson(view)));
    } else {
      for (const seg of view.segments) {
        console.log(
          `${seg.start}-${seg.end}  ${
            seg.servers.map((x) => `${formatNetId(x.member)}(${x.priority})`).join(" ")
          }`,
        );
      }
      console.error(
        `chatter: ${group.group.state.clock.size} member(s) heard, ${view.segments.length} segment(s)${
          rejectedNote(rejected)
        }`,
      );
    }
    return group.group.state.clock.size > 0 ? 0 : 1;
  } finally {
    await node.close();
  }
}

async function cmdSend(args: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args,
    options: {
      ...NODE_OPTS,
      to: { type: "string", multiple: true },
      all: { type: "boolean" },
      json: { type: "boolean" },
      discover: { type: "string" },
      linger: { type: "string" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (v.help) {
    console.log(`usage: chatter send [options] (--to HOST:PORT ... | --all) MESSAGE

Start a short-lived node, broadcast MESSAGE (text, or JSON with --json) and exit.

  --to HOST:PORT       a destination (repeat for more)
  --all                send to every peer heard during --discover
  --discover MS        with --all: listen this long for peers first (default 2000)
  --linger MS          wait this long for the frames to leave (default 500)
  --json               MESSAGE is JSON
${nodeHelp(0)}`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("give exactly one MESSAGE (quote it)");
  if (!v.to?.length && !v.all) throw new UsageError("give --to HOST:PORT or --all");
  const dests = await Promise.all((v.to ?? []).map((t) => target("--to", t)));
  let value: unknown = positionals[0];
  if (v.json) {
    try {
      value = JSON.parse(positionals[0]);
    } catch (e) {
      throw new UsageError(`--json: MESSAGE is not JSON: ${(e as Error).message}`);
    }
  }
  const node = await startNode(nodeOptions(v, { port: 0 }));
  try {
    registerCliTypes(node);
    if (v.all) {
      await new Promise((r) => setTimeout(r, num("discover", v.discover, 2000, 0, 600_000)));
      // Every peer alive (or suspect) now: heartbeats make idle peers heard. [R-NODE-LIVE-007]
      dests.push(...node.peers().map((p) => ({ ip: p.ip, port: p.port })));
      if (dests.length === 0) {
        console.error("chatter: no peers heard; nothing sent");
        return 1;
      }
    }
    const failed = new Map<string, string>();
    node.on("sendFailed", (e) => failed.set(formatNetId(e.to), e.error.message));
    const id = node.broadcast(dests, v.json ? JSON_TYPE : TEXT_TYPE, value);
    const linger = num("linger", v.linger, 500, 0, 600_000);
    await new Promise((r) => setTimeout(r, linger));
    // Frames still queued (a slow connect) are waited for, up to the connect timeout, so that
    // an unreachable destination is reported rather than abandoned.
    const deadline = Date.now() + NODE_DEFAULTS.connectTimeoutMs + 1000;
    while (node.stats().transport.pendingFrames > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const s = node.stats();
    for (const [to, why] of failed) console.error(`chatter send: could not reach ${to}: ${why}`);
    const reached = s.tcp.framesOut > 0 || s.udp.framesOut > 0;
    console.log(
      `sent ${
        formatNetId(id)
      }#${id.seqno} to ${dests.length} destination(s): ${s.tcp.framesOut} TCP, ${s.udp.framesOut} multicast frame(s)`,
    );
    if (!reached) console.error("chatter send: the message reached no destination");
    return reached ? 0 : 1;
  } finally {
    await node.close();
  }
}

async function cmdPeers(args: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      ...NODE_OPTS,
      wait: { type: "string" },
      json: { type: "boolean" },
      watch: { type: "boolean" },
    },
    strict: true,
  });
  if (v.help) {
    console.log(`usage: chatter peers [options]

Start a node, listen for --wait milliseconds, print the peers it knows with their liveness:
address, state (alive, suspect, dead, left), multicast domain, seconds since last heard, how
heard (multicast, tcp, gossip: another node's heartbeat, named: only mentioned), profile.

  --wait MS            how long to listen (default 3000; with --watch: stop after MS, default never)
  --json               print a JSON array of peer records (with --watch: one array a line)
  --watch              keep listening and print the table again every second (Ctrl-C stops)
${nodeHelp(0)}`);
    return 0;
  }
  const node = await startNode(nodeOptions(v, { port: 0 }));
  try {
    const rejected = reportFailures(node, "peers");
    registerCliTypes(node);
    const show = () => {
      const peers = node.peers({ includeGone: true }).sort((a, b) =>
        a.domain.localeCompare(b.domain) || formatNetId(a).localeCompare(formatNetId(b))
      );
      if (v.json) {
        console.log(JSON.stringify(peers.map((p) => ({ id: formatNetId(p), ...p }))));
        return;
      }
      console.log(formatPeerTable(peers, node.domain));
    };
    if (!v.watch) {
      await new Promise((r) => setTimeout(r, num("wait", v.wait, 3000, 0, 600_000)));
      if (rejected.size > 0) console.error(`chatter peers${rejectedNote(rejected)}`);
      show();
      return 0;
    }
    const until = v.wait === undefined ? Infinity : Date.now() + num("wait", v.wait, 0, 0, 864e5);
    let stop = false;
    const onSignal = () => stop = true;
    Deno.addSignalListener("SIGINT", onSignal);
    try {
      while (!stop && Date.now() < until) {
        await new Promise((r) => setTimeout(r, Math.max(0, Math.min(1000, until - Date.now()))));
        if (stop) break;
        if (!v.json && Deno.stdout.isTerminal()) console.log("\x1b[2J\x1b[H");
        show();
        if (!v.json) console.log("");
      }
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
    }
    return 0;
  } finally {
    await node.close();
  }
}

/** The `peers` table. */
function formatPeerTable(
  peers: ReturnType<ChatterNode["peers"]>,
  ourDomain: string,
): string {
  const rows = [["PEER", "STATE", "DOMAIN", "LAST HEARD", "HEARD BY", "PROFILE"]];
  for (const p of peers) {
    rows.push([
      formatNetId(p),
      p.state,
      p.domain === ourDomain ? `${p.domain} (ours)` : p.domain,
      `${(p.lastHeardAgoMs / 1000).toFixed(1)} s ago`,
      p.heardBy,
      p.profile ?? "-",
    ]);
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd());
  if (peers.length === 0) lines.push("(no peers heard yet)");
  return lines.join("\n");
}

function cmdKeygen(args: string[]): number {
  const { values: v } = parseArgs({
    args,
    options: { help: { type: "boolean", short: "h" }, base64: { type: "boolean" } },
    strict: true,
  });
  if (v.help) {
    console.log(`usage: chatter keygen [--base64]

Print a new v2 key: 32 random bytes as 64 hex digits (--base64: 44 base64 characters). Keep
it in a file only you can read and pass it with --key-file:

  chatter keygen > chatter.key && chmod 600 chatter.key

A keyring file (for rotation) has one "<id> <key>" line per key and marks one "primary":

  1 <old key>
  2 <new key> primary`);
    return 0;
  }
  console.log(generateV2Key(v.base64 ? "base64" : "hex"));
  return 0;
}

async function cmdCluster(args: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      nodes: { type: "string", short: "n" },
      "send-for": { type: "string" },
      "wait-for": { type: "string" },
      rate: { type: "string" },
      seed: { type: "string" },
      subnets: { type: "string" },
      loss: { type: "string" },
      kill: { type: "string" },
      profile: { type: "string" },
      json: { type: "boolean" },
      quiet: { type: "boolean", short: "q" },
      membership: { type: "boolean" },
      picture: { type: "string" },
      rounds: { type: "string" },
      "round-ms": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (v.help) {
    console.log(`usage: chatter cluster [options]

Start N nodes on loopback (multicast on lo). Each broadcasts random values to all nodes for
--send-for seconds at --rate, then they wait (see --wait-for) while the library's
reliable delivery repairs losses; each prints the count and checksum of what it received (from
surviving origins), and the run prints repairs, losses reported and confirmation times. Exit 0
when the surviving nodes agree, 1 when they do not.

  -n, --nodes N        number of nodes (default 8)
  --send-for S         seconds of sending (default 3)
  --wait-for S         after sending, wait until every broadcast is confirmed or given up,
                       or until nothing was delivered, repaired, confirmed or reported lost
                       for S seconds or for the library's longest retry interval (5.7 s
                       + RTO), whichever is longer (default 2; at most S + 30 s in all;
                       0: no wait)
  --rate R             messages per second per node (default 100)
  --seed X             seed for values, trees and kills (default: random; printed)
  --subnets K          split the nodes into K multicast groups that do not hear each other (default 1)
  --loss P             drop this fraction of received multicast datagrams (default 0)
  --kill R             kill R nodes half way through sending (default 0): each is closed, so
                       it announces that it leaves and gives up its unconfirmed messages
  --profile P          v2 or legacy (default ${DEFAULT_PROFILE})
  --json               print the result as JSON
  -q, --quiet          no live progress
  --picture PATH       write a picture of the run to PATH (.svg, or .html: the same SVG in a
                       self-contained page): the multicast domains, the TCP tree of one
                       broadcast, its multicast reach, and TCP frames per broadcast against a
                       TCP-only tree

  --membership         instead: group membership. Every node claims ranges of the 32-bit key
                       space, then some change and leave theirs; anti-entropy rounds (digests)
                       run until all nodes hold the same view. Prints a view checksum per node
                       and the time and rounds until agreement; exit 1 if they never agree.
                       Uses --nodes, --seed, --subnets, --loss, --profile, --json, --quiet.
  --rounds R           with --membership: give up after R rounds (default 100)
  --round-ms MS        with --membership: milliseconds between rounds (default 100)`);
    return 0;
  }
  if (v.membership) return await cmdClusterMembership(v);
  const nodes = num("nodes", v.nodes, 8, 2, 256);
  const opts = {
    nodes,
    sendFor: num("send-for", v["send-for"], 3, 0, 3600, false),
    waitFor: num("wait-for", v["wait-for"], 2, 0, 3600, false),
    rate: num("rate", v.rate, 100, 1, 1_000_000, false),
    seed: num("seed", v.seed, Math.floor(Math.random() * 2 ** 31), 0, 2 ** 53),
    subnets: num("subnets", v.subnets, 1, 1, nodes),
    loss: num("loss", v.loss, 0, 0, 0.99, false),
    kill: num("kill", v.kill, 0, 0, nodes - 1),
    profile: (v.profile ?? DEFAULT_PROFILE) as Profile,
    picture: v.picture !== undefined,
    progress: v.quiet || v.json ? undefined : (l: string) => console.error(l),
  };
  if (v.picture !== undefined && !/\.(svg|html?)$/i.test(v.picture)) {
    throw new UsageError(
      `--picture: expected a path ending in .svg or .html, got ${JSON.stringify(v.picture)}`,
    );
  }
  if (opts.profile !== "v2" && opts.profile !== "legacy") {
    throw new UsageError(`--profile: expected v2 or legacy, got ${JSON.stringify(v.profile)}`);
  }
  if (!v.quiet && !v.json) {
    console.error(
      `cluster: ${nodes} nodes on 127.0.0.1, ${opts.subnets} subnet(s), ${opts.rate} msg/s each for ${opts.sendFor}s, wait ${opts.waitFor}s, loss ${opts.loss}, kill ${opts.kill}, seed ${opts.seed}, profile ${opts.profile}`,
    );
  }
  const r = await runCluster(opts);
  if (v.picture !== undefined && r.picture) {
    const svg = /\.svg$/i.test(v.picture);
    await Deno.writeTextFile(
      v.picture,
      svg ? renderClusterSvg(r.picture) : renderClusterHtml(r.picture),
    );
    if (!v.quiet && !v.json) console.error(`picture: wrote ${v.picture}`);
  }
  if (v.json) {
    console.log(JSON.stringify({
      agree: r.agree,
      broadcasts: r.broadcasts,
      tcpFramesPerBroadcast: r.tcpFramesPerBroadcast,
      repairs: r.repairs,
      lost: r.lost,
      decodeErrors: r.decodeErrors,
      confirmations: r.confirmations,
      killedOrigins: r.killedOrigins,
      seed: opts.seed,
      nodes: r.nodes.map((x) => ({
        id: formatNetId(x.id),
        subnet: x.subnet,
        killed: x.killed,
        count: x.count,
        checksum: x.checksum,
        tcpOut: x.stats.tcp.framesOut,
        udpOut: x.stats.udp.framesOut,
        duplicates: x.stats.duplicates,
      })),
    }));
  } else {
    console.log(formatClusterResult(r));
  }
  return r.agree ? 0 : 1;
}

async function cmdClusterMembership(v: Record<string, string | boolean | undefined>) {
  const str = (k: string) => v[k] as string | undefined;
  for (const k of ["send-for", "wait-for", "rate", "kill", "picture"]) {
    if (v[k] !== undefined) throw new UsageError(`--${k} does not apply to --membership`);
  }
  const nodes = num("nodes", str("nodes"), 8, 2, 256);
  const opts = {
    nodes,
    seed: num("seed", str("seed"), Math.floor(Math.random() * 2 ** 31), 0, 2 ** 53),
    subnets: num("subnets", str("subnets"), 1, 1, nodes),
    loss: num("loss", str("loss"), 0, 0, 0.99, false),
    maxRounds: num("rounds", str("rounds"), 100, 1, 100_000),
    roundMs: num("round-ms", str("round-ms"), 100, 1, 60_000),
    profile: (str("profile") ?? DEFAULT_PROFILE) as Profile,
    progress: v.quiet || v.json ? undefined : (l: string) => console.error(l),
  };
  if (opts.profile !== "v2" && opts.profile !== "legacy") {
    throw new UsageError(`--profile: expected v2 or legacy, got ${JSON.stringify(str("profile"))}`);
  }
  if (!v.quiet && !v.json) {
    console.error(
      `cluster --membership: ${nodes} nodes on 127.0.0.1, ${opts.subnets} subnet(s), loss ${opts.loss}, rounds of ${opts.roundMs} ms (at most ${opts.maxRounds}), seed ${opts.seed}, profile ${opts.profile}`,
    );
  }
  const r = await runMembershipCluster(opts);
  if (v.json) {
    console.log(JSON.stringify({
      agree: r.agree,
      rounds: r.rounds,
      ms: Math.round(r.ms),
      changes: r.changes,
      seed: opts.seed,
      nodes: r.nodes.map((x) => ({ ...x, id: formatNetId(x.id) })),
    }));
  } else {
    console.log(formatMembershipResult(r));
  }
  return r.agree ? 0 : 1;
}

const COMMANDS = ["node", "send", "peers", "members", "keygen", "cluster"];

/** Run the CLI with `args`; resolves to the exit status. */
export async function main(args: string[]): Promise<number> {
  const [cmd, ...rest] = args;
  try {
    switch (cmd) {
      case "node":
        return await cmdNode(rest);
      case "send":
        return await cmdSend(rest);
      case "peers":
        return await cmdPeers(rest);
      case "members":
        return await cmdMembers(rest);
      case "keygen":
        return cmdKeygen(rest);
      case "cluster":
        return await cmdCluster(rest);
      case "help":
        // `chatter help <command>` is `chatter <command> --help`.
        if (rest.length > 0 && COMMANDS.includes(rest[0])) return await main([rest[0], "--help"]);
        if (rest.length > 0) {
          console.error(`chatter: no command ${JSON.stringify(rest[0])}\n\n${USAGE}`);
          return 2;
        }
        console.log(USAGE);
        return 0;
      case "--version":
      case "-V":
      case "version":
        console.log(`chatter ${VERSION}`);
        return 0;
      case undefined:
      case "-h":
      case "--help":
        console.log(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        console.error(`chatter: unknown command ${JSON.stringify(cmd)}\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`chatter ${cmd}: ${(e as Error).message}`);
      return 2;
    }
    if (e instanceof ChatterError && (e.code === "KEY_INVALID" || e.code === "KEY_FILE_UNSAFE")) {
      console.error(`chatter ${cmd}: ${e.message}`);
      return 2;
    }
    if (e instanceof NodeOptionError) {
      console.error(`chatter ${cmd}: ${cliOptionMessage(e)}`);
      return 2;
    }
    if (e instanceof ChatterError && e.code === "OPTION_INVALID") {
      console.error(`chatter ${cmd}: ${e.message}`);
      return 2;
    }
    console.error(`chatter ${cmd}: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
