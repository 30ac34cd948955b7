/**
 * Decode v2 frames in the receiver's processing order [R-V2-ORDER-001]: header checks and
 * limits, key id, receiver binding, sealed time, replay pre-check, authenticated decryption,
 * replay commit, decompression, body. {@linkcode decodeV2Frame} is stateless (no replay protection);
 * {@linkcode V2Decoder} keeps the sessions' replay windows and counts every rejection by
 * reason. Both throw nothing but {@linkcode DecodeError}.
 *
 * @module
 */

import { InvalidValueError } from "../../errors.ts";
import {
  DEFAULT_V2_LIMITS,
  V2_FLAG_BOUND,
  V2_FLAG_SNAPPY,
  V2_HEADER_BYTES,
  V2_MAX_CLOCK_SKEW_MS,
  V2_NONCE_BYTES,
  V2_REPLAY_WINDOW,
  V2_TAG_BYTES,
  type V2Limits,
} from "../constants.ts";
import { DecodeError, type DecodeErrorCode } from "../decode_error.ts";
import type { DecodedFrame } from "../message.ts";
import { formatNetId, type NetId } from "../netid.ts";
import { v2AssociatedData } from "./binding.ts";
import { snappyDeclaredLength, snappyDecompress } from "../snappy.ts";
import { deriveV2SessionKey, v2LabelBytes, v2Nonce, v2Open } from "./aead.ts";
import { readV2Body } from "./body.ts";
import { readV2Header, type V2Header } from "./header.ts";
import type { V2Keyring } from "./keyring.ts";
import { V2ReplayWindow } from "./replay_window.ts";
import { V2SessionKeys } from "./session_keys.ts";

/** A decoded v2 frame: the profile-neutral frame plus the header's session fields. */
export interface V2DecodedFrame extends DecodedFrame {
  /** Always "v2". */
  profile: "v2";
  /** The key id that sealed the frame. */
  keyId: number;
  /**
   * The sender's session salt: a copy (the stateful decoder hands the frames of one session
   * the same copy; do not modify it).
   */
  salt: Uint8Array;
  /** The frame counter. */
  counter: bigint;
  /** Whether the body travelled snappy-compressed. */
  compressed: boolean;
  /** The sealed time of the header (ms since the Unix epoch, sender's clock). */
  sealedAt: number;
  /** Whether the frame was bound to its receiver (a TCP frame). [R-V2-BIND-001] */
  bound: boolean;
}

/** Options of {@linkcode decodeV2Frame} and {@linkcode V2Decoder}. */
export interface V2DecoderOptions {
  /** Keys the receiver accepts, by id. */
  keyring: V2Keyring;
  /** The receiver's cluster label; frames sealed under another label fail authentication. */
  label: string;
  /** Limits; missing fields take {@linkcode DEFAULT_V2_LIMITS}. */
  limits?: Partial<V2Limits>;
  /** Replay window width in frames (power of two >= 32; default 1024). Stateful decoder only. */
  replayWindow?: number;
  /**
   * The receiver's clock, ms since the Unix epoch. {@linkcode V2Decoder}: default
   * `Date.now`. {@linkcode decodeV2Frame}: absent means no time rules (a stateless tool);
   * given, [R-V2-TIME-002] and [R-V2-TIME-003] apply as for a node. `null`: no time rules
   * (tools and the conformance testee only; a node always has a clock).
   */
  clock?: (() => number) | null;
  /**
   * The receiver's start time (ms since the Unix epoch): frames sealed before it are refused
   * with `BEFORE_START` [R-V2-TIME-003]. {@linkcode V2Decoder}: default `clock()` when it is
   * constructed. {@linkcode decodeV2Frame}: absent means no start rule.
   */
  startTime?: number;
  /** Clock-skew tolerance in ms (default {@linkcode V2_MAX_CLOCK_SKEW_MS}). [R-V2-TIME-002] */
  maxClockSkewMs?: number;
  /**
   * Session key cache of {@linkcode decodeV2Frame}; defaults to a new one of
   * `limits.maxSessionKeys` entries. ({@linkcode V2Decoder} keeps each session's key with its
   * replay window instead, bounded by `limits.maxSessions`.)
   */
  sessionKeys?: V2SessionKeys;
}

