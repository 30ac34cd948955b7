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
