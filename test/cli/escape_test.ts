/** [R-CLI-007] The `node` command escapes control characters in the text it prints. */
import assert from "node:assert/strict";
import { startNode, textType } from "../../mod.ts";

const MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;
const KEY = "cli test key, exactly 32 bytes..";

/** Read lines of `stream` until one matches `re` (or the stream ends). */
async function lineMatching(
  reader: ReadableStreamDefaultReader<string>,
  re: RegExp,
  seen: string[],
): Promise<string | undefined> {
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return undefined;
    buf += value;
    const lines = buf.split("\n");
    buf = lines.pop()!;
    for (const l of lines) {
      seen.push(l);
      if (re.test(l)) return l;
    }
  }
}

Deno.test("[R-CLI-007] node prints received text with control characters escaped", async () => {
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
      "0",
      "--no-multicast",
      "--key",
      KEY,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  }).spawn();
  const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const err = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const node = await startNode({ address: "127.0.0.1", port: 0, multicast: false, key: KEY });
  node.register(textType("chatter.text"));
  const seen: string[] = [];
  try {
    const started = await lineMatching(err, /running/, seen);
    const port = Number(started?.match(/127\.0\.0\.1:(\d+)/)?.[1]);
    assert.ok(port > 0, `the node says where it listens: ${seen.join(" | ")}`);
    node.broadcast([`127.0.0.1:${port}`], "chatter.text", "a\x1b[2Jb\x07c\u009bd\u202ee\nf");
    const line = await lineMatching(out, /a.*b/, seen);
    assert.ok(line !== undefined, `a line printed: ${seen.join(" | ")}`);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(line, /[\x00-\x1f\x7f-\x9f\u202e]/, "no raw control character");
    assert.match(line, /a\\x1b\[2Jb\\x07c\\x9bd\\u\{202e\}e\\x0af$/);
  } finally {
    await node.close();
    child.kill("SIGTERM");
    await out.cancel();
    await err.cancel();
    await child.status;
  }
});
