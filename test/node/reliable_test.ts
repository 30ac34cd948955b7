/**
 * Reliable delivery on the deterministic in-memory network (seeded loss, virtual clock):
 * every live destination delivers every message exactly once under multicast loss (independent
 * and in bursts), failing TCP connections and killed relays; what cannot be repaired is
 * reported; confirmation; flow control; bounded memory. [R-NODE-REL-*]
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodeError, DeliveryUnconfirmedError, type NetId, NodeOptionError } from "../../mod.ts";
import {
  decodeSeqRanges,
  encodeSeqRanges,
  SYS_ACK_TAG,
  SYS_ACKREQ_TAG,
  SYS_LOST_TAG,
} from "../../src/wire/mod.ts";
import { netIdKey } from "../../src/wire/netid.ts";
import { seededRandom } from "../../src/node/random.ts";
import { DedupWindow } from "../../src/node/dedup.ts";
import { learn, type MemCluster, memCluster } from "./_memory_cluster.ts";
import { collectLost, drive, driveUntilQuiet } from "./_reliable_helpers.ts";

let idSeq = 0;

interface Sent {
  id: string;
  from: number;
  dests: number[];
  origin: { ip: string; port: number; seqno: number };
}

/** Broadcast from `from` to the nodes `dests` (indexes); the payload id is what handlers count. */
function sendTo(c: MemCluster, from: number, dests: number[]): Sent {
  const id = `r${++idSeq}`;
  const origin = c.nodes[from].broadcast(dests.map((i) => c.ids[i]), "test.msg", {
    n: idSeq,
    id,
  });
  return { id, from, dests, origin };
}

/** Per (message, destination): how many times the destination's handler got it. */
function tally(c: MemCluster, sent: Sent[], alive: (i: number) => boolean) {
  let missing = 0, dup = 0, ok = 0;
  const missed: string[] = [];
  for (const m of sent) {
    for (const d of m.dests) {
      if (d === m.from || !alive(d)) continue;
      const k = c.got[d].get(m.id) ?? 0;
      if (k === 0) {
        missing++;
        if (missed.length < 5) missed.push(`${m.id}@${d}`);
      } else if (k > 1) dup++;
      else ok++;
    }
  }
  return { missing, dup, ok, missed };
}

/** A random non-empty destination set (the origin may be in it). */
function randomDests(r: { next(): number }, n: number): number[] {
  const out: number[] = [];
  const p = 0.2 + 0.8 * r.next();
  for (let i = 0; i < n; i++) if (r.next() < p) out.push(i);
  if (out.length === 0) out.push(Math.floor(r.next() * n));
  return out;
}

const sweep: { nodes: number; domains: number; loss: number; burst: number; msgs: number }[] = [];
for (const nodes of [8, 64]) {
  for (const domains of [1, 4]) {
    for (const loss of [0, 0.05, 0.2, 0.5]) {
      for (const burst of loss === 0 ? [1] : [1, 8]) {
        sweep.push({ nodes, domains, loss, burst, msgs: nodes === 8 ? 240 : 64 });
      }
    }
  }
}

for (const k of sweep) {
  const name = `${k.nodes} nodes, ${k.domains} domain(s), ${k.loss * 100} % multicast loss` +
    (k.burst > 1 ? ` in bursts of ${k.burst}` : " (independent)");
  Deno.test(`[R-NODE-REL-001] [R-NODE-REL-003] [R-NODE-REL-009] every destination delivers every message exactly once: ${name}`, async () => {
    const seed = k.nodes * 1000 + k.domains * 100 + k.loss * 100 + k.burst;
    const c = await memCluster(
      Array.from({ length: k.nodes }, (_, i) => `D${i % k.domains}`),
      { profile: "v2" },
      { multicastLoss: 0, multicastBurst: k.burst },
      seed,
    );
    try {
      const lost = collectLost(c.nodes);
      // Two learning rounds for 8 nodes; 64 nodes learn during the run (it keeps the sweep
      // short: the first broadcasts go by TCP trees, later ones by multicast).
      if (k.nodes === 8) await learn(c, 2);
      c.net.setMulticastLoss(k.loss);
      const r = seededRandom(seed);
      const sent: Sent[] = [];
      // Bursts of broadcasts from every node to many different destination sets.
      for (let i = 0; i < k.msgs; i++) {
        sent.push(sendTo(c, i % k.nodes, randomDests(r, k.nodes)));
        if (i % 16 === 15) await drive(c, 25);
      }
      await driveUntilQuiet(c);
      const t = tally(c, sent, () => true);
      assert.equal(t.missing, 0, `missing ${t.missing}: ${t.missed.join(", ")}`);
      assert.equal(t.dup, 0, "delivered twice");
      assert.ok(t.ok > k.msgs, `${t.ok} deliveries`);
      assert.equal(lost.length, 0, "nothing lost, nothing reported");
      const rel = c.nodes.map((n) => n.stats().reliable);
      const sum = (f: (s: typeof rel[0]) => number) => rel.reduce((a, s) => a + f(s), 0);
      assert.equal(sum((s) => s.lost), 0);
      assert.equal(sum((s) => s.buffered), 0, "every retransmit buffer emptied");
      assert.equal(sum((s) => s.confirmed), sum((s) => s.tracked));
      if (k.loss === 0) assert.equal(sum((s) => s.retransmits), 0, "no repair without loss");
      if (k.loss >= 0.2) assert.ok(sum((s) => s.retransmits) > 0, "losses were repaired");
    } finally {
      await c.close();
    }
  });
}

