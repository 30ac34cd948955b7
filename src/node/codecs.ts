/**
 * Picks the {@linkcode FrameCodec} for a node's profile.
 *
 * @module
 */

import { KEY_BYTES } from "../wire/constants.ts";
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
  let keyring: V2Keyring;
  if (o.keyring.length > 0) {
    for (const [i, e] of o.keyring.entries()) {
      if (e.key.length !== KEY_BYTES) {
        throw new NodeOptionError(
          `keyring[${i}].key`,
          `${e.key.length} bytes`,
          `exactly ${KEY_BYTES} bytes for the v2 profile`,
        );
      }
    }
    try {
      keyring = new V2Keyring(o.keyring, o.keyring[0].id);
    } catch (e) {
      throw new NodeOptionError(
        "keyring",
        o.keyring.map((k) => k.id).join(","),
        (e as Error).message,
      );
    }
  } else {
    if (o.key.length !== KEY_BYTES) {
      throw new NodeOptionError(
        "key",
        `${o.key.length} bytes`,
        `exactly ${KEY_BYTES} bytes for the v2 profile (see chatter keygen)`,
      );
    }
    keyring = V2Keyring.single(o.key, 0);
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
