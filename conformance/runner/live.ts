/**
 * Live mode: check a running node over real sockets. The runner plays peers: it sends the
 * node frames over TCP and multicast from its own sockets and watches what the node forwards
 * to runner-owned listeners. Each case keeps a wire log (hex bytes in and out).
 *
 * @module
 */

import type { NetId } from "../../src/wire/netid.ts";
import { parseNetId } from "../../src/wire/netid.ts";
import { coverage } from "./coverage.ts";
import type { ExpectedFailure } from "./expected_failures.ts";
import { hex as hexOf, unhex } from "./hex.ts";
import { legacyLiveCodec, type LiveCodec, type LiveFrame, tagOf } from "./live_codec.ts";
import {
  freeTcpPort,
  freeUdpPort,
  MemorySampler,
  MulticastListener,
  MulticastSender,
  Peer,
  Sender,
  sleep,
  waitFor,
  WireLog,
} from "./live_net.ts";
import type { RunOutput, StartFailure } from "./offline.ts";
import { loadSpec, sectionOf, sortBySection } from "./spec_index.ts";
import { type CaseResult, type Outcome, type Status, SUITE_VERSION } from "./types.ts";
import { loadVectors } from "./vectors.ts";
import { decide } from "./verdict.ts";

/** The key a node under test uses when neither `--key` nor a spawn sets one (0.0.15's). */
export const LIVE_DEFAULT_KEY_HEX =
  "3031323334353637383930313233343536373839303132333435363738393132";

/** Options of a live run. */
export interface LiveOptions {
  /** Command that starts the node (the runner sets its environment, `spec/testee.md`). */
  spawn?: string;
  /** host:port of a running node. */
  target?: string;
  /** Key bytes, hex (target mode; spawn mode picks a random key). */
  keyHex?: string;
  /** Cluster label (v2). */
  label?: string;
  /** Multicast group:port of a target node (default 224.1.1.1:29999). */
  multicast?: string;
  /** Vectors directory (for the digest). */
  vectorsDir: string;
  /** Spec directory. */
  specDir: string;
  /** Id prefixes. */
  filters?: string[];
  /** Profiles to check (spawn: one node run per profile; target: the node's one profile). */
  profiles?: string[];
  /** Expected failures. */
  expectedFailures?: ExpectedFailure[];
  /** How long to wait for the node to react, per step. */
  timeoutMs: number;
  /** Bytes of resident memory growth that fail a bomb/flood case (default 256 MiB). */
  maxRssGrowthBytes?: number;
  /** Called after each case with how many of the profile's cases are done (progress). */
  onResult?: (r: CaseResult, done: number, total: number) => void;
}

/** What a live case sees. */
interface LiveEnv {
  node: NetId;
  codec: LiveCodec;
  pid?: number;
  multicast: { group: string; port: number };
  timeoutMs: number;
  maxRssGrowthKiB: number;
  log: WireLog;
  /** Current BroadcastIDs of the node seen so far (ip:port:seqno), to check they are new. */
  nodeIds: Set<string>;
  /** Next sequence number for runner-originated frames. */
  seq: () => number;
  /** A runner NetID used as the current (sending) node of runner frames. */
  origin: Peer<LiveFrame>;
  /** Peers for distribution lists. */
  peers: Peer<LiveFrame>[];
  /** The runner's membership of the node's multicast group (undefined if joining failed). */
  mcast?: MulticastListener<LiveFrame>;
  /** Spawn mode: start a second node with the same environment (undefined in target mode). */
  spawnAgain?: () => Deno.ChildProcess;
}

interface LiveCase {
  id: string;
  reqs: string[];
  title: string;
  /** Profiles it applies to (all when undefined). */
  profiles?: string[];
  run(env: LiveEnv): Promise<Outcome>;
}

const te = new TextEncoder();

function uniquePayload(what: string): Uint8Array {
  const r = crypto.getRandomValues(new Uint8Array(6));
  return te.encode(`conformance ${what} ${[...r].map((b) => b.toString(16)).join("")}`);
}

