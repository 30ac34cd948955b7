// [R-ERR-005] Every decode error code the legacy profile raises is tied to a requirement that
// spec/wire.md defines, and the spec's error table lists the same code with the same tag.
import assert from "node:assert/strict";
import { DECODE_ERROR_REQUIREMENTS, DecodeError } from "../../src/wire/mod.ts";

const spec = await Deno.readTextFile(new URL("../../spec/wire.md", import.meta.url));

Deno.test("every non-v2 DecodeError code's requirement is defined in spec/wire.md and tabled", () => {
  for (const [code, req] of Object.entries(DECODE_ERROR_REQUIREMENTS)) {
    if (req.startsWith("R-V2-") || req.startsWith("R-MEM-")) continue; // other specs

    assert.ok(spec.includes(`[${req}]`), `${req} (${code}) not defined`);
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
