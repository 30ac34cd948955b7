/**
 * Shapes shared by the conformance runner's parts: cases, grades, results, wire logs.
 *
 * @module
 */

/** Version of the conformance suite (cases and grading rules); bump when they change. */
export const SUITE_VERSION = "1.0.0";

/** The grade of one case. */
export type Status = "PASS" | "PASS-NONSTRICT" | "FAIL" | "ERROR" | "UNSUPPORTED";

/** One line of a case's wire log: a request sent (`>`), a reply (`<`), or a note (`#`). */
export interface WireLogEntry {
  /** Milliseconds since the case started. */
  t: number;
  /** `>` sent to the implementation, `<` received from it, `#` a runner note. */
  dir: ">" | "<" | "#";
  /** The JSON line (offline) or hex bytes (live), or the note. */
  data: string;
}

/** What running a case produced. */
export interface Outcome {
  /** The grade. */
  status: Status;
  /** What the suite expected (JSON-able). */
  expected?: unknown;
  /** What the implementation did (JSON-able). */
  actual?: unknown;
  /** One line that says why, for anything but a plain PASS. */
  detail?: string;
}

/** The calls a case may make; offline cases talk to the testee through `call`. */
export interface CaseContext {
  /** Send one request to the testee and wait for its reply (throws {@linkcode TesteeError}). */
  call(req: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Send several requests in one write; replies must come back in order. */
  pipeline(reqs: Record<string, unknown>[]): Promise<Record<string, unknown>[]>;
  /** Write raw text and read `n` reply lines, parsed but with no id check. */
  raw(text: string, n: number): Promise<Record<string, unknown>[]>;
  /** Close the testee's stdin and wait for it to exit; its exit code (undefined: killed). */
  eof(): Promise<number | undefined>;
  /** Add a note to the case's wire log. */
  note(text: string): void;
  /** The log this case has written so far. */
  log: WireLogEntry[];
}

/** One conformance case. */
export interface Case {
  /** Stable id: a vector id plus `/decode`, `/encode`, ... or a runner-owned id. */
  id: string;
  /** Spec section this case belongs to (from its first requirement, or its id). */
  section: string;
  /** Requirement tags the case checks. */
  reqs: string[];
  /** Profile the case needs ("legacy", "v2"), or undefined for profile-neutral cases. */
  profile?: string;
  /** Testee ops the case needs; a case needing an op the testee lacks is UNSUPPORTED. */
  ops: string[];
  /** One-line description. */
  title: string;
  /** Run the case. */
  run(ctx: CaseContext): Promise<Outcome>;
}

/** The result of one case, as the reports show it. */
export interface CaseResult {
  /** Case id. */
  id: string;
  /** Spec section. */
  section: string;
  /** Requirement tags. */
  reqs: string[];
  /** Profile, when the case has one. */
  profile?: string;
  /** One-line description. */
  title: string;
  /** Grade. */
  status: Status;
  /** Listed in the expected-failures file, with the reason given there. */
  expectedFailure?: string;
  /** Wall time in milliseconds. */
  durationMs: number;
  /** What the suite expected. */
  expected?: unknown;
  /** What the implementation did. */
  actual?: unknown;
  /** Why, for anything but a plain PASS. */
  detail?: string;
  /** Requests and replies (offline) or bytes (live). */
  wireLog: WireLogEntry[];
}

/** A testee that broke the protocol: crashed, timed out, wrote bad JSON. Grades ERROR. */
export class TesteeError extends Error {
  /** Create one; `message` says what went wrong. */
  constructor(message: string) {
    super(message);
    this.name = "TesteeError";
  }
}
