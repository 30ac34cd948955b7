/**
 * Golden vectors of the group-membership payload (`spec/membership.md`), built from the
 * declared inputs below by running the implementation. Shape of each case (§6.1 of the spec):
 *
 * - payload cases (`op: "membership_decode"`, `result: "valid"`): `inputs` {message, table}
 *   (what `membership_encode` takes), `table` (the built table), `payload` (hex) and
 *   `decoded` (the canonical message);
 * - invalid payloads (`result: "invalid"`): `table`, `payload`, `errorClass` (the code);
 * - merges (`op: "membership_merge"`): `messages`, and `merged` and `view`, or
 *   `result: "invalid"` and `errorClass: "BAD_INPUT"` when an input message is invalid.
 *
 * The file is `vectors/membership.json`; `deno task vectors` writes it (the suite is listed in
 * `suites.ts`) and the tests rebuild it and compare.
 *
 * @module
 */

import type { MembershipStateJson, TimedItemJson } from "../src/membership/mod.ts";
import type { NetId } from "../src/wire/mod.ts";
import { membershipDecode, membershipEncode, membershipMerge } from "./membership_ops.ts";
import { errorReply, type TesteeReply, type TesteeRequest } from "./testee_protocol.ts";
import type { VectorSuite } from "./suite.ts";

/** Run an op as the testee server does: a throw becomes an error reply. */
function call(op: (r: TesteeRequest) => TesteeReply, req: Record<string, unknown>): TesteeReply {
  try {
    return op({ id: 0, op: "", ...req });
  } catch (e) {
    return errorReply(e);
  }
}

const A: NetId = { ip: "10.0.0.1", port: 4000 };
const B: NetId = { ip: "10.0.0.2", port: 4000 };
const C: NetId = { ip: "10.0.0.1", port: 3999 };
const V6: NetId = { ip: "fe80::1", port: 4000 };
const GOSSIP: NetId[] = [{ ip: "127.0.0.1", port: 29999 }, { ip: "9.9.9.9", port: 1 }];
const MAX = 0xffff_ffff;

function ti(
  member: NetId,
  op: "add" | "rmv",
  start: number,
  end: number,
  priority: number,
  time: number,
  clockMember: NetId = member,
): TimedItemJson {
  return { item: { member, op, start, end, priority }, clock: { member: clockMember, time } };
}

function msg(
  items: TimedItemJson[],
  clock: { member: NetId; time: number }[] = [],
): MembershipStateJson {
  return { clock, items };
}

interface PayloadCase {
  id: string;
  name: string;
  reqs: string[];
  message: MembershipStateJson;
  table?: NetId[];
}

const PAYLOADS: PayloadCase[] = [
  { id: "empty", name: "the empty message", reqs: ["R-MEM-021"], message: msg([]) },
  {
    id: "one-item",
    name: "one member, one add item (the example of §5.1)",
    reqs: ["R-MEM-021", "R-MEM-022", "R-MEM-028"],
    message: msg([ti(A, "add", 0, 99, 5, 1)]),
  },
  {
    id: "clock-only",
    name: "a world clock entry without items (an anti-entropy digest)",
    reqs: ["R-MEM-008", "R-MEM-021"],
    message: msg([], [{ member: B, time: 300 }]),
  },
  {
    id: "shared-table",
    name: "members among the gossip's NetIDs: references are table positions, IPv4 before IPv6",
    reqs: ["R-MEM-021", "R-MEM-025", "R-MEM-028"],
    message: msg([
      ti(V6, "add", 10, 20, 1, 2),
      ti(B, "rmv", 7, 7, 0, 9),
      ti(A, "add", 0, 99, 5, 1),
    ], [{ member: A, time: 4 }]),
    table: GOSSIP,
  },
  {
    id: "edges",
    name: "32-bit maxima in every field, and a rmv item",
    reqs: ["R-MEM-001", "R-MEM-021", "R-MEM-022"],
    message: msg([ti(A, "add", MAX, MAX, MAX, MAX), ti(A, "rmv", 0, MAX, 0, 0)]),
  },
  {
    id: "item-order",
    name: "one member's items in (start, end) order, given out of order",
    reqs: ["R-MEM-005", "R-MEM-025", "R-MEM-040"],
    message: msg([
      ti(C, "add", 100, 200, 3, 4),
      ti(C, "add", 5, 300, 3, 3),
      ti(C, "add", 5, 6, 3, 2),
      ti(C, "rmv", 150, 160, 0, 5),
    ]),
  },
];

