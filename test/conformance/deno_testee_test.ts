/**
 * Offline mode: the Deno testee passes 100% of the suite (every vector, legacy and v2, the
 * generated cases and the protocol cases), with nothing non-strict or unsupported.
 */

import { deepStrictEqual as eq, ok } from "node:assert/strict";
import { runOffline } from "../../conformance/runner/offline.ts";
import { liveCaseIndex } from "../../conformance/runner/live.ts";

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

// The README's conformance figures come from this run, so they cannot drift from the suite:
// the offline case count, its summary line, and the count of MUST requirements no case covers.
Deno.test("README: the conformance figures are what the runner prints", async () => {
  const readme = await Deno.readTextFile("README.md");
  const out = await runOffline({
    testee: `'${Deno.execPath()}' run --allow-read conformance/testee.ts`,
    vectorsDir: "vectors",
    specDir: "spec",
  });
  const n = out.results.length;
  const stated = [...readme.matchAll(/(\d[\d,]*) cases, about/g)].map((m) => m[1]);
  eq(stated, [String(n)], "README '<N> cases, about' (conformance section)");
  ok(
    readme.includes(`\`${n} passed, 0 passed non-strict, 0 failed, 0 errors, 0 unsupported\``),
    `README summary line for ${n} cases`,
  );
  const ported = [...readme.matchAll(/all (\d+) cases: (\d+) `PASS` and (\d+) `PASS-NONSTRICT`/g)];
  eq(ported.length, 1, "README Python port line");
  eq(Number(ported[0][1]), n, "README Python port: case count");
  eq(Number(ported[0][2]) + Number(ported[0][3]), n, "README Python port: PASS + PASS-NONSTRICT");
  const none = out.coverage.filter((r) => r.cases.length === 0).length;
  const cov = readme.match(/flagged \*\*NONE\*\* \(today (\d+) of (\d+)/);
  ok(cov, "README coverage sentence");
  eq(
    [Number(cov[1]), Number(cov[2])],
    [none, out.coverage.length],
    "README coverage: NONE of MUST",
  );
});

Deno.test("README: the live case counts are the suite's", async () => {
  const readme = await Deno.readTextFile("README.md");
  const ids = liveCaseIndex().map((c) => c.id);
  const count = (p: string) => ids.filter((i) => i.startsWith(`live.${p}.`)).length;
  const m = readme.match(/(\d+)\s+cases for legacy, (\d+) for v2 \((\d+) in all/);
  ok(m, "README live case sentence");
  eq([Number(m[1]), Number(m[2]), Number(m[3])], [count("legacy"), count("v2"), ids.length]);
});
