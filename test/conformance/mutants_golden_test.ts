/**
 * The mutants against the golden vectors: each fails every vector case that targets its bug
 * (named by the vectors' error classes), and the control passes everything. Complements
 * mutants_test.ts (fixtures, exact sets) with the real suite.
 */

import { deepStrictEqual as eq, ok } from "node:assert/strict";
import { runOffline } from "../../conformance/runner/offline.ts";
import type { CaseResult } from "../../conformance/runner/types.ts";
import { loadVectors, type Vector } from "../../conformance/runner/vectors.ts";

const VECTORS = Deno.env.get("CONFORMANCE_VECTORS") ?? "vectors";
const cmd = (m: string) =>
  `'${Deno.execPath()}' run --allow-read conformance/mutants/mutant_testee.ts --mutant ${m}`;

async function legacyVectors(): Promise<Vector[]> {
  try {
    return (await loadVectors(VECTORS)).vectors;
  } catch {
    return [];
  }
}

/** Mutant -> the case ids that must not PASS, computed from the vectors. */
function mustCatch(m: string, all: Vector[]): string[] {
  const vs = all.filter((v) => v.profile === "legacy");
  const invalid = (cls: string) =>
    vs.filter((v) => v.result === "invalid" && v.errorClass === cls).map((v) => `${v.id}/decode`);
  switch (m) {
    case "trailing-accepted":
      return invalid("TRAILING_BYTES");
    case "ignore-checksum":
      return invalid("CHECKSUM_MISMATCH");
    case "no-ref-check":
      return invalid("TABLE_REF_OUT_OF_RANGE");
    case "no-size-check":
      return invalid("SIZE_MISMATCH");
    case "unsorted-table":
      return invalid("TABLE_NOT_CANONICAL");
    case "checksum-compressed":
      return vs.filter((v) => v.result === "valid").flatMap((
        v,
      ) => [`${v.id}/decode`, `${v.id}/encode`]);
    case "crash-on-short":
      return vs.filter((v) =>
        v.result === "invalid" && typeof v.frame === "string" && v.frame.length < 16
      )
        .map((v) => `${v.id}/decode`);
    case "replay-accepted":
      // Every sequence in which a step must be refused as a replay or as too old.
      return all.filter((v) =>
        Array.isArray(v.sequence) &&
        (v.sequence as { errorClass?: string }[]).some((s) =>
          s.errorClass === "REPLAY" || s.errorClass === "BEHIND_WINDOW"
        )
      ).map((v) => `${v.id}/stream`);
    case "varint-group-order":
      return ["known.varint_encode.300", "known.varint_decode.300"];
    default:
      return [];
  }
}

const MUTANTS = [
  "none",
  "varint-group-order",
  "unsorted-table",
  "checksum-compressed",
  "trailing-accepted",
  "ignore-checksum",
  "no-ref-check",
  "no-size-check",
  "crash-on-short",
  "replay-accepted",
];

Deno.test("mutants against the golden vectors", async (t) => {
  const vs = await legacyVectors();
  // The vectors are committed: none found is a broken checkout, not a reason to pass.
  if (!vs.length) throw new Error(`no legacy vectors in ${VECTORS}/`);
  for (const m of MUTANTS) {
    await t.step(m, async () => {
      const out = await runOffline({ testee: cmd(m), vectorsDir: VECTORS, specDir: "spec" });
      const by = new Map<string, CaseResult>(out.results.map((r) => [r.id, r]));
      const want = mustCatch(m, vs);
      if (m === "none") {
        eq(out.results.filter((r) => r.status !== "PASS").map((r) => `${r.id}: ${r.detail}`), []);
        return;
      }
      ok(want.length > 0, `${m}: the vectors have cases that should catch it`);
      for (const id of want) {
        const r = by.get(id);
        ok(r, `${id} exists`);
        ok(r.status !== "PASS", `${m} should fail ${id}, got ${r.status}`);
      }
      ok(out.verdict.problems.length > 0);
    });
  }
});
