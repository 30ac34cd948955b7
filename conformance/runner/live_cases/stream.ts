/**
 * Live cases of testee.md "9. Live mode: a node under test": TCP stream framing: coalesced and
 * split frames, a stalled partial frame, a bad header refused at once.
 *
 * @module
 */

import { hex as hexOf } from "../hex.ts";
import { waitFor } from "../live_net.ts";
import {
  carrying,
  expectForward,
  frameTo,
  type LiveCase,
  sendOne,
  stillServes,
  uniquePayload,
} from "./common.ts";

/** `stream.coalesced`: two frames in one TCP write are both handled. */
export const streamCoalesced: LiveCase = {
  id: "stream.coalesced",
  reqs: ["R-TRANSPORT-003", "R-NODE-TRANSPORT-002"],
  title: "two frames in one TCP write are both handled",
  run: async (env) => {
    const a = uniquePayload("coalesced-a"), b = uniquePayload("coalesced-b");
    const fa = env.codec.encode(frameTo(env, [env.peers[0].id], "conformance.echo", a));
    const fb = env.codec.encode(frameTo(env, [env.peers[1].id], "conformance.echo", b));
    const s = await sendOne(env, [new Uint8Array([...fa, ...fb])]);
    try {
      const ra = await expectForward(
        env,
        [env.peers[0]],
        hexOf(a),
        hexOf(a),
        "conformance.echo",
      );
      if (ra.status !== "PASS") return { ...ra, detail: `first frame: ${ra.detail}` };
      const rb = await expectForward(
        env,
        [env.peers[1]],
        hexOf(b),
        hexOf(b),
        "conformance.echo",
      );
      return rb.status === "PASS" ? rb : { ...rb, detail: `second frame: ${rb.detail}` };
    } finally {
      await s.close();
    }
  },
};

/** `stream.split`: one frame written one byte at a time is handled. */
export const streamSplit: LiveCase = {
  id: "stream.split",
  reqs: ["R-TRANSPORT-003", "R-NODE-TRANSPORT-002"],
  title: "one frame written one byte at a time is handled",
  run: async (env) => {
    const p = uniquePayload("split");
    const f = env.codec.encode(frameTo(env, [env.peers[0].id], "conformance.echo", p));
    const s = await sendOne(env, [...f].map((b) => new Uint8Array([b])), "conn", 1);
    try {
      return await expectForward(env, [env.peers[0]], hexOf(p), hexOf(p), "conformance.echo");
    } finally {
      await s.close();
    }
  },
};

/** `stream.stalled`: a stalled partial frame on one connection does not stop the node serving others. */
export const streamStalled: LiveCase = {
  id: "stream.stalled",
  reqs: ["R-TRANSPORT-004", "R-NODE-ERR-001"],
  title: "a stalled partial frame on one connection does not stop the node serving others",
  run: async (env) => {
    const p = uniquePayload("stalled");
    const f = env.codec.encode(frameTo(env, [env.peers[1].id], "conformance.echo", p));
    const stalled = await sendOne(env, [f.subarray(0, Math.floor(f.length / 2))], "stalled");
    try {
      const r = await stillServes(env, "beside-stalled");
      if (r.status !== "PASS") {
        return { ...r, detail: `beside a stalled connection: ${r.detail}` };
      }
      if (carrying(env.peers, hexOf(p)).length) {
        return { status: "FAIL", detail: "half a frame was forwarded" };
      }
      return r;
    } finally {
      await stalled.close();
    }
  },
};

/** `stream.early-reject`: a bad header is refused as soon as its bytes arrive, without waiting for a body. */
export const streamEarlyReject: LiveCase = {
  id: "stream.early-reject",
  reqs: ["R-TRANSPORT-004", "R-V2-TRANSPORT-002", "R-LIMIT-001"],
  title: "a bad header is refused as soon as its bytes arrive, without waiting for a body",
  run: async (env) => {
    // legacy: a length of 2^31 (over maxFrameBytes); v2: version 255. Nothing follows.
    const head = env.codec.profile === "v2"
      ? new Uint8Array([0xc7, 0xff])
      : new Uint8Array([0xff, 0x80, 0x80, 0x80, 0x80, 0x08]);
    const s = await sendOne(env, [head], "early");
    const closed = await waitFor(() => s.closedByPeer, env.timeoutMs);
    await s.close();
    if (!closed) {
      return {
        status: "FAIL",
        expected: { connection: "closed after the header bytes" },
        actual: { connection: "still open" },
        detail: "the node waited for more bytes after a header it must refuse",
      };
    }
    const after = await stillServes(env, "after-early-reject");
    return after.status === "PASS" ? { status: "PASS", actual: { closed } } : after;
  },
};
