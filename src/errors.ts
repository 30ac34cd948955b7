/**
 * The one error family of Chatter. Every error the library throws or reports is a
 * {@linkcode ChatterError} with a stable `code` (match on the code, never on the message or the
 * class name). Decoders throw {@linkcode DecodeError}, whose codes are listed in
 * `spec/wire.md`; everything else uses the codes of {@linkcode CHATTER_ERROR_CODES}.
 *
 * @example
 * ```ts
 * import { ChatterError, NodeOptionError } from "@chatter/chatter";
 * import assert from "node:assert/strict";
 * const e = new NodeOptionError("port", -1, "an integer in [0, 65535]");
 * assert.ok(e instanceof ChatterError);
 * assert.equal(e.code, "OPTION_INVALID");
 * ```
 *
 * @module
 */

import type { DecodeErrorCode } from "./wire/decode_error.ts";

/**
 * Every code a non-decoding {@linkcode ChatterError} carries, with what it means. The table is
 * the documentation: codes are stable and never reused for another meaning.
 *
 * @example
 * ```ts
 * import { CHATTER_ERROR_CODES, NodeClosedError } from "@chatter/chatter";
 * import assert from "node:assert/strict";
 * const e = new NodeClosedError("broadcast");
 * assert.equal(CHATTER_ERROR_CODES[e.code as keyof typeof CHATTER_ERROR_CODES], "the node was closed; it sends and receives nothing more");
 * ```
 */
export const CHATTER_ERROR_CODES = {
  OPTION_INVALID: "an option or argument has a value outside its documented range",
  ADDRESS_IN_USE: "the TCP address to listen on is taken by another program",
  ADDRESS_UNAVAILABLE: "the address to listen on is not an address of this machine",
  MULTICAST_UNAVAILABLE: "the multicast group could not be joined or sent to",
  NODE_CLOSED: "the node was closed; it sends and receives nothing more",
  UNKNOWN_TYPE: "no message type of that name is registered on this node",
  TYPE_ALREADY_REGISTERED: "a message type of that name (or of the same type tag) is registered",
  TYPE_NAME_RESERVED: "message type names starting with `chatter.sys.` are the node's own",
  ENCODE_FAILED: "a value could not be encoded by its message type",
  MESSAGE_TOO_LARGE: "an encoded message does not fit the frame limits of any transport",
  VALUE_INVALID:
    "a value given to a wire encoder, codec or membership constructor is outside what the format allows",
  SEND_FAILED: "a frame could not be handed to any destination",
  QUEUE_FULL: "a peer's outgoing queue was full: the frame was dropped (counted as a queue drop)",
  SHARE_TOO_LARGE: "a TCP share's frame would exceed the receiver's NetID table limit",
  DELIVERY_UNCONFIRMED: "some destinations did not confirm a message before the deadline",
  MESSAGE_LOST: "a message could no longer be repaired and is reported lost",
  KEY_INVALID: "a key is not 32 random bytes, or is a known weak key",
  KEY_FILE_UNSAFE: "a key file can be read by other users",
  CRYPTO_BACKEND_UNAVAILABLE: "the requested AEAD backend cannot be used here",
  LISTENER_FAILED: "the TCP listener died; the node listens again",
  INTERNAL: "a bug in Chatter: an invariant did not hold (please report it)",
} as const;

/** A code of a non-decoding {@linkcode ChatterError}; see {@linkcode CHATTER_ERROR_CODES}. */
export type ChatterErrorCode = keyof typeof CHATTER_ERROR_CODES;

/**
 * Base class of every Chatter error.
 *
 * @example
 * ```ts
 * import { ChatterError } from "@chatter/chatter";
 * import assert from "node:assert/strict";
 * const e = new ChatterError("NODE_CLOSED", "the node is closed");
 * assert.equal(e.code, "NODE_CLOSED");
 * assert.equal(e.name, "ChatterError");
 * ```
 */
export class ChatterError extends Error {
  /** Stable machine-readable reason. */
  readonly code: ChatterErrorCode | DecodeErrorCode;

