"""Bad input hurts no one else: random, truncated and oversized frames, and garbage
before the handshake, sent over TCP to a simulated ensemble.  The server closes
those connections, keeps serving every other session, and its data stays intact."""

from __future__ import annotations

import socket
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kazoo.security import make_digest_acl

from zkexplore import SimEnsemble
from zkexplore.sim import jute as J

SETTINGS = settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


@pytest.fixture(scope="module")
def target():
    ens = SimEnsemble(size=3, seed=11)
    ens.start()
    zk = ens.client(auth_data=[("digest", "owner:secret")])
    acl = [make_digest_acl("owner", "secret", all=True)]
    zk.create("/precious", b"keep me", acl=acl)
    zk.create("/precious/child", b"and me", acl=acl)
    state = {"ens": ens, "zk": zk, "session": zk.client_id[0], "port": ens.servers[0].port,
             "stat": zk.exists("/precious")}
    try:
        yield state
    finally:
        ens.stop()


def _talk(port: int, data: bytes) -> bytes:
    """Send ``data`` on a fresh connection; return what came back before the
    server closed the connection or went quiet."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.settimeout(0.01)
        try:
            s.sendall(data)
        except OSError:
            return b""
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, OSError):
                return out
            if not chunk:
                return out
            out += chunk


def _handshake() -> bytes:
    return J.frame(J.ConnectRequest(0, 0, 10000, 0, bytes(16), False).encode())


def _check_intact(t: dict) -> None:
    zk = t["zk"]
    assert zk.connected and zk.client_id[0] == t["session"], "the good session was disturbed"
    data, stat = zk.get("/precious")
    assert data == b"keep me" and stat == t["stat"]
    assert zk.get("/precious/child")[0] == b"and me"


@SETTINGS
@given(st.binary(min_size=1, max_size=300))
def test_garbage_before_handshake(target, junk):
    reply = _talk(target["port"], junk)
    # whatever it is, it is answered at most with a four-letter-word reply or a
    # connect response, and the rest of the ensemble does not notice
    assert len(reply) < 100_000


@SETTINGS
@given(st.lists(st.binary(max_size=120), min_size=1, max_size=6))
def test_random_frames_after_handshake(target, bodies):
    frames = b"".join(J.frame(b) for b in bodies)
    _talk(target["port"], _handshake() + frames)


def _valid_requests() -> list[bytes]:
    acl = J.OPEN_ACL_UNSAFE
    reqs = [
        J.CreateRequest("/fuzz", b"x", acl, 0),
        J.SetDataRequest("/precious", b"overwritten", -1),
        J.DeleteRequest("/precious/child", -1),
        J.GetDataRequest("/precious", True),
        J.GetChildren2Request("/", True),
        J.MultiRequest((J.DeleteRequest("/precious/child", -1), J.DeleteRequest("/precious", -1))),
        J.SetACLRequest("/precious", acl, -1),
        J.AddWatchRequest("/", 1),
        J.SetWatches(0, ("/precious",), ("/nope",), ("/",)),
    ]
    return [J.encode_request(i + 1, r) for i, r in enumerate(reqs)]


VALID = _valid_requests()


@SETTINGS
@given(st.sampled_from(VALID), st.integers(min_value=0, max_value=400), st.binary(max_size=8))
def test_truncated_and_mutated_requests(target, frame, cut, noise):
    body = bytearray(frame[4:])
    if cut < len(body):
        body = body[:cut] + noise  # truncated, with trailing noise
    _talk(target["port"], _handshake() + J.frame(bytes(body)))


@SETTINGS
@given(st.integers(min_value=J.DEFAULT_MAX_FRAME + 1, max_value=2**31 - 1)
       | st.integers(max_value=-1, min_value=-(2**31)))
def test_bad_lengths_close_the_connection(target, length):
    reply = _talk(target["port"], _handshake() + struct.pack("!i", length) + b"\0" * 16)
    # the connect response may come first; then the server hangs up
    assert len(reply) <= 40


def test_oversized_frame_of_real_size_is_refused(target):
    big = J.encode_request(1, J.SetDataRequest("/fuzz-big", b"x" * (J.DEFAULT_MAX_FRAME + 10), -1))
    reply = _talk(target["port"], _handshake() + big)
    assert len(reply) <= 40  # connect response only; no reply to the oversized request


def test_everything_still_serves_and_data_is_intact(target):
    # runs after the fuzzing tests of this module (pytest keeps file order)
    _check_intact(target)
    ens = target["ens"]
    fresh = ens.client(auth_data=[("digest", "owner:secret")])
    assert fresh.get("/precious")[0] == b"keep me"
    assert sorted(s.role for s in ens.servers) == ["follower", "follower", "leader"]
    assert "imok" in ens.servers[0].four_letter("ruok")


@settings(max_examples=3000, deadline=None, derandomize=True)
@given(st.booleans(), st.lists(st.binary(max_size=200), min_size=1, max_size=8), st.booleans())
def test_sans_io_core_survives_any_frames(handshake, chunks, framed):
    """The same, thousands of times faster, against the sans-IO core directly:
    raw bytes or framed garbage, before or after a valid handshake."""
    from zkexplore.sim.cluster import Cluster

    c = _CORE
    conn = c.open(1, ("127.0.0.1", 1))
    if handshake:
        c.feed(conn, _handshake())
    for chunk in chunks:
        if framed:
            chunk = J.frame(chunk)
        c.feed(conn, chunk)
    c.take_output()
    c.disconnected(conn)
    assert c.tree.get("/precious").data == b"keep me"
    assert isinstance(c, Cluster)


def _core():
    from zkexplore.sim.cluster import Cluster

    c = Cluster(size=3, seed=5)
    c.tree.create("/precious", b"keep me", J.OPEN_ACL_UNSAFE, zxid=1, time=1, owner=0, auth=())
    return c


_CORE = _core()
