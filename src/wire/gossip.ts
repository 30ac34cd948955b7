/**
 * The gossip header every frame carries: the sender's current BroadcastID, the BroadcastIDs it
 * has seen on multicast, other NetIDs it knows, and the distribution list the receiver must
 * forward to. NetIDs are written as references into the frame's NetID table. [R-GOSSIP-001..005]
 *
 * @module
 */

import { InvalidValueError } from "../errors.ts";
import type { BroadcastId, NetId } from "./netid.ts";
import type { NetIdTable } from "./netid_table.ts";
import type { ByteWriter } from "./byte_writer.ts";
import { DecodeError, type DecodeErrorLayer } from "./decode_error.ts";
import { decodeVarint, varintLength } from "./varint.ts";
import { MAX_SEQNO, MAX_UINT32, VARINT32_MAX_BYTES, VARINT53_MAX_BYTES } from "./constants.ts";

/** The gossip header of a frame. */
export interface Gossip {
  /** The sender's BroadcastID for this frame. */
  current: BroadcastId;
  /** BroadcastIDs the sender has received on multicast, in the sender's order. */
  seen: BroadcastId[];
  /** Other NetIDs the sender wants the receiver to know, in the sender's order. */
  other: NetId[];
  /** NetIDs the receiver must forward this message to, in the sender's order. */
  distribution: NetId[];
}

/** Every NetID a gossip mentions (with repeats), for building the NetID table. */
export function gossipNetIds(g: Gossip): NetId[] {
  return [g.current, ...g.seen, ...g.other, ...g.distribution];
}

function checkSeqno(seqno: number, what: string): void {
  if (!Number.isInteger(seqno) || seqno < 0 || seqno > MAX_SEQNO) {
    throw new InvalidValueError(`${what} seqno must be an integer in [0, 2^53-1], got ${seqno}`);
  }
}

/** Append the gossip fields (after the table) using references into `table`. [R-GOSSIP-001] */
export function writeGossip(w: ByteWriter, g: Gossip, table: NetIdTable): void {
  checkSeqno(g.current.seqno, "current");
  w.varint(table.indexOf(g.current));
  w.varint(g.current.seqno);
  w.varint(g.seen.length);
  for (const s of g.seen) {
    checkSeqno(s.seqno, "seen");
    w.varint(table.indexOf(s));
    w.varint(s.seqno);
  }
  w.varint(g.other.length);
  for (const o of g.other) w.varint(table.indexOf(o));
  w.varint(g.distribution.length);
  for (const d of g.distribution) w.varint(table.indexOf(d));
}

/**
 * How many bytes {@linkcode writeGossip} appends when no table reference is wider than
 * `refBytes` bytes: exact when every reference takes `refBytes`, an upper bound otherwise.
 */
export function gossipBytes(g: Gossip, refBytes: number): number {
  let n = refBytes + varintLength(g.current.seqno) + varintLength(g.seen.length);
  for (const s of g.seen) n += refBytes + varintLength(s.seqno);
  return n + varintLength(g.other.length) + g.other.length * refBytes +
    varintLength(g.distribution.length) + g.distribution.length * refBytes;
}

/** Limits {@linkcode readGossip} enforces. */
export interface GossipLimits {
  /** Longest seen, other or distribution list. */
  maxListLength: number;
}

/**
 * Read the gossip fields at `offset` of `buf`, resolving references against `table`.
 * Returns the gossip and the offset just past it. Throws {@linkcode DecodeError}.
 */
export function readGossip(
  buf: Uint8Array,
  offset: number,
  table: readonly NetId[],
  limits: GossipLimits,
  layer: DecodeErrorLayer = "gossip",
): [Gossip, number] {
  const ref = (): NetId => {
    const at = offset;
    let i: number;
    [i, offset] = decodeVarint(buf, offset, VARINT32_MAX_BYTES, MAX_UINT32, layer);
    if (i >= table.length) {
      throw new DecodeError(
        "TABLE_REF_OUT_OF_RANGE",
        at,
        `table reference ${i} but the table has ${table.length} entries`,
        layer,
      );
    }
    return table[i];
  };
  const seqno = (): number => {
    let s: number;
    [s, offset] = decodeVarint(buf, offset, VARINT53_MAX_BYTES, MAX_SEQNO, layer);
    return s;
  };
  // Each list entry takes at least `minBytes`; check the count against both the limit and
  // the bytes left before allocating anything for it. [R-LIMIT-003]
  const count = (what: string, minBytes: number): number => {
    const at = offset;
    let n: number;
    [n, offset] = decodeVarint(buf, offset, VARINT32_MAX_BYTES, MAX_UINT32, layer);
    if (n > limits.maxListLength) {
      throw new DecodeError(
        "LIST_LIMIT",
        at,
        `${what} list of ${n} entries, limit ${limits.maxListLength}`,
        layer,
      );
    }
    if (n * minBytes > buf.length - offset) {
      throw new DecodeError(
        "TRUNCATED",
        buf.length,
        `${what} list of ${n} entries needs at least ${n * minBytes} bytes, ${
          buf.length - offset
        } left`,
        layer,
      );
    }
    // A small integer (n fits the bytes left): `| 0` hands `new Array` a Smi; the decoded
    // value may be a boxed double (seqnos are), which made V8 deoptimise this function again
    // and again ("not a Smi").
    return n | 0;
  };
  const cur = ref();
  const current: BroadcastId = { ip: cur.ip, port: cur.port, seqno: seqno() };
  const seen: BroadcastId[] = new Array(count("seen", 2));
  for (let i = 0; i < seen.length; i++) {
    const id = ref();
    seen[i] = { ip: id.ip, port: id.port, seqno: seqno() };
  }
  const other: NetId[] = new Array(count("other", 1));
  for (let i = 0; i < other.length; i++) other[i] = ref();
  const distribution: NetId[] = new Array(count("distribution", 1));
  for (let i = 0; i < distribution.length; i++) distribution[i] = ref();
  return [{ current, seen, other, distribution }, offset];
}
