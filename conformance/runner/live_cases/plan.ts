/**
 * Live cases of node.md "Sending: the broadcast plan": multicast first, nothing left to send,
 * relay take-over, one TCP keep for confirmed multicast listeners.
 *
 * @module
 */

import { hex as hexOf } from "../hex.ts";
import { freeTcpPort, sleep, waitFor } from "../live_net.ts";
import {
  carrying,
  expectForward,
  frameTo,
  type LiveCase,
  sameId,
  sendOne,
  stillServes,
  uniquePayload,
} from "./common.ts";

/** `forward.multicast-first`: a forward goes out by multicast first, with an empty distribution list. */
export const forwardMulticastFirst: LiveCase = {
  id: "forward.multicast-first",
  reqs: ["R-NODE-PLAN-002"],
  title: "a forward goes out by multicast first, with an empty distribution list",
  run: async (env) => {
    if (!env.mcast) return { status: "ERROR", detail: "the runner could not join the group" };
    const p = uniquePayload("mcast-first");
    const s = await sendOne(env, [
      env.codec.encode(frameTo(env, [env.peers[0].id, env.peers[1].id], "conformance.echo", p)),
    ]);
    try {
      const m = env.mcast;
      const seen = () =>
        m.received.filter((r) => r.decoded?.messages.some((x) => x.payload === hexOf(p)));
      if (!(await waitFor(() => seen().length > 0, env.timeoutMs))) {
        return { status: "FAIL", detail: "no multicast frame carried the message" };
      }
      const f = seen()[0].decoded!;
      const problems = [];
      if (!sameId(f.gossip.current, env.node)) problems.push("current is not the node");
      if (f.gossip.distribution.length) {
        problems.push("the multicast frame has a distribution list");
      }
      return problems.length
        ? { status: "FAIL", actual: f.gossip, detail: problems.join("; ") }
        : { status: "PASS", actual: { gossip: f.gossip } };
    } finally {
      await s.close();
    }
  },
};

/** `forward.nothing-left`: a distribution list naming only the node itself makes it send nothing. */
export const forwardNothingLeft: LiveCase = {
  id: "forward.nothing-left",
  reqs: ["R-NODE-PLAN-001"],
  title: "a distribution list naming only the node itself makes it send nothing",
  run: async (env) => {
    const p = uniquePayload("nothing-left");
    const s = await sendOne(env, [
      env.codec.encode(frameTo(env, [env.node, env.node], "conformance.echo", p)),
    ]);
    await sleep(Math.min(500, env.timeoutMs));
    await s.close();
    const tcp = carrying(env.peers, hexOf(p)).length;
    const mc =
      env.mcast?.received.filter((r) => r.decoded?.messages.some((x) => x.payload === hexOf(p)))
        .length ?? 0;
    if (tcp || mc) {
      return {
        status: "FAIL",
        actual: { tcpFrames: tcp, multicastFrames: mc },
        detail: "the node sent something",
      };
    }
    const after = await stillServes(env, "after-nothing-left");
    return after.status === "PASS"
      ? { status: "PASS", actual: { tcpFrames: 0, multicastFrames: 0 } }
      : after;
  },
};

/** `forward.relay-takeover`: with an unreachable node in the list, the others are still reached (take-over). */
export const forwardRelayTakeover: LiveCase = {
  id: "forward.relay-takeover",
  reqs: ["R-NODE-RELAY-001"],
  title: "with an unreachable node in the list, the others are still reached (take-over)",
  run: async (env) => {
    const dead = { ip: "127.0.0.1", port: freeTcpPort() };
    const dests = env.peers.slice(0, 4);
    for (let trial = 0; trial < 3; trial++) {
      const p = uniquePayload(`takeover-${trial}`);
      const list = [dead, ...dests.map((d) => d.id)];
      const s = await sendOne(env, [
        env.codec.encode(frameTo(env, list, "conformance.echo", p)),
      ]);
      try {
        const r = await expectForward(env, dests, hexOf(p), hexOf(p), "conformance.echo", [
          dead,
        ]);
        if (r.status !== "PASS") return { ...r, detail: `trial ${trial}: ${r.detail}` };
      } finally {
        await s.close();
      }
    }
    return { status: "PASS" };
  },
};

/** `multicast.keep-one`: destinations that confirm hearing the node get no TCP copy but one random keep. */
export const multicastKeepOne: LiveCase = {
  id: "multicast.keep-one",
  reqs: ["R-NODE-PLAN-003", "R-NODE-LEARN-002"],
  title: "destinations that confirm hearing the node get no TCP copy but one random keep",
  run: async (env) => {
    // Peers 4 and 5 tell the node (by TCP frames whose seen IDs name it) that they hear it.
    const [m1, m2] = [env.peers[3], env.peers[4]];
    for (const m of [m1, m2]) {
      const f = env.codec.encode({
        gossip: {
          current: { ...m.id, seqno: env.seq() },
          seen: [{ ...env.node, seqno: 1 }],
          other: [],
          distribution: [],
        },
        typeName: "conformance.echo",
        payload: uniquePayload("hears-you"),
      });
      const s = await sendOne(env, [f], `from-${m.label}`);
      await sleep(50);
      await s.close();
    }
    await sleep(100);
    const counts: number[] = [];
    for (let trial = 0; trial < 4; trial++) {
      const p = uniquePayload(`keep-${trial}`);
      const s = await sendOne(env, [
        env.codec.encode(frameTo(env, [m1.id, m2.id], "conformance.echo", p)),
      ]);
      await waitFor(() => carrying([m1, m2], hexOf(p)).length > 0, env.timeoutMs);
      await sleep(150);
      await s.close();
      counts.push(carrying([m1, m2], hexOf(p)).length);
    }
    // Without learning, each of the two would get its own TCP frame (two per broadcast).
    return counts.every((n) => n === 1)
      ? { status: "PASS", actual: { tcpCopiesPerBroadcast: counts } }
      : {
        status: "FAIL",
        expected: { tcpCopiesPerBroadcast: [1, 1, 1, 1] },
        actual: { tcpCopiesPerBroadcast: counts },
        detail: "confirmed multicast listeners should get exactly one TCP copy (the random keep)",
      };
  },
};
