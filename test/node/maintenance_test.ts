/**
 * Maintenance work per tick is what is due, not every peer held [R-NODE-SCALE-009]: the peer
 * database's sweep and the failure detector on thousands of idle peers, counting the entries each
 * tick looks at, and the detector's times (probe, suspect, dead) kept.
 */
import assert from "node:assert/strict";
import { ManualClock } from "../../src/node/clock.ts";
import { NodeEvents } from "../../src/node/events.ts";
import { TimeWheel } from "../../src/node/expiry.ts";
import { Liveness, type LivenessOptions } from "../../src/node/liveness.ts";
import { PeerDb } from "../../src/node/peer_db.ts";
import { seededRandom } from "../../src/node/random.ts";
import type { NetId } from "../../src/wire/netid.ts";

const T0 = 1_700_000_000_000;
const peer = (i: number): NetId => ({
  ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  port: 9,
});

Deno.test("[R-NODE-SCALE-009] the time wheel visits exactly the items due, each once, whatever the order of times", () => {
  let x = 3;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let run = 0; run < 50; run++) {
    const w = new TimeWheel<{ id: number; at: number; due?: number }>(1 + Math.floor(rnd() * 50));
    const items = Array.from({ length: 300 }, (_, id) => ({ id, at: Math.floor(rnd() * 2000) }));
    for (const it of items) w.add(it, it.at);
    // Some moved (earlier or later) or removed before their time.
    const gone = new Set<number>();
    for (const it of items) {
      const r = rnd();
      if (r < 0.2) w.add(it, it.at = Math.floor(rnd() * 2000));
      else if (r < 0.3) {
        w.remove(it);
        gone.add(it.id);
      }
    }
    const seen = new Set<number>();
    let bound = -1;
    while (bound < 2100) {
      bound += Math.floor(rnd() * 120);
      const want = items.filter((it) =>
        !gone.has(it.id) && !seen.has(it.id) && it.at <= bound
      ).length;
      const n = w.due(bound, (it) => {
        assert.ok(it.at <= bound, `item ${it.id} at ${it.at} visited at ${bound}`);
        assert.ok(!seen.has(it.id) && !gone.has(it.id));
        seen.add(it.id);
      });
      assert.equal(n, want);
      for (const it of items) {
        if (!gone.has(it.id) && it.at <= bound) assert.ok(seen.has(it.id), `${it.id} missed`);
      }
    }
    assert.equal(seen.size + gone.size, items.length);
    assert.equal(w.size, 0);
  }
});

Deno.test("[R-NODE-SCALE-009] PeerDb.sweep on 10,000 idle peers looks at nothing until they expire, then at each once", () => {
  const clock = new ManualClock(T0);
  const self = { ip: "10.255.0.1", port: 9 };
  const ttl = 60_000;
  const db = new PeerDb(
    self,
    { maxPeers: 20_000, peerTtlMs: ttl, maxSeenIds: 32, maxOtherIds: 4 },
    clock,
    seededRandom(1),
  );
  // 10,000 peers, each heard by multicast once and naming us and one other peer (facts too).
  for (let i = 0; i < 10_000; i++) {
    db.learn({
      current: { ...peer(i), seqno: i },
      seen: [{ ...self, seqno: 1 }, { ...peer((i + 1) % 10_000), seqno: 1 }],
      other: [],
      distribution: [],
    }, "udp");
  }
  const held = db.size;
  assert.equal(held, 10_000);
  const facts = db.facts;
  assert.ok(facts >= 10_000);
  // Every second for almost a TTL: nothing is due, nothing is looked at.
  for (let t = 1; t < 60; t++) {
    clock.advance(1000);
    db.sweep();
    assert.equal(db.lastSweepVisited, 0, `tick ${t}`);
  }
  assert.equal(db.size, 10_000);
  // 1,000 of them heard again: when the TTL passes, the others go; the 1,000 are looked at once
  // (registered again) and kept.
  for (let i = 0; i < 1_000; i++) {
    db.learn(
      { current: { ...peer(i), seqno: 10_000 + i }, seen: [], other: [], distribution: [] },
      "udp",
    );
  }
  clock.advance(1_001);
  db.sweep();
  assert.equal(db.size, 1_000);
  const visited = db.lastSweepVisited;
  assert.ok(visited >= 10_000 && visited <= 10_000 + facts + 10_000, `visited ${visited}`);
  // Then nothing again until the 1,000 expire.
  clock.advance(1000);
  db.sweep();
  assert.equal(db.lastSweepVisited, 0);
  clock.advance(ttl);
  db.sweep();
  assert.equal(db.size, 0);
  assert.equal(db.facts, 0);
});

