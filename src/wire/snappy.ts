/**
 * Snappy raw (unframed) blocks: our own compressor and a bounds-checked decompressor.
 * The compressor follows Google's reference algorithm (64 KiB fragments, a 4-byte hash with
 * multiplier 0x1e35a7bd, a table of 256..16384 slots, skip heuristic) so that our golden
 * vectors match what 0.0.15 nodes emit; any valid block decodes. Cross-checked against
 * `npm:snappyjs` in `test/wire/snappy_test.ts`. [R-ENV-003], [R-ENV-006]
 *
 * @module
 */

import { DecodeError, type DecodeErrorLayer } from "./decode_error.ts";
import { ByteWriter } from "./byte_writer.ts";
import { MAX_UINT32, VARINT32_MAX_BYTES } from "./constants.ts";
import { decodeVarint } from "./varint.ts";

const BLOCK_SIZE = 65536;
const INPUT_MARGIN = 15;
const MAX_HASH_TABLE_SIZE = 1 << 14;
const HASH_MUL = 0x1e35a7bd;

function load32(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

function emitLiteral(w: ByteWriter, src: Uint8Array, start: number, end: number): void {
  const n = end - start - 1;
  if (n < 60) {
    w.u8(n << 2);
  } else if (n < 0x100) {
    w.u8(60 << 2);
    w.u8(n);
  } else if (n < 0x10000) {
    w.u8(61 << 2);
    w.u8(n & 0xff);
    w.u8(n >>> 8);
  } else if (n < 0x1000000) {
    w.u8(62 << 2);
    w.u8(n & 0xff);
    w.u8((n >>> 8) & 0xff);
    w.u8(n >>> 16);
  } else {
    w.u8(63 << 2);
    w.u8(n & 0xff);
    w.u8((n >>> 8) & 0xff);
    w.u8((n >>> 16) & 0xff);
    w.u8(n >>> 24);
  }
  w.bytes(src.subarray(start, end));
}

function emitCopyAtMost64(w: ByteWriter, offset: number, len: number): void {
  if (len < 12 && offset < 2048) {
    w.u8(1 | ((len - 4) << 2) | ((offset >>> 8) << 5));
    w.u8(offset & 0xff);
  } else {
    w.u8(2 | ((len - 1) << 2));
    w.u8(offset & 0xff);
    w.u8(offset >>> 8);
  }
}

function emitCopy(w: ByteWriter, offset: number, len: number): void {
  while (len >= 68) {
    emitCopyAtMost64(w, offset, 64);
    len -= 64;
  }
  if (len > 64) {
    emitCopyAtMost64(w, offset, 60);
    len -= 60;
  }
  emitCopyAtMost64(w, offset, len);
}

let table = new Uint16Array(MAX_HASH_TABLE_SIZE);

function compressFragment(w: ByteWriter, src: Uint8Array, base: number, len: number): void {
  let size = 256;
  while (size < MAX_HASH_TABLE_SIZE && size < len) size <<= 1;
  const shift = 32 - Math.log2(size);
  if (table.length < size) table = new Uint16Array(size);
  table.fill(0, 0, size);
  const end = base + len;
  let ip = base;
  let nextEmit = base;
  const hash = (i: number) => Math.imul(load32(src, i), HASH_MUL) >>> shift;
  if (len >= INPUT_MARGIN) {
    const ipLimit = end - INPUT_MARGIN;
    ip++;
    let nextHash = hash(ip);
    outer: for (;;) {
      let skip = 32;
      let nextIp = ip;
      let candidate: number;
      do {
        ip = nextIp;
        const h = nextHash;
        const step = skip >>> 5;
        skip++;
        nextIp = ip + step;
        if (nextIp > ipLimit) break outer;
        nextHash = hash(nextIp);
        candidate = base + table[h];
        table[h] = ip - base;
      } while (load32(src, ip) !== load32(src, candidate));
      emitLiteral(w, src, nextEmit, ip);
      let cur: number;
      do {
        const start = ip;
        let matched = 4;
        while (ip + matched < end && src[candidate + matched] === src[ip + matched]) matched++;
        ip += matched;
        emitCopy(w, start - candidate, matched);
        nextEmit = ip;
        if (ip >= ipLimit) break outer;
        table[hash(ip - 1)] = ip - 1 - base;
        cur = hash(ip);
        candidate = base + table[cur];
        table[cur] = ip - base;
      } while (load32(src, ip) === load32(src, candidate));
      ip++;
      nextHash = hash(ip);
    }
  }
  if (nextEmit < end) emitLiteral(w, src, nextEmit, end);
}

/**
 * Compress `src` into a raw snappy block (a varint of the length, then tagged elements).
 *
 * @example
 * ```ts
 * import { snappyCompress, snappyDecompress } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const data = new TextEncoder().encode("abcabcabcabcabcabcabcabc");
 * const packed = snappyCompress(data);
 * assert.ok(packed.length < data.length);
 * assert.deepEqual(snappyDecompress(packed, 1024), data);
 * ```
 */
export function snappyCompress(src: Uint8Array): Uint8Array {
  const w = compressWriter;
  w.length = 0;
  snappyCompressInto(w, src);
  return w.finish();
}

const compressWriter = new ByteWriter(2048);

/** Append the raw snappy block of `src` to `w` (what {@linkcode snappyCompress} returns). */
export function snappyCompressInto(w: ByteWriter, src: Uint8Array): void {
  w.ensure(32 + src.length + (src.length / 6 | 0));
  w.varint(src.length);
  for (let pos = 0; pos < src.length; pos += BLOCK_SIZE) {
    compressFragment(w, src, pos, Math.min(BLOCK_SIZE, src.length - pos));
  }
}

/**
 * Read the uncompressed length a raw snappy block declares, and the offset where its
 * elements start. Throws {@linkcode DecodeError}.
 *
 * @example
 * ```ts
 * import { snappyDeclaredLength } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const [length, start] = snappyDeclaredLength(new Uint8Array([0xac, 0x02, 0x00]));
 * assert.equal(length, 300);
 * assert.equal(start, 2);
 * ```
 */
export function snappyDeclaredLength(
  src: Uint8Array,
  layer: DecodeErrorLayer = "plaintext",
  base = 0,
): [number, number] {
  try {
    return decodeVarint(src, 0, VARINT32_MAX_BYTES, MAX_UINT32, layer);
  } catch (e) {
    if (e instanceof DecodeError) {
      throw new DecodeError(
        "SNAPPY_CORRUPT",
        base + e.offset,
        `bad snappy length header: ${e.message}`,
        layer,
      );
    }
    throw e;
  }
}

/**
 * Decompress a raw snappy block whose declared length must not exceed `maxLength`.
 * Every literal and copy is checked against the input and output bounds before it is read;
 * the block must fill exactly the declared length and use every input byte.
 * Throws {@linkcode DecodeError} `SIZE_LIMIT` or `SNAPPY_CORRUPT`; `base` is added to offsets
 * so they point into the enclosing `layer`.
 *
 * @example
 * ```ts
 * import { snappyDecompress } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const bytes = snappyDecompress(new Uint8Array([3, 8, 0x61, 0x62, 0x63]), 64);
 * assert.equal(new TextDecoder().decode(bytes), "abc");
 * ```
 */
export function snappyDecompress(
  src: Uint8Array,
  maxLength: number,
  layer: DecodeErrorLayer = "plaintext",
  base = 0,
): Uint8Array {
  const [len, start] = snappyDeclaredLength(src, layer, base);
  if (len > maxLength) {
    throw new DecodeError(
      "SIZE_LIMIT",
      base,
      `snappy block declares ${len} bytes, limit ${maxLength}`,
      layer,
    );
  }
  const out = new Uint8Array(len);
  let ip = start;
  let op = 0;
  const n = src.length;
  const corrupt = (at: number, why: string): never => {
    throw new DecodeError("SNAPPY_CORRUPT", base + at, why, layer);
  };
  while (ip < n) {
    const tagAt = ip;
    const tag = src[ip++];
    const kind = tag & 3;
    if (kind === 0) {
      let litLen = tag >>> 2;
      if (litLen >= 60) {
        const extra = litLen - 59;
        if (ip + extra > n) corrupt(tagAt, "literal length runs past the input");
        litLen = 0;
        for (let i = 0; i < extra; i++) litLen += src[ip + i] * 2 ** (8 * i);
        ip += extra;
      }
      litLen += 1;
      if (ip + litLen > n) corrupt(tagAt, `literal of ${litLen} bytes runs past the input`);
      if (op + litLen > len) {
        corrupt(tagAt, `literal of ${litLen} bytes overflows the declared length ${len}`);
      }
      out.set(src.subarray(ip, ip + litLen), op);
      ip += litLen;
      op += litLen;
      continue;
    }
    let copyLen: number;
    let offset: number;
    if (kind === 1) {
      if (ip + 1 > n) corrupt(tagAt, "copy-1 runs past the input");
      copyLen = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[ip];
      ip += 1;
    } else if (kind === 2) {
      if (ip + 2 > n) corrupt(tagAt, "copy-2 runs past the input");
      copyLen = (tag >>> 2) + 1;
      offset = src[ip] | (src[ip + 1] << 8);
      ip += 2;
    } else {
      if (ip + 4 > n) corrupt(tagAt, "copy-4 runs past the input");
      copyLen = (tag >>> 2) + 1;
      offset = (src[ip] | (src[ip + 1] << 8) | (src[ip + 2] << 16) | (src[ip + 3] << 24)) >>> 0;
      ip += 4;
    }
    if (offset === 0 || offset > op) {
      corrupt(tagAt, `copy offset ${offset} outside the ${op} bytes written`);
    }
    if (op + copyLen > len) {
      corrupt(tagAt, `copy of ${copyLen} bytes overflows the declared length ${len}`);
    }
    let from = op - offset;
    if (offset >= copyLen) {
      out.copyWithin(op, from, from + copyLen);
      op += copyLen;
    } else {
      for (let i = 0; i < copyLen; i++) out[op++] = out[from++];
    }
  }
  if (op !== len) corrupt(n, `block produced ${op} bytes, declared ${len}`);
  return out;
}
