/**
 * The node's public surface (spec/node.md "Public surface"): one declaration of defaults,
 * typed message handles, reserved `chatter.sys.` names, send-time failures thrown at once and
 * asynchronous failures as events, on the deterministic in-memory network.
 */
import assert from "node:assert/strict";
import {
  bytesType,
  type ChatterNode,
  type DecodeErrorEvent,
  EncodeError,
  jsonType,
  MessageTypeError,
  NODE_DEFAULTS,
  NodeOptionError,
  type NodeOptions,
  type SendFailedEvent,
  startNode,
  textType,
  UnknownTypeError,
} from "../../mod.ts";
import { ManualClock } from "../../src/node/clock.ts";
import { MemoryNetwork } from "../../src/node/memory_transport.ts";
import { resolveNodeOptions } from "../../src/node/options.ts";
import { seededRandom } from "../../src/node/random.ts";
import { V2_REPLAY_WINDOW } from "../../src/wire/constants.ts";
import { registerSystemType } from "../../src/node/node.ts";

const KEY_A = "a".repeat(32);
const KEY_B = "b".repeat(32);

async function pair(
  a: Partial<NodeOptions> = {},
  b: Partial<NodeOptions> = {},
): Promise<{ net: MemoryNetwork; n: ChatterNode[]; close(): Promise<void> }> {
  const net = new MemoryNetwork({ random: seededRandom(7) });
  const clock = new ManualClock(1_700_000_000_000);
  const n: ChatterNode[] = [];
  for (const [i, o] of [a, b].entries()) {
    n.push(
      await startNode({
        address: "127.0.0.1",
        key: KEY_A,
        clock,
        random: seededRandom(i + 1),
        transport: net.transport({ id: { ip: `10.0.0.${i + 1}`, port: 4000 }, domain: `D${i}` }),
        // Frame counts below are of application traffic: no heartbeats.
        heartbeatMs: 0,
        ...o,
      }),
    );
  }
  return { net, n, close: async () => void await Promise.all(n.map((x) => x.close())) };
}

Deno.test("[R-NODE-OPT-002] defaults come from NODE_DEFAULTS; the replay window is the wire's", () => {
  const o = resolveNodeOptions({ address: "127.0.0.1", key: KEY_A });
  for (const [k, v] of Object.entries(NODE_DEFAULTS)) {
    assert.deepEqual((o as unknown as Record<string, unknown>)[k], v, `option ${k}`);
  }
  assert.equal(NODE_DEFAULTS.replayWindow, V2_REPLAY_WINDOW);
  assert.equal(V2_REPLAY_WINDOW, 1024);
  assert.throws(
    () => resolveNodeOptions({ key: KEY_A, replayWindow: 1000 }),
    (e) => e instanceof NodeOptionError && e.option === "replayWindow",
  );
  assert.throws(
    () => resolveNodeOptions({ key: KEY_A, dedup: "yes" as unknown as boolean }),
    (e) => e instanceof NodeOptionError && e.option === "dedup",
  );
  assert.throws(
    () => resolveNodeOptions({ key: KEY_A, logger: {} as never }),
    (e) => e instanceof NodeOptionError && e.option === "logger",
  );
});

