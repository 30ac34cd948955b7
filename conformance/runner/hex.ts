/**
 * Hex helpers for the runner: the same ones the vectors and the testee use.
 *
 * @module
 */

export { hex, unhex } from "../../vectors/json.ts";
