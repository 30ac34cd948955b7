"""Group membership (`chatter.membership.v1`) for the Python conformance testee.

Written from spec/membership.md and spec/testee.md section 8 alone: the data model (section 2),
merge (section 3), view (section 4), payload codec (section 5, decoding in the order of 5.3) and
the testee ops membership_encode, membership_decode, membership_merge (section 6).

A member is kept as its NetID table entry (family, address bytes, port) from v2.py, whose tuple
order is NetID table order (IPv4 before IPv6, then address bytes, then port), [R-TABLE-003].
"""

from testee import DecodeError, InputError, RequestError, read_varint, write_varint
from v2 import entry_json, netid_entry

U32_MAX = 2**32 - 1
TYPE_TAG = 0x43B9CFC4  # [R-MEM-020]: xxhash32("chatter.membership.v1")
ITEM_LIMIT = 65536  # [R-MEM-026]: default item limit
OPS = {"add": 0, "rmv": 1}  # [R-MEM-022]: op byte; also the tie order of [R-MEM-006] (rmv wins)
OP_NAMES = {0: "add", 1: "rmv"}


# --- the model (section 2) -------------------------------------------------------------


class Message:
    """[R-MEM-008]: a WorldClock {member: time} and one TimedItem per slot.

    `items` maps a slot (member, start, end) to (time, op, priority): comparing those tuples is
    the write precedence of [R-MEM-006] (time, then rmv over add, then priority)."""

    def __init__(self):
        self.clock = {}
        self.items = {}

    def add_clock(self, member, time):
        # [R-MEM-007]: keep the greater time.
        if time > self.clock.get(member, -1):
            self.clock[member] = time

    def add_item(self, member, start, end, op, priority, time):
        # [R-MEM-008]: the clock covers every item; [R-MEM-006]: one winner per slot.
        self.add_clock(member, time)
        slot = (member, start, end)
        w = (time, op, priority)
        if slot not in self.items or w > self.items[slot]:
            self.items[slot] = w

    def merge(self, other):
        """[R-MEM-009]: slot-wise winner, member-wise maximum clock (in place)."""
        for m, t in other.clock.items():
            self.add_clock(m, t)
        for (m, s, e), (t, op, p) in other.items.items():
            self.add_item(m, s, e, op, p, t)
        return self

    def to_json(self):
        # [R-MEM-040]: clock in member order, items in slot order.
        return {
            "clock": [{"member": entry_json(m), "time": self.clock[m]} for m in sorted(self.clock)],
            "items": [
                {
                    "item": {
                        "member": entry_json(m),
                        "op": OP_NAMES[op],
                        "start": s,
                        "end": e,
                        "priority": p,
                    },
                    "clock": {"member": entry_json(m), "time": t},
                }
                for (m, s, e), (t, op, p) in sorted(self.items.items())
            ],
        }


# --- JSON input ([R-MEM-040]): wrong JSON type is BAD_REQUEST, broken model BAD_INPUT ------


def u32(obj, field, where):
    """[R-MEM-001]: a u32; a non-number is BAD_REQUEST, a number outside u32 BAD_INPUT."""
    if not isinstance(obj, dict) or field not in obj:
        raise RequestError(f"{where}.{field} is missing")
    v = obj[field]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise RequestError(f"{where}.{field} must be a number, got {v!r}")
    if isinstance(v, float):
        if not v.is_integer():
            raise InputError(f"{where}.{field} must be an integer in [0, 2^32-1], got {v!r}")
        v = int(v)
    if not 0 <= v <= U32_MAX:
        raise InputError(f"{where}.{field} must be an integer in [0, 2^32-1], got {v!r}")
    return v


def obj_of(v, where):
    if not isinstance(v, dict):
        raise RequestError(f"{where} must be an object, got {v!r}")
    return v


def list_of(v, where):
    if not isinstance(v, list):
        raise RequestError(f"{where} must be a list, got {v!r}")
    return v


def member_of(v, where):
    # netid_entry raises RequestError for a wrong shape, InputError for a bad address or port.
    if not isinstance(v, dict):
        raise RequestError(f"{where} must be a NetID {{ip, port}}, got {v!r}")
    return netid_entry(v)


