/**
 * The seam between the testee program and the areas that implement testee ops. Each area
 * (legacy wire, v2 wire, membership, ...) exports one {@linkcode OpsModule}; `registry.ts`
 * lists them and `conformance/testee.ts` serves their union over the protocol of
 * `spec/testee.md`.
 *
 * Lives beside the vectors (which record testee replies as expected outputs) so that the
 * vectors need nothing from `conformance/`: the runner and testee depend on the vectors, never
 * the other way round.
 *
 * @module
 */

import { ChatterError } from "../src/errors.ts";
import { DecodeError } from "../src/wire/decode_error.ts";

/** One request line: `{"id": n, "op": "...", ...fields}`. */
export interface TesteeRequest {
  /** Request id, echoed in the reply. */
  id: number;
  /** Operation name. */
  op: string;
  /** Op-specific fields. */
  [field: string]: unknown;
}

/** One reply (the testee adds `id`). */
export interface TesteeReply {
  /** Outcome. */
  result: "ok" | "error" | "unsupported";
  /** Op-specific fields (`errorClass` and `detail` for errors). */
  [field: string]: unknown;
}

/** Handles one op. May throw; the testee turns an unexpected throw into an error reply. */
export type OpHandler = (req: TesteeRequest) => TesteeReply | Promise<TesteeReply>;

/** What one area contributes to the testee. */
export interface OpsModule {
  /** Wire profiles this module adds to `hello.profiles` (e.g. "legacy"). */
  profiles: string[];
  /** Ops by name. */
  ops: Record<string, OpHandler>;
}

/** Error classes the protocol itself uses (besides the codec's decode error codes). */
export type ProtocolErrorClass = "BAD_REQUEST" | "BAD_INPUT" | "INTERNAL";

/** Raise from an op handler for a request whose fields are missing or of the wrong type. */
export class BadRequest extends Error {
  /** Create one; `message` names the bad field. */
  constructor(message: string) {
    super(message);
    this.name = "BadRequest";
  }
}

/**
 * The codes of typed Chatter errors that mean "the encoder or model refuses this well-formed
 * value" (`BAD_INPUT`, [R-TESTEE-008]).
 */
export const BAD_INPUT_CODES: ReadonlySet<string> = new Set([
  "VALUE_INVALID",
  "ENCODE_FAILED",
  "MESSAGE_TOO_LARGE",
  "OPTION_INVALID",
  "KEY_INVALID",
]);

/**
 * Turn a thrown value into an error reply: decode errors keep their code; a typed Chatter
 * error of bad input ({@linkcode BAD_INPUT_CODES}) is `BAD_INPUT`; anything else, a plain
 * `TypeError` or `RangeError` included, is a bug of the testee: `INTERNAL`. [R-TESTEE-008]
 */
export function errorReply(e: unknown): TesteeReply {
  if (e instanceof DecodeError) return { result: "error", errorClass: e.code, detail: e.message };
  if (e instanceof BadRequest) {
    return { result: "error", errorClass: "BAD_REQUEST", detail: e.message };
  }
  if (e instanceof ChatterError && BAD_INPUT_CODES.has(e.code)) {
    return { result: "error", errorClass: "BAD_INPUT", detail: e.message };
  }
  return {
    result: "error",
    errorClass: "INTERNAL",
    detail: e instanceof Error ? e.message : String(e),
  };
}
