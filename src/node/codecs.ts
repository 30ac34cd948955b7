/**
 * Picks the {@linkcode FrameCodec} for a node's profile.
 *
 * @module
 */

import type { Profile } from "../wire/message.ts";
import { V2Keyring } from "../wire/v2/keyring.ts";
import type { FrameCodec } from "./frame_codec.ts";
import { legacyCodec } from "./legacy_codec.ts";
import { NodeOptionError, type ResolvedNodeOptions } from "./options.ts";
import { v2Codec } from "./v2_codec.ts";

/**
 * Build the codec for `profile` (default `o.profile`); `nextSeqno` numbers frames the codec
 * must number.
 */
export function createCodec(
  o: ResolvedNodeOptions,
  nextSeqno: () => number,
  profile: Profile = o.profile,
): FrameCodec {
  if (profile === "legacy") return legacyCodec({ key: o.key, limits: o.limits, nextSeqno });
  // Keys were read and checked by resolveNodeOptions (32 random bytes, not weak).
  // [R-NODE-KEY-002]
  if (o.keyring.length === 0) {
    throw new NodeOptionError(
      "key",
      undefined,
      "a v2 key or keyring: the v2 profile has no default key (`chatter keygen` makes one)",
    );
  }
  let keyring: V2Keyring;
  try {
    keyring = new V2Keyring(o.keyring, o.keyring[0].id);
  } catch (e) {
    throw new NodeOptionError(
      "keyring",
      o.keyring.map((k) => k.id).join(","),
      (e as Error).message,
    );
  }
  try {
    return v2Codec({
      keyring,
      label: o.label,
      limits: o.limits,
      replayWindow: o.replayWindow,
      clock: () => o.clock.now(),
      maxClockSkewMs: o.maxClockSkewMs,
    });
  } catch (e) {
    throw new NodeOptionError("label", o.label, (e as Error).message);
  }
}
