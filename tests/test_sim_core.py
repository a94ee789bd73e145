"""The simulated ensemble's sans-IO core, driven without sockets or a real clock."""

from __future__ import annotations

import pytest
from simwire import Wire, advance, create

from zkexplore.errors import EnsembleError
from zkexplore.sim import jute as J
from zkexplore.sim.cluster import Cluster, Config
from zkexplore.sim.jute import Err, EventType


def connected(cluster: Cluster, server: int, timeout: int = 10000, port: int = 50000) -> Wire:
    w = Wire(cluster, server, port)
    w.connect(timeout)
    assert w.session_id, "no session"
    return w


def test_fresh_ensemble_elects_highest_id_at_once():
    c = Cluster(size=5, seed=1)
    assert [s.role for s in c.servers] == ["follower"] * 4 + ["leader"]
    assert c.leader is c.servers[-1] and c.epoch == 1


def test_session_id_carries_server_id_and_timeout_is_negotiated():
    c = Cluster(size=3, seed=1, config=Config(tick_ms=2000))
    short = connected(c, 2, timeout=100)
    long = connected(c, 1, timeout=10**6, port=50001)
    assert short.session_id >> 56 == 2 and long.session_id >> 56 == 1
    assert short.timeout == 4000 and long.timeout == 40000
    assert len(short.passwd) == 16 and short.passwd != long.passwd


def test_same_seed_same_bytes():
    def script(seed: int) -> list[bytes]:
        c = Cluster(size=3, seed=seed)
        a = connected(c, 1)
        b = connected(c, 3, port=50001)
        a.request(create("/x", b"1"))
        b.request(J.GetDataRequest("/x", True))
        a.request(J.SetDataRequest("/x", b"2", -1))
        a.request(create("/x/s-", flags=int(J.CreateMode.EPHEMERAL_SEQUENTIAL)))
        advance(c, 0.1)
        return a.raw + b.raw

    assert script(7) == script(7)
    assert script(7) != script(8)  # session ids and passwords differ


def test_lagging_follower_serves_stale_reads_until_sync():
    c = Cluster(size=3, seed=1)
    writer = connected(c, 3)
    reader = connected(c, 1, port=50001)
    c.set_lag(1, 2.0)
    writer.request(create("/k", b"v1"))
    hdr, _ = reader.request(J.ExistsRequest("/k", False))
    assert hdr.err == Err.NONODE, "a lagging follower should not see the write yet"
    # sync is answered only once the follower has caught up with the leader
    reader.send(J.SyncRequest("/k"))
    n = len(reader.replies)
    advance(c, 1.0)
    assert len(reader.replies) == n
    advance(c, 1.5)
    assert reader.replies[-1][0].err == 0
    hdr, body = reader.request(J.GetDataRequest("/k", False))
    assert body.data == b"v1"


def test_writes_through_a_lagging_follower_are_read_your_writes():
    c = Cluster(size=3, seed=1)
    w = connected(c, 1)
    c.set_lag(1, 1.0)
    w.send(create("/ryw", b"mine"))
    w.send(J.GetDataRequest("/ryw", False))
    assert not w.replies, "nothing may be answered before the write is applied here"
    advance(c, 1.1)
    (h1, _, _), (h2, payload, off) = w.replies
    assert h1.err == 0 and h2.err == 0
    assert J.GetDataResponse.decode(payload, off)[0].data == b"mine"


def test_watch_fires_on_the_server_where_it_was_set():
    c = Cluster(size=3, seed=1)
    a = connected(c, 1)
    b = connected(c, 2, port=50001)
    a.request(create("/w"))
    b.request(J.GetDataRequest("/w", True))
    a.request(J.SetDataRequest("/w", b"x", -1))
    assert [(e.type, e.path) for e in b.events] == [(EventType.NodeDataChanged, "/w")]
    assert not a.events


def test_leader_kill_elects_after_delay_in_a_new_epoch():
    c = Cluster(size=3, seed=1, config=Config(election_delay_s=0.3))
    w = connected(c, 1)
    w.request(create("/before"))
    c.kill(3)
    advance(c, 0)
    assert w.closed, "followers close their clients when the leader dies"
    assert [c.role(i) for i in (1, 2, 3)] == ["looking", "looking", "down"]
    advance(c, 0.2)
    assert c.leader is None
    advance(c, 0.2)
    assert c.leader is c.by_id[2] and c.epoch == 2
    again = Wire(c, 1, 50002)
    again.connect(session=(w.session_id, w.passwd), last_zxid=c.by_id[1].applied)
    assert again.session_id == w.session_id, "the session survives the election"
    hdr, _ = again.request(create("/after"))
    assert hdr.zxid >> 32 == 2 and hdr.zxid & 0xFFFFFFFF == 1


