/**
 * Members (NetIDs) and 32-bit values as the membership model checks and orders them.
 * Internal helpers shared by the membership types; see `spec/membership.md` §2.
 *
 * @module
 */

import { MAX_UINT32 } from "../wire/constants.ts";
import { formatNetId, type NetId, netId, parseIp } from "../wire/netid.ts";

/**
 * Check that `value` is an integer in [0, 2^32 - 1] and return it; otherwise throw a
 * `RangeError` naming `what` and the value. [R-MEM-001]
 */
export function checkU32(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_UINT32) {
    throw new RangeError(
      `${what} must be an integer in [0, ${MAX_UINT32}], got ${
        typeof value === "number" ? value : JSON.stringify(value)
      }`,
    );
  }
  return value;
}

/**
 * Check a member NetID and return it in canonical form, frozen. Throws a `TypeError` naming
 * `what` and the bad value.
 */
export function canonicalMember(member: NetId, what: string): NetId {
  if (member === null || typeof member !== "object") {
    throw new TypeError(`${what} must be a NetID {ip, port}, got ${JSON.stringify(member)}`);
  }
  try {
    return Object.freeze(netId(member.ip, member.port));
  } catch (e) {
    throw new TypeError(`${what}: ${(e as Error).message}`);
  }
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * The member's sort key: a string whose lexicographic order is NetID table order (IPv4 before
 * IPv6, then address bytes, then port) [R-TABLE-003]. Equal NetIDs have equal keys.
 */
export function memberKey(member: NetId): string {
  const addr = parseIp(member.ip);
  let s = addr.length === 4 ? "4" : "6";
  for (let i = 0; i < addr.length; i++) s += HEX[addr[i]];
  return s + HEX[member.port >>> 8] + HEX[member.port & 0xff];
}

/** Compare two member keys in table order (negative, zero, positive). */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Text form of a member for error messages: `1.2.3.4:5` or `[::1]:5`. */
export function memberText(member: NetId): string {
  return formatNetId(member);
}
