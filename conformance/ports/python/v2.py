"""Chatter profile "v2" for the Python testee, written from spec/wire.md section 15 and
spec/testee.md section 7 alone.

Header (45 bytes, version 3) || AES-256-GCM ciphertext || tag (16); session key =
HKDF-SHA256(keyring key, salt, info); nonce = 4 zero bytes || counter (8 bytes big-endian); the
AAD is the header, then (flag bit 1, a TCP frame) the receiver's NetID as a table entry.
"""

import ipaddress
from collections import OrderedDict

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import testee as base
from testee import DecodeError, InputError, RequestError, read_varint, write_varint, xxh32

START = 0xC7
VERSION = 3
HEADER = 45
FLAG_SNAPPY = 1
FLAG_BOUND = 2  # [R-V2-BIND-001]
DEFAULT_SKEW_MS = 60000  # [R-V2-TIME-002]
TAG = 16
U64_MAX = 2**64 - 1
MAX_DATAGRAM = 1400

# spec/wire.md 15.11
DEFAULT_LIMITS = {
    "maxFrameBytes": 1048576,
    "maxTableEntries": 4096,
    "maxListLength": 4096,
    "maxRecords": 4096,
    "maxUncompressedBytes": 1048576,
    "maxCompressionRatio": 32,
    "maxSessions": 4096,
    "maxSessionKeys": 1024,
}


# --- keys ------------------------------------------------------------------------------


def keyring_of(v):
    """spec/testee.md 7: {"keys": [{"id": n, "key": hex}], "primary": n}."""
    if not isinstance(v, dict) or not isinstance(v.get("keys"), list):
        raise RequestError("keyring must be {keys: [{id, key}], primary}")
    ring = {}
    for e in v["keys"]:
        if not isinstance(e, dict) or not isinstance(e.get("id"), int):
            raise RequestError(f"keyring entry must be {{id: number, key: hex}}, got {e!r}")
        key = base.unhex(e.get("key"), "keyring key")
        if not 0 <= e["id"] <= 255 or len(key) != 32:  # [R-V2-KEY-001]
            raise InputError(f"keyring key {e['id']} must have an id 0..255 and 32 bytes")
        ring[e["id"]] = key
    if not ring:
        raise InputError("a keyring needs at least one key")
    primary = v.get("primary", next(iter(ring)))
    if primary not in ring:
        raise InputError(f"primary key id {primary!r} is not in the keyring")
    return ring, primary


def label_bytes(label):
    if not isinstance(label, str):
        raise RequestError("label must be a string")
    b = label.encode("utf-8")
    if len(b) > 255:  # [R-V2-LABEL-001]
        raise InputError("label longer than 255 bytes")
    return b


def session_key(key, salt, key_id, label):
    """[R-V2-SESSION-002]"""
    info = b"chatter v2 session key" + b"\x00" + bytes([key_id]) + bytes([len(label)]) + label
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key)


def nonce(counter):
    """[R-V2-AEAD-002]"""
    return b"\x00" * 4 + counter.to_bytes(8, "big")


# --- NetIDs (15.9) ---------------------------------------------------------------------


def netid_entry(nid):
    if not isinstance(nid, dict) or not isinstance(nid.get("ip"), str):
        raise RequestError(f"a NetID must be {{ip, port}}, got {nid!r}")
    port = nid.get("port")
    if not isinstance(port, int) or isinstance(port, bool):
        raise RequestError(f"port must be a number, got {port!r}")
    if not 0 <= port <= 65535:
        raise InputError(f"port must be in [0, 65535], got {port}")
    try:
        addr = ipaddress.ip_address(nid["ip"])
    except ValueError:
        raise InputError(f"not an IP address: {nid['ip']!r}")
    fam = 4 if addr.version == 4 else 6
    return (fam, addr.packed, port)  # sorts IPv4 first, then address bytes, then port


def entry_bytes(e):
    fam, addr, port = e
    return bytes([fam]) + addr + port.to_bytes(2, "big")


