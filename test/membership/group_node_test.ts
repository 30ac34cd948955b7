// [R-MEM-050..053] GroupNodes over a simulated lossy broadcast network, each message going
// through the real payload codec and a NetID table as in a frame: views converge, a relay
// cannot rewrite another member's claims, and a restarted node catches up.
import assert from "node:assert/strict";
import {
  type GroupHost,
  type GroupMessageType,
  GroupNode,
  type MembershipState,
  viewToJson,
} from "../../src/membership/mod.ts";
import { type NetId, NetIdTable } from "../../src/wire/mod.ts";

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

/** Hosts that deliver broadcasts through encode/decode, losing each delivery with `loss`. */
class Net {
  readonly hosts = new Map<string, FakeHost>();
  readonly queue: {
    to: FakeHost;
    type: string;
    bytes: Uint8Array;
    table: NetId[];
    origin: NetId;
  }[] = [];
  delivered = 0;
  constructor(readonly loss: number, readonly random: () => number) {}
  host(id: NetId): FakeHost {
    const h = new FakeHost(this, id);
    this.hosts.set(`${id.ip}:${id.port}`, h);
    return h;
  }
  /** Deliver until nothing is in flight. */
  drain(): void {
    while (this.queue.length > 0) {
      const m = this.queue.shift()!;
      const t = m.to.types.get(m.type)!;
      this.delivered++;
      t.handler(t.decode(m.bytes, m.table), { origin: m.origin });
    }
  }
}

class FakeHost implements GroupHost {
  readonly types = new Map<string, GroupMessageType>();
  constructor(readonly net: Net, readonly id: NetId) {}
  register(type: GroupMessageType): void {
    this.types.set(type.typeName, type);
  }
  peers(): NetId[] {
    return [...this.net.hosts.values()].map((h) => h.id).filter((x) => x !== this.id);
  }
  broadcast(
    destinations: Iterable<NetId>,
    typeName: string,
    value: MembershipState,
    origin = this.id,
  ) {
    const type = this.types.get(typeName)!;
    const table = NetIdTable.build([origin, ...type.extractNetIds(value)]);
    const bytes = type.encode(value, table);
    for (const d of destinations) {
      const to = this.net.hosts.get(`${d.ip}:${d.port}`);
      if (to?.types.has(typeName) && this.net.random() >= this.net.loss) {
        this.net.queue.push({ to, type: typeName, bytes, table: table.ids(), origin });
      }
    }
  }
}

const id = (i: number): NetId => ({ ip: `10.0.2.${i + 1}`, port: 4000 });
const viewOf = (g: GroupNode) => JSON.stringify(viewToJson(g.view));
const agree = (gs: GroupNode[]) =>
  gs.every((g) => viewOf(g) === viewOf(gs[0]) && g.group.state.equals(gs[0].group.state));

Deno.test("[R-MEM-053] six GroupNodes converge under 40% loss through the codec", () => {
  for (const seed of [11, 12, 13, 14]) {
    const net = new Net(0.4, rng(seed));
    const gs = Array.from({ length: 6 }, (_, i) => new GroupNode(net.host(id(i))));
    gs.forEach((g, i) => g.join(i * 1000, i * 1000 + 1999, i));
    net.drain();
    gs[1].leave(1000, 1499);
    gs[4].write([{ op: "add", start: 0, end: 0xffff_ffff, priority: 0 }, {
      op: "rmv",
      start: 4000,
      end: 4999,
      priority: 0,
    }]);
    net.drain();
    let rounds = 0;
    while (!agree(gs) && rounds < 100) {
      gs.forEach((g) => g.tick());
      net.drain();
      rounds++;
    }
    assert.ok(agree(gs), `seed ${seed}: no agreement after 100 rounds`);
    // 1200: node 2 left [1000, 1499]; nodes 1 and 5 at priority 0, in table order.
    assert.deepEqual(gs[0].lookup(1200).map((s) => s.member.ip), ["10.0.2.1", "10.0.2.5"]);
    assert.deepEqual(gs[0].lookup(1600).map((s) => s.member.ip), [
      "10.0.2.2",
      "10.0.2.1",
      "10.0.2.5",
    ]);
    // 4500: node 5's later rmv beats both its adds there; node 4 serves it.
    assert.deepEqual(gs[3].lookup(4500).map((s) => [s.member.ip, s.priority]), [["10.0.2.4", 3]]);
  }
});

Deno.test("[R-MEM-050] a relay forwarding under its own origin cannot rewrite a member's claims", () => {
  const net = new Net(0, rng(1));
  const [a, b, c] = [0, 1, 2].map((i) => new GroupNode(net.host(id(i))));
  a.join(0, 99, 5);
  net.drain();
  // c broadcasts a's claims rewritten (a "left"), a message originated by c.
  const forged = c.group.state.write(id(0), [{ op: "rmv", start: 0, end: 99, priority: 0 }]);
  (net.hosts.get("10.0.2.3:4000")!).broadcast([id(1)], "chatter.membership.v1", forged);
  net.drain();
  assert.deepEqual(b.lookup(50).map((s) => s.member.ip), ["10.0.2.1"]);
  assert.equal(b.stats().ignoredItems, 1);
  void a;
});

Deno.test("[R-MEM-051] [R-MEM-053] a restarted node (empty state) catches up from digests", () => {
  const net = new Net(0, rng(2));
  const gs = [0, 1, 2].map((i) => new GroupNode(net.host(id(i))));
  gs.forEach((g, i) => g.join(i * 10, i * 10 + 9, 1));
  net.drain();
  const fresh = new GroupNode(net.host(id(3)));
  assert.equal(fresh.view.segments.length, 0);
  fresh.tick(); // its empty digest shows it lags every member: each answers with a snapshot
  net.drain();
  assert.ok(agree([...gs, fresh]));
  // One answer per round however many digests show the lag.
  [...gs, fresh].forEach((g) => g.tick());
  net.drain();
  const before = gs[0].stats().snapshotsSent;
  const other = new GroupNode(net.host(id(4)));
  other.tick();
  other.tick();
  net.drain();
  assert.equal(gs[0].stats().snapshotsSent, before + 1);
});