function resolveLimits(l: Partial<V2Limits> | undefined): V2Limits {
  return l ? { ...DEFAULT_V2_LIMITS, ...l } : DEFAULT_V2_LIMITS;
}

/** The receiver's time rules: its clock, start time and skew tolerance. [R-V2-TIME-002..003] */
interface TimeRule {
  now: () => number;
  start: number | undefined;
  skew: number;
}

function timeRule(o: V2DecoderOptions, stateful: boolean): TimeRule | undefined {
  const skew = o.maxClockSkewMs ?? V2_MAX_CLOCK_SKEW_MS;
  if (!Number.isSafeInteger(skew) || skew < 0) {
    throw new InvalidValueError(`maxClockSkewMs must be a non-negative integer, got ${skew}`);
  }
  if (o.clock !== undefined && o.clock !== null && typeof o.clock !== "function") {
    throw new InvalidValueError("clock must be a function returning ms since the Unix epoch");
  }
  const now = o.clock === null ? undefined : o.clock ?? (stateful ? Date.now : undefined);
  if (now === undefined) {
    if (o.startTime !== undefined) throw new InvalidValueError("startTime needs a clock");
    return undefined;
  }
  const start = o.startTime ?? (stateful ? now() : undefined);
  if (start !== undefined && !Number.isFinite(start)) {
    throw new InvalidValueError(`startTime must be ms since the Unix epoch, got ${start}`);
  }
  return { now, start, skew };
}

/** Session identity for the replay state: key id and salt. */
function sessionId(keyId: number, salt: Uint8Array): string {
  let s = String.fromCharCode(keyId);
  for (let i = 0; i < salt.length; i++) s += String.fromCharCode(salt[i]);
  return s;
}

/**
 * Where session keys (and, for the stateful decoder, replay windows) live: consulted before
 * decryption, updated only after authentication.
 */
interface SessionStore {
  /**
   * Before decryption: the cached session key of this frame's session, if any. A stateful
   * store throws REPLAY / BEHIND_WINDOW here for a known session. [R-V2-REPLAY-003]
   */
  lookup(h: V2Header, base: Uint8Array, label: string): Uint8Array | undefined;
  /**
   * After authentication: remember the key and (stateful) record the counter; `now` is the
   * receiver's time of this frame, if it has a clock.
   */
  commit(
    h: V2Header,
    base: Uint8Array,
    label: string,
    key: Uint8Array,
    now: number | undefined,
  ): Uint8Array | void;
}

/** The stateless store: a bounded session key cache, no replay state. */
function keyCacheStore(keys: V2SessionKeys): SessionStore {
  return {
    lookup: (h, base, label) =>
      keys.has(h.keyId, h.salt, label) ? keys.get(base, h.keyId, h.salt, label, false) : undefined,
    commit: (h, base, label, key) => keys.remember(base, h.keyId, h.salt, label, key),
  };
}

