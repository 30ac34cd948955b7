/**
 * The picture of a `chatter cluster` run (`--picture out.svg` or `.html`): the multicast domains
 * as boxes of nodes, the TCP tree of one broadcast (arrows: who relayed to whom), the nodes that
 * got that broadcast by multicast, and a caption comparing TCP frames per broadcast with a
 * TCP-only tree. Pure functions: data in, text out.
 *
 * @module
 */

/** One node of the picture. */
export interface PictureNode {
  /** `"ip:port"`. */
  id: string;
  /** Multicast domain (subnet) index. */
  domain: number;
  /** Killed during the run. */
  killed: boolean;
}

/** What {@linkcode renderClusterSvg} draws. */
export interface ClusterPicture {
  /** The nodes. */
  nodes: PictureNode[];
  /** The broadcast drawn, `"ip:port#seqno"` (empty when none was recorded). */
  broadcast: string;
  /** Its origin node `"ip:port"`. */
  origin: string;
  /** TCP edges of frames whose first message is that broadcast (from relay logs). */
  edges: { from: string; to: string }[];
  /** Nodes that got that broadcast by multicast. */
  multicast: string[];
  /** Data messages broadcast in the run. */
  broadcasts: number;
  /** TCP frames per broadcast in the send phase. */
  tcpFramesPerBroadcast: number;
  /** Multicast frames per broadcast in the send phase. */
  udpFramesPerBroadcast: number;
}

/** Escape text for SVG/HTML text and attribute values. */
export function escapeXml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

const R = 16; // node radius
const STEP = 90; // distance between nodes in a box
const PAD = 36; // box padding
const GAP = 40; // between boxes

/** The caption lines (also used in the SVG). */
export function pictureCaption(p: ClusterPicture): string[] {
  const n = p.nodes.length;
  const fanout = Math.ceil(Math.log2(Math.max(2, n)));
  return [
    `${n} nodes in ${new Set(p.nodes.map((x) => x.domain)).size} multicast domain(s); ` +
    `${p.broadcasts} broadcasts`,
    `TCP frames per broadcast: ${p.tcpFramesPerBroadcast.toFixed(2)} (multicast ${
      p.udpFramesPerBroadcast.toFixed(2)
    }); a TCP-only logarithmic tree: ${n - 1} (${fanout} from the origin)`,
    p.broadcast
      ? `broadcast ${p.broadcast}: ${p.edges.length} TCP edge(s), ${p.multicast.length} node(s) reached by multicast`
      : "no TCP relay edge was recorded",
  ];
}

/**
 * Render the picture as a standalone SVG document.
 *
 * @example
 * ```ts
 * import { renderClusterSvg } from "./cluster_picture.ts";
 * import assert from "node:assert/strict";
 * const svg = renderClusterSvg({
 *   nodes: [{ id: "127.0.0.1:1", domain: 0, killed: false }, { id: "127.0.0.1:2", domain: 1, killed: false }],
 *   broadcast: "127.0.0.1:1#1", origin: "127.0.0.1:1",
 *   edges: [{ from: "127.0.0.1:1", to: "127.0.0.1:2" }], multicast: [],
 *   broadcasts: 10, tcpFramesPerBroadcast: 1, udpFramesPerBroadcast: 1,
 * });
 * assert.equal(svg.match(/<g class="domain"/g)?.length, 2);
 * assert.equal(svg.match(/<line class="edge"/g)?.length, 1);
 * ```
 */
