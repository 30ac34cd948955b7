// [R-CRYPT-001..003] The cached legacy keystream against WebCrypto's AES-CTR (128-bit counter)
// and, when Debian's python3 has it, python3-cryptography.
import assert from "node:assert/strict";
import fc from "fast-check";
import { LEGACY_IV, legacyCrypt, legacyKey } from "../../src/wire/mod.ts";
import { legacyKeystream } from "../../src/wire/legacy_cipher.ts";
import { hex } from "../../vectors/json.ts";
import { named, PYTHON, pythonMissing } from "../_helpers/requires.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

async function webCryptoCtr(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", new Uint8Array(legacyKey(key)), "AES-CTR", false, [
    "encrypt",
  ]);
  return new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-CTR", counter: new Uint8Array(LEGACY_IV), length: 128 },
      k,
      new Uint8Array(data),
    ),
  );
}

Deno.test("[R-CRYPT-003] key extension and cutting", () => {
  assert.equal(
    new TextDecoder().decode(legacyKey(utf8("abc"))),
    "abc01234567890123456789012345678",
  );
  assert.equal(new TextDecoder().decode(legacyKey(utf8(""))), "01234567890123456789012345678901");
  assert.equal(
    new TextDecoder().decode(legacyKey(utf8("0123456789012345678901234567891299999999"))),
    "01234567890123456789012345678912",
  );
});

Deno.test("[R-CRYPT-001] [R-CRYPT-002] legacyCrypt equals WebCrypto AES-256-CTR with the fixed IV", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 48 }),
      fc.uint8Array({ maxLength: 5000 }),
      async (key, data) => {
        assert.deepEqual(legacyCrypt(key, data), await webCryptoCtr(key, data));
        assert.deepEqual(legacyCrypt(key, legacyCrypt(key, data)), data);
      },
    ),
    { numRuns: 100 },
  );
});

Deno.test("[R-CRYPT-002] the 128-bit counter carries across 2^16 blocks (frames over 1 MiB)", async () => {
  // The IV ends in 0x2d2d; past 0xffff - 0x2d2d blocks the carry reaches byte 13.
  const n = (0x10000 - 0x2d2d + 4) * 16;
  const key = utf8("carry test key");
  const ks = legacyKeystream(key, n).subarray(0, n);
  assert.deepEqual(ks, await webCryptoCtr(key, new Uint8Array(n)));
});

const NO_PYTHON = await pythonMissing(["cryptography"]);

Deno.test({
  name: named("[R-CRYPT-002] keystream equals python3-cryptography", NO_PYTHON),
  ignore: NO_PYTHON !== undefined,
}, async () => {
  const script = `
import sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
k = bytes.fromhex(sys.argv[1]); n = int(sys.argv[2])
e = Cipher(algorithms.AES(k), modes.CTR(b"-- ScaleSmall --")).encryptor()
print((e.update(bytes(n)) + e.finalize()).hex())`;
  const key = utf8("01234567890123456789012345678912");
  const out = await new Deno.Command(PYTHON, {
    args: ["-c", script, hex(legacyKey(key)), "4000"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  assert.equal(
    new TextDecoder().decode(out.stdout).trim(),
    hex(legacyKeystream(key, 4000).subarray(0, 4000)),
  );
});
