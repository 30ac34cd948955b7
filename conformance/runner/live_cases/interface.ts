/**
 * Live cases of node.md "Interface": a node on a port in use fails at start and says so.
 *
 * @module
 */

import { collect, type LiveCase } from "./common.ts";

/** `start.port-in-use`: a second node on the running node's TCP port fails at start and says the port is in use. */
export const startPortInUse: LiveCase = {
  id: "start.port-in-use",
  reqs: ["R-NODE-OPT-001"],
  title: "a second node on the running node's TCP port fails at start and says the port is in use",
  run: async (env) => {
    if (!env.spawnAgain) {
      return { status: "UNSUPPORTED", detail: "needs --spawn (the runner starts a 2nd node)" };
    }
    const child = env.spawnAgain();
    const stderr = collect(child.stderr);
    const wait = Math.max(10_000, env.timeoutMs);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      child.status.then(() => true),
      new Promise<boolean>((r) => timer = setTimeout(() => r(false), wait)),
    ]);
    clearTimeout(timer);
    if (!exited) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }
    const status = await child.status;
    const err = (await stderr).trim();
    env.log.note(`second node exited ${exited ? status.code : "(killed)"}: ${err.slice(-300)}`);
    const port = String(env.node.port);
    const expected = `exits non-zero; stderr names port ${port} and says it is in use`;
    const actual = { exited, code: status.code, stderr: err.slice(-500) };
    if (!exited) {
      return { status: "FAIL", expected, actual, detail: `still running after ${wait} ms` };
    }
    if (status.success) {
      return { status: "FAIL", expected, actual, detail: "exited with status 0" };
    }
    return err.includes(port) && /in use|EADDRINUSE/i.test(err)
      ? { status: "PASS" }
      : { status: "FAIL", expected, actual, detail: "stderr does not report the port in use" };
  },
};
