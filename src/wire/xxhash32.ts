/**
 * xxHash32, our own implementation (small, synchronous, no WebAssembly start-up), cross-checked
 * against `npm:xxhash-wasm` in `test/wire/xxhash32_test.ts`. [R-TAG-001], [R-ENV-002]
 *
 * @module
 */

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function round(acc: number, lane: number): number {
  acc = (acc + Math.imul(lane, P2)) | 0;
  return Math.imul(rotl(acc, 13), P1);
}

function u32le(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
}

/**
 * xxHash32 of `data` with `seed` (default 0), as an unsigned 32-bit number.
 *
 * @example
 * ```ts
 * import { xxhash32 } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(xxhash32(new TextEncoder().encode("hello")).toString(16), "fb0077f9");
 * ```
 */
export function xxhash32(data: Uint8Array, seed = 0): number {
  const len = data.length;
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = len - 16;
    while (i <= limit) {
      v1 = round(v1, u32le(data, i));
      v2 = round(v2, u32le(data, i + 4));
      v3 = round(v3, u32le(data, i + 8));
      v4 = round(v4, u32le(data, i + 12));
      i += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  while (i + 4 <= len) {
    h = (h + Math.imul(u32le(data, i), P3)) | 0;
    h = Math.imul(rotl(h, 17), P4);
    i += 4;
  }
  while (i < len) {
    h = (h + Math.imul(data[i], P5)) | 0;
    h = Math.imul(rotl(h, 11), P1);
    i++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

const utf8 = new TextEncoder();
const TAG_CACHE_SIZE = 1024;
const tagCache = new Map<string, number>();

/**
 * The type tag of a message type: xxHash32 (seed 0) of the UTF-8 type name. [R-TAG-001]
 *
 * @example
 * ```ts
 * import { typeTag } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(typeTag("hello"), 0xfb0077f9);
 * ```
 */
export function typeTag(typeName: string): number {
  let tag = tagCache.get(typeName);
  if (tag === undefined) {
    tag = xxhash32(utf8.encode(typeName), 0);
    // Bounded: a node has a handful of message types; names from elsewhere cannot grow it.
    if (tagCache.size >= TAG_CACHE_SIZE) tagCache.clear();
    tagCache.set(typeName, tag);
  }
  return tag;
}
