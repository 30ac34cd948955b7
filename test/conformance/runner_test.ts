/**
 * The runner's grading, expected-failures rules, reports and protocol-failure handling.
 */

import { deepStrictEqual as eq, ok, throws } from "node:assert/strict";
import { main } from "../../conformance/runner.ts";
import { diff } from "../../conformance/runner/compare.ts";
import { coverage } from "../../conformance/runner/coverage.ts";
import { parseExpectedFailures } from "../../conformance/runner/expected_failures.ts";
import { runOffline } from "../../conformance/runner/offline.ts";
import { junitReport } from "../../conformance/runner/reports.ts";
import { parseSpec } from "../../conformance/runner/spec_index.ts";
import type { CaseResult } from "../../conformance/runner/types.ts";
import { decide } from "../../conformance/runner/verdict.ts";
import { writeFixtureVectors } from "./_fixture_vectors.ts";

const deno = Deno.execPath();
const mutant = (m: string) =>
  `'${deno}' run --allow-read conformance/mutants/mutant_testee.ts --mutant ${m}`;

function result(id: string, status: CaseResult["status"]): CaseResult {
  return { id, section: "s", reqs: [], title: id, status, durationMs: 0, wireLog: [] };
}

Deno.test("expected-failures: parses id  # reason, rejects junk and repeats", () => {
  eq(parseExpectedFailures("# header\n\na/b  # known bug\nc\n"), [
    { id: "a/b", reason: "known bug", line: 3 },
    { id: "c", reason: "", line: 4 },
  ]);
  throws(() => parseExpectedFailures("a b # x"), /line 1/);
  throws(() => parseExpectedFailures("a\na # again"), /listed twice/);
});

Deno.test("verdict: listed failures pass the run; listed passes and unknown ids fail it", () => {
  const xf = parseExpectedFailures("x  # known\ny  # fixed meanwhile\nghost  # no such case\n");
  const rs = [result("x", "FAIL"), result("y", "PASS"), result("z", "PASS-NONSTRICT")];
  const v = decide(rs, xf, new Set(["x", "y", "z"]));
  eq(v.expectedFailures, 1);
  eq(v.problems.length, 2);
  ok(v.problems.some((p) => p.includes("y is listed") && p.includes("passed")));
  ok(v.problems.some((p) => p.includes("ghost names no case")));
  eq(rs[0].expectedFailure, "known");
  const clean = decide([result("x", "FAIL")], parseExpectedFailures("x # k"), new Set(["x"]));
  eq(clean.problems, []);
  eq(decide([result("e", "ERROR")], [], new Set(["e"])).problems.length, 1);
});

Deno.test("diff: compares expected fields only, hex case-insensitively, IPs by value", () => {
  eq(diff({ a: "AB", ip: "::1" }, { a: "ab", ip: "0:0:0:0:0:0:0:1", extra: 1 }), []);
  eq(diff({ a: [1, 2] }, { a: [1, 3] }), ["$.a[1]: expected 2, got 3"]);
  eq(diff({ a: 1 }, {}), ["$.a: missing"]);
  eq(diff({ a: [1] }, { a: [1, 2] }), ["$.a: expected 1 items, got 2"]);
});

Deno.test("spec index: first occurrence defines a tag, its sentence gives the level", () => {
  const spec = parseSpec(
    "wire.md",
    "# Wire\n## 3. Varint\nA varint is LEB128 [R-VARINT-001]. A receiver MUST reject\n" +
      "an overlong varint [R-VARINT-003]. Encoders SHOULD be minimal [R-VARINT-005].\n" +
      "## 4. Other\n- see [R-VARINT-003]; a table MUST be sorted [R-TABLE-003]\n",
  );
  eq(spec.map((r) => [r.tag, r.level, r.section]), [
    ["R-VARINT-001", "", "wire.md 3. Varint"],
    ["R-VARINT-003", "MUST", "wire.md 3. Varint"],
    ["R-VARINT-005", "SHOULD", "wire.md 3. Varint"],
    ["R-TABLE-003", "MUST", "wire.md 4. Other"],
  ]);
  // A list item that opens with a tag defines it, even after an earlier mention.
  const d = parseSpec(
    "t.md",
    "# A\nSee [R-X-001] below.\n# B\n- [R-X-001] Receivers MUST do it.\n",
  );
  eq(d.map((r) => [r.tag, r.level, r.section]), [["R-X-001", "MUST", "t.md B"]]);
  const rows = coverage(new Map(spec.map((r) => [r.tag, r])), [{
    id: "c1",
    reqs: ["R-TABLE-003"],
  }]);
  eq(rows.map((r) => [r.tag, r.cases]), [["R-VARINT-003", []], ["R-TABLE-003", ["c1"]]]);
});

