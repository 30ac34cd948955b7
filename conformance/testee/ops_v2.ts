/**
 * Testee ops of the v2 profile (`spec/testee.md`): `encode_frame` and `decode_frame` with
 * `profile: "v2"`, and `decode_stream` (a sequence of frames fed to one stateful receiver).
 * Requests of another profile go to the handler this module wraps (the legacy ops), so the
 * registry lists this module after the legacy one.
 *
 * @module
 */

import {
  DecodeError,
  decodeV2Frame,
  encodeV2FrameLayers,
  V2Decoder,
  v2FitsDatagram,
} from "../../src/wire/mod.ts";
import {
  compressionFromJson,
  counterFromJson,
  decodedToJson,
  hex,
  keyringFromJson,
  optionalNetIdFromJson,
  receiverFromJson,
  recordsFromJson,
  sealedAtFromJson,
  unhex,
  v2GossipFromJson,
  v2NetIdsFromJson,
} from "../../vectors/v2_json.ts";
import type { OpHandler, OpsModule, TesteeReply, TesteeRequest } from "./ops.ts";
import { BadRequest } from "./server.ts";

function decodeError(e: unknown): TesteeReply {
  if (e instanceof DecodeError) {
    return { result: "error", errorClass: e.code, detail: e.message };
  }
  throw e;
}

/** `encode_frame` for profile v2: the frame and its layers. */
function encodeFrame(req: TesteeRequest): TesteeReply {
  // The JSON helpers throw BadRequest for fields of the wrong shape; the encoder throws
  // InvalidValueError (BAD_INPUT) for values it refuses; anything else is a bug. [R-TESTEE-008]
  const input = {
    keyring: keyringFromJson(req.keyring),
    keyId: req.keyId === undefined || req.keyId === null ? undefined : Number(req.keyId),
    label: typeof req.label === "string" ? req.label : "",
    salt: unhex(req.salt),
    counter: counterFromJson(req.counter),
    sealedAt: sealedAtFromJson(req.sealedAt),
    receiver: optionalNetIdFromJson(req.to, "to"),
    gossip: v2GossipFromJson(req.gossip),
    records: recordsFromJson(req.records),
    extraNetIds: v2NetIdsFromJson(req.extraNetIds),
    compression: compressionFromJson(req.compression),
  };
  const l = encodeV2FrameLayers(input);
  return {
    result: "ok",
    frame: hex(l.frame),
    body: hex(l.body),
    compressed: l.compressed,
    fitsDatagram: v2FitsDatagram(l.frame),
  };
}

/** `decode_frame` for profile v2: stateless (no replay window). */
function decodeFrame(req: TesteeRequest): TesteeReply {
  const [r, frame] = [receiverFromJson(req.receiver), unhex(req.frame)] as const;
  try {
    return { result: "ok", ...decodedToJson(decodeV2Frame(frame, r, r.netId)) };
  } catch (e) {
    return decodeError(e);
  }
}

/** `decode_stream`: each frame in order through one stateful receiver; a verdict per frame. */
function decodeStream(req: TesteeRequest): TesteeReply {
  const r = receiverFromJson(req.receiver);
  const rx = new V2Decoder(r);
  if (!Array.isArray(req.frames)) throw new BadRequest("frames must be an array of hex strings");
  const frames = (req.frames as unknown[]).map(unhex);
  const results = frames.map((f) => {
    try {
      return { result: "ok", ...decodedToJson(rx.decode(f, r.netId)) };
    } catch (e) {
      return decodeError(e);
    }
  });
  return { result: "ok", results, stats: rx.stats() };
}

function dispatch(
  v2: OpHandler,
  op: string,
  fallback: Record<string, OpHandler>,
): OpHandler {
  return (req) => {
    if (req.profile === "v2") return v2(req);
    const other = fallback[op];
    if (other) return other(req);
    return { result: "unsupported", detail: `profile ${JSON.stringify(req.profile)} for ${op}` };
  };
}

/**
 * The v2 ops module. `fallback` holds the handlers of the module it wraps (the legacy ops):
 * `encode_frame` and `decode_frame` requests whose profile is not "v2" go there.
 */
export function v2OpsModule(fallback: Record<string, OpHandler> = {}): OpsModule {
  return {
    profiles: ["v2"],
    ops: {
      encode_frame: dispatch(encodeFrame, "encode_frame", fallback),
      decode_frame: dispatch(decodeFrame, "decode_frame", fallback),
      decode_stream: dispatch(decodeStream, "decode_stream", fallback),
    },
  };
}