/** The frames peers received that carry `payload` (hex) in one of their messages. */
function carrying(peers: Peer<LiveFrame>[], payloadHex: string) {
  return peers.flatMap((p) =>
    p.received.filter((r) => r.decoded?.messages.some((m) => m.payload === payloadHex))
      .map((r) => ({ peer: p, frame: r.decoded! }))
  );
}

function sameId(a: NetId, b: NetId): boolean {
  return a.ip === b.ip && a.port === b.port;
}

/**
 * Send `frame(s)` to the node and check it forwards the message to `dests` (runner peers):
 * every destination is reached directly or named in the distribution list of a frame a
 * runner peer received; each forwarded frame names the node as current with a BroadcastID not
 * seen before, lists only original destinations, and carries `expectPayload` intact.
 */
async function expectForward(
  env: LiveEnv,
  dests: Peer<LiveFrame>[],
  payloadHex: string,
  expectPayloadHex: string,
  typeName: string,
  alsoAllowed: NetId[] = [],
): Promise<Outcome> {
  const covered = () => {
    const got = carrying(dests, expectPayloadHex);
    const names = new Set<string>();
    for (const g of got) {
      names.add(g.peer.label);
      for (const d of g.frame.gossip.distribution) {
        const p = dests.find((x) => sameId(x.id, d));
        if (p) names.add(p.label);
      }
    }
    return dests.every((d) => names.has(d.label));
  };
  const ok = await waitFor(covered, env.timeoutMs);
  const got = carrying(dests, expectPayloadHex);
  const actual = got.map((g) => ({
    peer: g.peer.label,
    current: g.frame.gossip.current,
    distribution: g.frame.gossip.distribution,
    messages: g.frame.messages,
  }));
  const expected = {
    reached: dests.map((d) => `${d.label}=${d.id.ip}:${d.id.port}`),
    current: `${env.node.ip}:${env.node.port}`,
    payload: expectPayloadHex,
  };
  if (!ok) {
    const stale = carrying(dests, payloadHex).length;
    return {
      status: "FAIL",
      expected,
      actual,
      detail: stale && payloadHex !== expectPayloadHex
        ? "the message was forwarded without the handler's replacement"
        : `not every destination was reached within ${env.timeoutMs} ms`,
    };
  }
  // Give stragglers (duplicates) a moment to arrive before judging "at most once".
  await sleep(Math.min(200, env.timeoutMs / 4));
  const problems: string[] = [];
  const perPeer = new Map<string, number>();
  for (const g of carrying(dests, expectPayloadHex)) {
    const cur = g.frame.gossip.current;
    if (!sameId(cur, env.node)) {
      problems.push(`${g.peer.label}: current is ${cur.ip}:${cur.port}, not the node`);
    }
    const key = `${cur.ip}:${cur.port}:${cur.seqno}`;
    if (env.nodeIds.has(key) && !env.codec.identity) {
      problems.push(`${g.peer.label}: BroadcastID ${key} is not new`);
    }
    for (const d of g.frame.gossip.distribution) {
      if (!dests.some((x) => sameId(x.id, d)) && !alsoAllowed.some((x) => sameId(x, d))) {
        problems.push(`${g.peer.label}: distribution names ${d.ip}:${d.port}, not a destination`);
      }
    }
    const m = g.frame.messages.find((x) => x.payload === expectPayloadHex)!;
    if (m.typeTag !== tagOf(typeName)) problems.push(`${g.peer.label}: type tag ${m.typeTag}`);
    perPeer.set(g.peer.label, (perPeer.get(g.peer.label) ?? 0) + 1);
  }
  for (const g of carrying(dests, expectPayloadHex)) {
    const c = g.frame.gossip.current;
    env.nodeIds.add(`${c.ip}:${c.port}:${c.seqno}`);
  }
  const dup = [...perPeer].filter(([, n]) => n > 1);
  if (dup.length && env.codec.identity) {
    problems.push(`sent more than once to ${dup.map(([p, n]) => `${p} (${n}x)`).join(", ")}`);
  }
  return problems.length
    ? { status: "FAIL", expected, actual, detail: problems.slice(0, 5).join("; ") }
    : { status: "PASS", actual };
}

