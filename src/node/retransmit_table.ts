/**
 * The retransmit buffer's per-message state as columns (struct of arrays): one slot per
 * sequence number in a ring indexed by `seq − lowest kept`, the numbers in typed arrays and the
 * references (record, id, destination set) in plain arrays that live as long as the buffer. A
 * message in the buffer allocates no object of its own: with one object (and three boxed
 * doubles) per message kept for the acknowledgement interval (up to 800 ms, R-NODE-REL-013), V8
 * promoted every one of them out of the young generation. Used by
 * {@linkcode import("./reliable_sender.ts").ReliableSender}.
 *
 * @module
 */

const PRESENT = 1;
const HELD = 2;

/**
 * Columns of kept messages, by sequence number (non-negative integers below 2^53). Sequence
 * numbers with no message are holes; the ring grows (doubling) to span the lowest to the
 * highest kept number. Slots are found with {@linkcode RetransmitTable.slot}; a slot's columns
 * are valid until the message is deleted, but the column arrays themselves are replaced when the
 * ring grows (by {@linkcode RetransmitTable.add}): do not keep them across an `add`.
 *
 * @example
 * ```ts
 * import { RetransmitTable } from "./retransmit_table.ts";
 * import assert from "node:assert/strict";
 * const t = new RetransmitTable<string, string>();
 * const s = t.add(1_000_000, "rec", "id", "set");
 * t.left[s] = 2;
 * t.add(1_000_005, "rec5", "id5", "set");
 * assert.equal(t.size, 2);
 * assert.equal(t.left[t.slot(1_000_000)], 2);
 * assert.equal(t.slot(1_000_001), -1); // a hole
 * t.delete(1_000_000);
 * assert.equal(t.firstSeq(), 1_000_005);
 * assert.deepEqual(t.seqs(), [1_000_005]);
 * ```
 */
export class RetransmitTable<R, S, I = unknown> {
  /**
   * The record of each slot (for repairs). Empty (every slot `undefined`) until a message is
   * added with a record or id: a buffer whose messages are kept as bytes (the common case) never
   * allocates this column or `id`, which would otherwise be re-allocated, copied and promoted
   * out of the young generation at every growth of the ring.
   */
  rec: (R | undefined)[] = [];
  /** The message id of each slot (empty, like `rec`, until one is added with an id). */
  id: (I | undefined)[] = [];
  /** Whether `rec` and `id` are in use (allocated to the ring's size). */
  #refs = false;
  /** The destination set of each slot. */
  set: (S | undefined)[] = [];
  /** First-send time. */
  firstAt: Float64Array = new Float64Array(0);
  /** Next timeout. */
  nextAt: Float64Array = new Float64Array(0);
  /** Unacknowledged destinations as bits (sets of up to 31). */
  unacked: Int32Array = new Int32Array(0);
  /** Destinations not settled. */
  left: Int32Array = new Int32Array(0);
  /** Payload bytes counted against the buffer. */
  bytes: Int32Array = new Int32Array(0);
  /** Timeout repairs sent (0: never re-sent). */
  tries: Int32Array = new Int32Array(0);
  /** Where the record's bytes are kept instead of the record (chunk; -1: the record is kept). */
  pieceChunk: Int32Array = new Int32Array(0);
  /** Offset of the record's bytes in their chunk. */
  pieceOff: Int32Array = new Int32Array(0);
  /** Length of the record's bytes. */
  pieceLen: Int32Array = new Int32Array(0);
  /** A number kept beside the record's bytes (its type tag). */
  tag: Float64Array = new Float64Array(0);
  #flags: Uint8Array = new Uint8Array(0);
  #mask = -1;
  /** Slot of `#base`. */
  #head = 0;
  /** Lowest kept sequence number (when any). */
  #base = 0;
  /** Highest kept sequence number − `#base` + 1 (0 when empty). */
  #span = 0;
  #size = 0;

  /** Messages kept. */
  get size(): number {
    return this.#size;
  }

