/**
 * Byte-crafting helpers for invalid vectors: varints in every malformed shape, splices, and a
 * map of where each field of a valid uncompressed legacy gossip lies.
 *
 * @module
 */

import { decodeVarint, encodeVarint, MAX_SEQNO, MAX_UINT32 } from "../src/wire/mod.ts";

/** Concatenate byte arrays and single bytes. */
export function cat(...parts: (Uint8Array | number | number[])[]): Uint8Array {
  const chunks = parts.map((p) =>
    typeof p === "number" ? new Uint8Array([p]) : p instanceof Uint8Array ? p : new Uint8Array(p)
  );
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** The minimal varint of `v`. */
export function vi(v: number): Uint8Array {
  return encodeVarint(v)[0].slice();
}

/** `v` as a non-minimal varint: its minimal form with one extra `00` group. */
export function viNonMinimal(v: number): Uint8Array {
  const m = vi(v);
  m[m.length - 1] |= 0x80;
  return cat(m, 0x00);
}

/** A varint one byte longer than `maxBytes` (all of the first `maxBytes` bytes continue). */
export function viTooLong(maxBytes: number): Uint8Array {
  return cat(new Array(maxBytes).fill(0x80), 0x01);
}

/** 2^32 as a 5-byte varint: overflows every 32-bit field. */
export const VI_2_32: Uint8Array = new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x10]);

/** 2^53 as an 8-byte varint: overflows the sequence number field. */
export const VI_2_53: Uint8Array = new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]);

/** Replace `b[start, end)` with `insert`. */
export function splice(b: Uint8Array, start: number, end: number, insert: Uint8Array): Uint8Array {
  return cat(b.subarray(0, start), insert, b.subarray(end));
}

/** Where one varint lies: `[start, end)`. */
export type Span = [number, number];

/** Where each field of a valid uncompressed legacy gossip lies. */
export interface GossipMap {
  /** The table count varint. */
  tableCount: Span;
  /** Each 6-byte table entry. */
  entries: Span[];
  /** Current reference and sequence number. */
  currentRef: Span;
  /** Current sequence number. */
  currentSeqno: Span;
  /** Seen count. */
  seenCount: Span;
  /** Each seen entry's reference and sequence number. */
  seen: { ref: Span; seqno: Span }[];
  /** Other count. */
  otherCount: Span;
  /** Each other reference. */
  other: Span[];
  /** Distribution count. */
  distCount: Span;
  /** Each distribution reference. */
  dist: Span[];
  /** The type tag. */
  tag: Span;
  /** Where the payload starts. */
  payload: number;
}

/** Map the fields of a valid gossip (throws if it is not valid). */
export function mapGossip(g: Uint8Array): GossipMap {
  let o = 0;
  const u32 = (): Span => {
    const s = o;
    o = decodeVarint(g, o, 5, MAX_UINT32)[1];
    return [s, o];
  };
  const seq = (): Span => {
    const s = o;
    o = decodeVarint(g, o, 8, MAX_SEQNO)[1];
    return [s, o];
  };
  const value = (s: Span) => decodeVarint(g, s[0], 8, MAX_SEQNO)[0];
  const tableCount = u32();
  const entries: Span[] = [];
  for (let i = 0; i < value(tableCount); i++, o += 6) entries.push([o, o + 6]);
  const currentRef = u32();
  const currentSeqno = seq();
  const seenCount = u32();
  const seen = [];
  for (let i = 0; i < value(seenCount); i++) seen.push({ ref: u32(), seqno: seq() });
  const otherCount = u32();
  const other = [];
  for (let i = 0; i < value(otherCount); i++) other.push(u32());
  const distCount = u32();
  const dist = [];
  for (let i = 0; i < value(distCount); i++) dist.push(u32());
  const tag = u32();
  return {
    tableCount,
    entries,
    currentRef,
    currentSeqno,
    seenCount,
    seen,
    otherCount,
    other,
    distCount,
    dist,
    tag,
    payload: o,
  };
}

/** A deterministic byte generator (xorshift32) for padding, keys and payloads. */
export function prngBytes(seed: number, n: number): Uint8Array {
  let x = (seed >>> 0) || 0x9e3779b9;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