function decode(
  frame: Uint8Array,
  keyring: V2Keyring,
  label: string,
  limits: V2Limits,
  store: SessionStore,
  nonceBuf: Uint8Array,
  time: TimeRule | undefined,
  to: NetId | undefined,
): V2DecodedFrame {
  // Steps 1-10: start byte, version, header length, flags, exact length, size limits.
  const h = readV2Header(frame, limits);
  // 11: key id, without trial decryption. [R-V2-KEY-002]
  const base = keyring.get(h.keyId);
  if (base === undefined) {
    throw new DecodeError("UNKNOWN_KEY_ID", 4, `key id ${h.keyId} is not in the keyring`);
  }
  // 12: a bound frame only by stream, an unbound one only by datagram. [R-V2-BIND-002]
  const bound = (h.flags & V2_FLAG_BOUND) !== 0;
  if (bound !== (to !== undefined)) {
    throw new DecodeError(
      "BINDING_MISMATCH",
      3,
      bound
        ? "frame is bound to one receiver (a TCP frame) but arrived as a datagram"
        : "frame is not bound to a receiver (a datagram frame) but arrived on a stream",
    );
  }
  // 13: the sealed time against the receiver's clock and start. [R-V2-TIME-002..003]
  let now: number | undefined;
  if (time !== undefined) {
    now = time.now();
    if (h.sealedAt > now + time.skew || h.sealedAt < now - time.skew) {
      throw new DecodeError(
        "CLOCK_SKEW",
        37,
        `sealed at ${h.sealedAt}, ${
          h.sealedAt - now
        } ms from the receiver's clock ${now} (tolerance ${time.skew} ms)`,
      );
    }
    if (time.start !== undefined && h.sealedAt < time.start) {
      throw new DecodeError(
        "BEFORE_START",
        37,
        `sealed at ${h.sealedAt}, before the receiver started at ${time.start}`,
      );
    }
  }
  // 14: replay pre-check, before spending a decryption on it; cached session key.
  const cached = store.lookup(h, base, label);
  // 15: authenticated decryption; the associated data is the header, and the receiver's
  // NetID for a bound frame. [R-V2-AEAD-003], [R-V2-BIND-001]
  const session = cached ?? deriveV2SessionKey(base, h.keyId, h.salt, label);
  const ctEnd = V2_HEADER_BYTES + h.ciphertextLength;
  const pt = v2Open(
    session,
    v2Nonce(h.counter, nonceBuf),
    v2AssociatedData(frame, to),
    frame.subarray(V2_HEADER_BYTES, ctEnd),
    frame.subarray(ctEnd, ctEnd + V2_TAG_BYTES),
  );
  if (pt === undefined) {
    throw new DecodeError(
      "AUTH_FAILED",
      ctEnd,
      `authentication failed under key id ${h.keyId} and label ${JSON.stringify(label)}${
        to ? ` for receiver ${formatNetId(to)}` : ""
      }`,
    );
  }
  // 16: only an authenticated session enters the caches. [R-V2-SESSION-005], [R-V2-REPLAY-003]
  const saltCopy = store.commit(h, base, label, session, now);
  // 17: decompression, bounded by the header's uncompressed length. [R-V2-COMP-002]
  let body: Uint8Array = pt;
  const compressed = (h.flags & V2_FLAG_SNAPPY) !== 0;
  if (compressed) {
    if (pt.length === 0) {
      throw new DecodeError("SNAPPY_CORRUPT", 0, "empty snappy block", "plaintext");
    }
    const [declared] = snappyDeclaredLength(pt, "plaintext", 0);
    if (declared !== h.uncompressedLength) {
      throw new DecodeError(
        "SIZE_MISMATCH",
        0,
        `header says ${h.uncompressedLength} uncompressed bytes, snappy block declares ${declared}`,
        "plaintext",
      );
    }
    body = snappyDecompress(pt, h.uncompressedLength, "plaintext", 0);
  }
  // 18-23: the body.
  const b = readV2Body(body, limits);
  return {
    profile: "v2",
    gossip: b.gossip,
    records: b.records,
    table: b.table,
    keyId: h.keyId,
    salt: saltCopy ?? h.salt.slice(),
    counter: h.counter,
    compressed,
    sealedAt: h.sealedAt,
    bound,
  };
}

