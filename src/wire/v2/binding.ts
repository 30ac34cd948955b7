/**
 * Receiver binding of v2 frames [R-V2-BIND-001..003]: a frame sent by TCP to one receiver
 * sets flag bit 1 and authenticates the receiver's NetID after the header, so no other
 * receiver (and no datagram receiver) accepts it. The NetID is not sent: each receiver
 * supplies its own.
 *
 * ```
 * associated data = header (45 bytes)                         flag bit 1 clear (datagram)
 *                 = header (45 bytes) || binding(receiver)    flag bit 1 set (bound)
 * binding         = family (04 | 06) || address (4 | 16) || port u16be   (a table entry)
 * ```
 *
 * @module
 */

import { InvalidValueError } from "../../errors.ts";
import { V2_HEADER_BYTES } from "../constants.ts";
import { type NetId, parseIp } from "../netid.ts";
import { V2_FAMILY_IPV4, V2_FAMILY_IPV6 } from "./body.ts";

/**
 * The binding bytes of a receiver NetID: the NetID as a table entry (family byte, address,
 * port big-endian). Throws an `InvalidValueError` naming a bad address or port. [R-V2-BIND-001]
 *
 * @example
 * ```ts
 * import { v2ReceiverBinding } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const b = v2ReceiverBinding({ ip: "10.0.0.2", port: 29999 });
 * assert.deepEqual([...b], [4, 10, 0, 0, 2, 117, 47]);
 * ```
 */
export function v2ReceiverBinding(receiver: NetId): Uint8Array {
  const addr = parseIp(receiver.ip);
  const port = receiver.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidValueError(`port must be an integer in [0, 65535], got ${port}`);
  }
  const out = new Uint8Array(1 + addr.length + 2);
  out[0] = addr.length === 4 ? V2_FAMILY_IPV4 : V2_FAMILY_IPV6;
  out.set(addr, 1);
  out[addr.length + 1] = port >>> 8;
  out[addr.length + 2] = port & 0xff;
  return out;
}

/**
 * The associated data of a frame whose header is `header`: the header alone, or the header
 * followed by the receiver's binding when `receiver` is given. [R-V2-AEAD-003], [R-V2-BIND-001]
 *
 * @example
 * ```ts
 * import { v2AssociatedData } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const h = new Uint8Array(45);
 * assert.equal(v2AssociatedData(h).length, 45);
 * assert.equal(v2AssociatedData(h, { ip: "::1", port: 1 }).length, 45 + 19);
 * ```
 */
export function v2AssociatedData(header: Uint8Array, receiver?: NetId): Uint8Array {
  const h = header.subarray(0, V2_HEADER_BYTES);
  if (receiver === undefined) return h;
  const b = v2ReceiverBinding(receiver);
  const ad = new Uint8Array(h.length + b.length);
  ad.set(h);
  ad.set(b, h.length);
  return ad;
}
