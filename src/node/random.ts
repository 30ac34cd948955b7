/**
 * Randomness the node uses (tree shapes, the kept TCP destination, representatives), passed in
 * so that tests and `cluster --seed` are reproducible.
 *
 * @module
 */

/** A source of uniform numbers in [0, 1). */
export interface RandomSource {
  /** The next number, uniform in [0, 1). */
  next(): number;
}

/**
 * A small, fast, seeded generator (sfc32, seeded through splitmix32), for reproducible runs.
 * Not for keys.
 *
 * @example
 * ```ts
 * import { seededRandom } from "@chatter/chatter/testing";
 * import assert from "node:assert/strict";
 * const r = seededRandom(42);
 * assert.equal(r.next() === seededRandom(42).next(), true);
 * ```
 */
export function seededRandom(seed: number): RandomSource {
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split(), b = split(), c = split(), d = split();
  return {
    next(): number {
      const t = (((a + b) >>> 0) + d) >>> 0;
      d = (d + 1) >>> 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) >>> 0;
      c = ((c << 21) | (c >>> 11)) >>> 0;
      c = (c + t) >>> 0;
      return t / 4294967296;
    },
  };
}

/**
 * The default source: `crypto.getRandomValues`, drawn in blocks.
 *
 * @example
 * ```ts
 * import { cryptoRandom } from "@chatter/chatter/testing";
 * import assert from "node:assert/strict";
 * const r = cryptoRandom();
 * assert.equal(r.next() < 1, true);
 * ```
 */
export function cryptoRandom(): RandomSource {
  const buf = new Uint32Array(256);
  let i = buf.length;
  return {
    next(): number {
      if (i === buf.length) {
        crypto.getRandomValues(buf);
        i = 0;
      }
      return buf[i++] / 4294967296;
    },
  };
}

/** A uniform integer in [0, n). */
export function randomInt(r: RandomSource, n: number): number {
  return Math.floor(r.next() * n);
}

/** Shuffle `a` in place (Fisher-Yates) and return it. */
export function shuffle<T>(r: RandomSource, a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(r, i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}
