/**
 * Hostile reliable-delivery control records (`chatter.sys.rel.*`, spec/wire.md section 16) from
 * a key holder, as hand-built frames on the deterministic in-memory network: acknowledgements
 * from outside the destination set, huge and far-away range lists, loss notices and repair
 * markers naming numbers their sender never sent, acknowledgement-request floods, control
 * records in multicast frames. Each is ignored or bounded per frame, and counted.
 * [R-NODE-REL-002] [R-NODE-REL-015] [R-WIRE-REL-003]
 */
import assert from "node:assert/strict";
import { DeliveryUnconfirmedError, type LostEvent, type NetId } from "../../mod.ts";
import { createCodec } from "../../src/node/codecs.ts";
import { resolveNodeOptions } from "../../src/node/options.ts";
import type { TransportKind } from "../../src/node/frame_codec.ts";
import { MAX_SEQNO } from "../../src/wire/constants.ts";
import { typeTag } from "../../src/wire/xxhash32.ts";
import type { OutgoingRecord } from "../../src/wire/message.ts";
import { netIdKey } from "../../src/wire/netid.ts";
import {
  encodeRangeList,
  SYS_ACK_TAG,
  SYS_ACKREQ_TAG,
  SYS_DUP_TAG,
  SYS_LOST_TAG,
  SYS_REPAIR_TAG,
} from "../../src/wire/reliable_control.ts";
import { learn, type MemCluster, memCluster, TEST_KEY } from "./_memory_cluster.ts";
import { collectLost, drive, driveUntilQuiet } from "./_reliable_helpers.ts";

/** A key holder on the memory network: its own endpoint, the cluster's key. */
async function keyHolder(c: MemCluster, id: NetId, domain = "A", key = TEST_KEY) {
  const got: TransportKind[] = [];
  const t = await c.net.transport({ id, domain })({
    frame: (_f, kind) => {
      got.push(kind);
      return true;
    },
    streamError: () => {},
  });
  const o = resolveNodeOptions({
    address: "127.0.0.1",
    port: 0,
    key,
    profile: "v2",
    clock: c.clock,
  });
  let seq = 1_000;
  const codec = createCodec(o, () => ++seq, "v2");
  // Frames sealed after the victims started (a node refuses earlier ones: BEFORE_START).
  c.clock.advance(5);
  const frames = (recs: OutgoingRecord[], as: NetId, to?: NetId) =>
    codec.encode(
      {
        current: { ip: as.ip, port: as.port, seqno: ++seq },
        seen: [],
        other: [],
        distribution: [],
      },
      recs,
      { maxFrameBytes: 1 << 20, maxRecords: 4096, to },
    );
  return {
    /** Frames the victims sent this key holder. */
    got,
    /** One control record of `as` (default: the key holder itself). */
    rec(tag: number, payload: Uint8Array, as: NetId = id, seqno = ++seq): OutgoingRecord {
      return { typeTag: tag, origin: { ip: as.ip, port: as.port, seqno }, payload };
    },
    /** Send `recs` by TCP to `to`, in frames whose sender is `as`. */
    tcp(to: NetId, recs: OutgoingRecord[], as: NetId = id): number {
      const fs = frames(recs, as, to);
      for (const f of fs) t.sendTcp(to, f);
      return fs.length;
    },
    /** Multicast `recs` in one frame to the key holder's domain. */
    multicast(recs: OutgoingRecord[]): void {
      for (const f of frames(recs, id)) t.sendMulticast(f);
    },
  };
}

const X: NetId = { ip: "10.0.65.99", port: 4999 };

