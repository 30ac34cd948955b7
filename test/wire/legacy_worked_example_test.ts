// [R-FRAME-001] [R-ENV-001..005] [R-CRYPT-001..003]: the worked example produced by Elixir
// Chatter 0.0.15, reproduced byte for byte in both directions.
import assert from "node:assert/strict";
import { decodeLegacyFrame, encodeLegacyFrameLayers, typeTag } from "../../src/wire/mod.ts";
import { hex, unhex } from "../_helpers/hex.ts";

const key = new TextEncoder().encode("01234567890123456789012345678912");
const gossip = {
  current: { ip: "127.0.0.1", port: 29999, seqno: 1 },
  seen: [],
  other: [],
  distribution: [{ ip: "127.0.0.1", port: 30001 }, { ip: "127.0.0.1", port: 30002 }],
};
const FRAME =
  "ff47aa38455f42e74fdcfb5a0c75f7883e8dbc383ade7ca75c8d62f40483495d99fcee0b984ff1cca4d19686036571177c6fd039bcb8e1b9dc00167001e5dcd3967d6ec25b926d5a84";

Deno.test("legacy worked example: encoder reproduces 0.0.15's frame byte for byte", () => {
  const layers = encodeLegacyFrameLayers({
    key,
    padding: unhex("2a7327802f5c6c9f28f14e17835d0dd3a889b715eb871e143854d2f7d735d08a"),
    gossip,
    typeName: "hello",
    payload: new TextEncoder().encode("world"),
  });
  assert.equal(
    hex(layers.gossip),
    "037f000001752f7f00000175317f000001753200010000020102f9ef81d80f776f726c64",
  );
  assert.equal(layers.checksum, 0x293f6e9f);
  assert.equal(
    hex(layers.compressed),
    "2418037f000001752f050600310506443200010000020102f9ef81d80f776f726c64",
  );
  assert.equal(hex(layers.frame), FRAME);
});

Deno.test("legacy worked example: decoder reads 0.0.15's frame", () => {
  const f = decodeLegacyFrame(unhex(FRAME), key);
  assert.deepEqual(f.gossip, gossip);
  assert.equal(f.typeTag, typeTag("hello"));
  assert.equal(f.typeTag, 0xfb0077f9);
  assert.equal(new TextDecoder().decode(f.payload), "world");
});
