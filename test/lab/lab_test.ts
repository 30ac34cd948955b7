/**
 * The lab of real processes (`deno task lab`): subnets in network namespaces, `chatter node`
 * processes in each, broadcasts with `chatter send`, a killed node and 5 % multicast loss.
 * Multicast must stay inside each subnet while TCP crosses the router. Needs root and `ip`:
 * ignored, with the reason printed, where it cannot run. [R-NODE-NET-002], [R-NODE-SCALE-003]
 */
import assert from "node:assert/strict";
import { labUnavailable, runLab } from "../../lab/main.ts";

const why = await labUnavailable();
if (why) console.log(`lab test ignored: ${why}`);

Deno.test({
  name: "[R-NODE-NET-002] lab: 2 subnets x 3 chatter node processes, 5 % loss, a killed node",
  ignore: why !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const res = await runLab({
      subnets: 2,
      hosts: 3,
      broadcasts: 4,
      loss: 0.05,
      delayMs: 1,
      timeoutMs: 240_000,
    });
    assert.equal(res.broadcasts.length, 4);
    for (const b of res.broadcasts) {
      assert.equal(b.multicastCrossSubnet, 0, `${b.id}: multicast crossed the router`);
      assert.ok(b.tcpCrossSubnet > 0, `${b.id}: no TCP delivery crossed the router`);
      assert.ok(b.routerForwarded > 0, `${b.id}: the router forwarded nothing`);
      assert.ok(b.multicast > 0, `${b.id}: no multicast delivery in the sender's subnet`);
      // The killed node is not counted; every live node but at most one (5 % loss, no
      // reliable delivery in this run) delivered.
      assert.ok(b.delivered >= b.live - 1, `${b.id}: ${b.delivered} of ${b.live}`);
    }
    assert.equal(res.broadcasts[3].live, 5, "the killed node is out of the count");
    const left = new TextDecoder().decode(
      (await new Deno.Command("ip", { args: ["netns", "list"], stdout: "piped" }).output()).stdout,
    );
    for (const ns of res.namespaces) assert.ok(!left.includes(ns), `${ns} left behind`);
  },
});
