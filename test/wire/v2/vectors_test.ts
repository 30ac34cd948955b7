import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  DecodeError,
  decodeV2Frame,
  encodeV2FrameLayers,
  V2Decoder,
} from "../../../src/wire/mod.ts";
import { buildV2Vectors, type V2Vector } from "../../../vectors/v2_cases.ts";
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
} from "../../../vectors/v2_json.ts";

const file = JSON.parse(
  await Deno.readTextFile(new URL("../../../vectors/v2.json", import.meta.url)),
) as { profile: string; cases: V2Vector[] };

function code(f: () => unknown): string {
  try {
    f();
    return "valid";
  } catch (e) {
    if (e instanceof DecodeError) return e.code;
    throw e;
  }
}

Deno.test("vectors/v2.json is what the generator builds (regenerated file identical)", () => {
  const text = JSON.stringify(buildV2Vectors(), null, 2) + "\n";
  const committed = Deno.readTextFileSync(new URL("../../../vectors/v2.json", import.meta.url));
  ok(text === committed, "vectors/v2.json is stale: regenerate it");
});

Deno.test("v2 vectors: counts and shape (>= 30 valid, >= 50 invalid, sequences)", () => {
  strictEqual(file.profile, "v2");
  const stateless = file.cases.filter((c) => !c.sequence);
  ok(stateless.filter((c) => c.result === "valid").length >= 30);
  ok(stateless.filter((c) => c.result === "invalid").length >= 50);
  ok(file.cases.filter((c) => c.sequence).length >= 5);
  const ids = new Set(file.cases.map((c) => c.id));
  strictEqual(ids.size, file.cases.length);
  for (const c of file.cases) {
    ok(c.reqs.length > 0, `${c.id} names no requirement`);
    strictEqual(c.profile, "v2");
    if (c.result === "invalid") ok(c.errorClass, `${c.id} lacks errorClass`);
  }
});

Deno.test("v2 vectors: every valid frame is encoded byte-exact from its declared inputs", () => {
  for (const c of file.cases.filter((c) => !c.sequence && c.result === "valid")) {
    const i = c.inputs;
    const layers = encodeV2FrameLayers({
      keyring: keyringFromJson(i.keyring),
      keyId: i.keyId,
      label: i.label,
      salt: unhex(i.salt),
      counter: counterFromJson(i.counter),
      gossip: v2GossipFromJson(i.gossip),
      records: recordsFromJson(i.records),
      extraNetIds: v2NetIdsFromJson(i.extraNetIds),
      compression: compressionFromJson(i.compression),
      sealedAt: sealedAtFromJson(i.sealedAt),
      receiver: optionalNetIdFromJson(i.to, "to"),
    });
    strictEqual(hex(layers.frame), c.frame, c.id);
    strictEqual(hex(layers.body), c.layers.body, `${c.id} body`);
    strictEqual(hex(layers.sessionKey), c.layers.sessionKey, `${c.id} session key`);
    strictEqual(hex(layers.header), c.layers.header, `${c.id} header`);
    strictEqual(hex(layers.associatedData), c.layers.associatedData, `${c.id} associated data`);
    strictEqual(layers.compressed, c.layers.compressed, `${c.id} compressed`);
  }
});

Deno.test("v2 vectors: every stateless frame decodes as declared (valid: same content; invalid: same code)", () => {
  for (const c of file.cases.filter((c) => !c.sequence)) {
    const r = receiverFromJson(c.inputs.receiver);
    const frame = unhex(c.frame!);
    if (c.result === "valid") {
      const d = decodeV2Frame(frame, r, r.netId);
      deepStrictEqual(decodedToJson(d), c.decoded, c.id);
    } else {
      strictEqual(code(() => decodeV2Frame(frame, r, r.netId)), c.errorClass, c.id);
      // A stateful receiver gives the same verdict to a first frame.
      strictEqual(
        code(() => new V2Decoder(r).decode(frame, r.netId)),
        c.errorClass,
        `${c.id} (stateful)`,
      );
    }
  }
});

Deno.test("v2 vectors: every sequence gives each step's verdict to one receiver [R-V2-REPLAY-*]", () => {
  for (const c of file.cases.filter((c) => c.sequence)) {
    const r = receiverFromJson(c.inputs.receiver);
    const rx = new V2Decoder(r);
    for (const [n, s] of c.sequence!.entries()) {
      strictEqual(
        code(() => rx.decode(unhex(s.frame), r.netId)),
        s.result === "valid" ? "valid" : s.errorClass,
        `${c.id} step ${n}`,
      );
    }
  }
});
