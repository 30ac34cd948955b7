/**
 * A v2 sending session: a random 16-byte salt and a frame counter that starts at 0, grows by
 * one per frame and never wraps. [R-V2-SESSION-001..004]
 *
 * @module
 */

import { InvalidValueError } from "../../errors.ts";
import { V2_MAX_COUNTER, V2_SALT_BYTES } from "../constants.ts";
import { encodeV2Frame, type V2FrameInput } from "./encoder.ts";
import { V2SessionKeys } from "./session_keys.ts";

/** Options of {@linkcode V2Sender}. */
export interface V2SenderOptions {
  /** Source of random bytes for salts; defaults to `crypto.getRandomValues`. */
  random?: (n: number) => Uint8Array;
  /** First counter of the first session (tests); default 0. */
  firstCounter?: bigint;
  /**
   * The sender's clock, ms since the Unix epoch; each frame's sealed time is read from it
   * (default `Date.now`). [R-V2-TIME-001]
   */
  clock?: () => number;
}

/** The (salt, counter) pair a frame is sealed with. */
export interface V2Nonce {
  /** The session salt. */
  salt: Uint8Array;
  /** The frame counter. */
  counter: bigint;
}

function defaultRandom(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/**
 * Owns a sending session. {@linkcode V2Sender.next} hands out each counter once and throws
 * when the session is exhausted; {@linkcode V2Sender.encode} then starts a new session (new
 * salt, counter 0) by itself, so a counter never repeats under a salt.
 *
 * @example
 * ```ts
 * import { typeTag, V2Keyring, V2Sender } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const tx = new V2Sender();
 * const me = { ip: "10.0.0.1", port: 1, seqno: 1 };
 * const frame = tx.encode({
 *   keyring: V2Keyring.single(new Uint8Array(32)),
 *   label: "prod",
 *   gossip: { current: me, seen: [], other: [], distribution: [] },
 *   records: [{ typeTag: typeTag("x"), origin: me, payload: new Uint8Array(3) }],
 * });
 * assert.equal(frame[0], 0xc7);
 * assert.equal(tx.counter, 1n); // the next frame's counter
 * ```
 */
export class V2Sender {
  readonly #random: (n: number) => Uint8Array;
  readonly #clock: () => number;
  readonly #keys = new V2SessionKeys(4);
  #salt: Uint8Array;
  #counter: bigint;

  /** Start a session. */
  constructor(options: V2SenderOptions = {}) {
    this.#random = options.random ?? defaultRandom;
    this.#clock = options.clock ?? Date.now;
    this.#salt = this.#newSalt();
    this.#counter = options.firstCounter ?? 0n;
    if (this.#counter < 0n || this.#counter > V2_MAX_COUNTER) {
      throw new InvalidValueError(`firstCounter must be in [0, 2^64-1], got ${this.#counter}`);
    }
  }

  #newSalt(): Uint8Array {
    const s = this.#random(V2_SALT_BYTES);
    if (!(s instanceof Uint8Array) || s.length !== V2_SALT_BYTES) {
      throw new InvalidValueError(
        `random source returned ${s?.length} bytes, need ${V2_SALT_BYTES}`,
      );
    }
    return s.slice();
  }

  /** The current session's salt (a copy). */
  get salt(): Uint8Array {
    return this.#salt.slice();
  }

  /** The sender's clock now, in whole milliseconds: the sealed time of a frame sealed now. */
  now(): number {
    return Math.floor(this.#clock());
  }

  /** The counter the next frame will use. */
  get counter(): bigint {
    return this.#counter;
  }

  /**
   * Take the next (salt, counter) pair. Throws a `RangeError` when the session's counters are
   * exhausted (the counter would pass 2^64 - 1): call {@linkcode V2Sender.rekey}.
   */
  next(): V2Nonce {
    if (this.#counter > V2_MAX_COUNTER) {
      throw new RangeError("session counter exhausted: the counter never wraps, rekey first");
    }
    const n = { salt: this.#salt, counter: this.#counter };
    this.#counter++;
    return n;
  }

  /** Start a new session: a fresh random salt, counter 0. */
  rekey(): void {
    this.#salt = this.#newSalt();
    this.#counter = 0n;
  }

  /**
   * Encode a frame with the session's salt and next counter (rekeying when exhausted), sealed
   * at the clock's time unless `input.sealedAt` says otherwise.
   */
  encode(input: Omit<V2FrameInput, "salt" | "counter">): Uint8Array {
    if (this.#counter > V2_MAX_COUNTER) this.rekey();
    const { salt, counter } = this.next();
    return encodeV2Frame({
      ...input,
      salt,
      counter,
      sealedAt: input.sealedAt ?? this.now(),
      sessionKeys: input.sessionKeys ?? this.#keys,
    });
  }
}
