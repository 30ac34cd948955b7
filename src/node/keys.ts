/**
 * v2 keys as a node takes them [R-NODE-KEY-002..006]: exactly 32 random bytes, given as bytes,
 * as 64 hex digits or as 44 base64 characters; known-weak keys refused (`KEY_INVALID`); key
 * files and keyring files for the command line (`KEY_FILE_UNSAFE` when other users can read
 * them). The wire (`V2Keyring`) takes any 32 bytes; these rules are the node's.
 *
 * Keyring file format (text, UTF-8): one key per line, `#` starts a comment, blank lines are
 * ignored. A file of one line holding only a key is a one-key keyring (id 0). Otherwise every
 * line is `<id> <key>` or `<id> <key> primary` with an id from 0 to 255, each id once, and
 * exactly one line marked `primary` when there are several keys:
 *
 * ```
 * # chatter keyring
 * 1 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 * 2 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae primary
 * ```
 *
 * @module
 */

import { KeyError, KeyFileUnsafeError } from "../errors.ts";

/** Bytes of a v2 key. */
export const V2_KEY_BYTES = 32;

/**
 * The keys of Chatter 0.0.15's code and docs, public: a legacy node using one is readable and
 * forgeable by anyone. [R-NODE-KEY-001], [R-NODE-KEY-006]
 */
export const PUBLIC_LEGACY_KEYS: readonly string[] = Object.freeze([
  "01234567890123456789012345678901",
  "01234567890123456789012345678912",
]);

const HOW = "a v2 key is 32 random bytes written as 64 hex digits or 44 base64 characters; " +
  "make one with `chatter keygen`";

