/**
 * Payloads of the node's own control records (`chatter.sys.*` message types): heartbeats
 * (with a bounded digest of peers and how long ago each was heard), probes and their acks.
 * A small fixed binary layout, independent of the frame's NetID table, so the records can be
 * carried unchanged by either profile. Laid out in spec/node.md, section "Liveness".
 *
 * @module
 */

import { formatIp, type NetId, parseIp } from "../wire/netid.ts";
import { typeTag } from "../wire/xxhash32.ts";

/** Name of the heartbeat record type. [R-NODE-LIVE-001] */
export const SYS_HEARTBEAT = "chatter.sys.heartbeat";
/** Name of the probe record type (direct or indirect ping). [R-NODE-LIVE-004] */
export const SYS_PING = "chatter.sys.ping";
/** Name of the probe answer record type. [R-NODE-LIVE-004] */
export const SYS_ACK = "chatter.sys.ack";

/** Wire tags of the control record types. */
export const SYS_TAGS: { heartbeat: number; ping: number; ack: number } = {
  heartbeat: typeTag(SYS_HEARTBEAT),
  ping: typeTag(SYS_PING),
  ack: typeTag(SYS_ACK),
};

/** Heartbeat flag: the sender is leaving (clean close). */
export const HB_LEAVE = 1;
/** Heartbeat flag: the sender asks for a peer list in return (joining via a seed). */
export const HB_WANT_PEERS = 2;
/** Heartbeat flag: this heartbeat answers a `HB_WANT_PEERS` one (never answered again). */
export const HB_REPLY = 4;

/**
 * One digest entry: a peer, the newest heartbeat stamp the sender knows from it, and whether
 * it left. Stamps are the origin's own clock in ms modulo 2^32, compared only with stamps of the
 * same origin (serial-number arithmetic), so no clocks need to agree and relaying adds no
 * drift.
 */
export interface DigestEntry {
  /** The peer. */
  id: NetId;
  /** The peer's stamp of its newest heartbeat the sender knows (u32). */
  stamp: number;
  /** True when the peer announced that it left. */
  left: boolean;
}

/** A decoded heartbeat payload. */
export interface Heartbeat {
  /** `HB_*` flags. */
  flags: number;
  /** The sender's incarnation: changes when the node restarts. */
  incarnation: number;
  /** The sender's stamp: its clock in ms modulo 2^32. */
  stamp: number;
  /** Peers the sender vouches for. */
  digest: DigestEntry[];
}

/** A decoded probe (ping) or ack payload. */
export interface Probe {
  /** Matches an ack to its ping. */
  nonce: number;
  /** The node probed: the receiver itself (direct) or the one to probe for the sender. */
  target: NetId;
}

class Out {
  b: number[] = [];
  u8(x: number) {
    this.b.push(x & 0xff);
  }
  u16(x: number) {
    this.b.push((x >>> 8) & 0xff, x & 0xff);
  }
  u32(x: number) {
    this.b.push((x >>> 24) & 0xff, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff);
  }
  id(n: NetId) {
    const ip = parseIp(n.ip);
    this.u8(ip.length);
    for (const x of ip) this.u8(x);
    this.u16(n.port);
  }
  done(): Uint8Array {
    return Uint8Array.from(this.b);
  }
}

class In {
  at = 0;
  constructor(readonly b: Uint8Array) {}
  need(n: number) {
    if (this.at + n > this.b.length) throw new RangeError("control record truncated");
  }
  u8(): number {
    this.need(1);
    return this.b[this.at++];
  }
  u16(): number {
    this.need(2);
    const x = (this.b[this.at] << 8) | this.b[this.at + 1];
    this.at += 2;
    return x;
  }
  u32(): number {
    this.need(4);
    const x = ((this.b[this.at] << 24) | (this.b[this.at + 1] << 16) |
      (this.b[this.at + 2] << 8) | this.b[this.at + 3]) >>> 0;
    this.at += 4;
    return x;
  }
  id(): NetId {
    const len = this.u8();
    if (len !== 4 && len !== 16) throw new RangeError(`bad address length ${len}`);
    this.need(len);
    const ip = formatIp(this.b.subarray(this.at, this.at + len));
    this.at += len;
    return { ip, port: this.u16() };
  }
  end() {
    if (this.at !== this.b.length) throw new RangeError("trailing bytes in control record");
  }
}

/** Most digest entries a heartbeat carries. [R-NODE-LIVE-002] */
export const MAX_DIGEST = 32;

/**
 * Encode a heartbeat: version 1, flags, incarnation (u32), stamp (u32), entry count, then per
 * entry the address (length-prefixed bytes), port (u16), stamp (u32) and a left flag (u8).
 */
export function encodeHeartbeat(h: Heartbeat): Uint8Array {
  const o = new Out();
  o.u8(1);
  o.u8(h.flags);
  o.u32(h.incarnation >>> 0);
  o.u32(h.stamp >>> 0);
  const n = Math.min(h.digest.length, MAX_DIGEST);
  o.u8(n);
  for (let i = 0; i < n; i++) {
    const e = h.digest[i];
    o.id(e.id);
    o.u32(e.stamp >>> 0);
    o.u8(e.left ? 1 : 0);
  }
  return o.done();
}

/** Decode a heartbeat; throws a `RangeError` on bad bytes. See {@linkcode encodeHeartbeat}. */
export function decodeHeartbeat(b: Uint8Array): Heartbeat {
  const r = new In(b);
  const v = r.u8();
  if (v !== 1) throw new RangeError(`heartbeat version ${v}`);
  const flags = r.u8();
  const incarnation = r.u32();
  const stamp = r.u32();
  const n = r.u8();
  if (n > MAX_DIGEST) throw new RangeError(`heartbeat digest of ${n} entries`);
  const digest: DigestEntry[] = [];
  for (let i = 0; i < n; i++) {
    const id = r.id();
    const stamp = r.u32();
    digest.push({ id, stamp, left: r.u8() === 1 });
  }
  r.end();
  return { flags, incarnation, stamp, digest };
}

/**
 * Encode a ping or ack: nonce (u32) and target address.
 */
export function encodeProbe(p: Probe): Uint8Array {
  const o = new Out();
  o.u32(p.nonce >>> 0);
  o.id(p.target);
  return o.done();
}

/** Decode a ping or ack; throws a `RangeError` on bad bytes. */
export function decodeProbe(b: Uint8Array): Probe {
  const r = new In(b);
  const nonce = r.u32();
  const target = r.id();
  r.end();
  return { nonce, target };
}

/**
 * True when stamp `a` is newer than `b` (serial-number arithmetic on u32, RFC 1982).
 */
export function stampNewer(a: number, b: number): boolean {
  const d = (a - b) >>> 0;
  return d !== 0 && d < 0x8000_0000;
}
