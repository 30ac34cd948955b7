/**
 * An origin's acknowledgement batch is sent once it holds `MAX_SEQ_RANGES` (4,096) ranges, not
 * only at 16,384 numbers: numbers that arrive out of order are inserted into the batch's range
 * list one by one, so a key holder whose records come descending and spaced (every one a range of
 * its own) made each insert move the whole list: 16,384 of them took about 360 ms of CPU against
 * 1 ms in order (2 shared cores), per batch, per frame of records. [R-NODE-REL-002]
 * [R-NODE-REL-015]
 */
import assert from "node:assert/strict";
import { ManualClock } from "../../src/node/clock.ts";
import { ReliableReceiver } from "../../src/node/reliable_receiver.ts";
import { decodeSeqRanges, MAX_SEQ_RANGES } from "../../src/wire/reliable_control.ts";

Deno.test("[R-NODE-REL-002] [R-NODE-REL-015] an acknowledgement batch of one origin is sent when it holds 4,096 ranges", () => {
  const clock = new ManualClock(1_000_000);
  const sent: [number, number][][] = [];
  const r = new ReliableReceiver({
    clock,
    sendAck: (_to, payload) => {
      sent.push(decodeSeqRanges(payload));
      return { frames: 1, bytes: payload.length };
    },
  }, 100);
  const X = { ip: "10.0.0.9", port: 9 };
  // Descending and spaced: each number is a range of its own, each inserted below the others.
  const base = 1_000_000;
  for (let i = 3 * MAX_SEQ_RANGES; i >= 1; i--) r.received({ ...X, seqno: base + 2 * i }, "tcp");
  assert.equal(sent.length, 3, "three batches sent at once, without the timer");
  for (const ranges of sent) assert.equal(ranges.length, MAX_SEQ_RANGES);
  // In order, numbers merge into one range: no early flush.
  sent.length = 0;
  for (let s = 0; s < 10_000; s++) r.received({ ...X, seqno: 5_000_000 + s }, "tcp");
  assert.equal(sent.length, 0);
  clock.advance(1_000); // its interval (R-NODE-REL-013: up to 8 delays for steady traffic)
  assert.deepEqual(sent, [[[5_000_000, 5_009_999]]]);
  r.close();
});
