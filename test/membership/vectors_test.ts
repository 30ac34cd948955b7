// [R-MEM-020..029] [R-MEM-009] [R-MEM-011..013]: vectors/membership.json is in sync with its
// declared inputs, every case passes through the testee ops as a port would run it, and a few
// cases are checked against bytes and results worked out by hand from the spec.
import assert from "node:assert/strict";
import { MEMBERSHIP_OPS } from "../../conformance/testee/ops_membership.ts";
import { errorReply } from "../../conformance/testee/server.ts";
import { MEMBERSHIP_SUITE } from "../../vectors/membership_suite.ts";
import { renderSuite } from "../../vectors/suite.ts";

const FILE = new URL("../../vectors/membership.json", import.meta.url);
const text = await Deno.readTextFile(FILE);
const cases = JSON.parse(text).cases as Record<string, any>[];
const byId = new Map(cases.map((c) => [c.id, c]));

Deno.test("vectors/membership.json is what the suite generates from its declared inputs", () => {
  assert.equal(renderSuite(MEMBERSHIP_SUITE), text, "run deno task vectors");
});

Deno.test("[R-MEM-041] [R-MEM-042] [R-MEM-043] every membership vector passes through the testee ops", async () => {
  const op = async (name: string, req: Record<string, unknown>) => {
    try {
      return await MEMBERSHIP_OPS.ops[name]({ id: 1, op: name, ...req });
    } catch (e) {
      return errorReply(e);
    }
  };
  let n = 0;
  for (const c of cases) {
    if (c.op === "membership_decode" && c.result === "valid") {
      const enc = await op("membership_encode", c.inputs);
      assert.equal(enc.result, "ok", c.id);
      assert.equal(enc.payload, c.payload, c.id);
      assert.deepEqual(enc.table, c.table, c.id);
      const dec = await op("membership_decode", { payload: c.payload, table: c.table });
      assert.deepEqual(dec, { result: "ok", message: c.decoded }, c.id);
      // The decoded message encodes to the same bytes (canonical, [R-MEM-025]).
      const again = await op("membership_encode", { message: c.decoded, table: c.table });
      assert.equal(again.payload, c.payload, c.id);
    } else if (c.op === "membership_decode") {
      const r = await op("membership_decode", { payload: c.payload, table: c.table });
      assert.equal(r.result, "error", c.id);
      assert.equal(r.errorClass, c.errorClass, c.id);
    } else if (c.result === "valid") {
      const r = await op("membership_merge", { messages: c.messages });
      assert.deepEqual(r, { result: "ok", message: c.merged, view: c.view }, c.id);
      const rev = await op("membership_merge", { messages: [...c.messages].reverse() });
      assert.deepEqual(rev, r, `${c.id} reversed`);
    } else {
      const r = await op("membership_merge", { messages: c.messages });
      assert.equal(r.result, "error", c.id);
      assert.equal(r.errorClass, "BAD_INPUT", c.id);
    }
    n++;
  }
  assert.equal(n, 41);
});

Deno.test("hand-checked vectors: the §5.1 example bytes, tie-breaks, the view", () => {
  assert.equal(byId.get("membership/payload/empty")!.payload, "00");
  assert.equal(byId.get("membership/payload/one-item")!.payload, "010001010063000501");
  // table: 9.9.9.9:1, 10.0.0.1:4000, 10.0.0.2:4000, 127.0.0.1:29999, fe80::1:4000
  assert.equal(
    byId.get("membership/payload/shared-table")!.payload,
    "03" + "01" + "04" + "01" + "00" + "63" + "00" + "05" + "01" + // 10.0.0.1: [0,99] add 5 @1
      "02" + "09" + "01" + "07" + "07" + "01" + "00" + "09" + // 10.0.0.2: [7,7] rmv @9
      "04" + "02" + "01" + "0a" + "14" + "00" + "01" + "02", // fe80::1: [10,20] add 1 @2
  );
  const items = (id: string) =>
    byId.get(id)!.merged.items.map((t: any) => [t.item.op, t.item.priority, t.clock.time]);
  assert.deepEqual(items("membership/merge/later-wins"), [["rmv", 0, 2]]);
  assert.deepEqual(items("membership/merge/tie-rmv-wins"), [["rmv", 0, 3]]);
  assert.deepEqual(items("membership/merge/tie-priority"), [["add", 9, 3]]);
  const view = byId.get("membership/merge/view-overlap")!.view.map((s: any) => [
    s.start,
    s.end,
    s.servers.map((x: any) => `${x.member.ip}/${x.priority}`).join(" "),
  ]);
  assert.deepEqual(view, [
    [0, 499, "10.0.0.1/1 fe80::1/0"],
    [500, 599, "10.0.0.2/9 10.0.0.1/1 fe80::1/0"],
    [600, 649, "10.0.0.2/9 fe80::1/0"],
    [650, 650, "10.0.0.1/9 10.0.0.2/9 fe80::1/0"],
    [651, 699, "10.0.0.2/9 fe80::1/0"],
    [700, 999, "10.0.0.2/9 10.0.0.1/1 fe80::1/0"],
    [1000, 1999, "10.0.0.2/9 fe80::1/0"],
    [2000, 4294967295, "fe80::1/0"],
  ]);
  assert.deepEqual(
    byId.get("membership/merge/view-adjacent-equal")!.view.map((s: any) => [s.start, s.end]),
    [[0, 19]],
  );
});

Deno.test("[R-MEM-040] testee errors: wrong JSON types are BAD_REQUEST, invalid values BAD_INPUT", async () => {
  const run = async (name: string, req: Record<string, unknown>) => {
    try {
      return await MEMBERSHIP_OPS.ops[name]({ id: 1, op: name, ...req });
    } catch (e) {
      return errorReply(e);
    }
  };
  const m = { ip: "10.0.0.1", port: 1 };
  const item = (f: Record<string, unknown>) => ({
    clock: [],
    items: [{
      item: { member: m, op: "add", start: 0, end: 1, priority: 0, ...f },
      clock: { member: m, time: 1 },
    }],
  });
  const cls = async (name: string, req: Record<string, unknown>) =>
    (await run(name, req)).errorClass;
  assert.equal(await cls("membership_merge", { messages: "x" }), "BAD_REQUEST");
  assert.equal(await cls("membership_merge", { messages: [item({ start: "0" })] }), "BAD_REQUEST");
  assert.equal(
    await cls("membership_merge", { messages: [{ clock: [], items: [{ item: {} }] }] }),
    "BAD_REQUEST",
  );
  assert.equal(
    await cls("membership_encode", { message: { clock: [{ member: "a:1", time: 1 }], items: [] } }),
    "BAD_REQUEST",
  );
  assert.equal(await cls("membership_decode", { payload: "zz", table: [] }), "BAD_REQUEST");
  assert.equal(
    await cls("membership_decode", { payload: "00", table: [{ ip: 1 }] }),
    "BAD_REQUEST",
  );
  assert.equal(
    await cls("membership_merge", { messages: [item({ start: 2 ** 32, end: 2 ** 32 })] }),
    "BAD_INPUT",
  );
  assert.equal(await cls("membership_merge", { messages: [item({ op: "del" })] }), "BAD_INPUT");
  assert.equal(
    await cls("membership_merge", { messages: [item({ member: { ip: "300.0.0.1", port: 1 } })] }),
    "BAD_INPUT",
  );
  assert.equal((await run("membership_merge", { messages: [] })).result, "ok");
});
