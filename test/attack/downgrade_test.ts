/**
 * [R-NODE-DOWNGRADE-001..002] A legacy frame (no MAC: anyone on the path can forge one) sent to a
 * v2 node that also accepts legacy, asking it to forward to a third node. The victim delivers the
 * record marked unauthenticated and does not re-seal it into a v2 frame; the third node never
 * gets it, while a v2 message forwarded by the same path does arrive.
 */
import assert from "node:assert/strict";
import type { MessageMeta, ReceivedMessage } from "../../mod.ts";
import {
  closeAll,
  craft,
  gossipFrom,
  keyHolderCodec,
  legitTraffic,
  limits,
  rawConnect,
  testRecord,
  victimCluster,
  waitFor,
} from "./_attack.ts";
import { netCluster } from "../node/_net_cluster.ts";

Deno.test("[R-NODE-DOWNGRADE-001..002] a forged legacy frame is delivered unauthenticated and never forwarded as v2", async () => {
  const c = await victimCluster({ acceptProfiles: ["v2", "legacy"] });
  const victim = c.nodes[1];
  const third = await netCluster(1, { multicast: false, key: c.key });
  const legit = legitTraffic(c);
  const conns: Deno.TcpConn[] = [];
  const metas = new Map<string, MessageMeta>();
  const it = victim.messages();
  const collecting = (async () => {
    for await (const m of it as AsyncIterable<ReceivedMessage<{ id: string }>>) {
      metas.set(m.value.id, m.meta);
    }
  })();
  try {
    await legit.check("before the attack");
    const forger = { ip: "127.0.0.1", port: 9, seqno: 1 };
    const forged = craft(
      keyHolderCodec(c.key, "legacy"),
      gossipFrom(forger, { distribution: [third.ids[0]] }),
      [testRecord(forger, "forged")],
      victim.id,
    );
    conns.push(await rawConnect(victim.id, forged));
    await waitFor(() => metas.has("forged"), "the forged record delivered at the victim");
    // A v2 message the victim forwards to the third node on the same path: once it arrives, a
    // forward of the forged record (queued before it) would have arrived too.
    const me = { ip: "127.0.0.1", port: 10, seqno: Date.now() };
    const honest = craft(
      keyHolderCodec(c.key),
      gossipFrom(me, { distribution: [third.ids[0]] }),
      [testRecord(me, "honest")],
      victim.id,
    );
    conns.push(await rawConnect(victim.id, honest));
    await waitFor(() => third.got[0].has("honest"), "the v2 message forwarded to the third node");
    assert.equal(third.got[0].has("forged"), false, "the forged record was not forwarded");
    assert.equal(metas.get("forged")!.authenticated, false, "marked unauthenticated");
    assert.equal(metas.get("honest")!.authenticated, true, "v2 records are authenticated");
    assert.equal(limits(victim).unauthenticatedNotForwarded, 1);
    await legit.stop();
    await legit.check("after the attack");
  } finally {
    await legit.stop();
    closeAll(conns);
    await it.return?.();
    await collecting;
    await third.close();
    await c.close();
  }
});