function frameTo(env: LiveEnv, dests: NetId[], typeName: string, payload: Uint8Array) {
  return {
    gossip: {
      current: { ...env.origin.id, seqno: env.seq() },
      seen: [],
      other: [],
      distribution: dests,
    },
    typeName,
    payload,
  };
}

async function sendOne(env: LiveEnv, bytes: Uint8Array[], label = "conn", gapMs = 0) {
  const s = await Sender.open(env.node, env.log, label);
  for (const b of bytes) {
    await s.write(b);
    if (gapMs) await sleep(gapMs);
  }
  return s;
}

/** A valid frame to `dests` from a fresh connection, forwarded: the node still serves. */
async function stillServes(env: LiveEnv, what: string): Promise<Outcome> {
  const p = uniquePayload(what);
  const s = await sendOne(env, [
    env.codec.encode(frameTo(env, [env.peers[0].id], "conformance.echo", p)),
  ], "fresh");
  try {
    return await expectForward(env, [env.peers[0]], hexOf(p), hexOf(p), "conformance.echo");
  } finally {
    await s.close();
  }
}

function badInputCase(
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

/** Every live case id (per profile it applies to) with its requirement tags. */
export function liveCaseIndex(): { id: string; reqs: string[] }[] {
  return liveCases().flatMap((c) =>
    (c.profiles ?? ["legacy", "v2"]).map((p) => ({ id: `live.${p}.${c.id}`, reqs: c.reqs }))
  );
}

async function offlineCaseIndex(opts: LiveOptions): Promise<{ id: string; reqs: string[] }[]> {
  const { offlineCases } = await import("./offline.ts");
  return (await offlineCases(opts.vectorsDir, opts.specDir)).cases;
}

/** The live cases, in run order. */
export function liveCases(): LiveCase[] {
  return [
    {
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
    },
    {
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
    },
    {
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
    },
    {
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
    },
    {
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
    },
    {
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
    },
    {
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
    },
    {
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
    },
    {
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
    },
    badInputCase(
      "garbage",
      ["R-NODE-ERR-001", "R-FRAME-002", "R-TRANSPORT-004"],
      "garbage bytes: connection closed, node keeps serving",
      (_e) => {
        const g = crypto.getRandomValues(new Uint8Array(64));
        g[0] = 0x13; // no profile starts with this byte
        return g;
      },
      true,
    ),
    badInputCase(
      "start-byte",
      ["R-NODE-ERR-001", "R-FRAME-002", "R-TRANSPORT-004"],
      "wrong start byte: connection closed, node keeps serving",
      (env, p) => {
        const f = env.codec.encode(frameTo(env, [env.peers[0].id], "conformance.echo", p)).slice();
        f[0] = 0x00;
        return f;
      },
      true,
    ),
    badInputCase(
      "wrong-key",
      ["R-NODE-ERR-001", "R-CRYPT-004", "R-V2-AEAD-003"],
      "frame under another key: dropped, connection closed, node keeps serving",
      (env, p) => env.codec.wrongKey(frameTo(env, [env.peers[0].id], "conformance.echo", p)),
      true,
    ),
    badInputCase(
      "tampered",
      ["R-NODE-ERR-001", "R-ENV-004", "R-V2-AEAD-003"],
      "frame with a flipped ciphertext byte: dropped, connection closed",
      (env, p) => {
        const f = env.codec.encode(frameTo(env, [env.peers[0].id], "conformance.echo", p)).slice();
        f[f.length - 3] ^= 0x40;
        return f;
      },
      true,
    ),
    badInputCase(
      "truncated",
      ["R-NODE-ERR-001", "R-ERR-002"],
      "a complete frame whose content ends early: dropped, connection closed",
      (env, p) => env.codec.truncatedInside(frameTo(env, [env.peers[0].id], "conformance.echo", p)),
      true,
    ),
    badInputCase(
      "other-label",
      ["R-NODE-ERR-001", "R-V2-LABEL-001", "R-V2-LABEL-002"],
      "frame from another cluster label (same key): dropped, connection closed",
      (env, p) => env.codec.otherLabel!(frameTo(env, [env.peers[0].id], "conformance.echo", p)),
      true,
      ["v2"],
    ),
    {
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
    },
    {
      id: "multicast.learning",
      reqs: ["R-NODE-LEARN-001"],
      title: "after the runner multicasts, the node's later frames list the runner among seen IDs",
      run: async (env) => {
        const m = env.peers[5];
        const seqno = env.seq();
        const ms = new MulticastSender(env.multicast.group, env.multicast.port, env.log);
        try {
          const frame = env.codec.encode({
            gossip: { current: { ...m.id, seqno }, seen: [], other: [], distribution: [] },
            typeName: "conformance.echo",
            payload: uniquePayload("mcast"),
            multicast: true,
          });
          // Multicast is lossy: send a few copies.
          for (let i = 0; i < 3; i++) {
            await ms.send(frame);
            await sleep(20);
          }
        } finally {
          ms.close();
        }
        await sleep(100);
        const p = uniquePayload("after-mcast");
        const s = await sendOne(env, [
          env.codec.encode(frameTo(env, [env.peers[0].id], "conformance.echo", p)),
        ]);
        try {
          const r = await expectForward(
            env,
            [env.peers[0]],
            hexOf(p),
            hexOf(p),
            "conformance.echo",
          );
          if (r.status !== "PASS") return r;
          const f = carrying([env.peers[0]], hexOf(p))[0].frame;
          const listed = f.gossip.seen.some((x) => sameId(x, m.id));
          return listed ? { status: "PASS", actual: { seen: f.gossip.seen } } : {
            status: "FAIL",
            expected: { seen: [`${m.id.ip}:${m.id.port}`] },
            actual: { seen: f.gossip.seen },
            detail: "the node's next frame does not list the multicast sender among its seen IDs",
          };
        } finally {
          await s.close();
        }
      },
    },
    {
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
            detail:
              "confirmed multicast listeners should get exactly one TCP copy (the random keep)",
          };
      },
    },
    {
      id: "session.nonces",
      reqs: ["R-V2-SESSION-003", "R-V2-AEAD-002"],
      profiles: ["v2"],
      title: "every v2 frame the node sent in this run has its own (salt, counter)",
      run: (env) => {
        const frames = [...env.peers.flatMap((p) => p.received), ...(env.mcast?.received ?? [])]
          // The node's own frames only (the runner hears its own multicast too).
          .filter((r) => r.decoded && sameId(r.decoded.gossip.current, env.node))
          .map((r) => r.frame).filter((f) => f.length >= 37 && f[0] === 0xc7);
        // One sealed frame may go to several peers (identical bytes); two different frames under
        // one (salt, counter) would be a nonce reuse.
        const seen = new Map<string, Set<string>>();
        for (const f of frames) {
          const k = `${hexOf(f.subarray(5, 21))}/${hexOf(f.subarray(21, 29))}`;
          if (!seen.has(k)) seen.set(k, new Set());
          seen.get(k)!.add(hexOf(f));
        }
        env.log.note(`checked ${frames.length} node frames in ${seen.size} (salt, counter) pairs`);
        const dup = [...seen].filter(([, bodies]) => bodies.size > 1).map(([k, b]) => [k, b.size]);
        if (frames.length < 10) {
          return Promise.resolve(
            { status: "ERROR", detail: `only ${frames.length} node frames seen` } as Outcome,
          );
        }
        return Promise.resolve(
          dup.length
            ? {
              status: "FAIL",
              actual: { repeated: dup.slice(0, 5) },
              detail: `${dup.length} (salt, counter) pairs carry different frames: nonce reuse`,
            } as Outcome
            : {
              status: "PASS",
              actual: {
                framesChecked: frames.length,
                sessions: new Set([...seen.keys()].map((k) => k.split("/")[0])).size,
              },
            } as Outcome,
        );
      },
    },
    {
      id: "start.port-in-use",
      reqs: ["R-NODE-OPT-001"],
      title:
        "a second node on the running node's TCP port fails at start and says the port is in use",
      run: async (env) => {
        if (!env.spawnAgain) {
          return { status: "UNSUPPORTED", detail: "needs --spawn (the runner starts a 2nd node)" };
        }
        const child = env.spawnAgain();
        const stderr = collect(child.stderr);
        const wait = Math.max(10_000, env.timeoutMs);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const exited = await Promise.race([
          child.status.then(() => true),
          new Promise<boolean>((r) => timer = setTimeout(() => r(false), wait)),
        ]);
        clearTimeout(timer);
        if (!exited) {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
        }
        const status = await child.status;
        const err = (await stderr).trim();
        env.log.note(`second node exited ${exited ? status.code : "(killed)"}: ${err.slice(-300)}`);
        const port = String(env.node.port);
        const expected = `exits non-zero; stderr names port ${port} and says it is in use`;
        const actual = { exited, code: status.code, stderr: err.slice(-500) };
        if (!exited) {
          return { status: "FAIL", expected, actual, detail: `still running after ${wait} ms` };
        }
        if (status.success) {
          return { status: "FAIL", expected, actual, detail: "exited with status 0" };
        }
        return err.includes(port) && /in use|EADDRINUSE/i.test(err)
          ? { status: "PASS" }
          : { status: "FAIL", expected, actual, detail: "stderr does not report the port in use" };
      },
    },
    {
      id: "memory.bomb",
      reqs: ["R-ERR-001", "R-LIMIT-004", "R-LIMIT-005"],
      title: "decompression bombs are refused without growing the node's memory",
      run: async (env) => {
        const sampler = env.pid !== undefined ? new MemorySampler(env.pid) : undefined;
        // Near-limit valid frames (1 MiB of zeros compresses about 21x) over fresh connections.
        const big = new Uint8Array(1_000_000);
        for (let i = 0; i < 8; i++) {
          const s = await sendOne(env, [
            env.codec.encode(frameTo(env, [], "conformance.echo", big)),
          ], "bomb");
          await sleep(30);
          await s.close();
        }
        const mem = sampler?.stop();
        const r = await stillServes(env, "after-bomb");
        return judgeMemory(env, r, mem);
      },
    },
    {
      id: "memory.flood",
      reqs: ["R-NODE-QUEUE-001", "R-ERR-001"],
      title: "a flood of frames does not grow the node's memory without bound",
      run: async (env) => {
        const sampler = env.pid !== undefined ? new MemorySampler(env.pid) : undefined;
        const s = await sendOne(env, [], "flood");
        const end = performance.now() + 2000;
        let sent = 0;
        // Bounded in count (20,000 frames) and time (2 s). Distinct frames (v2 would drop
        // repeats as replays), 200 per write.
        while (sent < 20_000 && performance.now() < end) {
          const frames = Array.from(
            { length: 200 },
            (_, i) =>
              env.codec.encode(
                frameTo(env, [], "conformance.echo", te.encode(`flood ${sent + i}`)),
              ),
          );
          const batch = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
          let o = 0;
          for (const f of frames) {
            batch.set(f, o);
            o += f.length;
          }
          if (!(await s.write(batch))) break;
          sent += 200;
        }
        await s.close();
        env.log.note(`flood: ${sent} frames sent`);
        const mem = sampler?.stop();
        const r = await stillServes(env, "after-flood");
        return judgeMemory(env, r, mem);
      },
    },
  ];
}

