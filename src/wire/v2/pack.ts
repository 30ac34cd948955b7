/**
 * Packing records into v2 frames: as many records per frame as fit a byte limit and a record
 * limit, sized with the body writer's own size functions, the NetID table built once for the
 * whole batch (each frame's table is the part of it the frame refers to), each frame written
 * and sealed once. [R-V2-IMPL-002]
 *
 * @module
 */

import { InvalidValueError } from "../../errors.ts";
import { ByteWriter } from "../byte_writer.ts";
import { V2_HEADER_BYTES, V2_MAX_COUNTER, V2_TAG_BYTES } from "../constants.ts";
import { gossipBytes, gossipNetIds } from "../gossip.ts";
import type { OutgoingRecord } from "../message.ts";
import type { NetId } from "../netid.ts";
import { NetIdTable } from "../netid_table.ts";
import { varintLength } from "../varint.ts";
import { buildV2Table, v2EntryBytes, v2FrameNetIds, v2RecordBytes, writeV2Body } from "./body.ts";
import { sealV2Body, type V2Compression, type V2FrameInput, type V2SealInput } from "./encoder.ts";
import type { V2Sender } from "./sender.ts";

/**
 * Decides per frame whether to try snappy, and hears whether the frame came out compressed
 * (a sender of incompressible payloads can stop trying).
 */
export interface V2CompressionPolicy {
  /** Called before each frame is sealed. */
  choose(): V2Compression;
  /** Told, after sealing, whether the frame `choose` was asked for carries a snappy block. */
  sealed(compressed: boolean, tried: V2Compression): void;
}

/** What {@linkcode encodeV2Batch} packs and seals. */
export interface V2BatchInput
  extends Omit<V2FrameInput, "salt" | "counter" | "compression" | "records"> {
  /** The sending session: each frame takes its next counter. */
  sender: V2Sender;
  /** Records to send, in order; frames keep the order. */
  records: readonly OutgoingRecord[];
  /**
   * Frames are at most this many bytes, except a frame holding a single record that is larger
   * on its own (the caller decides: multicast drops it, TCP sends it).
   */
  maxFrameBytes: number;
  /** Most records in one frame (at least 1). */
  maxRecords: number;
  /** `"snappy"` (default), `"none"`, or a policy asked per frame. */
  compression?: V2Compression | V2CompressionPolicy;
}

const writer = new ByteWriter(2048);
let writerBusy = false;

/**
 * Pack `records` into as few frames as the limits allow (greedily, in order) and seal each
 * with the sender's next counter. Throws `InvalidValueError` naming a bad input.
 *
 * @example
 * ```ts
 * import { decodeV2Frame, encodeV2Batch, typeTag, V2Keyring, V2Sender } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const keyring = V2Keyring.single(new Uint8Array(32));
 * const me = { ip: "10.0.0.1", port: 1, seqno: 1 };
 * const records = Array.from({ length: 30 }, (_, i) => ({
 *   typeTag: typeTag("x"), origin: { ...me, seqno: i }, payload: new Uint8Array(100),
 * }));
 * const frames = encodeV2Batch({
 *   sender: new V2Sender(), keyring, label: "", compression: "none",
 *   gossip: { current: me, seen: [], other: [], distribution: [] },
 *   records, maxFrameBytes: 1400, maxRecords: 64,
 * });
 * assert.equal(frames.length, 3);
 * assert.equal(frames.every((f) => f.length <= 1400), true);
 * assert.equal(decodeV2Frame(frames[0], { keyring, label: "" }).records.length, 12);
 * ```
 */
