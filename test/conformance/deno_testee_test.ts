/**
 * Offline mode: the Deno testee passes 100% of the suite (every vector, legacy and v2, the
 * generated cases and the protocol cases), with nothing non-strict or unsupported.
 */

import { deepStrictEqual as eq, ok } from "node:assert/strict";
import { runOffline } from "../../conformance/runner/offline.ts";

Deno.test("offline: the Deno testee passes every case", async () => {
  const out = await runOffline({
    testee: `'${Deno.execPath()}' run --allow-read conformance/testee.ts`,
    vectorsDir: "vectors",
    specDir: "spec",
  });
  eq(
    out.results.filter((r) => r.status !== "PASS").map((r) => `${r.id} ${r.status}: ${r.detail}`),
    [],
  );
  ok(out.results.length > 500, `${out.results.length} cases`);
  eq(out.info.testeeStarts, 1);
  eq(out.verdict.problems, []);
});