const T2: NetId[] = [A, B];

interface InvalidPayload {
  id: string;
  name: string;
  reqs: string[];
  payload: string;
  table?: NetId[];
  errorClass: string;
}

const INVALID: InvalidPayload[] = [
  {
    id: "bad-op",
    name: "op byte 2",
    reqs: ["R-MEM-022"],
    payload: "010002010063020501",
    errorClass: "MEMBERSHIP_BAD_OP",
  },
  {
    id: "bad-range",
    name: "start 99 > end 0",
    reqs: ["R-MEM-023"],
    payload: "010002016300000501",
    errorClass: "MEMBERSHIP_BAD_RANGE",
  },
  {
    id: "clock-ahead",
    name: "item time 3 ahead of world time 2",
    reqs: ["R-MEM-024"],
    payload: "010002010063000503",
    errorClass: "MEMBERSHIP_CLOCK_AHEAD",
  },
  {
    id: "members-descending",
    name: "member refs 1 then 0",
    reqs: ["R-MEM-025"],
    payload: "02010000000000",
    errorClass: "MEMBERSHIP_NOT_CANONICAL",
  },
  {
    id: "member-repeated",
    name: "member ref 0 twice",
    reqs: ["R-MEM-025"],
    payload: "02000000000000",
    errorClass: "MEMBERSHIP_NOT_CANONICAL",
  },
  {
    id: "slot-repeated",
    name: "slot [5, 5] twice",
    reqs: ["R-MEM-025"],
    payload: "0100020205050005010505000501",
    errorClass: "MEMBERSHIP_NOT_CANONICAL",
  },
  {
    id: "starts-descending",
    name: "item starts 6 then 5",
    reqs: ["R-MEM-025"],
    payload: "0100020206060005010505000501",
    errorClass: "MEMBERSHIP_NOT_CANONICAL",
  },
  {
    id: "ends-descending",
    name: "same start, ends 7 then 5",
    reqs: ["R-MEM-025"],
    payload: "0100020205070005010505000501",
    errorClass: "MEMBERSHIP_NOT_CANONICAL",
  },
  {
    id: "table-unsorted",
    name: "a NetID table out of table order",
    reqs: ["R-MEM-025"],
    payload: "0200000001000000",
    table: [B, A],
    errorClass: "TABLE_NOT_CANONICAL",
  },
  {
    id: "ref-out-of-range",
    name: "member ref 2 with a 2-entry table",
    reqs: ["R-MEM-028"],
    payload: "01020000",
    errorClass: "TABLE_REF_OUT_OF_RANGE",
  },
  {
    id: "members-exceed-table",
    name: "3 members with a 2-entry table",
    reqs: ["R-MEM-026"],
    payload: "03000000010000020000",
    errorClass: "TABLE_REF_OUT_OF_RANGE",
  },
  {
    id: "empty-payload",
    name: "no bytes at all",
    reqs: ["R-MEM-027"],
    payload: "",
    errorClass: "TRUNCATED",
  },
  {
    id: "members-exceed-bytes",
    name: "2 members announced, 3 bytes left",
    reqs: ["R-MEM-026"],
    payload: "02000000",
    errorClass: "TRUNCATED",
  },
  {
    id: "items-exceed-bytes",
    name: "5 items announced, no bytes left",
    reqs: ["R-MEM-026"],
    payload: "01000205",
    errorClass: "TRUNCATED",
  },
  {
    id: "cut-in-item",
    name: "payload ends inside an item",
    reqs: ["R-MEM-027"],
    payload: "0100020100630005",
    errorClass: "TRUNCATED",
  },
  {
    id: "item-limit",
    name: "65,537 items announced (limit 65,536)",
    reqs: ["R-MEM-026"],
    payload: "0100008180040000",
    errorClass: "MEMBERSHIP_ITEM_LIMIT",
  },
  {
    id: "trailing",
    name: "a byte after the last item",
    reqs: ["R-MEM-027"],
    payload: "01000201006300050100",
    errorClass: "MEMBERSHIP_TRAILING_BYTES",
  },
  {
    id: "varint-overlong",
    name: "member count 0 in two bytes",
    reqs: ["R-MEM-021"],
    payload: "8000",
    errorClass: "VARINT_OVERLONG",
  },
  {
    id: "varint-overflow",
    name: "world time 2^32",
    reqs: ["R-MEM-001", "R-MEM-021"],
    payload: "01008080808010",
    errorClass: "VARINT_OVERFLOW",
  },
];

