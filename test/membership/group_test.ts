// spec/membership.md §7: a Group accepts only the originator's items, raises change events,
// and a set of Groups exchanging snapshots and digests over a lossy simulated network
// converges on one view. The simulation is seeded, so a failure replays.
import assert from "node:assert/strict";
import fc from "fast-check";
import { Group, type GroupChange, MembershipState, viewToJson } from "../../src/membership/mod.ts";
import type { NetId } from "../../src/wire/mod.ts";

const A: NetId = { ip: "10.0.0.1", port: 4000 };
const B: NetId = { ip: "10.0.0.2", port: 4000 };
const C: NetId = { ip: "10.0.0.3", port: 4000 };

Deno.test("join, leave, lookup and change events", () => {
  const a = new Group(A);
  const changes: GroupChange[] = [];
  const off = a.onChange((c) => changes.push(c));
  a.join(0, 99, 5);
  assert.deepEqual(a.lookup(50).map((s) => s.priority), [5]);
  a.leave(40, 59);
  assert.deepEqual(a.lookup(50), []);
  assert.deepEqual(a.lookup(39).map((s) => s.priority), [5]);
  assert.equal(changes.length, 2);
  assert.equal(changes[1].previous.lookup(50).length, 1);
  a.write([]); // a clock tick that changes no claim: no event
  assert.equal(changes.length, 2);
  off();
  a.join(200, 300, 1);
  assert.equal(changes.length, 2);
  assert.equal(a.state.clock.get(A), 4);
});

Deno.test("[R-MEM-050] a member's items are accepted only from frames that member originated", () => {
  const a = new Group(A), b = new Group(B), c = new Group(C);
  const snapA = a.join(0, 99, 5);
  // C forwards a forged message claiming A left, under its own origin: ignored.
  const forged = MembershipState.EMPTY.write(A, [{ op: "rmv", start: 0, end: 99, priority: 0 }])
    .write(A, [{ op: "rmv", start: 0, end: 99, priority: 0 }]);
  const r1 = b.receiveSnapshot(snapA, A);
  assert.equal(r1.changed, true);
  const r2 = b.receiveSnapshot(forged, C);
  assert.equal(r2.changed, false);
  assert.equal(r2.ignored, 1);
  assert.deepEqual(b.lookup(10).map((s) => s.member.ip), ["10.0.0.1"]);
  // The forged clock of A was not taken either: b's clock of A is A's own.
  assert.equal(b.state.clock.get(A), 1);
  void c;
});

Deno.test("[R-MEM-051] [R-MEM-052] [R-MEM-053] digests: a member resends when a peer's digest lags its own clock; lag is reported", () => {
  const a = new Group(A), b = new Group(B), c = new Group(C);
  a.join(0, 9, 1);
  // A digest is the whole world clock, no items; receiving one merges nothing.
  assert.equal(a.digest().clock.get(A), 1);
  assert.equal(a.digest().items.length, 0);
  assert.deepEqual(b.receiveDigest(a.digest()).lagging.map((m) => m.ip), ["10.0.0.1"]);
  assert.equal(b.state.clock.get(A), undefined);
  assert.equal(a.receiveDigest(b.digest()).resend, true); // b knows nothing of A
  assert.equal(b.receiveSnapshot(a.snapshot(), A).changed, true);
  assert.equal(b.receiveSnapshot(a.snapshot(), A).changed, false); // idempotent
  assert.equal(a.receiveDigest(b.digest()).resend, false);
  a.join(10, 19, 1); // b now lags
  assert.equal(a.receiveDigest(b.digest()).resend, true);
  // C hears B's digest that knows A at 1: C lags behind A (and B has no clock: not listed).
  assert.deepEqual(c.receiveDigest(b.digest()).lagging.map((m) => m.ip), ["10.0.0.1"]);
  // A member never takes its own clock from a peer.
  const fake = MembershipState.EMPTY.write(A, [{ op: "rmv", start: 0, end: 9, priority: 0 }]);
  assert.equal(a.receiveSnapshot(fake, A).changed, false);
  // A snapshot without its origin's clock (e.g. relayed under another origin) is ignored whole:
  // it must not set the relay's clock either.
  const r = c.receiveSnapshot(fake, B);
  assert.equal(r.ignored, 1);
  assert.equal(c.state.clock.get(A), undefined);
  assert.equal(c.state.clock.get(B), undefined);
});

/** Deterministic xorshift32 in [0, 1). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/**
 * Simulate `n` groups broadcasting to each other with `loss` probability per delivery: every
 * node claims ranges, then changes and leaves some; then rounds of digests until all views
 * agree. Returns the rounds needed (or -1).
 */
function simulate(n: number, loss: number, seed: number, maxRounds = 200): number {
  const r = rng(seed);
  const ids: NetId[] = Array.from({ length: n }, (_, i) => ({ ip: `10.0.1.${i + 1}`, port: 4000 }));
  const groups = ids.map((id) => new Group(id));
  const broadcast = (from: number, m: MembershipState, digest = false) => {
    for (let j = 0; j < n; j++) {
      if (j === from || r() < loss) continue;
      if (!digest) {
        groups[j].receiveSnapshot(m, ids[from]);
      } else if (groups[j].receiveDigest(m).resend) {
        broadcast(j, groups[j].snapshot()); // broadcast to all, subject to loss
      }
    }
  };
  for (let i = 0; i < n; i++) {
    const s = Math.floor(r() * 1000);
    broadcast(i, groups[i].join(s, s + Math.floor(r() * 5000), Math.floor(r() * 8)));
  }
  for (let i = 0; i < n; i += 2) broadcast(i, groups[i].join(100_000, 200_000, i));
  for (let i = 0; i < n; i += 3) broadcast(i, groups[i].leave(150_000, 160_000));
  const agree = () => {
    const v = JSON.stringify(viewToJson(groups[0].view));
    return groups.every((g) => JSON.stringify(viewToJson(g.view)) === v) &&
      groups.every((g) => g.state.equals(groups[0].state));
  };
  for (let round = 0; round < maxRounds; round++) {
    if (agree()) return round;
    for (let i = 0; i < n; i++) broadcast(i, groups[i].digest(), true);
  }
  return agree() ? maxRounds : -1;
}

Deno.test("[R-MEM-053] groups converge on one state and view under 30% loss (seeded)", () => {
  for (const seed of [1, 2, 3]) {
    const rounds = simulate(8, 0.3, seed);
    assert.ok(rounds >= 0, `seed ${seed}: no agreement after 200 rounds`);
  }
});

Deno.test("convergence holds for any seed and loss up to 60% (200 runs)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 ** 31 }),
      fc.integer({ min: 2, max: 6 }),
      fc.double({ min: 0, max: 0.6, noNaN: true }),
      (seed, n, loss) => {
        assert.ok(simulate(n, loss, seed) >= 0);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("without digests (no anti-entropy) loss leaves views apart: the mechanism matters", () => {
  // Same exchange with zero rounds of digests: at 50% loss some seed must disagree.
  let apart = 0;
  for (let seed = 1; seed <= 20; seed++) if (simulate(6, 0.5, seed, 0) === -1) apart++;
  assert.ok(apart > 0);
});
