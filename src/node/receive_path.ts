/**
 * A node's receive path: a frame is decoded by the codec of its start byte, its header bounded
 * and learned from, its control records handed to liveness, reliable delivery and the domain
 * facts, its data records checked against the duplicate windows and delivered once, and (on
 * a relay) forwarded to its distribution list. Nothing a peer sends is fatal: rejected frames
 * are counted and reported, and close their TCP connection. [R-NODE-ERR-*], [R-NODE-ROBUST-001]
 * Internal: not exported by the package.
 *
 * @module
 */

import { DecodeError } from "../wire/decode_error.ts";
import type { Gossip } from "../wire/gossip.ts";
import type { DecodedFrame, DecodedRecord } from "../wire/message.ts";
import type { NetId } from "../wire/netid.ts";
import type { Delivery } from "./delivery.ts";
import { decodeDomains, DOMAINS_TAG, isUnitMarker } from "./domains.ts";
import type { FrameCodec, TransportKind } from "./frame_codec.ts";
import { Liveness } from "./liveness.ts";
import { dedupFor, type NodeCore, type OutRec } from "./node_core.ts";
import { boundGossip, mayReseal } from "./receive_guard.ts";
import type { TypeRegistry } from "./registry.ts";
import { isReliableControlTag } from "./reliable.ts";
import type { SendPath } from "./send_path.ts";

/** What the records of one frame share while they are handled. */
interface FrameContext {
  f: DecodedFrame;
  g: Gossip;
  kind: TransportKind;
  sender: NetId;
  authenticated: boolean;
  /** Whether this node relays the frame's records to its distribution list. */
  forward: boolean;
  /** Records to forward. */
  out: OutRec[];
  /** A data record was new here. */
  anyNew: boolean;
  /** A data record was seen (the relay edge is logged once per frame). */
  data: boolean;
  /**
   * The sender marked this node's unit as one planned domain: its forward keeps no TCP copy.
   * [R-NODE-SCALE-007]
   */
  unit: boolean;
}

/** The receive path of one node. */
export class ReceivePath {
  readonly #c: NodeCore;
  /** Codecs accepted on receive, by start byte. [R-NODE-ACCEPT-001] */
  readonly #decoders: ReadonlyMap<number, FrameCodec>;
  readonly #types: TypeRegistry;
  readonly #delivery: Delivery;
  readonly #send: SendPath;

  /** The receive path of the node of `core`. */
  constructor(
    core: NodeCore,
    decoders: ReadonlyMap<number, FrameCodec>,
    types: TypeRegistry,
    delivery: Delivery,
    send: SendPath,
  ) {
    this.#c = core;
    this.#decoders = decoders;
    this.#types = types;
    this.#delivery = delivery;
    this.#send = send;
  }

  /**
   * Handle one frame; false when it was rejected (a TCP connection that carried it is closed).
   */
  onFrame(bytes: Uint8Array, kind: TransportKind): boolean {
    if (this.#c.closed) return false;
    try {
      return this.#onFrame(bytes, kind);
    } catch (e) {
      // Never fatal: counted and reported; on TCP the connection is closed. [R-NODE-ROBUST-001]
      this.receiveError(e, kind);
      return false;
    } finally {
      // Numbers recorded for acknowledgement in runs reach the receiver by the frame's end.
      this.#c.rel?.endFrame();
    }
  }

  /** Count and report a frame the decoder rejected. */
  countDecodeError(e: DecodeError, transport: TransportKind): void {
    const s = this.#c.s;
    s.decodeErrors[e.code] = (s.decodeErrors[e.code] ?? 0) + 1;
    this.#c.events.emit("decodeError", { transport, error: e });
  }

  /** Something other than a DecodeError was thrown receiving: count, report, carry on. */
  receiveError(e: unknown, transport: TransportKind, remote?: NetId): void {
    this.#c.s.limits.receiveErrors++;
    this.#c.events.emit("receiveError", { transport, remote, error: e });
  }

  /**
   * The frame decoded, or true for our own multicast looped back (skipped without decrypting),
   * or false for a frame the decoder rejected (counted).
   */
  #decode(bytes: Uint8Array, kind: TransportKind): DecodedFrame | boolean {
    const c = this.#c;
    try {
      const codec = this.#decoders.get(bytes[0]);
      // Our own multicast looped back: skip it without decrypting.
      if (kind === "udp" && codec === c.codec && codec.isOwn?.(bytes)) {
        c.rel?.ownMulticast(bytes); // how far behind our socket is read [R-NODE-REL-019]
        return true;
      }
      if (!codec) {
        // A profile this node does not accept (or no profile at all). [R-NODE-ACCEPT-001]
        const b = bytes.length > 0 ? `0x${bytes[0].toString(16)}` : "none (empty frame)";
        throw new DecodeError(
          "BAD_START_BYTE",
          0,
          `start byte ${b}: not a profile this node accepts (${c.o.acceptProfiles.join(", ")})`,
        );
      }
      return codec.decode(bytes, kind, c.id);
    } catch (e) {
      if (e instanceof DecodeError) {
        this.countDecodeError(e, kind);
        // Every rejected frame, replays and late frames included, closes its TCP connection:
        // a peer that sent one bad frame is not trusted with the rest of its stream.
        // [R-NODE-ERR-001], [R-NODE-ERR-002]
        return false;
      }
      throw e;
    }
  }

