#!/usr/bin/env python3
"""Chatter conformance testee in Python: profiles "legacy" and "v2" (v2.py), membership ops (membership.py).

Written from spec/wire.md and spec/testee.md alone, as a check that the spec is enough to build
an interoperable implementation. Python 3 standard library plus Debian's python3-cryptography
(AES-256-CTR), python3-snappy (raw snappy blocks) and python3-xxhash (xxHash32).

Protocol (spec/testee.md): one JSON request per line on stdin, one JSON reply per line on
stdout, logs on stderr.

    /usr/bin/python3 conformance/ports/python/testee.py
"""

import json
import os
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
import snappy
import xxhash

IMPL = "chatter-python 0.1.0"

# spec/wire.md section 11: default limits; decode_frame's "limits" may override them by name.
DEFAULT_LIMITS = {
    "maxFrameBytes": 1048576,
    "maxTableEntries": 4096,
    "maxListLength": 4096,
    "maxUncompressedBytes": 1048576,
    "maxCompressionRatio": 32,
}

U32_MAX = 2**32 - 1
SEQNO_MAX = 2**53 - 1

IV = b"-- ScaleSmall --"  # [R-CRYPT-002]
KEY_FILLER = b"01234567890123456789012345678901"  # [R-CRYPT-003]
PADDING_BYTES = 32


class DecodeError(Exception):
    """A decode error with one of the codes of spec/wire.md section 12."""

    def __init__(self, code, offset, detail):
        super().__init__(f"{code} at {offset}: {detail}")
        self.code = code
        self.offset = offset
        self.detail = detail


class InputError(Exception):
    """An encoder input the spec forbids (not a decode error): BAD_INPUT."""


class RequestError(Exception):
    """A request field missing or of the wrong JSON type, or hex that is not hex: BAD_REQUEST."""


# --- varints (section 2) ---------------------------------------------------------------


def read_varint(buf, off, max_bytes, max_value):
    """[R-VARINT-005]: returns (value, next offset)."""
    value = 0
    for i in range(max_bytes):
        if off >= len(buf):
            raise DecodeError("TRUNCATED", off, "input ends inside a varint")
        b = buf[off]
        off += 1
        value += (b & 0x7F) << (7 * i)
        if b < 0x80:
            if b == 0 and i > 0:
                raise DecodeError("VARINT_OVERLONG", off - 1, "varint not in minimal form")
            if value > max_value:
                raise DecodeError("VARINT_OVERFLOW", off - 1, f"value {value} > {max_value}")
            return value, off
    raise DecodeError("VARINT_OVERLONG", off, f"varint longer than {max_bytes} bytes")


def write_varint(value):
    """[R-VARINT-001]: minimal LEB128."""
    if not isinstance(value, int) or value < 0 or value > SEQNO_MAX:
        raise InputError(f"varint value must be an integer in [0, 2^53-1], got {value!r}")
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


# --- NetIDs (section 3) ----------------------------------------------------------------


def parse_ipv4(text):
    parts = text.split(".") if isinstance(text, str) else []
    if len(parts) != 4 or not all(p.isdigit() and str(int(p)) == p and int(p) < 256 for p in parts):
        raise InputError(f"the legacy profile carries IPv4 dotted quads only, got {text!r}")
    return bytes(int(p) for p in parts)


def netid_bytes(nid):
    if not isinstance(nid, dict) or not isinstance(nid.get("ip"), str):
        raise RequestError(f"a NetID must be {{ip: string, port: number}}, got {nid!r}")
    port = nid.get("port")
    if not isinstance(port, int) or isinstance(port, bool):
        raise RequestError(f"port must be a number, got {port!r}")
    if not 0 <= port <= 65535:
        raise InputError(f"port must be an integer in [0, 65535], got {port!r}")
    return parse_ipv4(nid.get("ip")) + port.to_bytes(2, "big")


def netid_json(b):
    return {"ip": ".".join(str(x) for x in b[:4]), "port": int.from_bytes(b[4:6], "big")}


# --- crypto (section 8) ----------------------------------------------------------------