def message_of(v, where="message"):
    """A Message from its JSON form, checked against section 2."""
    v = obj_of(v, where)
    clock = list_of(v.get("clock"), f"{where}.clock")
    items = list_of(v.get("items"), f"{where}.items")
    msg = Message()
    for i, c in enumerate(clock):
        w = f"{where}.clock[{i}]"
        c = obj_of(c, w)
        msg.add_clock(member_of(c.get("member"), f"{w}.member"), u32(c, "time", w))
    for i, ti in enumerate(items):
        w = f"{where}.items[{i}]"
        ti = obj_of(ti, w)
        it = obj_of(ti.get("item"), f"{w}.item")
        ck = obj_of(ti.get("clock"), f"{w}.clock")
        member = member_of(it.get("member"), f"{w}.item.member")
        op = it.get("op")
        if not isinstance(op, str):
            raise RequestError(f"{w}.item.op must be a string, got {op!r}")
        if op not in OPS:  # [R-MEM-003]
            raise InputError(f"{w}.item.op must be add or rmv, got {op!r}")
        start = u32(it, "start", f"{w}.item")
        end = u32(it, "end", f"{w}.item")
        priority = u32(it, "priority", f"{w}.item")
        if start > end:  # [R-MEM-003]
            raise InputError(f"{w}.item: start {start} > end {end}")
        cmember = member_of(ck.get("member"), f"{w}.clock.member")
        time = u32(ck, "time", f"{w}.clock")
        if cmember != member:  # [R-MEM-004]
            raise InputError(
                f"{w}: clock of member {fmt(cmember)} on an item of member {fmt(member)}"
            )
        msg.add_item(member, start, end, OPS[op], priority, time)
    return msg


def fmt(m):
    j = entry_json(m)
    return f"{j['ip']}:{j['port']}" if m[0] == 4 else f"[{j['ip']}]:{j['port']}"


def table_of(v, where):
    return [member_of(n, f"{where}[{i}]") for i, n in enumerate(list_of(v, where))]


# --- view (section 4) ------------------------------------------------------------------


def view(msg):
    """[R-MEM-011..013]: maximal segments with their servers.

    Cut the key space at every item start and end + 1; inside one cut the items covering a key
    do not change, so each member's decision is that of its highest-precedence covering item.
    Then join adjacent cuts with equal server lists and drop cuts nobody serves."""
    by_member = {}
    bounds = set()
    for (m, s, e), w in msg.items.items():
        by_member.setdefault(m, []).append((s, e, w))
        bounds.add(s)
        bounds.add(e + 1)
    cuts = sorted(bounds)
    segments = []
    for lo, nxt in zip(cuts, cuts[1:]):
        hi = nxt - 1
        servers = []
        for m, items in by_member.items():
            best = None
            for s, e, w in items:
                if s <= lo and hi <= e and (best is None or w > best):
                    best = w
            if best is not None and best[1] == OPS["add"]:
                servers.append((best[2], m))
        if not servers:
            continue
        # [R-MEM-012]: priority highest first, ties in NetID table order.
        servers.sort(key=lambda pm: (-pm[0], pm[1]))
        if segments and segments[-1][1] + 1 == lo and segments[-1][2] == servers:
            segments[-1][1] = hi
        else:
            segments.append([lo, hi, servers])
    return [
        {
            "start": lo,
            "end": hi,
            "servers": [{"member": entry_json(m), "priority": p} for p, m in servers],
        }
        for lo, hi, servers in segments
    ]


# --- payload (section 5) ---------------------------------------------------------------


def encode(msg, extra):
    """[R-MEM-021], [R-MEM-025], [R-MEM-028]: the one canonical encoding; returns (payload, table)."""
    table = sorted(set(extra) | set(msg.clock))
    index = {e: i for i, e in enumerate(table)}
    per_member = {}
    for (m, s, e), w in msg.items.items():
        per_member.setdefault(m, []).append((s, e, w))
    out = bytearray(write_varint(len(msg.clock)))
    for m in sorted(msg.clock):
        items = sorted(per_member.get(m, []))
        out += write_varint(index[m]) + write_varint(msg.clock[m]) + write_varint(len(items))
        for s, e, (t, op, p) in items:
            out += write_varint(s) + write_varint(e) + bytes([op]) + write_varint(p)
            out += write_varint(t)
    return bytes(out), table


