/**
 * The status page in a real browser (spec/node.md [R-NODE-MON-001]): headless Chromium, driven
 * by puppeteer-core, loads `/` from a running node; the peers and domains it renders must match
 * `/peers`; a screenshot goes to test-output/status_page.png. Without a browser the test is
 * ignored, with the reason printed.
 */

import assert from "node:assert/strict";
import { startNode } from "../../mod.ts";
import { randomMulticast, waitFor } from "./_net_cluster.ts";

function findChromium(): string | undefined {
  for (const p of ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch { /* not here */ }
  }
  return Deno.env.get("CHROMIUM_PATH");
}

const browser = findChromium();
if (!browser) {
  console.log(
    "SKIP status page browser test: no chromium (apt-get install chromium; .ci/run does)",
  );
}

Deno.test({
  name: "[R-NODE-MON-001] status page in headless Chromium shows the peers and domains of /peers",
  ignore: !browser,
  // puppeteer keeps its own websocket and child process bookkeeping.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const puppeteer = (await import("puppeteer-core")).default;
    const mc = randomMulticast();
    const opts = {
      address: "127.0.0.1",
      port: 0,
      multicastGroup: mc.group,
      multicastPort: mc.port,
      multicastInterface: "127.0.0.1",
      key: crypto.randomUUID().slice(0, 32),
      heartbeatMs: 200,
    };
    const a = await startNode({ ...opts, monitor: "127.0.0.1:0" });
    const others = [await startNode(opts), await startNode(opts)];
    // And one node in another "domain" (no multicast) that joins through a as its seed.
    const far = await startNode({ ...opts, multicast: false, seeds: [`127.0.0.1:${a.id.port}`] });
    const b = await puppeteer.launch({
      executablePath: browser,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
    try {
      await waitFor(() => a.peers().length === 3, "a knows its 3 peers", 10_000);
      const page = await b.newPage();
      await page.setViewport({ width: 1000, height: 700 });
      await page.goto(`http://${a.monitorAddress}/`);
      await page.waitForSelector("body[data-ready='1']", { timeout: 10_000 });
      // Evaluated in the page (a string: this file is not type-checked against the DOM).
      const shown = await page.evaluate(
        `[...document.querySelectorAll("[data-domain]")].map((d) => ({
        domain: d.getAttribute("data-domain"),
        peers: [...d.querySelectorAll("[data-peer]")].map((p) =>
          [p.getAttribute("data-peer"), p.getAttribute("data-state")]),
      }))`,
      ) as { domain: string; peers: [string, string][] }[];
      const json = await (await fetch(`http://${a.monitorAddress}/peers`)).json();
      const expected = new Map<string, [string, string][]>();
      expected.set(json.self.domain, [[json.self.id, "self"]]);
      for (const p of json.peers) {
        if (!expected.has(p.domain)) expected.set(p.domain, []);
        expected.get(p.domain)!.push([p.id, p.state]);
      }
      const norm = (m: Map<string, [string, string][]>) =>
        [...m].map(([d, l]) => [d, l.map((x) => x.join(" ")).sort()]).sort();
      assert.deepEqual(
        norm(new Map(shown.map((s) => [s.domain, s.peers]))),
        norm(expected),
      );
      assert.ok(shown.length >= 2, "our domain and the far node's");
      await Deno.mkdir(new URL("../../test-output/", import.meta.url), { recursive: true });
      const path = new URL("../../test-output/status_page.png", import.meta.url).pathname;
      await page.screenshot({ path });
      console.log(`status page screenshot: ${path}`);
    } finally {
      await b.close();
      for (const n of [far, ...others, a]) await n.close();
    }
  },
});
