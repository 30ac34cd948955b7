/**
 * [R-NODE-INTAKE-001..003] 260 idle and trickling sockets (13 bytes/s each, a v2 header that
 * never completes) from the same address as the legitimate peers (loopback): new legitimate
 * peers still get in (the oldest unproven connection makes room), the established peer keeps
 * delivering, the first-frame deadline closes the tricklers, and the counters say so.
 */
import assert from "node:assert/strict";
import { netCluster, send } from "../node/_net_cluster.ts";
import {
  closeAll,
  closedWithin,
  craft,
  gossipFrom,
  intake,
  keyHolderCodec,
  legitTraffic,
  rawConnect,
  rssMiB,
  sleep,
  testRecord,
  victimCluster,
  waitFor,
} from "./_attack.ts";

const ATTACKERS = 260;
/** Resident memory may grow by at most this during the attack (MiB). */
const RSS_BOUND_MIB = 150;

// Once at the per-source cap (all sockets share 127.0.0.1), once at the incoming cap with the
// per-source cap raised above it.
for (
  const [cap, opts, evicted] of [
    ["per-source cap", {}, (s: Record<string, number>) => s.evictedPerSource],
    [
      "incoming cap",
      { maxConnectionsPerSource: 1000 },
      (s: Record<string, number>) => s.evictedAtCap,
    ],
  ] as const
) {
  Deno.test(`[R-NODE-INTAKE-001..003] 260 trickling sockets: new peers get in, delivery goes on (${cap})`, async () => {
    const c = await victimCluster({ firstFrameTimeoutMs: 1500, ...opts });
    const victim = c.nodes[1];
    const legit = legitTraffic(c);
    const sent = new Map<Deno.TcpConn, number>();
    let on = true;
    const base = rssMiB();
    let peak = base;
    try {
      await legit.check("before the attack");
      // A real header (a key holder's frame), so it parses as the start of a valid frame.
      const me = { ip: "127.0.0.1", port: 1, seqno: 1 };
      const header = craft(keyHolderCodec(c.key), gossipFrom(me), [testRecord(me, "x")], victim.id);
      // Each socket trickles its own copy of the header; one that is closed is replaced, at
      // most 2 per tick (26/s): tricklers that repair themselves, not a reconnect storm (see
      // R-NODE-INTAKE-002 on churn from a shared address).
      for (let i = 0; i < ATTACKERS; i++) sent.set(await rawConnect(victim.id), 0);
      const trickle = (async () => {
        while (on) {
          for (const [a, k] of sent) {
            sent.set(a, k + 1);
            a.write(header.subarray(k % 37, k % 37 + 1)).catch(() => {
              sent.delete(a);
              closeAll([a]);
            });
          }
          for (let r = 0; on && r < 2 && sent.size < ATTACKERS; r++) {
            sent.set(await rawConnect(victim.id), 0);
          }
          peak = Math.max(peak, rssMiB());
          await sleep(77);
        }
      })();
      try {
        // New legitimate peers arrive while the sockets trickle.
        for (let i = 0; i < 6; i++) {
          const p = await netCluster(1, { multicast: false, key: c.key });
          try {
            const id = send(p, 0, [victim.id]);
            await waitFor(() => c.got[1].has(id), `new peer ${i} delivered`, 5000);
          } finally {
            await p.close();
          }
          await sleep(200);
        }
        await sleep(1500); // past the first-frame deadline of the first tricklers
        await legit.check("during the attack");
      } finally {
        on = false;
        await trickle;
      }
      await legit.stop();
      await legit.check("after the attack");
      const s = intake(victim);
      assert.ok(evicted(s) > 0, `evictions at the ${cap} counted ${JSON.stringify(s)}`);
      assert.ok(s.firstFrameTimeouts > 0, `first-frame deadlines counted ${JSON.stringify(s)}`);
      assert.equal(s.refusedPerSource, 0, "no newcomer refused: unproven ones made room");
      assert.ok(
        peak - base < RSS_BOUND_MIB,
        `rss grew ${(peak - base).toFixed(0)} MiB (bound ${RSS_BOUND_MIB})`,
      );
    } finally {
      on = false;
      await legit.stop();
      closeAll(sent.keys());
      await c.close();
    }
  });
}

/**
 * A key holder's connection that delivered one valid frame and then trickles the start of the
 * next: bytes alone do not reset the idle timer (R-NODE-INTAKE-005), and a started frame must
 * complete within the frame deadline (R-NODE-INTAKE-004).
 */
for (
  const [tag, what, opts, counter] of [
    [
      "R-NODE-INTAKE-005",
      "bytes alone do not reset the idle timer",
      { idleTimeoutMs: 600, frameTimeoutMs: 60_000 },
      (s: Record<string, number>) => s.idleClosed,
    ],
    [
      "R-NODE-INTAKE-004",
      "a started frame has a deadline",
      { idleTimeoutMs: 60_000, frameTimeoutMs: 600 },
      (s: Record<string, number>) => s.frameTimeouts,
    ],
  ] as const
) {
  Deno.test(`[${tag}] a proven connection that trickles is closed: ${what}`, async () => {
    const c = await victimCluster({ firstFrameTimeoutMs: 60_000, ...opts });
    const victim = c.nodes[1];
    const legit = legitTraffic(c);
    let conn: Deno.TcpConn | undefined;
    let on = true;
    try {
      await legit.check("before");
      const me = { ip: "127.0.0.1", port: 11, seqno: Date.now() };
      const codec = keyHolderCodec(c.key);
      const first = craft(codec, gossipFrom(me), [testRecord(me, `${tag}-first`)], victim.id);
      const next = craft(codec, gossipFrom({ ...me, seqno: me.seqno + 1 }), [
        testRecord(me, `${tag}-next`),
      ], victim.id);
      conn = await rawConnect(victim.id, first);
      await waitFor(() => c.got[1].has(`${tag}-first`), "the first frame delivered");
      const a = conn;
      const trickle = (async () => {
        for (let k = 0; on && k < next.length - 1; k++) {
          if (!await a.write(next.subarray(k, k + 1)).then(() => true, () => false)) return;
          await sleep(100);
        }
      })();
      const closed = await closedWithin(conn, 4000);
      on = false;
      await trickle;
      assert.equal(closed, true, "the trickling connection is closed");
      await legit.stop();
      await legit.check("after");
      const t = victim.stats().transport as unknown as Record<string, number>;
      const s = { ...intake(victim), idleClosed: t.idleClosed };
      assert.ok(counter(s) >= 1, `counted: ${JSON.stringify(s)}`);
    } finally {
      on = false;
      await legit.stop();
      if (conn) closeAll([conn]);
      await c.close();
    }
  });
}
