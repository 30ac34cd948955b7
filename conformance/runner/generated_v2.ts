/**
 * Stateful v2 cases the runner builds itself with the reference encoder, for rules the golden
 * vectors leave open: which frames refresh a session's recency under `maxSessions`, and that the
 * default replay window is at least 32 frames wide.
 *
 * @module
 */

import { encodeV2Frame } from "../../src/wire/v2/encoder.ts";
import { V2Keyring } from "../../src/wire/v2/keyring.ts";
import { hex } from "./hex.ts";
import type { Case } from "./types.ts";

/** The generated v2 cases. */
export function generatedV2Cases(section: (reqs: string[], id: string) => string): Case[] {
  const key = new Uint8Array(32).fill(0x11);
  const keyringJson = { keys: [{ id: 1, key: hex(key) }], primary: 1 };
  const keyring = new V2Keyring([{ id: 1, key }], 1);
  const gossip = {
    current: { ip: "10.0.0.1", port: 1, seqno: 1 },
    seen: [],
    other: [],
    distribution: [],
  };
  const frame = (saltByte: number, counter: number) =>
    hex(encodeV2Frame({
      keyring,
      label: "x",
      salt: new Uint8Array(16).fill(saltByte),
      counter,
      sealedAt: 1_767_225_600_000,
      gossip,
      records: [{ typeTag: 1, origin: gossip.current, payload: new Uint8Array([0]) }],
      compression: "none",
    }));
  const [a0, b0, c0] = [frame(0xaa, 0), frame(0xbb, 0), frame(0xcc, 0)];
  // maxSessions 2: A and B tracked; the replay of A does not refresh A, so C evicts A, and A's
  // frame is then fresh again (evicting B, whose frame is then fresh too).
  const frames = [a0, b0, a0, c0, a0, b0];
  const want = ["ok", "ok", "REPLAY", "ok", "ok", "ok"];
  const reqs = ["R-V2-REPLAY-004", "R-V2-REPLAY-001", "R-TESTEE-015"];
  const id = "v2.runner.session-recency/stream";
  const stream = (
    caseId: string,
    caseReqs: string[],
    title: string,
    receiver: Record<string, unknown>,
    input: string[],
    expected: string[],
  ): Case => ({
    id: caseId,
    section: section(caseReqs, caseId),
    reqs: caseReqs,
    profile: "v2",
    ops: ["decode_stream"],
    title,
    run: async (ctx) => {
      const r = await ctx.call({ op: "decode_stream", profile: "v2", receiver, frames: input });
      if (r.result === "unsupported") return { status: "UNSUPPORTED", detail: "unsupported" };
      const got = Array.isArray(r.results)
        ? (r.results as Record<string, unknown>[]).map((x) =>
          x.result === "ok" ? "ok" : String(x.errorClass)
        )
        : [];
      return got.join() === expected.join()
        ? { status: "PASS" }
        : { status: "FAIL", expected, actual: got, detail: "verdicts differ" };
    },
  });
  // Default window: after counter 31, counter 0 is 31 behind, inside any window of at least 32
  // frames, so it is fresh; a receiver with a narrower window says BEHIND_WINDOW. Its replay and
  // a counter never seen inside the window (16) check the window is tracked, not just widened.
  const windowFrames = [frame(0xdd, 31), frame(0xdd, 0), frame(0xdd, 0), frame(0xdd, 16)];
  const windowCase = stream(
    "v2.runner.window-at-least-32/stream",
    ["R-V2-REPLAY-006", "R-V2-REPLAY-001", "R-V2-REPLAY-002"],
    "with the default window, a counter 31 behind the highest is still fresh (window >= 32)",
    { keyring: keyringJson, label: "x" },
    windowFrames,
    ["ok", "ok", "REPLAY", "ok"],
  );
  return [
    windowCase,
    stream(
      id,
      reqs,
      "under maxSessions, a rejected replay does not keep its session from eviction",
      { keyring: keyringJson, label: "x", limits: { maxSessions: 2 } },
      frames,
      want,
    ),
  ];
}
