/** `cluster --picture`: the pure renderer on a hand-made input, and one real run of the CLI. */
import assert from "node:assert/strict";
import {
  type ClusterPicture,
  pickPicture,
  renderClusterHtml,
  renderClusterSvg,
} from "../../src/cli/cluster_picture.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;

async function chatter(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--unstable-net", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  });
  const r = await p.output();
  return {
    code: r.code,
    out: new TextDecoder().decode(r.stdout),
    err: new TextDecoder().decode(r.stderr),
  };
}

/**
 * A small well-formedness check of XML text: every tag closed in order, attributes quoted, no
 * raw `<` or unescaped `&` in text or attribute values. Returns the element names in order.
 */
function wellFormed(xml: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<!DOCTYPE html>/y;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    assert.doesNotMatch(text, /&(?!(amp|lt|gt|quot|#39);)/, `unescaped & in text ${text}`);
    assert.doesNotMatch(text, />/, `raw > in text ${text}`);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    assert.ok(m, `bad tag at ${lt}: ${xml.slice(lt, lt + 60)}`);
    if (m[2]) {
      for (const a of m[3].matchAll(/="([^"]*)"/g)) {
        assert.doesNotMatch(a[1], /&(?!(amp|lt|gt|quot|#39);)/, `unescaped & in ${a[1]}`);
      }
      if (m[1]) assert.equal(stack.pop(), m[2], `</${m[2]}> closes the wrong element`);
      else {
        names.push(m[2]);
        if (!m[4] && !["meta"].includes(m[2])) stack.push(m[2]);
      }
    }
    i = tag.lastIndex;
  }
  assert.deepEqual(stack, [], "unclosed elements");
  return names;
}

const NASTY = `<script>alert("x")</script>&`;

function sample(): ClusterPicture {
  const id = (i: number) => `127.0.0.1:${1000 + i}`;
  return {
    nodes: [0, 1, 2, 3, 4].map((i) => ({ id: id(i), domain: i < 3 ? 0 : 1, killed: i === 4 })),
    broadcast: `${id(0)}#42`,
    origin: id(0),
    edges: [
      { from: id(0), to: id(3) },
      { from: id(3), to: id(4) },
      { from: id(0), to: id(9) }, // a node not in the picture: not drawn
    ],
    multicast: [id(1), id(2)],
    broadcasts: 120,
    tcpFramesPerBroadcast: 1.25,
    udpFramesPerBroadcast: 0.5,
  };
}

Deno.test("[R-CLI-PIC-001] cluster picture: domains, edges, multicast reach and caption are drawn", () => {
  const svg = renderClusterSvg(sample());
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  wellFormed(svg);
  // Two domain boxes, with the right members.
  const domains = [...svg.matchAll(/<g class="domain" data-domain="(\d+)"/g)].map((m) => m[1]);
  assert.deepEqual(domains, ["0", "1"]);
  // Two arrows (the third edge names an unknown node).
  const edges = [...svg.matchAll(/<line class="edge"[^>]*>\s*<title>([^<]*)<\/title>/g)]
    .map((m) => m[1]);
  assert.deepEqual(edges, [
    "127.0.0.1:1000 → 127.0.0.1:1003 (TCP)",
    "127.0.0.1:1003 → 127.0.0.1:1004 (TCP)",
  ]);
  assert.ok(svg.includes('marker-end="url(#arrow)"'));
  // Each node once, with its role.
  const nodes = new Map(
    [...svg.matchAll(/<g class="(node[^"]*)" data-id="([^"]+)"/g)].map((m) => [m[2], m[1]]),
  );
  assert.equal(nodes.size, 5);
  assert.equal(nodes.get("127.0.0.1:1000"), "node origin");
  assert.equal(nodes.get("127.0.0.1:1001"), "node multicast");
  assert.equal(nodes.get("127.0.0.1:1002"), "node multicast");
  assert.equal(nodes.get("127.0.0.1:1003"), "node tcp");
  assert.equal(nodes.get("127.0.0.1:1004"), "node tcp killed");
  // The caption: TCP frames per broadcast against a TCP-only tree of N-1 frames.
  const caption = svg.slice(svg.indexOf('<g class="caption">'));
  assert.match(caption, /TCP frames per broadcast: 1\.25 \(multicast 0\.50\)/);
  assert.match(caption, /TCP-only logarithmic tree: 4 \(3 from the origin\)/);
  assert.match(caption, /5 nodes in 2 multicast domain\(s\); 120 broadcasts/);
  assert.match(caption, /3 TCP edge\(s\), 2 node\(s\) reached by multicast/);
});

Deno.test("[R-CLI-PIC-001] cluster picture: text is escaped in SVG and HTML", () => {
  const p = sample();
  p.broadcast = NASTY;
  p.nodes[1].id = `a"b<c>&d`;
  p.multicast = [p.nodes[1].id];
  for (const out of [renderClusterSvg(p), renderClusterHtml(p)]) {
    assert.ok(!out.includes("<script"), "raw markup from the input");
    assert.ok(out.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"));
    assert.ok(out.includes('data-id="a&quot;b&lt;c&gt;&amp;d"'));
    wellFormed(out);
  }
  const html = renderClusterHtml(sample());
  assert.match(html, /^<!DOCTYPE html>/);
  assert.doesNotMatch(html, /\b(src|href)=/, "an external asset");
  assert.ok(html.includes(renderClusterSvg(sample())), "the same SVG inline");
});

Deno.test("[R-CLI-PIC-001] cluster picture: pickPicture takes the broadcast with the most distinct edges", () => {
  const nodes = [0, 1, 2, 3].map((i) => ({ id: `n${i}`, domain: i % 2, killed: false }));
  const edges = [
    { origin: "n0#1", from: "n0", to: "n1" },
    { origin: "n0#1", from: "n0", to: "n1" }, // the receiver's copy of the same edge
    { origin: "n1#5", from: "n1", to: "n0" },
    { origin: "n1#5", from: "n1", to: "n2" },
    { origin: "", from: "n1", to: "n3" }, // no data record: ignored
  ];
  const p = pickPicture(nodes, edges, (id, b) => b === "n1#5" && id === "n3" ? "udp" : "tcp", {
    broadcasts: 2,
    tcpFramesPerBroadcast: 1.5,
    udpFramesPerBroadcast: 1,
  });
  assert.equal(p.broadcast, "n1#5");
  assert.equal(p.origin, "n1");
  assert.deepEqual(p.edges, [{ from: "n1", to: "n0" }, { from: "n1", to: "n2" }]);
  assert.deepEqual(p.multicast, ["n3"]);
  const none = pickPicture(nodes, [], () => "udp", {
    broadcasts: 0,
    tcpFramesPerBroadcast: 0,
    udpFramesPerBroadcast: 0,
  });
  assert.equal(none.broadcast, "");
  assert.deepEqual(none.multicast, []);
  assert.match(renderClusterSvg(none), /no TCP relay edge was recorded/);
});

Deno.test("[R-CLI-PIC-001] cluster --picture writes a well-formed SVG of the run", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/out.svg`;
    const r = await chatter(
      "cluster",
      "--nodes",
      "4",
      "--subnets",
      "2",
      "--send-for",
      "0.3",
      "--wait-for",
      "0.5",
      "--quiet",
      "--picture",
      path,
    );
    assert.equal(r.code, 0, r.err + r.out);
    const svg = await Deno.readTextFile(path);
    assert.match(svg, /^<svg /);
    const names = wellFormed(svg);
    assert.ok(names.includes("svg"));
    assert.equal(svg.match(/<g class="domain"/g)?.length, 2);
    assert.equal(svg.match(/<g class="node[ "]/g)?.length, 4);
    assert.ok((svg.match(/<line class="edge"/g)?.length ?? 0) >= 1, "no TCP edge drawn");
    assert.match(svg, /TCP-only logarithmic tree: 3 /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[R-CLI-PIC-001] cluster --picture: a path that is neither .svg nor .html is a usage error", async () => {
  const r = await chatter("cluster", "--picture", "out.png");
  assert.equal(r.code, 2);
  assert.match(r.err, /--picture: .*"out\.png"/);
  const m = await chatter("cluster", "--membership", "--picture", "x.svg");
  assert.equal(m.code, 2);
  assert.match(m.err, /--picture does not apply to --membership/);
});