function fromHex(s: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F]{64}$/.test(s)) return undefined;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function fromBase64(s: string): Uint8Array | undefined {
  // Standard or URL-safe alphabet, padded: 44 characters for 32 bytes.
  if (!/^[A-Za-z0-9+/_-]{43}=$/.test(s)) return undefined;
  try {
    const bin = atob(s.replaceAll("-", "+").replaceAll("_", "/"));
    if (bin.length !== 32) return undefined;
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * Why `key` is a known-weak v2 key, or `undefined` when it is not: a repeated byte, bytes in a
 * constant progression, few distinct bytes, all printable text (a password, or 0.0.15's
 * defaults), or one of 0.0.15's public keys. A key of 32 random bytes is refused by these
 * rules with a probability below 10^-13. [R-NODE-KEY-003]
 *
 * @example
 * ```ts
 * import { weakV2KeyReason } from "./keys.ts";
 * import assert from "node:assert/strict";
 * assert.match(weakV2KeyReason(new Uint8Array(32))!, /repeated byte/);
 * assert.equal(weakV2KeyReason(crypto.getRandomValues(new Uint8Array(32))), undefined);
 * ```
 */
export function weakV2KeyReason(key: Uint8Array): string | undefined {
  if (key.length !== V2_KEY_BYTES) return `${key.length} bytes, not ${V2_KEY_BYTES}`;
  const text = new TextDecoder().decode(key);
  if (PUBLIC_LEGACY_KEYS.includes(text)) return "it is Chatter 0.0.15's public default key";
  if (key.every((b) => b === key[0])) return "it is one repeated byte";
  const step = (key[1] - key[0]) & 0xff;
  if (key.every((b, i) => i === 0 || ((b - key[i - 1]) & 0xff) === step)) {
    return "its bytes form a constant progression";
  }
  if (new Set(key).size < 16) return "it has fewer than 16 distinct byte values";
  if (key.every((b) => b >= 0x20 && b <= 0x7e)) {
    return "it is printable text (a password or phrase), not random bytes";
  }
  return undefined;
}

/**
 * Read a v2 key: 32 bytes, or text of 64 hex digits or 44 base64 characters (surrounding
 * whitespace ignored). Throws {@linkcode KeyError} (`KEY_INVALID`) naming `what` for any other
 * form (including 0.1's 32-character text keys) and for a known-weak key.
 * [R-NODE-KEY-002], [R-NODE-KEY-003]
 *
 * @example
 * ```ts
 * import { parseV2Key } from "./keys.ts";
 * import assert from "node:assert/strict";
 * const hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
 * assert.equal(parseV2Key(hex).length, 32);
 * assert.throws(() => parseV2Key("a text key of exactly 32 bytes!!"), /KEY_INVALID|keygen/);
 * ```
 */
export function parseV2Key(key: string | Uint8Array, what = "key"): Uint8Array {
  let bytes: Uint8Array | undefined;
  if (key instanceof Uint8Array) {
    if (key.length !== V2_KEY_BYTES) {
      throw new KeyError(`${what}: ${key.length} bytes; ${HOW}`);
    }
    bytes = key;
  } else if (typeof key === "string") {
    const s = key.trim();
    bytes = fromHex(s) ?? fromBase64(s);
    if (!bytes) {
      const looks = s.length === 32 ? " (32-character text keys are not accepted by v2)" : "";
      throw new KeyError(`${what}: not a key${looks}; ${HOW}`);
    }
  } else {
    throw new KeyError(`${what}: expected a string or Uint8Array; ${HOW}`);
  }
  const weak = weakV2KeyReason(bytes);
  if (weak) throw new KeyError(`${what}: a weak key (${weak}); ${HOW}`);
  return bytes;
}

/**
 * A new random v2 key as 64 lowercase hex digits (or 44 base64 characters).
 *
 * @example
 * ```ts
 * import { generateV2Key, parseV2Key } from "./keys.ts";
 * import assert from "node:assert/strict";
 * const k = generateV2Key();
 * assert.equal(k.length, 64);
 * assert.equal(parseV2Key(k).length, 32);
 * assert.equal(generateV2Key("base64").length, 44);
 * ```
 */
export function generateV2Key(form: "hex" | "base64" = "hex"): string {
  for (;;) {
    const b = crypto.getRandomValues(new Uint8Array(V2_KEY_BYTES));
    if (weakV2KeyReason(b)) continue; // never in practice
    if (form === "base64") return btoa(String.fromCharCode(...b));
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }
}

/** A keyring read from a file: entries by id, the primary first. */
export interface KeyringFile {
  /** The keys; the first is the primary. */
  keys: { id: number; key: Uint8Array }[];
}

/**
 * Parse the text of a key file or keyring file (format in this module's documentation).
 * Throws {@linkcode KeyError} naming the line. [R-NODE-KEY-005]
 *
 * @example
 * ```ts
 * import { parseKeyringText } from "./keys.ts";
 * import assert from "node:assert/strict";
 * const a = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
 * const b = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
 * const ring = parseKeyringText(`# rotation\n1 ${a}\n2 ${b} primary\n`);
 * assert.deepEqual(ring.keys.map((k) => k.id), [2, 1]);
 * assert.equal(parseKeyringText(a).keys[0].id, 0);
 * ```
 */
export function parseKeyringText(text: string, what = "key file"): KeyringFile {
  const lines = text.split(/\r?\n/).map((l, i) => ({ n: i + 1, t: l.replace(/#.*/, "").trim() }))
    .filter((l) => l.t.length > 0);
  if (lines.length === 0) throw new KeyError(`${what}: no key in it; ${HOW}`);
  if (lines.length === 1 && !/\s/.test(lines[0].t)) {
    return { keys: [{ id: 0, key: parseV2Key(lines[0].t, `${what} line ${lines[0].n}`) }] };
  }
  const keys: { id: number; key: Uint8Array; primary: boolean }[] = [];
  for (const { n, t } of lines) {
    const f = t.split(/\s+/);
    const where = `${what} line ${n}`;
    if (f.length < 2 || f.length > 3 || (f.length === 3 && f[2] !== "primary")) {
      throw new KeyError(`${where}: expected "<id> <key>" or "<id> <key> primary"`);
    }
    if (!/^\d{1,3}$/.test(f[0]) || Number(f[0]) > 255) {
      throw new KeyError(`${where}: key id ${JSON.stringify(f[0])} is not 0 to 255`);
    }
    const id = Number(f[0]);
    if (keys.some((k) => k.id === id)) throw new KeyError(`${where}: key id ${id} twice`);
    keys.push({ id, key: parseV2Key(f[1], where), primary: f.length === 3 });
  }
  const primaries = keys.filter((k) => k.primary);
  if (primaries.length > 1 || (primaries.length === 0 && keys.length > 1)) {
    throw new KeyError(
      `${what}: mark exactly one key "primary" (found ${primaries.length} among ${keys.length})`,
    );
  }
  const primary = primaries[0] ?? keys[0];
  return {
    keys: [primary, ...keys.filter((k) => k !== primary)].map(({ id, key }) => ({ id, key })),
  };
}

/**
 * Read a key file or keyring file, refusing one that other users can read or write (mode bits
 * 077 on POSIX; `chmod 600` fixes it) with {@linkcode KeyFileUnsafeError}. Needs `--allow-read`.
 * [R-NODE-KEY-004]
 *
 * @example
 * ```ts
 * import { generateV2Key } from "@chatter/chatter";
 * import { readKeyringFile } from "./keys.ts";
 * import assert from "node:assert/strict";
 * const path = Deno.makeTempFileSync();
 * Deno.writeTextFileSync(path, generateV2Key());
 * Deno.chmodSync(path, 0o600);
 * assert.equal(readKeyringFile(path).keys[0].id, 0);
 * Deno.chmodSync(path, 0o644);
 * assert.throws(() => readKeyringFile(path), /chmod 600/);
 * Deno.removeSync(path);
 * ```
 */
export function readKeyringFile(path: string): KeyringFile {
  const st = Deno.statSync(path);
  if (st.mode !== null && (st.mode & 0o077) !== 0) {
    throw new KeyFileUnsafeError(path, st.mode & 0o777);
  }
  return parseKeyringText(Deno.readTextFileSync(path), `key file ${path}`);
}

/**
 * Whether a node with these options speaks or hears legacy under one of 0.0.15's public keys
 * (anyone can read and forge its legacy frames). A node so configured warns through its
 * `logger` when it starts; the CLI prints one line on stderr. [R-NODE-KEY-006]
 *
 * @example
 * ```ts
 * import { DEFAULT_KEY } from "./options.ts";
 * import { usesPublicLegacyKey } from "./keys.ts";
 * import assert from "node:assert/strict";
 * const key = new TextEncoder().encode(DEFAULT_KEY);
 * assert.equal(usesPublicLegacyKey({ acceptProfiles: ["legacy"], key }), true);
 * assert.equal(usesPublicLegacyKey({ acceptProfiles: ["v2"], key }), false);
 * ```
 */
export function usesPublicLegacyKey(
  o: { acceptProfiles: readonly string[]; key: Uint8Array },
): boolean {
  if (!o.acceptProfiles.includes("legacy")) return false;
  const text = new TextDecoder().decode(o.key);
  return PUBLIC_LEGACY_KEYS.includes(text);
}
