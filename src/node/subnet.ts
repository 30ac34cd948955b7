/**
 * Subnet domain keys (spec/node.md, R-NODE-SCALE-006): when a node knows that its multicast
 * domain is an IP subnet of prefix length L (option `subnetPrefixLength`), it groups every
 * destination of the plan it has not learned anything about by that destination's /L subnet,
 * so a broadcast to thousands of nodes of remote subnets costs one TCP frame per subnet from
 * the first broadcast on, with no per-node knowledge to gather. A key is a function of the
 * address alone: O(1) per destination, no state.
 *
 * @module
 */

import { parseIp } from "../wire/netid.ts";

/**
 * The key of `ip`'s subnet of prefix length `prefixLength` (`"net:10.0.0.8/29"`), or
 * `undefined` when the address does not parse or the length is longer than the address (an
 * IPv4 address and a length over 32: such destinations are not grouped by subnet).
 *
 * @example
 * ```ts
 * import { subnetKey } from "./subnet.ts";
 * import assert from "node:assert/strict";
 * assert.equal(subnetKey("10.0.0.13", 29), "net:10.0.0.8/29");
 * assert.equal(subnetKey("10.0.0.13", 29), subnetKey("10.0.0.9", 29));
 * assert.notEqual(subnetKey("10.0.0.16", 29), subnetKey("10.0.0.9", 29));
 * ```
 */
export function subnetKey(ip: string, prefixLength: number): string | undefined {
  const v4 = ipv4Number(ip);
  if (v4 !== undefined) {
    if (prefixLength < 0 || prefixLength > 32) return undefined;
    const masked = prefixLength === 0 ? 0 : (v4 & (~0 << (32 - prefixLength))) >>> 0;
    return `net:${masked >>> 24}.${(masked >>> 16) & 255}.${(masked >>> 8) & 255}.${
      masked & 255
    }/${prefixLength}`;
  }
  let bytes: Uint8Array;
  try {
    bytes = parseIp(ip);
  } catch {
    return undefined;
  }
  const len = prefixLength;
  if (len < 0 || len > bytes.length * 8) return undefined;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, len - 8 * i));
    out[i] = bytes[i] & (keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff);
  }
  return `net6:${Array.from(out, (b) => b.toString(16).padStart(2, "0")).join("")}/${len}`;
}

/** A dotted IPv4 address as an unsigned 32-bit number; `undefined` for anything else. */
function ipv4Number(ip: string): number | undefined {
  let n = 0, part = 0, digits = 0, dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return undefined;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0) return undefined;
  return n * 256 + part;
}

/**
 * The prefix length of the network interface that has `address` (its `cidr`), or 0 when no
 * interface has it or the interfaces cannot be read (no `--allow-sys`). A node on the Deno
 * transport with multicast on takes it as its `subnetPrefixLength` unless that is set.
 * [R-NODE-SCALE-006]
 *
 * @example
 * ```ts
 * import { interfacePrefixLength } from "./subnet.ts";
 * import assert from "node:assert/strict";
 * assert.equal(interfacePrefixLength("192.0.2.254"), 0); // no interface has this address
 * ```
 */
export function interfacePrefixLength(address: string): number {
  try {
    for (const i of Deno.networkInterfaces()) {
      if (i.address !== address) continue;
      const n = Number(i.cidr.slice(i.cidr.lastIndexOf("/") + 1));
      return Number.isInteger(n) && n >= 0 ? n : 0;
    }
  } catch {
    // No permission to read the interfaces: not known.
  }
  return 0;
}
