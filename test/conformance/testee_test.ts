// The testee program (`deno task testee`, spec/testee.md) run as a subprocess: every golden
// vector through it, both directions for valid ones, every primitive known answer, and the
// protocol's hello / unsupported / error replies.
import assert from "node:assert/strict";
import type { LegacyVector } from "../../vectors/legacy_cases.ts";

const root = new URL("../../", import.meta.url);
const legacy = JSON.parse(await Deno.readTextFile(new URL("vectors/legacy.json", root))) as {
  cases: LegacyVector[];
};
const prims = JSON.parse(await Deno.readTextFile(new URL("vectors/primitives.json", root)));

type Reply = Record<string, unknown> & { id: number; result: string };

/** Send every request to a fresh testee process; return the replies by id and the raw lines. */
async function runTestee(requests: Record<string, unknown>[]): Promise<Map<number, Reply>> {
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
    const enc = new TextEncoder();
    // Several requests per write and a split line, so the testee must buffer lines.
    const text = requests.map((r) => JSON.stringify(r) + "\n").join("");
    for (let i = 0; i < text.length; i += 7919) await w.write(enc.encode(text.slice(i, i + 7919)));
    await w.close();
  })();
  const [out, err] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    writing,
  ]);
  const status = await child.status;
  assert.equal(status.code, 0, `testee exited ${status.code}: ${err}`);
  const lines = out.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, requests.length, "one reply line per request");
  const replies = new Map<number, Reply>();
  lines.forEach((l, i) => {
    const r = JSON.parse(l) as Reply;
    assert.equal(r.id, requests[i].id, "replies come in request order and echo the id");
    replies.set(r.id, r);
  });
  return replies;
}

Deno.test("testee: every legacy vector decodes (and every valid one encodes) as declared", async () => {
  const reqs: Record<string, unknown>[] = [];
  let id = 0;
  const expect: [number, string, (r: Reply) => void][] = [];
  for (const v of legacy.cases) {
    const dec = {
      id: ++id,
      op: "decode_frame",
      profile: "legacy",
      key: v.inputs.key,
      frame: v.frame,
    };
    reqs.push(dec);
    if (v.result === "valid") {
      expect.push([dec.id, `${v.id} decode`, (r) => {
        assert.equal(r.result, "ok", JSON.stringify(r));
        assert.deepEqual(r.gossip, v.inputs.gossip);
        assert.equal(r.typeTag, v.inputs.typeTag);
        assert.equal(r.payload, v.inputs.payload);
      }]);
      const enc = { id: ++id, op: "encode_frame", profile: "legacy", ...v.inputs };
      reqs.push(enc);
      expect.push([enc.id, `${v.id} encode`, (r) => {
        assert.equal(r.result, "ok", JSON.stringify(r));
        assert.equal(r.frame, v.frame);
      }]);
    } else {
      expect.push([dec.id, `${v.id} decode`, (r) => {
        assert.equal(r.result, "error");
        assert.equal(r.errorClass, v.errorClass, String(r.detail));
        assert.equal(typeof r.detail, "string");
      }]);
    }
  }
  const replies = await runTestee(reqs);
  for (const [rid, what, check] of expect) {
    try {
      check(replies.get(rid)!);
    } catch (e) {
      throw new Error(`${what}: ${(e as Error).message}`);
    }
  }
});

Deno.test("testee: primitives known answers (xxhash32, varint encode/decode)", async () => {
  const reqs: Record<string, unknown>[] = [];
  const checks: ((m: Map<number, Reply>) => void)[] = [];
  let id = 0;
  for (const x of prims.xxhash32) {
    const rid = ++id;
    reqs.push({ id: rid, op: "xxhash32", data: x.data, seed: x.seed });
    checks.push((m) => assert.deepEqual(m.get(rid), { id: rid, result: "ok", hash: x.hash }));
  }
  for (const x of prims.varint.valid) {
    const e = ++id, d = ++id;
    reqs.push({ id: e, op: "varint_encode", value: x.value });
    reqs.push({ id: d, op: "varint_decode", data: x.data + "ff", field: x.field });
    checks.push((m) => assert.deepEqual(m.get(e), { id: e, result: "ok", data: x.data }));
    checks.push((m) =>
      assert.deepEqual(m.get(d), { id: d, result: "ok", value: x.value, length: x.data.length / 2 })
    );
  }
  for (const x of prims.varint.invalid) {
    const rid = ++id;
    reqs.push({ id: rid, op: "varint_decode", data: x.data, field: x.field });
    checks.push((m) => {
      assert.equal(m.get(rid)!.result, "error");
      assert.equal(m.get(rid)!.errorClass, x.errorClass, x.data);
    });
  }
  const m = await runTestee(reqs);
  for (const c of checks) c(m);
});

Deno.test("testee: hello, unsupported ops and profiles, malformed requests", async () => {
  const m = await runTestee([
    { id: 1, op: "hello" },
    { id: 2, op: "no_such_op" },
    { id: 3, op: "decode_frame", profile: "v0", key: "", frame: "ff00" },
    { id: 4, op: "decode_frame", profile: "legacy", key: "", frame: "zz" },
    { id: 5, op: "encode_frame", profile: "legacy", key: "", gossip: {}, payload: "" },
    { id: 6, op: "varint_encode", value: 2 ** 53 },
    {
      id: 7,
      op: "encode_frame",
      profile: "legacy",
      key: "",
      padding: "00".repeat(32),
      typeTag: 1,
      payload: "",
      gossip: { current: { ip: "::1", port: 1, seqno: 1 } },
    },
  ]);
  const hello = m.get(1)!;
  assert.equal(hello.result, "ok");
  assert.equal(typeof hello.impl, "string");
  assert.ok((hello.profiles as string[]).includes("legacy"));
  for (
    const op of [
      "hello",
      "decode_frame",
      "encode_frame",
      "xxhash32",
      "varint_encode",
      "varint_decode",
    ]
  ) {
    assert.ok((hello.ops as string[]).includes(op), op);
  }
  assert.equal(m.get(2)!.result, "unsupported");
  assert.equal(m.get(3)!.result, "unsupported");
  assert.deepEqual([m.get(4)!.result, m.get(4)!.errorClass], ["error", "BAD_REQUEST"]);
  assert.deepEqual([m.get(5)!.result, m.get(5)!.errorClass], ["error", "BAD_REQUEST"]);
  assert.deepEqual([m.get(6)!.result, m.get(6)!.errorClass], ["error", "BAD_INPUT"]);
  assert.deepEqual([m.get(7)!.result, m.get(7)!.errorClass], ["error", "BAD_INPUT"]);
});
