/**
 * Every vector suite `deno task vectors` writes. Another profile adds one import and one list
 * entry here (e.g. a v2 suite writing `v2.json`).
 *
 * @module
 */

import type { VectorSuite } from "./suite.ts";
import { LEGACY_SUITE } from "./legacy_cases.ts";
import { MEMBERSHIP_SUITE } from "./membership_suite.ts";
import { PRIMITIVES_SUITE } from "./primitives_cases.ts";
import { V2_SUITE } from "./v2_cases.ts";

/** The suites, in the order they are written. */
export const SUITES: VectorSuite[] = [PRIMITIVES_SUITE, LEGACY_SUITE, V2_SUITE, MEMBERSHIP_SUITE];
