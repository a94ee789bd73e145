"""More faults: writes in flight through a leader change, a partitioned follower
with a pending read, session expiry seen from other clients, client cuts, a
follower restart.  Only what is deterministic is recorded (which in-flight writes
were acknowledged is not; that the acknowledged ones survived is)."""

from kazoo.exceptions import KazooException
from kazoo.retry import KazooRetry

from ...client import add_watch
from ..differential import Trial, scenario


def _retry() -> KazooRetry:
    return KazooRetry(max_tries=-1, deadline=30)


@scenario(tags=("faults",), faults=True)
def leader_kill_writes_in_flight(t: Trial) -> None:
    """Kill the leader while a client on a follower has 40 creates in flight: every
    create that was acknowledged is there afterwards, the session is the same, and
    its ephemeral survives."""
    leader = t.ensemble.wait_for_leader()
    follower = next(s for s in t.ensemble.servers if s is not leader)
    zk = t.client("c", server=follower)
    sid = zk.client_id[0]
    zk.create(t.path("eph"), ephemeral=True)
    for i in range(3):
        zk.create(t.path(f"before{i}"))
    pending = [zk.create_async(t.path(f"w{i:03d}"), b"x") for i in range(40)]
    leader.kill()
    acked: list[str] = []
    for i, p in enumerate(pending):
        try:
            p.get(timeout=30)
            acked.append(t.path(f"w{i:03d}"))
        except KazooException:
            pass
    t.ensemble.wait_for_leader()
    retry = _retry()
    present = retry(zk.get_children, t.path())
    t.record("acked-present", all(p.rsplit("/", 1)[1] in present for p in acked))
    t.record("before-present", sorted(c for c in present if c.startswith("before")))
    t.record("same-session", zk.client_id[0] == sid)
    t.do("eph-kept", retry, zk.exists, t.path("eph"))
    t.do("write-after", retry, zk.create, t.path("after"), b"a")


@scenario(tags=("faults",), faults=True)
def partitioned_follower_pending_read(t: Trial) -> None:
    """A client pinned to a follower that is cut off from the quorum is suspended; a
    read it issues meanwhile waits, and is answered after the heal with what the
    majority wrote during the partition.  The session survives."""
    leader = t.ensemble.wait_for_leader()
    lonely = next(s for s in t.ensemble.servers if s is not leader)
    rest = [s for s in t.ensemble.servers if s is not lonely]
    writer = t.client("writer", server=rest[0])
    reader = t.client("reader", server=lonely)
    sid = reader.client_id[0]
    writer.create(t.path("n"), b"before")
    t.do("read-before", reader.get, t.path("n"))
    t.ensemble.partition([lonely])
    t.wait(lambda: lonely.role == "looking", what="the lonely server to stop serving")
    t.states("reader", 1)
    pending = reader.get_async(t.path("n"))
    t.do("write-during", writer.set, t.path("n"), b"during")
    t.do("create-during", writer.create, t.path("m"), b"new")
    t.ensemble.heal()
    t.wait(lambda: lonely.role == "follower", 60, "the lonely server to rejoin")
    data, stat = pending.get(timeout=30)
    t.record("pending-read", [data, stat])
    t.states("reader", 2)
    t.record("same-session", reader.client_id[0] == sid)
    t.do("children", reader.get_children, t.path())


@scenario(tags=("sessions", "faults", "watches"), faults=True)
def expiry_fires_parent_child_watch(t: Trial) -> None:
    """A session that owns two ephemerals under a parent expires: another client's
    one-shot child watch on the parent fires once, and the parent's pzxid is the
    expiry's zxid."""
    owner = t.client("owner")
    other = t.client("other")
    owner.create(t.path("p"))
    owner.create(t.path("p", "e1"), ephemeral=True)
    owner.create(t.path("p", "e2"), ephemeral=True)
    owner.create(t.path("p", "keep"))
    t.do("children-watch", other.get_children, t.path("p"), watch=t.watcher("children"))
    t.do("data-watch", other.get, t.path("p", "e1"), watch=t.watcher("e1"))
    t.ensemble.expire_session(owner)
    t.events("children", 1)
    t.events("e1", 1)
    t.do("children-after", other.get_children, t.path("p"))
    t.do("parent-after", other.exists, t.path("p"))
    t.do("next-create", other.create, t.path("after"), include_data=True)


@scenario(tags=("sessions", "faults", "sequential"), faults=True)
def expiry_removes_ephemeral_sequentials(t: Trial) -> None:
    """A session owning ephemeral sequential nodes (a lock queue) expires: each node's
    exists watch sees DELETED, the survivor's node stays, and the next sequence
    number continues from the parent's counter."""
    owner = t.client("owner")
    other = t.client("other")
    owner.create(t.path("q"))
    mine = [owner.create(t.path("q", "lock-"), ephemeral=True, sequence=True) for _ in range(2)]
    theirs = other.create(t.path("q", "lock-"), ephemeral=True, sequence=True)
    t.record("names", [mine, theirs])
    for i, p in enumerate(mine):
        t.do(f"watch-{i}", other.exists, p, watch=t.watcher(f"w{i}"))
    t.ensemble.expire_session(owner)
    t.events("w0", 1)
    t.events("w1", 1)
    t.do("children-after", other.get_children, t.path("q"))
    t.do("next", other.create, t.path("q", "lock-"), ephemeral=True, sequence=True)


