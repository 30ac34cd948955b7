/**
 * The CLI in its own terms (issue 13): help shows each command's real defaults, errors name
 * flags (not library options) with one prefix, `--version`, `help <command>`, a send that
 * reaches no destination exits 1 with a line per failure, IPv6 and host-name addresses.
 * [R-CLI-008], [R-CLI-009], [R-CLI-010], [R-NODE-ADDR-001]
 */
import assert from "node:assert/strict";
import { generateV2Key, startNode, textType } from "../../mod.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const KEY = "df202a18c6eb5d32265aa513666e4728efa9362761f1511c7922171da060fa19";

async function chatter(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--unstable-net", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  }).output();
  return {
    code: r.code,
    out: new TextDecoder().decode(r.stdout),
    err: new TextDecoder().decode(r.stderr),
  };
}

Deno.test("[R-CLI-008] help shows each command's own port default; help <command>; --version", async () => {
  for (const c of ["send", "peers", "members"]) {
    const r = await chatter("help", c);
    assert.equal(r.code, 0);
    assert.match(r.out, new RegExp(`^usage: chatter ${c}`), "help <command> is <command> --help");
    assert.match(r.out, /--port P {13}TCP port \(default 0: any free port\)/, c);
  }
  const n = await chatter("node", "--help");
  assert.match(n.out, /--port P {13}TCP port \(default 29999; 0 = any free port\)/);
  const v = await chatter("--version");
  assert.equal(v.code, 0);
  const version = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)))
    .version;
  assert.equal(v.out.trim(), `chatter ${version}`);
  const bad = await chatter("help", "nope");
  assert.equal(bad.code, 2);
});

Deno.test("[R-CLI-009] errors name the flag, once prefixed", async () => {
  const m = await chatter("send", "--key", KEY);
  assert.equal(m.code, 2);
  assert.equal(m.err.trim(), "chatter send: give exactly one MESSAGE (quote it)");
  const p = await chatter("node", "--port", "70000", "--key", KEY);
  assert.equal(
    p.err.trim(),
    'chatter node: --port: expected an integer in [0, 65535], got "70000"',
  );
  const g = await chatter("node", "--port", "0", "--key", KEY, "--multicast-group", "10.0.0.1");
  assert.equal(g.code, 2);
  assert.match(g.err, /^chatter node: --multicast-group: expected an IPv4 multicast address/);
  assert.doesNotMatch(g.err, /multicastGroup|option /);
});

Deno.test("[R-CLI-010] send that reaches no destination exits 1 with a line per failure", async () => {
  // A port nobody listens on: the connection is refused.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const r = await chatter(
    "send",
    "--address",
    "127.0.0.1",
    "--no-multicast",
    "--key",
    KEY,
    "--to",
    `127.0.0.1:${port}`,
    "hi",
  );
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, new RegExp(`chatter send: could not reach 127\\.0\\.0\\.1:${port}: `));
  assert.match(r.err, /reached no destination/);
});

Deno.test("[R-NODE-ADDR-001] IPv6 and host-name node addresses, in the library and the CLI", async () => {
  const six = await startNode({ address: "::1", port: 0, multicast: false, key: KEY });
  const got: string[] = [];
  six.register(textType("chatter.text", (t) => void got.push(t)));
  try {
    assert.deepEqual(six.id.ip, "::1");
    const r = await chatter(
      "send",
      "--address",
      "::1",
      "--no-multicast",
      "--key",
      KEY,
      "--to",
      `[::1]:${six.id.port}`,
      "over IPv6",
    );
    assert.equal(r.code, 0, r.err);
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((x) => setTimeout(x, 20));
    assert.deepEqual(got, ["over IPv6"]);
  } finally {
    await six.close();
  }
  const named = await startNode({ address: "localhost", port: 0, multicast: false, key: KEY });
  try {
    assert.match(named.id.ip, /^(127\.0\.0\.1|::1)$/, "known by the address the name resolves to");
  } finally {
    await named.close();
  }
  const v6multicast = await chatter("node", "--address", "::1", "--port", "0", "--key", KEY);
  assert.equal(v6multicast.code, 2);
  assert.match(v6multicast.err, /multicast is IPv4 only/);
});

Deno.test("[R-CLI-005] cluster --membership: the same --seed gives the same view checksum", async () => {
  const { runMembershipCluster } = await import("../../src/cli/cluster_membership.ts");
  const run = async () => {
    const r = await runMembershipCluster({ nodes: 4, seed: 42, subnets: 1, loss: 0 });
    assert.ok(r.agree);
    return [r.nodes[0].viewChecksum, r.nodes[0].stateChecksum];
  };
  // The nodes listen on free ports, which differ between the runs.
  assert.deepEqual(await run(), await run());
});

Deno.test("[R-CLI-011] a node with the wrong key says so: one line naming AUTH_FAILED", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--unstable-net",
      MAIN,
      "node",
      "--address",
      "127.0.0.1",
      "--port",
      String(port),
      "--no-multicast",
      "--key",
      generateV2Key(), // another cluster's key
    ],
    stdout: "null",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  }).spawn();
  const sender = await startNode({ address: "127.0.0.1", port: 0, multicast: false, key: KEY });
  let err = "";
  try {
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    const deadline = Date.now() + 20_000;
    let sent = false;
    const chat = sender.register(textType("chatter.text"));
    while (!/AUTH_FAILED/.test(err) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      err += value;
      if (!sent && /running/.test(err)) {
        sent = true;
        chat.broadcast([{ ip: "127.0.0.1", port }], "sealed with another key");
      }
    }
    child.kill("SIGTERM");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      err += value;
    }
  } finally {
    await sender.close();
    await child.status;
  }
  assert.match(err, /chatter node: rejected a tcp frame: AUTH_FAILED \(wrong --key or --label/);
});
