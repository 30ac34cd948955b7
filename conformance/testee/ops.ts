/**
 * The seam between the testee program and the areas that implement testee ops (the types
 * live in `vectors/testee_protocol.ts`, shared with the vector generator).
 *
 * @module
 */

export type {
  OpHandler,
  OpsModule,
  TesteeReply,
  TesteeRequest,
} from "../../vectors/testee_protocol.ts";