function judgeMemory(
  env: LiveEnv,
  r: Outcome,
  mem: { beforeKiB?: number; peakKiB: number; afterKiB?: number } | undefined,
): Outcome {
  if (r.status !== "PASS") return { ...r, detail: `afterwards: ${r.detail}` };
  if (!mem || mem.beforeKiB === undefined) {
    return {
      status: "PASS",
      detail:
        "memory not sampled (not a local process, or /proc unreadable: the runner needs --allow-all)",
    };
  }
  const growth = mem.peakKiB - mem.beforeKiB;
  const actual = { ...mem, growthKiB: growth };
  env.log.note(`memory: ${JSON.stringify(actual)}`);
  return growth > env.maxRssGrowthKiB
    ? {
      status: "FAIL",
      expected: { growthKiB: `<= ${env.maxRssGrowthKiB}` },
      actual,
      detail: `resident memory grew by ${growth} KiB`,
    }
    : { status: "PASS", actual };
}

async function waitListening(node: NetId, ms: number, child?: Deno.ChildProcess): Promise<boolean> {
  let exited = false;
  child?.status.then(() => (exited = true));
  const end = performance.now() + ms;
  while (performance.now() < end && !exited) {
    try {
      const c = await Deno.connect({ hostname: node.ip, port: node.port });
      c.close();
      return true;
    } catch {
      await sleep(50);
    }
  }
  return false;
}

