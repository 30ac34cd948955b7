/**
 * Live codecs of profiles other than legacy (v2 joins here once its codec is on main).
 *
 * @module
 */

import type { LiveCodec } from "./live_codec.ts";

/** The live codec of `profile`, or undefined when the runner has none. */
export function liveCodecFor(
  _profile: string,
  _key: Uint8Array,
  _label: string,
): LiveCodec | undefined {
  return undefined;
}
