/**
 * Live mode: the Deno node passes every live case in both profiles, and a node that swallows
 * everything fails them. Real sockets on loopback, a spawned node per profile.
 */

import { deepStrictEqual as eq, ok } from "node:assert/strict";
import { runLive } from "../../conformance/runner/live.ts";
// The runner imports the v2 codec lazily; load the AES-GCM backend (a dynamic library, with
// FFI) before the tests so that the resource sanitizer does not charge it to one of them.
import "../../src/wire/v2/aead_backend.ts";

const deno = `'${Deno.execPath()}'`;

Deno.test("live: the Deno node passes every case, legacy and v2", async () => {
  const out = await runLive({
    spawn: `${deno} run -A --unstable-net conformance/live_node.ts`,
    vectorsDir: "vectors",
    specDir: "spec",
    profiles: ["legacy", "v2"],
    timeoutMs: 3000,
  });
  eq(
    out.results.filter((r) => r.status !== "PASS").map((r) => `${r.id} ${r.status}: ${r.detail}`),
    [],
  );
  ok(out.results.length >= 30, `${out.results.length} cases`);
  for (const r of out.results) {
    // Every case that talks to the node logs the bytes it sent; session.nonces only reads, and
    // start.port-in-use starts a second node instead.
    const quiet = r.id.endsWith("session.nonces") || r.id.endsWith("start.port-in-use");
    ok(r.wireLog.some((l) => l.dir === ">" || quiet), `${r.id} wire log`);
  }
  const bomb = out.results.find((r) => r.id === "live.v2.memory.bomb")!;
  ok(typeof (bomb.actual as { peakKiB?: number })?.peakKiB === "number", "memory was sampled");
});

Deno.test("live: a node that swallows everything fails forwarding, bad-input and port-in-use cases", async () => {
  const out = await runLive({
    spawn: `${deno} run -A conformance/mutants/black_hole_node.ts`,
    vectorsDir: "vectors",
    specDir: "spec",
    profiles: ["legacy"],
    filters: [
      "live.legacy.forward.tcp",
      "live.legacy.bad.garbage",
      "live.legacy.stream.split",
      "live.legacy.start.port-in-use",
    ],
    timeoutMs: 300,
  });
  eq(out.results.map((r) => [r.id, r.status]).sort(), [
    ["live.legacy.bad.garbage", "FAIL"],
    ["live.legacy.forward.tcp", "FAIL"],
    ["live.legacy.start.port-in-use", "FAIL"],
    ["live.legacy.stream.split", "FAIL"],
  ]);
  // [R-NODE-OPT-001] its second instance dies of a bare EADDRINUSE that does not name the port.
  ok(out.verdict.problems.length === 4);
});
