import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  DecodeError,
  encodeLegacyFrame,
  encodeV2Frame,
  FrameReader,
  typeTag,
  v2FrameLength,
  V2Keyring,
} from "../../../src/wire/mod.ts";

const keyring = V2Keyring.single(new Uint8Array(32).fill(1));
const me = { ip: "10.0.0.1", port: 9, seqno: 1 };
const gossip = { current: me, seen: [], other: [], distribution: [] };
const v2 = (n: number) =>
  encodeV2Frame({
    keyring,
    label: "",
    salt: new Uint8Array(16),
    counter: BigInt(n),
    gossip,
    records: [{ typeTag: typeTag("t"), origin: me, payload: new Uint8Array(n * 7) }],
  });
const legacy = encodeLegacyFrame({
  key: new Uint8Array(32),
  gossip,
  typeName: "x",
  payload: new Uint8Array(5),
});

Deno.test("FrameReader reassembles v2 and legacy frames under every chunking [R-V2-TRANSPORT-002]", () => {
  const frames = [v2(0), legacy, v2(3), v2(40), legacy, v2(1)];
  const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of frames) {
    all.set(f, o);
    o += f.length;
  }
  fc.assert(
    fc.property(fc.array(fc.nat(all.length), { maxLength: 30 }), (cuts) => {
      const points = [...new Set([0, ...cuts, all.length])].sort((a, b) => a - b);
      const r = new FrameReader();
      const out: Uint8Array[] = [];
      for (let i = 0; i + 1 < points.length; i++) {
        out.push(...r.push(all.subarray(points[i], points[i + 1])));
      }
      deepStrictEqual(out.map((f) => [...f]), frames.map((f) => [...f]));
      strictEqual(r.buffered, 0);
    }),
    { numRuns: 200 },
  );
  // 1-byte chunks
  const r = new FrameReader();
  const out: Uint8Array[] = [];
  for (let i = 0; i < all.length; i++) out.push(...r.push(all.subarray(i, i + 1)));
  strictEqual(out.length, frames.length);
});

Deno.test("v2FrameLength rejects bad headers as soon as their bytes arrive", () => {
  const f = v2(2);
  strictEqual(v2FrameLength(f.subarray(0, 32), 0), undefined);
  strictEqual(v2FrameLength(f.subarray(0, 33), 0), f.length);
  const bad = (patch: [number, number], n: number, code: string) => {
    const b = f.slice(0, n);
    b[patch[0]] = patch[1];
    throws(
      () => new FrameReader().push(b),
      (e: unknown) => e instanceof DecodeError && e.code === code,
    );
  };
  bad([1, 2], 2, "UNKNOWN_VERSION");
  bad([2, 37], 3, "BAD_HEADER_LENGTH");
  bad([3, 4], 4, "BAD_FLAGS");
  bad([29, 0x7f], 33, "FRAME_TOO_LARGE");
});