def entry_json(e):
    fam, addr, port = e
    ip = ipaddress.ip_address(addr)
    return {"ip": str(ip), "port": port}


# --- encoding --------------------------------------------------------------------------


def encode_frame(req):
    ring, primary = keyring_of(req.get("keyring"))
    key_id = req.get("keyId", primary)
    if key_id not in ring:
        raise InputError(f"key id {key_id!r} is not in the keyring")
    label = label_bytes(req.get("label", ""))
    salt = base.unhex(req.get("salt"), "salt")
    if len(salt) != 16:
        raise InputError("salt must be 16 bytes")
    counter = req.get("counter")
    try:
        counter = int(counter)
    except (TypeError, ValueError):
        raise RequestError(f"counter must be a decimal string, got {counter!r}")
    if not 0 <= counter <= U64_MAX:
        raise InputError("counter must be in [0, 2^64-1]")
    sealed_at = req.get("sealedAt")
    if not isinstance(sealed_at, int) or isinstance(sealed_at, bool):
        raise RequestError(f"sealedAt must be a number (ms), got {sealed_at!r}")
    if not 0 <= sealed_at <= base.SEQNO_MAX:  # [R-V2-TIME-001]
        raise InputError("sealedAt must be in [0, 2^53-1]")
    to = req.get("to")
    binding = b"" if to is None else entry_bytes(netid_entry(to))
    g = req.get("gossip")
    if not isinstance(g, dict) or not isinstance(g.get("current"), dict):
        raise RequestError("gossip must be an object with a current BroadcastID")
    records = req.get("records")
    if not isinstance(records, list):
        raise RequestError("records must be a list")
    if not records:
        raise InputError("a frame carries at least one record")
    compression = req.get("compression", "snappy")
    if compression not in ("snappy", "none"):
        raise RequestError("compression must be snappy or none")
    seen = g.get("seen") or []
    other = g.get("other") or []
    dist = g.get("distribution") or []
    recs = []
    for r in records:
        if not isinstance(r, dict) or not isinstance(r.get("origin"), dict):
            raise RequestError("a record is {typeName?, typeTag?, origin, payload}")
        tag = r.get("typeTag")
        if tag is None:
            if not isinstance(r.get("typeName"), str):
                raise RequestError("a record needs typeName or typeTag")
            tag = xxh32(r["typeName"].encode("utf-8"))
        elif not isinstance(tag, int) or not 0 <= tag <= base.U32_MAX:
            raise InputError(f"typeTag must be a 32-bit unsigned integer, got {tag!r}")
        recs.append((tag, r["origin"], base.unhex(r.get("payload", ""), "payload")))
    used = [g["current"], *seen, *other, *dist, *(o for _, o, _ in recs), *(req.get("extraNetIds") or [])]
    table = sorted({netid_entry(n) for n in used})  # [R-V2-TABLE-001]
    index = {e: i for i, e in enumerate(table)}

    def ref(n):
        return write_varint(index[netid_entry(n)])

    def seqno(n):
        s = n.get("seqno")
        if not isinstance(s, int) or isinstance(s, bool):
            raise RequestError(f"seqno must be a number, got {s!r}")
        if not 0 <= s <= base.SEQNO_MAX:
            raise InputError(f"seqno must be in [0, 2^53-1], got {s}")
        return write_varint(s)

    body = bytearray(write_varint(len(table)))
    for e in table:
        body += entry_bytes(e)
    body += ref(g["current"]) + seqno(g["current"])
    body += write_varint(len(seen))
    for s in seen:
        body += ref(s) + seqno(s)
    body += write_varint(len(other))
    for o in other:
        body += ref(o)
    body += write_varint(len(dist))
    for d in dist:
        body += ref(d)
    body += write_varint(len(recs))
    for tag, origin, payload in recs:  # [R-V2-RECORD-001]
        body += write_varint(tag) + ref(origin) + seqno(origin) + write_varint(len(payload)) + payload
    body = bytes(body)
    plaintext, flags = body, 0
    if compression == "snappy":  # [R-V2-COMP-001]: keep the block only when it is shorter
        block = base.compress(body)
        if len(block) < len(body):
            plaintext, flags = block, FLAG_SNAPPY
    if to is not None:
        flags |= FLAG_BOUND
    header = (
        bytes([START, VERSION, HEADER, flags, key_id])
        + salt
        + counter.to_bytes(8, "big")
        + len(plaintext).to_bytes(4, "big")
        + len(body).to_bytes(4, "big")
        + sealed_at.to_bytes(8, "big")
    )
    sealed = AESGCM(session_key(ring[key_id], salt, key_id, label)).encrypt(
        nonce(counter), plaintext, header + binding
    )
    frame = header + sealed
    return {
        "frame": frame.hex(),
        "body": body.hex(),
        "compressed": bool(flags & FLAG_SNAPPY),
        "fitsDatagram": len(frame) <= MAX_DATAGRAM,
    }


