// [R-MEM-020..029]: the membership payload codec: round trip through a real legacy frame,
// canonical bytes, every invalid case rejected with its DecodeError code, and fuzzing that
// shows nothing but DecodeError escapes the decoder.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeMembership,
  encodeMembership,
  MEMBERSHIP_CODEC,
  membershipNetIds,
  MembershipState,
  stateToJson,
} from "../../src/membership/mod.ts";
import {
  DECODE_ERROR_REQUIREMENTS,
  DecodeError,
  decodeLegacyFrame,
  encodeLegacyFrame,
  MEMBERSHIP_DIGEST_TYPE_NAME,
  MEMBERSHIP_DIGEST_TYPE_TAG,
  MEMBERSHIP_TYPE_NAME,
  MEMBERSHIP_TYPE_TAG,
  type NetId,
  NetIdTable,
  typeTag,
} from "../../src/wire/mod.ts";
import { build, message, rawMessage } from "./_arb.ts";
import { hex, unhex } from "../_helpers/hex.ts";

const OTHERS: NetId[] = [
  { ip: "9.9.9.9", port: 1 },
  { ip: "10.0.0.1", port: 4000 },
  { ip: "10.0.0.1", port: 3998 },
  { ip: "127.0.0.1", port: 29999 },
];

Deno.test("[R-MEM-020] the type tag is xxhash32 of the type name", () => {
  assert.equal(MEMBERSHIP_TYPE_NAME, "chatter.membership.v1");
  assert.equal(typeTag(MEMBERSHIP_TYPE_NAME), MEMBERSHIP_TYPE_TAG);
  assert.equal(MEMBERSHIP_TYPE_TAG, 0x43b9cfc4);
  // [R-MEM-052] the digest: same layout, its own name and tag.
  assert.equal(MEMBERSHIP_DIGEST_TYPE_NAME, "chatter.membership.digest.v1");
  assert.equal(typeTag(MEMBERSHIP_DIGEST_TYPE_NAME), MEMBERSHIP_DIGEST_TYPE_TAG);
  assert.equal(MEMBERSHIP_DIGEST_TYPE_TAG, 0xf0117916);
});

Deno.test("[R-MEM-021] round trip with a table shared with other NetIDs (5,000 runs)", () => {
  fc.assert(
    fc.property(message, fc.subarray(OTHERS), (m, others) => {
      const table = NetIdTable.build([...others, ...membershipNetIds(m)]);
      const bytes = encodeMembership(m, table);
      const back = decodeMembership(bytes, table.ids());
      assert.deepEqual(stateToJson(back), stateToJson(m));
      assert.equal(back.equals(m), true);
    }),
    { numRuns: 5_000 },
  );
});

Deno.test("[R-MEM-025] one encoding per state: independently built equal states, equal bytes", () => {
  fc.assert(
    fc.property(rawMessage, (r) => {
      const a = build(r),
        b = build({ items: [...r.items].reverse(), clocks: [...r.clocks].reverse() });
      const t = NetIdTable.build(membershipNetIds(a));
      assert.equal(hex(encodeMembership(a, t)), hex(encodeMembership(b, t)));
    }),
    { numRuns: 2_000 },
  );
});

Deno.test("[R-MEM-028] members travel in a legacy frame's NetID table and decode from it", () => {
  const A = { ip: "10.0.0.1", port: 4000 }, B = { ip: "10.0.0.2", port: 4000 };
  const state = MembershipState.EMPTY.write(A, [{ op: "add", start: 0, end: 99, priority: 5 }])
    .write(B, [{ op: "rmv", start: 7, end: 7, priority: 0 }]);
  const key = new TextEncoder().encode("01234567890123456789012345678912");
  const frame = encodeLegacyFrame({
    key,
    gossip: {
      current: { ip: "127.0.0.1", port: 29999, seqno: 1 },
      seen: [],
      other: [],
      distribution: [],
    },
    typeName: MEMBERSHIP_TYPE_NAME,
    payload: (table) => encodeMembership(state, table),
    extraNetIds: membershipNetIds(state),
  });
  const f = decodeLegacyFrame(frame, key);
  assert.equal(f.typeTag, MEMBERSHIP_TYPE_TAG);
  assert.deepEqual(f.table.map((n) => `${n.ip}:${n.port}`), [
    "10.0.0.1:4000",
    "10.0.0.2:4000",
    "127.0.0.1:29999",
  ]);
  assert.equal(decodeMembership(f.payload, f.table).equals(state), true);
});

Deno.test("encoding a member missing from the table names it", () => {
  const s = MembershipState.EMPTY.write({ ip: "10.0.0.7", port: 1 }, []);
  assert.throws(
    () => encodeMembership(s, NetIdTable.build([])),
    /10.0.0.7:1 is not in the NetID table/,
  );
});

const T: NetId[] = [{ ip: "10.0.0.1", port: 4000 }, { ip: "10.0.0.2", port: 4000 }];

function rejects(
  payloadHex: string,
  code: string,
  table: readonly NetId[] = T,
  maxItems?: number,
): DecodeError {
  let err: unknown;
  try {
    decodeMembership(unhex(payloadHex), table, maxItems === undefined ? undefined : { maxItems });
  } catch (e) {
    err = e;
  }
  assert.ok(
    err instanceof DecodeError,
    `expected DecodeError ${code} for ${payloadHex}, got ${err}`,
  );
  assert.equal(err.code, code, err.message);
  assert.equal(err.layer, "payload");
  return err;
}