  /** Create an error with `code` and a message that names the offending value. */
  constructor(
    code: ChatterErrorCode | DecodeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Render a value for an error message: strings quoted, anything unprintable said so. */
export function showValue(value: unknown): string {
  try {
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "bigint") return `${value}n`;
    if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
    if (Array.isArray(value)) return `array of ${value.length}`;
    if (value !== null && typeof value === "object") return JSON.stringify(value) ?? String(value);
    return String(value);
  } catch {
    return "(unprintable)";
  }
}

/**
 * A bad option or argument: names the option and the rejected value. Code `OPTION_INVALID`.
 *
 * @example
 * ```ts
 * import { NodeOptionError } from "@chatter/chatter";
 * import assert from "node:assert/strict";
 * const e = new NodeOptionError("port", 70000, "an integer in [0, 65535]");
 * assert.equal(e.message, "option port: expected an integer in [0, 65535], got 70000");
 * assert.equal(e.option, "port");
 * ```
 */
export class NodeOptionError extends ChatterError {
  /** The option's name. */
  readonly option: string;
  /** The rejected value. */
  readonly value: unknown;
  /** What the option accepts, in words (e.g. `an integer in [0, 65535]`). */
  readonly expected: string;

  /** Create the error. */
  constructor(option: string, value: unknown, expected: string) {
    super("OPTION_INVALID", `option ${option}: expected ${expected}, got ${showValue(value)}`);
    this.option = option;
    this.value = value;
    this.expected = expected;
  }
}

/**
 * A key that is not 32 random bytes in an accepted form, or a known-weak key. Code
 * `KEY_INVALID`; the message says how to make a key (`chatter keygen`).
 *
 * @example
 * ```ts
 * import { ChatterError, KeyError } from "@chatter/chatter";
 * import assert from "node:assert/strict";
 * const e = new KeyError("key: a weak key");
 * assert.ok(e instanceof ChatterError);
 * assert.equal(e.code, "KEY_INVALID");
 * ```
 */
export class KeyError extends ChatterError {
  /** Create the error. */
  constructor(message: string) {
    super("KEY_INVALID", message);
  }
}

/**
 * A key file other users can read or write. Code `KEY_FILE_UNSAFE`.
 *
 * @example
 * ```ts
 * import { KeyFileUnsafeError } from "./errors.ts";
 * import assert from "node:assert/strict";
 * const e = new KeyFileUnsafeError("/tmp/k", 0o644);
 * assert.equal(e.code, "KEY_FILE_UNSAFE");
 * assert.match(e.message, /chmod 600/);
 * ```
 */
export class KeyFileUnsafeError extends ChatterError {
  /** The file. */
  readonly path: string;
  /** Its permission bits. */
  readonly mode: number;

