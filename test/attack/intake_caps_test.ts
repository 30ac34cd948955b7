/**
 * [R-NODE-INTAKE-001] [R-NODE-INTAKE-002] At a cap, only unproven connections make room: when
 * every open connection has delivered a valid frame, a newcomer is refused (counted), and proven
 * connections keep being served.
 */
import assert from "node:assert/strict";
import {
  closeAll,
  closedWithin,
  craft,
  gossipFrom,
  intake,
  keyHolderCodec,
  rawConnect,
  testRecord,
  victimCluster,
  waitFor,
} from "./_attack.ts";

for (
  const [tag, opts, perSource] of [
    ["R-NODE-INTAKE-001", { maxIncomingConnections: 3 }, 0],
    ["R-NODE-INTAKE-002", { maxConnectionsPerSource: 3 }, 1],
  ] as const
) {
  Deno.test(`[${tag}] every connection proven: the newcomer is refused, the proven stay`, async () => {
    const c = await victimCluster(opts);
    const victim = c.nodes[1];
    const codec = keyHolderCodec(c.key);
    const conns: Deno.TcpConn[] = [];
    try {
      const me = (i: number) => ({ ip: "127.0.0.1", port: 20 + i, seqno: Date.now() * 8 + i });
      for (let i = 0; i < 3; i++) {
        conns.push(
          await rawConnect(
            victim.id,
            craft(codec, gossipFrom(me(i)), [testRecord(me(i), `p${i}`)], victim.id),
          ),
        );
      }
      await waitFor(
        () => [0, 1, 2].every((i) => c.got[1].has(`p${i}`)),
        "three proven connections",
      );
      const late = await rawConnect(victim.id);
      conns.push(late);
      assert.equal(await closedWithin(late, 3000), true, "the newcomer is refused");
      const t = victim.stats().transport;
      assert.equal(t.connectionsRefused, 1);
      assert.equal(intake(victim).refusedPerSource, perSource);
      // The proven connections are still served.
      const again = craft(codec, gossipFrom({ ...me(0), seqno: me(0).seqno + 100 }), [
        testRecord(me(0), "again"),
      ], victim.id);
      await conns[0].write(again);
      await waitFor(() => c.got[1].has("again"), "a proven connection still served");
    } finally {
      closeAll(conns);
      await c.close();
    }
  });
}
