/**
 * Live cases of node.md "Receiving and forwarding": a frame is forwarded to its distribution list
 * with the handler's value; bad input (garbage, wrong start byte, key or label, tampering,
 * truncation, replays) is dropped, its connection closed, and the node keeps serving.
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
  type LiveEnv,
  sendOne,
  stillServes,
  te,
  uniquePayload,
} from "./common.ts";

/**
 * A bad-input case: the frame `build` makes is not forwarded, the node keeps serving, and it
 * closes the connection (`PASS-NONSTRICT` when it keeps it open and `mustClose` is false).
 */
export function badInputCase(
  name: string,
  reqs: string[],
  title: string,
  build: (env: LiveEnv, payload: Uint8Array) => Uint8Array,
  mustClose: boolean,
  profiles?: string[],
): LiveCase {
  return {
    id: `bad.${name}`,
    reqs,
    title,
    profiles,
    run: async (env) => {
      const payload = uniquePayload(name);
      const bytes = build(env, payload);
      const s = await sendOne(env, [bytes], "bad");
      const closed = await waitFor(() => s.closedByPeer, env.timeoutMs);
      await s.close();
      const forwarded = carrying(env.peers, hexOf(payload)).length > 0;
      if (forwarded) {
        return { status: "FAIL", detail: "the bad frame was forwarded", actual: { forwarded } };
      }
      const after = await stillServes(env, `after-${name}`);
      if (after.status !== "PASS") {
        return { ...after, detail: `after the bad input: ${after.detail}` };
      }
      if (!closed) {
        return {
          status: mustClose ? "FAIL" : "PASS-NONSTRICT",
          expected: { connection: "closed by the node" },
          actual: { connection: "still open" },
          detail: mustClose
            ? "the node kept a stream whose framing is lost open"
            : "dropped, but the node kept the connection open (the spec allows dropping only the frame)",
        };
      }
      return { status: "PASS", actual: { closed, forwarded } };
    },
  };
}

/** `forward.tcp`: a frame whose distribution lists runner peers is forwarded to them over TCP. */
export const forwardTcp: LiveCase = {
  id: "forward.tcp",
  reqs: ["R-NODE-FORWARD-001", "R-NODE-PLAN-004", "R-LIVE-001"],
  title: "a frame whose distribution lists runner peers is forwarded to them over TCP",
  run: async (env) => {
    const p = uniquePayload("forward");
    const dests = env.peers.slice(0, 4);
    const s = await sendOne(env, [
      env.codec.encode(frameTo(env, dests.map((d) => d.id), "conformance.echo", p)),
    ]);
    try {
      return await expectForward(env, dests, hexOf(p), hexOf(p), "conformance.echo");
    } finally {
      await s.close();
    }
  },
};

/** `forward.replacement`: the handler's replacement payload is what gets forwarded (type conformance.upper). */
export const forwardReplacement: LiveCase = {
  id: "forward.replacement",
  reqs: ["R-NODE-DISPATCH-001", "R-LIVE-002"],
  title: "the handler's replacement payload is what gets forwarded (type conformance.upper)",
  run: async (env) => {
    const p = uniquePayload("replace");
    const upper = te.encode(new TextDecoder().decode(p).toUpperCase());
    const dests = env.peers.slice(0, 2);
    const s = await sendOne(env, [
      env.codec.encode(frameTo(env, dests.map((d) => d.id), "conformance.upper", p)),
    ]);
    try {
      return await expectForward(env, dests, hexOf(p), hexOf(upper), "conformance.upper");
    } finally {
      await s.close();
    }
  },
};

/** `bad.garbage`. */
export const badGarbage: LiveCase = badInputCase(
  "garbage",
  ["R-NODE-ERR-001", "R-FRAME-002", "R-TRANSPORT-004"],
  "garbage bytes: connection closed, node keeps serving",
  (_e) => {
    const g = crypto.getRandomValues(new Uint8Array(64));
    g[0] = 0x13; // no profile starts with this byte
    return g;
  },
  true,
);