def decode(p, table, item_limit=ITEM_LIMIT):
    """[R-MEM-030]: the steps of section 5.3, in order."""
    t = len(table)
    o = 0

    def read():
        nonlocal o
        v, o = read_varint(p, o, 5, U32_MAX)
        return v

    msg = Message()
    at = o
    m_count = read()  # 1
    if m_count > t:
        raise DecodeError("TABLE_REF_OUT_OF_RANGE", at, f"{m_count} members, table of {t}")
    if 3 * m_count > len(p) - o:
        raise DecodeError("TRUNCATED", len(p), f"{m_count} members in {len(p) - o} bytes")
    prev_ref = -1
    total = 0
    for _ in range(m_count):  # 2
        at = o
        ref = read()  # 2.1
        if ref >= t:
            raise DecodeError("TABLE_REF_OUT_OF_RANGE", at, f"ref {ref}, table of {t}")
        if ref <= prev_ref:
            raise DecodeError("MEMBERSHIP_NOT_CANONICAL", at, f"ref {ref} after ref {prev_ref}")
        world = read()  # 2.2
        if prev_ref >= 0 and not table[ref] > table[prev_ref]:
            raise DecodeError(
                "TABLE_NOT_CANONICAL", at, f"table entry {ref} does not sort after entry {prev_ref}"
            )
        member = table[ref]
        prev_ref = ref
        msg.add_clock(member, world)
        at = o
        n = read()  # 2.3
        if total + n > item_limit:
            raise DecodeError("MEMBERSHIP_ITEM_LIMIT", at, f"{total + n} items, limit {item_limit}")
        if 5 * n > len(p) - o:
            raise DecodeError("TRUNCATED", len(p), f"{n} items in {len(p) - o} bytes")
        total += n
        prev = None
        for _ in range(n):  # 2.4
            at = o
            start = read()
            end = read()
            if start > end:
                raise DecodeError("MEMBERSHIP_BAD_RANGE", at, f"start {start} > end {end}")
            if prev is not None and (start, end) <= prev:
                raise DecodeError(
                    "MEMBERSHIP_NOT_CANONICAL", at, f"slot {(start, end)} after slot {prev}"
                )
            prev = (start, end)
            if o >= len(p):
                raise DecodeError("TRUNCATED", o, "payload ends before the op byte")
            op = p[o]
            if op not in OP_NAMES:
                raise DecodeError("MEMBERSHIP_BAD_OP", o, f"op byte {op:#04x}")
            o += 1
            priority = read()
            at = o
            time = read()
            if time > world:
                raise DecodeError("MEMBERSHIP_CLOCK_AHEAD", at, f"time {time} > world time {world}")
            msg.items[(member, start, end)] = (time, op, priority)
    if o < len(p):  # 3
        raise DecodeError("MEMBERSHIP_TRAILING_BYTES", o, f"{len(p) - o} bytes after the last item")
    return msg


# --- testee ops (spec/testee.md section 8) ---------------------------------------------


def membership_encode(req):
    """[R-MEM-041]."""
    msg = message_of(req.get("message"))
    extra = table_of(req.get("table", []), "table")
    payload, table = encode(msg, extra)
    return {"payload": payload.hex(), "table": [entry_json(e) for e in table], "typeTag": TYPE_TAG}


def membership_decode(req):
    """[R-MEM-042]."""
    from testee import unhex

    payload = unhex(req.get("payload"), "payload")
    table = table_of(req.get("table"), "table")
    return {"message": decode(payload, table).to_json()}


def membership_merge(req):
    """[R-MEM-043]: left to right from the empty Message, and its view."""
    messages = list_of(req.get("messages"), "messages")
    state = Message()
    for i, m in enumerate(messages):
        state.merge(message_of(m, f"messages[{i}]"))
    return {"message": state.to_json(), "view": view(state)}


OPS_HANDLED = {
    "membership_encode": membership_encode,
    "membership_decode": membership_decode,
    "membership_merge": membership_merge,
}
