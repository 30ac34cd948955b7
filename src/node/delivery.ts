/**
 * Delivery of a node's messages: the registered handler first (its result, when it returns
 * one, is what a relay forwards), then every `messages()` iterator, each with a bounded buffer.
 * Internal: not exported by the package.
 *
 * @module
 */

import type { MessageMeta, ReceivedMessage } from "./message_type.ts";
import type { NodeCore, Registered } from "./node_core.ts";

interface Subscriber {
  buf: ReceivedMessage[];
  wake?: () => void;
  /** Only messages of this registration (a handle's iterator); else every application type. */
  only?: Registered;
}

/** The handlers and message iterators of one node. */
export class Delivery {
  readonly #core: NodeCore;
  readonly #subs = new Set<Subscriber>();

  /** Delivery for the node of `core`. */
  constructor(core: NodeCore) {
    this.#core = core;
  }

  /** Call the handler and the subscribers; returns the value to forward. */
  deliver(reg: Registered, value: unknown, meta: MessageMeta): unknown {
    const s = this.#core.s;
    s.delivered++;
    if (reg.type.handler) {
      try {
        const r = reg.type.handler(value, meta);
        if (r !== undefined) value = r;
      } catch (e) {
        s.handlerErrors++;
        this.#core.events.emit("handlerError", { typeName: meta.typeName, error: e });
      }
    }
    const max = this.#core.o.messageBuffer;
    for (const sub of this.#subs) {
      if (sub.only ? sub.only !== reg : reg.system) continue;
      if (sub.buf.length >= max) {
        sub.buf.shift();
        s.messageBufferDrops++;
      }
      sub.buf.push({ value, meta });
      sub.wake?.();
    }
    return value;
  }

  /**
   * Delivered messages from now on (of `only`, else of every application type); the iterator
   * ends when the node closes.
   */
  iterate(only?: Registered): AsyncIterableIterator<ReceivedMessage> {
    const sub: Subscriber = { buf: [], only };
    this.#subs.add(sub);
    const ended = () => this.#core.closed || !this.#subs.has(sub);
    const it: AsyncIterableIterator<ReceivedMessage> = {
      async next(): Promise<IteratorResult<ReceivedMessage>> {
        for (;;) {
          if (sub.buf.length > 0) return { value: sub.buf.shift()!, done: false };
          if (ended()) return { value: undefined, done: true };
          await new Promise<void>((r) => sub.wake = r);
          sub.wake = undefined;
        }
      },
      return: (): Promise<IteratorResult<ReceivedMessage>> => {
        this.#subs.delete(sub);
        sub.wake?.();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  }

  /** Wake every iterator (the node closed: they end once their buffers are read). */
  wakeAll(): void {
    for (const sub of this.#subs) sub.wake?.();
  }
}
