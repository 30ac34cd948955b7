/**
 * LocalClock: a member's NetID and a 32-bit counter that only that member advances.
 * [R-MEM-002]
 *
 * @module
 */

import { InvalidValueError } from "../errors.ts";
import { MAX_UINT32 } from "../wire/constants.ts";
import type { NetId } from "../wire/netid.ts";
import { checkU32, isU32, memberInfo, memberText } from "./member.ts";

/**
 * A member's logical clock: the member writes every change at a clock later than all its
 * earlier ones; everyone else only reads it. Immutable.
 *
 * @example
 * ```ts
 * import { LocalClock } from "@chatter/chatter/membership";
 * import assert from "node:assert/strict";
 * const c = new LocalClock({ ip: "10.0.0.1", port: 4000 });
 * assert.equal(c.next().time, 1);
 * ```
 */
export class LocalClock {
  /** The member whose clock this is (canonical NetID). */
  readonly member: NetId;
  /** The counter, 0 to 2^32 - 1. */
  readonly time: number;
  /** Sort key of {@linkcode LocalClock.member}: lexicographic order is NetID table order. */
  readonly memberKey: string;

  /**
   * A clock of `member` at `time` (default 0). Throws an `InvalidValueError` naming a bad
   * member or a time outside 32 bits.
   */
  constructor(member: NetId, time = 0) {
    const m = memberInfo(member, "LocalClock member");
    this.member = m.id;
    this.memberKey = m.key;
    if (!isU32(time)) {
      checkU32(time, `LocalClock time of ${memberText(this.member)}`);
    }
    this.time = time;
    Object.freeze(this);
  }

  /** The clock one tick later. Throws an `InvalidValueError` when the counter is exhausted. */
  next(): LocalClock {
    if (this.time >= MAX_UINT32) {
      throw new InvalidValueError(
        `LocalClock of ${memberText(this.member)} is at ${MAX_UINT32} and cannot advance`,
      );
    }
    return new LocalClock(this.member, this.time + 1);
  }
}
