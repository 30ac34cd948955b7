/** Keys on the command line: key files, keyring files, weak keys, public legacy keys (spec/node.md R-NODE-KEY-*). */
import assert from "node:assert/strict";
import { generateV2Key, startNode, textType } from "../../mod.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;

async function chatter(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--unstable-net", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1", ...env },
  }).output();
  return {
    code: r.code,
    out: new TextDecoder().decode(r.stdout),
    err: new TextDecoder().decode(r.stderr),
  };
}

function keyFile(text: string, mode = 0o600): string {
  const p = Deno.makeTempFileSync({ prefix: "chatter-key-" });
  Deno.writeTextFileSync(p, text);
  Deno.chmodSync(p, mode);
  return p;
}

/** Send one text with `send` using `args` for the key, to a node holding `nodeKeys`. */
async function sendWith(
  nodeKeys: { key?: string; keyring?: { id: number; key: string }[] },
  args: string[],
  env: Record<string, string> = {},
) {
  const node = await startNode({ address: "127.0.0.1", port: 0, multicast: false, ...nodeKeys });
  const got: string[] = [];
  node.register(textType("chatter.text", (t) => void got.push(t)));
  try {
    const r = await chatter([
      "send",
      "--address",
      "127.0.0.1",
      "--no-multicast",
      ...args,
      "--to",
      `127.0.0.1:${node.id.port}`,
      "hi",
    ], env);
    return { ...r, got };
  } finally {
    await node.close();
  }
}

Deno.test("[R-NODE-KEY-004] --key-file and CHATTER_KEY_FILE read the key; a group/world-readable file is refused", async () => {
  const key = generateV2Key();
  const f = keyFile(`${key}\n`);
  try {
    const a = await sendWith({ key }, ["--key-file", f]);
    assert.equal(a.code, 0, a.err);
    assert.deepEqual(a.got, ["hi"]);
    const b = await sendWith({ key }, [], { CHATTER_KEY_FILE: f });
    assert.equal(b.code, 0, b.err);
    assert.deepEqual(b.got, ["hi"]);
    for (const mode of [0o644, 0o640, 0o604]) {
      Deno.chmodSync(f, mode);
      const r = await chatter(["send", "--key-file", f, "--to", "127.0.0.1:1", "x"]);
      assert.equal(r.code, 2, `mode ${mode.toString(8)}`);
      assert.match(r.err, /other users can read it; chmod 600/);
    }
  } finally {
    Deno.removeSync(f);
  }
});

Deno.test("[R-NODE-KEY-005] a keyring file: the primary seals, the others are accepted (rotation)", async () => {
  const [oldKey, newKey] = [generateV2Key(), generateV2Key("base64")];
  const f = keyFile(`# rotation in progress\n1 ${oldKey}\n2 ${newKey} primary\n`);
  try {
    // A node that has only the new key (id 2) hears the sender: the primary sealed.
    const a = await sendWith({ keyring: [{ id: 2, key: newKey }] }, ["--key-file", f]);
    assert.equal(a.code, 0, a.err);
    assert.deepEqual(a.got, ["hi"]);
    // No primary among several keys: refused, naming the file.
    const bad = keyFile(`1 ${oldKey}\n2 ${newKey}\n`);
    try {
      const r = await chatter(["send", "--key-file", bad, "--to", "127.0.0.1:1", "x"]);
      assert.equal(r.code, 2);
      assert.match(r.err, /mark exactly one key "primary"/);
    } finally {
      Deno.removeSync(bad);
    }
  } finally {
    Deno.removeSync(f);
  }
});

Deno.test("[R-NODE-KEY-002] [R-NODE-KEY-003] text and weak v2 keys are refused with KEY_INVALID's message", async () => {
  for (
    const [key, why] of [
      ["a text key of exactly 32 bytes!!", /32-character text keys are not accepted/],
      ["00".repeat(32), /repeated byte/],
      ["000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", /progression/],
      [
        Array.from(
          new TextEncoder().encode("01234567890123456789012345678901"),
          (b) => b.toString(16),
        ).join(""),
        /public default key/,
      ],
    ] as const
  ) {
    const r = await chatter(["send", "--key", key, "--to", "127.0.0.1:1", "x"]);
    assert.equal(r.code, 2, key);
    assert.match(r.err, why);
    assert.match(r.err, /chatter keygen/);
  }
});

Deno.test("[R-NODE-KEY-006] a legacy node on 0.0.15's public key warns once on stderr", async () => {
  const r = await chatter([
    "send",
    "--profile",
    "legacy",
    "--address",
    "127.0.0.1",
    "--no-multicast",
    "--to",
    "127.0.0.1:1",
    "x",
  ]);
  assert.match(r.err, /public default key: anyone can read and forge/);
  assert.equal(r.err.match(/public default key/g)?.length, 1);
});
