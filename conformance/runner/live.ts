/**
 * Live mode: check a running node over real sockets. The runner plays peers: it sends the
 * node frames over TCP and multicast from its own sockets and watches what the node forwards
 * to runner-owned listeners. Each case keeps a wire log (hex bytes in and out).
 *
 * This file is the driver: it starts (or finds) the node of each profile, opens the runner's
 * peers, and runs the cases. The cases live in `live_cases/`, one file per spec section.
 *
 * @module
 */

import type { NetId } from "../../src/wire/netid.ts";
import { parseNetId } from "../../src/wire/netid.ts";
import { coverage } from "./coverage.ts";
import type { ExpectedFailure } from "./expected_failures.ts";
import { hex as hexOf, unhex } from "./hex.ts";
import { legacyLiveCodec, type LiveCodec, type LiveFrame } from "./live_codec.ts";
import { freeTcpPort, freeUdpPort, MulticastListener, Peer, sleep, WireLog } from "./live_net.ts";
import type { RunOutput, StartFailure } from "./offline.ts";
import { loadSpec, type Requirement, sectionOf, sortBySection } from "./spec_index.ts";
import { type CaseResult, type Outcome, type Status, SUITE_VERSION } from "./types.ts";
import { loadVectors } from "./vectors.ts";
import { decide } from "./verdict.ts";
import { collect, type LiveCase } from "./live_cases/common.ts";
import {
  badGarbage,
  badOtherLabel,
  badReplay,
  badStartByte,
  badTampered,
  badTruncated,
  badWrongKey,
  forwardReplacement,
  forwardTcp,
} from "./live_cases/receiving.ts";
import {
  forwardMulticastFirst,
  forwardNothingLeft,
  forwardRelayTakeover,
  multicastKeepOne,
} from "./live_cases/plan.ts";
import {
  streamCoalesced,
  streamEarlyReject,
  streamSplit,
  streamStalled,
} from "./live_cases/stream.ts";
import { multicastLearning } from "./live_cases/learning.ts";
import { sessionNonces } from "./live_cases/sessions.ts";
import { startPortInUse } from "./live_cases/interface.ts";
import { memoryBomb } from "./live_cases/decode_errors.ts";
import { memoryFlood } from "./live_cases/transport.ts";

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
  vectorsDir: string | URL;
  /** Spec directory. */
  specDir: string | URL;
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

/**
 * The live cases, in run order (one node serves them all, so the order is part of the suite:
 * the memory cases come last, `multicast.keep-one` after the node has learned).
 */
