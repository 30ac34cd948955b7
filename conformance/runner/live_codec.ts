/**
 * How live mode builds and reads frames of each profile, with the reference codec: the runner
 * plays peers, so it must speak the node's profile itself.
 *
 * @module
 */

import type { Gossip } from "../../src/wire/gossip.ts";
import type { NetId } from "../../src/wire/netid.ts";
import { legacyCrypt } from "../../src/wire/legacy_cipher.ts";
import {
  decodeLegacyFrame,
  encodeLegacyFrame,
  encodeLegacyFrameLayers,
} from "../../src/wire/legacy_frame.ts";
import { ByteWriter } from "../../src/wire/byte_writer.ts";
import { typeTag } from "../../src/wire/xxhash32.ts";
import { hex } from "./hex.ts";

/** One message as live mode compares it. */
export interface LiveMessage {
  /** Type tag. */
  typeTag: number;
  /** Payload, hex. */
  payload: string;
}

/** A decoded frame, profile-neutral. */
export interface LiveFrame {
  /** The gossip header. */
  gossip: Gossip;
  /** Messages (legacy: exactly one). */
  messages: LiveMessage[];
}

/** What a case asks the codec to encode. */
export interface LiveOut {
  /** The gossip header (current = the runner's BroadcastID). */
  gossip: Gossip;
  /** Type name. */
  typeName: string;
  /** Payload bytes. */
  payload: Uint8Array;
  /**
   * Sent by multicast: a v2 frame is then not bound to a receiver. Otherwise it goes by TCP
   * to the node under test and is bound to it ([R-V2-BIND-001]).
   */
  multicast?: boolean;
}

/** A profile as live mode needs it. */
export interface LiveCodec {
  /** Profile name. */
  profile: string;
  /** Encode a valid frame. */
  encode(m: LiveOut): Uint8Array;
  /**
   * Decode a frame (throws on invalid): `at` is the runner peer's NetID for a frame that
   * arrived by TCP, absent for multicast.
   */
  decode(frame: Uint8Array, at?: NetId): LiveFrame;
  /** Tell the codec the NetID of the node under test, which TCP frames are bound to (v2). */
  bindTo?(node: NetId): void;
  /** A frame encoded under a key the node does not have. */
  wrongKey(m: LiveOut): Uint8Array;
  /** A complete frame whose content ends early (header fine, body truncated inside). */
  truncatedInside(m: LiveOut): Uint8Array;
  /** A frame from another cluster label (v2); undefined where the profile has no label. */
  otherLabel?(m: LiveOut): Uint8Array;
  /** Whether the profile carries message identity (v2: at most once per peer). */
  identity: boolean;
}

/** The legacy profile with `key`. */
export function legacyLiveCodec(key: Uint8Array): LiveCodec {
  const other = key.map((b) => b ^ 0x5a);
  return {
    profile: "legacy",
    identity: false,
    encode: ({ gossip, typeName, payload }) =>
      encodeLegacyFrame({ key, gossip, typeName, payload }),
    decode: (f) => {
      const d = decodeLegacyFrame(f, key);
      return { gossip: d.gossip, messages: [{ typeTag: d.typeTag, payload: hex(d.payload) }] };
    },
    wrongKey: ({ gossip, typeName, payload }) =>
      encodeLegacyFrame({ key: other, gossip, typeName, payload }),
    truncatedInside: (m) => {
      // The plaintext cut after the checksum and size: a whole frame whose envelope is short.
      const { plaintext } = encodeLegacyFrameLayers({
        key,
        gossip: m.gossip,
        typeName: m.typeName,
        payload: m.payload,
      });
      const pt = plaintext.subarray(0, 36);
      const w = new ByteWriter();
      w.u8(0xff);
      w.varint(pt.length);
      w.bytes(legacyCrypt(key, pt));
      return w.finish();
    },
  };
}

/** The type tag of a name (for comparing forwarded messages). */
export function tagOf(name: string): number {
  return typeTag(name);
}