Deno.test("[R-NODE-REL-003] failing and silently dropping TCP connections with 20 % multicast loss: exactly once", async () => {
  const c = await memCluster(
    Array.from({ length: 16 }, (_, i) => `D${i % 4}`),
    { profile: "v2" },
    {},
    7,
  );
  try {
    const lost = collectLost(c.nodes);
    await learn(c, 2);
    c.net.setMulticastLoss(0.2);
    c.net.setTcpFaults(0.1, 0.05);
    const r = seededRandom(7);
    const sent: Sent[] = [];
    for (let i = 0; i < 160; i++) {
      sent.push(sendTo(c, i % 16, randomDests(r, 16)));
      if (i % 8 === 7) await drive(c, 25);
    }
    await driveUntilQuiet(c);
    const t = tally(c, sent, () => true);
    assert.equal(t.missing, 0, `missing: ${t.missed.join(", ")}`);
    assert.equal(t.dup, 0);
    assert.equal(lost.length, 0, JSON.stringify(lost));
    const st = c.nodes.map((n) => n.stats());
    assert.ok(st.reduce((a, s) => a + s.transport.sendFailures, 0) > 0, "TCP sends did fail");
    assert.ok(st.reduce((a, s) => a + s.relayTakeovers, 0) > 0, "relays were taken over");
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-003] [R-NODE-REL-004] a relay killed mid-run: survivors deliver everything once; what the dead node misses is reported", async () => {
  // 4 domains of 8: messages reach the other domains through relays.
  const c = await memCluster(
    Array.from({ length: 32 }, (_, i) => `D${i % 4}`),
    { profile: "v2", retransmitMs: 100 },
    {},
    11,
  );
  try {
    const lost = collectLost(c.nodes);
    await learn(c, 2);
    c.net.setMulticastLoss(0.2);
    const r = seededRandom(11);
    const sent: Sent[] = [];
    const victim = 5;
    for (let i = 0; i < 320; i++) {
      let from = i % 32;
      if (from === victim && !c.alive[victim]) from = 6;
      sent.push(sendTo(c, from, randomDests(r, 32)));
      if (i === 150) c.kill(victim); // with frames in flight through it
      if (i % 16 === 15) await drive(c, 25);
    }
    await driveUntilQuiet(c);
    // Messages of surviving origins: every surviving destination has each exactly once.
    const fromLive = sent.filter((m) => m.from !== victim);
    const t = tally(c, fromLive, (i) => c.alive[i]);
    assert.equal(t.missing, 0, `missing: ${t.missed.join(", ")}`);
    assert.equal(t.dup, 0);
    // Everything the victim did not deliver was reported lost by its origin, naming it.
    const reported = new Set<string>();
    for (const e of lost) {
      assert.equal(e.side, "origin");
      for (const d of e.destinations) {
        assert.equal(netIdKey(d), netIdKey(c.ids[victim]), "only the dead node is missing");
        for (const s of e.seqnos) reported.add(`${netIdKey(e.origin)}/${s}`);
      }
    }
    let silent = 0, unrepairable = 0;
    for (const m of fromLive) {
      if (!m.dests.includes(victim)) continue;
      if ((c.got[victim].get(m.id) ?? 0) > 0) continue;
      unrepairable++;
      if (!reported.has(`${netIdKey(m.origin)}/${m.origin.seqno}`)) silent++;
    }
    assert.ok(unrepairable > 0, "the victim missed messages after its death");
    assert.equal(silent, 0, "every message the dead node misses was reported lost");
    const sum = c.nodes.reduce((a, n) => a + n.stats().reliable.lostDestinations, 0);
    assert.ok(sum >= unrepairable, `lostDestinations ${sum} >= ${unrepairable}`);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-007] confirmed() resolves when all confirm and rejects naming a killed destination", async () => {
  const c = await memCluster(Array.from({ length: 8 }, () => "A"), { profile: "v2" }, {
    multicastLoss: 0.3,
  }, 3);
  try {
    await learn(c, 2);
    const ok = sendTo(c, 0, [1, 2, 3, 4, 5, 6, 7]);
    let resolved = false;
    c.nodes[0].confirmed(ok.origin, { timeoutMs: 5_000 }).then(() => resolved = true);
    await driveUntilQuiet(c);
    assert.equal(resolved, true);
    // Already confirmed: resolves at once.
    await c.nodes[0].confirmed(ok.origin);

    c.kill(4);
    const m = sendTo(c, 0, [1, 2, 3, 4, 5, 6, 7]);
    let err: unknown;
    c.nodes[0].confirmed(m.origin, { timeoutMs: 3_000 }).catch((e) => err = e);
    await drive(c, 3_050);
    assert.ok(err instanceof DeliveryUnconfirmedError, String(err));
    assert.equal(err.code, "DELIVERY_UNCONFIRMED");
    assert.deepEqual(err.missing.map(netIdKey), [netIdKey(c.ids[4])]);
    assert.equal(err.reason, "timeout");
    // The live destinations have it.
    for (const d of [1, 2, 3, 5, 6, 7]) assert.equal(c.got[d].get(m.id), 1);
    // Later the dead node is given up as unreachable: asking now rejects at once, naming it.
    await drive(c, 10_000);
    await assert.rejects(
      c.nodes[0].confirmed(m.origin),
      (e: unknown) =>
        e instanceof DeliveryUnconfirmedError && e.reason === "lost" &&
        e.missing.length === 1 && netIdKey(e.missing[0]) === netIdKey(c.ids[4]),
    );
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-007] confirmed() refuses a timeoutMs that is not a number of ms >= 0", async () => {
  // Before: -1 rejected at once as "timeout", NaN and "x" set no timer (a wait with no end).
  const c = await memCluster(["A", "A"], { profile: "v2" }, {}, 11);
  try {
    const m = sendTo(c, 0, [1]);
    for (const bad of [-1, Number.NaN, "x", null]) {
      assert.throws(
        () => c.nodes[0].confirmed(m.origin, { timeoutMs: bad as number }),
        (e: unknown) =>
          e instanceof NodeOptionError && e.code === "OPTION_INVALID" &&
          e.option === "timeoutMs" && Object.is(e.value, bad),
        String(bad),
      );
    }
    // 0 and Infinity are numbers of ms: accepted.
    const p = c.nodes[0].confirmed(m.origin, { timeoutMs: Infinity });
    await driveUntilQuiet(c);
    await p;
    await c.nodes[0].confirmed(m.origin, { timeoutMs: 0 });
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-008] flow control: a slowed receiver makes the sender hold back, nothing is lost", async () => {
  // Node 1 has a domain of its own (everything reaches it by TCP) and stops reading.
  const c = await memCluster(["A", "B", "A", "A"], { profile: "v2", sendWindow: 32 }, {}, 5);
  try {
    const lost = collectLost(c.nodes);
    await learn(c, 2);
    c.net.pause(c.ids[1], true);
    const sent: Sent[] = [];
    let drainedAt = -1;
    for (let i = 0; i < 400; i++) sent.push(sendTo(c, 0, [1, 2, 3]));
    c.nodes[0].drained().then(() => drainedAt = c.clock.now());
    await drive(c, 1_000);
    const s = c.nodes[0].stats().reliable;
    assert.ok(s.held >= 400 - 32 - 1, `held ${s.held}`);
    assert.ok(c.net.pending < 40, `frames queued for the slow node: ${c.net.pending}`);
    assert.equal(drainedAt, -1, "not drained while the receiver is stalled");
    // It reads again: everything arrives, in window-sized steps.
    c.net.pause(c.ids[1], false);
    await driveUntilQuiet(c);
    assert.ok(drainedAt > 0, "drained() resolved");
    const t = tally(c, sent, () => true);
    assert.equal(t.missing, 0);
    assert.equal(t.dup, 0);
    assert.equal(lost.length, 0);
    assert.equal(c.nodes[0].stats().reliable.heldTotal >= 368, true);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-004] bounded buffer: messages beyond it are reported lost, never silently", async () => {
  const c = await memCluster(["A", "B"], { profile: "v2", retransmitMaxMessages: 50 }, {}, 9);
  try {
    const lost = collectLost(c.nodes);
    c.net.kill(c.ids[1]);
    const sent: Sent[] = [];
    for (let i = 0; i < 200; i++) sent.push(sendTo(c, 0, [1]));
    await drive(c, 100);
    const s = c.nodes[0].stats().reliable;
    assert.ok(s.buffered <= 50, `buffered ${s.buffered}`);
    assert.equal(s.lost, 150);
    assert.equal(lost.filter((e) => e.reason === "buffer").length, 150);
    // The rest go as unreachable after the repair rounds fail.
    await drive(c, 30_000, 100);
    assert.equal(c.nodes[0].stats().reliable.lost, 200);
    assert.equal(c.nodes[0].stats().reliable.buffered, 0);
    assert.equal(lost.length, 200);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-006] a destination is told what its origin gave up, and reports what it never delivered", async () => {
  const c = await memCluster(["A", "A"], { profile: "v2", retransmitMaxAgeMs: 1_000 }, {}, 13);
  try {
    await learn(c, 2);
    const lost = collectLost(c.nodes);
    // Multicast loses half; every TCP frame (repairs, acknowledgements) vanishes for 900 ms.
    c.net.setMulticastLoss(0.5);
    c.net.setTcpFaults(0, 1);
    const sent: Sent[] = [];
    for (let i = 0; i < 40; i++) {
      sent.push(sendTo(c, 0, [1]));
      await c.net.settle();
    }
    await drive(c, 900);
    c.net.setTcpFaults(0, 0);
    await drive(c, 500);
    const never = sent.filter((m) => !c.got[1].has(m.id)).length;
    assert.ok(never > 0);
    const atDest = lost.filter((e) => e.side === "destination");
    const reported = atDest.reduce((a, e) => a + e.seqnos.length, 0);
    assert.equal(reported, never, "the destination reports exactly what it never delivered");
    assert.equal(c.nodes[1].stats().reliable.lostReported, never);
    const atOrigin = lost.filter((e) => e.side === "origin").length;
    assert.ok(atOrigin >= never, "the origin reports at least as many (lost acknowledgements)");
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-001] reliability off, and the legacy profile: no acknowledgements", async () => {
  for (
    const opts of [{ profile: "v2" as const, reliable: false }, { profile: "legacy" as const }]
  ) {
    const c = await memCluster(Array.from({ length: 4 }, () => "A"), opts, {}, 2);
    try {
      await learn(c, 2);
      for (let i = 0; i < 20; i++) sendTo(c, i % 4, [0, 1, 2, 3]);
      await drive(c, 1_000);
      for (const n of c.nodes) {
        const s = n.stats().reliable;
        assert.equal(s.ackFrames + s.tracked + s.acksReceived, 0);
      }
      await assert.rejects(
        c.nodes[0].confirmed({ ...c.ids[0], seqno: 1 }),
        (e: unknown) => e instanceof DeliveryUnconfirmedError && e.reason === "unknown",
      );
    } finally {
      await c.close();
    }
  }
});