Deno.test("[R-NODE-REL-002] an acknowledgement from a node outside the destination set confirms nothing; one sealed as a destination is believed (the key is the only credential)", async () => {
  // Destination 2 has a domain of its own: everything reaches it by TCP, which a pause holds.
  const c = await memCluster(["A", "A", "B"], { profile: "v2" }, {}, 21);
  try {
    await learn(c, 2);
    await driveUntilQuiet(c);
    const x = await keyHolder(c, X);
    c.net.pause(c.ids[2], true); // destination 2 gets nothing and acknowledges nothing
    const m = c.nodes[0].broadcast([c.ids[1], c.ids[2]], "test.msg", { n: 1, id: "a1" });
    const before = c.nodes[0].stats().reliable.acksReceived;
    // The key holder acknowledges, under its own NetID, that message and every number there is.
    x.tcp(c.ids[0], [
      x.rec(SYS_ACK_TAG, encodeRangeList([[m.seqno, m.seqno]])),
      x.rec(SYS_ACK_TAG, encodeRangeList([[0, MAX_SEQNO]])),
    ]);
    let err: unknown;
    c.nodes[0].confirmed(m, { timeoutMs: 1_000 }).catch((e) => err = e);
    await drive(c, 1_050);
    assert.ok(c.nodes[0].stats().reliable.acksReceived >= before + 2, "the forged acks arrived");
    assert.ok(err instanceof DeliveryUnconfirmedError, String(err));
    assert.deepEqual(err.missing.map(netIdKey), [netIdKey(c.ids[2])], "still waiting for 2");
    assert.equal(c.got[2].get("a1"), undefined);
    // The documented limit: a frame sealed with the key that names destination 2 as its sender
    // is destination 2 as far as the origin can tell (spec/node.md, "What is not promised").
    x.tcp(
      c.ids[0],
      [x.rec(SYS_ACK_TAG, encodeRangeList([[m.seqno, m.seqno]]), c.ids[2])],
      c.ids[2],
    );
    await drive(c, 100);
    await c.nodes[0].confirmed(m, { timeoutMs: 0 });
    assert.equal(c.got[2].get("a1"), undefined, "confirmed, never delivered at 2");
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-015] acknowledgements with thousands of records and ranges reaching far beyond what was sent: per-frame bounded, only real numbers confirmed, the rest counted", async () => {
  const c = await memCluster(["A", "B", "C"], { profile: "v2" }, {}, 22);
  try {
    await learn(c, 2);
    await driveUntilQuiet(c);
    const x = await keyHolder(c, X);
    c.net.pause(c.ids[1], true);
    c.net.pause(c.ids[2], true);
    const sent = [];
    for (let i = 0; i < 2_000; i++) {
      sent.push(c.nodes[0].broadcast([c.ids[1], c.ids[2]], "test.msg", { n: i, id: `b${i}` }));
    }
    const r0 = c.nodes[0].stats().reliable;
    assert.ok(r0.buffered >= 2_000, `buffered ${r0.buffered}`);
    // 4,096 ranges per record, each as wide as the per-number walk allows (4 x the buffer),
    // the first covering half of what was sent, the rest far above it; 60 such records per
    // frame (before: 60 x 4,096 x 8,000 steps, about 2 x 10^9, for one frame), sealed as
    // destination 2 (believed: the acknowledgement of what is really sent must count).
    const half = sent[999].seqno;
    const ranges: [number, number][] = [[sent[0].seqno, half]];
    let at = half + 2;
    while (ranges.length < 4_096) {
      ranges.push([at, at + 7_999]);
      at += 8_001;
    }
    const payload = encodeRangeList(ranges);
    const recs = Array.from({ length: 60 }, () => x.rec(SYS_ACK_TAG, payload, c.ids[2]));
    assert.equal(x.tcp(c.ids[0], recs, c.ids[2]), 1, "one frame");
    await drive(c, 50);
    const r1 = c.nodes[0].stats().reliable;
    assert.equal(r1.controlIgnored - r0.controlIgnored, 60 - 16, "16 ack records per frame");
    assert.equal(r1.acksReceived - r0.acksReceived, 16);
    // Destination 2's half is acknowledged; destination 1 has acknowledged nothing.
    assert.equal(r1.confirmed, r0.confirmed);
    c.net.pause(c.ids[1], false);
    c.net.pause(c.ids[2], false);
    await driveUntilQuiet(c);
    const r2 = c.nodes[0].stats().reliable;
    assert.equal(r2.lost, 0);
    assert.equal(r2.buffered, 0);
    for (let i = 0; i < 2_000; i++) assert.equal(c.got[1].get(`b${i}`), 1);
    // The half believed acknowledged by 2 was not repaired to it, but its held copies arrive.
    for (let i = 0; i < 2_000; i++) assert.equal(c.got[2].get(`b${i}`), 1);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-015] an acknowledgement-request flood gets one answer per frame; control records in a multicast frame are ignored", async () => {
  const c = await memCluster(["A", "A", "A"], { profile: "v2" }, {}, 23);
  try {
    await learn(c, 2);
    await driveUntilQuiet(c);
    const x = await keyHolder(c, X);
    const empty = encodeRangeList([]);
    const r0 = c.nodes[1].stats().reliable;
    const reqs = Array.from({ length: 4_000 }, () => x.rec(SYS_ACKREQ_TAG, empty));
    assert.equal(x.tcp(c.ids[1], reqs), 1, "one frame of 4,000 requests");
    await drive(c, 50);
    // Before: 4,000 acknowledgement frames back, one per request.
    const answers = x.got.filter((k) => k === "tcp").length;
    assert.equal(answers, 1, `${answers} answers`);
    const r1 = c.nodes[1].stats().reliable;
    assert.equal(r1.controlIgnored - r0.controlIgnored, 3_999);
    // By multicast: nodes 1 and 2 would each answer every request of the datagram.
    x.got.length = 0;
    x.multicast(Array.from({ length: 50 }, () => x.rec(SYS_ACKREQ_TAG, empty)));
    x.multicast([x.rec(SYS_ACK_TAG, encodeRangeList([[0, MAX_SEQNO]]))]);
    await drive(c, 300);
    assert.equal(x.got.length, 0, `${x.got.length} answers to multicast requests`);
    for (const i of [0, 1, 2]) {
      const s = c.nodes[i].stats().reliable;
      assert.ok(s.controlIgnored >= 51, `node ${i} counted ${s.controlIgnored}`);
    }
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-015] loss notices and repair markers naming numbers their sender never sent: bounded, counted, never reported for another origin", async () => {
  const c = await memCluster(["A", "A"], { profile: "v2" }, {}, 24);
  try {
    const lost: LostEvent[] = collectLost(c.nodes);
    await learn(c, 2);
    await driveUntilQuiet(c);
    const x = await keyHolder(c, X);
    const r0 = c.nodes[1].stats().reliable;
    // A notice from X naming numbers at and above its own sequence number (a notice is sent
    // after the messages it gives up), and 4,096 ranges up to 2^53 - 1: before, every number
    // up to 65,536 per record was reported, for every record of the frame.
    const wide: [number, number][] = [];
    for (let i = 0; i < 4_096; i++) wide.push([i * 2 ** 40, i * 2 ** 40 + 2 ** 39]);
    const recSeq = 5_000;
    x.tcp(c.ids[1], [
      x.rec(
        SYS_LOST_TAG,
        encodeRangeList([[recSeq, recSeq + 10], [MAX_SEQNO - 9, MAX_SEQNO]]),
        X,
        recSeq,
      ),
    ]);
    await drive(c, 50);
    const r1 = c.nodes[1].stats().reliable;
    assert.equal(r1.lostNotices - r0.lostNotices, 1);
    assert.equal(r1.lostReported, r0.lostReported, "nothing below the notice's own number");
    assert.equal(lost.length, 0);
    // 100 notices, each naming 2^51 numbers: one read per frame, at most 65,536 numbers each,
    // all below the notice's own sequence number (X's numbers here are about 1,000).
    const frames = x.tcp(
      c.ids[1],
      Array.from({ length: 100 }, () => x.rec(SYS_LOST_TAG, encodeRangeList(wide))),
    );
    await drive(c, 50);
    const r2n = c.nodes[1].stats().reliable;
    assert.equal(r2n.controlIgnored - r1.controlIgnored, 100 - frames, "one notice per frame");
    assert.equal(r2n.lostNotices - r1.lostNotices, frames);
    assert.ok(r2n.lostReported - r1.lostReported <= frames * 2_000, `${r2n.lostReported}`);
    assert.ok(lost.every((e) => e.seqnos.every((n) => n < 2_000)));
    // A notice is about the sender's own messages: naming node 0's numbers from X reports
    // (at most) X's, never node 0's.
    const m = c.nodes[0].broadcast([c.ids[1]], "test.msg", { n: 1, id: "d1" });
    await driveUntilQuiet(c);
    x.tcp(c.ids[1], [x.rec(SYS_LOST_TAG, encodeRangeList([[m.seqno - 3, m.seqno + 3]]))]);
    await drive(c, 50);
    assert.ok(lost.every((e) => netIdKey(e.origin) === netIdKey(X)), "only X's numbers");
    assert.ok(lost.every((e) => e.seqnos.length <= 65_536));
    // Repair markers: one per frame read, numbers below its own only, the rest counted.
    const r2 = c.nodes[1].stats().reliable;
    const markers = x.tcp(
      c.ids[1],
      Array.from({ length: 200 }, () => x.rec(SYS_REPAIR_TAG, encodeRangeList(wide))),
    );
    await drive(c, 50);
    const r3 = c.nodes[1].stats().reliable;
    assert.equal(r3.controlIgnored - r2.controlIgnored, 200 - markers);
    assert.ok(
      r3.repairsReceived - r2.repairsReceived <= 65_536 * markers,
      `repairs counted: ${r3.repairsReceived - r2.repairsReceived}`,
    );
    // Needless-repair reports naming 2^53 numbers count what the origin could have sent.
    const n0 = c.nodes[0].stats().reliable.needlessReported;
    x.tcp(c.ids[0], [x.rec(SYS_DUP_TAG, encodeRangeList([[0, MAX_SEQNO]]), c.ids[1])], c.ids[1]);
    await drive(c, 50);
    const n1 = c.nodes[0].stats().reliable.needlessReported;
    assert.ok(n1 - n0 <= 65_536, `needless reported +${n1 - n0}`);
    // The legitimate path still works after all that.
    const m2 = c.nodes[0].broadcast([c.ids[1]], "test.msg", { n: 2, id: "d2" });
    await driveUntilQuiet(c);
    await c.nodes[0].confirmed(m2, { timeoutMs: 0 });
    assert.equal(c.got[1].get("d2"), 1);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-015] a frame of records from thousands of forged origins makes the node acknowledge (connect to) at most 32 of them", async () => {
  const c = await memCluster(["A", "A"], { profile: "v2" }, {}, 25);
  try {
    await learn(c, 2);
    await driveUntilQuiet(c);
    const x = await keyHolder(c, X);
    const before = c.nodes[1].stats();
    // Every acknowledgement goes by TCP to its origin: before, one frame of 4,000 records of
    // 4,000 made-up origins made the node try 4,000 connections (4,000 ack frames).
    const recs: OutgoingRecord[] = Array.from({ length: 4_000 }, (_, i) => ({
      typeTag: typeTag("test.msg"),
      origin: { ip: `10.9.${i >> 8}.${i & 255}`, port: 7_000, seqno: 5 },
      payload: new TextEncoder().encode(JSON.stringify({ n: i })),
    }));
    assert.equal(x.tcp(c.ids[1], recs), 1);
    await drive(c, 300);
    const after = c.nodes[1].stats();
    assert.equal(after.delivered - before.delivered, 4_000, "delivered (a key holder's records)");
    const acks = after.reliable.ackFrames - before.reliable.ackFrames;
    assert.ok(acks <= 32, `${acks} acknowledgement frames`);
    assert.ok(after.transport.connectFailures - before.transport.connectFailures <= 32);
    assert.equal(after.reliable.acksLimited - before.reliable.acksLimited, 4_000 - 32);
    // The frame's sender's own records are acknowledged whatever else the frame holds.
    const own = x.rec(typeTag("test.msg"), new TextEncoder().encode(JSON.stringify({ n: -1 })));
    x.tcp(c.ids[1], [
      ...recs.slice(0, 100).map((r) => ({ ...r, origin: { ...r.origin, seqno: 6 } })),
      own,
    ]);
    await drive(c, 300);
    assert.equal(c.nodes[1].stats().reliable.acksLimited - after.reliable.acksLimited, 100 - 32);
    assert.ok(x.got.length >= 1, "the sender was acknowledged");
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-015] the origin limit's cost: a relay frame coalescing 40 real origins' records gets 32 acknowledged; the other 8 origins repair directly, needlessly", async () => {
  // 40 origins in domain A; the destination alone in domain B (it hears them by TCP only).
  const c = await memCluster([...Array(40).fill("A"), "B"], { profile: "v2" }, {}, 26);
  try {
    await learn(c, 2);
    await driveUntilQuiet(c);
    const v = 40;
    const x = await keyHolder(c, X, "B");
    const before = c.nodes[v].stats().reliable;
    // Each origin's own copy cannot reach the destination; a relay (the key holder, reaching
    // everyone) forwards all 40 records in one frame once the cut heals.
    c.net.partition([[c.ids[v]], c.ids.slice(0, v)]);
    const ids = Array.from({ length: v }, (_, i) => {
      const id = c.nodes[i].broadcast([c.ids[v]], "test.msg", { n: i, id: `c${i}` });
      return id;
    });
    await c.net.settle();
    c.net.partition([]);
    const recs: OutgoingRecord[] = ids.map((id, i) => ({
      typeTag: typeTag("test.msg"),
      origin: id,
      payload: new TextEncoder().encode(JSON.stringify({ n: i, id: `c${i}` })),
    }));
    assert.equal(x.tcp(c.ids[v], recs), 1, "one frame");
    await driveUntilQuiet(c);
    for (let i = 0; i < v; i++) assert.equal(c.got[v].get(`c${i}`), 1, `c${i} once`);
    const after = c.nodes[v].stats().reliable;
    assert.equal(after.acksLimited - before.acksLimited, 8, "8 origins beyond the 32");
    // Those 8 had no acknowledgement from the relayed copy: their origins repaired directly,
    // and the destination had the message already.
    assert.equal(after.needlessRepairs - before.needlessRepairs, 8, "8 needless repairs");
    assert.equal(c.nodes.reduce((a, n) => a + n.stats().reliable.lost, 0), 0);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-018] [R-NODE-REL-015] a flood of acknowledgement requests while an answer waits for the multicast stream: the answer names at most 64 of them, the rest counted", async () => {
  const c = await memCluster(["A", "A"], { profile: "v2" }, {}, 25);
  try {
    await learn(c, 2);
    await driveUntilQuiet(c);
    const x = await keyHolder(c, X);
    // The victim hears X by multicast (one record), so a request naming a number far above
    // what came by multicast makes its answer wait for the stream (up to 100 intervals).
    x.multicast([x.rec(typeTag("test.msg"), new TextEncoder().encode('{"n":1}'))]);
    await drive(c, 50);
    x.got.length = 0;
    const r0 = c.nodes[1].stats().reliable;
    const base = 1_000_000;
    x.tcp(c.ids[1], [x.rec(SYS_ACKREQ_TAG, encodeRangeList([[0, base - 1]]), X, base)]);
    // Then one request per frame, numbers descending and spaced so that none merge into a
    // range: before, the waiting answer kept every one (an array growing for up to 10 s, then
    // inserted one by one below the last range) and named all 5,001.
    const flood = 5_000;
    for (let i = flood; i >= 1; i--) {
      x.tcp(c.ids[1], [x.rec(SYS_ACKREQ_TAG, encodeRangeList([]), X, base + 3 * i)]);
      if (i % 500 === 0) await c.net.settle();
    }
    await drive(c, 12_000, 100);
    const r1 = c.nodes[1].stats().reliable;
    assert.ok(x.got.length >= 1, "answered");
    const named = r1.ackedSeqnos - r0.ackedSeqnos;
    assert.ok(named <= 64 + 2, `the answer named ${named} numbers for ${flood + 1} requests`);
    assert.equal(r1.controlIgnored - r0.controlIgnored, flood + 1 - 64, "the rest counted");
    // Honest traffic is served as before.
    const m = c.nodes[0].broadcast([c.ids[1]], "test.msg", { n: 2, id: "q1" });
    await driveUntilQuiet(c);
    await c.nodes[0].confirmed(m, { timeoutMs: 0 });
    assert.equal(c.got[1].get("q1"), 1);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-015] [R-V2-AEAD-003] control records sealed without the cluster key: refused and counted, nothing confirmed, answered or reported", async () => {
  const c = await memCluster(["A", "A", "B"], { profile: "v2" }, {}, 26);
  try {
    const lost = collectLost(c.nodes);
    await learn(c, 2);
    await driveUntilQuiet(c);
    // A peer with another key, posing as destination 2 and as the origin node 0.
    const other = "5a1f0c3e9b7d2a4468e1f0b3c5d7e9a1b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0";
    const x = await keyHolder(c, X, "A", other);
    c.net.pause(c.ids[2], true); // destination 2 gets nothing and acknowledges nothing
    const m = c.nodes[0].broadcast([c.ids[1], c.ids[2]], "test.msg", { n: 1, id: "k1" });
    let err: unknown;
    c.nodes[0].confirmed(m, { timeoutMs: 1_000 }).catch((e) => err = e);
    await drive(c, 300); // node 1 has acknowledged it
    x.got.length = 0;
    const s0 = c.nodes.map((n) => n.stats());
    const as2 = c.ids[2], as0 = c.ids[0];
    x.tcp(as0, [x.rec(SYS_ACK_TAG, encodeRangeList([[m.seqno, m.seqno]]), as2)], as2);
    x.tcp(as0, [x.rec(SYS_ACK_TAG, encodeRangeList([[0, MAX_SEQNO]]), as2)], as2);
    x.tcp(c.ids[1], [x.rec(SYS_ACKREQ_TAG, encodeRangeList([]), as0)], as0);
    x.tcp(c.ids[1], [x.rec(SYS_LOST_TAG, encodeRangeList([[0, MAX_SEQNO]]), as0)], as0);
    x.tcp(as0, [x.rec(SYS_DUP_TAG, encodeRangeList([[0, MAX_SEQNO]]), as2)], as2);
    x.multicast([x.rec(SYS_ACKREQ_TAG, encodeRangeList([]))]);
    await drive(c, 300);
    const s1 = c.nodes.map((n) => n.stats());
    await drive(c, 450);
    assert.ok(err instanceof DeliveryUnconfirmedError, "not confirmed by the forged acks");
    assert.deepEqual(err.missing.map(netIdKey), [netIdKey(c.ids[2])]);
    assert.equal(x.got.filter((k) => k === "tcp").length, 0, "nothing sent to the forger");
    assert.equal(lost.length, 0, "no loss reported on a forged notice");
    const refused = (i: number) =>
      Object.values(s1[i].decodeErrors).reduce((a, b) => a + b, 0) -
      Object.values(s0[i].decodeErrors).reduce((a, b) => a + b, 0);
    // Node 0: its 3 frames and the datagram (same domain); node 1: its 2 frames and the datagram.
    assert.deepEqual(s1[0].decodeErrors, { ...s0[0].decodeErrors, AUTH_FAILED: refused(0) });
    assert.equal(refused(0), 4);
    assert.equal(refused(1), 3);
    for (const i of [0, 1]) {
      const [a, b] = [s0[i].reliable, s1[i].reliable];
      assert.equal(b.acksReceived, a.acksReceived, `node ${i}: no acknowledgement read`);
      assert.equal(b.lostNotices, a.lostNotices);
      assert.equal(b.needlessReported, a.needlessReported);
      assert.equal(b.controlIgnored, a.controlIgnored, "refused before reliability saw it");
    }
    c.net.pause(c.ids[2], false);
    await driveUntilQuiet(c);
    await c.nodes[0].confirmed(m, { timeoutMs: 0 });
    assert.equal(c.got[2].get("k1"), 1);
  } finally {
    await c.close();
  }
});

