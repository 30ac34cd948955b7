/**
 * The Python port's membership ops (conformance/ports/python/membership.py, written from
 * spec/membership.md alone) agree with the Deno testee beyond the golden vectors: random
 * merges (ties, overlaps, IPv6 members, invalid Messages), encodes and decodes of intact and
 * corrupted payloads, reply for reply (`detail` aside). Reported as ignored (with the reason)
 * when Debian's python3 or its modules are missing; .ci/run installs them.
 */

import { deepStrictEqual as eq, ok } from "node:assert/strict";
import { hex } from "../../conformance/runner/hex.ts";

import { named, PYTHON as PY, pythonMissing } from "../_helpers/requires.ts";

/** All requests in one write, all replies read (spec/testee.md [R-TESTEE-003]). */
async function session(cmd: string, args: string[], reqs: unknown[]): Promise<unknown[]> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const output = child.output();
  const w = child.stdin.getWriter();
  await w.write(
    new TextEncoder().encode(
      reqs.map((r, i) => JSON.stringify({ id: i, ...r as object })).join("\n") + "\n",
    ),
  );
  await w.close();
  const out = await output;
  ok(out.success, `${cmd} exited with ${out.code}`);
  return new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => {
    const r = JSON.parse(l);
    delete r.detail;
    return r;
  });
}

let seed = 7;
const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 8) % n;

const MEMBERS = [
  { ip: "10.0.0.1", port: 4000 },
  { ip: "10.0.0.1", port: 3999 },
  { ip: "10.0.0.2", port: 4000 },
  { ip: "fe80::1", port: 4000 },
];

function message(invalid: boolean): unknown {
  const items = [];
  for (let i = rnd(5); i > 0; i--) {
    const member = MEMBERS[rnd(MEMBERS.length)];
    const start = rnd(30);
    items.push({
      item: {
        member,
        op: rnd(2) ? "add" : "rmv",
        start,
        end: start + rnd(15),
        priority: rnd(3),
      },
      clock: { member, time: 1 + rnd(3) },
    });
  }
  const clock = [];
  for (let i = rnd(3); i > 0; i--) {
    clock.push({ member: MEMBERS[rnd(MEMBERS.length)], time: rnd(5) });
  }
  if (invalid && items.length) {
    const it = items[0] as { item: Record<string, unknown>; clock: Record<string, unknown> };
    [
      () => (it.item.start = 99),
      () => (it.item.op = "del"),
      () => (it.clock.time = 2 ** 32),
      () => (it.clock.member = { ip: "10.9.9.9", port: 1 }),
      () => (it.item.priority = "1"), // wrong JSON type: BAD_REQUEST
      () => (it.item.member = { ip: "10.0.0.300", port: 1 }),
    ][rnd(6)]();
  }
  return { clock, items };
}

const NO_PYTHON = await pythonMissing(["cryptography", "snappy", "xxhash"]);

Deno.test({
  name: named("python port: membership ops agree with the Deno testee on random inputs", NO_PYTHON),
  ignore: NO_PYTHON !== undefined,
}, async () => {
  const reqs: unknown[] = [];
  for (let k = 0; k < 300; k++) {
    const msgs = [];
    for (let i = 1 + rnd(4); i > 0; i--) msgs.push(message(rnd(10) === 0));
    reqs.push({ op: "membership_merge", messages: msgs });
    reqs.push({
      op: "membership_encode",
      message: msgs[0],
      table: rnd(2) ? [MEMBERS[rnd(MEMBERS.length)], { ip: "10.0.0.0", port: 1 }] : [],
    });
  }
  // Encode with the Deno testee, then decode each payload intact and corrupted on both sides.
  const deno = [Deno.execPath(), ["run", "--allow-read", "conformance/testee.ts"]] as const;
  const encoded = await session(deno[0], [...deno[1]], reqs) as Record<string, unknown>[];
  const decodes: unknown[] = [];
  for (const r of encoded) {
    if (r.result !== "ok" || typeof r.payload !== "string") continue;
    const p = Uint8Array.from((r.payload.match(/../g) ?? []).map((b) => parseInt(b, 16)));
    decodes.push({ op: "membership_decode", payload: r.payload, table: r.table });
    for (let j = 0; j < 3; j++) {
      const q = p.slice();
      if (q.length && rnd(2)) q[rnd(q.length)] = rnd(256);
      const cut = rnd(3) === 0 ? q.subarray(0, rnd(q.length + 1)) : q;
      const tail = rnd(4) === 0 ? new Uint8Array([rnd(256)]) : new Uint8Array(0);
      decodes.push({ op: "membership_decode", payload: hex(cut) + hex(tail), table: r.table });
    }
  }
  const all = [...reqs, ...decodes];
  const [a, b] = await Promise.all([
    session(deno[0], [...deno[1]], all),
    session(PY, ["conformance/ports/python/testee.py"], all),
  ]);
  eq(b.length, all.length);
  const codes = new Set<string>();
  for (let i = 0; i < all.length; i++) {
    eq(b[i], a[i], `request ${JSON.stringify(all[i])}`);
    const r = a[i] as Record<string, unknown>;
    codes.add(r.result === "ok" ? "ok" : String(r.errorClass));
  }
  // The inputs reach success and several distinct rejections on both sides.
  for (const c of ["ok", "BAD_INPUT", "BAD_REQUEST", "TRUNCATED", "MEMBERSHIP_NOT_CANONICAL"]) {
    ok(codes.has(c), `no ${c} among ${[...codes]}`);
  }
});
