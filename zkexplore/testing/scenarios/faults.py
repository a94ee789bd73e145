"""Server faults: the ensemble keeps its promises through a leader change."""

from kazoo.retry import KazooRetry

from ..differential import Trial, scenario


@scenario(tags=("faults",), faults=True)
def leader_kill_keeps_session(t: Trial) -> None:
    """Kill the leader: a client on a follower keeps its session, ephemerals and data."""
    leader = t.ensemble.wait_for_leader()
    follower = next(s for s in t.ensemble.servers if s is not leader)
    zk = t.client("c", server=follower)
    zk.create(t.path("before"), b"acked")
    zk.create(t.path("eph"), ephemeral=True)
    sid = zk.client_id[0]
    leader.kill()
    t.ensemble.wait_for_leader()
    retry = KazooRetry(max_tries=-1, deadline=30)
    t.record("before", retry(zk.get, t.path("before"))[0])
    t.record("same-session", zk.client_id[0] == sid)
    t.do("eph-kept", zk.exists, t.path("eph"))
    t.do("write-after", retry, zk.create, t.path("after"), include_data=True)


@scenario(tags=("faults",), faults=True)
def partitioned_follower_rejoins(t: Trial) -> None:
    """A follower cut off from the others misses writes and catches up when healed."""
    leader = t.ensemble.wait_for_leader()
    lonely = next(s for s in t.ensemble.servers if s is not leader)
    rest = [s for s in t.ensemble.servers if s is not lonely]
    writer = t.client("writer", server=rest[0])
    writer.create(t.path("n"), b"0")
    t.ensemble.partition([lonely])
    t.wait(lambda: lonely.role == "looking", what="the lonely server to stop serving")
    t.do("write-during", writer.set, t.path("n"), b"1")
    t.ensemble.heal()
    t.wait(lambda: lonely.role == "follower", what="the lonely server to rejoin")
    reader = t.client("reader", server=lonely)
    t.do("sync", reader.sync, t.path("n"))
    t.do("read-after", reader.get, t.path("n"))
