/**
 * The seam between the testee program and the areas that implement testee ops. Each area
 * (legacy wire, v2 wire, membership, ...) exports one {@linkcode OpsModule}; `registry.ts`
 * lists them and `conformance/testee.ts` serves their union over the protocol of
 * `spec/testee.md`.
 *
 * @module
 */

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