Deno.test("[R-NODE-SCALE-009] PeerDb.sweep expires exactly what a full walk would: peers whose last news is older than the TTL", () => {
  let x = 11;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let run = 0; run < 20; run++) {
    const clock = new ManualClock(T0);
    const ttl = 1_000 + Math.floor(rnd() * 5_000);
    const self = { ip: "10.255.0.1", port: 9 };
    const db = new PeerDb(
      self,
      { maxPeers: 10_000, peerTtlMs: ttl, maxSeenIds: 8, maxOtherIds: 4 },
      clock,
      seededRandom(run),
    );
    const last = new Map<number, number>();
    const touch = (i: number) => {
      const was = last.get(i);
      if (was === undefined || clock.now() > was) last.set(i, clock.now());
    };
    for (let step = 0; step < 400; step++) {
      clock.advance(Math.floor(rnd() * 300));
      const s = Math.floor(rnd() * 60);
      const named = Array.from({ length: Math.floor(rnd() * 3) }, () => Math.floor(rnd() * 60));
      db.learn({
        current: { ...peer(s), seqno: step },
        seen: named.map((n) => ({ ...peer(n), seqno: 1 })),
        other: [],
        distribution: [],
      }, rnd() < 0.5 ? "udp" : "tcp");
      touch(s);
      for (const n of named) touch(n);
      if (rnd() < 0.3) {
        db.sweep();
        const fresh = clock.now() - ttl;
        for (const [i, at] of [...last]) if (at < fresh) last.delete(i);
        assert.equal(db.size, last.size, `run ${run} step ${step}`);
      }
    }
  }
});

function detector(opts: Partial<LivenessOptions> = {}) {
  const clock = new ManualClock(T0);
  const sent: { to: string; tag: number }[] = [];
  const o: LivenessOptions = {
    heartbeatMs: 1000,
    tcpHeartbeatEvery: 5,
    suspectIntervals: 3,
    deadIntervals: 5,
    indirectProbes: 2,
    seeds: [],
    peerTtlMs: 60_000,
    maxPeers: 20_000,
    multicast: true,
    ...opts,
  };
  const live = new Liveness({ ip: "10.255.0.1", port: 9 }, o, clock, seededRandom(5), {
    multicast: () => true,
    tcp: (to, recs) => {
      for (const r of recs) sent.push({ to: `${to.ip}:${to.port}`, tag: r.tag });
      return true;
    },
    domainOf: (id) => id.ip,
    hearsUs: () => false,
    otherIds: () => [],
  }, new NodeEvents());
  return { clock, live, sent };
}

/** Tell the detector it heard `n` peers (from `from`) by TCP now: remote peers. */
function hear(live: Liveness, from: number, n: number, seqno = 1): void {
  for (let i = from; i < from + n; i++) {
    live.heard(
      { current: { ...peer(i), seqno }, seen: [], other: [], distribution: [] },
      "tcp",
      "v2",
    );
  }
}

Deno.test("[R-NODE-SCALE-009] the failure detector on 5,000 idle peers looks only at peers that are due", () => {
  const { clock, live } = detector();
  live.start();
  hear(live, 0, 5_000);
  // A remote peer's silence window is (3 + 0.5) × 5 intervals = 17.5 s: nothing to look at before.
  const visits: number[] = [];
  while (clock.now() < T0 + 17_000) {
    clock.advance(100);
    visits.push(live.lastTickVisited);
  }
  live.stop();
  assert.ok(Math.max(...visits) === 0, `visits before the window ends: ${Math.max(...visits)}`);
});

