/**
 * A node's send path: a broadcast is checked and encoded at once, queued by destination set
 * (broadcasts made together share frames), and flushed after the current task: multicast
 * first, then the logarithmic TCP tree of shares, each share's relay taking over a failed
 * send. Control records (heartbeats, probes, acks, repairs) go out by the same encoder, as one
 * multicast frame or straight to one node by TCP. [R-NODE-SEND-*], [R-NODE-PLAN-*],
 * [R-NODE-SCALE-*] Internal: not exported by the package.
 *
 * @module
 */

import { ChatterError, NodeClosedError } from "../errors.ts";
import type { Gossip } from "../wire/gossip.ts";
import type { OutgoingRecord } from "../wire/message.ts";
import type { BroadcastId, NetId } from "../wire/netid.ts";
import type { Delivery } from "./delivery.ts";
import { ALL_PEERS, DestinationResolver } from "./destinations.ts";
import { domainsRecord } from "./domains.ts";
import { checkLegacyBroadcast } from "./legacy_interop.ts";
import type { SysRecord } from "./liveness.ts";
import { dedupFor, type NodeCore, type OutRec, type Registered } from "./node_core.ts";
import { maxPayloadBytes, prepareValue } from "./outgoing.ts";
import { planBroadcast, takeOver, type TcpSend } from "./plan.ts";
import { maxShareFor } from "./share_limits.ts";

/** The send path of one node. */
export class SendPath {
  readonly #c: NodeCore;
  readonly #delivery: Delivery;
  readonly #dests: DestinationResolver;
  readonly #pending = new Map<string, { dests: NetId[]; recs: OutRec[] }>();
  #flushScheduled = false;

  /** The send path of the node of `core`; broadcasts to itself go to `delivery`. */
  constructor(core: NodeCore, delivery: Delivery) {
    this.#c = core;
    this.#delivery = delivery;
    this.#dests = new DestinationResolver(core.id);
  }

