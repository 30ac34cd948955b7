/**
 * NetIDs (an address and a port) and BroadcastIDs (a NetID and a sequence number).
 * [R-NETID-001..006]
 *
 * Addresses are held as text: dotted quads for IPv4 (`"127.0.0.1"`), RFC 5952 text for IPv6
 * (`"::1"`). {@linkcode parseIp} turns either into bytes and {@linkcode formatIp} back, so
 * equal addresses always compare equal as canonical text.
 *
 * @module
 */

import { InvalidValueError } from "../errors.ts";

/** A node's identity: an IPv4 or IPv6 address and a TCP port. */
export interface NetId {
  /** Dotted-quad IPv4 (`"10.0.0.1"`) or IPv6 text (`"fe80::1"`). */
  ip: string;
  /** Port, 0 to 65535. */
  port: number;
}

/** A NetID and a sequence number: identifies one broadcast of one node. */
export interface BroadcastId extends NetId {
  /** Sequence number, 0 to 2^53 - 1. */
  seqno: number;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  let all: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return undefined;
    all = [...head, ...new Array(fill).fill(0), ...tail];
  } else {
    all = head;
  }
  if (all.length !== 8) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i] >> 8;
    out[2 * i + 1] = all[i] & 0xff;
  }
  return out;
}

/**
 * Parse IPv4 dotted-quad or IPv6 text into 4 or 16 address bytes.
 * Throws an `InvalidValueError` naming the value when it is neither.
 *
 * @example
 * ```ts
 * import { parseIp } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * parseIp("127.0.0.1"); // Uint8Array [127, 0, 0, 1]
 * assert.equal(parseIp("::1").length, 16);
 * ```
 */
export function parseIp(text: string): Uint8Array {
  const bytes = typeof text === "string"
    ? (text.includes(":") ? parseIpv6(text) : parseIpv4(text))
    : undefined;
  if (!bytes) throw new InvalidValueError(`not an IPv4 or IPv6 address: ${JSON.stringify(text)}`);
  return bytes;
}

/**
 * Format 4 or 16 address bytes as canonical text (dotted quad, or RFC 5952 IPv6).
 *
 * @example
 * ```ts
 * import { formatIp } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(formatIp(new Uint8Array([10, 0, 0, 1])), "10.0.0.1");
 * ```
 */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) {
    throw new InvalidValueError(`address must be 4 or 16 bytes, got ${bytes.length}`);
  }
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((bytes[2 * i] << 8) | bytes[2 * i + 1]);
  // RFC 5952: compress the longest run (leftmost on ties) of two or more zero groups.
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/**
 * True when `ip` is an IPv4 dotted quad (as opposed to IPv6 text).
 *
 * @example
 * ```ts
 * import { isIpv4 } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(isIpv4("10.0.0.1"), true);
 * assert.equal(isIpv4("::1"), false);
 * ```
 */
export function isIpv4(ip: string): boolean {
  return !ip.includes(":");
}

/**
 * Check a NetID and return it with its address in canonical text.
 * Throws an `InvalidValueError` naming the bad address or port.
 *
 * @example
 * ```ts
 * import { netId } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.deepEqual(netId("127.0.0.1", 29999), { ip: "127.0.0.1", port: 29999 });
 * ```
 */
export function netId(ip: string, port: number): NetId {
  const bytes = parseIp(ip);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidValueError(`port must be an integer in [0, 65535], got ${port}`);
  }
  return { ip: formatIp(bytes), port };
}

/**
 * A stable string key for a NetID, for maps and sets: `"ip|port"` with canonical `ip`.
 *
 * @example
 * ```ts
 * import { netIdKey } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(netIdKey({ ip: "10.0.0.1", port: 4000 }), "10.0.0.1|4000");
 * ```
 */
export function netIdKey(id: NetId): string {
  // Memoised per NetID object (checked against its current ip and port, so a changed object
  // gets a fresh key): a decoded frame's NetIDs are keyed by every map they meet, and building
  // and hashing a new string each time was most of the cost of learning from a frame.
  // [R-NODE-SCALE-008]
  const c = keyCache.get(id);
  if (c !== undefined && c.ip === id.ip && c.port === id.port) return c.key;
  const key = `${id.ip}|${id.port}`;
  keyCache.set(id, { ip: id.ip, port: id.port, key });
  return key;
}

const keyCache = new WeakMap<NetId, { ip: string; port: number; key: string }>();

/**
 * Text form of a NetID: `1.2.3.4:5` or `[::1]:5`.
 *
 * @example
 * ```ts
 * import { formatNetId } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.equal(formatNetId({ ip: "10.0.0.1", port: 4000 }), "10.0.0.1:4000");
 * assert.equal(formatNetId({ ip: "::1", port: 4000 }), "[::1]:4000");
 * ```
 */
export function formatNetId(id: NetId): string {
  return isIpv4(id.ip) ? `${id.ip}:${id.port}` : `[${id.ip}]:${id.port}`;
}

/**
 * Parse `host:port` or `[v6]:port` text into a NetID. Throws an `InvalidValueError` naming the text.
 *
 * @example
 * ```ts
 * import { parseNetId } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseNetId("127.0.0.1:29999"), { ip: "127.0.0.1", port: 29999 });
 * ```
 */
export function parseNetId(text: string): NetId {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) throw new InvalidValueError(`not an address:port: ${JSON.stringify(text)}`);
  return netId(m[1], Number(m[2]));
}
