/**
 * Byte strings kept in a few large buffers instead of one object each: the retransmit buffer
 * keeps each message's encoded payload here (for repairs) so that no JS object per message
 * lives for the acknowledgement interval. Pieces are written one after another into the
 * current chunk; a chunk is recycled when every piece in it is released. Bounded: past
 * `maxBytes` of chunks a piece is refused (the caller keeps it its own way).
 *
 * @module
 */

/**
 * Pieces of bytes in chunks of `chunkBytes`, at most `maxBytes` of chunks in all.
 *
 * @example
 * ```ts
 * import { ByteSlab } from "./byte_slab.ts";
 * import assert from "node:assert/strict";
 * const slab = new ByteSlab(1024, 1 << 20);
 * const c = slab.put(new Uint8Array([1, 2, 3]));
 * const off = slab.offset;
 * assert.deepEqual([...slab.get(c, off, 3)], [1, 2, 3]);
 * slab.release(c);
 * assert.equal(slab.put(new Uint8Array(2000)), -1); // larger than a quarter chunk: refused
 * ```
 */
export class ByteSlab {
  readonly #chunkBytes: number;
  readonly #maxBytes: number;
  readonly #chunks: (Uint8Array | undefined)[] = [];
  /** Pieces not released, per chunk. */
  readonly #live: number[] = [];
  /** Chunks with no live piece whose buffer is kept for reuse. */
  readonly #spare: number[] = [];
  /** Chunk indices with no buffer. */
  readonly #unused: number[] = [];
  #cur = -1;
  #pos = 0;
  #allocated = 0;
  /** The offset of the piece the last successful `put` wrote. */
  offset = 0;

  /** Chunks of `chunkBytes`; pieces larger than a quarter chunk are refused. */
  constructor(chunkBytes: number, maxBytes: number) {
    this.#chunkBytes = chunkBytes;
    this.#maxBytes = maxBytes;
  }

  /** Bytes of chunks held (in use or spare). */
  get allocatedBytes(): number {
    return this.#allocated;
  }

  /**
   * Copy `b` in. Returns its chunk (its offset is then in {@linkcode ByteSlab.offset}), or -1
   * when it is refused (too large, or the bound is reached).
   */
  put(b: Uint8Array): number {
    const n = b.length;
    if (n > this.#chunkBytes >>> 2) return -1;
    if (this.#cur < 0 || this.#pos + n > this.#chunkBytes) {
      if (!this.#next()) return -1;
    }
    const c = this.#cur;
    this.#chunks[c]!.set(b, this.#pos);
    this.offset = this.#pos;
    this.#pos += n;
    this.#live[c]++;
    return c;
  }

  /** A copy of the piece at chunk `c`, offset `off`, `n` bytes. */
  get(c: number, off: number, n: number): Uint8Array {
    return this.#chunks[c]!.slice(off, off + n);
  }

  /** The piece in chunk `c` is no longer needed. */
  release(c: number): void {
    if (--this.#live[c] === 0 && c !== this.#cur) this.#recycle(c);
  }

  #recycle(c: number): void {
    if (this.#spare.length < 2) this.#spare.push(c);
    else {
      this.#chunks[c] = undefined;
      this.#allocated -= this.#chunkBytes;
      this.#unused.push(c);
    }
  }

  /** Move to a fresh chunk; false when none may be allocated. */
  #next(): boolean {
    if (this.#cur >= 0 && this.#live[this.#cur] === 0) {
      this.#pos = 0; // every piece of the current chunk is released: write it again
      return true;
    }
    let c: number;
    if (this.#spare.length > 0) c = this.#spare.pop()!;
    else {
      if (this.#allocated + this.#chunkBytes > this.#maxBytes) return false;
      c = this.#unused.length > 0 ? this.#unused.pop()! : this.#chunks.length;
      this.#chunks[c] = new Uint8Array(this.#chunkBytes);
      this.#live[c] = 0;
      this.#allocated += this.#chunkBytes;
    }
    const old = this.#cur;
    this.#cur = c;
    this.#pos = 0;
    if (old >= 0 && this.#live[old] === 0) this.#recycle(old);
    return true;
  }
}
