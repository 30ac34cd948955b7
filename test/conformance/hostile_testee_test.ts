/**
 * The conformance runner against hostile testees (small fake testees in sh/python): a reply
 * line without end, a testee that does not read, a deeply nested reply, a testee that leaves
 * children behind, and an overall deadline. Each must end the case quickly (bounded by the
 * per-request timeout), leave no process behind, and let the report be written.
 */
import { equal, match, ok, rejects } from "node:assert/strict";
import { TesteeClient } from "../../conformance/runner/testee_client.ts";
import { TesteeError } from "../../conformance/runner/types.ts";
import { runOffline } from "../../conformance/runner/offline.ts";
import { jsonReport } from "../../conformance/runner/reports.ts";
import { writeFixtureVectors } from "./_fixture_vectors.ts";

const PY = "/usr/bin/python3";
const hasPython = (() => {
  try {
    return Deno.statSync(PY).isFile;
  } catch {
    return false;
  }
})();

/** A python testee: answers hello, then does `then` for the next request. */
function py(then: string): string {
  const script = `
import sys, json, os, time
def out(s):
    sys.stdout.write(s); sys.stdout.flush()
line = sys.stdin.readline()
req = json.loads(line)
out(json.dumps({"id": req["id"], "result": "ok", "impl": "hostile", "profiles": ["legacy"], "ops": ["xxhash32"]}) + "\\n")
line = sys.stdin.readline()
req = json.loads(line) if line else {"id": 0}
${then}
`;
  const f = Deno.makeTempFileSync({ suffix: ".py" });
  Deno.writeTextFileSync(f, script);
  return `${PY} ${f}`;
}

async function secondCall(cmd: string, timeoutMs: number, maxReplyBytes?: number) {
  const c = new TesteeClient(cmd, timeoutMs, maxReplyBytes);
  try {
    const h = await c.call({ op: "hello" });
    equal(h.result, "ok");
    const t = performance.now();
    const err = await c.call({ op: "xxhash32", data: "", seed: 0 }).then(
      () => undefined,
      (e) => e,
    );
    return { err, ms: performance.now() - t };
  } finally {
    await c.stop();
  }
}

function alive(pid: number): boolean {
  try {
    const st = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(st);
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "runner: a reply line that never ends is cut at the line bound (and the timeout binds while it streams)",
  ignore: !hasPython,
  async fn() {
    // An endless line, trickled: without a bound the runner would buffer it forever.
    const endless = py(`
out('{"id": %d, "result": "ok", "pad": "' % req["id"])
while True:
    out("x" * 4096); time.sleep(0.001)
`);
    const a = await secondCall(endless, 10_000, 64 * 1024);
    ok(a.err instanceof TesteeError);
    match(a.err.message, /longer than 65536 bytes/);
    // Trickled slowly: the per-request timeout ends it.
    const slow = py(`
out('{"id": %d, "result": "ok", "pad": "' % req["id"])
while True:
    out("x"); time.sleep(0.05)
`);
    const b = await secondCall(slow, 500);
    match(b.err.message, /no reply within 500 ms/);
  },
});

Deno.test({
  name: "runner: the timeout binds while writing to a testee that does not read",
  ignore: !hasPython,
  async fn() {
    const deaf = py(`time.sleep(60)`);
    const c = new TesteeClient(deaf, 500);
    try {
      await c.call({ op: "hello" });
      // 16 MiB of requests into a pipe nobody reads.
      const big = { op: "xxhash32", data: "00".repeat(8 << 20), seed: 0 };
      await rejects(() => c.call(big), (e: unknown) => e instanceof TesteeError);
    } finally {
      await c.stop();
    }
  },
});

Deno.test({
  name: "runner: a deeply nested reply fails the case; the report is still written",
  ignore: !hasPython,
  async fn() {
    const deep = py(`
out('{"id": %d, "result": "ok", "x": ' % req["id"] + "[" * 200000 + "]" * 200000 + "}\\n")
time.sleep(60)
`);
    const a = await secondCall(deep, 5000);
    ok(a.err instanceof TesteeError);
    match(a.err.message, /nests deeper than 64/);
    // A whole run against it: the reports serialize.
    const dir = await writeFixtureVectors(await Deno.makeTempDir());
    try {
      const out = await runOffline({
        testee: deep,
        vectorsDir: dir,
        specDir: "spec",
        timeoutMs: 2000,
        deadlineMs: 20_000,
      });
      const text = JSON.stringify(jsonReport(out.info, out.results, out.verdict));
      ok(text.length > 0);
      ok(out.results.some((r) => r.status === "ERROR" || r.status === "FAIL"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "runner: stopping a testee kills its whole process group",
  ignore: !hasPython,
  async fn() {
    const pidFile = Deno.makeTempFileSync();
    // The testee starts a grandchild that ignores stdin EOF, then hangs.
    const parent = py(`
import subprocess
p = subprocess.Popen(["sleep", "60"])
open(${JSON.stringify(pidFile)}, "w").write(str(p.pid))
time.sleep(60)
`);
    const a = await secondCall(parent, 700);
    match(a.err.message, /no reply within 700 ms/);
    const pid = Number(Deno.readTextFileSync(pidFile));
    ok(pid > 0);
    // Give the kernel a moment to deliver SIGKILL.
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    equal(alive(pid), false, `grandchild ${pid} survived the testee`);
    Deno.removeSync(pidFile);
  },
});

Deno.test({
  name: "runner: an overall deadline ends the run; the remaining cases are ERROR, said so",
  ignore: !hasPython,
  async fn() {
    // Answers hello, then never answers: every case would wait for its timeout.
    const mute = py(`time.sleep(600)`);
    const dir = await writeFixtureVectors(await Deno.makeTempDir());
    try {
      const t = performance.now();
      const out = await runOffline({
        testee: mute,
        vectorsDir: dir,
        specDir: "spec",
        timeoutMs: 300,
        deadlineMs: 1500,
      });
      ok(performance.now() - t < 60_000);
      ok(out.results.some((r) => /overall deadline of 1500 ms/.test(r.detail ?? "")));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