export function encodeV2Batch(input: V2BatchInput): Uint8Array[] {
  const { gossip, records, maxFrameBytes, maxRecords } = input;
  if (!Number.isInteger(maxRecords) || maxRecords < 1) {
    throw new InvalidValueError(`maxRecords must be a positive integer, got ${maxRecords}`);
  }
  if (typeof maxFrameBytes !== "number" || !(maxFrameBytes > 0)) {
    throw new InvalidValueError(`maxFrameBytes must be a positive number, got ${maxFrameBytes}`);
  }
  if (records.length === 0) return [];
  const extra = input.extraNetIds ?? [];
  const full = buildV2Table(v2FrameNetIds(gossip, records, extra));
  const entries = full.entries;
  const n = entries.length;
  // Every reference is below n, so it takes at most refW bytes; frame tables are subsets.
  const refW = varintLength(n > 0 ? n - 1 : 0);

  // Table positions every frame needs (gossip and extra NetIDs), and each record's.
  const always: number[] = [];
  for (const id of gossipNetIds(gossip)) always.push(full.indexOf(id));
  for (const id of extra) always.push(full.indexOf(id));
  const origin = new Int32Array(records.length);
  const extraOf: (number[] | undefined)[] = new Array(records.length);
  const lengths = new Array<number>(records.length);
  let prev: NetId | undefined, prevAt = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (r.origin !== prev) {
      prevAt = full.indexOf(r.origin);
      prev = r.origin;
    }
    origin[i] = prevAt;
    if (r.extraNetIds && r.extraNetIds.length > 0) {
      extraOf[i] = r.extraNetIds.map((x) => full.indexOf(x));
    }
    // A table-dependent payload is sized against the whole table; its frame's table is a
    // subset, so its references are no wider (checked again after writing, below).
    lengths[i] = typeof r.payload === "function" ? r.payload(full).length : r.payload.length;
  }

  // mark[k] === chunk when entry k is already in the current chunk's table.
  const mark = new Int32Array(n).fill(-1);
  let chunk = 0;
  let fixedEntries = 0;
  for (const k of always) {
    if (mark[k] !== chunk) {
      mark[k] = chunk;
      fixedEntries += v2EntryBytes(entries[k].addr);
    }
  }
  const fixed = V2_HEADER_BYTES + V2_TAG_BYTES + varintLength(n) + fixedEntries +
    gossipBytes(gossip, refW) + varintLength(Math.min(records.length, maxRecords));

  const policy = input.compression;
  // Every other field (keyring, key id, label, saving, session keys, and whatever else a
  // frame is sealed with) passes through to sealV2Body unchanged.
  const {
    sender: _sender,
    records: _records,
    gossip: _gossip,
    extraNetIds: _extra,
    maxFrameBytes: _maxFrameBytes,
    maxRecords: _maxRecords,
    compression: _compression,
    ...sealFields
  } = input;
  const seal: V2SealInput = { ...sealFields, salt: new Uint8Array(0), counter: 0n };
  const out: Uint8Array[] = [];
  const w = writerBusy ? new ByteWriter(2048) : writer;
  const outer = !writerBusy;
  writerBusy = true;

  /** Write and seal records [a, b) under `table`; split when a frame came out too large. */
  const emit = (a: number, b: number, table: NetIdTable) => {
    const part = a === 0 && b === records.length ? records : records.slice(a, b);
    w.length = 0;
    writeV2Body(w, table, gossip, part);
    if (V2_HEADER_BYTES + w.length + V2_TAG_BYTES > maxFrameBytes && b - a > 1) {
      // Only a table-dependent payload can come out longer than it was sized: split.
      const mid = a + Math.ceil((b - a) / 2);
      emit(a, mid, buildV2Table(v2FrameNetIds(gossip, records.slice(a, mid), extra)));
      emit(mid, b, buildV2Table(v2FrameNetIds(gossip, records.slice(mid, b), extra)));
      return;
    }
    const sender = input.sender;
    if (sender.counter > V2_MAX_COUNTER) sender.rekey();
    const nonce = sender.next();
    seal.salt = nonce.salt;
    seal.counter = nonce.counter;
    // Each frame is sealed with the sender's clock at that moment. [R-V2-TIME-001]
    seal.sealedAt = input.sealedAt ?? sender.now();
    const choice: V2Compression = policy === undefined
      ? "snappy"
      : typeof policy === "string"
      ? policy
      : policy.choose();
    seal.compression = choice;
    const sealed = sealV2Body(seal, w.view());
    if (typeof policy === "object") policy.sealed(sealed.compressed, choice);
    out.push(sealed.frame);
  };
  /** The table of the current chunk: the marked entries, in table order. */
  const chunkTable = (): NetIdTable => {
    let all = true;
    for (let k = 0; k < n && all; k++) all = mark[k] === chunk;
    if (all) return full;
    const sub = [];
    for (let k = 0; k < n; k++) if (mark[k] === chunk) sub.push(entries[k]);
    return NetIdTable.fromSorted(sub);
  };
  /** Bytes record i adds to the current chunk (its fields and the entries it adds). */
  const cost = (i: number): number => {
    const r = records[i];
    let s = v2RecordBytes(r.typeTag, refW, r.origin.seqno, lengths[i]);
    const o = origin[i];
    if (mark[o] !== chunk) s += v2EntryBytes(entries[o].addr);
    const xs = extraOf[i];
    if (xs) {
      for (let j = 0; j < xs.length; j++) {
        const k = xs[j];
        // Count each new entry once even when listed twice.
        if (mark[k] !== chunk && k !== o && xs.indexOf(k) === j) {
          s += v2EntryBytes(entries[k].addr);
        }
      }
    }
    return s;
  };
  const take = (i: number): void => {
    mark[origin[i]] = chunk;
    const xs = extraOf[i];
    if (xs) { for (const k of xs) mark[k] = chunk; }
  };

  try {
    let start = 0, size = fixed;
    for (let i = 0; i < records.length; i++) {
      let s = cost(i);
      if (i > start && (size + s > maxFrameBytes || i - start >= maxRecords)) {
        emit(start, i, chunkTable());
        chunk++;
        for (const k of always) mark[k] = chunk;
        start = i;
        size = fixed;
        s = cost(i);
      }
      take(i);
      size += s;
    }
    emit(start, records.length, chunkTable());
  } finally {
    if (outer) writerBusy = false;
  }
  return out;
}
