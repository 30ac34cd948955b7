/**
 * Decoders turn table entries' address bytes into text for every frame; the same few IPv4
 * addresses recur, so their text is remembered (bounded). Internal to the codec.
 *
 * @module
 */

const MAX_ENTRIES = 1024;
const cache = new Map<number, string>();

/** The dotted-quad text of the 4 address bytes at `buf[o..o+4)`. */
export function ipv4TextAt(buf: Uint8Array, o: number): string {
  const k = ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
  let t = cache.get(k);
  if (t === undefined) {
    t = `${buf[o]}.${buf[o + 1]}.${buf[o + 2]}.${buf[o + 3]}`;
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(k, t);
  }
  return t;
}
