// The outgoing connection pool as a state machine (src/node/connection_pool.ts), on loopback
// TCP. [R-NODE-TRANSPORT-005], [R-NODE-QUEUE-001]

import assert from "node:assert/strict";
import {
  ConnectionPool,
  type ConnectionPoolOptions,
  OUT_TRANSITIONS,
  type OutState,
} from "../../src/node/connection_pool.ts";
import { systemClock } from "../../src/node/clock.ts";
import { emptyTransportStats } from "../../src/node/transport.ts";

const opts: ConnectionPoolOptions = {
  maxConnections: 64,
  idleTimeoutMs: 30_000,
  connectTimeoutMs: 2000,
  maxQueueFrames: 16,
  maxQueueBytes: 1 << 20,
};

/** A loopback listener that reads everything sent to it. */
function sink() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let bytes = 0;
  const conns: Deno.TcpConn[] = [];
  const reads: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const c of listener) {
      conns.push(c);
      reads.push((async () => {
        const buf = new Uint8Array(4096);
        for (;;) {
          const n = await c.read(buf).catch(() => null);
          if (n === null) break;
          bytes += n;
        }
      })());
    }
  })();
  return {
    id: { ip: "127.0.0.1", port },
    bytes: () => bytes,
    async close() {
      listener.close();
      await accepting.catch(() => {});
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await Promise.all(reads);
    },
  };
}

function pool(o = opts) {
  const stats = emptyTransportStats();
  const tasks = new Set<Promise<unknown>>();
  const p = new ConnectionPool(o, systemClock, stats, (t) => {
    tasks.add(t);
    t.finally(() => tasks.delete(t));
  });
  return {
    p,
    stats,
    async settle() {
      while (tasks.size > 0) await Promise.allSettled([...tasks]);
    },
  };
}

Deno.test("[R-NODE-TRANSPORT-005] pool: closed is terminal; every state can close", () => {
  assert.deepEqual(OUT_TRANSITIONS.closed, []);
  for (const s of Object.keys(OUT_TRANSITIONS) as OutState[]) {
    if (s !== "closed") assert.ok(OUT_TRANSITIONS[s].includes("closed"), s);
  }
  // A deferred connection gets a slot before it may write.
  assert.ok(!OUT_TRANSITIONS.deferred.includes("writing"));
  assert.ok(!OUT_TRANSITIONS.deferred.includes("connecting"));
});

Deno.test("[R-NODE-TRANSPORT-005] pool: connecting, writing, then idle with the socket kept", async () => {
  const s = sink();
  const { p, stats, settle } = pool();
  try {
    assert.equal(p.send(s.id, new Uint8Array(100)), true);
    assert.equal(p.stateOf(s.id), "connecting");
    await settle();
    assert.equal(p.stateOf(s.id), "idle");
    assert.equal(stats.outgoingOpen, 1);
    // The next frame reuses the open socket: the writer starts in `writing`.
    p.send(s.id, new Uint8Array(50));
    assert.equal(p.stateOf(s.id), "writing");
    await settle();
    assert.equal(stats.tcp.framesOut, 2);
    assert.equal(stats.tcp.bytesOut, 150);
    assert.equal(p.pending(), 0);
  } finally {
    p.close();
    await settle();
    await s.close();
  }
  assert.equal(p.stateOf(s.id), undefined);
});

Deno.test("[R-NODE-TRANSPORT-005] pool: a failed connect closes the entry and fails its frames", async () => {
  // A port nobody listens on: bind one, note it, close it.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dead = { ip: "127.0.0.1", port: (l.addr as Deno.NetAddr).port };
  l.close();
  const { p, stats, settle } = pool();
  const errors: Error[] = [];
  p.send(dead, new Uint8Array(10), (e) => errors.push(e));
  p.send(dead, new Uint8Array(10), (e) => errors.push(e));
  await settle();
  assert.equal(p.stateOf(dead), undefined);
  assert.equal(errors.length, 2);
  assert.match(errors[0].message, /cannot connect/);
  assert.equal(stats.connectFailures, 1);
  assert.equal(stats.sendFailures, 2);
  p.close();
});

Deno.test("[R-NODE-TRANSPORT-005] pool: at the cap with none idle, a new one is deferred, then served", async () => {
  const a = sink(), b = sink();
  const { p, stats, settle } = pool({ ...opts, maxConnections: 1 });
  try {
    p.send(a.id, new Uint8Array(10));
    p.send(b.id, new Uint8Array(20));
    assert.equal(p.stateOf(a.id), "connecting");
    assert.equal(p.stateOf(b.id), "deferred");
    await settle();
    // b got a's slot once a went idle (a was evicted for it).
    assert.equal(p.stateOf(a.id), undefined);
    assert.equal(p.stateOf(b.id), "idle");
    assert.equal(stats.tcp.framesOut, 2);
  } finally {
    p.close();
    await settle();
    await a.close();
    await b.close();
  }
});

Deno.test("[R-NODE-QUEUE-001] pool: a full queue drops (counted) and returns false", async () => {
  const s = sink();
  const { p, stats, settle } = pool({ ...opts, maxQueueFrames: 2 });
  try {
    assert.equal(p.send(s.id, new Uint8Array(1)), true);
    assert.equal(p.send(s.id, new Uint8Array(1)), true);
    assert.equal(p.send(s.id, new Uint8Array(1)), false);
    assert.equal(stats.queueDrops, 1);
    await settle();
  } finally {
    p.close();
    await settle();
    await s.close();
  }
});

Deno.test("[R-NODE-LEGACY-001] pool: one frame per connection closes the socket after each write", async () => {
  const s = sink();
  const { p, stats, settle } = pool({ ...opts, oneFramePerConnection: true });
  try {
    p.send(s.id, new Uint8Array(5));
    p.send(s.id, new Uint8Array(7));
    await settle();
    assert.equal(stats.tcp.framesOut, 2);
    assert.equal(stats.outgoingOpen, 0);
    assert.equal(p.stateOf(s.id), "idle");
  } finally {
    p.close();
    await settle();
    await s.close();
  }
});
