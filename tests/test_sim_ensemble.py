"""SimEnsemble over TCP: lag, server latency, determinism, both hosting modes."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from zkexplore import EnsembleError, SimEnsemble


def test_lagging_follower_is_stale_until_sync(sim3):
    leader = sim3.wait_for_leader()
    follower = next(s for s in sim3.servers if s is not leader)
    writer = sim3.client(server=leader)
    reader = sim3.client(server=follower)
    writer.create("/lag", b"v0")
    reader.sync("/lag")
    follower.lag(3.0)
    t_set = time.monotonic()
    writer.set("/lag", b"v1")
    assert reader.get("/lag")[0] == b"v0", "a lagging follower serves what it has applied"
    reader.sync("/lag")
    # the follower applies the write 3 s after the commit, and sync waits for it
    assert time.monotonic() - t_set >= 3.0, "sync waits for the follower to catch up"
    assert reader.get("/lag")[0] == b"v1"
    assert [o.f for o in sim3.history.ops(process="nemesis")][-2:] == ["lag", "lag"]


def test_latency_between_servers_slows_writes_not_reads(sim3):
    zk = sim3.client(server=sim3.wait_for_leader())
    zk.create("/slow", b"")

    def median(fn, n=5):
        times = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return sorted(times)[n // 2]

    fast_write = median(lambda: zk.set("/slow", b"x"))
    sim3.set_latency(300, between="servers")
    try:
        slow_write = median(lambda: zk.set("/slow", b"y"))
        read = median(lambda: zk.get("/slow"))
    finally:
        sim3.set_latency(0, between="all")
    assert slow_write - fast_write >= 0.25, (fast_write, slow_write)
    assert read < 0.1


@pytest.mark.parametrize("process", [True, False])
def test_same_seed_same_sessions_and_zxids(process):
    def run() -> list:
        with SimEnsemble(size=3, seed=99, process=process) as ens:
            a = ens.client(server=1)
            b = ens.client(server=2)
            out = [a.client_id[0], b.client_id[0]]
            out.append(a.create("/d", b"1", include_data=True)[1].czxid)
            out.append(b.create("/d/e-", ephemeral=True, sequence=True))
            out.append(a.set("/d", b"2").mzxid)
            return out

    assert run() == run()


def test_thread_mode_exposes_the_cluster_and_process_mode_does_not():
    with SimEnsemble(size=1, process=False) as ens:
        assert ens.cluster.leader.id == 1
        assert ens.describe()["leader"] == 1
    with SimEnsemble(size=1) as ens:
        with pytest.raises(EnsembleError, match="another process"):
            _ = ens.cluster
        assert ens.describe()["servers"][0]["role"] == "leader"


def test_bad_arguments():
    with pytest.raises(ValueError, match="positive int"):
        SimEnsemble(size=0)
    with pytest.raises(ValueError, match="3 servers need 3 ports"):
        SimEnsemble(size=3, ports=[1])
    ens = SimEnsemble(size=1)
    with pytest.raises(EnsembleError, match="not started"):
        ens.client()


def test_connection_messages_reach_the_log_not_the_notebook():
    """kazoo warns on every dropped connection; in a notebook that lands as stderr under
    the cell.  zkexplore's clients log to ``zkexplore.client`` instead: silent by default,
    there for a program that configures logging."""
    script = """
import logging, sys
from kazoo.protocol.states import KazooState
from zkexplore import SimEnsemble
from zkexplore.testing.states import StateLog
with SimEnsemble(size=1) as ens:
    zk = ens.client()
    log = StateLog(zk)
    if sys.argv[1] == "configured":
        logging.basicConfig(stream=sys.stdout, format="%(name)s: %(message)s")
    ens.disconnect(zk)
    log.wait_for(KazooState.SUSPENDED, KazooState.CONNECTED)
"""
    quiet = subprocess.run([sys.executable, "-c", script, "default"], capture_output=True, text=True, timeout=60)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == "" and quiet.stdout == ""
    loud = subprocess.run([sys.executable, "-c", script, "configured"], capture_output=True, text=True, timeout=60)
    assert loud.returncode == 0, loud.stderr
    assert "zkexplore.client: Connection dropped" in loud.stdout


def test_a_client_of_the_ensemble_retries_at_least_every_second(sim3):
    """Clients an ensemble hands out try to reconnect at least every half second
    (plus jitter), so a lesson shows a recovery at once; kazoo's own backoff doubles
    its wait up to an hour.  While the server is down, its port is ours: we count the client's
    attempts there and turn each away."""
    import socket

    from kazoo.protocol.states import KazooState

    from zkexplore.testing.states import StateLog

    target = next(s for s in sim3.servers if s.role == "follower")
    zk = sim3.client(server=target, timeout=30.0)
    session = zk.client_id[0]
    log = StateLog(zk)
    port = int(target.address.rsplit(":", 1)[1])
    target.kill()
    attempts = []
    with socket.socket() as door:
        door.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        door.bind(("127.0.0.1", port))
        door.listen(16)
        door.settimeout(0.05)
        end = time.monotonic() + 6.0
        while time.monotonic() < end:
            try:
                conn, _ = door.accept()
            except socket.timeout:
                continue
            attempts.append(time.monotonic())
            conn.close()
    gaps = [round(b - a, 2) for a, b in zip(attempts, attempts[1:])]
    assert len(attempts) >= 8 and max(gaps) <= 1.5, f"{len(attempts)} attempts in 6 s, gaps {gaps}"
    target.start()
    log.wait_for(KazooState.SUSPENDED, KazooState.CONNECTED, timeout=10)
    assert zk.client_id[0] == session and zk.exists("/") is not None
    assert log.states == [KazooState.SUSPENDED, KazooState.CONNECTED]