Deno.test("[R-NODE-REL-023] [R-WIRE-REL-003] repair markers in a multicast frame: the first is counted (at most 256 numbers), the rest ignored, nothing answered", async () => {
  const c = await memCluster(["A", "A", "A"], { profile: "v2" }, {}, 25);
  try {
    await learn(c, 2);
    await driveUntilQuiet(c);
    const x = await keyHolder(c, X);
    const before = c.nodes.map((n) => n.stats().reliable);
    x.got.length = 0;
    // 200 markers naming every number there is, in one datagram.
    x.multicast(
      Array.from({ length: 200 }, () => x.rec(SYS_REPAIR_TAG, encodeRangeList([[0, MAX_SEQNO]]))),
    );
    await drive(c, 300);
    assert.equal(x.got.length, 0, `${x.got.length} frames sent back`);
    for (const i of [0, 1, 2]) {
      const s = c.nodes[i].stats().reliable, b = before[i];
      assert.equal(s.multicastRepairsReceived - b.multicastRepairsReceived, 256, `node ${i}`);
      assert.equal(s.multicastRepairsUseful - b.multicastRepairsUseful, 256);
      assert.equal(s.controlIgnored - b.controlIgnored, 199);
      assert.equal(s.repairsReceived - b.repairsReceived, 0, "not taken for a TCP repair");
      assert.equal(s.needlessRepairs - b.needlessRepairs, 0);
    }
  } finally {
    await c.close();
  }
});
