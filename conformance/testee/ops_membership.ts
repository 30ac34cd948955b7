/**
 * Testee ops for the group-membership payload (`spec/membership.md` §6):
 * `membership_encode`, `membership_decode`, `membership_merge`. Messages, NetIDs and views
 * travel in the JSON forms of `src/membership/json.ts`; bytes as lowercase hex.
 *
 * @module
 */

import {
  decodeMembership,
  encodeMembership,
  membershipNetIds,
  MembershipView,
  merge,
  Message,
  messageFromJson,
  type MessageJson,
  messageToJson,
  viewToJson,
} from "../../src/membership/mod.ts";
import {
  DecodeError,
  MEMBERSHIP_TYPE_TAG,
  type NetId,
  netId,
  NetIdTable,
} from "../../src/wire/mod.ts";
import type { OpsModule, TesteeReply, TesteeRequest } from "./ops.ts";

/** The errorClass of a reply to a request whose fields are invalid (not a decode error). */
export const INVALID_INPUT = "INVALID_INPUT";

function hex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += b[i].toString(16).padStart(2, "0");
  return s;
}

function unhex(s: unknown, what: string): Uint8Array {
  if (typeof s !== "string" || s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) {
    throw new TypeError(`${what} must be hex, got ${JSON.stringify(s)}`);
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function netIds(v: unknown, what: string): NetId[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    throw new TypeError(`${what} must be a list of NetIDs, got ${JSON.stringify(v)}`);
  }
  return v.map((x, i) => {
    const o = x as Record<string, unknown>;
    if (
      o === null || typeof o !== "object" || typeof o.ip !== "string" || typeof o.port !== "number"
    ) {
      throw new TypeError(`${what}[${i}] must be {ip, port}, got ${JSON.stringify(x)}`);
    }
    return netId(o.ip, o.port);
  });
}

/** Run `f`; bad request fields become an INVALID_INPUT error reply, decode errors their code. */
function guarded(f: (req: TesteeRequest) => TesteeReply): (req: TesteeRequest) => TesteeReply {
  return (req) => {
    try {
      return f(req);
    } catch (e) {
      if (e instanceof DecodeError) {
        return { result: "error", errorClass: e.code, detail: e.message, offset: e.offset };
      }
      if (e instanceof TypeError || e instanceof RangeError) {
        return { result: "error", errorClass: INVALID_INPUT, detail: e.message };
      }
      throw e;
    }
  };
}

/** `membership_encode {message, table?}` → `{payload, table, typeTag}`. */
export function membershipEncode(req: TesteeRequest): TesteeReply {
  const message = messageFromJson(req.message as MessageJson);
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
  const payload = unhex(req.payload, "payload");
  const table = netIds(req.table, "table");
  return { result: "ok", message: messageToJson(decodeMembership(payload, table)) };
}

/** `membership_merge {messages}` → `{message, view}`: the left-to-right merge and its view. */
export function membershipMerge(req: TesteeRequest): TesteeReply {
  if (!Array.isArray(req.messages)) {
    throw new TypeError(`messages must be a list of messages, got ${JSON.stringify(req.messages)}`);
  }
  const merged = (req.messages as MessageJson[]).map(messageFromJson).reduce(merge, Message.EMPTY);
  return {
    result: "ok",
    message: messageToJson(merged),
    view: viewToJson(MembershipView.of(merged)),
  };
}

/** The membership ops for the testee registry. */
export const MEMBERSHIP_OPS: OpsModule = {
  profiles: [],
  ops: {
    membership_encode: guarded(membershipEncode),
    membership_decode: guarded(membershipDecode),
    membership_merge: guarded(membershipMerge),
  },
};
