/**
 * [R-MEM-053] The membership commands, run as subprocesses exactly as a user runs them:
 * `cluster --membership` under loss, `node --join` with `members`, and their usage errors.
 */
import assert from "node:assert/strict";
import { formatMembershipResult } from "../../src/cli/cluster_membership.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const ENV = { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" };

async function chatter(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--unstable-net", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: ENV,
  }).output();
  return {
    code: r.code,
    out: new TextDecoder().decode(r.stdout),
    err: new TextDecoder().decode(r.stderr),
  };
}

Deno.test("cluster --membership --loss 0.4: every node ends with the same view and state", async () => {
  const r = await chatter("cluster", "--membership", "--nodes", "6", "--loss", "0.4", "--json");
  assert.equal(r.code, 0, r.out + r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.agree, true);
  assert.equal(j.nodes.length, 6);
  assert.ok(j.changes >= 6);
  for (const n of j.nodes) {
    assert.equal(n.viewChecksum, j.nodes[0].viewChecksum);
    assert.equal(n.stateChecksum, j.nodes[0].stateChecksum);
  }
  // The node that left everything serves nothing, so some node's claims shaped the view.
  assert.ok(j.nodes[0].segments > 0);
});

Deno.test("cluster --membership (legacy profile, two subnets) prints the verdict table", async () => {
  const r = await chatter(
    "cluster",
    "--membership",
    "--nodes",
    "4",
    "--subnets",
    "2",
    "--loss",
    "0.3",
    "--profile",
    "legacy",
    "-q",
  );
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /AGREE: all 4 nodes hold view [0-9a-f]{8} after \d+ anti-entropy round/);
});

Deno.test("node --join and members: the view of running nodes", async () => {
  const key = "4f07693afa2281e0f072ca80956b4c7edcabdc529eaa52efb98cdb56991ad3b8"; // v2 keys are 32 random bytes, hex
  const mc = crypto.getRandomValues(new Uint8Array(4));
  const group = `239.${mc[0]}.${mc[1]}.${1 + (mc[2] % 250)}`;
  const mport = String(20000 + ((mc[2] << 8 | mc[3]) % 40000));
  const common = [
    "--address",
    "127.0.0.1",
    "--multicast-group",
    group,
    "--multicast-port",
    mport,
    "--interface",
    "127.0.0.1",
    "--key",
    key,
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--unstable-net",
      MAIN,
      "node",
      ...common,
      "--port",
      "0",
      "--join",
      "0-999:5",
      "--join",
      "5000-6000",
      "--digest-ms",
      "200",
    ],
    stdout: "null",
    stderr: "piped",
    env: ENV,
  }).spawn();
  try {
    // Wait until the node says it runs.
    const reader = child.stderr.getReader();
    let text = "";
    while (!text.includes("running")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    const m = /node 127\.0\.0\.1:(\d+) \(v2\) running/.exec(text);
    assert.ok(m, `the node did not start: ${text}`);
    const port = Number(m[1]);
    const r = await chatter(
      "members",
      ...common,
      "--peer",
      `127.0.0.1:${port}`,
      "--wait",
      "1500",
      "--json",
    );
    assert.equal(r.code, 0, r.out + r.err);
    assert.deepEqual(JSON.parse(r.out), [
      { start: 0, end: 999, servers: [{ member: { ip: "127.0.0.1", port }, priority: 5 }] },
      { start: 5000, end: 6000, servers: [{ member: { ip: "127.0.0.1", port }, priority: 0 }] },
    ]);
  } finally {
    try {
      child.kill("SIGINT");
    } catch { /* already exited */ }
    await child.status;
    await child.stderr.cancel().catch(() => {});
  }
});

Deno.test("membership usage: --help, bad --join, options that do not apply", async () => {
  const h = await chatter("members", "--help");
  assert.equal(h.code, 0);
  assert.match(h.out, /^usage: chatter members/);
  const c = await chatter("cluster", "--help");
  assert.match(c.out, /--membership/);
  const top = await chatter("--help");
  assert.match(top.out, /\n {2}members /);
  const j = await chatter("node", "--key", "k", "--join", "9-3");
  assert.equal(j.code, 2);
  assert.match(j.err, /--join: start 9 is greater than end 3 in "9-3"/);
  const k = await chatter("node", "--key", "k", "--join", "0-4294967296");
  assert.equal(k.code, 2);
  assert.match(k.err, /--join: .*"0-4294967296"/);
  const m = await chatter("cluster", "--membership", "--rate", "5");
  assert.equal(m.code, 2);
  assert.match(m.err, /--rate does not apply to --membership/);
});

Deno.test("the verdict names the split when nodes disagree", () => {
  const node = (v: string) => ({
    id: { ip: "127.0.0.1", port: 1 },
    viewChecksum: v,
    stateChecksum: v,
    segments: 1,
    items: 1,
    snapshotsSent: 1,
    digestsSent: 1,
  });
  const out = formatMembershipResult({
    options: { nodes: 3, seed: 1, subnets: 1, loss: 0.5 },
    nodes: [node("aaaaaaaa"), node("aaaaaaaa"), node("bbbbbbbb")],
    changes: 3,
    rounds: 7,
    ms: 700,
    agree: false,
  });
  assert.match(out, /DISAGREE after 7 rounds \(700 ms\): views 2x aaaaaaaa, 1x bbbbbbbb/);
});