export function renderClusterSvg(p: ClusterPicture): string {
  const domains = [...new Set(p.nodes.map((x) => x.domain))].sort((a, b) => a - b);
  const perRow = Math.min(domains.length, 4) || 1;
  const boxes = domains.map((d) => {
    const members = p.nodes.filter((x) => x.domain === d);
    const cols = Math.max(1, Math.ceil(Math.sqrt(members.length)));
    const rows = Math.max(1, Math.ceil(members.length / cols));
    return {
      d,
      members,
      cols,
      w: PAD * 2 + (cols - 1) * STEP,
      h: PAD * 2 + (rows - 1) * STEP + 20,
    };
  });
  const colW = Math.max(...boxes.map((b) => b.w), 120);
  const rowH = Math.max(...boxes.map((b) => b.h), 100);
  const top = 40;
  const pos = new Map<string, { x: number; y: number }>();
  const parts: string[] = [];
  boxes.forEach((b, i) => {
    const bx = GAP / 2 + (i % perRow) * (colW + GAP);
    const by = top + Math.floor(i / perRow) * (rowH + GAP);
    parts.push(
      `<g class="domain" data-domain="${b.d}"><rect x="${bx}" y="${by}" width="${colW}" height="${rowH}" rx="10" fill="#f3f6fb" stroke="#7a8fb3"/>` +
        `<text x="${bx + 8}" y="${
          by + 16
        }" font-size="12" fill="#445">multicast domain ${b.d}</text>`,
    );
    b.members.forEach((m, j) => {
      const x = bx + PAD + (j % b.cols) * STEP;
      const y = by + PAD + 14 + Math.floor(j / b.cols) * STEP;
      pos.set(m.id, { x, y });
    });
    parts.push("</g>");
  });
  const rows = Math.ceil(boxes.length / perRow);
  const width = Math.max(760, GAP + perRow * colW + (perRow - 1) * GAP);
  const captionY = top + rows * (rowH + GAP);
  const caption = pictureCaption(p);
  const height = captionY + 24 + caption.length * 18 + 30;

  const edgeParts: string[] = [];
  for (const e of p.edges) {
    const a = pos.get(e.from), b = pos.get(e.to);
    if (!a || !b || e.from === e.to) continue;
    const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy);
    const ux = dx / len, uy = dy / len;
    const x1 = a.x + ux * R, y1 = a.y + uy * R, x2 = b.x - ux * (R + 4), y2 = b.y - uy * (R + 4);
    edgeParts.push(
      `<line class="edge" x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${
        y2.toFixed(1)
      }" stroke="#d9480f" stroke-width="2" marker-end="url(#arrow)"><title>${
        escapeXml(`${e.from} → ${e.to} (TCP)`)
      }</title></line>`,
    );
  }
  const mc = new Set(p.multicast);
  const tcpTo = new Set(p.edges.map((e) => e.to));
  const nodeParts: string[] = [];
  for (const x of p.nodes) {
    const q = pos.get(x.id);
    if (!q) continue;
    const isOrigin = x.id === p.origin;
    const cls = [
      "node",
      isOrigin ? "origin" : "",
      mc.has(x.id) ? "multicast" : "",
      tcpTo.has(x.id) ? "tcp" : "",
      x.killed ? "killed" : "",
    ].filter(Boolean).join(" ");
    const fill = isOrigin ? "#ffd43b" : mc.has(x.id) ? "#8ce99a" : x.killed ? "#ced4da" : "#ffffff";
    const stroke = isOrigin ? "#e67700" : tcpTo.has(x.id) ? "#d9480f" : "#495057";
    const port = x.id.slice(x.id.lastIndexOf(":") + 1);
    const how = [
      isOrigin ? "origin" : "",
      mc.has(x.id) ? "got it by multicast" : "",
      tcpTo.has(x.id) ? "got it by TCP" : "",
      x.killed ? "killed" : "",
    ].filter(Boolean).join(", ");
    nodeParts.push(
      `<g class="${cls}" data-id="${
        escapeXml(x.id)
      }"><circle cx="${q.x}" cy="${q.y}" r="${R}" fill="${fill}" stroke="${stroke}" stroke-width="2"${
        x.killed ? ' stroke-dasharray="4 3"' : ""
      }/>` +
        `<text x="${q.x}" y="${q.y + R + 14}" font-size="11" text-anchor="middle" fill="#212529">:${
          escapeXml(port)
        }</text><title>${escapeXml(how ? `${x.id} (${how})` : x.id)}</title></g>`,
    );
  }
  const legendY = captionY + 4;
  const legend = [
    ["#ffd43b", "#e67700", "origin"],
    ["#8ce99a", "#495057", "got it by multicast"],
    ["#ffffff", "#d9480f", "got it by TCP (arrow: who relayed to whom)"],
  ].map(([f, s, t], i) =>
    `<circle cx="${
      GAP / 2 + 8 + i * 190
    }" cy="${legendY}" r="7" fill="${f}" stroke="${s}" stroke-width="2"/>` +
    `<text x="${GAP / 2 + 20 + i * 190}" y="${legendY + 4}" font-size="12">${escapeXml(t)}</text>`
  ).join("");
  const captionText = caption.map((l, i) =>
    `<text x="${GAP / 2}" y="${legendY + 28 + i * 18}" font-size="13">${escapeXml(l)}</text>`
  ).join("");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#d9480f"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${GAP / 2}" y="24" font-size="16" font-weight="bold">${
      escapeXml(
        `chatter cluster: ${p.broadcast ? `the tree of broadcast ${p.broadcast}` : "nodes"}`,
      )
    }</text>`,
    ...parts,
    ...edgeParts,
    ...nodeParts,
    `<g class="legend">${legend}</g>`,
    `<g class="caption">${captionText}</g>`,
    `</svg>`,
  ].join("\n") + "\n";
}

/**
 * The same picture in a self-contained HTML page (the SVG inline, no external assets).
 *
 * @example
 * ```ts
 * import { renderClusterHtml } from "./cluster_picture.ts";
 * import assert from "node:assert/strict";
 * const html = renderClusterHtml({
 *   nodes: [{ id: "127.0.0.1:1", domain: 0, killed: false }], broadcast: "", origin: "",
 *   edges: [], multicast: [], broadcasts: 0, tcpFramesPerBroadcast: 0, udpFramesPerBroadcast: 0,
 * });
 * assert.match(html, /^<!DOCTYPE html>[\s\S]*<svg /);
 * ```
 */
export function renderClusterHtml(p: ClusterPicture): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>chatter cluster</title>
<style>body{font-family:sans-serif;margin:1em}</style></head>
<body>
${renderClusterSvg(p)}</body></html>
`;
}

