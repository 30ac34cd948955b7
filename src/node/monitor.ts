/**
 * The monitoring endpoint of a node (`monitor: "127.0.0.1:9464"`): `/metrics` in the
 * Prometheus text exposition format (every counter of `stats()` plus per-peer gauges),
 * `/peers`, `/stats` and `/tree` as JSON, and `/` a small self-contained page that shows the
 * node's peers grouped by multicast domain, the TCP edges of recent broadcasts and the
 * counters, refreshed every second. It never exposes keys. [R-NODE-MON-*]
 *
 * @module
 */

import { formatNetId, type NetId } from "../wire/netid.ts";
import type { PeerRecord, PeerState } from "./liveness.ts";

/** One TCP edge of a broadcast: `from` sent a data frame to `to`. */
export interface RelayEdge {
  /** The first message of the frame: `"ip:port#seqno"` of its origin. */
  origin: string;
  /** Sender. */
  from: string;
  /** Receiver. */
  to: string;
  /** Length of the distribution list the receiver got (0: a leaf). */
  fanout: number;
  /** When (clock milliseconds). */
  at: number;
}

/**
 * A bounded ring of recent relay edges (sent and received by one node).
 *
 * @example
 * ```ts
 * import { RelayLog } from "./monitor.ts";
 * import assert from "node:assert/strict";
 * const log = new RelayLog(2);
 * const a = { ip: "10.0.0.1", port: 1 }, b = { ip: "10.0.0.2", port: 1 };
 * for (let i = 1; i <= 3; i++) log.add(a, b, { ...a, seqno: i }, 0, i);
 * assert.deepEqual(log.edges().map((e) => e.origin), ["10.0.0.1:1#2", "10.0.0.1:1#3"]);
 * ```
 */
export class RelayLog {
  readonly #max: number;
  #ring: RelayEdge[] = [];
  #at = 0;

