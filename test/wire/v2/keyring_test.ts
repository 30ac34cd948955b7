import { InvalidValueError } from "../../../src/errors.ts";
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  DecodeError,
  decodeV2Frame,
  encodeV2Frame,
  typeTag,
  V2Decoder,
  V2Keyring,
} from "../../../src/wire/mod.ts";
import { V2SessionKeys } from "../../../src/wire/v2/session_keys.ts";

const k = (b: number) => new Uint8Array(32).fill(b);
const me = { ip: "10.0.0.1", port: 9, seqno: 1 };
const base = {
  salt: new Uint8Array(16).fill(5),
  counter: 1n,
  gossip: { current: me, seen: [], other: [], distribution: [] },
  records: [{ typeTag: typeTag("t"), origin: me, payload: new Uint8Array([1]) }],
};

function code(f: () => unknown): string {
  try {
    f();
    return "ok";
  } catch (e) {
    if (e instanceof DecodeError) return e.code;
    throw e;
  }
}

Deno.test("keyring: primary, secondary, rotation, unknown ids [R-V2-KEY-001..003]", () => {
  const sender = new V2Keyring([{ id: 1, key: k(1) }]);
  const rx = new V2Keyring([{ id: 1, key: k(1) }, { id: 2, key: k(2) }], 1);
  const f1 = encodeV2Frame({ ...base, keyring: sender, label: "" });
  strictEqual(f1[4], 1);
  strictEqual(code(() => decodeV2Frame(f1, { keyring: rx, label: "" })), "ok");
  // Rotation: the sender adds key 2 and makes it primary; the receiver already accepts it.
  sender.add(2, k(2));
  sender.setPrimary(2);
  const f2 = encodeV2Frame({ ...base, keyring: sender, label: "" });
  strictEqual(f2[4], 2);
  strictEqual(code(() => decodeV2Frame(f2, { keyring: rx, label: "" })), "ok");
  // The receiver retires key 1: old frames are now from an unknown key id.
  rx.setPrimary(2);
  rx.remove(1);
  strictEqual(code(() => decodeV2Frame(f1, { keyring: rx, label: "" })), "UNKNOWN_KEY_ID");
  deepStrictEqual(rx.ids(), [2]);
  throws(() => rx.remove(2), InvalidValueError);
  throws(() => new V2Keyring([]), InvalidValueError);
  throws(() => new V2Keyring([{ id: 1, key: new Uint8Array(31) }]), InvalidValueError);
  throws(() => new V2Keyring([{ id: 256, key: k(0) }]), InvalidValueError);
  throws(() => new V2Keyring([{ id: 1, key: k(0) }, { id: 1, key: k(1) }]), InvalidValueError);
  throws(() => new V2Keyring([{ id: 1, key: k(0) }], 3), InvalidValueError);
  throws(() => encodeV2Frame({ ...base, keyring: rx, keyId: 9, label: "" }), InvalidValueError);
});

Deno.test("keyring: a replaced key invalidates cached session keys [R-V2-SESSION-005]", () => {
  const ring = V2Keyring.single(k(1), 4);
  const cache = new V2SessionKeys(8);
  const f = encodeV2Frame({ ...base, keyring: ring, label: "x", sessionKeys: cache });
  strictEqual(
    code(() => decodeV2Frame(f, { keyring: ring, label: "x", sessionKeys: cache })),
    "ok",
  );
  ring.add(4, k(9));
  strictEqual(
    code(() => decodeV2Frame(f, { keyring: ring, label: "x", sessionKeys: cache })),
    "AUTH_FAILED",
  );
});

Deno.test("session key cache is bounded (LRU) and only remembers on request", () => {
  const cache = new V2SessionKeys(3);
  for (let i = 0; i < 10; i++) cache.get(k(1), 1, new Uint8Array(16).fill(i), "", i % 2 === 0);
  strictEqual(cache.size, 3);
  throws(() => new V2SessionKeys(0), InvalidValueError);
});

Deno.test("labels: frames never cross clusters that share a key [R-V2-LABEL-002]", () => {
  const ring = V2Keyring.single(k(7));
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (a, b) => {
      const f = encodeV2Frame({ ...base, keyring: ring, label: a });
      const got = code(() => decodeV2Frame(f, { keyring: ring, label: b }));
      strictEqual(got, a === b ? "ok" : "AUTH_FAILED");
    }),
    { numRuns: 200 },
  );
  throws(
    () => encodeV2Frame({ ...base, keyring: ring, label: "é".repeat(128) }),
    InvalidValueError,
  );
});

Deno.test("V2Decoder: a key replaced in the keyring is used at once for known sessions [R-V2-SESSION-005]", () => {
  const ring = V2Keyring.single(k(1), 4);
  const rx = new V2Decoder({ keyring: ring, label: "x" });
  strictEqual(code(() => rx.decode(encodeV2Frame({ ...base, keyring: ring, label: "x" }))), "ok");
  ring.add(4, k(9));
  const next = { ...base, counter: 2n, keyring: ring, label: "x" };
  strictEqual(code(() => rx.decode(encodeV2Frame(next))), "ok");
  const old = V2Keyring.single(k(1), 4);
  strictEqual(
    code(() => rx.decode(encodeV2Frame({ ...next, counter: 3n, keyring: old }))),
    "AUTH_FAILED",
  );
});
