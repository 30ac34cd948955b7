/**
 * Item: one member's claim about a range of the 32-bit key space. [R-MEM-003]
 *
 * @module
 */

import { InvalidValueError } from "../errors.ts";
import type { NetId } from "../wire/netid.ts";
import { checkU32, isU32, memberInfo, memberText } from "./member.ts";

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
 * import assert from "node:assert/strict";
 * const it = new Item({ member: { ip: "10.0.0.1", port: 4000 }, op: "add", start: 0, end: 0xffff, priority: 10 });
 * assert.equal(it.end, 65535);
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

  /** Build and check an item. Throws `InvalidValueError` naming the bad value. */
  constructor(fields: ItemFields) {
    if (fields === null || typeof fields !== "object") {
      throw new InvalidValueError(`Item fields must be an object, got ${JSON.stringify(fields)}`);
    }
    const m = memberInfo(fields.member, "Item member");
    this.member = m.id;
    this.memberKey = m.key;
    const { op, start, end, priority } = fields;
    // Messages are built only on failure: decoders construct many items.
    if (op !== "add" && op !== "rmv") {
      throw new InvalidValueError(
        `Item op of ${memberText(this.member)} must be "add" or "rmv", got ${JSON.stringify(op)}`,
      );
    }
    if (!isU32(start)) checkU32(start, `Item start of ${memberText(this.member)}`);
    if (!isU32(end)) checkU32(end, `Item end of ${memberText(this.member)}`);
    if (start > end) {
      throw new InvalidValueError(
        `Item range of ${memberText(this.member)} is out of order: start ${start} > end ${end}`,
      );
    }
    if (!isU32(priority)) checkU32(priority, `Item priority of ${memberText(this.member)}`);
    this.op = op;
    this.start = start;
    this.end = end;
    this.priority = priority;
    Object.freeze(this);
  }
}