/** Run the live suite. */
export async function runLive(opts: LiveOptions): Promise<RunOutput> {
  const started = new Date();
  const t0 = performance.now();
  const spec = await loadSpec(opts.specDir);
  const suite = await loadVectors(opts.vectorsDir);
  const profiles = opts.profiles?.length ? opts.profiles : ["legacy"];
  const all = liveCases();
  const allIds = new Set<string>();
  for (const c of liveCaseIndex()) allIds.add(c.id);
  const results: CaseResult[] = [];
  let startFailure: StartFailure | undefined;
  const implementation: string[] = [];
  for (const profile of profiles) {
    const selected = all.filter((c) =>
      (!c.profiles || c.profiles.includes(profile)) &&
      (!opts.filters?.length || opts.filters.some((f) => `live.${profile}.${c.id}`.startsWith(f)))
    );
    if (!selected.length) continue;
    const keyHex = opts.spawn
      ? hexOf(crypto.getRandomValues(new Uint8Array(32)))
      : (opts.keyHex ?? LIVE_DEFAULT_KEY_HEX);
    const label = opts.label ?? `conformance-${hexOf(crypto.getRandomValues(new Uint8Array(4)))}`;
    let codec: LiveCodec;
    if (profile === "legacy") codec = legacyLiveCodec(unhex(keyHex));
    else {
      const { liveCodecFor } = await import("./live_profiles.ts");
      const c = liveCodecFor(profile, unhex(keyHex), label);
      if (!c) {
        for (const c2 of selected) results.push(unsupportedResult(profile, c2, spec));
        continue;
      }
      codec = c;
    }
    let node: NetId;
    let child: Deno.ChildProcess | undefined;
    let spawnAgain: (() => Deno.ChildProcess) | undefined;
    let multicast: { group: string; port: number };
    if (opts.spawn) {
      node = { ip: "127.0.0.1", port: freeTcpPort() };
      const r = crypto.getRandomValues(new Uint8Array(2));
      multicast = { group: `239.255.${r[0]}.${1 + (r[1] % 250)}`, port: freeUdpPort() };
      const spawnEnv = {
        CHATTER_PROFILE: profile,
        CHATTER_ADDRESS: node.ip,
        CHATTER_PORT: String(node.port),
        CHATTER_MULTICAST_GROUP: multicast.group,
        CHATTER_MULTICAST_PORT: String(multicast.port),
        CHATTER_MULTICAST_INTERFACE: "127.0.0.1",
        CHATTER_KEY: keyHex,
        CHATTER_LABEL: label,
      };
      const command = opts.spawn;
      spawnAgain = () =>
        new Deno.Command("sh", {
          args: ["-c", `exec ${command}`],
          env: spawnEnv,
          stdin: "null",
          stdout: "null",
          stderr: "piped",
        }).spawn();
      child = spawnAgain();
      implementation.push(`${opts.spawn} (${profile})`);
    } else {
      node = parseNetId(opts.target!);
      const [g, p] = (opts.multicast ?? "224.1.1.1:29999").split(":");
      multicast = { group: g, port: Number(p) };
      implementation.push(`${opts.target} (${profile})`);
    }
    codec.bindTo?.(node);
    const stderr = child ? collect(child.stderr) : Promise.resolve("");
    const up = await waitListening(node, Math.max(10_000, opts.timeoutMs), child);
    const setupLog = new WireLog();
    const peers = Array.from(
      { length: 6 },
      (_, i) => Peer.open(`peer${i + 1}`, setupLog, codec.decode),
    );
    const origin = Peer.open("origin", setupLog, codec.decode);
    let mcast: MulticastListener<LiveFrame> | undefined;
    try {
      mcast = await MulticastListener.open(multicast.group, multicast.port, setupLog, codec.decode);
    } catch (e) {
      setupLog.note(`could not join ${multicast.group}:${multicast.port}: ${(e as Error).message}`);
    }
    let seq = Math.floor(Date.now() / 1000) * 1000;
    let nodeStderr = "";
    try {
      for (const c of selected) {
        const id = `live.${profile}.${c.id}`;
        const log = new WireLog();
        for (const p of [...peers, origin]) p.setLog(log);
        mcast?.setLog(log);
        const base = {
          id,
          section: sectionOf(c.reqs, id, spec),
          reqs: c.reqs,
          profile,
          title: c.title,
          wireLog: log.entries,
        };
        const c0 = performance.now();
        let o: Outcome;
        if (!up) {
          o = {
            status: "ERROR",
            detail: `the node does not accept connections at ${node.ip}:${node.port}`,
          };
        } else {
          try {
            o = await c.run({
              node,
              codec,
              pid: child?.pid,
              multicast,
              timeoutMs: opts.timeoutMs,
              maxRssGrowthKiB: Math.floor((opts.maxRssGrowthBytes ?? 256 * 1024 * 1024) / 1024),
              log,
              nodeIds: new Set(),
              seq: () => ++seq,
              origin,
              peers,
              mcast,
              spawnAgain,
            });
          } catch (e) {
            o = { status: "ERROR", detail: `${(e as Error).message}` };
          }
        }
        results.push({ ...base, ...o, durationMs: Math.round(performance.now() - c0) });
        opts.onResult?.(results.at(-1)!, selected.indexOf(c) + 1, selected.length);
        // A node that never listened fails every case alike: stop at the first. [R-TESTEE-*]
        if (!up) break;
      }
    } finally {
      await Promise.all([...peers, origin].map((p) => p.close()));
      await mcast?.close();
      if (child) {
        try {
          child.kill("SIGTERM");
        } catch { /* gone */ }
        const t = setTimeout(() => {
          try {
            child!.kill("SIGKILL");
          } catch { /* gone */ }
        }, 2000);
        await child.status;
        clearTimeout(t);
        const err = (await stderr).trim();
        if (err && !up) results.at(-1)!.detail += `; node stderr: ${err.slice(-500)}`;
        nodeStderr = err;
      }
      if (!up) {
        startFailure ??= {
          detail: `the node (${profile}) does not accept connections at ${node.ip}:${node.port}`,
          stderr: nodeStderr.slice(-4096),
        };
      }
    }
  }
  results.splice(0, results.length, ...sortBySection(results, spec));
  const verdict = decide(results, opts.expectedFailures ?? [], allIds);
  return {
    info: {
      implementation: implementation.join(", "),
      target: opts.spawn ?? opts.target ?? "",
      mode: "live",
      suiteVersion: SUITE_VERSION,
      vectorsDigest: suite.digest,
      startedAt: started.toISOString(),
      durationMs: Math.round(performance.now() - t0),
    },
    results,
    verdict,
    // Coverage counts the whole suite, offline and live.
    coverage: coverage(spec, [...(await offlineCaseIndex(opts)), ...liveCaseIndex()]),
    startFailure,
  };
}

function unsupportedResult(
  profile: string,
  c: LiveCase,
  spec: Map<string, import("./spec_index.ts").Requirement>,
): CaseResult {
  const id = `live.${profile}.${c.id}`;
  return {
    id,
    section: sectionOf(c.reqs, id, spec),
    reqs: c.reqs,
    profile,
    title: c.title,
    status: "UNSUPPORTED" as Status,
    durationMs: 0,
    detail: `the runner has no live codec for profile ${profile}`,
    wireLog: [],
  };
}

async function collect(s: ReadableStream<Uint8Array>): Promise<string> {
  let out = "";
  const d = new TextDecoder();
  for await (const c of s) out = (out + d.decode(c, { stream: true })).slice(-8192);
  return out;
}
