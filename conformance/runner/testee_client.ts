/**
 * Drives a testee process over the line-delimited JSON protocol of `spec/testee.md`:
 * one request at a time, a timeout per request, and a restart after any protocol failure
 * (crash, bad JSON, wrong id, timeout) so that one broken case does not sink the rest.
 *
 * @module
 */

import { TesteeError, type WireLogEntry } from "./types.ts";

/** How long a testee may take to answer one request, by default. */
export const DEFAULT_TIMEOUT_MS = 5000;

const STDERR_TAIL_BYTES = 4096;

/** A running (or restartable) testee process. */
export class TesteeClient {
  readonly #command: string;
  readonly #timeoutMs: number;
  #child?: Deno.ChildProcess;
  #lines?: AsyncIterator<string>;
  #stderrTail = "";
  #stderrDone?: Promise<void>;
  #nextId = 1;
  /** How many times the process was started. */
  starts = 0;

  /** `command` is a shell command line, run with `sh -c`. */
  constructor(command: string, timeoutMs: number = DEFAULT_TIMEOUT_MS) {
    this.#command = command;
    this.#timeoutMs = timeoutMs;
  }

  /** The last few KB the testee wrote to stderr (for error details). */
  get stderrTail(): string {
    return this.#stderrTail;
  }

  #start(): void {
    const child = new Deno.Command("sh", {
      args: ["-c", this.#command],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.starts++;
    this.#lines = lineIterator(child.stdout);
    const dec = new TextDecoder();
    this.#stderrDone = (async () => {
      try {
        for await (const chunk of child.stderr) {
          this.#stderrTail = (this.#stderrTail + dec.decode(chunk, { stream: true })).slice(
            -STDERR_TAIL_BYTES,
          );
        }
      } catch { /* the process went away */ }
    })();
  }

  /**
   * Send `req` (an `id` is added) and return the parsed reply. Writes both lines to `log`.
   * Throws {@linkcode TesteeError} on crash, timeout, bad JSON or a wrong id, after stopping
   * the process; the next call starts a fresh one.
   */
  async call(
    req: Record<string, unknown>,
    log: WireLogEntry[] = [],
    t0: number = performance.now(),
  ): Promise<Record<string, unknown>> {
    if (!this.#child) this.#start();
    const child = this.#child!;
    const id = this.#nextId++;
    const line = JSON.stringify({ id, ...req });
    log.push({ t: Math.round(performance.now() - t0), dir: ">", data: line });
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(new TextEncoder().encode(line + "\n"));
      } finally {
        writer.releaseLock();
      }
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new TesteeError(`no reply within ${this.#timeoutMs} ms`)),
          this.#timeoutMs,
        );
      });
      const next = await Promise.race([this.#lines!.next(), timeout]);
      if (next.done) throw new TesteeError("the testee closed stdout (exited?)");
      log.push({ t: Math.round(performance.now() - t0), dir: "<", data: next.value });
      let reply: unknown;
      try {
        reply = JSON.parse(next.value);
      } catch {
        throw new TesteeError(`reply is not JSON: ${next.value.slice(0, 200)}`);
      }
      if (typeof reply !== "object" || reply === null || Array.isArray(reply)) {
        throw new TesteeError(`reply is not a JSON object: ${next.value.slice(0, 200)}`);
      }
      const r = reply as Record<string, unknown>;
      if (r.id !== id) throw new TesteeError(`reply id ${JSON.stringify(r.id)}, expected ${id}`);
      if (r.result !== "ok" && r.result !== "error" && r.result !== "unsupported") {
        throw new TesteeError(
          `reply result ${JSON.stringify(r.result)} is not ok|error|unsupported`,
        );
      }
      return r;
    } catch (e) {
      const err = e instanceof TesteeError
        ? e
        : new TesteeError(`testee I/O failed: ${(e as Error).message}`);
      await this.stop();
      const tail = this.#stderrTail.trim();
      if (tail) {
        log.push({ t: Math.round(performance.now() - t0), dir: "#", data: `stderr: ${tail}` });
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stop the process (if running) and release its pipes. Safe to call twice. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    try {
      await child.stdin.close();
    } catch { /* already closed */ }
    // Give a well-behaved testee a moment to exit on EOF, then kill it.
    const exited = await Promise.race([
      child.status.then(() => true),
      new Promise<boolean>((res) => {
        const t = setTimeout(() => res(false), 500);
        child.status.finally(() => clearTimeout(t));
      }),
    ]);
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
    }
    try {
      await this.#lines?.return?.();
    } catch { /* stream already closed */ }
    this.#lines = undefined;
    await this.#stderrDone;
  }
}

/** Split a byte stream into text lines (without the newline). */
async function* lineIterator(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const dec = new TextDecoder();
  let buf = "";
  try {
    for await (const chunk of stream) {
      buf += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, "");
        buf = buf.slice(nl + 1);
        if (line.trim() !== "") yield line;
      }
    }
    if (buf.trim() !== "") yield buf;
  } finally {
    // Release the stream so the resource sanitizer sees it closed.
    try {
      await stream.cancel();
    } catch { /* already done */ }
  }
}
