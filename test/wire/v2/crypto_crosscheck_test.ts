/**
 * Cross-checks of the v2 crypto against independent implementations: WebCrypto
 * (`crypto.subtle`) in-process, and Debian's python3-cryptography (OpenSSL) when present.
 */
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import fc from "fast-check";
import {
  deriveV2SessionKey,
  v2Nonce,
  v2Open,
  v2Seal,
  v2SessionInfo,
} from "../../../src/wire/mod.ts";
import type { V2Vector } from "../../../vectors/v2_cases.ts";
import { hex, unhex } from "../../../vectors/v2_json.ts";
import { named, PYTHON, pythonMissing } from "../../_helpers/requires.ts";

async function subtleHkdf(
  key: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key as BufferSource, "HKDF", false, [
    "deriveBits",
  ]);
  return new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: salt as BufferSource, info: info as BufferSource },
      k,
      256,
    ),
  );
}

async function subtleSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  pt: Uint8Array,
): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key as BufferSource, "AES-GCM", false, [
    "encrypt",
  ]);
  return new Uint8Array(
    await crypto.subtle.encrypt(
      {
        name: "AES-GCM",
        iv: nonce as BufferSource,
        additionalData: aad as BufferSource,
        tagLength: 128,
      },
      k,
      pt as BufferSource,
    ),
  );
}

Deno.test("HKDF-SHA256 session keys: node:crypto = WebCrypto [R-V2-SESSION-002]", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.nat(255),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.string({ maxLength: 50 }),
      async (key, keyId, salt, label) => {
        const ours = deriveV2SessionKey(key, keyId, salt, label);
        const theirs = await subtleHkdf(key, salt, v2SessionInfo(keyId, label));
        strictEqual(hex(ours), hex(theirs));
      },
    ),
    { numRuns: 100 },
  );
});

Deno.test("AES-256-GCM seal/open: node:crypto = WebCrypto [R-V2-AEAD-001..003]", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
      fc.uint8Array({ maxLength: 64 }),
      fc.uint8Array({ maxLength: 600 }),
      async (key, counter, aad, pt) => {
        const nonce = v2Nonce(counter);
        const out = new Uint8Array(pt.length + 16);
        v2Seal(key, nonce, aad, pt, out, 0);
        strictEqual(hex(out), hex(await subtleSeal(key, nonce, aad, pt)));
        const opened = v2Open(key, nonce, aad, out.subarray(0, pt.length), out.subarray(pt.length));
        deepStrictEqual(opened && [...opened], [...pt]);
        if (out.length) {
          out[out.length - 1] ^= 1;
          strictEqual(
            v2Open(key, nonce, aad, out.subarray(0, pt.length), out.subarray(pt.length)),
            undefined,
          );
        }
      },
    ),
    { numRuns: 100 },
  );
});

const PY = `
import json, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes
out = []
for c in json.load(sys.stdin):
    key = bytes.fromhex(c["key"]); salt = bytes.fromhex(c["salt"]); info = bytes.fromhex(c["info"])
    sk = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key)
    sealed = AESGCM(sk).encrypt(bytes.fromhex(c["nonce"]), bytes.fromhex(c["plaintext"]), bytes.fromhex(c["header"]))
    out.append({"sessionKey": sk.hex(), "sealed": sealed.hex()})
json.dump(out, sys.stdout)
`;

const NO_PYTHON = await pythonMissing(["cryptography"]);

Deno.test({
  name: named(
    "every valid v2 vector: HKDF and AES-GCM agree with python3-cryptography (OpenSSL)",
    NO_PYTHON,
  ),
  ignore: NO_PYTHON !== undefined,
}, async () => {
  const py = PYTHON;
  const file = JSON.parse(
    await Deno.readTextFile(new URL("../../../vectors/v2.json", import.meta.url)),
  ) as { cases: V2Vector[] };
  const cases = file.cases.filter((c) => !c.sequence && c.result === "valid").map((c) => {
    const keyJson = c.inputs.keyring.keys.find((k) => k.id === c.inputs.keyId)!;
    return {
      id: c.id,
      key: keyJson.key,
      salt: c.inputs.salt,
      info: hex(v2SessionInfo(c.inputs.keyId, c.inputs.label)),
      nonce: c.layers.nonce,
      plaintext: c.layers.plaintext,
      header: c.layers.associatedData,
      frame: c.frame!,
    };
  });
  const child = new Deno.Command(py, { args: ["-c", PY], stdin: "piped", stdout: "piped" }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(cases)));
  await w.close();
  const res = await child.output();
  strictEqual(res.success, true);
  const got = JSON.parse(new TextDecoder().decode(res.stdout)) as {
    sessionKey: string;
    sealed: string;
  }[];
  strictEqual(got.length, cases.length);
  for (let i = 0; i < cases.length; i++) {
    const c = file.cases.find((v) => v.id === cases[i].id)!;
    strictEqual(got[i].sessionKey, c.layers.sessionKey, `${cases[i].id} session key`);
    strictEqual(got[i].sealed, cases[i].frame.slice(2 * 45), `${cases[i].id} sealed bytes`);
  }
  strictEqual(unhex(cases[0].frame)[0], 0xc7);
});