/**
 * Choose the broadcast to draw from the nodes' relay logs: the one with the most distinct TCP
 * edges (the last found on a tie), its edges, and the nodes where it arrived by multicast.
 *
 * @example
 * ```ts
 * import { pickPicture } from "./cluster_picture.ts";
 * import assert from "node:assert/strict";
 * const nodes = [0, 1, 2].map((i) => ({ id: `10.0.0.${i}:1`, domain: i === 2 ? 1 : 0, killed: false }));
 * const edges = [
 *   { origin: "10.0.0.0:1#7", from: "10.0.0.0:1", to: "10.0.0.2:1" },
 *   { origin: "10.0.0.0:1#7", from: "10.0.0.0:1", to: "10.0.0.2:1" }, // logged by both ends
 *   { origin: "10.0.0.0:1#7", from: "10.0.0.2:1", to: "10.0.0.1:1" },
 *   { origin: "10.0.0.2:1#3", from: "10.0.0.2:1", to: "10.0.0.0:1" },
 * ];
 * const p = pickPicture(nodes, edges, (id) => id === "10.0.0.1:1" ? "udp" : "tcp", {
 *   broadcasts: 2, tcpFramesPerBroadcast: 1, udpFramesPerBroadcast: 1,
 * });
 * assert.equal(p.broadcast, "10.0.0.0:1#7");
 * assert.deepEqual(p.edges.length, 2);
 * assert.deepEqual(p.multicast, ["10.0.0.1:1"]);
 * ```
 */
export function pickPicture(
  nodes: PictureNode[],
  relayEdges: { origin: string; from: string; to: string }[],
  arrival: (node: string, broadcast: string) => string | undefined,
  figures: Pick<ClusterPicture, "broadcasts" | "tcpFramesPerBroadcast" | "udpFramesPerBroadcast">,
): ClusterPicture {
  const by = new Map<string, Map<string, { from: string; to: string }>>();
  for (const e of relayEdges) {
    if (!e.origin) continue;
    let m = by.get(e.origin);
    if (!m) by.set(e.origin, m = new Map());
    m.set(`${e.from} ${e.to}`, { from: e.from, to: e.to });
  }
  let broadcast = "";
  let best = 0;
  for (const [o, m] of by) {
    if (m.size >= best) [broadcast, best] = [o, m.size];
  }
  const origin = broadcast.slice(0, broadcast.lastIndexOf("#"));
  return {
    nodes,
    broadcast,
    origin,
    edges: [...(by.get(broadcast)?.values() ?? [])],
    multicast: broadcast
      ? nodes.filter((x) => x.id !== origin && arrival(x.id, broadcast) === "udp").map((x) => x.id)
      : [],
    ...figures,
  };
}
