/**
 * Live codecs of profiles other than legacy: v2, with the runner's own session (random salt,
 * counter from 0) under key id 1.
 *
 * @module
 */

import { V2_HEADER_OFFSETS } from "../../src/wire/v2/header.ts";
import { decodeV2Frame } from "../../src/wire/v2/decoder.ts";
import { encodeV2Frame } from "../../src/wire/v2/encoder.ts";
import { V2Keyring } from "../../src/wire/v2/keyring.ts";
import { typeTag } from "../../src/wire/xxhash32.ts";
import type { NetId } from "../../src/wire/netid.ts";
import { hex } from "./hex.ts";
import type { LiveCodec, LiveOut } from "./live_codec.ts";

/** The key id a spawned node's keyring holds the runner's key under. */
export const LIVE_V2_KEY_ID = 1;

/** The live codec of `profile`, or undefined when the runner has none. */
export function liveCodecFor(
  profile: string,
  key: Uint8Array,
  label: string,
): LiveCodec | undefined {
  if (profile !== "v2") return undefined;
  const keyring = new V2Keyring([{ id: LIVE_V2_KEY_ID, key }], LIVE_V2_KEY_ID);
  const wrong = new V2Keyring([{ id: LIVE_V2_KEY_ID, key: key.map((b) => b ^ 0x5a) }]);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  let counter = 0n;
  let node: NetId | undefined;
  const enc = (m: LiveOut, ring = keyring, lab = label) =>
    encodeV2Frame({
      keyring: ring,
      label: lab,
      salt,
      counter: counter++,
      sealedAt: Date.now(),
      // TCP frames go to the node under test only. [R-V2-BIND-001]
      receiver: m.multicast ? undefined : node,
      gossip: m.gossip,
      records: [{ typeTag: typeTag(m.typeName), origin: m.gossip.current, payload: m.payload }],
    });
  return {
    profile: "v2",
    identity: true,
    encode: (m) => enc(m),
    bindTo: (n) => {
      node = n;
    },
    decode: (f, at) => {
      const d = decodeV2Frame(f, { keyring, label }, at);
      return {
        gossip: d.gossip,
        messages: d.records.map((r) => ({ typeTag: r.typeTag, payload: hex(r.payload) })),
      };
    },
    wrongKey: (m) => enc(m, wrong),
    otherLabel: (m) => enc(m, keyring, `${label}-other`),
    truncatedInside: (m) => {
      // One ciphertext byte fewer, the header's length field adjusted: the frame is whole, its
      // body is short (and no longer authentic).
      const f = enc(m);
      const o = V2_HEADER_OFFSETS.ciphertextLength;
      const len = ((f[o] << 24) | (f[o + 1] << 16) | (f[o + 2] << 8) | f[o + 3]) >>> 0;
      const out = new Uint8Array(f.length - 1);
      const cut = f.length - 16 - 1;
      out.set(f.subarray(0, cut));
      out.set(f.subarray(cut + 1), cut);
      const n = len - 1;
      out.set([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff], o);
      return out;
    },
  };
}