def aes_key(k):
    """[R-CRYPT-003]."""
    return (k + KEY_FILLER)[:32] if len(k) < 32 else k[:32]


def crypt(key, data):
    """[R-CRYPT-001/002]: AES-256-CTR, counter restarting at IV for each frame."""
    enc = Cipher(algorithms.AES(aes_key(key)), modes.CTR(IV)).encryptor()
    return enc.update(data) + enc.finalize()


def xxh32(data, seed=0):
    return xxhash.xxh32_intdigest(data, seed)


# --- reference snappy compressor (spec/wire.md Appendix B) --------------------------------
#
# python-snappy (libsnappy 1.1.9 on Debian 12) picks different matches on some inputs; its
# blocks are valid but not byte-identical to the vectors' (PASS-NONSTRICT). With
# CHATTER_PY_COMPRESSOR=reference this port uses the compressor Appendix B describes instead.


def _emit_literal(out, lit):
    n = len(lit) - 1
    if n < 60:
        out.append(n << 2)
    else:
        extra = (n.bit_length() + 7) // 8  # the fewest bytes that hold L - 1
        out.append((59 + extra) << 2)
        out += n.to_bytes(extra, "little")
    out += lit


def _emit_copy(out, offset, length):
    while length >= 68:
        out.append((63 << 2) | 2)
        out += offset.to_bytes(2, "little")
        length -= 64
    if length > 64:
        out.append((59 << 2) | 2)
        out += offset.to_bytes(2, "little")
        length -= 60
    if length < 12 and offset < 2048:
        out.append(((offset >> 8) << 5) | ((length - 4) << 2) | 1)
        out.append(offset & 0xFF)
    else:
        out.append(((length - 1) << 2) | 2)
        out += offset.to_bytes(2, "little")


def _compress_fragment(out, src):
    n = len(src)
    if n < 15:
        if n:
            _emit_literal(out, src)
        return
    size = 256
    while size < n and size < 16384:
        size *= 2
    shift = 32 - (size.bit_length() - 1)
    table = [0] * size

    def load(i):
        return int.from_bytes(src[i : i + 4], "little")

    def h(i):
        return ((load(i) * 0x1E35A7BD) & 0xFFFFFFFF) >> shift

    ip_limit = n - 15
    next_emit = 0
    ip = 1
    while True:
        # Search.
        skip = SNAPPY_SKIP_START
        nxt = ip
        while True:
            ip = nxt
            step = skip >> 5
            nxt = ip + step
            skip = SNAPPY_SKIP_NEXT(skip, step)
            if nxt > ip_limit:
                if next_emit < n:
                    _emit_literal(out, src[next_emit:])
                return
            hv = h(ip)
            candidate = table[hv]
            table[hv] = ip
            if load(ip) == load(candidate):
                break
        _emit_literal(out, src[next_emit:ip]) if ip > next_emit else None
        # Match, and keep matching while the next position matches too.
        while True:
            base = ip
            ip += 4
            c = candidate + 4
            while ip < n and src[c] == src[ip]:
                c += 1
                ip += 1
            _emit_copy(out, base - candidate, ip - base)
            next_emit = ip
            if ip >= ip_limit:
                if next_emit < n:
                    _emit_literal(out, src[next_emit:])
                return
            table[h(ip - 1)] = ip - 1
            hv = h(ip)
            candidate = table[hv]
            table[hv] = ip
            if load(ip) != load(candidate):
                ip += 1
                break


SNAPPY_SKIP_START = 32


def SNAPPY_SKIP_NEXT(skip, step):  # noqa: N802 - "skip incremented after each probe"
    return skip + 1


def reference_compress(data):
    out = bytearray(write_varint(len(data)))
    for i in range(0, len(data), 65536):
        _compress_fragment(out, data[i : i + 65536])
    return bytes(out)


def compress(data):
    if os.environ.get("CHATTER_PY_COMPRESSOR") == "reference":
        return reference_compress(data)
    return snappy.compress(data)


# --- encoding --------------------------------------------------------------------------


