/** [R-V2-COMP-001] the encoder's optional minimum compression saving. */
import assert from "node:assert/strict";
import { decodeV2Frame } from "../../../src/wire/v2/decoder.ts";
import { encodeV2FrameLayers } from "../../../src/wire/v2/encoder.ts";
import { typeTag } from "../../../src/wire/xxhash32.ts";
import { V2Keyring } from "../../../src/wire/v2/keyring.ts";

Deno.test("[R-V2-COMP-001] minCompressionSaving: a block saving less than asked is not used", () => {
  const keyring = V2Keyring.single(new Uint8Array(32));
  const me = { ip: "10.0.0.1", port: 1, seqno: 1 };
  // Half random, half zeros: snappy saves a bit under half of the body.
  const payload = new Uint8Array(2000);
  crypto.getRandomValues(payload.subarray(0, 1000));
  const input = {
    keyring,
    label: "",
    salt: new Uint8Array(16),
    counter: 0n,
    gossip: { current: me, seen: [], other: [], distribution: [] },
    records: [{ typeTag: typeTag("x"), origin: me, payload }],
  };
  const a = encodeV2FrameLayers(input);
  const b = encodeV2FrameLayers({ ...input, minCompressionSaving: 0.3 });
  const c = encodeV2FrameLayers({ ...input, minCompressionSaving: 0.6 });
  assert.equal(a.compressed, true);
  assert.equal(b.compressed, true);
  assert.equal(c.compressed, false);
  assert.equal(c.plaintext.length, c.body.length);
  for (const l of [a, b, c]) {
    const back = decodeV2Frame(l.frame, { keyring, label: "" }).records[0].payload;
    assert.deepEqual(new Uint8Array(back), payload);
  }
});