/** `bad.start-byte`. */
export const badStartByte: LiveCase = badInputCase(
  "start-byte",
  ["R-NODE-ERR-001", "R-FRAME-002", "R-TRANSPORT-004"],
  "wrong start byte: connection closed, node keeps serving",
  (env, p) => {
    const f = env.codec.encode(frameTo(env, [env.peers[0].id], "conformance.echo", p)).slice();
    f[0] = 0x00;
    return f;
  },
  true,
);

/** `bad.wrong-key`. */
export const badWrongKey: LiveCase = badInputCase(
  "wrong-key",
  ["R-NODE-ERR-001", "R-CRYPT-004", "R-V2-AEAD-003"],
  "frame under another key: dropped, connection closed, node keeps serving",
  (env, p) => env.codec.wrongKey(frameTo(env, [env.peers[0].id], "conformance.echo", p)),
  true,
);

/** `bad.tampered`. */
export const badTampered: LiveCase = badInputCase(
  "tampered",
  ["R-NODE-ERR-001", "R-ENV-004", "R-V2-AEAD-003"],
  "frame with a flipped ciphertext byte: dropped, connection closed",
  (env, p) => {
    const f = env.codec.encode(frameTo(env, [env.peers[0].id], "conformance.echo", p)).slice();
    f[f.length - 3] ^= 0x40;
    return f;
  },
  true,
);

/** `bad.truncated`. */
export const badTruncated: LiveCase = badInputCase(
  "truncated",
  ["R-NODE-ERR-001", "R-ERR-002"],
  "a complete frame whose content ends early: dropped, connection closed",
  (env, p) => env.codec.truncatedInside(frameTo(env, [env.peers[0].id], "conformance.echo", p)),
  true,
);

/** `bad.other-label`. */
export const badOtherLabel: LiveCase = badInputCase(
  "other-label",
  ["R-NODE-ERR-001", "R-V2-LABEL-001", "R-V2-LABEL-002"],
  "frame from another cluster label (same key): dropped, connection closed",
  (env, p) => env.codec.otherLabel!(frameTo(env, [env.peers[0].id], "conformance.echo", p)),
  true,
  ["v2"],
);

/** `bad.replay`: a replayed frame is dropped (not forwarded again), the connection closed, and a fresh one served. */
export const badReplay: LiveCase = {
  id: "bad.replay",
  reqs: ["R-NODE-ERR-002", "R-V2-REPLAY-001"],
  title:
    "a replayed frame is dropped (not forwarded again), the connection closed, and a fresh one served",
  profiles: ["v2"],
  run: async (env) => {
    const p = uniquePayload("replay");
    const f = env.codec.encode(frameTo(env, [env.peers[2].id], "conformance.echo", p));
    const s = await sendOne(env, [f], "conn");
    try {
      const first = await expectForward(
        env,
        [env.peers[2]],
        hexOf(p),
        hexOf(p),
        "conformance.echo",
      );
      if (first.status !== "PASS") return { ...first, detail: `first copy: ${first.detail}` };
      await s.write(f);
      // The replay must not arrive, the node must close this connection (issue 5, R-NODE-ERR-002),
      // and a fresh frame on a fresh connection must be forwarded.
      const closed = await waitFor(() => s.closedByPeer, env.timeoutMs);
      const copies = carrying([env.peers[2]], hexOf(p)).length;
      if (copies > 1) {
        return {
          status: "FAIL",
          actual: { copies },
          detail: "the replayed frame was forwarded",
        };
      }
      if (!closed) {
        return {
          status: "FAIL",
          expected: { connection: "closed by the node" },
          actual: { connection: "still open" },
          detail: "the node kept the connection open over a replay (R-NODE-ERR-002 closes it)",
        };
      }
      const after = await stillServes(env, "after-replay");
      return after.status === "PASS"
        ? { status: "PASS", actual: { copies, closed } }
        : { ...after, detail: `after the replay, on a fresh connection: ${after.detail}` };
    } finally {
      await s.close();
    }
  },
};