@scenario(tags=("faults", "watches"), faults=True)
def disconnect_loses_watches(t: Trial) -> None:
    """Cut a kazoo client's connection: it reconnects with the same session, but
    kazoo sends no SetWatches, so the one-shot and persistent watches it set before
    the cut never fire; watches set after it do."""
    zk = t.client("c")
    other = t.client("other")
    zk.create(t.path("n"), b"0")
    sid = zk.client_id[0]
    zk.get(t.path("n"), watch=t.watcher("before"))
    add_watch(zk, t.path("n"), t.watcher("persistent"))
    t.ensemble.disconnect(zk)
    t.states("c", 2)
    t.record("same-session", zk.client_id[0] == sid)
    other.set(t.path("n"), b"1")
    t.do("round-trip", zk.sync, t.path("n"))
    t.events("before", 1, timeout=0.5)
    t.events("persistent", 1, timeout=0.3)
    other.create(t.path("m"), b"0")
    t.do("get-after", zk.get, t.path("m"), watch=t.watcher("after"))
    other.set(t.path("m"), b"1")
    t.events("after", 1)


@scenario(tags=("faults", "sessions"), faults=True)
def disconnect_longer_than_timeout(t: Trial) -> None:
    """Cut a client off for longer than its session timeout (4 s): the session
    expires, its ephemeral goes, and when it may reconnect kazoo is told so (LOST)
    and starts a new session."""
    zk = t.client("c", timeout=4.0)
    other = t.client("other")
    zk.create(t.path("eph"), ephemeral=True)
    old = zk.client_id[0]
    t.do("watch", other.exists, t.path("eph"), watch=t.watcher("eph"))
    t.ensemble.disconnect(zk, seconds=7.0)
    t.events("eph", 1, timeout=20)
    t.states("c", 3, timeout=30)
    t.record("new-session", zk.client_id[0] != old)
    t.do("children", other.get_children, t.path())


@scenario(tags=("faults",), faults=True)
def follower_restart_catches_up(t: Trial) -> None:
    """Kill a follower, write while it is down, start it again: a client on it,
    after sync, reads every write it missed."""
    leader = t.ensemble.wait_for_leader()
    follower = next(s for s in t.ensemble.servers if s is not leader)
    writer = t.client("writer", server=leader)
    writer.create(t.path("n"), b"0")
    follower.kill()
    t.do("set-while-down", writer.set, t.path("n"), b"1")
    t.do("create-while-down", writer.create, t.path("m"), b"m")
    t.do("delete-while-down", writer.delete, t.path("m"))
    follower.start()
    t.wait(lambda: follower.role == "follower", 60, "the follower to serve")
    reader = t.client("reader", server=follower)
    t.do("sync", reader.sync, t.path())
    t.do("read", reader.get, t.path("n"))
    t.do("children", reader.get_children, t.path())
    t.do("stat-root", reader.exists, t.path())


@scenario(tags=("faults", "raw", "four-letter"), faults=True)
def looking_server_refuses_clients(t: Trial) -> None:
    """A follower cut off from the quorum stops serving: it closes a new connection
    without a ConnectResponse (read-only clients too: read-only mode is off), says
    so to srvr, answers ruok with imok and isro with null; after the heal it serves."""
    leader = t.ensemble.wait_for_leader()
    lonely = next(s for s in t.ensemble.servers if s is not leader)
    t.ensemble.partition([lonely])
    t.wait(lambda: lonely.role == "looking", what="the lonely server to stop serving")
    t.do("connect", t.raw("rw", server=lonely, connect=False).connect)
    t.do("connect-read-only", t.raw("ro", server=lonely, connect=False).connect, read_only=True)
    t.record("srvr", lonely.four_letter("srvr"))
    t.record("ruok", lonely.four_letter("ruok"))
    t.record("isro", lonely.four_letter("isro"))
    t.ensemble.heal()
    t.wait(lambda: lonely.role == "follower", 60, "the lonely server to rejoin")
    t.do("connect-after", t.raw("after", server=lonely, connect=False).connect)
    t.record("isro-after", lonely.four_letter("isro"))


@scenario(tags=("faults", "lag"), faults=True)
def lag_then_sync(t: Trial) -> None:
    """A follower that applies commits late serves what it has; ``sync`` makes it
    catch up before the next read (on a real ensemble the lag is server latency)."""
    leader = t.ensemble.wait_for_leader()
    follower = next(s for s in t.ensemble.servers if s is not leader)
    writer = t.client("writer", server=leader)
    reader = t.client("reader", server=follower)
    writer.create(t.path("k"), b"v0")
    t.do("first-read", reader.get, t.path("k"))
    t.lag(follower, 0.4)
    t.do("write", writer.set, t.path("k"), b"v1")
    t.do("sync", reader.sync, t.path("k"))
    t.do("read-after-sync", reader.get, t.path("k"))
    t.do("write-2", writer.set, t.path("k"), b"v2")
    t.do("sync-2", reader.sync, t.path("k"))
    t.do("read-after-sync-2", reader.get, t.path("k"))