/**
 * Decode one v2 frame without replay protection (tests, tools, the conformance testee's
 * `decode_frame`). `to` is the receiver's NetID for a frame that arrived on a stream (TCP),
 * absent for a datagram. The time rules apply only when `options.clock` is given. A node
 * uses {@linkcode V2Decoder}.
 *
 * @example
 * ```ts
 * import { decodeV2Frame, encodeV2Frame, typeTag, V2Keyring } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const keyring = V2Keyring.single(new Uint8Array(32));
 * const me = { ip: "10.0.0.1", port: 1, seqno: 1 };
 * const frame = encodeV2Frame({
 *   keyring, label: "a", salt: new Uint8Array(16), counter: 0n, sealedAt: 1000,
 *   receiver: { ip: "10.0.0.2", port: 2 },
 *   gossip: { current: me, seen: [], other: [], distribution: [] },
 *   records: [{ typeTag: typeTag("x"), origin: me, payload: new Uint8Array([1]) }],
 * });
 * assert.equal(
 *   decodeV2Frame(frame, { keyring, label: "a" }, { ip: "10.0.0.2", port: 2 }).records.length,
 *   1,
 * );
 * ```
 */
export function decodeV2Frame(
  frame: Uint8Array,
  options: V2DecoderOptions,
  to?: NetId,
): V2DecodedFrame {
  const limits = resolveLimits(options.limits);
  v2LabelBytes(options.label);
  const keys = options.sessionKeys ?? new V2SessionKeys(limits.maxSessionKeys);
  return decode(
    frame,
    options.keyring,
    options.label,
    limits,
    keyCacheStore(keys),
    new Uint8Array(V2_NONCE_BYTES),
    timeRule(options, false),
    to,
  );
}

/** One tracked session of a {@linkcode V2Decoder}: its replay window and session key. */
interface Session {
  window: V2ReplayWindow;
  base: Uint8Array;
  key: Uint8Array;
  /** The highest sealed time of the frames accepted in the session. */
  lastSealed: number;
  /** A copy of the session's salt, handed out with its decoded frames. */
  salt: Uint8Array;
}

/** Counts a {@linkcode V2Decoder} keeps. */
export interface V2DecoderStats {
  /** Frames accepted. */
  accepted: number;
  /** Frames rejected, by {@linkcode DecodeErrorCode}. */
  rejected: Partial<Record<DecodeErrorCode, number>>;
  /** Sessions whose replay state was dropped to stay within `maxSessions`. */
  sessionsEvicted: number;
  /**
   * Sessions dropped because their newest frame is older than the skew tolerance: none of
   * their frames can be accepted again, so forgetting them is safe. [R-V2-REPLAY-007]
   */
  sessionsExpired: number;
  /** Sessions tracked now. */
  sessions: number;
}

/**
 * A stateful v2 receiver: decodes frames and rejects replays (`REPLAY`) and frames behind
 * a session's sliding window (`BEHIND_WINDOW`), tracking at most `limits.maxSessions`
 * sessions (least recently used dropped first), each with its replay window and its derived
 * session key (so HKDF runs once per session). Frames sealed outside the receiver's clock
 * ± `maxClockSkewMs`, or before its start time, are refused (`CLOCK_SKEW`, `BEFORE_START`),
 * so a restarted receiver accepts no frame its previous run could have accepted (within the
 * tolerance). Every rejection is counted by reason. [R-V2-REPLAY-001..007], [R-V2-TIME-002..003]
 *
 * @example
 * ```ts
 * import { encodeV2Frame, typeTag, V2Decoder, V2Keyring } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * const keyring = V2Keyring.single(new Uint8Array(32));
 * const me = { ip: "10.0.0.1", port: 1, seqno: 1 };
 * const frame = encodeV2Frame({
 *   keyring, label: "a", salt: new Uint8Array(16), counter: 0n,
 *   gossip: { current: me, seen: [], other: [], distribution: [] },
 *   records: [{ typeTag: typeTag("x"), origin: me, payload: new Uint8Array([1]) }],
 * });
 * const rx = new V2Decoder({ keyring, label: "a", startTime: 0 });
 * rx.decode(frame); // accepted
 * try { rx.decode(frame); } catch (e) { console.log((e as Error).message); } // REPLAY ...
 * assert.equal(rx.stats().rejected.REPLAY, 1);
 * ```
 */
