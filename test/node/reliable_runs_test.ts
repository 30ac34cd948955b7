/**
 * A frame's consecutive records of its sender reach the destination side of reliable delivery as
 * one run (src/node/reliable.ts `received`/`endFrame`, src/node/reliable_receiver.ts
 * `receivedRun`): the acknowledgements must be exactly those of handing over every record on its
 * own (spec/node.md R-NODE-REL-002, R-NODE-REL-012, R-NODE-REL-014, R-NODE-REL-015). Differential
 * property tests against the receiver fed record by record.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ManualClock } from "../../src/node/clock.ts";
import { NodeEvents } from "../../src/node/events.ts";
import { Reliability, type RelRecord } from "../../src/node/reliable.ts";
import { ReliableReceiver } from "../../src/node/reliable_receiver.ts";
import {
  encodeSeqRanges,
  SYS_ACK_TAG,
  SYS_ACKREQ_TAG,
  SYS_DUP_TAG,
} from "../../src/wire/reliable_control.ts";
import type { NetId } from "../../src/wire/netid.ts";

const BASE = 1_800_000_000_000_000;
/** Origins: two ports on two addresses (address and port both matter), and this node. */
const ORIGINS: NetId[] = [
  { ip: "10.0.0.1", port: 1000 },
  { ip: "10.0.0.1", port: 1001 },
  { ip: "10.0.0.2", port: 1000 },
  { ip: "10.0.0.2", port: 1001 },
];
const SELF: NetId = { ip: "10.0.0.9", port: 9 };
const key = (n: NetId) => `${n.ip}:${n.port}`;

/** Runs of consecutive numbers per origin, with gaps, repeats and overtaking ones. */
const runs = fc.array(
  fc.record({
    o: fc.integer({ min: 0, max: 3 }),
    gap: fc.oneof(
      { weight: 5, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 }) },
      { weight: 1, arbitrary: fc.integer({ min: -30, max: -1 }) },
      { weight: 1, arbitrary: fc.integer({ min: 4, max: 40 }) },
    ),
    len: fc.integer({ min: 1, max: 24 }),
    udp: fc.boolean(),
    wait: fc.integer({ min: 0, max: 150 }),
  }),
  { maxLength: 120 },
);

Deno.test("[R-NODE-REL-002] [R-NODE-REL-012] receivedRun acknowledges exactly what received() number by number does (batch bound included)", () => {
  fc.assert(
    fc.property(runs, fc.integer({ min: 2, max: 64 }), (rs, maxBatch) => {
      const sent = { a: [] as string[], b: [] as string[] };
      const mk = (l: string[]) => {
        const clock = new ManualClock();
        const r = new ReliableReceiver(
          {
            clock,
            sendAck: (to, p, _f, dup) => {
              l.push(`${key(to)} ${[...p]} ${dup ? [...dup] : "-"}`);
              return { frames: 1, bytes: p.length };
            },
          },
          100,
          maxBatch,
        );
        return { clock, r };
      };
      const A = mk(sent.a), B = mk(sent.b);
      const next = ORIGINS.map(() => BASE);
      for (const { o, gap, len, udp, wait } of rs) {
        const lo = Math.max(BASE, next[o] + gap);
        const hi = lo + len - 1;
        next[o] = Math.max(next[o], hi + 1);
        const via = udp ? "udp" : "tcp";
        for (let x = lo; x <= hi; x++) A.r.received({ ...ORIGINS[o], seqno: x }, via);
        if (lo === hi) B.r.received({ ...ORIGINS[o], seqno: lo }, via);
        else B.r.receivedRun(ORIGINS[o], lo, hi, via);
        A.clock.advance(wait);
        B.clock.advance(wait);
        assert.deepEqual(sent.b, sent.a);
      }
      A.clock.advance(2_000);
      B.clock.advance(2_000);
      A.r.close();
      B.r.close();
      assert.deepEqual(sent.b, sent.a);
      assert.deepEqual(B.r.stats, A.r.stats);
    }),
    { numRuns: 300 },
  );
});

