/**
 * Reassemble frames from a TCP byte stream that arrives in arbitrary chunks: several frames in
 * one chunk, one frame over many chunks. [R-TRANSPORT-003]
 *
 * @module
 */

import { type DecodeLimits, DEFAULT_LIMITS } from "./constants.ts";
import { DecodeError } from "./decode_error.ts";
import { frameLength, type FrameLengthFn } from "./frame_length.ts";

/**
 * Where a {@linkcode FrameReader} gets its blocks and returns them: lets a receiver reuse the
 * blocks of closed readers instead of leaving them to the garbage collector.
 */
export interface BufferAllocator {
  /** A block of exactly {@linkcode FRAME_READER_BLOCK_BYTES} bytes (contents arbitrary). */
  alloc(bytes: number): Uint8Array;
  /** Take back a block the reader no longer uses. */
  free(block: Uint8Array): void;
}

/** Options for {@linkcode FrameReader}. */
export interface FrameReaderOptions {
  /** Receiver limits; a frame whose header announces more than `maxFrameBytes` is rejected at once. */
  limits?: DecodeLimits;
  /** How to read a frame header; defaults to every known profile. */
  frameLength?: FrameLengthFn;
  /** Where blocks come from and go back to (default: fresh allocations). */
  allocator?: BufferAllocator;
}

/**
 * Size of the blocks a {@linkcode FrameReader} stores a partial frame in.
 *
 * @example
 * ```ts
 * import { FRAME_READER_BLOCK_BYTES, FrameReader } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const r = new FrameReader();
 * r.push(new Uint8Array([0xff, 0x05, 1])); // a partial legacy frame
 * assert.equal(r.capacity, FRAME_READER_BLOCK_BYTES);
 * ```
 */
export const FRAME_READER_BLOCK_BYTES = 64 * 1024;

/** Most header bytes gathered to tell a frame's length (every profile needs far fewer). */
const HEAD_BYTES = 256;

const FRESH: BufferAllocator = { alloc: (n) => new Uint8Array(n), free: () => {} };

/**
 * Turns stream chunks into whole frames. Whole frames in a chunk are cut from it directly; a
 * partial frame is kept in 64 KiB blocks, so memory grows with the bytes actually received
 * (never with the length a header announces), is bounded by one frame of at most the frame
 * limit plus its header, and goes back to the allocator as soon as the frame completes. After
 * {@linkcode FrameReader.push} throws, the stream is unrecoverable (its framing is lost) and the
 * connection must be closed.
 *
 * @example
 * ```ts
 * import { FrameReader } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const reader = new FrameReader();
 * assert.deepEqual(reader.push(new Uint8Array([0xff, 0x02, 0xaa])), []); // waits for one more byte
 * const frames = reader.push(new Uint8Array([0xbb, 0xff]));
 * assert.deepEqual(frames, [new Uint8Array([0xff, 0x02, 0xaa, 0xbb])]);
 * ```
 */
export class FrameReader {
  /** The partial frame: full blocks, the last one filled to `#fill`. */
  readonly #blocks: Uint8Array[] = [];
  #fill = 0;
  #size = 0;
  /** Total length of the partial frame, once its header was read. */
  #want: number | undefined;
  #failed: DecodeError | undefined;
  readonly #limits: DecodeLimits;
  readonly #frameLength: FrameLengthFn;
  readonly #alloc: BufferAllocator;
  #consumed = 0;

  /** Create a reader. */
  constructor(options: FrameReaderOptions = {}) {
    this.#limits = options.limits ?? DEFAULT_LIMITS;
    this.#frameLength = options.frameLength ?? frameLength;
    this.#alloc = options.allocator ?? FRESH;
  }

  /** Bytes received but not yet returned as a frame. */
  get buffered(): number {
    return this.#size;
  }

  /** Bytes of buffer this reader holds now (what a receive-memory budget counts). */
  get capacity(): number {
    return this.#blocks.length * FRAME_READER_BLOCK_BYTES;
  }

  /** Give every block back to the allocator and drop the partial frame. */
  release(): void {
    for (const b of this.#blocks) this.#alloc.free(b);
    this.#blocks.length = 0;
    this.#fill = 0;
    this.#size = 0;
    this.#want = undefined;
  }

  /**
   * Add a chunk and return the frames it completes (each a fresh copy). Throws
   * {@linkcode DecodeError} with the stream offset when a header is bad or too large.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failed) throw this.#failed;
    const frames: Uint8Array[] = [];
    let off = 0;
    if (this.#size > 0) {
      // Complete the partial frame first.
      if (this.#want === undefined) {
        const head = new Uint8Array(Math.min(HEAD_BYTES, this.#size + chunk.length));
        const have = this.#copyOut(head, Math.min(head.length, this.#size));
        head.set(chunk.subarray(0, head.length - have), have);
        this.#want = this.#length(head);
      }
      const want = this.#want;
      if (want === undefined || this.#size + chunk.length < want) {
        this.#store(chunk);
        return frames;
      }
      const frame = new Uint8Array(want);
      const have = this.#copyOut(frame, this.#size);
      off = want - have;
      frame.set(chunk.subarray(0, off), have);
      this.release();
      this.#consumed += want;
      frames.push(frame);
    }
    // Whole frames straight from the chunk; only a partial one at its end is stored.
    for (;;) {
      const view = chunk.subarray(off);
      if (view.length === 0) break;
      const total = this.#length(view);
      if (total === undefined || total > view.length) {
        this.#want = total;
        this.#store(view);
        break;
      }
      frames.push(view.slice(0, total));
      off += total;
      this.#consumed += total;
    }
    return frames;
  }

  /** The frame length its header tells, undefined if more bytes are needed; throws on faults. */
  #length(view: Uint8Array): number | undefined {
    try {
      return this.#frameLength(view, 0, this.#limits);
    } catch (e) {
      if (e instanceof DecodeError) {
        this.release();
        this.#failed = new DecodeError(
          e.code,
          this.#consumed + e.offset,
          e.message.replace(/^\S+ at \S+ offset \d+: /, ""),
        );
        throw this.#failed;
      }
      throw e;
    }
  }

  /** Copy the first `n` stored bytes into `out`; returns `n`. */
  #copyOut(out: Uint8Array, n: number): number {
    let o = 0;
    for (let i = 0; o < n; i++) {
      const b = this.#blocks[i];
      const take = Math.min(n - o, i === this.#blocks.length - 1 ? this.#fill : b.length);
      out.set(b.subarray(0, take), o);
      o += take;
    }
    return n;
  }

  #store(bytes: Uint8Array): void {
    let o = 0;
    while (o < bytes.length) {
      if (this.#blocks.length === 0 || this.#fill === FRAME_READER_BLOCK_BYTES) {
        this.#blocks.push(this.#alloc.alloc(FRAME_READER_BLOCK_BYTES));
        this.#fill = 0;
      }
      const last = this.#blocks[this.#blocks.length - 1];
      const take = Math.min(bytes.length - o, FRAME_READER_BLOCK_BYTES - this.#fill);
      last.set(bytes.subarray(o, o + take), this.#fill);
      this.#fill += take;
      o += take;
    }
    this.#size += bytes.length;
  }
}
