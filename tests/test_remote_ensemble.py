"""RemoteEnsemble: an existing ensemble, read-only by default."""

from __future__ import annotations

import pytest

from zkexplore import EnsembleError, FaultNotSupported, ReadOnlyError, RemoteEnsemble
from zkexplore.ensembles.remote import WRITE_OPCODES

pytestmark = pytest.mark.real


def test_read_only_refuses_writes_before_sending(real3):
    admin = real3.client()
    admin.create("/prod/config", b"v1", makepath=True)
    with RemoteEnsemble(real3.hosts) as prod:
        zk = prod.client()
        assert zk.get("/prod/config")[0] == b"v1"
        assert sorted(zk.get_children("/prod")) == ["config"]
        before_counts = real3.request_counts()
        before_zxid = [s.zxid for s in real3.servers]
        attempts = [
            lambda: zk.create("/prod/new", b"x"),
            lambda: zk.create("/prod/eph", ephemeral=True),
            lambda: zk.ensure_path("/prod/a/b"),
            lambda: zk.set("/prod/config", b"v2"),
            lambda: zk.delete("/prod/config"),
            lambda: zk.delete("/prod", recursive=True),
            lambda: zk.set_acls("/prod/config", []),
        ]
        for attempt in attempts:
            with pytest.raises(ReadOnlyError, match="read-only"):
                attempt()
        tx = zk.transaction()
        tx.create("/prod/t1")
        tx.delete("/prod/config")
        with pytest.raises(ReadOnlyError, match="transaction"):
            tx.commit()
        # reads still work after the refusals, and nothing reached the servers
        assert zk.get("/prod/config")[0] == b"v1"
        after_counts = real3.request_counts()
        for op in WRITE_OPCODES:
            assert after_counts.get(op, 0) == before_counts.get(op, 0), f"opcode {op} was sent"
        assert after_counts.get(4, 0) > before_counts.get(4, 0)  # the reads did cross
        assert [s.zxid for s in real3.servers] == before_zxid
    assert admin.get("/prod/config")[0] == b"v1"


def test_read_only_error_names_operation_and_path(real3):
    with RemoteEnsemble(real3.hosts) as prod:
        zk = prod.client()
        with pytest.raises(ReadOnlyError) as info:
            zk.create("/somewhere/node")
        assert info.value.operation == "create"
        assert info.value.path == "/somewhere/node"
        assert "/somewhere/node" in str(info.value)


def test_writes_with_explicit_opt_in(real3):
    with RemoteEnsemble(real3.hosts, read_only=False) as prod:
        zk = prod.client()
        zk.create("/optin", b"yes")
    assert real3.client().get("/optin")[0] == b"yes"


def test_faults_are_refused_with_reasons(real3):
    with RemoteEnsemble(real3.hosts) as prod:
        zk = prod.client()
        assert sorted(s.role for s in prod.servers) == ["follower", "follower", "leader"]
        for call, what in [
            (lambda: prod.servers[0].kill(), "kill a server"),
            (lambda: prod.servers[0].stop(), "stop a server"),
            (lambda: prod.servers[0].pause(), "pause a server"),
            (lambda: prod.partition([1], [2, 3]), "partition"),
            (lambda: prod.set_latency(100), "add latency"),
        ]:
            with pytest.raises(FaultNotSupported, match=what) as info:
                call()
            assert "RemoteEnsemble" in str(info.value)
            assert "does not run" in info.value.reason
        with pytest.raises(FaultNotSupported, match="expire a session") as info:
            prod.expire_session(zk)
        assert "read-only" in info.value.reason
        assert all(s.state == "up" for s in real3.servers)
        fails = [op.f for op in prod.history.ops() if op.type == "fail"]
        assert fails == ["kill", "stop", "pause", "partition", "set_latency", "expire_session"]


def test_disconnect_cuts_own_client(real3):
    from kazoo.protocol.states import KazooState

    from zkexplore.testing.states import StateLog

    with RemoteEnsemble(real3.hosts) as prod:
        zk = prod.client()
        log = StateLog(zk)
        sid = zk.client_id[0]
        prod.disconnect(zk)
        log.wait_for(KazooState.SUSPENDED, KazooState.CONNECTED)  # kazoo reconnects by itself
        assert zk.client_id[0] == sid
        assert zk.get("/zookeeper") is not None


def test_bad_hosts_and_unreachable_servers():
    with pytest.raises(ValueError, match="bad port"):
        RemoteEnsemble("127.0.0.1:notaport")
    with pytest.raises(ValueError, match="hosts must be"):
        RemoteEnsemble("")
    from zkexplore.ensembles.local import free_ports

    (port,) = free_ports(1)
    ens = RemoteEnsemble(f"127.0.0.1:{port}", connect_timeout=1.0)
    with pytest.raises(EnsembleError, match="could not connect"):
        ens.start()
    assert not ens.started


def test_writable_remote_can_cut_and_expire_its_own_clients(real3):
    from kazoo.protocol.states import KazooState

    from zkexplore.testing.states import StateLog

    with RemoteEnsemble(real3.hosts, read_only=False) as dev:
        zk = dev.client(timeout=4.0)
        zk.create("/mine", ephemeral=True)
        log = StateLog(zk)
        sid = zk.client_id[0]
        dev.disconnect(zk, seconds=1.0)
        log.wait_for(KazooState.SUSPENDED, KazooState.CONNECTED)
        assert zk.client_id[0] == sid, "a 1 s cut keeps the session"
        dev.expire_session(zk)
        log.wait_for(KazooState.LOST, KazooState.CONNECTED)
        assert real3.client().exists("/mine") is None