Deno.test("[R-NODE-TYPE-001] a name registered twice, or a colliding tag, throws; the first handler stays", async () => {
  const c = await pair();
  try {
    const got: string[] = [];
    c.n[1].register(textType("chat", (t) => void got.push(t)));
    assert.throws(
      () => c.n[1].register(textType("chat", () => void got.push("second handler"))),
      (e) => e instanceof MessageTypeError && e.code === "TYPE_ALREADY_REGISTERED",
    );
    assert.throws(
      () =>
        c.n[1].register(
          { typeName: "", encode: (v: string) => v, decode: (b: Uint8Array) => b } as never,
        ),
      (e) => e instanceof NodeOptionError && e.code === "OPTION_INVALID",
    );
    const chat = c.n[0].register(textType("chat"));
    chat.broadcast([c.n[1].id], "hi");
    await c.net.settle();
    assert.deepEqual(got, ["hi"]);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-TYPE-001] the handle is typed: its messages() yields only its type", async () => {
  const c = await pair();
  try {
    const a = c.n[0].register(jsonType<{ n: number }>("a"));
    c.n[0].register(textType("b"));
    const aAt1 = c.n[1].register(jsonType<{ n: number }>("a"));
    const bAt1 = c.n[1].register(textType("b"));
    const onlyA = aAt1.messages();
    const all = c.n[1].messages();
    c.n[0].broadcast([c.n[1].id], "b", "text");
    a.broadcast([c.n[1].id], { n: 5 });
    await c.net.settle();
    const m = await onlyA.next();
    const n: number = m.value!.value.n; // typed: { n: number }
    assert.equal(n, 5);
    assert.equal((await all.next()).value?.value, "text");
    assert.deepEqual((await all.next()).value?.value, { n: 5 });
    assert.equal(bAt1.typeName, "b");
    await onlyA.return?.();
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-TYPE-002] chatter.sys. names are refused by register; system records stay internal", async () => {
  const c = await pair();
  try {
    assert.throws(
      () => c.n[0].register(textType("chatter.sys.ack")),
      (e) => e instanceof MessageTypeError && e.code === "TYPE_NAME_RESERVED",
    );
    const sys0 = registerSystemType(c.n[0], bytesType("chatter.sys.test"));
    const got: number[] = [];
    registerSystemType(c.n[1], bytesType("chatter.sys.test", (b) => void got.push(b[0])));
    c.n[1].register(textType("chat"));
    assert.throws(
      () => c.n[0].broadcast([c.n[1].id], "chatter.sys.test", new Uint8Array([1])),
      UnknownTypeError,
    );
    const all = c.n[1].messages();
    sys0.broadcast([c.n[1].id], new Uint8Array([9]));
    await c.net.settle();
    assert.deepEqual(got, [9], "the system handler ran");
    c.n[0].register(textType("chat")).broadcast([c.n[1].id], "after");
    await c.net.settle();
    assert.equal((await all.next()).value?.value, "after", "the node-wide iterator skipped it");
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-SEND-001] a value its type cannot encode throws ENCODE_FAILED at once; nothing is sent", async () => {
  const c = await pair();
  try {
    const chat = c.n[0].register(textType("chat"));
    c.n[0].register(jsonType("j"));
    c.n[0].register(bytesType("raw"));
    const bad: [string, unknown][] = [
      ["chat", 42],
      ["j", undefined],
      ["j", 10n],
      ["raw", "not bytes"],
    ];
    for (const [type, v] of bad) {
      assert.throws(
        () => c.n[0].broadcast([c.n[1].id], type, v),
        (e) => e instanceof EncodeError && e.code === "ENCODE_FAILED" && e.typeName === type,
        `${type} ${String(v)}`,
      );
    }
    assert.throws(() => chat.broadcast([c.n[1].id], 42 as unknown as string), EncodeError);
    assert.throws(
      () => c.n[0].broadcast(["not an address"], "chat", "x"),
      (e) => e instanceof NodeOptionError && e.option === "destination",
    );
    await c.net.settle();
    const s = c.n[0].stats();
    assert.equal(s.broadcasts, 0);
    assert.equal(s.tcp.framesOut + s.udp.framesOut, 0);
    assert.equal(s.handlerErrors, 0);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-SEND-002] a payload no frame can carry throws MESSAGE_TOO_LARGE; one that fits is delivered", async () => {
  const c = await pair({ limits: { maxFrameBytes: 200_000, maxUncompressedBytes: 200_000 } }, {
    limits: { maxFrameBytes: 200_000, maxUncompressedBytes: 200_000 },
  });
  try {
    const raw = c.n[0].register(bytesType("raw"));
    const got: number[] = [];
    c.n[1].register(bytesType("raw", (b) => void got.push(b.length)));
    const huge = new Uint8Array(200_001);
    assert.throws(
      () => raw.broadcast([c.n[1].id], huge),
      (e) => e instanceof EncodeError && e.code === "MESSAGE_TOO_LARGE",
    );
    const fits = new Uint8Array(150_000);
    crypto.getRandomValues(fits.subarray(0, 60_000));
    crypto.getRandomValues(fits.subarray(60_000, 120_000));
    raw.broadcast([c.n[1].id], fits);
    await c.net.settle();
    assert.deepEqual(got, [150_000]);
    assert.deepEqual(c.n[1].stats().decodeErrors, {});
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-SEND-003] an unreachable destination is a sendFailed event; the logger hears it", async () => {
  const warned: string[] = [];
  const c = await pair({ logger: { warn: (m) => void warned.push(m) } });
  try {
    const chat = c.n[0].register(textType("chat"));
    const failed: SendFailedEvent[] = [];
    c.n[0].on("sendFailed", (e) => void failed.push(e));
    chat.broadcast(["10.9.9.9:1"], "into the void");
    await c.net.settle();
    assert.equal(failed.length, 1);
    assert.deepEqual(failed[0].to, { ip: "10.9.9.9", port: 1 });
    assert.equal(failed[0].error.code, "SEND_FAILED");
    assert.equal(warned.length, 1);
    assert.match(warned[0], /^chatter sendFailed/);
  } finally {
    await c.close();
  }
});

for (
  const [what, a, code] of [
    ["a wrong key", { key: KEY_B }, "AUTH_FAILED"],
    ["an unknown key id", { key: undefined, keyring: [{ id: 7, key: KEY_A }] }, "UNKNOWN_KEY_ID"],
  ] as [string, Partial<NodeOptions>, string][]
) {
  Deno.test(`[R-NODE-SEND-003] frames sealed with ${what} reach decodeError as ${code}`, async () => {
    const c = await pair(a);
    try {
      c.n[0].register(textType("chat")).broadcast([c.n[1].id], "hi");
      const errs: DecodeErrorEvent[] = [];
      c.n[1].on("decodeError", (e) => void errs.push(e));
      let delivered = 0;
      c.n[1].register(textType("chat", () => void delivered++));
      await c.net.settle();
      assert.equal(delivered, 0);
      assert.deepEqual(errs.map((e) => e.error.code), [code]);
      assert.equal(c.n[1].stats().decodeErrors[code], 1);
    } finally {
      await c.close();
    }
  });
}

Deno.test("[R-NODE-ADDR-001] IPv6 addresses: canonical, multicast off or an IPv4 interface, not legacy", () => {
  const o = resolveNodeOptions({ address: "0:0::1", multicast: false, key: KEY_A });
  assert.equal(o.address, "::1");
  const i = resolveNodeOptions({ address: "::1", multicastInterface: "127.0.0.1", key: KEY_A });
  assert.equal(i.multicastInterface, "127.0.0.1");
  assert.throws(
    () => resolveNodeOptions({ address: "::1", key: KEY_A }),
    (e) => e instanceof NodeOptionError && e.option === "multicast",
  );
  assert.throws(
    () => resolveNodeOptions({ address: "::1", multicast: false, profile: "legacy" }),
    (e) => e instanceof NodeOptionError && e.option === "address",
  );
});
