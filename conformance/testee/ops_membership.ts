/**
 * Testee ops for the group-membership payload: `membership_encode`, `membership_decode`,
 * `membership_merge` (implemented in `vectors/membership_ops.ts`, shared with the vector
 * generator).
 *
 * @module
 */

export {
  MEMBERSHIP_OPS,
  membershipDecode,
  membershipEncode,
  membershipMerge,
} from "../../vectors/membership_ops.ts";
