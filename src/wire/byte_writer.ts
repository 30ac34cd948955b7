/**
 * A growable byte buffer that encoders append to. Internal to the codec.
 *
 * @module
 */

import { InvalidValueError } from "../errors.ts";
import { MAX_SEQNO } from "./constants.ts";

/** Appends bytes, big-endian integers and varints to a buffer that grows as needed. */
export class ByteWriter {
  /** The backing buffer; only `[0, length)` is written. */
  buf: Uint8Array;
  /** Bytes written so far. */
  length = 0;

  /** Start with `capacity` bytes of room. */
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  /** Append one byte. */
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.length++] = v;
  }

  /** Append a 16-bit big-endian integer. */
  u16be(v: number): void {
    this.ensure(2);
    this.buf[this.length++] = v >>> 8;
    this.buf[this.length++] = v & 0xff;
  }

  /** Append a 32-bit big-endian integer. */
  u32be(v: number): void {
    this.ensure(4);
    this.buf[this.length++] = v >>> 24;
    this.buf[this.length++] = (v >>> 16) & 0xff;
    this.buf[this.length++] = (v >>> 8) & 0xff;
    this.buf[this.length++] = v & 0xff;
  }

  /** Append a 64-bit big-endian integer given as a number below 2^53. */
  u64be(v: number): void {
    const hi = Math.floor(v / 0x1_0000_0000);
    this.u32be(hi);
    this.u32be(v >>> 0);
  }

  /** Append an unsigned LEB128 varint (0 to 2^53 - 1). */
  varint(v: number): void {
    if (v === (v & 0x7f)) {
      // One byte: the common case (table refs, counts, small tags and lengths).
      if (this.length >= this.buf.length) this.ensure(1);
      this.buf[this.length++] = v;
      return;
    }
    if (v === v >>> 0) {
      // Up to 32 bits (type tags, most seqnos and lengths): shifts instead of divisions.
      if (this.length + 5 > this.buf.length) this.ensure(5);
      const b = this.buf;
      let n = this.length;
      while (v > 0x7f) {
        b[n++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      b[n++] = v;
      this.length = n;
      return;
    }
    if (!Number.isInteger(v) || v < 0 || v > MAX_SEQNO) {
      throw new InvalidValueError(`varint value must be an integer in [0, 2^53-1], got ${v}`);
    }
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.length++] = v;
  }

  /** Append raw bytes. */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /** A view (no copy) of the bytes written; valid until the next append. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
