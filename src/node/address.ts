/**
 * A node's address may be a host name: it is resolved once, at start, with the system
 * resolver (`/etc/hosts`, DNS), and the node is known by the first address it returns (NetIDs
 * carry addresses, not names). [R-NODE-ADDR-001]
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { NodeOptionError } from "../errors.ts";
import { parseIp } from "../wire/netid.ts";
import type { NodeOptions } from "./options.ts";

/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
const HOST_NAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$/;

/**
 * `options` with a host-name `address` replaced by the address it resolves to (IPv4 preferred
 * when the multicast default needs it). Other options are returned unchanged. Throws
 * {@linkcode NodeOptionError} for a name that does not resolve.
 */
export async function resolveHostAddress(options: NodeOptions): Promise<NodeOptions> {
  const a = options?.address;
  if (typeof a !== "string") return options;
  try {
    parseIp(a);
    return options; // an address already
  } catch { /* a name, or nonsense */ }
  // Not a name: a bad value, or numbers (`1.2.3`, which the resolver would read as 1.2.0.3; a
  // top-level label is never all digits). resolveNodeOptions names the bad value.
  if (!HOST_NAME.test(a) || /(^|\.)\d+\.?$/.test(a)) return options;
  const wantV4 = (options.multicast ?? true) && options.multicastInterface === undefined;
  try {
    const r = await lookup(a, { family: wantV4 ? 4 : 0 });
    return { ...options, address: r.address };
  } catch (e) {
    throw new NodeOptionError(
      "address",
      a,
      `an address or a host name that resolves (${(e as Error).message})`,
    );
  }
}