  /**
   * Broadcast `value` of `reg` to `destinations` (or every live peer): encoded now (throws
   * `EncodeError`, `NodeOptionError` for a bad destination, `NodeClosedError`), delivered here
   * too when this node is a destination, queued for the flush after the current task.
   * [R-NODE-SEND-001]
   */
  broadcast(
    reg: Registered,
    destinations: Iterable<NetId | string> | typeof ALL_PEERS,
    value: unknown,
  ): BroadcastId {
    const c = this.#c;
    if (c.closed) throw new NodeClosedError("broadcast");
    if (destinations === ALL_PEERS) destinations = c.live.alive();
    const { dests, key, toSelf } = this.#dests.resolve(destinations);
    const prepared = prepareValue(
      reg.type,
      value,
      c.id,
      (extra) => maxPayloadBytes(c.o.limits, c.o, dests.length, extra),
    );
    const typeName = reg.type.typeName;
    const origin: BroadcastId = { ip: c.id.ip, port: c.id.port, seqno: c.nextSeq() };
    // What no 0.0.15 node could read fails here. [R-NODE-LEGACY-004], [R-NODE-LEGACY-006]
    if (c.profile === "legacy") this.#checkLegacy(reg, value, origin, prepared);
    c.s.broadcasts++;
    if (toSelf) {
      if (c.o.dedup) dedupFor(c, c.profile).check(origin);
      this.#delivery.deliver(reg, value, {
        typeName,
        origin,
        sender: c.id,
        transport: "local",
        authenticated: true,
      });
    }
    if (dests.length === 0) {
      c.rel?.confirmedAtOnce(origin.seqno);
      return origin;
    }
    const rec: OutRec = prepared.bytes
      ? { tag: reg.tag, origin, raw: prepared.bytes, extraNetIds: prepared.extraNetIds }
      : { tag: reg.tag, origin, reg, value, extraNetIds: prepared.extraNetIds };
    // Reliable delivery tracks it; flow control may hold it back. [R-NODE-REL-001], [R-NODE-REL-008]
    if (c.rel && c.rel.admit(rec, dests, key) !== "send") return origin;
    this.enqueue(dests, key, [rec]);
    return origin;
  }

  /** Queue records for `dests` (set key `key`); they go out after the current task. */
  enqueue(dests: NetId[], key: string, recs: OutRec[]): void {
    let p = this.#pending.get(key);
    if (!p) this.#pending.set(key, p = { dests, recs: [] });
    for (const r of recs) p.recs.push(r);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #checkLegacy(
    reg: Registered,
    value: unknown,
    origin: BroadcastId,
    prepared: { bytes?: Uint8Array; extraNetIds?: NetId[] },
  ): void {
    const c = this.#c;
    checkLegacyBroadcast({
      ...prepared,
      codec: c.codec,
      origin,
      seen: c.db.seenIds(),
      other: c.db.otherIds(),
      type: reg.type,
      tag: reg.tag,
      value,
      maxDatagramBytes: c.o.multicast ? c.transport.maxDatagramBytes : undefined,
    });
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#c.closed) return;
    for (const [k, p] of this.#pending) {
      this.#pending.delete(k);
      this.send(p.dests, p.recs);
    }
  }

  #outgoing(recs: OutRec[]): OutgoingRecord[] {
    return recs.map((r) => {
      if (r.raw || !r.reg) {
        return { typeTag: r.tag, origin: r.origin, payload: r.raw!, extraNetIds: r.extraNetIds };
      }
      const t = r.reg.type;
      const v = r.value;
      return {
        typeTag: r.tag,
        origin: r.origin,
        payload: (table) => t.encode(v, table),
        extraNetIds: r.extraNetIds ?? t.extractNetIds?.(v),
      };
    });
  }

  /**
   * A frame's gossip header from this node (a new frame sequence number), with no list; a frame
   * bound to one receiver `to` names it first among the seen IDs when we hear it.
   * [R-NODE-SCALE-010]
   */
  #header(to?: NetId): Gossip {
    const c = this.#c;
    return {
      current: { ip: c.id.ip, port: c.id.port, seqno: c.nextSeq() },
      seen: to ? c.db.seenIdsFor(to) : c.db.seenIds(),
      other: c.db.otherIds(),
      distribution: [],
    };
  }

  /**
   * Send records to destinations: multicast first, then the TCP tree. [R-NODE-PLAN-*]
   * `relayNew` is set for a relay's forward: whether any record arrived new by TCP (a relay
   * whose records its domain already heard does not multicast them again). [R-NODE-SCALE-003]
   * `keep` false: a relay whose unit its sender marked keeps no TCP copy. [R-NODE-SCALE-007]
   */
  send(dests: readonly NetId[], recs: OutRec[], relayNew?: boolean, keep = true): void {
    const c = this.#c;
    const o = c.o;
    let mc = o.multicast;
    // A relay multicasts only records that were new to it: if it had them already (by a
    // domain-mate's multicast), its domain has heard them. [R-NODE-SCALE-003]
    if (mc && relayNew !== undefined) mc = relayNew;
    const out = this.#outgoing(recs);
    const base = this.#header();
    // No list longer than the receiver's table and list limits allow. [R-NODE-SCALE-002]
    // And none longer than receivers accept (maxDistribution). [R-NODE-AMP-001]
    // Domain facts (v2): a share's record names the relay too, a multicast one 16 nodes; and
    // the relay may be among the share frame's seen IDs (R-NODE-SCALE-010): one entry more.
    const facts = c.profile === "v2";
    const maxShare = Math.min(
      maxShareFor(o.limits, base, out) - 1,
      o.maxDistribution,
    );
    const plan = planBroadcast(c.id, dests, c.db, o.random, {
      multicast: mc,
      maxShare: Math.max(0, maxShare),
      keep,
    });
    if (!plan.multicast && plan.tcp.length === 0) return;
    const { fits, tcpOnly } = plan.multicast
      ? this.#multicast(base, out, facts)
      : { fits: [], tcpOnly: out };
    this.#sendPlan(plan.multicast ? plan.tcp : [], base, fits, maxShare);
    if (tcpOnly.length > 0) {
      const all = plan.multicast
        ? planBroadcast(c.id, dests, c.db, o.random, {
          multicast: false,
          maxShare: Math.max(0, maxShare),
        }).tcp
        : plan.tcp;
      this.#sendPlan(all, base, tcpOnly, maxShare);
    }
  }

  /**
   * Multicast `out` (with this domain's group, v2); returns the records sent (`fits`) and those
   * that do not fit one datagram: they keep every destination on TCP. [R-NODE-SCALE-001]
   */
  #multicast(
    base: Gossip,
    out: OutgoingRecord[],
    facts: boolean,
  ): { fits: OutgoingRecord[]; tcpOnly: OutgoingRecord[] } {
    const c = this.#c;
    const max = c.transport.maxDatagramBytes;
    // Our domain group rides along on multicast: domain-mates learn each other from it
    // without pairwise evidence. [R-NODE-SCALE-004]
    const own = facts ? c.db.ownGroup() : [];
    const withFacts = (rs: OutgoingRecord[]) =>
      rs.length > 0 && own.length > 1
        ? [
          ...rs,
          domainsRecord(base.current, this.#fitGroups([own], c.db.gossipGroups(1), base, rs, 0)),
        ]
        : rs;
    const frames = this.#encode(base, withFacts(out), max);
    let fits = out;
    const tcpOnly: OutgoingRecord[] = [];
    if (frames.some((f) => f.length > max)) {
      // Which records do not fit one datagram. [R-NODE-SCALE-001]
      fits = [];
      for (const r of out) {
        const alone = this.#encode(base, [r], max);
        if (alone.some((f) => f.length > max)) tcpOnly.push(r);
        else fits.push(r);
      }
      c.s.multicastTooLarge += tcpOnly.length;
      for (const f of this.#encode(base, withFacts(fits), max)) c.transport.sendMulticast(f);
    } else for (const f of frames) c.transport.sendMulticast(f);
    c.live.dataSent();
    return { fits, tcpOnly };
  }

  /**
   * `must` groups, then as many of `extra` as the receiver's table limit leaves room for (their
   * members may be new table entries). [R-NODE-SCALE-002], [R-NODE-SCALE-004]
   */
  #fitGroups(
    must: NetId[][],
    extra: NetId[][],
    base: Gossip,
    out: OutgoingRecord[],
    listed: number,
  ): NetId[][] {
    const limits = this.#c.o.limits;
    let room = limits.maxTableEntries - listed -
      (limits.maxTableEntries - maxShareFor(limits, base, out));
    for (const g of must) room -= g.length - (listed > 0 ? g.length - 1 : 0);
    const groups = must.filter((g) => g.length > 1);
    for (const g of extra) {
      if (g.length > room) break;
      room -= g.length;
      groups.push(g);
    }
    return room >= 0 ? groups : [];
  }

  /** Send each share of a plan; none when even a leaf frame is over the limits. */
  #sendPlan(tcp: TcpSend[], base: Gossip, out: OutgoingRecord[], maxShare: number): void {
    if (out.length === 0) return;
    const c = this.#c;
    // One budget of relay take-overs for all the shares of this send. [R-NODE-AMP-003]
    const takeovers = { left: c.o.maxRelayTakeovers };
    for (const s of tcp) {
      if (maxShare < 0) this.#shareUnsent(s, maxShare);
      else {
        c.relayLog.add(c.id, s.to, out[0]?.origin, s.distribution.length, c.o.clock.now());
        this.#sendTcp(s, base, out, takeovers);
      }
    }
  }

  /** Send control records (heartbeats, probes) in one frame: by multicast, or by TCP to `to`. */
  sendSys(to: NetId | undefined, recs: SysRecord[]): boolean {
    const c = this.#c;
    if (c.closed) return false;
    const out: OutgoingRecord[] = recs.map((r) => ({
      typeTag: r.tag,
      origin: { ip: c.id.ip, port: c.id.port, seqno: c.nextSeq() },
      payload: r.payload,
    }));
    const g = this.#header(to);
    let ok = false;
    if (to === undefined) {
      if (!c.o.multicast) return false;
      for (const f of this.#encode(g, out, c.transport.maxDatagramBytes)) {
        if (f.length > c.transport.maxDatagramBytes) c.s.multicastTooLarge++;
        else ok = c.transport.sendMulticast(f) || ok;
      }
    } else {
      for (const f of this.#encode(g, out, c.o.maxTcpFrameBytes, to)) {
        ok = this.#tcp(to, f) || ok;
      }
    }
    return ok;
  }

  #shareUnsent(s: TcpSend, maxShare: number): void {
    const c = this.#c;
    c.s.sharesUnsent++;
    if (!c.events.has("shareUnsent")) return;
    c.events.emit("shareUnsent", {
      to: s.to,
      nodes: s.distribution.length + 1,
      error: new ChatterError(
        "SHARE_TOO_LARGE",
        `a frame to ${s.to.ip}:${s.to.port} would need ${-maxShare} NetID table entries more ` +
          `than the receiver's limit allows, even without a distribution list`,
      ),
    });
  }

  /** Records straight to one node by TCP, with no distribution list (repairs, control). */
  sendDirect(to: NetId, recs: OutRec[], onFail?: () => void): { frames: number; bytes: number } {
    const c = this.#c;
    if (c.closed) return { frames: 0, bytes: 0 };
    const out = this.#outgoing(recs);
    // Pending acknowledgements for `to` ride along. [R-NODE-REL-014]
    const acks = c.rel?.carry(to);
    if (acks) { for (const a of acks) out.push(a); }
    const frames = this.#encode(
      this.#header(to),
      out,
      c.o.maxTcpFrameBytes,
      to, // bound to its one receiver [R-V2-BIND-001]
    );
    let bytes = 0;
    for (const f of frames) {
      bytes += f.length;
      this.#tcp(to, f, onFail);
    }
    return { frames: frames.length, bytes };
  }

  /**
   * Records in multicast frames of their own, with no domain facts (repairs by multicast,
   * R-NODE-REL-020); nothing when multicast is off. Frames over the datagram limit are not
   * sent (counted in `multicastTooLarge`).
   */
  sendMulticastRecords(recs: OutRec[]): { frames: number; bytes: number } {
    const c = this.#c;
    if (c.closed || !c.o.multicast) return { frames: 0, bytes: 0 };
    const max = c.transport.maxDatagramBytes;
    let frames = 0, bytes = 0;
    for (const f of this.#encode(this.#header(), this.#outgoing(recs), max)) {
      if (f.length > max) {
        c.s.multicastTooLarge++;
        continue;
      }
      if (c.transport.sendMulticast(f)) {
        frames++;
        bytes += f.length;
      }
    }
    return { frames, bytes };
  }

  /**
   * Records by TCP to `to` with `rest` as its distribution list: it forwards them by the plan
   * (multicast in its domain). Repairs through a relay, R-NODE-REL-022.
   */
  sendVia(to: NetId, rest: NetId[], recs: OutRec[]): { frames: number; bytes: number } {
    if (this.#c.closed) return { frames: 0, bytes: 0 };
    const takeovers = { left: this.#c.o.maxRelayTakeovers };
    return this.#sendTcp(
      { to, distribution: rest },
      this.#header(),
      this.#outgoing(recs),
      takeovers,
    );
  }

  /**
   * Hand one frame for `to` to the transport; a frame it drops because the peer's queue is full
   * is reported (`sendFailed`, code `QUEUE_FULL`) besides the transport's `queueDrops` count.
   * [R-NODE-SEND-004]
   */
  #tcp(to: NetId, frame: Uint8Array, onFail?: (err: Error) => void): boolean {
    const c = this.#c;
    if (c.transport.sendTcp(to, frame, onFail)) return true;
    // The transport refuses frames only when closed (then so is the node) or the queue is full.
    if (!c.closed && c.events.has("sendFailed")) {
      c.events.emit("sendFailed", {
        to,
        error: new ChatterError(
          "QUEUE_FULL",
          `the outgoing queue to ${to.ip}:${to.port} is full: a frame was dropped`,
        ),
      });
    }
    return false;
  }

  #encode(g: Gossip, out: OutgoingRecord[], maxFrameBytes: number, to?: NetId): Uint8Array[] {
    const c = this.#c;
    try {
      return c.codec.encode(g, out, {
        maxFrameBytes,
        maxRecords: c.o.maxBatchRecords,
        to,
      });
    } catch (e) {
      // An encoder callback or the profile rejected a value: count and report it, never crash
      // the node.
      c.s.handlerErrors++;
      c.events.emit("handlerError", { typeName: "(encoding)", error: e });
      return [];
    }
  }

  #sendTcp(
    send: TcpSend,
    base: Gossip,
    out: OutgoingRecord[],
    takeovers: { left: number },
  ): { frames: number; bytes: number } {
    const c = this.#c;
    // The share's grouping by domain rides along: the relay plans its subtree by domain
    // without having learned them itself. [R-NODE-SCALE-004]
    // And a few groups it learned lately, so domains spread to every node. [R-NODE-SCALE-004]
    const groups = c.profile === "v2"
      ? this.#fitGroups(
        send.distribution.length > 0 ? c.db.groupsOf([send.to, ...send.distribution]) : [],
        c.db.gossipGroups(4),
        base,
        out,
        send.distribution.length + 1,
      )
      : [];
    // The relay's unit was planned as one domain: it keeps no TCP copy. [R-NODE-SCALE-007]
    if (send.unit && c.profile === "v2") groups.unshift([send.to]);
    // Pending acknowledgements for `send.to` ride along. [R-NODE-REL-014]
    const acks = c.rel?.carry(send.to);
    const recs = groups.length > 0 || acks ? [...out] : out;
    if (groups.length > 0) recs.push(domainsRecord(base.current, groups));
    if (acks) { for (const a of acks) recs.push(a); }
    // The relay learns that we hear it (R-NODE-SCALE-010).
    const seen = c.db.seenIdsFor(send.to);
    const frames = this.#encode(
      { ...base, seen, distribution: send.distribution },
      recs,
      c.o.maxTcpFrameBytes,
      send.to,
    );
    let failed = false;
    const onFail = (err: Error) => {
      if (failed || c.closed) return;
      failed = true;
      if (c.events.has("sendFailed")) {
        c.events.emit("sendFailed", {
          to: send.to,
          error: new ChatterError("SEND_FAILED", err.message, { cause: err }),
        });
      }
      // The next node of the share becomes its relay. [R-NODE-RELAY-001]
      const next = takeOver(send);
      if (next && takeovers.left <= 0) {
        c.s.limits.takeoverLimit++; // [R-NODE-AMP-003]
      } else if (next) {
        takeovers.left--;
        c.s.relayTakeovers++;
        this.#sendTcp(next, base, out, takeovers);
      }
    };
    let bytes = 0;
    for (const f of frames) {
      bytes += f.length;
      this.#tcp(send.to, f, onFail);
    }
    return { frames: frames.length, bytes };
  }
}
