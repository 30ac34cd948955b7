/**
 * The runner's own sockets for live mode: peers that listen on TCP and record the frames a
 * node sends them, connections that send bytes to the node and notice when it closes them,
 * a multicast sender and listener, and memory sampling of a local node process.
 *
 * @module
 */

import { FrameReader } from "../../src/wire/frame_reader.ts";
import type { NetId } from "../../src/wire/netid.ts";
import { hex } from "./hex.ts";
import type { WireLogEntry } from "./types.ts";

/** A wire log shared by the sockets of one case. */
export class WireLog {
  readonly entries: WireLogEntry[] = [];
  readonly #t0 = performance.now();
  /** Record bytes sent (`>`) or received (`<`) on the named socket. */
  bytes(dir: ">" | "<", who: string, b: Uint8Array): void {
    const h = b.length > 4096 ? hex(b.subarray(0, 4096)) + `...(${b.length} bytes)` : hex(b);
    this.entries.push({ t: this.#ms(), dir, data: `${who} ${h}` });
  }
  /** Record a note. */
  note(text: string): void {
    this.entries.push({ t: this.#ms(), dir: "#", data: text });
  }
  #ms(): number {
    return Math.round(performance.now() - this.#t0);
  }
}

/** A frame a runner peer received, decoded by the case's codec (or the error). */
export interface Received<D> {
  /** Receiving peer's label. */
  peer: string;
  /** The raw frame. */
  frame: Uint8Array;
  /** Decoded content, when it decoded. */
  decoded?: D;
  /** Decode error text, when it did not. */
  error?: string;
}

/** Wait until `pred()` holds or `ms` pass; returns whether it held. */
export async function waitFor(pred: () => boolean, ms: number, stepMs = 10): Promise<boolean> {
  const end = performance.now() + ms;
  while (!pred()) {
    if (performance.now() >= end) return false;
    await sleep(stepMs);
  }
  return true;
}

/** Sleep `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A runner-owned peer: a TCP listener on loopback that records every frame sent to it. */
export class Peer<D> {
  readonly id: NetId;
  readonly label: string;
  readonly received: Received<D>[] = [];
  readonly #listener: Deno.TcpListener;
  readonly #conns = new Set<Deno.TcpConn>();
  readonly #tasks: Promise<void>[] = [];
  #log: WireLog;
  readonly #decode: (f: Uint8Array, at: NetId) => D;

  private constructor(
    l: Deno.TcpListener,
    label: string,
    log: WireLog,
    decode: (f: Uint8Array, at: NetId) => D,
  ) {
    this.#listener = l;
    this.label = label;
    this.#log = log;
    this.#decode = decode;
    const a = l.addr as Deno.NetAddr;
    this.id = { ip: a.hostname, port: a.port };
    this.#tasks.push(this.#accept());
  }

  /** Listen on 127.0.0.1 at a free port. */
  static open<D>(
    label: string,
    log: WireLog,
    decode: (f: Uint8Array, at: NetId) => D,
  ): Peer<D> {
    return new Peer(Deno.listen({ hostname: "127.0.0.1", port: 0 }), label, log, decode);
  }

  /** Send later records to another log (the peer outlives one case). */
  setLog(log: WireLog): void {
    this.#log = log;
  }

  async #accept(): Promise<void> {
    try {
      for await (const c of this.#listener) {
        this.#conns.add(c);
        this.#tasks.push(this.#read(c));
      }
    } catch { /* closed */ }
  }

  async #read(c: Deno.TcpConn): Promise<void> {
    const reader = new FrameReader();
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await c.read(buf);
        if (n === null) break;
        const chunk = buf.slice(0, n);
        this.#log.bytes("<", this.label, chunk);
        for (const f of reader.push(chunk)) {
          try {
            this.received.push({ peer: this.label, frame: f, decoded: this.#decode(f, this.id) });
          } catch (e) {
            this.received.push({ peer: this.label, frame: f, error: (e as Error).message });
          }
        }
      }
    } catch (e) {
      this.#log.note(`${this.label}: stream from the node failed: ${(e as Error).message}`);
    } finally {
      this.#conns.delete(c);
      try {
        c.close();
      } catch { /* closed */ }
    }
  }

  /** Stop listening and close every connection. */
  async close(): Promise<void> {
    try {
      this.#listener.close();
    } catch { /* closed */ }
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await Promise.allSettled(this.#tasks);
  }
}

/** A connection from the runner to the node. */
export class Sender {
  readonly #conn: Deno.TcpConn;
  readonly #log: WireLog;
  readonly #label: string;
  #closedByPeer = false;
  #closed = false;
  readonly #reading: Promise<void>;

  private constructor(conn: Deno.TcpConn, log: WireLog, label: string) {
    this.#conn = conn;
    this.#log = log;
    this.#label = label;
    this.#reading = this.#watch();
  }

  /** Connect to the node. */
  static async open(target: NetId, log: WireLog, label = "conn"): Promise<Sender> {
    const c = await Deno.connect({ hostname: target.ip, port: target.port });
    return new Sender(c, log, label);
  }

  async #watch(): Promise<void> {
    const buf = new Uint8Array(4096);
    try {
      for (;;) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        this.#log.bytes("<", this.#label, buf.subarray(0, n));
      }
    } catch { /* reset counts as closed */ }
    if (!this.#closed) {
      this.#closedByPeer = true;
      this.#log.note(`${this.#label}: closed by the node`);
    }
  }

  /** Whether the node closed this connection. */
  get closedByPeer(): boolean {
    return this.#closedByPeer;
  }

  /** Write all of `b` (conn.write may take part of it). Returns false if the write failed. */
  async write(b: Uint8Array): Promise<boolean> {
    this.#log.bytes(">", this.#label, b);
    try {
      let o = 0;
      while (o < b.length) o += await this.#conn.write(b.subarray(o));
      return true;
    } catch (e) {
      this.#log.note(`${this.#label}: write failed: ${(e as Error).message}`);
      return false;
    }
  }

  /** Close (if still open) and wait for the watcher. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch { /* closed by the node */ }
    }
    await this.#reading;
  }
}

