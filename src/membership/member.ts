/**
 * Members (NetIDs) and 32-bit values as the membership model checks and orders them.
 * Internal helpers shared by the membership types; see `spec/membership.md` §2.
 *
 * @module
 */

import { InvalidValueError } from "../errors.ts";
import { MAX_UINT32 } from "../wire/constants.ts";
import { formatNetId, type NetId, netId, parseIp } from "../wire/netid.ts";

/** True when `value` is an integer in [0, 2^32 - 1]. */
export function isU32(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_UINT32;
}

/**
 * Check that `value` is an integer in [0, 2^32 - 1] and return it; otherwise throw a
 * `InvalidValueError` naming `what` and the value. [R-MEM-001]
 */
export function checkU32(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_UINT32) {
    throw new InvalidValueError(
      `${what} must be an integer in [0, ${MAX_UINT32}], got ${
        typeof value === "number" ? value : JSON.stringify(value)
      }`,
    );
  }
  return value;
}

/** A canonical member and its sort key. */
export interface MemberInfo {
  /** The member in canonical form, frozen. */
  id: NetId;
  /** Its sort key ({@linkcode memberKey}). */
  key: string;
}

// Canonical member objects are frozen, so they can be recognised and reused without parsing
// their address again: values built from a decoded table share one object per member.
const known = new WeakMap<NetId, MemberInfo>();

/**
 * Check a member NetID and return it in canonical form, frozen, with its sort key. Throws an
 * `InvalidValueError` naming `what` and the bad value.
 */
export function memberInfo(member: NetId, what: string): MemberInfo {
  if (member === null || typeof member !== "object") {
    throw new InvalidValueError(
      `${what} must be a NetID {ip, port}, got ${JSON.stringify(member)}`,
    );
  }
  const hit = known.get(member);
  if (hit !== undefined) return hit;
  let id: NetId;
  try {
    id = Object.freeze(netId(member.ip, member.port));
  } catch (e) {
    throw new InvalidValueError(`${what}: ${(e as Error).message}`);
  }
  const info = Object.freeze({ id, key: memberKey(id) });
  known.set(id, info);
  return info;
}

/** {@linkcode memberInfo} without the key. */
export function canonicalMember(member: NetId, what: string): NetId {
  return memberInfo(member, what).id;
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