  #onFrame(bytes: Uint8Array, kind: TransportKind): boolean {
    const c = this.#c;
    const f = this.#decode(bytes, kind);
    if (typeof f === "boolean") return f;
    const g = boundGossip(f.gossip, c.o, c.s.limits); // [R-NODE-AMP-001..002]
    if (!g) return false;
    // Our own multicast, looped back.
    if (g.current.port === c.id.port && g.current.ip === c.id.ip) return true;
    c.db.learn(g, kind);
    c.live.heard(g, kind, f.profile);
    let forward = kind === "tcp" && g.distribution.length > 0;
    // Unauthenticated (legacy) records are never re-sealed as v2. [R-NODE-DOWNGRADE-002]
    if (forward && !mayReseal(f.profile, c.profile)) {
      c.s.limits.unauthenticatedNotForwarded += f.records.length;
      forward = false;
    }
    const ctx: FrameContext = {
      f,
      g,
      kind,
      sender: { ip: g.current.ip, port: g.current.port },
      authenticated: f.profile !== "legacy",
      forward,
      out: [],
      anyNew: false,
      data: false,
      unit: false,
    };
    for (const r of f.records) {
      if (!this.#control(r, ctx)) this.#data(r, ctx);
    }
    if (ctx.out.length > 0) this.#send.send(g.distribution, ctx.out, ctx.anyNew, !ctx.unit);
    return true;
  }

  /** Handle a reserved control record; false for a data record. */
  #control(r: DecodedRecord, ctx: FrameContext): boolean {
    const c = this.#c;
    if (isReliableControlTag(r.typeTag)) {
      // Reserved control records: handled here, never delivered or forwarded.
      if (ctx.authenticated) c.rel?.control(r, ctx.sender, ctx.f.profile, ctx); // [R-NODE-REL-015]
      return true;
    }
    if (r.typeTag === DOMAINS_TAG) {
      // Domain facts: learned from the sender's own record only (a forwarded copy's indexes
      // refer to another frame's table); never delivered or forwarded. [R-NODE-SCALE-004]
      const { sender } = ctx;
      if (r.origin.ip === sender.ip && r.origin.port === sender.port && ctx.authenticated) {
        const groups = decodeDomains(r.payload, ctx.f.table);
        if (groups) c.db.learnGroups(groups);
        if (groups && ctx.kind === "tcp") ctx.unit = isUnitMarker(groups, c.id); // [R-NODE-SCALE-007]
      }
      return true;
    }
    if (Liveness.isSys(r.typeTag)) {
      // Heartbeats, probes, acks: for the liveness module only. [R-NODE-LIVE-001]
      c.live.record(r.typeTag, r.payload, ctx.sender);
      return true;
    }
    return false;
  }

  /** Deduplicate, deliver (once) and queue for forwarding one data record. */
  #data(r: DecodedRecord, ctx: FrameContext): void {
    const c = this.#c;
    const s = c.s;
    const { kind, sender } = ctx;
    if (!ctx.data && kind === "tcp") {
      ctx.data = true;
      c.relayLog.add(sender, c.id, r.origin, ctx.g.distribution.length, c.o.clock.now());
    }
    const reg = this.#types.byTag(r.typeTag);
    const verdict = c.o.dedup ? dedupFor(c, ctx.f.profile).check(r.origin, kind) : "new";
    // Acknowledge what arrived (not what is too old to tell). [R-NODE-REL-002]
    if (c.rel && verdict !== "old") c.rel.received(r.origin, ctx.f.profile, ctx.kind, ctx);
    if (!reg) {
      s.unknownTypes++;
      if (!ctx.forward) return;
      // Bytes unchanged: NetID references inside cannot be rewritten for the new frame's
      // table, so table-referring types must be registered on every relay. [R-NODE-UNKNOWN-001]
      if (c.o.forwardUnknownTypes) {
        s.unknownForwarded++;
        ctx.out.push({ tag: r.typeTag, origin: r.origin, raw: r.payload.slice() });
      } else s.unknownDropped++;
      return;
    }
    let value: unknown;
    try {
      value = reg.type.decode(r.payload, ctx.f.table);
    } catch {
      s.payloadErrors++;
      return;
    }
    if (verdict === "new") {
      ctx.anyNew = true;
      value = this.#delivery.deliver(reg, value, {
        typeName: reg.type.typeName,
        origin: r.origin,
        sender,
        transport: kind,
        authenticated: ctx.authenticated,
      });
    } else if (verdict === "duplicate") s.duplicates++;
    else s.tooOld++;
    if (ctx.forward) ctx.out.push({ tag: r.typeTag, origin: r.origin, reg, value });
  }
}
