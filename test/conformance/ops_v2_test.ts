import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { v2OpsModule } from "../../conformance/testee/ops_v2.ts";
import type { TesteeReply, TesteeRequest } from "../../conformance/testee/ops.ts";
import type { V2Vector } from "../../vectors/v2_cases.ts";

const file = JSON.parse(
  await Deno.readTextFile(new URL("../../vectors/v2.json", import.meta.url)),
) as { cases: V2Vector[] };

let id = 0;
async function call(op: string, fields: Record<string, unknown>): Promise<TesteeReply> {
  const mod = v2OpsModule({
    encode_frame: () => ({ result: "ok", delegated: true }),
  });
  const req: TesteeRequest = { id: ++id, op, ...fields };
  return await mod.ops[op](req);
}

Deno.test("testee v2 ops answer every vector: encode_frame byte-exact, decode_frame, decode_stream", async () => {
  for (const c of file.cases) {
    if (c.sequence) {
      const r = await call("decode_stream", {
        profile: "v2",
        receiver: c.inputs.receiver,
        frames: c.sequence.map((s) => s.frame),
      });
      strictEqual(r.result, "ok");
      const results = r.results as TesteeReply[];
      for (const [i, s] of c.sequence.entries()) {
        strictEqual(results[i].result, s.result === "valid" ? "ok" : "error", `${c.id} step ${i}`);
        strictEqual(results[i].errorClass, s.errorClass, `${c.id} step ${i}`);
      }
      continue;
    }
    const d = await call("decode_frame", {
      profile: "v2",
      receiver: c.inputs.receiver,
      frame: c.frame,
    });
    if (c.result === "valid") {
      const { result, ...rest } = d;
      strictEqual(result, "ok", c.id);
      deepStrictEqual(rest, c.decoded, c.id);
      const { receiver: _r, ...inputs } = c.inputs;
      const e = await call("encode_frame", { profile: "v2", ...inputs });
      strictEqual(e.frame, c.frame, c.id);
      strictEqual(e.fitsDatagram, c.layers.fitsDatagram, c.id);
    } else {
      strictEqual(d.result, "error", c.id);
      strictEqual(d.errorClass, c.errorClass, c.id);
    }
  }
});

Deno.test("testee v2 ops delegate other profiles to the wrapped module", async () => {
  deepStrictEqual(await call("encode_frame", { profile: "legacy" }), {
    result: "ok",
    delegated: true,
  });
  strictEqual((await call("decode_frame", { profile: "legacy" })).result, "unsupported");
});

// ---- the same through the testee program (subprocess) --------------------------------------

const root = new URL("../../", import.meta.url);

async function runTestee(requests: Record<string, unknown>[]): Promise<TesteeReply[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "conformance/testee.ts"],
    cwd: root,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  }).spawn();
  const writing = (async () => {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(requests.map((r) => JSON.stringify(r) + "\n").join("")));
    await w.close();
  })();
  const [out, err] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    writing,
  ]);
  strictEqual((await child.status).code, 0, err);
  return out.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

Deno.test("testee program: hello lists v2 and decode_stream; every v2 vector both ways", async () => {
  const reqs: Record<string, unknown>[] = [{ id: 0, op: "hello" }];
  const checks: ((r: TesteeReply) => void)[] = [(r) => {
    strictEqual((r.profiles as string[]).includes("v2"), true);
    strictEqual((r.ops as string[]).includes("decode_stream"), true);
  }];
  for (const c of file.cases) {
    if (c.sequence) {
      reqs.push({
        id: reqs.length,
        op: "decode_stream",
        profile: "v2",
        receiver: c.inputs.receiver,
        frames: c.sequence.map((s) => s.frame),
      });
      checks.push((r) => {
        const results = r.results as TesteeReply[];
        c.sequence!.forEach((s, i) =>
          strictEqual(results[i].errorClass, s.errorClass, `${c.id} ${i}`)
        );
      });
      continue;
    }
    reqs.push({
      id: reqs.length,
      op: "decode_frame",
      profile: "v2",
      receiver: c.inputs.receiver,
      frame: c.frame,
    });
    checks.push((r) => {
      if (c.result === "valid") {
        const { id: _id, result: _r, ...rest } = r;
        deepStrictEqual(rest, c.decoded, c.id);
      } else strictEqual(r.errorClass, c.errorClass, c.id);
    });
    if (c.result === "valid") {
      const { receiver: _r, ...inputs } = c.inputs;
      reqs.push({ id: reqs.length, op: "encode_frame", profile: "v2", ...inputs });
      checks.push((r) => strictEqual(r.frame, c.frame, c.id));
    }
  }
  reqs.push({ id: reqs.length, op: "encode_frame", profile: "v2", keyring: { keys: [] } });
  checks.push((r) => strictEqual(r.errorClass, "BAD_INPUT"));
  const replies = await runTestee(reqs);
  strictEqual(replies.length, reqs.length);
  replies.forEach((r, i) => checks[i](r));
});