  /** Create the error. */
  constructor(path: string, mode: number) {
    super(
      "KEY_FILE_UNSAFE",
      `key file ${path} has mode ${
        mode.toString(8).padStart(3, "0")
      }: other users can read it; chmod 600 ${path}`,
    );
    this.path = path;
    this.mode = mode;
  }
}

/**
 * Thrown when the TCP address to listen on is taken. Code `ADDRESS_IN_USE`.
 *
 * @example
 * ```ts
 * import { AddressInUseError } from "@chatter/chatter";
 * import assert from "node:assert/strict";
 * assert.equal(new AddressInUseError("127.0.0.1", 29999).code, "ADDRESS_IN_USE");
 * ```
 */
export class AddressInUseError extends ChatterError {
  /** Create the error for `address:port`. */
  constructor(address: string, port: number) {
    super(
      "ADDRESS_IN_USE",
      `option port: ${address}:${port} is already in use (another node or program listens there)`,
    );
  }
}

/**
 * Thrown by `broadcast` for a type name that was never registered. Code `UNKNOWN_TYPE`.
 *
 * @example
 * ```ts
 * import { UnknownTypeError } from "@chatter/chatter";
 * import assert from "node:assert/strict";
 * assert.equal(new UnknownTypeError("chat").code, "UNKNOWN_TYPE");
 * ```
 */
export class UnknownTypeError extends ChatterError {
  /** The name that is not registered. */
  readonly typeName: string;
  /** Create the error for `typeName`. */
  constructor(typeName: string) {
    super(
      "UNKNOWN_TYPE",
      `message type ${JSON.stringify(typeName)} is not registered (call register first)`,
    );
    this.typeName = typeName;
  }
}

/**
 * Thrown by any method of a closed node. Code `NODE_CLOSED`.
 *
 * @example
 * ```ts
 * import { NodeClosedError } from "@chatter/chatter";
 * import assert from "node:assert/strict";
 * assert.equal(new NodeClosedError("broadcast").code, "NODE_CLOSED");
 * ```
 */
export class NodeClosedError extends ChatterError {
  /** Create the error for the method that was called. */
  constructor(method: string) {
    super("NODE_CLOSED", `${method}: the node is closed`);
  }
}

/**
 * A value given to a wire encoder, a codec's options or a membership constructor is outside
 * what the format allows: an IPv6 NetID in a legacy frame, port 65536, a sequence number above
 * 2^53 - 1, a key of the wrong length, a key id not in the keyring, ... The message names the
 * value. Code `VALUE_INVALID`. (A plain `TypeError` or `RangeError` from these functions is a
 * bug, not bad input.)
 *
 * @example
 * ```ts
 * import { InvalidValueError, parseNetId } from "@chatter/chatter/wire";
 * import assert from "node:assert/strict";
 * assert.throws(() => parseNetId("10.0.0.1:65536"), InvalidValueError);
 * assert.throws(() => parseNetId("10.0.0.1:65536"), { code: "VALUE_INVALID" });
 * ```
 */
export class InvalidValueError extends ChatterError {
  /** Create one; `message` names the value and what was expected. */
  constructor(message: string) {
    super("VALUE_INVALID", message);
  }
}

/**
 * A value that its message type cannot encode, or an encoded message that fits no transport's
 * limits. Code `ENCODE_FAILED` or `MESSAGE_TOO_LARGE`; thrown by `broadcast` at once.
 *
 * @example
 * ```ts
 * import { EncodeError } from "@chatter/chatter";
 * import assert from "node:assert/strict";
 * const e = new EncodeError("MESSAGE_TOO_LARGE", "chat", "payload of 2000000 bytes, limit 1048576");
 * assert.equal(e.typeName, "chat");
 * ```
 */
export class EncodeError extends ChatterError {
  /** The message type whose value failed. */
  readonly typeName: string;
  /** Create the error. */
  constructor(
    code: "ENCODE_FAILED" | "MESSAGE_TOO_LARGE",
    typeName: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(code, `message type ${JSON.stringify(typeName)}: ${detail}`, options);
    this.typeName = typeName;
  }
}

/**
 * A message's delivery could not be confirmed: some destinations did not acknowledge it before
 * the deadline (`reason` `timeout`), or it was given up (`buffer`, `age`, `span`,
 * `unreachable`, `closed`, or `lost` when asked after the fact), or the node does not track it
 * (`unknown`: reliability off, not broadcast by this node, or forgotten). `missing` names the
 * destinations that did not confirm. Code `DELIVERY_UNCONFIRMED`.
 *
 * @example
 * ```ts
 * import { DeliveryUnconfirmedError } from "@chatter/chatter";
 * import assert from "node:assert/strict";
 * const e = new DeliveryUnconfirmedError({ ip: "10.0.0.1", port: 1, seqno: 9 }, [{ ip: "10.0.0.2", port: 1 }], "timeout");
 * assert.equal(e.code, "DELIVERY_UNCONFIRMED");
 * assert.equal(e.missing.length, 1);
 * ```
 */
export class DeliveryUnconfirmedError extends ChatterError {
  /** The message. */
  readonly id: { ip: string; port: number; seqno: number };
  /** Destinations that did not confirm it. */
  readonly missing: { ip: string; port: number }[];
  /** Why: `timeout`, a loss reason, `lost` or `unknown`. */
  readonly reason: string;
  /** Create the error. */
  constructor(
    id: { ip: string; port: number; seqno: number },
    missing: { ip: string; port: number }[],
    reason: string,
  ) {
    const names = missing.slice(0, 8).map((m) => `${m.ip}:${m.port}`).join(", ") +
      (missing.length > 8 ? `, and ${missing.length - 8} more` : "");
    super(
      "DELIVERY_UNCONFIRMED",
      `message ${id.ip}:${id.port}/${id.seqno} not confirmed (${reason})` +
        (missing.length > 0 ? `; missing at ${names}` : ""),
    );
    this.id = id;
    this.missing = missing;
    this.reason = reason;
  }
}

/**
 * `register` refused a message type: its name (or its xxhash32 tag) is registered already
 * (`TYPE_ALREADY_REGISTERED`), or it starts with `chatter.sys.` (`TYPE_NAME_RESERVED`).
 *
 * @example
 * ```ts
 * import { MessageTypeError } from "@chatter/chatter";
 * import assert from "node:assert/strict";
 * const e = new MessageTypeError("TYPE_ALREADY_REGISTERED", "chat", "is registered already");
 * assert.equal(e.code, "TYPE_ALREADY_REGISTERED");
 * assert.equal(e.typeName, "chat");
 * ```
 */
export class MessageTypeError extends ChatterError {
  /** The type name refused. */
  readonly typeName: string;
  /** Create the error. */
  constructor(
    code: "TYPE_ALREADY_REGISTERED" | "TYPE_NAME_RESERVED",
    typeName: string,
    detail: string,
  ) {
    super(code, `message type ${JSON.stringify(typeName)}: ${detail}`);
    this.typeName = typeName;
  }
}
