/**
 * A testee that fails at start stops the run with its stderr (issue 13): runOffline reports
 * the start failure once, and the runner exits 1 with it instead of grading every case.
 */
import { equal, match, ok } from "node:assert/strict";
import { runOffline } from "../../conformance/runner/offline.ts";
import { main } from "../../conformance/runner.ts";
import { writeFixtureVectors } from "./_fixture_vectors.ts";

const DYING = `sh -c 'echo "testee: cannot load module foo" >&2; exit 3'`;

Deno.test("runner: a testee that dies at start is reported once, with its stderr", async () => {
  const dir = await writeFixtureVectors(await Deno.makeTempDir());
  try {
    const out = await runOffline({
      testee: DYING,
      vectorsDir: dir,
      specDir: "spec",
      timeoutMs: 2000,
    });
    ok(out.startFailure, "a start failure is reported");
    match(out.startFailure.detail, /hello/);
    match(out.startFailure.stderr, /cannot load module foo/);
    const reports = await Deno.makeTempDir();
    try {
      equal(
        await main(["--testee", DYING, "--vectors", dir, "--report-dir", reports, "--quiet"]),
        1,
      );
    } finally {
      await Deno.remove(reports, { recursive: true });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
