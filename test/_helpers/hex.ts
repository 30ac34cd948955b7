/** Hex helpers for tests: the ones the vectors use (the codec itself avoids Uint8Array.toHex, absent in Node 20). */
export { hex, unhex } from "../../vectors/json.ts";