Deno.test("runner: a silent testee times out and every case is ERROR", async () => {
  const dir = await writeFixtureVectors(await Deno.makeTempDir());
  try {
    const out = await runOffline({
      testee: "exec sleep 30",
      vectorsDir: dir,
      specDir: "spec",
      filters: ["fx.valid.worked"],
      timeoutMs: 200,
    });
    ok(out.results.length > 0);
    ok(out.results.every((r) => r.status === "ERROR" && /no reply within 200 ms/.test(r.detail!)));
    ok(out.verdict.problems.length > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runner: bad JSON and wrong ids grade ERROR, the testee is restarted", async () => {
  // A testee that answers hello properly, then garbage to everything else.
  const script = await Deno.makeTempFile({ suffix: ".sh" });
  await Deno.writeTextFile(
    script,
    `read line; id=$(echo "$line" | sed 's/.*"id":\\([0-9]*\\).*/\\1/')
echo '{"id":'$id',"result":"ok","impl":"sh","profiles":["legacy"],"ops":["xxhash32","varint_encode"]}'
read line; echo 'not json'
read line; echo '{"id":999999,"result":"ok"}'
`,
  );
  const dir = await writeFixtureVectors(await Deno.makeTempDir());
  try {
    const out = await runOffline({
      testee: `sh ${script}`,
      vectorsDir: dir,
      specDir: "spec",
      filters: ["known.xxhash32.empty", "known.xxhash32.a", "known.varint_decode.1"],
    });
    const by = Object.fromEntries(out.results.map((r) => [r.id, r]));
    // The first case gets "not json": ERROR. After the restart, the testee again answers the
    // hello-shaped first line (the runner does not re-send hello, so this is the second case's
    // reply, with the right id and no hash): FAIL. varint_decode is not declared: UNSUPPORTED.
    eq(by["known.xxhash32.empty"].status, "ERROR");
    ok(/not JSON/.test(by["known.xxhash32.empty"].detail!));
    eq(by["known.xxhash32.a"].status, "FAIL");
    eq(by["known.varint_decode.1"].status, "UNSUPPORTED");
    ok(out.info.testeeStarts! >= 2);
    ok(by["known.xxhash32.empty"].wireLog.some((l) => l.dir === "<" && l.data === "not json"));
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(script);
  }
});

Deno.test("runner CLI: writes the three reports and exits by the expected-failures rules", async () => {
  const dir = await writeFixtureVectors(await Deno.makeTempDir());
  const reports = await Deno.makeTempDir();
  const xf = await Deno.makeTempFile();
  const quiet = console.log;
  const quietErr = console.error;
  try {
    console.log = () => {};
    console.error = () => {};
    const base = ["--vectors", dir, "--report-dir", reports, "--quiet"];
    eq(await main([...base, "--testee", mutant("none")]), 0);
    eq(await main([...base, "--testee", mutant("trailing-accepted")]), 1);
    await Deno.writeTextFile(xf, "fx.invalid.trailing/decode  # mutant accepts trailing bytes\n");
    eq(
      await main([...base, "--testee", mutant("trailing-accepted"), "--expected-failures", xf]),
      0,
    );
    // The same list against a correct testee is stale: the run fails.
    eq(await main([...base, "--testee", mutant("none"), "--expected-failures", xf]), 1);
    // --filter and --profile select cases.
    eq(
      await main([
        ...base,
        "--testee",
        mutant("none"),
        "--filter",
        "known.",
        "--profile",
        "v2",
      ]),
      0,
    );
    const json = JSON.parse(await Deno.readTextFile(`${reports}/report.json`));
    ok(
      json.cases.length > 0 &&
        json.cases.every((c: { id: string }) => c.id.startsWith("known.")),
    );
    eq(json.vectorsDigest.length, 64);
    eq(json.mode, "offline");
    ok(json.cases[0].wireLog.length >= 2);
    const junit = await Deno.readTextFile(`${reports}/junit.xml`);
    ok(
      junit.startsWith("<?xml") && junit.includes("<testsuite ") && junit.includes("</testsuites>"),
    );
    ok((await Deno.readTextFile(`${reports}/coverage.md`)).includes("MUST requirements"));
    ok((await Deno.readTextFile(`${reports}/report.txt`)).includes("passed"));
    eq(await main(["--bogus"]), 2);
  } finally {
    console.log = quiet;
    console.error = quietErr;
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(reports, { recursive: true });
    await Deno.remove(xf);
  }
});

Deno.test("junit: failures and errors are marked, expected failures skipped", () => {
  const rs = [result("a", "FAIL"), result("b", "ERROR"), result("c", "PASS"), result("d", "FAIL")];
  rs[3].expectedFailure = "known <bug>";
  const x = junitReport({
    implementation: "t",
    target: "t",
    mode: "offline",
    suiteVersion: "1",
    vectorsDigest: "",
    startedAt: "",
    durationMs: 1,
  }, rs);
  ok(x.includes('tests="4" failures="1" errors="1" skipped="1"'));
  ok(x.includes("known &#60;bug&#62;"));
});