Deno.test("[R-MEM-022..027] [R-MEM-030] each invalid payload is rejected with its code, naming the value", () => {
  // valid: member 0 at world time 2, one item [0, 99] add prio 5 at time 1
  assert.equal(decodeMembership(unhex("010002010063000501"), T).items.length, 1);
  assert.match(rejects("010002010063020501", "MEMBERSHIP_BAD_OP").message, /op byte 2/);
  assert.match(rejects("010002016300000501", "MEMBERSHIP_BAD_RANGE").message, /start 99 > end 0/);
  assert.match(
    rejects("010002010063000503", "MEMBERSHIP_CLOCK_AHEAD").message,
    /time 3 is ahead of its world clock 2/,
  );
  rejects("02010000000000", "MEMBERSHIP_NOT_CANONICAL"); // refs 1 then 0
  rejects("02000000000000", "MEMBERSHIP_NOT_CANONICAL"); // ref 0 twice
  rejects("0100020205050005010505000501", "MEMBERSHIP_NOT_CANONICAL"); // same slot twice
  rejects("0100020206060005010505000501", "MEMBERSHIP_NOT_CANONICAL"); // starts descending
  rejects("0100020205070005010505000501", "MEMBERSHIP_NOT_CANONICAL"); // same start, ends descending
  rejects("01020000", "TABLE_REF_OUT_OF_RANGE");
  rejects("03000000010000020000", "TABLE_REF_OUT_OF_RANGE"); // more members than table entries
  rejects("0100020100630005", "TRUNCATED");
  rejects("01000205", "TRUNCATED"); // 5 items cannot fit in 0 bytes
  rejects("", "TRUNCATED");
  rejects("0100020100630005018000", "MEMBERSHIP_TRAILING_BYTES");
  rejects("0100020200630005010064000501", "MEMBERSHIP_ITEM_LIMIT", T, 1);
  rejects("8000", "VARINT_OVERLONG");
  rejects("01008080808010", "VARINT_OVERFLOW"); // world time 2^32
  rejects("0200000001000000", "TABLE_NOT_CANONICAL", [T[1], T[0]]);
});

Deno.test("[R-MEM-029] fuzz: random and mutated payloads decode to a valid MembershipState or throw DecodeError only (10,000 runs)", () => {
  const valid = fc.tuple(message, fc.subarray(OTHERS)).map(([m, others]) => {
    const table = NetIdTable.build([...others, ...membershipNetIds(m)]);
    return { bytes: encodeMembership(m, table), table: table.ids() };
  });
  const input = fc.oneof(
    fc.record({ bytes: fc.uint8Array({ maxLength: 40 }), table: fc.constant(T) }),
    fc.tuple(valid, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat({ max: 3 })).map(
      ([v, at, byte, cut]) => {
        const b = v.bytes.slice();
        if (b.length > 0) b[at % b.length] = byte;
        return { bytes: b.subarray(0, Math.max(0, b.length - cut)), table: v.table };
      },
    ),
  );
  fc.assert(
    fc.property(input, ({ bytes, table }) => {
      try {
        const m = decodeMembership(bytes, table);
        // Whatever decodes re-encodes to the same bytes (canonical) and is a valid state.
        assert.equal(hex(encodeMembership(m, NetIdTable.build(table))), hex(bytes));
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    }),
    { numRuns: 10_000 },
  );
});

Deno.test("MEMBERSHIP_CODEC carries the payload through a frame as a node's message type would", () => {
  const A = { ip: "10.0.0.1", port: 4000 };
  const state = MembershipState.EMPTY.write(A, [{ op: "add", start: 1, end: 2, priority: 3 }]);
  const key = new TextEncoder().encode("k");
  const frame = encodeLegacyFrame({
    key,
    gossip: {
      current: { ip: "127.0.0.1", port: 1, seqno: 1 },
      seen: [],
      other: [],
      distribution: [],
    },
    typeName: MEMBERSHIP_CODEC.typeName,
    payload: (table) => MEMBERSHIP_CODEC.encode(state, table),
    extraNetIds: MEMBERSHIP_CODEC.extractNetIds(state),
  });
  const f = decodeLegacyFrame(frame, key);
  assert.equal(f.typeTag, MEMBERSHIP_TYPE_TAG);
  assert.equal(MEMBERSHIP_CODEC.decode(f.payload, f.table).equals(state), true);
  assert.throws(() => MEMBERSHIP_CODEC.decode(f.payload.subarray(1), f.table), DecodeError);
});

Deno.test("every MEMBERSHIP_* decode error code is defined and tabled in spec/membership.md", async () => {
  const spec = await Deno.readTextFile(new URL("../../spec/membership.md", import.meta.url));
  const codes = Object.entries(DECODE_ERROR_REQUIREMENTS).filter(([, r]) => r.startsWith("R-MEM-"));
  assert.equal(codes.length, 6);
  for (const [code, req] of codes) {
    assert.ok(code.startsWith("MEMBERSHIP_"), code);
    assert.ok(spec.includes(`[${req}]`), `${req} (${code}) not defined`);
    assert.match(
      spec,
      new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${req}\\s*\\|`),
      `${code} not tabled`,
    );
  }
});