interface MergeCase {
  id: string;
  name: string;
  reqs: string[];
  messages: MembershipStateJson[];
}

const MERGES: MergeCase[] = [
  {
    id: "later-wins",
    name: "the later clock wins a slot; op and priority are overwritten",
    reqs: ["R-MEM-006", "R-MEM-009"],
    messages: [msg([ti(A, "add", 0, 99, 5, 1)]), msg([ti(A, "rmv", 0, 99, 0, 2)])],
  },
  {
    id: "later-wins-reversed",
    name: "the same two messages in the other order give the same result",
    reqs: ["R-MEM-009"],
    messages: [msg([ti(A, "rmv", 0, 99, 0, 2)]), msg([ti(A, "add", 0, 99, 5, 1)])],
  },
  {
    id: "tie-rmv-wins",
    name: "equal clocks: rmv wins over add",
    reqs: ["R-MEM-006"],
    messages: [msg([ti(A, "add", 0, 99, 5, 3)]), msg([ti(A, "rmv", 0, 99, 0, 3)])],
  },
  {
    id: "tie-priority",
    name: "equal clocks and ops: the higher priority wins",
    reqs: ["R-MEM-006"],
    messages: [msg([ti(A, "add", 0, 99, 9, 3)]), msg([ti(A, "add", 0, 99, 4, 3)])],
  },
  {
    id: "idempotent",
    name: "a message merged with itself",
    reqs: ["R-MEM-009"],
    messages: [
      msg([ti(A, "add", 0, 99, 5, 1)], [{ member: B, time: 7 }]),
      msg([ti(A, "add", 0, 99, 5, 1)], [{ member: B, time: 7 }]),
    ],
  },
  {
    id: "clocks-max",
    name: "world clocks merge member-wise to the maximum, items never lower them",
    reqs: ["R-MEM-007", "R-MEM-008", "R-MEM-009", "R-MEM-040"],
    messages: [
      msg([ti(A, "add", 0, 9, 1, 2)], [{ member: A, time: 10 }, { member: B, time: 1 }]),
      msg([ti(B, "add", 0, 9, 1, 4)], [{ member: A, time: 3 }]),
    ],
  },
  {
    id: "view-overlap",
    name: "view: overlapping claims, partial leave, re-join, priority order and table-order ties",
    reqs: ["R-MEM-011", "R-MEM-012", "R-MEM-013"],
    messages: [
      msg([ti(A, "add", 0, 999, 1, 1), ti(A, "rmv", 600, 699, 0, 2), ti(A, "add", 650, 650, 9, 3)]),
      msg([ti(B, "add", 500, 1999, 9, 1)]),
      msg([ti(V6, "add", 0, MAX, 0, 1)]),
    ],
  },
  {
    id: "view-same-clock",
    name: "view: one member's overlapping slots at one clock (rmv first, then higher priority)",
    reqs: ["R-MEM-011"],
    messages: [
      msg([ti(C, "add", 0, 10, 1, 5), ti(C, "add", 5, 20, 7, 5), ti(C, "rmv", 8, 9, 0, 5)]),
    ],
  },
  {
    id: "view-adjacent-equal",
    name: "view: adjacent claims of equal priority form one segment",
    reqs: ["R-MEM-013"],
    messages: [msg([ti(A, "add", 0, 9, 2, 1), ti(A, "add", 10, 19, 2, 1)])],
  },
];

