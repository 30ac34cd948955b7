/**
 * Live mode: not built yet (needs the node from main).
 *
 * @module
 */

import type { ExpectedFailure } from "./expected_failures.ts";
import type { RunOutput } from "./offline.ts";

/** Options of a live run. */
export interface LiveOptions {
  /** Command that starts the node (the runner sets its env). */
  spawn?: string;
  /** host:port of a running node. */
  target?: string;
  /** Vectors directory. */
  vectorsDir: string;
  /** Spec directory. */
  specDir: string;
  /** Id prefixes. */
  filters?: string[];
  /** Profiles. */
  profiles?: string[];
  /** Expected failures. */
  expectedFailures?: ExpectedFailure[];
  /** Per-step timeout. */
  timeoutMs: number;
}

/** Run the live suite. */
export function runLive(_opts: LiveOptions): Promise<RunOutput> {
  throw new Error("live mode is not implemented yet");
}
