"""Read-only mode: a server cut off from the quorum and a client that accepts a
read-only server.  Real ZooKeeper 3.8 is the reference: with its default
configuration a read-only server refuses every session (creating one is a write);
with local sessions it serves new clients read-only.  The simulation must do the same."""

from __future__ import annotations

import socket
import time

import pytest

from zkexplore import LocalEnsemble, SimEnsemble
from zkexplore.sim import jute as J
from zkexplore.testing.rawclient import RawClient


def _raw_connect(address: str, session: tuple[int, bytes] = (0, bytes(16)),
                 reply_within: float = 5.0, close_within: float = 1.5) -> tuple[bytes, bool]:
    """Send a read-only ConnectRequest; return (what came back, whether it closed).

    A reply gets ``reply_within`` seconds (a busy server is slow, not silent); after
    it, whether the server closes the connection is watched for ``close_within``."""
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=reply_within) as sk:
        sk.sendall(J.frame(J.ConnectRequest(0, 0, 10000, session[0], session[1], True).encode()))
        data = b""
        try:
            while True:
                chunk = sk.recv(4096)
                if not chunk:
                    return data, True
                data += chunk
                sk.settimeout(close_within)
        except socket.timeout:
            return data, False


def _shape(data: bytes) -> tuple:
    """What a client can tell from a reply to its ConnectRequest."""
    if not data:
        return ("nothing",)
    length = int.from_bytes(data[:4], "big")
    payload = data[4 : 4 + length]
    if length == 16:  # a ReplyHeader, not a ConnectResponse
        hdr, _ = J.ReplyHeader.decode(payload)
        return ("reply header", hdr.xid, J.Err(hdr.err).name)
    resp, _ = J.ConnectResponse.decode(payload)
    return ("connect response", resp.timeout > 0, bool(resp.session_id), resp.read_only)


def script(ens) -> list:
    out = []
    zk = ens.client()
    zk.create("/ro", b"before")
    leader = ens.wait_for_leader()
    lonely = next(s for s in ens.servers if s is not leader)
    before = RawClient(lonely.address)
    before.connect(read_only=True)
    ens.partition([lonely])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (
        "ro" in lonely.four_letter("isro") and "Mode: read-only" in lonely.four_letter("srvr")
    ):
        time.sleep(0.1)  # isro says "ro" a moment before the read-only server serves
    out.append(("isro", lonely.four_letter("isro").strip()))
    out.append(("mode", lonely.four_letter("srvr").split("Mode: ")[-1].split()[0]))
    zk.set("/ro", b"after")  # the majority moves on; the lonely server cannot know
    data, closed = _raw_connect(lonely.address)
    out.append(("new session",) + _shape(data) + (closed,))
    out.append(("old session",) + _shape(_raw_connect(lonely.address, (before.session_id, before.passwd))[0]))
    ro = RawClient(lonely.address)
    resp = ro.connect(read_only=True) if ens._local_sessions else None
    if resp is not None and resp.timeout > 0:
        get = ro.call(J.GetDataRequest("/ro", False))
        out.append(("get", get.err_name, get.body.data if get.body else None))
        out.append(("create", ro.call(J.CreateRequest("/ro/x", b"", J.OPEN_ACL_UNSAFE, 0)).err_name))
        out.append(("sync", ro.call(J.SyncRequest("/ro")).err_name))
        ens.heal()
        out.append(("closed when it rejoins", ro.wait_closed(timeout=30)))
    ro.close_socket()
    before.close_socket()
    return out


@pytest.mark.real
def test_read_only_mode_matches_real_zookeeper():
    """3.8's default: a read-only server refuses every session."""
    with LocalEnsemble(size=3, system_properties={"readonlymode.enabled": "true"}) as real:
        real._local_sessions = False
        expected = script(real)
    with SimEnsemble(size=3, seed=3, read_only_mode=True) as sim:
        sim._local_sessions = False
        got = script(sim)
    assert expected == [
        ("isro", "ro"),
        ("mode", "read-only"),
        ("new session", "reply header", 0, "NOTREADONLY", False),
        ("old session", "nothing"),
    ], expected
    assert got == expected


@pytest.mark.real
def test_read_only_server_with_local_sessions_serves_stale_reads():
    """With localSessionsEnabled a read-only server gives new clients local sessions."""
    with LocalEnsemble(
        size=3,
        system_properties={"readonlymode.enabled": "true"},
        config={"localSessionsEnabled": "true"},
    ) as real:
        real._local_sessions = True
        expected = script(real)
    with SimEnsemble(size=3, seed=3, read_only_mode=True, local_sessions=True) as sim:
        sim._local_sessions = True
        got = script(sim)
    assert expected == [
        ("isro", "ro"),
        ("mode", "read-only"),
        ("new session", "connect response", True, True, True, False),
        ("old session", "connect response", False, False, True),
        ("get", "OK", b"before"),
        ("create", "NOTREADONLY"),
        ("sync", "NOTREADONLY"),
        ("closed when it rejoins", True),
    ], expected
    assert got == expected
