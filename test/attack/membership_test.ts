/**
 * [R-NODE-AMP-004] Membership snapshots from a key holder forging origins: one of 60,000 items
 * (over the per-member bound), then 20 of 4,000 items from 20 forged members (over the total
 * bound). The oversized one is rejected while it is decoded, the state stops at its bound, each
 * rejection is counted, memory stays bounded and the legitimate peer keeps delivering.
 */
import assert from "node:assert/strict";
import { GroupNode } from "../../src/membership/group_node.ts";
import { encodeMembership, membershipNetIds } from "../../src/membership/payload.ts";
import { MembershipState } from "../../src/membership/state.ts";
import { MEMBERSHIP_TYPE_TAG } from "../../src/wire/constants.ts";
import type { OutgoingRecord } from "../../src/wire/message.ts";
import type { BroadcastId } from "../../src/wire/netid.ts";
import {
  closeAll,
  craft,
  gossipFrom,
  keyHolderCodec,
  legitTraffic,
  rawConnect,
  rssSampler,
  victimCluster,
  waitFor,
} from "./_attack.ts";

/** Resident memory may grow by at most this during the attack (MiB). */
const RSS_BOUND_MIB = 200;

function snapshot(origin: BroadcastId, items: number): OutgoingRecord {
  const msg = MembershipState.EMPTY.write(
    origin,
    Array.from({ length: items }, (_, i) => ({
      op: "add" as const,
      start: 2 * i,
      end: 2 * i + 1,
      priority: 1,
    })),
  );
  return {
    typeTag: MEMBERSHIP_TYPE_TAG,
    origin,
    payload: (table) => encodeMembership(msg, table),
    extraNetIds: membershipNetIds(msg),
  };
}

Deno.test("[R-NODE-AMP-004] oversized and state-filling membership snapshots are rejected and counted", async () => {
  const c = await victimCluster();
  const victim = c.nodes[1];
  const group = new GroupNode(victim, { destinations: () => [] });
  const legit = legitTraffic(c);
  const conns: Deno.TcpConn[] = [];
  const mem = rssSampler();
  try {
    await legit.check("before the attack");
    const codec = keyHolderCodec(c.key);
    const forged = (i: number): BroadcastId => ({
      ip: `127.80.0.${i + 1}`,
      port: 4000,
      seqno: Date.now() * 64 + i,
    });
    const send = async (origin: BroadcastId, items: number) => {
      const f = craft(codec, gossipFrom(origin), [snapshot(origin, items)], victim.id);
      conns.push(await rawConnect(victim.id, f));
    };
    await send(forged(0), 60_000);
    for (let i = 1; i <= 20; i++) await send(forged(i), 4000);
    await waitFor(
      () => group.stats().received + victim.stats().payloadErrors >= 21,
      "every snapshot handled",
      10_000,
    );
    const items = group.group.state.items.length;
    assert.ok(items <= 65_536, `state bounded: ${items} items`);
    assert.equal(
      group.group.state.itemsOf(forged(0)).length,
      0,
      "the oversized snapshot is not taken",
    );
    const s = group.stats();
    assert.equal(s.oversizedSnapshots, 1, JSON.stringify(s));
    assert.equal(s.stateFull, 4, "16 of the 20 fit the total bound of 65,536 items");
    const grew = mem.peak - mem.base;
    assert.ok(grew < RSS_BOUND_MIB, `rss grew ${grew.toFixed(0)} MiB (bound ${RSS_BOUND_MIB})`);
    await legit.stop();
    await legit.check("after the attack");
  } finally {
    mem.stop();
    await legit.stop();
    closeAll(conns);
    await c.close();
  }
});
