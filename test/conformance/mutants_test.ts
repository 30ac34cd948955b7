/**
 * The runner fails the wrong: each mutant testee fails exactly the cases that should catch
 * its bug (named here), and the control (no bug) passes every case. Runs on fixture vectors
 * built with the reference codec, so the expectations are exact.
 */

import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { runOffline } from "../../conformance/runner/offline.ts";
import { writeFixtureVectors } from "./_fixture_vectors.ts";

const MUTANT = "conformance/mutants/mutant_testee.ts";

function cmd(mutant: string): string {
  return `'${Deno.execPath()}' run --allow-read ${MUTANT} --mutant ${mutant}`;
}

const varintCaught = [128, 300, 16384, 2097152, 4294967295, 9007199254740991].flatMap((v) => [
  `known.varint_encode.${v}`,
  `known.varint_decode.${v}`,
]);

/** Mutant -> the ids that must not PASS (and nothing else may fail). */
const EXPECT: Record<string, { notPass: string[]; status?: string }> = {
  "none": { notPass: [] },
  "varint-group-order": { notPass: varintCaught },
  "unsorted-table": {
    notPass: ["fx.valid.first-use-not-sorted/encode", "fx.invalid.table-unsorted/decode"],
  },
  "checksum-compressed": {
    notPass: [
      "fx.valid.worked-example/decode",
      "fx.valid.worked-example/encode",
      "fx.valid.first-use-not-sorted/decode",
      "fx.valid.first-use-not-sorted/encode",
      "fx.valid.empty-payload/decode",
      "fx.valid.empty-payload/encode",
      // Rejected, but for the checksum rather than the table: a softer grade, not hidden.
      "fx.invalid.table-ref/decode",
      "fx.invalid.table-unsorted/decode",
    ],
  },
  "trailing-accepted": { notPass: ["fx.invalid.trailing/decode"] },
  "ignore-checksum": { notPass: ["fx.invalid.checksum/decode"] },
  "no-ref-check": { notPass: ["fx.invalid.table-ref/decode"] },
  "no-size-check": { notPass: ["fx.invalid.size-mismatch/decode"] },
  "crash-on-short": { notPass: ["fx.invalid.short/decode"], status: "ERROR" },
  // An INTERNAL reply is not a decode error: every rejection case fails.
  "internal-errors": {
    notPass: [
      "fx.invalid.truncated/decode",
      "fx.invalid.short/decode",
      "fx.invalid.start-byte/decode",
      "fx.invalid.trailing/decode",
      "fx.invalid.checksum/decode",
      "fx.invalid.size-mismatch/decode",
      "fx.invalid.table-ref/decode",
      "fx.invalid.table-unsorted/decode",
      "known.varint_decode.truncated",
      "known.varint_decode.truncated-long",
      "known.varint_decode.empty",
    ],
  },
};

let vectorsDir: string | undefined;
async function fixtures(): Promise<string> {
  if (!vectorsDir) vectorsDir = await writeFixtureVectors(await Deno.makeTempDir());
  return vectorsDir;
}

for (const [mutant, want] of Object.entries(EXPECT)) {
  Deno.test(`mutant ${mutant}: fails exactly the cases that catch it`, async () => {
    const out = await runOffline({
      testee: cmd(mutant),
      vectorsDir: await fixtures(),
      specDir: "spec",
    });
    // The named cases must catch the mutant; besides them only the differential mutation
    // cases (which may catch any decoder bug) may fail.
    const notPass = out.results.filter((r) => r.status !== "PASS").map((r) => r.id);
    const named = notPass.filter((id) => !id.endsWith("/mutations")).sort();
    assertEquals(named, [...want.notPass].sort());
    if (mutant === "none") assertEquals(notPass, []);
    assertEquals(out.verdict.problems.length === 0, want.notPass.length === 0);
    const caughtBy = notPass.filter((id) => id.endsWith("/mutations"));
    if (caughtBy.length) console.log(`${mutant}: also caught by ${caughtBy.join(", ")}`);
    for (const r of out.results) {
      if (!want.notPass.includes(r.id)) continue;
      if (want.status) assertEquals(r.status, want.status, r.id);
      else if (!r.id.startsWith("fx.invalid.table-") || mutant !== "checksum-compressed") {
        assertEquals(r.status, "FAIL", r.id);
      } else assertEquals(r.status, "PASS-NONSTRICT", r.id);
    }
    if (mutant === "crash-on-short") {
      // The runner restarted the testee and went on.
      assertEquals(out.info.testeeStarts! >= 2, true);
    }
  });
}

Deno.test({
  name: "mutant fixtures: cleanup",
  fn: async () => {
    if (vectorsDir) await Deno.remove(vectorsDir, { recursive: true });
  },
});
