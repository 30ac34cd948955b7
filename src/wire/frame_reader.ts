/**
 * Reassemble frames from a TCP byte stream that arrives in arbitrary chunks: several frames in
 * one chunk, one frame over many chunks. [R-TRANSPORT-003]
 *
 * @module
 */

import { type DecodeLimits, DEFAULT_LIMITS } from "./constants.ts";
import { DecodeError } from "./decode_error.ts";
import { frameLength, type FrameLengthFn } from "./frame_length.ts";

/** Options for {@linkcode FrameReader}. */
export interface FrameReaderOptions {
  /** Receiver limits; a frame whose header announces more than `maxFrameBytes` is rejected at once. */
  limits?: DecodeLimits;
  /** How to read a frame header; defaults to every known profile. */
  frameLength?: FrameLengthFn;
}

/**
 * Turns stream chunks into whole frames. Memory held is bounded by one frame of at most the
 * frame limit plus its header. After {@linkcode FrameReader.push} throws, the stream is
 * unrecoverable (its framing is lost) and the connection must be closed.
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
  #buf = new Uint8Array(0);
  #start = 0;
  #end = 0;
  #failed: DecodeError | undefined;
  readonly #limits: DecodeLimits;
  readonly #frameLength: FrameLengthFn;
  #consumed = 0;

  /** Create a reader. */
  constructor(options: FrameReaderOptions = {}) {
    this.#limits = options.limits ?? DEFAULT_LIMITS;
    this.#frameLength = options.frameLength ?? frameLength;
  }

  /** Bytes received but not yet returned as a frame. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /**
   * Add a chunk and return the frames it completes (each a fresh copy). Throws
   * {@linkcode DecodeError} with the stream offset when a header is bad or too large.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failed) throw this.#failed;
    this.#append(chunk);
    const frames: Uint8Array[] = [];
    for (;;) {
      const view = this.#buf.subarray(this.#start, this.#end);
      let total: number | undefined;
      try {
        total = this.#frameLength(view, 0, this.#limits);
      } catch (e) {
        if (e instanceof DecodeError) {
          this.#failed = new DecodeError(
            e.code,
            this.#consumed + e.offset,
            e.message.replace(/^\S+ at \S+ offset \d+: /, ""),
          );
          throw this.#failed;
        }
        throw e;
      }
      if (total === undefined || total > view.length) break;
      frames.push(view.slice(0, total));
      this.#start += total;
      this.#consumed += total;
    }
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return frames;
  }

  #append(chunk: Uint8Array): void {
    const need = this.#end - this.#start + chunk.length;
    if (this.#end + chunk.length > this.#buf.length) {
      if (need <= this.#buf.length && this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        let cap = Math.max(4096, this.#buf.length);
        while (cap < need) cap *= 2;
        const next = new Uint8Array(cap);
        next.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = next;
      }
      this.#end -= this.#start;
      this.#start = 0;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }
}