  /** The slot of `seq`, or -1 when it is not kept. */
  slot(seq: number): number {
    const j = seq - this.#base;
    if (j < 0 || j >= this.#span) return -1;
    const s = (this.#head + j) & this.#mask;
    return this.#flags[s] & PRESENT ? s : -1;
  }

  /** The slot `j` places after the lowest kept number, or -1 for a hole (`0 <= j < span`). */
  slotAt(j: number): number {
    const s = (this.#head + j) & this.#mask;
    return this.#flags[s] & PRESENT ? s : -1;
  }

  /** Highest kept sequence number − lowest + 1 (0 when empty). */
  get span(): number {
    return this.#span;
  }

  /** The lowest kept sequence number (-1 when empty). */
  firstSeq(): number {
    return this.#size === 0 ? -1 : this.#base;
  }

  /** The highest kept sequence number (-1 when empty). */
  lastSeq(): number {
    return this.#size === 0 ? -1 : this.#base + this.#span - 1;
  }

  /** The sequence number of a slot in use. */
  seqOf(slot: number): number {
    return this.#base + ((slot - this.#head) & this.#mask);
  }

  /** Whether a slot's message is held back by flow control. */
  isHeld(slot: number): boolean {
    return (this.#flags[slot] & HELD) !== 0;
  }

  /** Mark a slot's message held back (or not). */
  setHeld(slot: number, held: boolean): void {
    this.#flags[slot] = held ? PRESENT | HELD : PRESENT;
  }

  /**
   * Keep `seq` (not kept yet) with these references; its numbers are zero. Returns its slot.
   */
  add(seq: number, rec: R | undefined, id: I | undefined, set: S): number {
    if (this.#size === 0) {
      if (this.#mask < 0) this.#grow(1024);
      this.#base = seq;
      this.#head = 0;
      this.#span = 1;
    } else if (seq < this.#base) {
      // Below everything kept (a broadcast from inside a delivery listener): room in front.
      const d = this.#base - seq;
      this.#ensure(this.#span + d);
      this.#head = (this.#head - d) & this.#mask;
      this.#base = seq;
      this.#span += d;
    } else {
      const j = seq - this.#base;
      if (j >= this.#span) {
        this.#ensure(j + 1);
        this.#span = j + 1;
      }
    }
    const s = (this.#head + (seq - this.#base)) & this.#mask;
    if (this.#flags[s] & PRESENT) throw new RangeError(`sequence number ${seq} is kept already`);
    this.#flags[s] = PRESENT;
    if (rec !== undefined || id !== undefined) {
      if (!this.#refs) {
        this.#refs = true;
        this.rec = new Array(this.#mask + 1).fill(undefined);
        this.id = new Array(this.#mask + 1).fill(undefined);
      }
      this.rec[s] = rec;
      this.id[s] = id;
    }
    this.set[s] = set;
    this.firstAt[s] = 0;
    this.nextAt[s] = 0;
    this.unacked[s] = 0;
    this.left[s] = 0;
    this.bytes[s] = 0;
    this.tries[s] = 0;
    this.pieceChunk[s] = -1;
    this.#size++;
    return s;
  }

  /** Forget `seq` (nothing when it is not kept). */
  delete(seq: number): void {
    const s = this.slot(seq);
    if (s < 0) return;
    this.#flags[s] = 0;
    if (this.#refs) {
      this.rec[s] = undefined;
      this.id[s] = undefined;
    }
    this.set[s] = undefined;
    if (--this.#size === 0) {
      this.#span = 0;
      return;
    }
    const j = seq - this.#base;
    if (j === this.#span - 1) {
      // The highest went: shrink the span to the next kept number below.
      let k = j - 1;
      while (!(this.#flags[(this.#head + k) & this.#mask] & PRESENT)) k--;
      this.#span = k + 1;
      return;
    }
    if (j !== 0) return;
    let k = 1;
    while (!(this.#flags[(this.#head + k) & this.#mask] & PRESENT)) k++;
    this.#head = (this.#head + k) & this.#mask;
    this.#base += k;
    this.#span -= k;
  }

  /** The kept sequence numbers in order (a copy: safe while messages are deleted). */
  seqs(): number[] {
    const out: number[] = [];
    for (let j = 0; j < this.#span; j++) {
      if (this.#flags[(this.#head + j) & this.#mask] & PRESENT) out.push(this.#base + j);
    }
    return out;
  }

  #ensure(span: number): void {
    const cap = this.#mask + 1;
    if (span <= cap) return;
    let n = cap;
    while (n < span) n *= 2;
    this.#grow(n);
  }

  /** New columns of `n` slots (a power of two), the live span moved to slot 0 on. */
  #grow(n: number): void {
    const old = this.#mask + 1;
    // The live span is at most two pieces of the old ring: copied natively.
    const head = this.#head, span = this.#span;
    const first = Math.min(span, old - head);
    const move = <T extends Float64Array | Int32Array | Uint8Array>(a: T, b: T): T => {
      if (first > 0) b.set(a.subarray(head, head + first) as T, 0);
      if (span > first) b.set(a.subarray(0, span - first) as T, first);
      return b;
    };
    const moveRefs = <T>(a: (T | undefined)[]): (T | undefined)[] => {
      const b: (T | undefined)[] = new Array(n).fill(undefined);
      for (let j = 0; j < this.#span; j++) b[j] = a[(this.#head + j) & this.#mask];
      return b;
    };
    if (old === 0) this.set = new Array(n).fill(undefined);
    else {
      if (this.#refs) {
        this.rec = moveRefs(this.rec);
        this.id = moveRefs(this.id);
      }
      this.set = moveRefs(this.set);
    }
    this.firstAt = move(this.firstAt, new Float64Array(n));
    this.nextAt = move(this.nextAt, new Float64Array(n));
    this.unacked = move(this.unacked, new Int32Array(n));
    this.left = move(this.left, new Int32Array(n));
    this.bytes = move(this.bytes, new Int32Array(n));
    this.tries = move(this.tries, new Int32Array(n));
    this.pieceChunk = move(this.pieceChunk, new Int32Array(n));
    this.pieceOff = move(this.pieceOff, new Int32Array(n));
    this.pieceLen = move(this.pieceLen, new Int32Array(n));
    this.tag = move(this.tag, new Float64Array(n));
    this.#flags = move(this.#flags, new Uint8Array(n));
    this.#head = 0;
    this.#mask = n - 1;
  }
}