/** A UDP socket on 127.0.0.1 that sends datagrams to a multicast group. */
export class MulticastSender {
  readonly #sock: Deno.DatagramConn;
  readonly #log: WireLog;
  readonly #to: Deno.NetAddr;

  constructor(group: string, port: number, log: WireLog) {
    this.#sock = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
    this.#log = log;
    this.#to = { transport: "udp", hostname: group, port };
  }

  /** Send one datagram. */
  async send(b: Uint8Array, label = "mcast"): Promise<void> {
    this.#log.bytes(">", label, b);
    await this.#sock.send(b, this.#to);
  }

  /** Close the socket. */
  close(): void {
    this.#sock.close();
  }
}

/** Resident memory (KiB) of a process and its descendants, from /proc (Linux); undefined elsewhere. */
export function treeRssKiB(pid: number): number | undefined {
  try {
    let total = 0;
    const stack = [pid];
    const seen = new Set<number>();
    while (stack.length) {
      const p = stack.pop()!;
      if (seen.has(p)) continue;
      seen.add(p);
      const status = Deno.readTextFileSync(`/proc/${p}/status`);
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
      if (m) total += Number(m[1]);
      for (const t of Deno.readDirSync(`/proc/${p}/task`)) {
        try {
          const kids = Deno.readTextFileSync(`/proc/${p}/task/${t.name}/children`).trim();
          if (kids) stack.push(...kids.split(/\s+/).map(Number));
        } catch { /* thread gone */ }
      }
    }
    return total;
  } catch {
    return undefined;
  }
}

/** Samples a process tree's RSS every `everyMs` until stopped; reports baseline and peak. */
export class MemorySampler {
  readonly #pid: number;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly before: number | undefined;
  peak = 0;

  constructor(pid: number, everyMs = 25) {
    this.#pid = pid;
    this.before = treeRssKiB(pid);
    this.peak = this.before ?? 0;
    this.#timer = setInterval(() => {
      const r = treeRssKiB(this.#pid);
      if (r !== undefined && r > this.peak) this.peak = r;
    }, everyMs);
  }

  /** Stop sampling; returns `{beforeKiB, peakKiB, afterKiB}`. */
  stop(): { beforeKiB?: number; peakKiB: number; afterKiB?: number } {
    clearInterval(this.#timer);
    const after = treeRssKiB(this.#pid);
    if (after !== undefined && after > this.peak) this.peak = after;
    return { beforeKiB: this.before, peakKiB: this.peak, afterKiB: after };
  }
}

/** A free TCP port on 127.0.0.1 (bound then released; small race accepted). */
export function freeTcpPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const p = (l.addr as Deno.NetAddr).port;
  l.close();
  return p;
}

/** A free UDP port (bound then released). */
export function freeUdpPort(): number {
  const s = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
  const p = (s.addr as Deno.NetAddr).port;
  s.close();
  return p;
}

/** A UDP socket that joins the node's multicast group on loopback and records what arrives. */
export class MulticastListener<D> {
  readonly received: Received<D>[] = [];
  readonly #sock: Deno.DatagramConn;
  readonly #task: Promise<void>;
  #log: WireLog;

  private constructor(sock: Deno.DatagramConn, log: WireLog, decode: (f: Uint8Array) => D) {
    this.#sock = sock;
    this.#log = log;
    this.#task = this.#loop(decode);
  }

  async #loop(decode: (f: Uint8Array) => D): Promise<void> {
    try {
      for (;;) {
        const [b] = await this.#sock.receive();
        this.#log.bytes("<", "mcast-in", b);
        try {
          this.received.push({ peer: "multicast", frame: b, decoded: decode(b) });
        } catch (e) {
          this.received.push({ peer: "multicast", frame: b, error: (e as Error).message });
        }
      }
    } catch { /* closed */ }
  }

  /** Join `group` on 127.0.0.1 at `port` (address reuse, so the node can bind it too). */
  static async open<D>(
    group: string,
    port: number,
    log: WireLog,
    decode: (f: Uint8Array) => D,
  ): Promise<MulticastListener<D>> {
    const sock = Deno.listenDatagram({
      hostname: "0.0.0.0",
      port,
      transport: "udp",
      reuseAddress: true,
    });
    await sock.joinMulticastV4(group, "127.0.0.1");
    return new MulticastListener(sock, log, decode);
  }

  /** Send later records to another log. */
  setLog(log: WireLog): void {
    this.#log = log;
  }

  /** Leave and close. */
  async close(): Promise<void> {
    try {
      this.#sock.close();
    } catch { /* closed */ }
    await this.#task;
  }
}