export function liveCases(): LiveCase[] {
  return [
    forwardTcp,
    forwardReplacement,
    forwardMulticastFirst,
    forwardNothingLeft,
    forwardRelayTakeover,
    streamCoalesced,
    streamSplit,
    streamStalled,
    streamEarlyReject,
    badGarbage,
    badStartByte,
    badWrongKey,
    badTampered,
    badTruncated,
    badOtherLabel,
    badReplay,
    multicastLearning,
    multicastKeepOne,
    sessionNonces,
    startPortInUse,
    memoryBomb,
    memoryFlood,
  ];
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

/** The node of one profile: where it listens and, in spawn mode, its process. */
interface NodeUnderTest {
  node: NetId;
  multicast: { group: string; port: number };
  child?: Deno.ChildProcess;
  /** Spawn mode: start a second node with the same environment. */
  spawnAgain?: () => Deno.ChildProcess;
  /** How the report names it. */
  implementation: string;
}

/** Start the node of `profile` (spawn mode: random port, group, key) or name the target. */
function nodeUnderTest(
  opts: LiveOptions,
  profile: string,
  keyHex: string,
  label: string,
): NodeUnderTest {
  if (!opts.spawn) {
    const [g, p] = (opts.multicast ?? "224.1.1.1:29999").split(":");
    return {
      node: parseNetId(opts.target!),
      multicast: { group: g, port: Number(p) },
      implementation: `${opts.target} (${profile})`,
    };
  }
  const node = { ip: "127.0.0.1", port: freeTcpPort() };
  const r = crypto.getRandomValues(new Uint8Array(2));
  const multicast = { group: `239.255.${r[0]}.${1 + (r[1] % 250)}`, port: freeUdpPort() };
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
  const spawnAgain = () =>
    new Deno.Command("sh", {
      args: ["-c", `exec ${command}`],
      env: spawnEnv,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
  const child = spawnAgain();
  return { node, multicast, child, spawnAgain, implementation: `${opts.spawn} (${profile})` };
}

/** The runner's codec for `profile`, or undefined when it has none. */
async function codecFor(
  profile: string,
  keyHex: string,
  label: string,
): Promise<LiveCodec | undefined> {
  if (profile === "legacy") return legacyLiveCodec(unhex(keyHex));
  const { liveCodecFor } = await import("./live_profiles.ts");
  return liveCodecFor(profile, unhex(keyHex), label);
}

/** Stop a spawned node (SIGTERM, SIGKILL after 2 s); its stderr. */
async function stopNode(child: Deno.ChildProcess, stderr: Promise<string>): Promise<string> {
  try {
    child.kill("SIGTERM");
  } catch { /* gone */ }
  const t = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 2000);
  await child.status;
  clearTimeout(t);
  return (await stderr).trim();
}

/** What the cases of one profile run against. */
interface ProfileRun {
  profile: string;
  selected: LiveCase[];
  nut: NodeUnderTest;
  codec: LiveCodec;
  /** The node accepted connections. */
  up: boolean;
  peers: Peer<LiveFrame>[];
  origin: Peer<LiveFrame>;
  mcast?: MulticastListener<LiveFrame>;
}

/** Run the selected cases of one profile in order, each with its own wire log. */
async function runCases(
  opts: LiveOptions,
  run: ProfileRun,
  spec: Map<string, Requirement>,
  results: CaseResult[],
): Promise<void> {
  const { profile, selected, nut, codec, up, peers, origin, mcast } = run;
  const { node } = nut;
  let seq = Math.floor(Date.now() / 1000) * 1000;
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
          pid: nut.child?.pid,
          multicast: nut.multicast,
          timeoutMs: opts.timeoutMs,
          maxRssGrowthKiB: Math.floor((opts.maxRssGrowthBytes ?? 256 * 1024 * 1024) / 1024),
          log,
          nodeIds: new Set(),
          seq: () => ++seq,
          origin,
          peers,
          mcast,
          spawnAgain: nut.spawnAgain,
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
}

/**
 * Run the live cases of one profile: start (or find) its node, open the runner's peers and
 * multicast listener, run the cases, stop the node. Returns why the node did not start, if so.
 */
async function runProfile(
  opts: LiveOptions,
  profile: string,
  selected: LiveCase[],
  spec: Map<string, Requirement>,
  results: CaseResult[],
  implementation: string[],
): Promise<StartFailure | undefined> {
  const keyHex = opts.spawn
    ? hexOf(crypto.getRandomValues(new Uint8Array(32)))
    : (opts.keyHex ?? LIVE_DEFAULT_KEY_HEX);
  const label = opts.label ?? `conformance-${hexOf(crypto.getRandomValues(new Uint8Array(4)))}`;
  const codec = await codecFor(profile, keyHex, label);
  if (!codec) {
    for (const c of selected) results.push(unsupportedResult(profile, c, spec));
    return undefined;
  }
  const nut = nodeUnderTest(opts, profile, keyHex, label);
  implementation.push(nut.implementation);
  const { node, multicast, child } = nut;
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
  let nodeStderr = "";
  try {
    await runCases(
      opts,
      { profile, selected, nut, codec, up, peers, origin, mcast },
      spec,
      results,
    );
  } finally {
    await Promise.all([...peers, origin].map((p) => p.close()));
    await mcast?.close();
    if (child) {
      const err = await stopNode(child, stderr);
      if (err && !up) results.at(-1)!.detail += `; node stderr: ${err.slice(-500)}`;
      nodeStderr = err;
    }
  }
  if (up) return undefined;
  return {
    detail: `the node (${profile}) does not accept connections at ${node.ip}:${node.port}`,
    stderr: nodeStderr.slice(-4096),
  };
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
    const failure = await runProfile(opts, profile, selected, spec, results, implementation);
    startFailure ??= failure;
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
  spec: Map<string, Requirement>,
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
