// [R-ERR-005] Every decode error code the legacy profile raises is tied to a requirement that
// spec/wire.md defines, and the spec's error table lists the same code with the same tag.
import assert from "node:assert/strict";
import { DECODE_ERROR_REQUIREMENTS, DecodeError } from "../../src/wire/mod.ts";

const spec = await Deno.readTextFile(new URL("../../spec/wire.md", import.meta.url));

Deno.test("every DecodeError code is in the spec's error table with its tag; legacy tags are defined", () => {
  for (const [code, req] of Object.entries(DECODE_ERROR_REQUIREMENTS)) {
    if (req.startsWith("R-MEM-")) continue; // spec/membership.md, checked in test/membership
    if (!req.startsWith("R-V2-")) {
      assert.ok(spec.includes(`[${req}]`), `${req} (${code}) not defined`);
    }
    assert.match(
      spec,
      new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${req}\\s*\\|`),
      `${code} not tabled with ${req}`,
    );
  }
});

Deno.test("DecodeError carries code, offset, layer and the requirement", () => {
  const e = new DecodeError("CHECKSUM_MISMATCH", 32, "detail", "plaintext");
  assert.equal(e.requirement, "R-ENV-004");
  assert.equal(e.offset, 32);
  assert.equal(e.layer, "plaintext");
  assert.match(e.message, /CHECKSUM_MISMATCH at plaintext offset 32: detail/);
});

Deno.test("[R-ERR-004] decode errors carry the offset and a detail naming the bad value", async () => {
  const { decodeLegacyFrame } = await import("../../src/wire/mod.ts");
  const { unhex } = await import("../../vectors/json.ts");
  const v = JSON.parse(
    await Deno.readTextFile(new URL("../../vectors/legacy.json", import.meta.url)),
  ).cases as { id: string; frame: string; inputs: { key: string } }[];
  const get = (id: string) => {
    const c = v.find((x) => x.id === id)!;
    try {
      decodeLegacyFrame(unhex(c.frame), unhex(c.inputs.key));
    } catch (e) {
      return e as DecodeError;
    }
    throw new Error(`${id} decoded`);
  };
  const cs = get("legacy.env.checksum-mismatch");
  assert.deepEqual([cs.offset, cs.layer], [32, "plaintext"]);
  assert.match(cs.message, /0x[0-9a-f]{8}.*0x[0-9a-f]{8}/);
  const big = get("legacy.limit.frame-too-large");
  assert.deepEqual([big.offset, big.layer], [1, "frame"]);
  assert.match(big.message, /1048577/);
  const trailing = get("legacy.transport.trailing-byte");
  assert.equal(trailing.offset, 73);
  const ref = get("legacy.gossip.current-ref-out-of-range");
  assert.equal(ref.layer, "gossip");
  assert.match(ref.message, /reference 6 .* 6 entries/);
});
