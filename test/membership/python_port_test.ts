// [R-MEM-006] [R-MEM-009] [R-MEM-011..013] [R-MEM-021..030]: a second implementation, written in
// Python (standard library only) from spec/membership.md alone, decodes, re-encodes, merges and
// derives views for every case of vectors/membership.json and must agree with it. This checks
// that the spec is enough to build a port and that the vectors say what the spec says.
// Skipped, with a visible message, when no python3 is found.
import assert from "node:assert/strict";
import { named, PYTHON, pythonMissing } from "../_helpers/requires.ts";

const script = String.raw`
import json, sys, ipaddress
MAX = 0xffffffff

class DecodeError(Exception):
    def __init__(self, code):
        self.code = code

def read(p, o):  # varint: at most 5 bytes, minimal, at most 2^32-1
    v, shift, start = 0, 0, o
    for i in range(5):
        if o >= len(p): raise DecodeError("TRUNCATED")
        b = p[o]; o += 1
        v |= (b & 0x7f) << shift
        if b < 0x80:
            if b == 0 and i > 0: raise DecodeError("VARINT_OVERLONG")
            if v > MAX: raise DecodeError("VARINT_OVERFLOW")
            return v, o
        shift += 7
    raise DecodeError("VARINT_OVERLONG")

def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7f) | 0x80); v >>= 7
    out.append(v)
    return bytes(out)

def order(n):  # NetID table order: IPv4 before IPv6, address bytes, port
    try:
        a = ipaddress.ip_address(n["ip"])
    except ValueError:
        raise BadInput(n["ip"])  # section 6: an invalid address is BAD_INPUT
    if not isinstance(n["port"], int) or not 0 <= n["port"] <= 65535: raise BadInput(n["port"])
    return (a.version, a.packed, n["port"])

def decode(p, table, max_items=65536):  # section 5.3, step by step
    o = 0
    m_count, o = read(p, o)
    if m_count > len(table): raise DecodeError("TABLE_REF_OUT_OF_RANGE")
    if 3 * m_count > len(p) - o: raise DecodeError("TRUNCATED")
    clock, items, prev_ref, prev_key, total = [], [], -1, None, 0
    for _ in range(m_count):
        ref, o = read(p, o)
        if ref >= len(table): raise DecodeError("TABLE_REF_OUT_OF_RANGE")
        if ref <= prev_ref: raise DecodeError("MEMBERSHIP_NOT_CANONICAL")
        prev_ref = ref
        world, o = read(p, o)
        key = order(table[ref])
        if prev_key is not None and key <= prev_key: raise DecodeError("TABLE_NOT_CANONICAL")
        prev_key = key
        n, o = read(p, o)
        if total + n > max_items: raise DecodeError("MEMBERSHIP_ITEM_LIMIT")
        if 5 * n > len(p) - o: raise DecodeError("TRUNCATED")
        total += n
        member = {"ip": table[ref]["ip"], "port": table[ref]["port"]}
        clock.append({"member": member, "time": world})
        prev = (-1, -1)
        for _ in range(n):
            start, o = read(p, o)
            end, o = read(p, o)
            if start > end: raise DecodeError("MEMBERSHIP_BAD_RANGE")
            if (start, end) <= prev: raise DecodeError("MEMBERSHIP_NOT_CANONICAL")
            prev = (start, end)
            if o >= len(p): raise DecodeError("TRUNCATED")
            op = p[o]; o += 1
            if op not in (0, 1): raise DecodeError("MEMBERSHIP_BAD_OP")
            prio, o = read(p, o)
            time, o = read(p, o)
            if time > world: raise DecodeError("MEMBERSHIP_CLOCK_AHEAD")
            items.append({"item": {"member": member, "op": "add" if op == 0 else "rmv",
                                   "start": start, "end": end, "priority": prio},
                          "clock": {"member": member, "time": time}})
    if o != len(p): raise DecodeError("MEMBERSHIP_TRAILING_BYTES")
    return {"clock": clock, "items": items}

def encode(msg, table):  # section 5.1 layout against a table
    pos = {order(n): i for i, n in enumerate(table)}
    out = bytearray(varint(len(msg["clock"])))
    for c in msg["clock"]:
        mine = [t for t in msg["items"] if order(t["item"]["member"]) == order(c["member"])]
        out += varint(pos[order(c["member"])]) + varint(c["time"]) + varint(len(mine))
        for t in mine:
            i = t["item"]
            out += varint(i["start"]) + varint(i["end"]) + bytes([0 if i["op"] == "add" else 1])
            out += varint(i["priority"]) + varint(t["clock"]["time"])
    return bytes(out)

class BadInput(Exception):
    pass

def u32(v):
    if not isinstance(v, int) or isinstance(v, bool) or v < 0 or v > MAX: raise BadInput(v)
    return v

def winner_key(t):  # section 2, R-MEM-006: time, then rmv over add, then priority
    return (t["clock"]["time"], t["item"]["op"] == "rmv", t["item"]["priority"])

def merge(messages):  # section 3: union of slots, winner per slot, clock maximum
    slots, clock = {}, {}
    for m in messages:
        for c in m["clock"]:
            k = order(c["member"]); u32(c["time"])
            clock[k] = max(clock.get(k, (0, c["member"]))[0], c["time"]), c["member"]
        for t in m["items"]:
            i = t["item"]
            if i["op"] not in ("add", "rmv"): raise BadInput(i["op"])
            for f in ("start", "end", "priority"): u32(i[f])
            u32(t["clock"]["time"])
            if i["start"] > i["end"]: raise BadInput("range")
            if order(i["member"]) != order(t["clock"]["member"]): raise BadInput("clock member")
            k = order(i["member"])
            clock[k] = max(clock.get(k, (0, i["member"]))[0], t["clock"]["time"]), i["member"]
            s = (k, i["start"], i["end"])
            if s not in slots or winner_key(t) > winner_key(slots[s]): slots[s] = t
    return {"clock": [{"member": clock[k][1], "time": clock[k][0]} for k in sorted(clock)],
            "items": [slots[s] for s in sorted(slots)]}

def servers(state, key):  # section 4, R-MEM-011 and R-MEM-012, for one key
    best = {}
    for t in state["items"]:
        i = t["item"]
        if i["start"] <= key <= i["end"]:
            k = order(i["member"])
            if k not in best or winner_key(t) > winner_key(best[k]): best[k] = t
    serving = [(-t["item"]["priority"], k, t) for k, t in best.items() if t["item"]["op"] == "add"]
    return [{"member": t["item"]["member"], "priority": t["item"]["priority"]}
            for _, _, t in sorted(serving, key=lambda x: (x[0], x[1]))]

def view(state):  # R-MEM-013: maximal segments, empty ones left out
    bounds = sorted({0} | {t["item"]["start"] for t in state["items"]}
                    | {t["item"]["end"] + 1 for t in state["items"] if t["item"]["end"] < MAX})
    segs = []
    for n, b in enumerate(bounds):
        end = bounds[n + 1] - 1 if n + 1 < len(bounds) else MAX
        s = servers(state, b)
        if segs and s and segs[-1]["servers"] == s and segs[-1]["end"] + 1 == b:
            segs[-1]["end"] = end
        elif s:
            segs.append({"start": b, "end": end, "servers": s})
    return segs

results = []
for c in json.load(open(sys.argv[1]))["cases"]:
    r = {"id": c["id"], "ok": True, "why": ""}
    try:
        if c["op"] == "membership_decode" and c["result"] == "valid":
            d = decode(bytes.fromhex(c["payload"]), c["table"])
            if d != c["decoded"]: r.update(ok=False, why="decoded differs")
            elif encode(c["decoded"], c["table"]).hex() != c["payload"]:
                r.update(ok=False, why="re-encoding differs")
            elif merge([c["inputs"]["message"]]) != c["decoded"]:
                r.update(ok=False, why="inputs do not normalise to decoded")
        elif c["op"] == "membership_decode":
            try:
                decode(bytes.fromhex(c["payload"]), c["table"])
                r.update(ok=False, why="accepted")
            except DecodeError as e:
                if e.code != c["errorClass"]: r.update(ok=False, why="code " + e.code)
        elif c["result"] == "valid":
            m = merge(c["messages"])
            if m != c["merged"]: r.update(ok=False, why="merged differs")
            elif merge(list(reversed(c["messages"]))) != m: r.update(ok=False, why="order matters")
            elif view(m) != c["view"]: r.update(ok=False, why="view differs: " + json.dumps(view(m)))
        else:
            try:
                merge(c["messages"])
                r.update(ok=False, why="accepted")
            except BadInput:
                pass
    except Exception as e:
        r.update(ok=False, why="crash " + repr(e))
    results.append(r)
print(json.dumps(results))
`;

const NO_PYTHON = await pythonMissing(["json"]);

Deno.test({
  name: named(
    "an independent Python port built from spec/membership.md agrees with every vector",
    NO_PYTHON,
  ),
  ignore: NO_PYTHON !== undefined,
}, async () => {
  const file = new URL("../../vectors/membership.json", import.meta.url).pathname;
  const out = await new Deno.Command(PYTHON, {
    args: ["-c", script, file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const rows = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    id: string;
    ok: boolean;
    why: string;
  }[];
  assert.equal(rows.length, 41);
  const bad = rows.filter((r) => !r.ok).map((r) => `${r.id}: ${r.why}`);
  assert.deepEqual(bad, []);
});
