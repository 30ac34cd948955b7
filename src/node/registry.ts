/**
 * The message types registered on a node, by tag and by name, and the rules of registering:
 * a name and codec are required, a name (or its xxhash32 tag) only once, and names starting
 * with `chatter.sys.` only for the node's own control types. [R-NODE-TYPE-001],
 * [R-NODE-TYPE-002] Internal: not exported by the package.
 *
 * @module
 */

import { MessageTypeError, NodeOptionError } from "../errors.ts";
import { typeTag } from "../wire/xxhash32.ts";
import type { MessageType } from "./message_type.ts";
import type { Registered } from "./node_core.ts";

/** Type names reserved for the node's own control records. [R-NODE-TYPE-002] */
export const SYSTEM_TYPE_PREFIX = "chatter.sys.";

/** The registered types of one node. */
export class TypeRegistry {
  readonly #byTag = new Map<number, Registered>();
  readonly #byName = new Map<string, Registered>();

  /** The registration of a type tag. */
  byTag(tag: number): Registered | undefined {
    return this.#byTag.get(tag);
  }

  /** The registration of a type name. */
  byName(name: string): Registered | undefined {
    return this.#byName.get(name);
  }

  /**
   * Register `type` (a `chatter.sys.` type when `system`); throws {@linkcode NodeOptionError}
   * for a type without a name or codec and {@linkcode MessageTypeError} for a reserved or
   * taken name or tag.
   */
  add(type: MessageType<unknown>, system: boolean): Registered {
    if (!type || typeof type.typeName !== "string" || type.typeName === "") {
      throw new NodeOptionError("typeName", type?.typeName, "a non-empty string");
    }
    const name = type.typeName;
    if (typeof type.encode !== "function" || typeof type.decode !== "function") {
      throw new NodeOptionError(
        `${name}: encode/decode`,
        typeof type.encode,
        "encode and decode functions",
      );
    }
    if (name.startsWith(SYSTEM_TYPE_PREFIX) !== system) {
      throw new MessageTypeError(
        "TYPE_NAME_RESERVED",
        name,
        system
          ? `system types must start with ${JSON.stringify(SYSTEM_TYPE_PREFIX)}`
          : `names starting with ${JSON.stringify(SYSTEM_TYPE_PREFIX)} are reserved for the node`,
      );
    }
    const tag = typeTag(name);
    const prev = this.#byTag.get(tag);
    if (prev) {
      throw new MessageTypeError(
        "TYPE_ALREADY_REGISTERED",
        name,
        prev.type.typeName === name
          ? "is registered already"
          : `has the same tag 0x${tag.toString(16)} as ${JSON.stringify(prev.type.typeName)}`,
      );
    }
    const reg: Registered = { type, tag, system };
    this.#byTag.set(tag, reg);
    this.#byName.set(name, reg);
    return reg;
  }
}
