/**
 * A broken "node" for live mode: it accepts TCP connections on `CHATTER_PORT` and swallows
 * every byte, never forwarding and never closing. The live runner must fail it.
 *
 * @module
 */

const port = Number(Deno.env.get("CHATTER_PORT"));
const listener = Deno.listen({ hostname: Deno.env.get("CHATTER_ADDRESS") ?? "127.0.0.1", port });
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
for await (const conn of listener) {
  (async () => {
    const buf = new Uint8Array(65536);
    try {
      while ((await conn.read(buf)) !== null) { /* swallow */ }
    } catch { /* reset */ }
  })();
}