def encode_frame(req):
    key = unhex(req.get("key"), "key")
    padding = unhex(req.get("padding"), "padding")
    if len(padding) != PADDING_BYTES:
        raise InputError(f"padding must be {PADDING_BYTES} bytes, got {len(padding)}")
    g = req.get("gossip")
    if not isinstance(g, dict) or not isinstance(g.get("current"), dict):
        raise RequestError("gossip must be an object with a current BroadcastID")
    current = g.get("current")
    seen = g.get("seen") or []
    other = g.get("other") or []
    dist = g.get("distribution") or []
    extra = req.get("extraNetIds") or []
    # spec/testee.md 4.3: when both are given, the tag is used.
    tag = req.get("typeTag")
    if tag is None:
        if not isinstance(req.get("typeName"), str):
            raise RequestError("give typeName (string) or typeTag (number)")
        tag = xxh32(req["typeName"].encode("utf-8"))  # [R-TAG-001]
    elif not isinstance(tag, int) or isinstance(tag, bool):
        raise RequestError(f"typeTag must be a number, got {tag!r}")
    elif not 0 <= tag <= U32_MAX:
        raise InputError(f"typeTag must be a 32-bit unsigned integer, got {tag}")
    payload = unhex(req.get("payload", ""), "payload")
    # [R-TABLE-001/003]: every NetID used, de-duplicated, sorted by its 6 bytes.
    used = [current] + list(seen) + list(other) + list(dist) + list(extra)
    table = sorted({netid_bytes(n) for n in used})
    index = {b: i for i, b in enumerate(table)}

    def ref(n):
        return write_varint(index[netid_bytes(n)])

    def seqno(n):
        s = n.get("seqno")
        if not isinstance(s, int) or isinstance(s, bool):
            raise RequestError(f"seqno must be a number, got {s!r}")
        if not 0 <= s <= SEQNO_MAX:
            raise InputError(f"seqno must be an integer in [0, 2^53-1], got {s!r}")
        return write_varint(s)

    out = bytearray(write_varint(len(table)))
    for b in table:
        out += b
    out += ref(current) + seqno(current)  # [R-GOSSIP-001]
    out += write_varint(len(seen))
    for s in seen:
        out += ref(s) + seqno(s)
    out += write_varint(len(other))
    for o in other:
        out += ref(o)
    out += write_varint(len(dist))
    for d in dist:
        out += ref(d)
    out += write_varint(tag) + payload  # [R-GOSSIP-002], [R-TAG-002]
    gossip = bytes(out)
    # [R-ENV-001..003]: padding, checksum of the uncompressed gossip, size, snappy block.
    plaintext = padding + xxh32(gossip).to_bytes(4, "big") + write_varint(len(gossip))
    plaintext += compress(gossip)
    # [R-FRAME-001]
    return b"\xff" + write_varint(len(plaintext)) + crypt(key, plaintext)


# --- decoding (section 13, step by step) ----------------------------------------------


