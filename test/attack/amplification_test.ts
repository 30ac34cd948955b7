/**
 * Cost amplification by a key holder [R-NODE-AMP-001..003]: a frame whose distribution list
 * names 4,093 unreachable nodes, a frame whose list is within the limit (1,000) but names only
 * unreachable nodes, and frames whose seen lists name 4,000 peers each. The victim rejects or
 * bounds them, opens a bounded number of connections, learns a bounded number of peers, and
 * keeps delivering the legitimate peer's messages.
 */
import assert from "node:assert/strict";
import type { BroadcastId } from "../../mod.ts";
import {
  closeAll,
  closedWithin,
  craft,
  gossipFrom,
  keyHolderCodec,
  legitTraffic,
  limits,
  rawConnect,
  rssSampler,
  sleep,
  testRecord,
  victimCluster,
  waitFor,
} from "./_attack.ts";

/** Resident memory may grow by at most this during the attack (MiB). */
const RSS_BOUND_MIB = 100;

/** `n` NetIDs on loopback addresses nobody listens on (port 9): connects fail at once. */
function unreachable(n: number, net: number): BroadcastId[] {
  return Array.from({ length: n }, (_, i) => ({
    ip: `127.${net}.${(i >> 8) & 255}.${i & 255 || 1}`,
    port: 9,
    seqno: i + 1,
  }));
}

Deno.test("[R-NODE-AMP-001] [R-NODE-AMP-003] distribution lists of 4,093 and 1,000 unreachable nodes: bounded connections", async () => {
  const c = await victimCluster();
  const victim = c.nodes[1];
  const legit = legitTraffic(c);
  const conns: Deno.TcpConn[] = [];
  const mem = rssSampler();
  try {
    await legit.check("before the attack");
    const codec = keyHolderCodec(c.key);
    const me = { ip: "127.0.0.1", port: 7, seqno: Date.now() };
    const huge = craft(codec, gossipFrom(me, { distribution: unreachable(4093, 66) }), [
      testRecord(me, "amp-huge"),
    ], victim.id);
    const a = await rawConnect(victim.id, huge);
    conns.push(a);
    assert.equal(await closedWithin(a, 3000), true, "the frame is rejected, its connection closed");
    const me2 = { ...me, seqno: me.seqno + 1 };
    const within = craft(codec, gossipFrom(me2, { distribution: unreachable(1000, 67) }), [
      testRecord(me2, "amp-within"),
    ], victim.id);
    conns.push(await rawConnect(victim.id, within));
    await waitFor(() => c.got[1].has("amp-within"), "the frame within the limit delivered");
    await waitFor(() => limits(victim).takeoverLimit > 0, "the take-over budget runs out", 5000);
    await sleep(500);
    await legit.stop();
    await legit.check("after the attack");
    const s = victim.stats();
    assert.equal(c.got[1].has("amp-huge"), false, "nothing of the rejected frame is delivered");
    assert.equal(limits(victim).distributionTooLong, 1);
    // One connection per share of the relay's plan (about log2(1000) = 10) plus the budget of
    // 16 take-overs; the node before these limits tried about one per listed node.
    assert.ok(s.connectFailures <= 40, `connect attempts bounded: ${s.connectFailures}`);
    const grew = mem.peak - mem.base;
    assert.ok(grew < RSS_BOUND_MIB, `rss grew ${grew.toFixed(0)} MiB (bound ${RSS_BOUND_MIB})`);
  } finally {
    mem.stop();
    await legit.stop();
    closeAll(conns);
    await c.close();
  }
});

Deno.test("[R-NODE-AMP-002] seen lists naming 4,000 peers: at most 64 learned per frame", async () => {
  const c = await victimCluster();
  const victim = c.nodes[1];
  const legit = legitTraffic(c);
  const conns: Deno.TcpConn[] = [];
  try {
    await legit.check("before the attack");
    const codec = keyHolderCodec(c.key);
    const frames = 5;
    for (let f = 0; f < frames; f++) {
      const me = { ip: "127.0.0.1", port: 8, seqno: Date.now() * 8 + f };
      const seen = unreachable(4000, 70 + f);
      conns.push(
        await rawConnect(
          victim.id,
          craft(codec, gossipFrom(me, { seen }), [
            testRecord(me, `seen-${f}`),
          ], victim.id),
        ),
      );
    }
    await waitFor(
      () => Array.from({ length: frames }, (_, f) => `seen-${f}`).every((id) => c.got[1].has(id)),
      "the records of the frames delivered (the list is bounded, not the frame rejected)",
    );
    await legit.stop();
    await legit.check("after the attack");
    // 64 per frame, the sender and the legitimate peer; before, the database filled (1024).
    const known = victim.peers().length;
    assert.ok(known <= frames * 64 + 4, `peers learned bounded: ${known}`);
    assert.equal(limits(victim).seenTruncated, frames);
  } finally {
    await legit.stop();
    closeAll(conns);
    await c.close();
  }
});
