/**
 * `deno task node` runs with the permissions the node needs for what the README promises: the
 * multicast receive socket's 8 MiB kernel buffer (R-NODE-REL-010) needs FFI and read access to
 * `/proc`; without `--allow-read` in the task the buffer silently stayed at the OS default
 * (`method: "no-permission"`) in `cluster` and `node`.
 */

import { equal, ok } from "node:assert/strict";

const linux = Deno.build.os === "linux";

Deno.test({
  name: "[R-NODE-REL-010] deno task node: the receive buffer is sized (FFI and /proc read granted)",
  ignore: !linux,
  async fn() {
    const cfg = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
    const task: string = cfg.tasks.node;
    const flags = task.split(/\s+/).filter((f) => f.startsWith("--"));
    ok(flags.includes("--allow-ffi"), task);
    const script = `
      import { generateV2Key, startNode } from ${
      JSON.stringify(new URL("../../mod.ts", import.meta.url).href)
    };
      const n = await startNode({ address: "127.0.0.1", port: 0, multicastGroup: "239.77.4.${
      1 + Math.floor(Math.random() * 250)
    }", multicastPort: ${
      40_000 + Math.floor(Math.random() * 20_000)
    }, multicastInterface: "127.0.0.1", key: generateV2Key() });
      console.log(JSON.stringify(n.stats().transport.multicastReceiveBuffer));
      await n.close();`;
    // `deno eval` would grant everything: run a file with exactly the task's flags.
    const file = await Deno.makeTempFile({ suffix: ".ts" });
    let o: Deno.CommandOutput;
    try {
      await Deno.writeTextFile(file, script);
      o = await new Deno.Command(Deno.execPath(), {
        args: ["run", ...flags, file],
        stdout: "piped",
        stderr: "piped",
        env: { DENO_NO_UPDATE_CHECK: "1" },
      }).output();
    } finally {
      await Deno.remove(file);
    }
    const err = new TextDecoder().decode(o.stderr);
    equal(o.code, 0, err);
    const info = JSON.parse(new TextDecoder().decode(o.stdout).trim());
    // Not only permitted: done. Deno 2.9 lets only --allow-all list /proc/self/fd, so finding
    // the socket's descriptor there left "failed" (granted 0) under the task's flags.
    equal(info.method, "setsockopt", JSON.stringify(info));
    ok(info.grantedBytes > 0, JSON.stringify(info));
  },
});
