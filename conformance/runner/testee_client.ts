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
   * Write `text` (one or more request lines) in one write and read `n` reply lines. Throws
   * {@linkcode TesteeError} on crash or timeout, after stopping the process.
   */
  async exchange(
    text: string,
    n: number,
    log: WireLogEntry[],
    t0: number,
  ): Promise<string[]> {
    if (!this.#child) this.#start();
    const child = this.#child!;
    const at = () => Math.round(performance.now() - t0);
    for (const l of text.split("\n")) if (l !== "") log.push({ t: at(), dir: ">", data: l });
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(new TextEncoder().encode(text));
      } finally {
        writer.releaseLock();
      }
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new TesteeError(`no reply within ${this.#timeoutMs} ms`)),
          this.#timeoutMs,
        );
      });
      const lines: string[] = [];
      while (lines.length < n) {
        const next = await Promise.race([this.#lines!.next(), timeout]);
        if (next.done) throw new TesteeError("the testee closed stdout (exited?)");
        log.push({ t: at(), dir: "<", data: next.value });
        lines.push(next.value);
      }
      return lines;
    } catch (e) {
      await this.#fail(log, at());
      throw e instanceof TesteeError
        ? e
        : new TesteeError(`testee I/O failed: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async #fail(log: WireLogEntry[], t: number): Promise<void> {
    await this.stop();
    const tail = this.#stderrTail.trim();
    if (tail) log.push({ t, dir: "#", data: `stderr: ${tail}` });
  }

  /** Parse a reply line; throws {@linkcode TesteeError} (and stops the process) when it is not one. */
  async parse(line: string, log: WireLogEntry[] = []): Promise<Record<string, unknown>> {
    let reply: unknown;
    try {
      reply = JSON.parse(line);
    } catch {
      await this.#fail(log, 0);
      throw new TesteeError(`reply is not JSON: ${line.slice(0, 200)}`);
    }
    if (typeof reply !== "object" || reply === null || Array.isArray(reply)) {
      await this.#fail(log, 0);
      throw new TesteeError(`reply is not a JSON object: ${line.slice(0, 200)}`);
    }
    const r = reply as Record<string, unknown>;
    if (r.result !== "ok" && r.result !== "error" && r.result !== "unsupported") {
      await this.#fail(log, 0);
      throw new TesteeError(`reply result ${JSON.stringify(r.result)} is not ok|error|unsupported`);
    }
    return r;
  }

  /**
   * Send several requests in one write (ids added) and return their replies, checking that
   * they come back in order. [R-TESTEE-003]
   */
  async pipeline(
    reqs: Record<string, unknown>[],
    log: WireLogEntry[] = [],
    t0: number = performance.now(),
  ): Promise<Record<string, unknown>[]> {
    const ids = reqs.map(() => this.#nextId++);
    const text = reqs.map((r, i) => JSON.stringify({ id: ids[i], ...r }) + "\n").join("");
    const lines = await this.exchange(text, reqs.length, log, t0);
    const out: Record<string, unknown>[] = [];
    for (const [i, l] of lines.entries()) {
      const r = await this.parse(l, log);
      if (r.id !== ids[i]) {
        await this.#fail(log, 0);
        throw new TesteeError(`reply id ${JSON.stringify(r.id)}, expected ${ids[i]}`);
      }
      out.push(r);
    }
    return out;
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
    return (await this.pipeline([req], log, t0))[0];
  }

  /**
   * Close stdin, as a runner does at the end, and wait for the exit; returns the exit code,
   * or undefined when it had to be killed. The next call starts a fresh process.
   */
  async eof(): Promise<number | undefined> {
    if (!this.#child) this.#start();
    const child = this.#child!;
    const status = await this.#stop(this.#timeoutMs);
    void child;
    return status;
  }

  /** Stop the process (if running) and release its pipes. Safe to call twice. */
  async stop(): Promise<void> {
    await this.#stop(500);
  }

  async #stop(graceMs: number): Promise<number | undefined> {
    const child = this.#child;
    if (!child) return undefined;
    this.#child = undefined;
    try {
      await child.stdin.close();
    } catch { /* already closed */ }
    // Give a well-behaved testee a moment to exit on EOF, then kill it.
    const exited = await Promise.race([
      child.status.then(() => true),
      new Promise<boolean>((res) => {
        const t = setTimeout(() => res(false), graceMs);
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
    // A testee that died before its first reply leaves the line reader unstarted (returning
    // it runs no cleanup): release its stdout here.
    try {
      await child.stdout.cancel();
    } catch { /* locked by the reader, which released it, or already closed */ }
    await this.#stderrDone;
    const st = await child.status;
    return exited ? st.code : undefined;
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