  /** Keep the last `max` edges. */
  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  /** Remember an edge. */
  add(
    from: NetId,
    to: NetId,
    origin: (NetId & { seqno: number }) | undefined,
    fanout: number,
    at: number,
  ): void {
    const e: RelayEdge = {
      origin: origin ? `${formatNetId(origin)}#${origin.seqno}` : "",
      from: formatNetId(from),
      to: formatNetId(to),
      fanout,
      at,
    };
    if (this.#ring.length < this.#max) this.#ring.push(e);
    else this.#ring[this.#at] = e;
    this.#at = (this.#at + 1) % this.#max;
  }

  /** The edges, oldest first. */
  edges(): RelayEdge[] {
    if (this.#ring.length < this.#max) return [...this.#ring];
    return [...this.#ring.slice(this.#at), ...this.#ring.slice(0, this.#at)];
  }
}

/** What the monitor reads from a node. */
export interface MonitorSource {
  /** The node's NetID. */
  readonly id: NetId;
  /** Its profile. */
  readonly profile: string;
  /** Its multicast domain key. */
  readonly domain: string;
  /** Counters. */
  stats(): object;
  /** Peer records. */
  peers(options: { includeGone?: boolean }): PeerRecord[];
  /** Recent relay edges. */
  readonly relayLog: RelayLog;
}

/** A running monitor. */
export interface Monitor {
  /** `"host:port"` it listens on. */
  readonly address: string;
  /** Stop serving. */
  close(): Promise<void>;
}

/** One metric sample family. */
export interface Metric {
  /** Prometheus name. */
  name: string;
  /** Prometheus type. */
  type: "counter" | "gauge";
  /** Help text. */
  help: string;
  /** Samples: labels and value. */
  samples: { labels: Record<string, string>; value: number }[];
}

const GAUGE_KEYS = new Set([
  "peers",
  "liveness.tracked",
  "transport.outgoingOpen",
  "transport.incomingOpen",
  "transport.pendingFrames",
  "transport.multicastReceiveBuffer.requestedBytes",
  "transport.multicastReceiveBuffer.grantedBytes",
]);

/** Top-level keys whose numbers repeat `transport.*`: exported once, at the top. */
const TRANSPORT_DUPLICATES = new Set([
  "tcp",
  "udp",
  "queueDrops",
  "multicastDrops",
  "connectFailures",
  "streamErrors",
]);

const TRAFFIC: Record<string, string> = {
  framesIn: "frames_received_total",
  bytesIn: "received_bytes_total",
  framesOut: "frames_sent_total",
  bytesOut: "sent_bytes_total",
};

function snake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/**
 * The metrics of a `stats()` snapshot, named by the rules of spec/node.md [R-NODE-MON-002]:
 * `chatter_` + the snake_case path, counters ending in `_total` (bytes in `_bytes_total`),
 * `tcp`/`udp` traffic as `chatter_tcp_*` / `chatter_multicast_*`, `decodeErrors` as one
 * counter labelled by `code`.
 *
 * @example
 * ```ts
 * import { statsMetrics } from "./monitor.ts";
 * import assert from "node:assert/strict";
 * const m = statsMetrics({ broadcasts: 3, peers: 2, decodeErrors: { BAD_TAG: 1 } });
 * assert.deepEqual(m.map((x) => [x.name, x.type]), [
 *   ["chatter_broadcasts_total", "counter"],
 *   ["chatter_peers", "gauge"],
 *   ["chatter_decode_errors_total", "counter"],
 * ]);
 * // The kernel drop count says where it comes from (R-NODE-REL-017).
 * const k = statsMetrics({
 *   transport: { multicastKernelDrops: 0, multicastKernelDropsSource: "unavailable" },
 * });
 * assert.deepEqual(k[0].samples, [{ labels: { source: "unavailable" }, value: 0 }]);
 * ```
 */
export function statsMetrics(stats: object): Metric[] {
  const out: Metric[] = [];
  const walk = (o: Record<string, unknown>, path: string[]) => {
    for (const [k, v] of Object.entries(o)) {
      const p = [...path, k];
      const dotted = p.join(".");
      if (path.length === 0 && k === "decodeErrors") {
        out.push({
          name: "chatter_decode_errors_total",
          type: "counter",
          help: "Frames rejected by the decoder, by error code (stats().decodeErrors).",
          samples: Object.entries(v as Record<string, number>).map(([code, n]) => ({
            labels: { code },
            value: n,
          })),
        });
        continue;
      }
      if (path.length === 1 && path[0] === "transport" && TRANSPORT_DUPLICATES.has(k)) continue;
      if (v !== null && typeof v === "object") {
        if ((k === "tcp" || k === "udp") && path.length === 0) {
          const base = k === "tcp" ? "chatter_tcp_" : "chatter_multicast_";
          for (const [tk, tv] of Object.entries(v as Record<string, number>)) {
            out.push({
              name: base + (TRAFFIC[tk] ?? `${snake(tk)}_total`),
              type: "counter",
              help: `stats().${k}.${tk}`,
              samples: [{ labels: {}, value: tv }],
            });
          }
          continue;
        }
        walk(v as Record<string, unknown>, p);
        continue;
      }
      if (typeof v !== "number") continue;
      const gauge = GAUGE_KEYS.has(dotted);
      const name = "chatter_" + p.map(snake).join("_") + (gauge ? "" : "_total");
      out.push({
        name,
        type: gauge ? "gauge" : "counter",
        help: `stats().${dotted}`,
        // Where the kernel drop count comes from: "unavailable" means 0 is "cannot know".
        // [R-NODE-REL-017]
        samples: [{
          labels: dotted === "transport.multicastKernelDrops"
            ? { source: String(o.multicastKernelDropsSource ?? "unavailable") }
            : {},
          value: v,
        }],
      });
    }
  };
  walk(stats as Record<string, unknown>, []);
  return out;
}

const STATES: PeerState[] = ["alive", "suspect", "dead", "left"];

/** Per-peer and per-state gauges. [R-NODE-MON-002] */
export function peerMetrics(self: MonitorSource, peers: PeerRecord[]): Metric[] {
  const byState = new Map<string, number>(STATES.map((s) => [s, 0]));
  for (const p of peers) byState.set(p.state, (byState.get(p.state) ?? 0) + 1);
  const label = (p: PeerRecord) => ({ peer: formatNetId(p), domain: p.domain });
  return [
    {
      name: "chatter_info",
      type: "gauge",
      help: "Always 1; labels name this node and its profile.",
      samples: [{ labels: { id: formatNetId(self.id), profile: self.profile }, value: 1 }],
    },
    {
      name: "chatter_peer_states",
      type: "gauge",
      help: "Peers tracked, by liveness state.",
      samples: STATES.map((s) => ({ labels: { state: s }, value: byState.get(s)! })),
    },
    {
      name: "chatter_peer_up",
      type: "gauge",
      help: "1 when the peer is alive, 0 when suspect, dead or left.",
      samples: peers.map((p) => ({ labels: label(p), value: p.state === "alive" ? 1 : 0 })),
    },
    {
      name: "chatter_peer_last_heard_seconds",
      type: "gauge",
      help: "Seconds since the peer was last heard of.",
      samples: peers.map((p) => ({ labels: label(p), value: p.lastHeardAgoMs / 1000 })),
    },
  ];
}

function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** Render metrics in the Prometheus text exposition format (version 0.0.4). */
export function formatMetrics(metrics: Metric[]): string {
  const lines: string[] = [];
  for (const m of metrics) {
    lines.push(`# HELP ${m.name} ${m.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    lines.push(`# TYPE ${m.name} ${m.type}`);
    for (const s of m.samples) {
      const ls = Object.entries(s.labels).map(([k, v]) => `${k}="${esc(v)}"`).join(",");
      lines.push(`${m.name}${ls ? `{${ls}}` : ""} ${Number.isFinite(s.value) ? s.value : 0}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** The `/peers` JSON of a node. */
export function peersJson(src: MonitorSource): unknown {
  return {
    self: { id: formatNetId(src.id), profile: src.profile, domain: src.domain },
    peers: src.peers({ includeGone: true }).map((p) => ({ id: formatNetId(p), ...p })),
  };
}

/** Serve the monitor for `src` on `addr`. [R-NODE-MON-001] */
export function startMonitor(
  addr: { hostname: string; port: number },
  src: MonitorSource,
): Promise<Monitor> {
  const json = (v: unknown) =>
    new Response(JSON.stringify(v, null, 1), {
      headers: { "content-type": "application/json; charset=utf-8" },
    });
  return new Promise((resolve, reject) => {
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({
        hostname: addr.hostname,
        port: addr.port,
        onListen: (a) => {
          const host = a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname;
          resolve({ address: `${host}:${a.port}`, close: () => server.shutdown() });
        },
        onError: () => new Response("internal error", { status: 500 }),
      }, (req) => {
        const path = new URL(req.url).pathname;
        if (req.method !== "GET" && req.method !== "HEAD") {
          return new Response("method not allowed", { status: 405 });
        }
        switch (path) {
          case "/metrics":
            return new Response(
              formatMetrics([
                ...statsMetrics(src.stats()),
                ...peerMetrics(src, src.peers({ includeGone: true })),
              ]),
              { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } },
            );
          case "/peers":
            return json(peersJson(src));
          case "/stats":
            return json(src.stats());
          case "/tree":
            return json({ edges: src.relayLog.edges() });
          case "/":
            return new Response(STATUS_PAGE, {
              headers: { "content-type": "text/html; charset=utf-8" },
            });
          default:
            return new Response("not found", { status: 404 });
        }
      });
    } catch (e) {
      reject(e);
    }
  });
}

/** The status page: one HTML file, no external assets; polls the JSON endpoints. */
export const STATUS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Chatter node</title>
<style>
body{font:14px system-ui,sans-serif;margin:1em;color:#222;background:#fafafa}
h1{font-size:1.2em}h2{font-size:1em;margin:1.2em 0 .4em}
.domains{display:flex;flex-wrap:wrap;gap:.6em}
.domain{border:2px solid #89a;border-radius:8px;padding:.4em .6em;background:#fff;min-width:12em}
.domain.ours{border-color:#36c}.domain h3{font-size:.85em;margin:0 0 .3em;color:#456}
.peer{display:inline-block;margin:.15em;padding:.15em .45em;border-radius:4px;font:12px monospace}
.alive{background:#cfc}.suspect{background:#fe9}.dead{background:#f99}.left{background:#ddd}.self{background:#9cf}
table{border-collapse:collapse;font:12px monospace}td{padding:0 .6em 0 0}
svg text{font:11px monospace}
</style></head><body>
<h1>Chatter node <span id="self"></span></h1>
<div id="updated"></div>
<h2>Peers by multicast domain</h2><div id="domains" class="domains"></div>
<h2>TCP edges of recent broadcasts (who relayed to whom)</h2><svg id="tree" width="900" height="40"></svg>
<h2>Counters</h2><table id="counters"></table>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function svg(tag, attrs, text) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function drawPeers(p) {
  $("self").textContent = p.self.id + " (" + p.self.profile + ")";
  const groups = new Map();
  groups.set(p.self.domain, [{ id: p.self.id, state: "self" }]);
  for (const x of p.peers) {
    if (!groups.has(x.domain)) groups.set(x.domain, []);
    groups.get(x.domain).push(x);
  }
  const box = $("domains");
  box.replaceChildren();
  for (const [d, list] of groups) {
    const g = el("div", { class: "domain" + (d === p.self.domain ? " ours" : ""), "data-domain": d });
    g.append(el("h3", {}, "domain " + d + " (" + list.length + ")"));
    for (const x of list) {
      const title = x.state === "self" ? "this node" : x.state + ", heard " + (x.lastHeardAgoMs / 1000).toFixed(1) + " s ago by " + x.heardBy;
      g.append(el("span", { class: "peer " + x.state, "data-peer": x.id, "data-state": x.state, title }, x.id + (x.state === "self" ? "" : " " + x.state)));
    }
    box.append(g);
  }
}
function drawTree(t) {
  const s = $("tree");
  s.replaceChildren();
  const byOrigin = new Map();
  for (const e of t.edges) {
    if (!byOrigin.has(e.origin)) byOrigin.set(e.origin, []);
    byOrigin.get(e.origin).push(e);
  }
  const origins = [...byOrigin.keys()].slice(-6);
  let y = 16;
  if (origins.length === 0) s.append(svg("text", { x: 4, y }, "no TCP relays seen yet"));
  for (const o of origins) {
    s.append(svg("text", { x: 4, y, "font-weight": "bold" }, "message " + o));
    y += 16;
    for (const e of byOrigin.get(o)) {
      s.append(svg("line", { x1: 30, y1: y - 4, x2: 260, y2: y - 4, stroke: "#36c", "stroke-width": 1 + Math.log2(1 + e.fanout) }));
      s.append(svg("text", { x: 30, y: y - 7 }, e.from));
      s.append(svg("text", { x: 270, y }, "→ " + e.to + (e.fanout ? " relays to " + e.fanout + " more" : " (leaf)")));
      y += 16;
    }
  }
  s.setAttribute("height", String(y + 4));
}
function drawCounters(st) {
  const t = $("counters");
  t.replaceChildren();
  const rows = [];
  (function walk(o, p) {
    for (const k in o) {
      const v = o[k], q = p ? p + "." + k : k;
      if (v && typeof v === "object") walk(v, q); else rows.push([q, v]);
    }
  })(st, "");
  for (const [k, v] of rows) { const r = el("tr"); r.append(el("td", {}, k), el("td", {}, String(v))); t.append(r); }
}
async function refresh() {
  try {
    const [p, t, st] = await Promise.all(["/peers", "/tree", "/stats"].map((u) => fetch(u).then((r) => r.json())));
    drawPeers(p); drawTree(t); drawCounters(st);
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
    document.body.dataset.ready = "1";
  } catch (e) { $("updated").textContent = "node unreachable: " + e; }
}
refresh();
setInterval(refresh, 1000);
</script></body></html>
`;
