/**
 * Every ops module the Deno testee serves. Areas add one import and one list entry here.
 *
 * @module
 */

import type { OpsModule } from "./ops.ts";
import { LEGACY_OPS } from "./ops_legacy.ts";
import { MEMBERSHIP_OPS } from "./ops_membership.ts";

/** The ops modules, in order; a later module's op of the same name wins. */
export const OPS_MODULES: OpsModule[] = [LEGACY_OPS, MEMBERSHIP_OPS];
