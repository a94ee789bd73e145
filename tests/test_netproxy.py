"""The proxy's rewrite of a server's announced election address."""

from __future__ import annotations

import struct

from zkexplore.ensembles._netproxy import _Advertiser


def _head(version: int, sid: int, addr: bytes) -> bytes:
    return struct.pack("!qqi", version, sid, len(addr)) + addr


def test_announced_address_is_replaced_even_when_it_arrives_in_pieces():
    adv = _Advertiser("127.0.0.1:4000")
    stream = _head(-65534, 1, b"127.0.0.1:60437|127.0.0.1:60438") + b"NOTIFICATION"
    out = b"".join(adv.feed(stream[i : i + 1]) for i in range(len(stream)))
    assert out == _head(-65534, 1, b"127.0.0.1:4000") + b"NOTIFICATION"
    assert adv.feed(b"later") == b"later"


def test_a_stream_without_an_address_passes_unchanged():
    old = struct.pack("!q", 7) + b"rest"  # the oldest format: the server id alone
    assert _Advertiser("127.0.0.1:4000").feed(old) == old
    odd = struct.pack("!qqi", -65534, 1, 1 << 20) + b"x"  # no sane address length
    assert _Advertiser("127.0.0.1:4000").feed(odd) == odd
