"""A real 3-server ZooKeeper ensemble and its faults, seen through kazoo."""

from __future__ import annotations

import statistics
import threading
import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError
from kazoo.protocol.states import KazooState
from kazoo.retry import KazooRetry

from zkexplore import EnsembleError, FaultNotSupported
from zkexplore.testing.leaks import connections_between
from zkexplore.testing.states import StateLog

pytestmark = pytest.mark.real


def test_roles_and_hosts(real3):
    roles = sorted(s.role for s in real3.servers)
    assert roles == ["follower", "follower", "leader"]
    assert real3.leader is not None and real3.leader.role == "leader"
    assert len(real3.hosts.split(",")) == 3
    assert all(s.state == "up" for s in real3.servers)
    assert all(a.startswith("127.0.0.1:") for a in real3.hosts.split(","))


def test_leader_kill_keeps_session_and_acknowledged_writes(real3):
    old = real3.leader
    follower = next(s for s in real3.servers if s is not old)
    zk = real3.client(server=follower)
    writer = real3.client()
    log = StateLog(zk)
    session = zk.client_id[0]
    acked = []
    for i in range(50):
        writer.create(f"/acked-{i:02d}", str(i).encode())
        acked.append(i)
    old.kill()
    assert old.state == "down" and old.role == "down"
    new = real3.wait_for_leader(timeout=30)
    assert new is not old
    log.wait_for(KazooState.SUSPENDED, KazooState.CONNECTED)
    retry = KazooRetry(max_tries=-1, deadline=30)
    children = retry(zk.get_children, "/")
    assert sorted(c for c in children if c.startswith("acked-")) == [f"acked-{i:02d}" for i in acked]
    assert zk.client_id[0] == session, "the session must survive a leader change"
    assert KazooState.LOST not in log.states
    # the ensemble writes again, and the killed server comes back as a follower
    retry(writer.create, "/after", b"")
    old.start()
    assert old.role == "follower"
    assert [e.f for e in real3.history.ops(process="nemesis")][-2:] == ["start", "start"]


def test_minority_partition_stops_serving_while_majority_serves(real3):
    leader = real3.leader
    lonely = next(s for s in real3.servers if s is not leader)
    majority = [s for s in real3.servers if s is not lonely]
    zk_min = real3.client(server=lonely, timeout=10.0)
    zk_maj = real3.client(server=majority[0])
    zk_min.create("/before", b"")
    log = StateLog(zk_min)
    first = len(real3.history)
    real3.partition([lonely])
    log.wait_for(KazooState.SUSPENDED, timeout=15)
    assert lonely.role == "looking"
    pending = zk_min.get_async("/before")
    zk_maj.create("/during", b"majority")  # the majority keeps serving writes
    assert zk_maj.get("/during")[0] == b"majority"
    time.sleep(1.5)
    assert not pending.ready(), "the isolated server answered a client"
    assert zk_maj.get("/during")[0] == b"majority"
    real3.heal()
    deadline = time.monotonic() + 30
    while lonely.role != "follower":
        assert time.monotonic() < deadline, "the healed server did not rejoin"
        time.sleep(0.05)
    assert pending.get(timeout=30)[0] == b""  # answered once healed, same session
    assert zk_min.get("/during")[0] == b"majority"
    groups = [o.value for o in real3.history.ops()[first:] if o.f == "partition" and o.type == "ok"]
    assert groups == [{"groups": [[lonely.id], sorted(s.id for s in majority)]}]


def test_expire_session_is_real_server_side_expiry(real3):
    victim = real3.client()
    other = real3.client()
    log = StateLog(victim)
    victim.create("/eph", b"mine", ephemeral=True)
    old_session = victim.client_id[0]
    gone = threading.Event()

    def watch(event):
        if event.type == "DELETED":
            gone.set()

    assert other.exists("/eph", watch=watch) is not None
    real3.expire_session(victim)
    assert KazooState.LOST in log.states
    assert gone.wait(5), "the other client saw no deletion of the expired ephemeral"
    assert other.exists("/eph") is None
    log.wait_for(KazooState.LOST, KazooState.CONNECTED)  # kazoo opens a new session
    assert victim.client_id[0] != old_session


