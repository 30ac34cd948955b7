/**
 * Testee ops for the group-membership payload (`spec/membership.md` §6, `spec/testee.md`
 * §8): `membership_encode`, `membership_decode`, `membership_merge`. Messages, NetIDs and
 * views travel in the JSON forms of `src/membership/json.ts`; bytes as lowercase hex. Errors
 * are thrown and turned into replies by the server: decode errors keep their code, wrong JSON
 * types are `BAD_REQUEST`, values the model rejects `BAD_INPUT`.
 *
 * @module
 */

import {
  decodeMembership,
  encodeMembership,
  membershipNetIds,
  MembershipState,
  type MembershipStateJson,
  MembershipView,
  merge,
  stateFromJson,
  stateToJson,
  viewToJson,
} from "../src/membership/mod.ts";
import { MEMBERSHIP_TYPE_TAG, type NetId, netId, NetIdTable } from "../src/wire/mod.ts";
import {
  BadRequest,
  type OpsModule,
  type TesteeReply,
  type TesteeRequest,
} from "./testee_protocol.ts";
import { hex, unhex as parseHex } from "./json.ts";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A NetID's JSON shape: `{ip: string, port: number}` (its values are checked later). */
function checkNetIdShape(v: unknown, what: string): void {
  if (!isObject(v) || typeof v.ip !== "string" || typeof v.port !== "number") {
    throw new BadRequest(`${what} must be {ip: string, port: number}, got ${JSON.stringify(v)}`);
  }
}

function checkClockShape(v: unknown, what: string): void {
  if (!isObject(v) || typeof v.time !== "number") {
    throw new BadRequest(`${what} must be {member, time: number}, got ${JSON.stringify(v)}`);
  }
  checkNetIdShape(v.member, `${what}.member`);
}

/**
 * Check a message's JSON types (`BAD_REQUEST` when wrong); its values (ranges, ops, clock
 * members) are then checked by the model, which throws `InvalidValueError` (`BAD_INPUT`).
 */
function messageField(v: unknown, what: string): MembershipState {
  if (!isObject(v) || !Array.isArray(v.clock) || !Array.isArray(v.items)) {
    throw new BadRequest(`${what} must be {clock: [...], items: [...]}, got ${JSON.stringify(v)}`);
  }
  v.clock.forEach((c, i) => checkClockShape(c, `${what}.clock[${i}]`));
  v.items.forEach((t, i) => {
    const w = `${what}.items[${i}]`;
    if (!isObject(t) || !isObject(t.item)) {
      throw new BadRequest(`${w} must be {item, clock}, got ${JSON.stringify(t)}`);
    }
    const it = t.item;
    checkNetIdShape(it.member, `${w}.item.member`);
    if (typeof it.op !== "string") throw new BadRequest(`${w}.item.op must be a string`);
    for (const f of ["start", "end", "priority"]) {
      if (typeof it[f] !== "number") throw new BadRequest(`${w}.item.${f} must be a number`);
    }
    checkClockShape(t.clock, `${w}.clock`);
  });
  return stateFromJson(v as unknown as MembershipStateJson);
}

function netIds(v: unknown, what: string): NetId[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new BadRequest(`${what} must be a list of NetIDs`);
  return v.map((x, i) => {
    checkNetIdShape(x, `${what}[${i}]`);
    return netId((x as NetId).ip, (x as NetId).port);
  });
}

/** `membership_encode {message, table?}` → `{payload, table, typeTag}`. */
export function membershipEncode(req: TesteeRequest): TesteeReply {
  const message = messageField(req.message, "message");
  const table = NetIdTable.build([...netIds(req.table, "table"), ...membershipNetIds(message)]);
  return {
    result: "ok",
    payload: hex(encodeMembership(message, table)),
    table: table.ids().map((n) => ({ ip: n.ip, port: n.port })),
    typeTag: MEMBERSHIP_TYPE_TAG,
  };
}

/** `membership_decode {payload, table}` → `{message}` or a decode error's code. */
export function membershipDecode(req: TesteeRequest): TesteeReply {
  if (typeof req.payload !== "string") throw new BadRequest("payload must be a hex string");
  let payload: Uint8Array;
  try {
    payload = parseHex(req.payload);
  } catch (e) {
    throw new BadRequest(`payload: ${(e as Error).message}`);
  }
  const table = netIds(req.table, "table");
  return { result: "ok", message: stateToJson(decodeMembership(payload, table)) };
}

/** `membership_merge {messages}` → `{message, view}`: the left-to-right merge and its view. */
export function membershipMerge(req: TesteeRequest): TesteeReply {
  if (!Array.isArray(req.messages)) {
    throw new BadRequest(
      `messages must be a list of messages, got ${JSON.stringify(req.messages)}`,
    );
  }
  const merged = req.messages.map((m, i) => messageField(m, `messages[${i}]`))
    .reduce(merge, MembershipState.EMPTY);
  return {
    result: "ok",
    message: stateToJson(merged),
    view: viewToJson(MembershipView.of(merged)),
  };
}

/** The membership ops for the testee registry. */
export const MEMBERSHIP_OPS: OpsModule = {
  profiles: [],
  ops: {
    membership_encode: membershipEncode,
    membership_decode: membershipDecode,
    membership_merge: membershipMerge,
  },
};