def decode_frame(key, f, limits):
    # Frame.
    if len(f) == 0:
        raise DecodeError("TRUNCATED", 0, "empty frame")  # 1
    if f[0] != 0xFF:
        raise DecodeError("BAD_START_BYTE", 0, f"start byte {f[0]:#04x}")  # 2
    n, off = read_varint(f, 1, 5, U32_MAX)  # 3
    if n > limits["maxFrameBytes"]:
        raise DecodeError("FRAME_TOO_LARGE", 1, f"frame length {n}")  # 4
    if len(f) - off < n:
        raise DecodeError("TRUNCATED", len(f), f"header announces {n} bytes")  # 5
    if len(f) - off > n:
        raise DecodeError("TRAILING_BYTES", off + n, f"{len(f) - off - n} bytes after the frame")  # 6
    p = crypt(key, f[off:])  # 7
    # Envelope.
    if len(p) < PADDING_BYTES + 4:
        raise DecodeError("TRUNCATED", len(p), "plaintext shorter than padding and checksum")  # 8
    checksum = int.from_bytes(p[32:36], "big")  # 9
    size, off = read_varint(p, 36, 5, U32_MAX)  # 10
    if size > limits["maxUncompressedBytes"]:
        raise DecodeError("SIZE_LIMIT", 36, f"size {size}")  # 11
    if off >= len(p):
        raise DecodeError("TRUNCATED", off, "no snappy block")  # 12
    block = p[off:]
    try:
        declared, _ = read_varint(block, 0, 5, U32_MAX)  # 13
    except DecodeError as e:
        raise DecodeError("SNAPPY_CORRUPT", off, f"snappy preamble: {e.code}")
    if declared != size:
        raise DecodeError("SIZE_MISMATCH", off, f"size {size}, snappy preamble {declared}")  # 14
    if size > limits["maxCompressionRatio"] * len(block):
        raise DecodeError("RATIO_LIMIT", off, f"size {size} for a {len(block)}-byte block")  # 15
    try:
        g = snappy.uncompress(block)  # 16: bounded by the checks above
    except Exception as e:  # python-snappy raises its own error types
        raise DecodeError("SNAPPY_CORRUPT", off, f"snappy: {e}")
    if len(g) != size:
        raise DecodeError("SNAPPY_CORRUPT", off, f"block produced {len(g)} bytes, declared {size}")
    if xxh32(g) != checksum:
        raise DecodeError("CHECKSUM_MISMATCH", 32, f"checksum {checksum:08x}, gossip {xxh32(g):08x}")  # 17
    # Gossip.
    t, o = read_varint(g, 0, 5, U32_MAX)  # 18
    if t > limits["maxTableEntries"]:
        raise DecodeError("TABLE_LIMIT", 0, f"table of {t} entries")  # 19
    if 6 * t > len(g) - o:
        raise DecodeError("TRUNCATED", len(g), f"table of {t} entries")  # 20
    table = []
    for i in range(t):  # 21
        e = g[o : o + 6]
        if table and e <= table[-1]:
            raise DecodeError("TABLE_NOT_CANONICAL", o, f"entry {i} not above entry {i - 1}")
        table.append(e)
        o += 6

    def ref():
        nonlocal o
        at = o
        r, o = read_varint(g, o, 5, U32_MAX)
        if r >= t:
            raise DecodeError("TABLE_REF_OUT_OF_RANGE", at, f"reference {r}, table of {t}")
        return netid_json(table[r])

    def seqno():
        nonlocal o
        s, o = read_varint(g, o, 8, SEQNO_MAX)
        return s

    def count(min_bytes, what):
        nonlocal o
        at = o
        n, o = read_varint(g, o, 5, U32_MAX)
        if n > limits["maxListLength"]:
            raise DecodeError("LIST_LIMIT", at, f"{what} list of {n}")
        if n * min_bytes > len(g) - o:
            raise DecodeError("TRUNCATED", len(g), f"{what} list of {n}")
        return n

    current = ref()  # 22
    current["seqno"] = seqno()
    seen = []
    for _ in range(count(2, "seen")):  # 23
        s = ref()
        s["seqno"] = seqno()
        seen.append(s)
    other = [ref() for _ in range(count(1, "other"))]  # 24
    dist = [ref() for _ in range(count(1, "distribution"))]  # 25
    tag, o = read_varint(g, o, 5, U32_MAX)  # 26
    return {  # 27
        "gossip": {"current": current, "seen": seen, "other": other, "distribution": dist},
        "typeTag": tag,
        "payload": g[o:].hex(),
        "table": [netid_json(e) for e in table],
    }


# --- protocol (spec/testee.md) ---------------------------------------------------------


def unhex(s, what):
    if not isinstance(s, str) or len(s) % 2 or any(c not in "0123456789abcdefABCDEF" for c in s):
        raise RequestError(f"{what} must be a hex string, got {str(s)[:40]!r}")
    return bytes.fromhex(s)


def limits_of(req):
    limits = dict(DEFAULT_LIMITS)
    given = req.get("limits") or {}
    if not isinstance(given, dict):
        raise RequestError("limits must be an object")
    for name, value in given.items():
        if name not in limits or not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise RequestError(f"limits.{name} must be a known limit with a number, got {value!r}")
        limits[name] = value
    return limits


