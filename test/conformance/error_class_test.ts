// The testee grades thrown values by type, never by JavaScript's built-in error classes: a
// plain TypeError or RangeError is a bug (INTERNAL), not bad input. [R-TESTEE-008]

import assert from "node:assert/strict";
import { ChatterError, EncodeError, InvalidValueError } from "../../src/errors.ts";
import { DecodeError } from "../../src/wire/decode_error.ts";
import { encodeLegacyFrame, parseNetId } from "../../src/wire/mod.ts";
import { BadRequest, errorReply } from "../../vectors/testee_protocol.ts";
import { LEGACY_OPS } from "../../conformance/testee/ops_legacy.ts";

Deno.test("[R-TESTEE-008] errorReply: typed bad input is BAD_INPUT; plain JS errors are INTERNAL", () => {
  const cls = (e: unknown) => errorReply(e).errorClass;
  assert.equal(cls(new InvalidValueError("port must be ...")), "BAD_INPUT");
  assert.equal(cls(new EncodeError("ENCODE_FAILED", "chat", "not text")), "BAD_INPUT");
  assert.equal(cls(new DecodeError("CHECKSUM_MISMATCH", 3, "bad")), "CHECKSUM_MISMATCH");
  assert.equal(cls(new BadRequest("frame must be hex")), "BAD_REQUEST");
  // A bug: what the engine throws for `undefined.x`, or an index out of range.
  let bug: unknown;
  try {
    (undefined as unknown as { x: number }).x;
  } catch (e) {
    bug = e;
  }
  assert.ok(bug instanceof TypeError);
  assert.equal(cls(bug), "INTERNAL");
  assert.equal(cls(new RangeError("Invalid array length")), "INTERNAL");
  // A Chatter error that is not about the input is a bug of the testee too.
  assert.equal(cls(new ChatterError("NODE_CLOSED", "closed")), "INTERNAL");
  assert.equal(cls("a string"), "INTERNAL");
});

Deno.test("[R-TESTEE-008] the wire encoders refuse values with InvalidValueError (VALUE_INVALID)", () => {
  assert.throws(() => parseNetId("10.0.0.1:65536"), InvalidValueError);
  const base = {
    padding: new Uint8Array(32),
    key: new Uint8Array(0),
    gossip: {
      current: { ip: "::1", port: 1, seqno: 1 },
      seen: [],
      other: [],
      distribution: [],
    },
    typeTag: 1,
    payload: new Uint8Array(0),
  };
  assert.throws(() => encodeLegacyFrame(base), { code: "VALUE_INVALID" });
});

Deno.test("[R-TESTEE-008] the testee answers BAD_INPUT for an IPv6 NetID in a legacy frame", async () => {
  const req = {
    id: 1,
    op: "encode_frame",
    profile: "legacy",
    key: "",
    padding: "00".repeat(32),
    gossip: {
      current: { ip: "::1", port: 1, seqno: 1 },
      seen: [],
      other: [],
      distribution: [],
    },
    typeTag: 1,
    payload: "",
  };
  let reply;
  try {
    reply = await LEGACY_OPS.ops.encode_frame(req);
  } catch (e) {
    reply = errorReply(e);
  }
  assert.equal(reply.errorClass, "BAD_INPUT", JSON.stringify(reply));
});
