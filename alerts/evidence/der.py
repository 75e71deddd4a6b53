"""Just enough DER (ASN.1) to build an RFC 3161 request and read the fields of a timestamp reply."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

INTEGER, BIT_STRING, OCTET_STRING, NULL, OID, UTF8, SEQUENCE, SET = 0x02, 0x03, 0x04, 0x05, 0x06, 0x0C, 0x30, 0x31
BOOLEAN, GENERALIZED_TIME = 0x01, 0x18


class DerError(ValueError):
    """The bytes are not the DER structure expected."""


@dataclass
class Tlv:
    tag: int
    value: bytes
    raw: bytes  # the whole element, header included

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20)

    def children(self) -> list["Tlv"]:
        return parse_all(self.value)

    def as_int(self) -> int:
        if self.tag != INTEGER:
            raise DerError(f"expected INTEGER, found tag 0x{self.tag:02x}")
        return int.from_bytes(self.value, "big", signed=True)

    def as_oid(self) -> str:
        if self.tag != OID:
            raise DerError(f"expected OBJECT IDENTIFIER, found tag 0x{self.tag:02x}")
        first = self.value[0]
        parts = [first // 40, first % 40] if first < 80 else [2, first - 80]
        n = 0
        for b in self.value[1:]:
            n = (n << 7) | (b & 0x7F)
            if not b & 0x80:
                parts.append(n)
                n = 0
        return ".".join(map(str, parts))

    def as_time(self) -> dt.datetime:
        if self.tag != GENERALIZED_TIME:
            raise DerError(f"expected GeneralizedTime, found tag 0x{self.tag:02x}")
        text = self.value.decode("ascii").rstrip("Z")
        whole, _, frac = text.partition(".")
        when = dt.datetime.strptime(whole, "%Y%m%d%H%M%S").replace(tzinfo=dt.timezone.utc)
        if frac:
            when += dt.timedelta(microseconds=int((frac + "000000")[:6]))
        return when


def parse_one(data: bytes, pos: int = 0) -> tuple[Tlv, int]:
    """The element starting at `pos` and the position after it."""
    try:
        tag = data[pos]
        if tag & 0x1F == 0x1F:
            raise DerError("multi-byte tags are not used in RFC 3161 structures")
        length = data[pos + 1]
        head = 2
        if length & 0x80:
            n = length & 0x7F
            if n == 0 or n > 4:
                raise DerError(f"unsupported length form at byte {pos}")
            length = int.from_bytes(data[pos + 2:pos + 2 + n], "big")
            head += n
    except IndexError:
        raise DerError(f"truncated DER at byte {pos}") from None
    end = pos + head + length
    if end > len(data):
        raise DerError(f"element at byte {pos} runs past the end of the data")
    return Tlv(tag, data[pos + head:end], data[pos:end]), end


def parse_all(data: bytes) -> list[Tlv]:
    out, pos = [], 0
    while pos < len(data):
        tlv, pos = parse_one(data, pos)
        out.append(tlv)
    return out


def encode(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        header = bytes([tag, n])
    else:
        size = n.to_bytes((n.bit_length() + 7) // 8, "big")
        header = bytes([tag, 0x80 | len(size)]) + size
    return header + value


def encode_int(n: int) -> bytes:
    size = max(1, (n.bit_length() + 8) // 8)
    return encode(INTEGER, n.to_bytes(size, "big", signed=True))


def encode_oid(oid: str) -> bytes:
    parts = [int(p) for p in oid.split(".")]
    body = bytearray([parts[0] * 40 + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        body.extend(reversed(chunk))
    return encode(OID, bytes(body))
