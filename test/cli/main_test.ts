/** The CLI, run as a subprocess exactly as a user runs it. */
import assert from "node:assert/strict";
import { startNode, textType } from "../../mod.ts";

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

Deno.test("[R-CLI-001] --help on every command", async () => {
  const top = await chatter("--help");
  assert.equal(top.code, 0);
  for (const c of ["cluster", "node", "send", "peers", "keygen"]) {
    assert.match(top.out, new RegExp(`\\n  ${c} `));
    const r = await chatter(c, "--help");
    assert.equal(r.code, 0, `${c} --help: ${r.err}`);
    assert.match(r.out, new RegExp(`^usage: chatter ${c}`));
  }
});

Deno.test("[R-CLI-002] bad options exit 2 naming the option and value", async () => {
  const r = await chatter("cluster", "--nodes", "abc");
  assert.equal(r.code, 2);
  assert.match(r.err, /--nodes: .*"abc"/);
  const u = await chatter("nonsense");
  assert.equal(u.code, 2);
  assert.match(u.err, /unknown command "nonsense"/);
  const p = await chatter("node", "--port", "70000", "--key", "k");
  assert.equal(p.code, 2);
  assert.match(p.err, /--port: .*"70000"/);
  // [R-NODE-KEY-001] v2 has no default key; [R-NODE-ACCEPT-001] --accept must include --profile.
  const k = await chatter("node", "--port", "0", "--no-multicast");
  assert.equal(k.code, 2);
  assert.match(k.err, /--key: the v2 profile has no default key/);
  const a = await chatter("node", "--port", "0", "--key", "x".repeat(32), "--accept", "legacy");
  assert.equal(a.code, 2);
  assert.match(a.err, /--accept: .*"legacy"/);
});

Deno.test("[R-CLI-003] [R-NODE-KEY-002] keygen prints 32 fresh random bytes (hex, or base64)", async () => {
  const a = await chatter("keygen"), b = await chatter("keygen");
  assert.match(a.out.trim(), /^[0-9a-f]{64}$/);
  assert.notEqual(a.out, b.out);
  const c = await chatter("keygen", "--base64");
  assert.match(c.out.trim(), /^[A-Za-z0-9+/]{43}=$/);
  assert.equal(atob(c.out.trim()).length, 32);
});

Deno.test("[R-CLI-004] send delivers a text message to a running node", async () => {
  const node = await startNode({
    address: "127.0.0.1",
    port: 0,
    multicast: false,
    key: "a229bc997b4d9d498101e461c9e90e4561eef77e239aad6edc3c0e304a0363fa",
  });
  const got: string[] = [];
  node.register(textType("chatter.text", (t) => void got.push(t)));
  try {
    const r = await chatter(
      "send",
      "--address",
      "127.0.0.1",
      "--no-multicast",
      "--key",
      "a229bc997b4d9d498101e461c9e90e4561eef77e239aad6edc3c0e304a0363fa",
      "--to",
      `127.0.0.1:${node.id.port}`,
      "hello from the cli",
    );
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(got, ["hello from the cli"]);
  } finally {
    await node.close();
  }
});

Deno.test("[R-CLI-005] cluster with defaults (short run): all nodes agree", async () => {
  const r = await chatter("cluster", "--send-for", "1", "--wait-for", "1", "--json");
  assert.equal(r.code, 0, r.out + r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.agree, true);
  assert.equal(j.nodes.length, 8);
  assert.ok(j.broadcasts >= 8 * 90);
  for (const n of j.nodes) assert.equal(n.count, j.broadcasts, "every node got every message");
  assert.ok(j.tcpFramesPerBroadcast < 7, `tcp frames per broadcast ${j.tcpFramesPerBroadcast}`);
});

Deno.test("[R-CLI-006] cluster --loss 0.05 --kill 1: the survivors agree", async () => {
  const r = await chatter(
    "cluster",
    "--send-for",
    "1",
    "--wait-for",
    "2",
    "--loss",
    "0.05",
    "--kill",
    "1",
    "--json",
  );
  assert.equal(r.code, 0, r.out + r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.agree, true);
  const live = j.nodes.filter((n: { killed: boolean }) => !n.killed);
  assert.equal(live.length, 7);
  assert.ok(
    live.every((n: { count: number; checksum: string }) =>
      n.count === live[0].count && n.checksum === live[0].checksum
    ),
  );
  // Who gave up what: survivors only their messages to the killed node, the killed node its
  // own at close, and it told the survivors, which report the ones they never got.
  const l = j.lost;
  assert.equal(l.bySurvivors.toSurvivors, 0, JSON.stringify(l));
  assert.equal(l.messages, l.bySurvivors.messages + l.byKilled.messages);
  assert.equal(l.destinations, l.bySurvivors.destinations + l.byKilled.destinations);
  assert.ok(
    l.reportedAtDestinations >= j.killedOrigins.partial,
    `reported at destinations ${l.reportedAtDestinations}, partial ${j.killedOrigins.partial}`,
  );
});

Deno.test("[R-CLI-006] cluster --kill: the summary says who gave up what and what the errors column counts", async () => {
  const r = await chatter(
    "cluster",
    "--nodes",
    "4",
    "--send-for",
    "0.6",
    "--wait-for",
    "2",
    "--kill",
    "1",
    "--quiet",
  );
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(
    r.out,
    /lost reported: \d+ messages \(\d+ message-destination pairs: \d+ by survivors \(\d+ pairs, 0 to surviving nodes\), \d+ by killed nodes when they closed/,
  );
  assert.match(r.out, /each is addressed to every node: once one is killed none can confirm/);
  const errors = r.out.split("\n").filter((x) => /\s(alive|killed)$/.test(x))
    .reduce((a, x) => a + Number(x.trim().split(/\s+/).at(-2)), 0);
  if (errors > 0) assert.match(r.out, /errors column = frames the decoder refused: /);
  else assert.doesNotMatch(r.out, /errors column/);
});
