/**
 * Running offline cases against a testee: the `hello` handshake decides which cases are
 * UNSUPPORTED; a protocol failure grades the case ERROR and the testee is restarted.
 *
 * @module
 */

import type { TesteeClient } from "./testee_client.ts";
import { type Case, type CaseResult, TesteeError, type WireLogEntry } from "./types.ts";

/** What the testee said in `hello`. */
export interface Hello {
  /** Implementation name (string or object, as the testee sent it). */
  impl: unknown;
  /** Profiles it declares. */
  profiles: string[];
  /** Ops it declares. */
  ops: string[];
}

/** Say hello; returns undefined (and the reason) when the testee does not answer properly. */
export async function hello(client: TesteeClient): Promise<Hello | string> {
  try {
    const r = await client.call({ op: "hello" });
    if (r.result !== "ok" || !Array.isArray(r.profiles) || !Array.isArray(r.ops)) {
      return `hello answered ${JSON.stringify(r)}`;
    }
    return { impl: r.impl, profiles: r.profiles.map(String), ops: r.ops.map(String) };
  } catch (e) {
    return `hello failed: ${(e as Error).message}`;
  }
}

/** Run one case; never throws. */
export async function runCase(
  client: TesteeClient,
  c: Case,
  declared: Hello,
): Promise<CaseResult> {
  const log: WireLogEntry[] = [];
  const t0 = performance.now();
  const base = {
    id: c.id,
    section: c.section,
    reqs: c.reqs,
    profile: c.profile,
    title: c.title,
    wireLog: log,
  };
  if (c.profile !== undefined && !declared.profiles.includes(c.profile)) {
    return {
      ...base,
      status: "UNSUPPORTED",
      durationMs: 0,
      detail: `profile ${c.profile} not declared`,
    };
  }
  const missing = c.ops.filter((o) => !declared.ops.includes(o));
  if (missing.length) {
    return {
      ...base,
      status: "UNSUPPORTED",
      durationMs: 0,
      detail: `op ${missing.join(", ")} not declared`,
    };
  }
  try {
    const o = await c.run({
      call: (req) => client.call(req, log, t0),
      pipeline: (reqs) => client.pipeline(reqs, log, t0),
      eof: () => client.eof(),
      raw: async (text, n) => {
        const lines = await client.exchange(text, n, log, t0);
        const out = [];
        for (const l of lines) out.push(await client.parse(l, log));
        return out;
      },
      note: (text) => log.push({ t: Math.round(performance.now() - t0), dir: "#", data: text }),
      log,
    });
    return { ...base, ...o, durationMs: round(performance.now() - t0) };
  } catch (e) {
    const msg = e instanceof TesteeError ? e.message : `runner error: ${(e as Error)?.stack ?? e}`;
    return { ...base, status: "ERROR", durationMs: round(performance.now() - t0), detail: msg };
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