Deno.test("[R-NODE-SCALE-009] a peer heard continuously is looked at once per silence window, not every tick", () => {
  const { clock, live } = detector();
  live.start();
  let total = 0, ticks = 0;
  for (let s = 0; s < 60; s++) {
    hear(live, 0, 1_000, s + 2);
    clock.advance(1000);
    total += live.lastTickVisited;
    ticks++;
  }
  live.stop();
  // A full walk would look at 1,000 peers per tick; each is due once per 17.5 s window.
  assert.ok(total <= 1_000 * Math.ceil(60 / 17.5) + 1_000, `visited ${total} in ${ticks} ticks`);
  assert.equal(live.stats().probes, 0);
});

Deno.test("[R-NODE-SCALE-009] news that makes a peer due earlier moves it: a remote peer heard by multicast is probed after the short window", () => {
  const { clock, live, sent } = detector({ indirectProbes: 0 });
  live.start();
  hear(live, 0, 1); // by TCP: remote, due after 17.5 s
  clock.advance(10_000);
  live.heard(
    { current: { ...peer(0), seqno: 2 }, seen: [], other: [], distribution: [] },
    "udp",
    "v2",
  );
  // Now in our domain: silent for more than 3.5 s means a probe, at the first tick after 13.5 s.
  while (sent.length === 0 && clock.now() < T0 + 30_000) clock.advance(50);
  live.stop();
  const at = clock.now() - T0;
  assert.ok(at > 13_500 && at <= 13_500 + 1_150, `probed at ${at} ms`);
});

Deno.test("[R-NODE-SCALE-009] suspicion refuted, then silence again: probed, suspected and dead at the full walk's times", () => {
  const { clock, live, sent } = detector({ indirectProbes: 0, deadIntervals: 10 });
  live.start();
  live.heard(
    { current: { ...peer(0), seqno: 1 }, seen: [], other: [], distribution: [] },
    "udp",
    "v2",
  );
  const states: string[] = [];
  const seenState = () => {
    const s = live.peers(true)[0]?.state ?? "gone";
    if (states.at(-1)?.split("@")[0] !== s) {
      states.push(`${s}@${Math.round((clock.now() - T0) / 100) / 10}`);
    }
  };
  // Silent: probed after 3.5 s, suspect at the next tick.
  while (clock.now() < T0 + 6_000) {
    clock.advance(50);
    seenState();
  }
  assert.equal(sent.length, 1);
  assert.equal(live.peers(true)[0].state, "suspect");
  // Heard again: alive; silent again: probed again 3.5 s later, then suspect, then dead 10 s
  // after. (By TCP: only the change of state moves its registration, from the end of suspicion.)
  live.heard(
    { current: { ...peer(0), seqno: 2 }, seen: [], other: [], distribution: [] },
    "tcp",
    "v2",
  );
  const back = clock.now();
  let probedAt = 0;
  while (clock.now() < back + 17_000) {
    clock.advance(50);
    if (!probedAt && (sent.length as number) === 2) probedAt = clock.now() - back;
    seenState();
  }
  assert.ok(probedAt > 3_500 && probedAt <= 3_500 + 1_150, `probed again after ${probedAt} ms`);
  live.stop();
  assert.equal(sent.length, 2);
  const st = states.map((s) => s.split("@")[0]);
  assert.deepEqual(st, ["alive", "suspect", "alive", "suspect", "dead"], states.join(" "));
  const deadAt = Number(states.at(-1)!.split("@")[1]) * 1000;
  const suspectAt = Number(states.at(-2)!.split("@")[1]) * 1000;
  assert.ok(deadAt - suspectAt >= 10_000 && deadAt - suspectAt <= 11_200, states.join(" "));
});