Deno.test("[R-WIRE-REL-001] sequence ranges round-trip; malformed lists are rejected", () => {
  assert.equal(SYS_ACK_TAG, 0xa1730920, "spec/wire.md section 16");
  assert.equal(SYS_LOST_TAG, 0xde480b77);
  assert.equal(SYS_ACKREQ_TAG, 0xd86adc62);
  assert.deepEqual([...encodeSeqRanges([5, 6, 7, 10])], [2, 5, 2, 1, 0]);
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 40 }), { maxLength: 300 }), (a) => {
      const sorted = [...a].sort((x, y) => x - y);
      const ranges = decodeSeqRanges(encodeSeqRanges(sorted));
      const back: number[] = [];
      for (const [x, y] of ranges) for (let s = x; s <= y; s++) back.push(s);
      assert.deepEqual(back, sorted);
      for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i][0] > ranges[i - 1][1] + 1);
    }),
  );
  for (const bad of [[1], [1, 5], [1, 5, 0, 9], [0, 1]]) {
    assert.throws(() => decodeSeqRanges(new Uint8Array(bad)), DecodeError, JSON.stringify(bad));
  }
});

Deno.test("[R-NODE-DEDUP-001] the bitmap window: new, duplicate, old; repairs inside the window are new", () => {
  const d = new DedupWindow(64, 4);
  const id = (seqno: number): NetId & { seqno: number } => ({ ip: "10.0.0.1", port: 1, seqno });
  assert.equal(d.check(id(100)), "new");
  assert.equal(d.check(id(90)), "new", "an earlier message arriving late (a repair)");
  assert.equal(d.check(id(90)), "duplicate");
  assert.equal(d.has(id(90)), true);
  assert.equal(d.has(id(91)), false);
  assert.equal(d.check(id(36)), "old");
  assert.equal(d.check(id(160)), "new");
  assert.equal(d.check(id(100)), "duplicate", "still inside the window (96, 160]");
  assert.equal(d.check(id(96)), "old");
  assert.equal(d.check(id(130)), "new", "its slot was cleared when the window slid");
});
