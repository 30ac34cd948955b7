/**
 * Real sockets, real processes (spec/node.md [R-NODE-LIVE-001], [R-NODE-LIVE-004]): two idle
 * `chatter node` processes see each other in `peers --json` within the stated time; a killed
 * one turns suspect, then dead, in `peers --watch --json`.
 */

import assert from "node:assert/strict";
import { TextLineStream } from "./_lines.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const HB = 200;

function spawn(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--unstable-net", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  }).spawn();
}

/** Read stderr until the node prints its NetID. */
async function started(p: Deno.ChildProcess): Promise<string> {
  const r = p.stderr.pipeThrough(new TextDecoderStream()).pipeThrough(new TextLineStream())
    .getReader();
  for (;;) {
    const { value, done } = await r.read();
    if (done) throw new Error("node exited before starting");
    const m = /node (\S+) \(v2\) running/.exec(value);
    if (m) {
      // Keep draining stderr so the process never blocks on it.
      (async () => {
        while (!(await r.read()).done) { /* drain */ }
      })();
      return m[1];
    }
  }
}

Deno.test("[R-NODE-LIVE-001] [R-NODE-LIVE-004] CLI: idle nodes see each other in peers --json; a killed one turns suspect then dead", async () => {
  const b = crypto.getRandomValues(new Uint8Array(4));
  const common = [
    "--address",
    "127.0.0.1",
    "--interface",
    "127.0.0.1",
    "--multicast-group",
    `239.${b[0]}.${b[1]}.${1 + (b[2] % 250)}`,
    "--multicast-port",
    String(20000 + (((b[2] << 8) | b[3]) % 40000)),
    "--key",
    crypto.randomUUID().slice(0, 32),
    "--heartbeat-ms",
    String(HB),
  ];
  const a = spawn(["node", ...common, "--port", "0"]);
  const c = spawn(["node", ...common, "--port", "0"]);
  let watch: Deno.ChildProcess | undefined;
  try {
    const [ida, idc] = await Promise.all([started(a), started(c)]);
    // One-shot peers --json: both idle nodes within 3 intervals (+ start-up of the process).
    const once = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--unstable-net",
        MAIN,
        "peers",
        ...common,
        "--json",
        "--wait",
        String(3 * HB),
      ],
      stdout: "piped",
      stderr: "piped",
    });
    const out = await once.output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const recs = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      id: string;
      state: string;
    }[];
    for (const id of [ida, idc]) {
      assert.equal(
        recs.find((r) => r.id === id)?.state,
        "alive",
        `${id} alive in ${JSON.stringify(recs)}`,
      );
    }
    // Watch, kill c, see it suspect then dead.
    watch = spawn(["peers", ...common, "--json", "--watch", "--wait", "30000"]);
    const reader = watch.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(
      new TextLineStream(),
    ).getReader();
    (async () => {
      for await (const _ of watch!.stderr) { /* drain */ }
    })();
    const seen: string[] = [];
    let killedAt = 0;
    for (;;) {
      const { value: l, done } = await reader.read();
      if (done) break;
      const r = (JSON.parse(l) as { id: string; state: string }[]).find((x) => x.id === idc);
      if (!killedAt) {
        if (r?.state === "alive") {
          c.kill("SIGKILL");
          killedAt = Date.now();
        }
        continue;
      }
      if (r && seen.at(-1) !== r.state) seen.push(r.state);
      if (r?.state === "dead") break;
    }
    await reader.cancel();
    assert.ok(killedAt > 0, "the watcher saw the node alive");
    assert.deepEqual(seen.filter((s) => s !== "alive"), ["suspect", "dead"], `states ${seen}`);
    console.log(
      `liveness CLI: killed node dead in peers --watch after ${
        Date.now() - killedAt
      } ms (heartbeat ${HB} ms)`,
    );
  } finally {
    for (const p of [watch, a, c]) {
      if (!p) continue;
      try {
        p.kill("SIGKILL");
      } catch { /* exited */ }
      await p.status;
      if (p !== watch) await p.stdout.cancel().catch(() => {});
    }
  }
});
