// The committed vector files are exactly what the generator builds from the declared cases
// (so a change to the codec or to a case cannot silently leave stale vectors behind).
import assert from "node:assert/strict";
import { renderSuite } from "../../vectors/suite.ts";
import { SUITES } from "../../vectors/suites.ts";

for (const suite of SUITES) {
  Deno.test(`vectors/${suite.file} is identical to a fresh in-memory generation`, async () => {
    const committed = await Deno.readTextFile(
      new URL(`../../vectors/${suite.file}`, import.meta.url),
    );
    const fresh = renderSuite(suite);
    assert.ok(committed === fresh, `vectors/${suite.file} is stale: run deno task vectors`);
  });
}

Deno.test("vectors/legacy.json: at least 25 valid and 40 invalid cases, ids unique and section-based", async () => {
  const v = JSON.parse(
    await Deno.readTextFile(new URL("../../vectors/legacy.json", import.meta.url)),
  );
  const valid = v.cases.filter((c: { result: string }) => c.result === "valid");
  const invalid = v.cases.filter((c: { result: string }) => c.result === "invalid");
  assert.ok(valid.length >= 25, `${valid.length} valid`);
  assert.ok(invalid.length >= 40, `${invalid.length} invalid`);
  const ids = v.cases.map((c: { id: string }) => c.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, /^legacy\.[a-z0-9]+\.[a-z0-9-]+$/);
});
