/**
 * Testee ops of the legacy wire profile and the shared primitives (`spec/testee.md`):
 * `decode_frame`, `encode_frame` (profile "legacy"), `xxhash32`, `varint_encode`,
 * `varint_decode`. Field shapes are those of the golden vectors.
 *
 * @module
 */

import {
  decodeLegacyFrame,
  type DecodeLimits,
  decodeVarint,
  DEFAULT_LIMITS,
  encodeLegacyFrame,
  encodeVarint,
  xxhash32,
} from "../../src/wire/mod.ts";
import { hex, legacyInputFromJson, unhex } from "../../vectors/json.ts";
import { VARINT_FIELDS } from "../../vectors/primitives_cases.ts";
import type { OpsModule, TesteeReply, TesteeRequest } from "./ops.ts";
import { BadRequest } from "./server.ts";

function hexField(req: TesteeRequest, name: string): Uint8Array {
  const v = req[name];
  if (typeof v !== "string") throw new BadRequest(`${name} must be a hex string`);
  try {
    return unhex(v);
  } catch (e) {
    throw new BadRequest(`${name}: ${(e as Error).message}`);
  }
}

function checkProfile(req: TesteeRequest): TesteeReply | undefined {
  if (req.profile !== undefined && req.profile !== "legacy") {
    return { result: "unsupported", detail: `profile ${JSON.stringify(req.profile)}` };
  }
  return undefined;
}

function limitsField(req: TesteeRequest): DecodeLimits {
  if (req.limits === undefined) return DEFAULT_LIMITS;
  if (typeof req.limits !== "object" || req.limits === null) {
    throw new BadRequest("limits must be an object");
  }
  const out = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(req.limits)) {
    if (!(k in out) || typeof v !== "number" || !(v >= 0)) {
      throw new BadRequest(`limits.${k} must be a known limit with a non-negative number`);
    }
    out[k as keyof DecodeLimits] = v;
  }
  return out;
}

/** The legacy profile's ops. */
export const LEGACY_OPS: OpsModule = {
  profiles: ["legacy"],
  ops: {
    decode_frame(req) {
      const unsupported = checkProfile(req);
      if (unsupported) return unsupported;
      const f = decodeLegacyFrame(hexField(req, "frame"), hexField(req, "key"), limitsField(req));
      return {
        result: "ok",
        gossip: f.gossip,
        typeTag: f.typeTag,
        payload: hex(f.payload),
        table: f.table,
      };
    },
    encode_frame(req) {
      const unsupported = checkProfile(req);
      if (unsupported) return unsupported;
      if (typeof req.padding !== "string") {
        throw new BadRequest("padding (32 bytes, hex) is required");
      }
      if (typeof req.typeName !== "string" && typeof req.typeTag !== "number") {
        throw new BadRequest("typeName or typeTag is required");
      }
      let input;
      try {
        input = legacyInputFromJson(req);
      } catch (e) {
        throw new BadRequest((e as Error).message);
      }
      return { result: "ok", frame: hex(encodeLegacyFrame(input)) };
    },
    xxhash32(req) {
      const seed = req.seed ?? 0;
      if (typeof seed !== "number" || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
        throw new BadRequest("seed must be an integer in [0, 2^32-1]");
      }
      return { result: "ok", hash: xxhash32(hexField(req, "data"), seed) };
    },
    varint_encode(req) {
      if (typeof req.value !== "number") throw new BadRequest("value must be a number");
      return { result: "ok", data: hex(encodeVarint(req.value)[0]) };
    },
    varint_decode(req) {
      const field = req.field ?? "seqno";
      if (field !== "u32" && field !== "seqno") {
        throw new BadRequest(`field must be "u32" or "seqno"`);
      }
      const { maxBytes, maxValue } = VARINT_FIELDS[field];
      const [value, length] = decodeVarint(hexField(req, "data"), 0, maxBytes, maxValue);
      return { result: "ok", value, length };
    },
  },
};
