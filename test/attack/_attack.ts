/**
 * Helpers of the attack suite: a victim node among legitimate peers on loopback, a legitimate
 * broadcaster that checks every TCP-sent message arrives, raw attacker sockets, frames crafted
 * with the cluster's key (a key holder), and resident-memory readings.
 */
import assert from "node:assert/strict";
import type { ChatterNode, NodeOptions } from "../../mod.ts";
import { createCodec } from "../../src/node/codecs.ts";
import type { FrameCodec } from "../../src/node/frame_codec.ts";
import { resolveNodeOptions } from "../../src/node/options.ts";
import type { Gossip } from "../../src/wire/gossip.ts";
import type { OutgoingRecord, Profile } from "../../src/wire/message.ts";
import type { BroadcastId, NetId } from "../../src/wire/netid.ts";
import { typeTag } from "../../src/wire/xxhash32.ts";
import { type NetCluster, netCluster, send, waitFor } from "../node/_net_cluster.ts";

export { waitFor };

/** Resident memory of this process, MiB. */
export function rssMiB(): number {
  return Deno.memoryUsage().rss / (1 << 20);
}

/** Sleep `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A victim node (index 1) and a legitimate peer (index 0) on loopback, TCP only; `victim`
 * options apply to the victim only (cast: options unknown to an older node are ignored).
 */
export async function victimCluster(
  victim: Record<string, unknown> = {},
  n = 2,
): Promise<NetCluster> {
  const c = await netCluster(1, { multicast: false });
  try {
    const more = await netCluster(
      n - 1,
      { multicast: false, ...victim, key: c.key } as NodeOptions,
    );
    c.nodes.push(...more.nodes);
    c.ids.push(...more.ids);
    c.got.push(...more.got);
    return c;
  } catch (e) {
    await c.close();
    throw e;
  }
}

/**
 * The legitimate peer 0 broadcasts to the victim (1) every `everyMs` while `run` is on; `check`
 * waits for every message sent so far and asserts each arrived exactly as sent.
 */
export function legitTraffic(c: NetCluster, everyMs = 50): {
  stop(): Promise<void>;
  check(what: string): Promise<void>;
  sent: string[];
} {
  const sent: string[] = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      sent.push(send(c, 0, [c.ids[1]]));
      await sleep(everyMs);
    }
  })();
  const check = async (what: string) => {
    const ids = [...sent];
    await waitFor(
      () => ids.every((id) => c.got[1].has(id)),
      `${what}: all ${ids.length} legitimate messages delivered (missing ${
        ids.filter((id) => !c.got[1].has(id)).length
      })`,
      10_000,
    );
  };
  return {
    sent,
    check,
    async stop() {
      on = false;
      await loop;
    },
  };
}

/** A codec sealing with the cluster's key: what a key holder (or a forger, for legacy) can do. */
export function keyHolderCodec(key: string, profile: Profile = "v2"): FrameCodec {
  let seq = Date.now() * 1024;
  const o = resolveNodeOptions({ address: "127.0.0.1", port: 0, key, profile });
  return createCodec(o, () => ++seq, profile);
}

/** A record of the test clusters' `test.msg` JSON type from `origin`. */
export function testRecord(origin: BroadcastId, id: string): OutgoingRecord {
  return {
    typeTag: typeTag("test.msg"),
    origin,
    payload: new TextEncoder().encode(JSON.stringify({ id })),
  };
}

/**
 * One frame of `records` under `gossip` sealed by `codec` (large frames allowed), for TCP to
 * `to` (a v2 TCP frame is bound to its receiver, spec/wire.md R-V2-BIND-001).
 */
export function craft(
  codec: FrameCodec,
  gossip: Gossip,
  records: OutgoingRecord[],
  to: NetId,
): Uint8Array {
  const frames = codec.encode(gossip, records, { maxFrameBytes: 1 << 20, maxRecords: 4096, to });
  assert.equal(frames.length, 1, "crafted one frame");
  return frames[0];
}

/** A bare gossip from `current`. */
export function gossipFrom(current: BroadcastId, more: Partial<Gossip> = {}): Gossip {
  return { current, seen: [], other: [], distribution: [], ...more };
}

/** Open a raw TCP connection to `to`, write `bytes` and return it (the caller closes it). */
export async function rawConnect(to: NetId, bytes?: Uint8Array): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: to.port });
  if (bytes) await writeAll(conn, bytes);
  return conn;
}

/** Write all of `bytes`; false when the peer closed the connection. */
export async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<boolean> {
  try {
    let off = 0;
    while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    return true;
  } catch {
    return false;
  }
}

/** Close every connection, ignoring the ones already closed. */
export function closeAll(conns: Iterable<Deno.TcpConn>): void {
  for (const c of conns) {
    try {
      c.close();
    } catch { /* closed */ }
  }
}

/** The victim's intake counters (undefined fields read as 0 on a node without them). */
export function intake(node: ChatterNode): Record<string, number> {
  return (node.stats().transport as unknown as { intake?: Record<string, number> }).intake ?? {};
}

/** The victim's receive-limit counters (see `stats().limits`). */
export function limits(node: ChatterNode): Record<string, number> {
  return (node.stats() as unknown as { limits?: Record<string, number> }).limits ?? {};
}

/** Samples resident memory every 25 ms until stopped; `peak` is the largest reading (MiB). */
export function rssSampler(): { readonly base: number; readonly peak: number; stop(): void } {
  const base = rssMiB();
  let peak = base;
  const t = setInterval(() => peak = Math.max(peak, rssMiB()), 25);
  return {
    base,
    get peak() {
      return Math.max(peak, rssMiB());
    },
    stop: () => clearInterval(t),
  };
}

/** True when the peer closes `conn` (EOF or reset) within `ms`. */
export async function closedWithin(conn: Deno.TcpConn, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const buf = new Uint8Array(64);
  const read = (async () => {
    try {
      for (;;) if (await conn.read(buf) === null) return true;
    } catch {
      return true;
    }
  })();
  const late = new Promise<boolean>((r) => timer = setTimeout(() => r(false), ms));
  try {
    return await Promise.race([read, late]);
  } finally {
    clearTimeout(timer);
  }
}
