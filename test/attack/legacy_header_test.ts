/**
 * [R-NODE-INTAKE-007] 255 connections send a legacy header announcing 1 MiB (and 64 KiB of it) to
 * a v2-only node: each is rejected at its first byte and closed at once, nothing is buffered, and
 * the legitimate peer keeps delivering.
 */
import assert from "node:assert/strict";
import { encodeVarint } from "../../src/wire/varint.ts";
import {
  closeAll,
  closedWithin,
  intake,
  legitTraffic,
  rawConnect,
  rssSampler,
  victimCluster,
  writeAll,
} from "./_attack.ts";

const ATTACKERS = 255;
/** Resident memory may grow by at most this during the attack (MiB). */
const RSS_BOUND_MIB = 100;

Deno.test("[R-NODE-INTAKE-007] legacy headers to a v2-only node: closed at the first byte", async () => {
  // Every socket comes from 127.0.0.1: the per-source cap (R-NODE-INTAKE-002) is raised so that
  // what is tested here holds on its own.
  const c = await victimCluster({ maxConnectionsPerSource: 300 });
  const victim = c.nodes[1];
  const legit = legitTraffic(c);
  const conns: Deno.TcpConn[] = [];
  const mem = rssSampler();
  try {
    await legit.check("before the attack");
    const bytes = new Uint8Array(65_536);
    bytes[0] = 0xff;
    encodeVarint(1 << 20, bytes, 1);
    for (let i = 0; i < ATTACKERS; i++) conns.push(await rawConnect(victim.id));
    await Promise.all(conns.map((a) => writeAll(a, bytes)));
    const closed = await Promise.all(conns.map((a) => closedWithin(a, 3000)));
    assert.equal(
      closed.filter((x) => x).length,
      ATTACKERS,
      "every legacy stream closed by the node",
    );
    await legit.stop();
    await legit.check("after the attack");
    const s = intake(victim);
    assert.equal(s.badStartByte, ATTACKERS, `rejected at the start byte ${JSON.stringify(s)}`);
    assert.equal(victim.stats().decodeErrors.BAD_START_BYTE, ATTACKERS);
    assert.ok(s.bufferedBytesPeak <= 2 * 65_536 * 4, `little buffered: ${s.bufferedBytesPeak}`);
    const grew = mem.peak - mem.base;
    assert.ok(grew < RSS_BOUND_MIB, `rss grew ${grew.toFixed(0)} MiB (bound ${RSS_BOUND_MIB})`);
  } finally {
    mem.stop();
    await legit.stop();
    closeAll(conns);
    await c.close();
  }
});
