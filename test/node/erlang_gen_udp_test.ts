/**
 * Evidence for the legacy datagram limit and the multicast-loop note (spec/node.md
 * R-NODE-LEGACY-004 and the notes after R-NODE-KEY-001): Erlang's `gen_udp` opened with the
 * options of Elixir Chatter 0.0.15's multicast socket delivers at most 8192 bytes of a
 * datagram, and with `multicast_loop false` still hears its own datagrams on `lo`. Needs
 * `escript` (Debian's erlang-base, which `.ci/run` installs); ignored where it is missing.
 */
import assert from "node:assert/strict";
import { randomMulticast } from "./_net_cluster.ts";

function hasEscript(): boolean {
  try {
    return new Deno.Command("escript", { args: ["-h"], stdout: "null", stderr: "null" })
      .outputSync().code !== 127;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "[R-NODE-LEGACY-004] gen_udp with 0.0.15's options reads at most 8192 bytes of a datagram and hears itself on lo",
  ignore: !hasEscript(),
  async fn() {
    const mc = randomMulticast();
    const script = new URL("./erlang/gen_udp_0015.escript", import.meta.url).pathname;
    const out = await new Deno.Command("escript", {
      args: [script, mc.group, String(mc.port)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const facts = new Map<string, string>();
    for (const line of text.trim().split("\n")) {
      const [k, ...rest] = line.split(" ");
      facts.set(k === "size" ? `size ${rest[0]}` : k, k === "size" ? rest[1] : rest.join(" "));
    }
    // multicast_loop false, yet on lo the socket hears its own datagram, and so does another.
    assert.equal(facts.get("own"), "5");
    assert.equal(facts.get("other"), "5");
    // Whole up to 8192 bytes; anything larger arrives cut to 8192 (0.0.15 then rejects it).
    assert.equal(facts.get("size 1400"), "1400");
    assert.equal(facts.get("size 8192"), "8192");
    for (const n of [8193, 9216, 17048, 30000, 60000]) {
      assert.ok(
        ["8192", "none"].includes(facts.get(`size ${n}`)!),
        `${n}: ${facts.get(`size ${n}`)}`,
      );
    }
  },
});