/** A frame: its sender and its records' origins (index; 4: this node) and numbers. */
const frames = fc.array(
  fc.record({
    sender: fc.integer({ min: 0, max: 3 }),
    recs: fc.array(
      fc.record({
        // Mostly the sender's own records; now and then another origin's or this node's.
        other: fc.oneof(
          { weight: 8, arbitrary: fc.constant(-1) },
          { weight: 2, arbitrary: fc.integer({ min: 0, max: 4 }) },
        ),
        gap: fc.oneof(
          { weight: 8, arbitrary: fc.constant(0) },
          { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) },
          { weight: 1, arbitrary: fc.integer({ min: -10, max: -1 }) },
        ),
      }),
      { maxLength: 20 },
    ),
    udp: fc.boolean(),
    wait: fc.integer({ min: 0, max: 150 }),
    // A TCP frame goes to this origin (acknowledgements may ride in it): after this many of
    // the frame's records (a delivery listener sending), or after the frame.
    carryTo: fc.option(fc.integer({ min: 0, max: 3 })),
    carryAt: fc.integer({ min: 0, max: 24 }),
    // The sender asks for an acknowledgement now (a TCP frame's control record) after this many
    // of the frame's records (none when beyond them).
    ackreqAt: fc.integer({ min: 0, max: 60 }),
  }),
  { maxLength: 80 },
);

Deno.test("[R-NODE-REL-002] [R-NODE-REL-014] [R-NODE-REL-015] Reliability hands a frame's runs to the receiver: the same acknowledgements as record by record", () => {
  fc.assert(
    fc.property(frames, (fs) => {
      const clock = new ManualClock();
      const got: string[] = [];
      const want: string[] = [];
      const events = new NodeEvents();
      let seq = 1;
      const rel = new Reliability({
        self: SELF,
        clock,
        events,
        nextSeq: () => ++seq,
        currentSeq: () => seq,
        enqueue: () => {},
        sendDirect: (to: NetId, recs: RelRecord[]) => {
          for (const r of recs) {
            if (r.tag === SYS_ACK_TAG) got.push(`${key(to)} ack ${[...r.raw!]}`);
            if (r.tag === SYS_DUP_TAG) got.push(`${key(to)} dup ${[...r.raw!]}`);
          }
          return { frames: 1, bytes: 10 };
        },
        hasDelivered: () => false,
        encodeFailed: () => {},
      }, {
        ackDelayMs: 100,
        retransmitMs: 200,
        retransmitMaxMessages: 1000,
        retransmitMaxBytes: 1 << 20,
        retransmitMaxAgeMs: 10_000,
        sendWindow: 1024,
        sendWindowMin: 1024,
        sendWindowInitial: 1024,
        maxRepairFailures: 3,
        dedupWindow: 1 << 16,
      });
      // The model: every record handed to a receiver on its own (this node's own skipped).
      const model = new ReliableReceiver({
        clock,
        sendAck: (to, p) => {
          want.push(`${key(to)} ack ${[...p]}`);
          return { frames: 1, bytes: 10 };
        },
      }, 100);
      const all = [...ORIGINS, SELF];
      const next = all.map(() => BASE);
      for (const f of fs) {
        const sender = ORIGINS[f.sender];
        const frame = { sender: { ip: sender.ip, port: sender.port } };
        const via = f.udp ? "udp" : "tcp";
        const carry = () => {
          if (f.carryTo === null) return;
          const to = ORIGINS[f.carryTo];
          for (const r of rel.carry(to) ?? []) {
            if (r.typeTag === SYS_ACK_TAG) {
              got.push(`${key(to)} ack ${[...(r.payload as Uint8Array)]}`);
            }
          }
          for (const t of model.take(to) ?? []) want.push(`${key(to)} ack ${[...t.ack]}`);
        };
        for (const [i, r] of f.recs.entries()) {
          if (i === f.carryAt) carry();
          if (i === f.ackreqAt && !f.udp) {
            const ackreq = {
              typeTag: SYS_ACKREQ_TAG,
              origin: { ip: sender.ip, port: sender.port, seqno: BASE },
              payload: encodeSeqRanges([]),
            };
            rel.control(ackreq, frame.sender, "v2", { kind: "tcp" });
            // The answer names the request's own number (R-NODE-REL-018).
            model.requested(sender, undefined, BASE);
          }
          const o = r.other < 0 ? f.sender : r.other;
          const x = Math.max(BASE, next[o] + r.gap);
          next[o] = Math.max(next[o], x + 1);
          // A fresh origin object per record, as the decoder makes them.
          const origin = { ip: all[o].ip, port: all[o].port, seqno: x };
          rel.received(origin, "v2", via, frame);
          if (o !== 4) model.received({ ...origin }, via);
        }
        rel.endFrame();
        if (f.carryAt >= f.recs.length) carry();
        clock.advance(f.wait);
        assert.deepEqual(got, want);
      }
      clock.advance(2_000);
      rel.close();
      model.close();
      assert.deepEqual(got, want);
    }),
    { numRuns: 300 },
  );
});