# --- decoding (15.12, step by step) -----------------------------------------------------


class Receiver:
    """A v2 receiver: keyring, label, limits, and (for streams) replay state."""

    def __init__(self, spec, stateful):
        if not isinstance(spec, dict):
            raise RequestError("receiver must be {keyring, label, limits?, replayWindow?}")
        self.ring, _ = keyring_of(spec.get("keyring"))
        self.label = label_bytes(spec.get("label", ""))
        self.limits = dict(DEFAULT_LIMITS)
        given = spec.get("limits") or {}
        if not isinstance(given, dict):
            raise RequestError("limits must be an object")
        for k, v in given.items():
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise RequestError(f"limits.{k} must be a number")
            self.limits[k] = v
        self.window = spec.get("replayWindow", 1024)
        if not isinstance(self.window, int) or self.window < 32:  # [R-V2-REPLAY-006]
            raise InputError("replayWindow must be at least 32")
        self.stateful = stateful
        # The receiver's own NetID: frames arrive on a stream and must be bound to it; absent:
        # datagrams, which must not be bound. [R-V2-BIND-002]
        nid = spec.get("netId")
        self.binding = None if nid is None else entry_bytes(netid_entry(nid))
        # Time rules, only when the request gives the receiver's clock. [R-V2-TIME-002..003]
        self.now = spec.get("now")
        self.start = spec.get("startTime")
        self.skew = spec.get("maxClockSkewMs", DEFAULT_SKEW_MS)
        for name, v in (("now", self.now), ("startTime", self.start), ("maxClockSkewMs", self.skew)):
            if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
                raise RequestError(f"receiver.{name} must be a number")
        # (key id, salt) -> [highest accepted, set of accepted counters in the window]
        self.sessions = OrderedDict()

    def decode(self, f):
        lim = self.limits
        # Header, before any cryptography.
        if len(f) == 0:
            raise DecodeError("TRUNCATED", 0, "empty frame")  # 1
        if f[0] != START:
            raise DecodeError("BAD_START_BYTE", 0, f"start byte {f[0]:#04x}")  # 2
        if len(f) > 1 and f[1] != VERSION:
            raise DecodeError("UNKNOWN_VERSION", 1, f"version {f[1]}")  # 3
        if len(f) > 2 and f[2] != HEADER:
            raise DecodeError("BAD_HEADER_LENGTH", 2, f"header length {f[2]}")  # 4
        if len(f) > 3 and f[3] & ~(FLAG_SNAPPY | FLAG_BOUND) & 0xFF:
            raise DecodeError("BAD_FLAGS", 3, f"flags {f[3]:#04x}")  # 5
        if len(f) < HEADER:
            raise DecodeError("TRUNCATED", len(f), "shorter than the header")  # 6
        flags, key_id, salt = f[3], f[4], bytes(f[5:21])
        counter = int.from_bytes(f[21:29], "big")
        ct = int.from_bytes(f[29:33], "big")
        u = int.from_bytes(f[33:37], "big")
        sealed_at = int.from_bytes(f[37:45], "big")
        total = HEADER + ct + TAG
        if total > lim["maxFrameBytes"]:
            raise DecodeError("FRAME_TOO_LARGE", 29, f"frame of {total} bytes")  # 7
        if len(f) < total:
            raise DecodeError("TRUNCATED", len(f), f"frame announces {total} bytes")  # 8
        if len(f) > total:
            raise DecodeError("TRAILING_BYTES", total, f"{len(f) - total} bytes after the frame")
        if u > lim["maxUncompressedBytes"]:
            raise DecodeError("SIZE_LIMIT", 33, f"U = {u}")  # 9
        if not flags & FLAG_SNAPPY and u != ct:
            raise DecodeError("SIZE_MISMATCH", 33, f"U = {u}, CT = {ct}")  # 10
        if flags & FLAG_SNAPPY and u > lim["maxCompressionRatio"] * ct:
            raise DecodeError("RATIO_LIMIT", 33, f"U = {u} for CT = {ct}")
        key = self.ring.get(key_id)
        if key is None:
            raise DecodeError("UNKNOWN_KEY_ID", 4, f"key id {key_id}")  # 11
        bound = bool(flags & FLAG_BOUND)
        if bound != (self.binding is not None):  # 12
            raise DecodeError("BINDING_MISMATCH", 3, "bound frame as datagram" if bound else "unbound frame on a stream")
        if self.now is not None:  # 13
            if sealed_at > self.now + self.skew or sealed_at < self.now - self.skew:
                raise DecodeError("CLOCK_SKEW", 37, f"sealed at {sealed_at}, clock {self.now}")
            if self.start is not None and sealed_at < self.start:
                raise DecodeError("BEFORE_START", 37, f"sealed at {sealed_at}, started {self.start}")
        sid = (key_id, salt)
        if self.stateful and sid in self.sessions:  # 14
            high, accepted = self.sessions[sid]
            if counter <= high and high - counter >= self.window:
                raise DecodeError("BEHIND_WINDOW", 21, f"counter {counter}, highest {high}")
            if counter in accepted:
                raise DecodeError("REPLAY", 21, f"counter {counter} already accepted")
        # Authentication.
        aad = bytes(f[:HEADER]) + (self.binding if bound else b"")
        try:  # 15
            plaintext = AESGCM(session_key(key, salt, key_id, self.label)).decrypt(
                nonce(counter), bytes(f[HEADER:]), aad
            )
        except InvalidTag:
            raise DecodeError("AUTH_FAILED", HEADER + ct, "the GCM tag does not verify")
        if self.stateful:  # 16
            self.record(sid, counter)
        # Plaintext.
        if flags & FLAG_SNAPPY:  # 17
            if not plaintext:
                raise DecodeError("SNAPPY_CORRUPT", 0, "empty block")
            try:
                declared, _ = read_varint(plaintext, 0, 5, base.U32_MAX)
            except DecodeError as e:
                raise DecodeError("SNAPPY_CORRUPT", 0, f"preamble: {e.code}")
            if declared != u:
                raise DecodeError("SIZE_MISMATCH", 0, f"preamble {declared}, U {u}")
            try:
                body = base.snappy.uncompress(plaintext)
            except Exception as e:
                raise DecodeError("SNAPPY_CORRUPT", 0, f"snappy: {e}")
            if len(body) != u:
                raise DecodeError("SNAPPY_CORRUPT", 0, f"{len(body)} bytes, U {u}")
        else:
            body = plaintext
        out = self.body(body)
        out.update(
            keyId=key_id,
            salt=salt.hex(),
            counter=str(counter),
            compressed=bool(flags & FLAG_SNAPPY),
            sealedAt=sealed_at,
            bound=bound,
        )
        return out

    def record(self, sid, counter):
        if sid in self.sessions:
            high, accepted = self.sessions.pop(sid)
        else:
            high, accepted = counter, set()
            while len(self.sessions) >= self.limits["maxSessions"]:
                self.sessions.popitem(last=False)  # least recently used first
        high = max(high, counter)
        accepted.add(counter)
        accepted = {c for c in accepted if high - c < self.window}
        self.sessions[sid] = (high, accepted)

    def body(self, b):
        lim = self.limits
        t, o = read_varint(b, 0, 5, base.U32_MAX)  # 18
        if t > lim["maxTableEntries"]:
            raise DecodeError("TABLE_LIMIT", 0, f"table of {t}")
        if 7 * t > len(b) - o:
            raise DecodeError("TRUNCATED", len(b), f"table of {t}")
        table = []
        for i in range(t):  # 19
            if o >= len(b):
                raise DecodeError("TRUNCATED", o, "table entry")
            fam = b[o]
            if fam not in (4, 6):
                raise DecodeError("BAD_NETID", o, f"family {fam}")
            n = 4 if fam == 4 else 16
            if len(b) - o < 1 + n + 2:
                raise DecodeError("TRUNCATED", len(b), "table entry")
            e = (fam, bytes(b[o + 1 : o + 1 + n]), int.from_bytes(b[o + 1 + n : o + 3 + n], "big"))
            if table and e <= table[-1]:
                raise DecodeError("TABLE_NOT_CANONICAL", o, f"entry {i}")
            table.append(e)
            o += 3 + n
        pos = [o]

        def varint(mb, mv):
            v, pos[0] = read_varint(b, pos[0], mb, mv)
            return v

        def ref():
            at = pos[0]
            r = varint(5, base.U32_MAX)
            if r >= t:
                raise DecodeError("TABLE_REF_OUT_OF_RANGE", at, f"reference {r}, table of {t}")
            return entry_json(table[r])

        def count(m, what):
            at = pos[0]
            n = varint(5, base.U32_MAX)
            if n > lim["maxListLength"]:
                raise DecodeError("LIST_LIMIT", at, f"{what} list of {n}")
            if n * m > len(b) - pos[0]:
                raise DecodeError("TRUNCATED", len(b), f"{what} list of {n}")
            return n

        current = ref()  # 20
        current["seqno"] = varint(8, base.SEQNO_MAX)
        seen = []
        for _ in range(count(2, "seen")):
            s = ref()
            s["seqno"] = varint(8, base.SEQNO_MAX)
            seen.append(s)
        other = [ref() for _ in range(count(1, "other"))]
        dist = [ref() for _ in range(count(1, "distribution"))]
        at = pos[0]
        m = varint(5, base.U32_MAX)  # 21
        if m == 0 or m > lim["maxRecords"]:
            raise DecodeError("RECORD_LIMIT", at, f"{m} records")
        if 4 * m > len(b) - pos[0]:
            raise DecodeError("TRUNCATED", len(b), f"{m} records")
        records = []
        for _ in range(m):  # 22
            tag = varint(5, base.U32_MAX)
            origin = ref()
            origin["seqno"] = varint(8, base.SEQNO_MAX)
            n = varint(5, base.U32_MAX)
            if n > len(b) - pos[0]:
                raise DecodeError("TRUNCATED", len(b), f"payload of {n}")
            records.append({"typeTag": tag, "origin": origin, "payload": b[pos[0] : pos[0] + n].hex()})
            pos[0] += n
        if pos[0] != len(b):
            raise DecodeError("TRAILING_BYTES", pos[0], f"{len(b) - pos[0]} bytes after the records")  # 23
        return {
            "gossip": {"current": current, "seen": seen, "other": other, "distribution": dist},
            "records": records,
            "table": [entry_json(e) for e in table],
        }


def decode_frame(req):
    frame = base.unhex(req.get("frame"), "frame")
    return Receiver(req.get("receiver"), stateful=False).decode(frame)  # [R-TESTEE-014]


def decode_stream(req):
    rx = Receiver(req.get("receiver"), stateful=True)  # [R-TESTEE-015]
    frames = req.get("frames")
    if not isinstance(frames, list):
        raise RequestError("frames must be a list of hex strings")
    results = []
    for h in frames:
        try:
            results.append({"result": "ok", **rx.decode(base.unhex(h, "frame"))})
        except DecodeError as e:
            results.append({"result": "error", "errorClass": e.code, "detail": str(e)})
    return {"results": results}
