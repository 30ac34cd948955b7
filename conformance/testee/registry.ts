/**
 * Every ops module the Deno testee serves. Areas add one import and one list entry here.
 *
 * @module
 */

import type { OpsModule } from "./ops.ts";
import { LEGACY_OPS } from "./ops_legacy.ts";
import { MEMBERSHIP_OPS } from "./ops_membership.ts";
import { v2OpsModule } from "./ops_v2.ts";

/** The ops modules, in order; a later module's op of the same name wins. */
export const OPS_MODULES: OpsModule[] = [LEGACY_OPS, v2OpsModule(LEGACY_OPS.ops), MEMBERSHIP_OPS];