export class V2Decoder {
  readonly #keyring: V2Keyring;
  readonly #label: string;
  readonly #limits: V2Limits;
  readonly #window: number;
  readonly #sessions = new Map<string, Session>();
  readonly #nonce = new Uint8Array(V2_NONCE_BYTES);
  readonly #rejected: Partial<Record<DecodeErrorCode, number>> = {};
  #accepted = 0;
  #evicted = 0;
  #expired = 0;
  readonly #store: SessionStore;
  readonly #time: TimeRule | undefined;

  /** Create a receiver. Throws `InvalidValueError` for a bad label or window. */
  constructor(options: V2DecoderOptions) {
    this.#keyring = options.keyring;
    v2LabelBytes(options.label);
    this.#label = options.label;
    this.#limits = resolveLimits(options.limits);
    this.#window = options.replayWindow ?? V2_REPLAY_WINDOW;
    new V2ReplayWindow(this.#window); // validates the width
    this.#time = timeRule(options, true);
    const skew = this.#time?.skew ?? 0;
    const sessions = this.#sessions;
    // The id computed in lookup is reused by commit (same frame, no other decode in between).
    let id = "";
    // The most recently committed session: it is already last in the map's order.
    let mru: Session | undefined;
    this.#store = {
      lookup: (h, base) => {
        id = sessionId(h.keyId, h.salt);
        const s = sessions.get(id);
        if (s === undefined) return undefined;
        const v = s.window.check(h.counter);
        if (v === "REPLAY") {
          throw new DecodeError("REPLAY", 21, `counter ${h.counter} was already accepted`);
        }
        if (v === "BEHIND_WINDOW") {
          throw new DecodeError(
            "BEHIND_WINDOW",
            21,
            `counter ${h.counter} is ${this.#window} or more behind the highest accepted ${s.window.highest}`,
          );
        }
        // A key replaced in the keyring since: derive again. [R-V2-SESSION-005]
        return s.base === base ? s.key : undefined;
      },
      commit: (h, base, _label, key, now) => {
        let s = sessions.get(id);
        if (s === undefined) {
          s = {
            window: new V2ReplayWindow(this.#window),
            base,
            key,
            lastSealed: h.sealedAt,
            salt: h.salt.slice(),
          };
          sessions.set(id, s);
        } else {
          if (s !== mru) {
            sessions.delete(id); // re-inserted below: most recently used last
            sessions.set(id, s);
          }
          s.base = base;
          s.key = key;
          if (h.sealedAt > s.lastSealed) s.lastSealed = h.sealedAt;
        }
        mru = s;
        s.window.accept(h.counter);
        // Sessions whose newest frame is older than the tolerance can never be accepted
        // again: drop them from the old end first. [R-V2-REPLAY-007]
        if (now !== undefined) {
          for (const [k, old] of sessions) {
            if (old === s || old.lastSealed >= now - skew) break;
            sessions.delete(k);
            this.#expired++;
          }
        }
        while (sessions.size > this.#limits.maxSessions) {
          sessions.delete(sessions.keys().next().value!);
          this.#evicted++;
        }
        return s.salt;
      },
    };
  }

  /**
   * Decode one frame: a datagram (`to` absent), or a frame cut from a stream by a
   * `FrameReader`, with `to` this receiver's own NetID (the frame must be bound to it).
   */
  decode(frame: Uint8Array, to?: NetId): V2DecodedFrame {
    try {
      const f = decode(
        frame,
        this.#keyring,
        this.#label,
        this.#limits,
        this.#store,
        this.#nonce,
        this.#time,
        to,
      );
      this.#accepted++;
      return f;
    } catch (e) {
      if (e instanceof DecodeError) {
        this.#rejected[e.code] = (this.#rejected[e.code] ?? 0) + 1;
      }
      throw e;
    }
  }

  /** A snapshot of the counts. */
  stats(): V2DecoderStats {
    return {
      accepted: this.#accepted,
      rejected: { ...this.#rejected },
      sessionsEvicted: this.#evicted,
      sessionsExpired: this.#expired,
      sessions: this.#sessions.size,
    };
  }
}