const INVALID_MESSAGES: MergeCase[] = [
  {
    id: "start-after-end",
    name: "an item with start 10 > end 9",
    reqs: ["R-MEM-003"],
    messages: [msg([ti(A, "add", 10, 9, 0, 1)])],
  },
  {
    id: "clock-of-other-member",
    name: "a timed item whose clock belongs to another member",
    reqs: ["R-MEM-004"],
    messages: [msg([ti(A, "add", 0, 9, 0, 1, B)])],
  },
  {
    id: "time-over-32-bit",
    name: "a clock time of 2^32",
    reqs: ["R-MEM-001"],
    messages: [msg([ti(A, "add", 0, 9, 0, 2 ** 32)])],
  },
  {
    id: "priority-negative",
    name: "a priority of -1",
    reqs: ["R-MEM-001"],
    messages: [msg([ti(A, "add", 0, 9, -1, 1)])],
  },
  {
    id: "unknown-op",
    name: "an op other than add or rmv",
    reqs: ["R-MEM-003"],
    messages: [
      msg([{
        item: { member: A, op: "del", start: 0, end: 9, priority: 0 },
        clock: { member: A, time: 1 },
      }]),
    ],
  },
  {
    id: "bad-address",
    name: "a well-typed NetID whose ip is not an address (10.0.0.256)",
    reqs: ["R-MEM-040"],
    messages: [msg([], [{ member: { ip: "10.0.0.256", port: 4000 }, time: 1 }])],
  },
  {
    id: "port-over-16-bit",
    name: "a well-typed NetID whose port is 70000",
    reqs: ["R-MEM-040"],
    messages: [msg([ti({ ip: "10.0.0.1", port: 70000 }, "add", 0, 9, 0, 1)])],
  },
];

function ok(r: TesteeReply, what: string): TesteeReply {
  if (r.result !== "ok") throw new Error(`vector ${what}: ${JSON.stringify(r)}`);
  return r;
}

/** Build the vector cases. */
export function buildMembershipVectors(): unknown {
  const cases: Record<string, unknown>[] = [];
  for (const c of PAYLOADS) {
    const inputs = { message: c.message, table: c.table ?? [] };
    const enc = ok(call(membershipEncode, inputs), c.id);
    const dec = ok(call(membershipDecode, { payload: enc.payload, table: enc.table }), c.id);
    cases.push({
      id: `membership/payload/${c.id}`,
      name: c.name,
      reqs: c.reqs,
      profile: "membership",
      op: "membership_decode",
      result: "valid",
      inputs,
      table: enc.table,
      payload: enc.payload,
      decoded: dec.message,
    });
  }
  for (const c of INVALID) {
    const table = c.table ?? T2;
    const r = call(membershipDecode, { payload: c.payload, table });
    if (r.result !== "error" || r.errorClass !== c.errorClass) {
      throw new Error(`vector ${c.id}: expected ${c.errorClass}, got ${JSON.stringify(r)}`);
    }
    cases.push({
      id: `membership/invalid/${c.id}`,
      name: c.name,
      reqs: [...c.reqs, "R-MEM-030"],
      profile: "membership",
      op: "membership_decode",
      result: "invalid",
      table,
      payload: c.payload,
      errorClass: c.errorClass,
    });
  }
  for (const c of MERGES) {
    const r = ok(call(membershipMerge, { messages: c.messages }), c.id);
    cases.push({
      id: `membership/merge/${c.id}`,
      name: c.name,
      reqs: c.reqs,
      profile: "membership",
      op: "membership_merge",
      result: "valid",
      messages: c.messages,
      merged: r.message,
      view: r.view,
    });
  }
  for (const c of INVALID_MESSAGES) {
    const r = call(membershipMerge, { messages: c.messages });
    if (r.result !== "error" || r.errorClass !== "BAD_INPUT") {
      throw new Error(`vector ${c.id}: expected BAD_INPUT, got ${JSON.stringify(r)}`);
    }
    cases.push({
      id: `membership/invalid-message/${c.id}`,
      name: c.name,
      // A well-typed MembershipState that breaks section 2 is BAD_INPUT (section 6).
      reqs: c.reqs.includes("R-MEM-040") ? c.reqs : [...c.reqs, "R-MEM-040"],
      profile: "membership",
      op: "membership_merge",
      result: "invalid",
      messages: c.messages,
      errorClass: "BAD_INPUT",
    });
  }
  return {
    comment:
      "Generated by vectors/membership_suite.ts from declared inputs; see spec/membership.md §6.1.",
    cases,
  };
}

/** The suite, for the vectors generator's list. */
export const MEMBERSHIP_SUITE: VectorSuite = {
  file: "membership.json",
  build: buildMembershipVectors,
};
