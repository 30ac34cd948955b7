/**
 * Item: one member's claim about a range of the 32-bit key space. [R-MEM-003]
 *
 * @module
 */

import type { NetId } from "../wire/netid.ts";
import { canonicalMember, checkU32, memberKey, memberText } from "./member.ts";

/** What an item says about its range: the member serves it (`add`) or stops serving it (`rmv`). */
export type Op = "add" | "rmv";

/** The fields an {@linkcode Item} is built from. */
export interface ItemFields {
  /** The member the claim is about (and the only one who may write it). */
  member: NetId;
  /** `add` or `rmv`. */
  op: Op;
  /** First key of the range, 0 to 2^32 - 1. */
  start: number;
  /** Last key of the range (inclusive), `start` to 2^32 - 1. */
  end: number;
  /** Ordering hint among members serving the same key, 0 to 2^32 - 1; higher comes first. */
  priority: number;
}

/**
 * A member's claim on the inclusive key range `[start, end]`, with a priority. Immutable; the
 * constructor rejects an unknown op, values outside 32 bits and `start > end`, naming the
 * value.
 *
 * @example
 * ```ts
 * import { Item } from "@chatter/chatter/membership";
 * const it = new Item({ member: { ip: "10.0.0.1", port: 4000 }, op: "add", start: 0, end: 0xffff, priority: 10 });
 * it.end; // 65535
 * ```
 */
export class Item implements ItemFields {
  /** The member (canonical NetID). */
  readonly member: NetId;
  /** `add` or `rmv`. */
  readonly op: Op;
  /** First key of the range. */
  readonly start: number;
  /** Last key of the range (inclusive). */
  readonly end: number;
  /** Ordering hint; higher comes first. */
  readonly priority: number;
  /** Sort key of {@linkcode Item.member}: lexicographic order is NetID table order. */
  readonly memberKey: string;

  /** Build and check an item. Throws `TypeError`/`RangeError` naming the bad value. */
  constructor(fields: ItemFields) {
    if (fields === null || typeof fields !== "object") {
      throw new TypeError(`Item fields must be an object, got ${JSON.stringify(fields)}`);
    }
    this.member = canonicalMember(fields.member, "Item member");
    const who = memberText(this.member);
    if (fields.op !== "add" && fields.op !== "rmv") {
      throw new TypeError(
        `Item op of ${who} must be "add" or "rmv", got ${JSON.stringify(fields.op)}`,
      );
    }
    this.op = fields.op;
    this.start = checkU32(fields.start, `Item start of ${who}`);
    this.end = checkU32(fields.end, `Item end of ${who}`);
    if (this.start > this.end) {
      throw new RangeError(
        `Item range of ${who} is out of order: start ${this.start} > end ${this.end}`,
      );
    }
    this.priority = checkU32(fields.priority, `Item priority of ${who}`);
    this.memberKey = memberKey(this.member);
    Object.freeze(this);
  }
}