def test_disconnect_gives_suspended_then_connected(real3):
    zk = real3.client()
    log = StateLog(zk)
    session = zk.client_id[0]
    real3.disconnect(zk)
    log.wait_for(KazooState.SUSPENDED, KazooState.CONNECTED)
    assert zk.client_id[0] == session
    assert zk.get("/zookeeper") is not None


def test_disconnect_held_longer_than_timeout_expires(real3):
    zk = real3.client(timeout=4.0)
    zk.create("/held", ephemeral=True)
    other = real3.client()
    log = StateLog(zk)
    real3.disconnect(zk, seconds=8)
    log.wait_for(KazooState.SUSPENDED, KazooState.LOST, KazooState.CONNECTED, timeout=30)
    assert other.exists("/held") is None


def _rtts(zk: KazooClient, n: int = 15) -> list[float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        zk.exists("/zookeeper")
        times.append(time.perf_counter() - t)
    return times


def test_latency_slows_every_round_trip(real3):
    zk = real3.client()
    base = statistics.median(_rtts(zk))
    real3.set_latency(200)
    try:
        slow = _rtts(zk, 5)
    finally:
        real3.set_latency(0)
    # 100 ms each way: no round trip can be quicker than 200 ms
    assert min(slow) >= 0.200, f"round trips {[round(t * 1e3, 1) for t in slow]} ms with 200 ms of latency"
    assert statistics.median(slow) - base < 0.5
    assert statistics.median(_rtts(zk)) < base + 0.1


def test_pause_freezes_a_server_and_resume_thaws_it(real3):
    target = next(s for s in real3.servers if s.role == "follower")
    zk = real3.client(server=target, timeout=30.0)
    zk.create("/p", b"0")
    target.pause()
    assert target.state == "paused"
    result = zk.get_async("/p")
    time.sleep(1.0)
    if result.ready():  # say what came back: a reply, or a failure of the connection
        got = result.exception if result.exception is not None else result.value
        pytest.fail(f"a paused server answered: {got!r}\n{target.log_tail()}")
    with pytest.raises(OSError):
        target.four_letter("ruok", timeout=0.5)
    target.resume()
    assert result.get(timeout=10)[0] == b"0"
    assert target.state == "up" and target.role == "follower"


def test_fault_errors_are_clear(real3):
    with pytest.raises(ValueError, match="no server with id 7"):
        real3.partition([7])
    with pytest.raises(ValueError, match="two groups"):
        real3.partition([1, 2, 3])
    with pytest.raises(ValueError, match="in two partition groups"):
        real3.partition([1], [1, 2])
    with pytest.raises(ValueError, match="latency"):
        real3.set_latency(-5)
    up = real3.servers[0]
    with pytest.raises(EnsembleError, match="not paused"):
        up.resume()
    with pytest.raises(EnsembleError, match="already running"):
        up.start()
    failed = [op for op in real3.history.ops(process="nemesis") if op.type == "fail"]
    assert failed and failed[-1].f == "start" and "already running" in failed[-1].error


def test_operations_on_stopped_ensemble_fail_clearly(no_leaks):
    from zkexplore import LocalEnsemble

    ens = LocalEnsemble(size=1)
    with pytest.raises(EnsembleError, match="not started"):
        ens.client()
    with pytest.raises(ValueError, match="positive int"):
        LocalEnsemble(size=0)
    assert isinstance(FaultNotSupported("x", "y", "z"), Exception)


def test_missing_znode_is_kazoo_error(real3):
    zk = real3.client()
    with pytest.raises(NoNodeError):
        zk.get("/missing")


def test_every_server_link_crosses_the_proxies(real3):
    """A partition can only cut what crosses the proxies.  ZooKeeper 3.8 answers an
    election connection from a lower server id by connecting back to the address
    that server announced; restarting server 1 makes it connect up to both others,
    so without the proxy rewriting that address they would reach it directly."""
    first = real3.servers[0]
    first.stop()
    first.start()
    real3.wait_for_leader()
    deadline = time.monotonic() + 10
    while first.role not in ("leader", "follower"):
        assert time.monotonic() < deadline, f"server 1 is {first.role} after its restart"
        time.sleep(0.05)
    pids = {s.proc.pid for s in real3.servers}
    assert connections_between(pids) == []
