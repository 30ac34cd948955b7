/**
 * Picks the {@linkcode FrameCodec} for a node's profile.
 *
 * @module
 */

import type { FrameCodec } from "./frame_codec.ts";
import { legacyCodec } from "./legacy_codec.ts";
import { NodeOptionError, type ResolvedNodeOptions } from "./options.ts";

/** Build the codec for `o.profile`; `nextSeqno` numbers frames the codec must number. */
export function createCodec(o: ResolvedNodeOptions, nextSeqno: () => number): FrameCodec {
  if (o.profile === "legacy") return legacyCodec({ key: o.key, limits: o.limits, nextSeqno });
  throw new NodeOptionError(
    "profile",
    o.profile,
    `"legacy" (the v2 codec is not in this build yet)`,
  );
}
