// Every golden vector through the library, both directions: valid frames are reproduced byte
// for byte from their inputs (with every intermediate layer) and decode back to the inputs;
// invalid frames are rejected with exactly the declared DecodeError code. Each vector names
// the requirements it checks in its `reqs`; every tag it names is defined in spec/wire.md.
import assert from "node:assert/strict";
import {
  DecodeError,
  decodeLegacyFrame,
  encodeLegacyFrameLayers,
  typeTag,
} from "../../src/wire/mod.ts";
import { hex, legacyInputFromJson, unhex } from "../../vectors/json.ts";
import type { LegacyVector } from "../../vectors/legacy_cases.ts";

const file = JSON.parse(
  await Deno.readTextFile(new URL("../../vectors/legacy.json", import.meta.url)),
) as { cases: LegacyVector[] };
const spec = await Deno.readTextFile(new URL("../../spec/wire.md", import.meta.url));

for (const v of file.cases) {
  Deno.test(`vector ${v.id} (${v.reqs.join(" ")}): ${v.result}`, () => {
    for (const r of v.reqs) {
      assert.ok(spec.includes(`[${r}]`), `${r} is not defined in spec/wire.md`);
    }
    const key = unhex(v.inputs.key);
    if (v.result === "valid") {
      const input = legacyInputFromJson(v.inputs as unknown as Record<string, unknown>);
      const layers = encodeLegacyFrameLayers(input);
      assert.equal(hex(layers.gossip), v.layers.gossip);
      assert.equal(layers.checksum.toString(16).padStart(8, "0"), v.layers.checksum);
      assert.equal(hex(layers.compressed), v.layers.compressed);
      assert.equal(hex(layers.plaintext), v.layers.plaintext);
      assert.equal(hex(layers.frame), v.frame);
      if (v.inputs.typeName !== null) assert.equal(typeTag(v.inputs.typeName), v.inputs.typeTag);
      const d = decodeLegacyFrame(unhex(v.frame), key);
      assert.deepEqual(d.gossip, v.inputs.gossip);
      assert.equal(d.typeTag, v.inputs.typeTag);
      assert.equal(hex(d.payload), v.inputs.payload);
      for (const id of v.inputs.extraNetIds) {
        assert.ok(
          d.table.some((t) => t.ip === id.ip && t.port === id.port),
          `${id.ip}:${id.port} in table`,
        );
      }
    } else {
      assert.throws(
        () => decodeLegacyFrame(unhex(v.frame), key),
        (e) => e instanceof DecodeError && e.code === v.errorClass,
        `expected DecodeError ${v.errorClass}`,
      );
    }
  });
}