# spec/testee.md 4.6: field maximums for varint_decode.
VARINT_FIELDS = {"u32": (5, U32_MAX), "seqno": (8, SEQNO_MAX)}

OPS = [
    "hello",
    "decode_frame",
    "encode_frame",
    "decode_stream",
    "xxhash32",
    "varint_encode",
    "varint_decode",
    # Profile-neutral group-membership ops (spec/testee.md section 8), in membership.py.
    "membership_encode",
    "membership_decode",
    "membership_merge",
]


def handle(req):
    op = req.get("op")
    if op == "hello":
        return {"result": "ok", "impl": IMPL, "profiles": ["legacy", "v2"], "ops": OPS}
    profile = req.get("profile")
    if op in ("decode_frame", "encode_frame", "decode_stream") and profile not in ("legacy", "v2"):
        return {"result": "unsupported", "detail": f"profile {profile!r}"}
    if op == "decode_stream" and profile != "v2":
        return {"result": "unsupported", "detail": "decode_stream is v2 only"}
    try:
        if op.startswith("membership_"):
            import membership  # spec/membership.md, conformance/ports/python/membership.py

            if op in membership.OPS_HANDLED:
                return {"result": "ok", **membership.OPS_HANDLED[op](req)}
            return {"result": "unsupported", "detail": f"unknown op {op!r}"}
        if profile == "v2" and op in ("decode_frame", "encode_frame", "decode_stream"):
            import v2  # the v2 profile, conformance/ports/python/v2.py

            return {"result": "ok", **getattr(v2, op)(req)}
        if op == "decode_frame":
            key = unhex(req.get("key"), "key")
            frame = unhex(req.get("frame"), "frame")
            return {"result": "ok", **decode_frame(key, frame, limits_of(req))}
        if op == "encode_frame":
            return {"result": "ok", "frame": encode_frame(req).hex()}
        if op == "xxhash32":
            seed = req.get("seed", 0)
            if not isinstance(seed, int) or not 0 <= seed <= U32_MAX:
                raise RequestError(f"seed must be a number in [0, 2^32-1], got {seed!r}")
            return {"result": "ok", "hash": xxh32(unhex(req.get("data"), "data"), seed)}
        if op == "varint_encode":
            return {"result": "ok", "data": write_varint(req.get("value")).hex()}
        if op == "varint_decode":
            field = req.get("field", "seqno")
            if field not in VARINT_FIELDS:
                raise RequestError(f"field must be u32 or seqno, got {field!r}")
            max_bytes, max_value = VARINT_FIELDS[field]
            value, length = read_varint(unhex(req.get("data"), "data"), 0, max_bytes, max_value)
            return {"result": "ok", "value": value, "length": length}
    except DecodeError as e:
        return {"result": "error", "errorClass": e.code, "detail": str(e)}
    except InputError as e:
        return {"result": "error", "errorClass": "BAD_INPUT", "detail": str(e)}
    except RequestError as e:
        return {"result": "error", "errorClass": "BAD_REQUEST", "detail": str(e)}
    except Exception as e:  # a bug here, reported rather than crashing the session
        return {"result": "error", "errorClass": "INTERNAL", "detail": f"{type(e).__name__}: {e}"}
    return {"result": "unsupported"}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
        except ValueError:
            req = None
        if not isinstance(req, dict) or not isinstance(req.get("op"), str):
            # [R-TESTEE-007]
            rid = req.get("id") if isinstance(req, dict) else None
            print(f"bad request line: {line[:100]!r}", file=sys.stderr)
            reply = {"id": rid, "result": "error", "errorClass": "BAD_REQUEST", "detail": "not a request object"}
        else:
            reply = {"id": req.get("id"), **handle(req)}
        sys.stdout.write(json.dumps(reply, separators=(",", ":")) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    # v2.py imports this module as "testee": make that name this very module, so that both
    # share one DecodeError class.
    sys.modules.setdefault("testee", sys.modules[__name__])
    main()
