/** v2 keys as the node takes them (spec/node.md R-NODE-KEY-002..006). */
import assert from "node:assert/strict";
import fc from "fast-check";
import { generateV2Key, KeyError, startNode } from "../../mod.ts";
import { parseKeyringText, parseV2Key, weakV2KeyReason } from "../../src/node/keys.ts";
import { DEFAULT_KEY, resolveNodeOptions } from "../../src/node/options.ts";

const invalid = (e: unknown) => e instanceof KeyError && e.code === "KEY_INVALID";

Deno.test("[R-NODE-KEY-002] a v2 key is 32 bytes as bytes, 64 hex digits or 44 base64 characters", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (b) => {
      fc.pre(weakV2KeyReason(b) === undefined);
      const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
      const b64 = btoa(String.fromCharCode(...b));
      const url = b64.replaceAll("+", "-").replaceAll("/", "_");
      for (const form of [b, hex, hex.toUpperCase(), ` ${hex}\n`, b64, url]) {
        assert.deepEqual(parseV2Key(form), b);
      }
    }),
    { numRuns: 300 },
  );
  for (
    const bad of [
      "",
      "short",
      "a text key of exactly 32 bytes!!", // 0.1's form
      "ab".repeat(31), // 31 bytes of hex
      "ab".repeat(33),
      "g".repeat(64),
      "A".repeat(43), // base64 without padding
      new Uint8Array(31),
      new Uint8Array(33),
    ]
  ) assert.throws(() => parseV2Key(bad), invalid, String(bad));
});

Deno.test("[R-NODE-KEY-003] weak keys are refused; random keys are not", () => {
  const weak: [Uint8Array, RegExp][] = [
    [new Uint8Array(32), /repeated byte/],
    [new Uint8Array(32).fill(0xff), /repeated byte/],
    [Uint8Array.from({ length: 32 }, (_, i) => i), /progression/],
    [Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 1) & 0xff), /progression/],
    [Uint8Array.from({ length: 32 }, (_, i) => i % 4), /distinct/],
    [new TextEncoder().encode(DEFAULT_KEY), /public default key/],
    [new TextEncoder().encode("01234567890123456789012345678912"), /public default key/],
    [new TextEncoder().encode("The quick brown fox jumps, 1234!"), /printable text/],
  ];
  for (const [k, why] of weak) {
    assert.match(weakV2KeyReason(k) ?? "", why);
    assert.throws(() => parseV2Key(k), (e: unknown) => invalid(e) && /keygen/.test(String(e)));
  }
  // 10,000 fresh random keys: none refused (the rules' false-positive rate is below 1e-13).
  for (let i = 0; i < 10_000; i++) {
    assert.equal(weakV2KeyReason(crypto.getRandomValues(new Uint8Array(32))), undefined);
  }
  assert.equal(parseV2Key(generateV2Key()).length, 32);
});

Deno.test("[R-NODE-KEY-002] [R-NODE-KEY-003] node options refuse text and weak v2 keys; legacy keeps text keys", async () => {
  await assert.rejects(
    () => startNode({ address: "127.0.0.1", port: 0, multicast: false, key: "k".repeat(32) }),
    invalid,
  );
  assert.throws(
    () => resolveNodeOptions({ address: "127.0.0.1", key: new Uint8Array(32) }),
    invalid,
  );
  assert.throws(
    () => resolveNodeOptions({ address: "127.0.0.1", keyring: [{ id: 1, key: "00".repeat(32) }] }),
    invalid,
  );
  // A legacy-only node takes 0.0.15's text keys as they are.
  const l = resolveNodeOptions({ address: "127.0.0.1", profile: "legacy", key: "any text" });
  assert.deepEqual(l.key, new TextEncoder().encode("any text"));
  // A v2 node given one key: the v2 side reads it as a v2 key (id 0).
  const hex = generateV2Key();
  const v = resolveNodeOptions({ address: "127.0.0.1", key: hex });
  assert.deepEqual(v.keyring, [{ id: 0, key: parseV2Key(hex) }]);
});

Deno.test("[R-NODE-KEY-005] keyring text: ids, one primary first, errors name the line", () => {
  const [a, b, c] = [generateV2Key(), generateV2Key(), generateV2Key("base64")];
  const r = parseKeyringText(`1 ${a}\n\n# old\n7 ${b} primary\n200 ${c}`);
  assert.deepEqual(r.keys.map((k) => k.id), [7, 1, 200]);
  assert.deepEqual(parseKeyringText(`5 ${a}`).keys.map((k) => k.id), [5]);
  for (
    const [text, why] of [
      ["", /no key/],
      [`1 ${a}\n1 ${b} primary`, /line 2: key id 1 twice/],
      [`256 ${a}`, /line 1: key id "256"/],
      [`1 ${a} primary\n2 ${b} primary`, /exactly one key "primary"/],
      [`1 ${a} main`, /line 1: expected/],
      [`1 ${"00".repeat(32)}`, /line 1: a weak key/],
    ] as const
  ) assert.throws(() => parseKeyringText(text), (e: unknown) => invalid(e) && why.test(String(e)));
});

Deno.test("[R-NODE-KEY-006] a legacy node on the public default key warns through its logger", async () => {
  const warned: string[] = [];
  const logger = { warn: (m: string) => void warned.push(m) };
  const n = await startNode({
    address: "127.0.0.1",
    port: 0,
    multicast: false,
    profile: "legacy",
    logger,
  });
  await n.close();
  assert.equal(warned.filter((m) => /public default key/.test(m)).length, 1);
  const quiet: string[] = [];
  const m = await startNode({
    address: "127.0.0.1",
    port: 0,
    multicast: false,
    profile: "legacy",
    key: "a private legacy key, not public",
    logger: { warn: (x: string) => void quiet.push(x) },
  });
  await m.close();
  assert.equal(quiet.length, 0);
});