def test_minority_stops_serving_majority_keeps_writing():
    c = Cluster(size=3, seed=1)
    lonely = connected(c, 1)
    other = connected(c, 2, port=50001)
    c.partition([{1}, {2, 3}])
    advance(c, 0)
    assert lonely.closed and c.role(1) == "looking"
    hdr, _ = other.request(create("/majority"))
    assert hdr.err == 0
    refused = Wire(c, 1, 50002)
    refused.connect()
    assert refused.closed and not refused.session_id
    c.heal()
    advance(c, 0.1)
    assert c.role(1) == "follower"


def test_leader_alone_in_minority_steps_down_and_majority_elects():
    c = Cluster(size=3, seed=1, config=Config(election_delay_s=0.2))
    c.partition([{3}, {1, 2}])
    assert c.leader is None and c.role(3) == "looking"
    advance(c, 0.3)
    assert c.leader is c.by_id[2]


def test_session_expires_without_pings_and_ephemerals_go():
    c = Cluster(size=3, seed=1, config=Config(tick_ms=200))
    victim = connected(c, 1, timeout=400)
    watcher = connected(c, 2, port=50001)
    victim.request(create("/eph", flags=int(J.CreateMode.EPHEMERAL)))
    watcher.request(J.ExistsRequest("/eph", True))
    for _ in range(10):
        advance(c, 0.1)
        watcher.request(J.PingRequest(), xid=J.XID_PING)
    assert victim.closed
    assert [(e.type, e.path) for e in watcher.events] == [(EventType.NodeDeleted, "/eph")]
    back = Wire(c, 1, 50002)
    back.connect(session=(victim.session_id, victim.passwd))
    assert back.connect_response.timeout == 0, "an expired session is refused"


def test_reconnect_with_wrong_password_is_refused():
    c = Cluster(size=3, seed=1)
    w = connected(c, 1)
    bad = Wire(c, 2, 50001)
    bad.connect(session=(w.session_id, bytes(16)))
    assert bad.connect_response.timeout == 0 and bad.closed


def test_client_ahead_of_server_is_refused():
    c = Cluster(size=3, seed=1)
    c.set_lag(1, 5.0)
    w = connected(c, 3)
    w.request(create("/z"))
    zxid = w.replies[-1][0].zxid
    behind = Wire(c, 1, 50001)
    behind.connect(session=(w.session_id, w.passwd), last_zxid=zxid)
    assert behind.closed and not behind.session_id


def test_garbage_closes_only_that_connection():
    c = Cluster(size=3, seed=1)
    good = connected(c, 1)
    good.request(create("/safe", b"1"))
    for junk in (b"\xff\xff\xff\xff", b"\x00\x00\x00\x05hello", b"\x7f\x00\x00\x00" + b"x" * 10):
        bad = Wire(c, 1, 50001)
        bad.send_raw(junk)
        bad.send_raw(J.frame(b"\x00" * 3))
        assert bad.closed or bad.conn.state in ("new", "closed")
    _, body = good.request(J.GetDataRequest("/safe", False))
    assert body.data == b"1"


def test_bad_request_body_gets_marshalling_error():
    c = Cluster(size=3, seed=1)
    w = connected(c, 1)
    w.send_raw(J.frame(b"\x00\x00\x00\x07" + int(J.OpCode.getData).to_bytes(4, "big") + b"\x00\x00"))
    assert w.replies[-1][0].err == Err.MARSHALLINGERROR and not w.closed


def test_four_letter_words():
    from zkexplore.sim.fourletter import answer

    c = Cluster(size=3, seed=1)
    assert answer(c, c.by_id[1], "ruok") == "imok"
    assert "Mode: leader" in answer(c, c.by_id[3], "srvr")
    c.kill(3)
    assert answer(c, c.by_id[1], "srvr").startswith("This ZooKeeper instance is not currently serving")


def test_paused_leader_is_replaced_after_sync_limit():
    c = Cluster(size=3, seed=1, config=Config(tick_ms=100, sync_limit=5, election_delay_s=0.1))
    c.pause(3)
    advance(c, 0.4)
    assert c.leader is c.by_id[3]
    advance(c, 0.3)
    advance(c, 0.2)
    assert c.leader is c.by_id[2]
    c.resume(3)
    assert c.role(3) == "looking"
    advance(c, 0.2)
    assert c.role(3) == "follower"


def test_fault_errors():
    c = Cluster(size=3, seed=1)
    c.kill(1)
    with pytest.raises(EnsembleError, match="not running"):
        c.kill(1)
    with pytest.raises(EnsembleError, match="no server with id 9"):
        c.pause(9)
    with pytest.raises(EnsembleError, match="not paused"):
        c.resume(2)
