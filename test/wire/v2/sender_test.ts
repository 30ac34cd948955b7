import { InvalidValueError } from "../../../src/errors.ts";
import { deepStrictEqual, notDeepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  decodeV2Frame,
  typeTag,
  V2_MAX_COUNTER,
  V2Decoder,
  V2Keyring,
  V2Sender,
} from "../../../src/wire/mod.ts";

const keyring = V2Keyring.single(new Uint8Array(32).fill(1));
const me = { ip: "::1", port: 9, seqno: 1 };
const input = {
  keyring,
  label: "s",
  gossip: { current: me, seen: [], other: [], distribution: [] },
  records: [{ typeTag: typeTag("t"), origin: me, payload: new Uint8Array([1]) }],
};

Deno.test("sender: counter starts at 0 and grows by one; salt from the injected source [R-V2-SESSION-001,003]", () => {
  let n = 0;
  const tx = new V2Sender({ random: (len) => new Uint8Array(len).fill(++n) });
  deepStrictEqual([...tx.salt], new Array(16).fill(1));
  const rx = new V2Decoder({ keyring, label: "s" });
  for (let i = 0n; i < 5n; i++) {
    strictEqual(rx.decode(tx.encode(input)).counter, i);
  }
  strictEqual(tx.counter, 5n);
  tx.rekey();
  deepStrictEqual([...tx.salt], new Array(16).fill(2));
  strictEqual(tx.counter, 0n);
  strictEqual(rx.decode(tx.encode(input)).counter, 0n); // new session: fresh
});

Deno.test("sender: the counter never wraps; encode starts a new session [R-V2-SESSION-004]", () => {
  const tx = new V2Sender({ firstCounter: V2_MAX_COUNTER });
  const salt1 = tx.salt;
  const last = decodeV2Frame(tx.encode(input), { keyring, label: "s" });
  strictEqual(last.counter, V2_MAX_COUNTER);
  throws(() => tx.next(), RangeError);
  const next = decodeV2Frame(tx.encode(input), { keyring, label: "s" });
  strictEqual(next.counter, 0n);
  notDeepStrictEqual([...next.salt], [...salt1]);
  throws(() => new V2Sender({ random: () => new Uint8Array(15) }), InvalidValueError);
});
