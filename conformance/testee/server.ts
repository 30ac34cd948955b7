/**
 * The testee protocol of `spec/testee.md`, independent of where the bytes come from: one JSON
 * request per line in, one JSON reply per line out, in request order. Ops come from the
 * {@linkcode OpsModule}s given; a request carrying a `profile` goes to a module that declares
 * that profile.
 *
 * @module
 */

import type { OpsModule, TesteeReply, TesteeRequest } from "../../vectors/testee_protocol.ts";

/** Name and version this testee reports in `hello`. */
export const TESTEE_IMPL = "chatter-deno 0.1.0";

import { errorReply } from "../../vectors/testee_protocol.ts";
export { BadRequest, errorReply, type ProtocolErrorClass } from "../../vectors/testee_protocol.ts";

/** Serves requests against a set of ops modules. */
export class TesteeServer {
  readonly #modules: OpsModule[];

  /** Serve the union of `modules` (a later module's op of the same name and profile wins). */
  constructor(modules: OpsModule[]) {
    this.#modules = modules;
  }

  /** Every profile any module supports. */
  get profiles(): string[] {
    return [...new Set(this.#modules.flatMap((m) => m.profiles))];
  }

  /** Every op name, `hello` included, sorted. */
  get ops(): string[] {
    return [...new Set(["hello", ...this.#modules.flatMap((m) => Object.keys(m.ops))])].sort();
  }

  /** Handle one parsed request. */
  async handle(req: TesteeRequest): Promise<TesteeReply> {
    if (req.op === "hello") {
      return { result: "ok", impl: TESTEE_IMPL, profiles: this.profiles, ops: this.ops };
    }
    const withOp = this.#modules.filter((m) => Object.hasOwn(m.ops, req.op));
    if (withOp.length === 0) {
      return { result: "unsupported", detail: `unknown op ${JSON.stringify(req.op)}` };
    }
    let chosen = withOp;
    if (typeof req.profile === "string") {
      chosen = withOp.filter((m) => m.profiles.includes(req.profile as string));
      if (chosen.length === 0) {
        return {
          result: "unsupported",
          detail: `op ${req.op} does not support profile ${JSON.stringify(req.profile)}`,
        };
      }
    }
    try {
      return await chosen[chosen.length - 1].ops[req.op](req);
    } catch (e) {
      return errorReply(e);
    }
  }

  /** Handle one request line and return the reply line (without newline). */
  async handleLine(line: string): Promise<string> {
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch (e) {
      return JSON.stringify({
        id: null,
        result: "error",
        errorClass: "BAD_REQUEST",
        detail: `not JSON: ${(e as Error).message}`,
      });
    }
    if (typeof req !== "object" || req === null || Array.isArray(req)) {
      return JSON.stringify({
        id: null,
        result: "error",
        errorClass: "BAD_REQUEST",
        detail: "request must be a JSON object",
      });
    }
    const r = req as Record<string, unknown>;
    const id = r.id ?? null;
    if (typeof r.op !== "string") {
      return JSON.stringify({
        id,
        result: "error",
        errorClass: "BAD_REQUEST",
        detail: "request needs a string op",
      });
    }
    const reply = await this.handle(r as TesteeRequest);
    return JSON.stringify({ id, ...reply });
  }

  /** Read request lines from `input` until it ends, writing reply lines to `output`. */
  async serve(
    input: ReadableStream<Uint8Array>,
    output: WritableStream<Uint8Array>,
  ): Promise<void> {
    const writer = output.getWriter();
    const enc = new TextEncoder();
    let pending = "";
    const lines = input.pipeThrough(new TextDecoderStream());
    try {
      for await (const chunk of lines) {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, nl).replace(/\r$/, "");
          pending = pending.slice(nl + 1);
          if (line.trim() === "") continue;
          await writer.write(enc.encode((await this.handleLine(line)) + "\n"));
        }
      }
      if (pending.trim() !== "") {
        await writer.write(enc.encode((await this.handleLine(pending)) + "\n"));
      }
    } finally {
      writer.releaseLock();
    }
  }
}
