/**
 * What every live case shares: the environment a case sees ({@linkcode LiveEnv}), the case
 * shape, and the helpers that send the node frames and check what it forwards.
 *
 * @module
 */

import type { NetId } from "../../../src/wire/netid.ts";
import { hex as hexOf } from "../hex.ts";
import { type LiveCodec, type LiveFrame, tagOf } from "../live_codec.ts";
import {
  type MulticastListener,
  type Peer,
  Sender,
  sleep,
  waitFor,
  type WireLog,
} from "../live_net.ts";
import type { Outcome } from "../types.ts";

/** What a live case sees. */
export interface LiveEnv {
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

export interface LiveCase {
  id: string;
  reqs: string[];
  title: string;
  /** Profiles it applies to (all when undefined). */
  profiles?: string[];
  run(env: LiveEnv): Promise<Outcome>;
}

/** UTF-8 encoder. */
export const te = new TextEncoder();

export function uniquePayload(what: string): Uint8Array {
  const r = crypto.getRandomValues(new Uint8Array(6));
  return te.encode(`conformance ${what} ${[...r].map((b) => b.toString(16)).join("")}`);
}

/** The frames peers received that carry `payload` (hex) in one of their messages. */
export function carrying(peers: Peer<LiveFrame>[], payloadHex: string) {
  return peers.flatMap((p) =>
    p.received.filter((r) => r.decoded?.messages.some((m) => m.payload === payloadHex))
      .map((r) => ({ peer: p, frame: r.decoded! }))
  );
}

export function sameId(a: NetId, b: NetId): boolean {
  return a.ip === b.ip && a.port === b.port;
}

/**
 * Send `frame(s)` to the node and check it forwards the message to `dests` (runner peers):
 * every destination is reached directly or named in the distribution list of a frame a
 * runner peer received; each forwarded frame names the node as current with a BroadcastID not
 * seen before, lists only original destinations, and carries `expectPayload` intact.
 */
export async function expectForward(
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

export function frameTo(env: LiveEnv, dests: NetId[], typeName: string, payload: Uint8Array) {
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

export async function sendOne(env: LiveEnv, bytes: Uint8Array[], label = "conn", gapMs = 0) {
  const s = await Sender.open(env.node, env.log, label);
  for (const b of bytes) {
    await s.write(b);
    if (gapMs) await sleep(gapMs);
  }
  return s;
}

/** A valid frame to `dests` from a fresh connection, forwarded: the node still serves. */
export async function stillServes(env: LiveEnv, what: string): Promise<Outcome> {
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

export function judgeMemory(
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

export async function collect(s: ReadableStream<Uint8Array>): Promise<string> {
  let out = "";
  const d = new TextDecoder();
  for await (const c of s) out = (out + d.decode(c, { stream: true })).slice(-8192);
  return out;
}
