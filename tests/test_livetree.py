"""LiveTree: the watch-fed mirror converges to the server's tree, whatever happens."""

from __future__ import annotations

import random
import threading
import time

import pytest
from kazoo.exceptions import NodeExistsError, NoNodeError, NotEmptyError, SessionExpiredError
from kazoo.retry import KazooRetry

from zkexplore.model import LiveTree, TreeEvent


def full_read(zk, root: str) -> dict:
    """A fresh, complete read of the subtree: {path: (data, stat)}."""
    out = {}

    def walk(p: str) -> None:
        try:
            data, stat = zk.get(p)
            kids = zk.get_children(p)
        except NoNodeError:
            return
        out[p] = (data, stat)
        for k in kids:
            walk(f"{p}/{k}" if p != "/" else f"/{k}")

    walk(root)
    return out


def differences(mine: dict, fresh: dict) -> str:
    missing = sorted(set(fresh) - set(mine))[:5]
    extra = sorted(set(mine) - set(fresh))[:5]
    stale = sorted(p for p in set(mine) & set(fresh) if mine[p] != fresh[p])[:5]
    return f"missing {missing}, extra {extra}, stale {stale}"


def wait_equal(tree: LiveTree, zk, root: str, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        fresh = full_read(zk, root)
        mine = tree.snapshot()
        if mine == fresh:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"mirror differs after {timeout} s: {differences(mine, fresh)}")
        time.sleep(0.05)


def churn(ensemble, root: str, writers: int, ops: int, seed: int, during=None) -> None:
    """``writers`` clients make ``ops`` random changes each; ``during()`` runs midway."""
    retry = KazooRetry(max_tries=-1, deadline=30, ignore_expire=True)
    clients = [ensemble.client() for _ in range(writers)]
    barrier = threading.Barrier(writers + 1)
    errors = []

    def work(i: int, zk) -> None:
        rng = random.Random(seed * 100 + i)
        mine: list[str] = []
        barrier.wait()
        try:
            for n in range(ops):
                r = rng.random()
                try:
                    if r < 0.35 or not mine:
                        eph = rng.random() < 0.3
                        seq = rng.random() < 0.3
                        parent = rng.choice([root, f"{root}/d{i}", f"{root}/d{(i + 1) % writers}"])
                        path = retry(zk.create, f"{parent}/w{i}-{n}", str(n).encode(),
                                     ephemeral=eph, sequence=seq, makepath=True)
                        if not eph:
                            mine.append(path)
                    elif r < 0.7:
                        retry(zk.set, rng.choice(mine), rng.randbytes(rng.randint(0, 40)))
                    else:
                        victim = mine.pop(rng.randrange(len(mine)))
                        retry(zk.delete, victim)
                except (NodeExistsError, NoNodeError, NotEmptyError, SessionExpiredError):
                    pass
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i, zk)) for i, zk in enumerate(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    if during is not None:
        time.sleep(0.2)
        during()
    for t in threads:
        t.join(120)
    assert not errors, errors


def test_mirror_converges_under_churn_restarts_and_expiry(ensemble):
    """Four clients make 2,000 random changes while a server restarts and the
    observer's own session is expired; the mirror then equals a fresh read."""
    setup = ensemble.client()
    setup.ensure_path("/churn")
    for i in range(4):
        setup.ensure_path(f"/churn/d{i}")
    observer = ensemble.client(timeout=6.0)
    tree = LiveTree(observer, "/churn").start(timeout=30)
    sessions = []
    tree.listen(lambda e: sessions.append(e.detail) if e.kind == "session" else None)

    def faults() -> None:
        follower = next(s for s in ensemble.servers if s.role == "follower")
        follower.kill()
        time.sleep(0.3)
        observer.retry(observer.exists, "/churn")  # back on a live server, if it was on that one
        ensemble.expire_session(observer)
        follower.start()

    churn(ensemble, "/churn", writers=4, ops=500, seed=1, during=faults)
    # the tree stands still from here on: the mirror 2 s after the last change must
    # equal a full read, however long that read itself takes
    time.sleep(2.0)
    mine = tree.snapshot()
    reader = ensemble.client()
    reader.sync("/churn")  # its server may be the restarted one, still catching up
    fresh = full_read(reader, "/churn")
    assert mine == fresh, f"mirror differs 2 s after the last change: {differences(mine, fresh)}"
    assert "LOST" in sessions, "the observer's session was expired once"
    assert tree.stats["loads"] >= 2, "a lost session must be followed by a resync"
    tree.close()


def _watch_counts(ensemble) -> list[int]:
    out = []
    for s in ensemble.servers:
        text = s.four_letter("mntr")
        out.append(int(text.split("zk_watch_count\t", 1)[1].split()[0]))
    return out


def test_one_server_watch_for_the_whole_tree_and_none_after_close(ensemble):
    zk = ensemble.client(server=ensemble.servers[0])
    for i in range(30):
        zk.create(f"/w/n{i}/leaf", makepath=True)
    assert sum(_watch_counts(ensemble)) == 0
    tree = LiveTree(zk, "/w").start()
    assert len(tree) == 61
    # ZooKeeper 3.8 keeps one addWatch registration in both of its watch tables,
    # so mntr counts it twice; per-node watching would hold 122 here
    assert _watch_counts(ensemble) == [2, 0, 0]
    wchc = ensemble.servers[0].four_letter("wchc")
    assert wchc.count("\t/") == 1 and "\t/w\n" in wchc, wchc
    tree.close()
    assert _watch_counts(ensemble) == [0, 0, 0]


def test_per_node_watches_when_multi_is_off(ensemble):
    zk = ensemble.client(server=ensemble.servers[0])
    other = ensemble.client()
    for i in range(5):
        zk.create(f"/old/n{i}", b"v", makepath=True)
    tree = LiveTree(zk, "/old", use_multi=False).start()
    assert len(tree) == 6
    assert _watch_counts(ensemble)[0] == 12  # a data and a child watch per node
    other.create("/old/n0/deep", b"x")
    other.set("/old/n1", b"changed")
    other.delete("/old/n2")
    wait_equal(tree, other, "/old")
    tree.close()


def test_events_tell_what_changed(sim3):
    zk = sim3.client()
    zk.create("/ev")
    tree = LiveTree(zk, "/ev").start()
    seen: list[TreeEvent] = []
    cond = threading.Condition()

    @tree.listen
    def on(event: TreeEvent) -> None:
        with cond:
            seen.append(event)
            cond.notify_all()

    def step(action, kind: str) -> None:
        # the mirror converges; intermediate states are only seen if they last
        # long enough to be read, so wait for each one
        action()
        with cond:
            assert cond.wait_for(lambda: any(e.kind == kind and e.path == "/ev/a" for e in seen), 5)

    step(lambda: zk.create("/ev/a", b"1"), "created")
    step(lambda: zk.set("/ev/a", b"2"), "data")
    step(lambda: zk.delete("/ev/a"), "deleted")
    kinds = [(e.kind, e.path) for e in seen if e.path == "/ev/a"]
    assert kinds == [("created", "/ev/a"), ("data", "/ev/a"), ("deleted", "/ev/a")]
    created = next(e for e in seen if e.kind == "created")
    assert created.stat is not None and created.stat.dataLength == 1
    tree.close()
    assert seen[-1].kind == "closed"


def test_load_batches_many_nodes_per_request(sim3):
    zk = sim3.client()
    zk.create("/big")
    results = [zk.create_async(f"/big/n{i:04d}", b"x") for i in range(1000)]
    for r in results:
        r.get()
    tree = LiveTree(zk, "/big", batch=100).start()
    assert len(tree) == 1001
    assert tree.progress == (1001, 1001)
    assert tree.stats["requests"] <= 15, tree.stats
    g = tree.graph()
    assert g.number_of_nodes() == 1001 and g.number_of_edges() == 1000
    assert g.nodes["/big/n0001"]["kind"] == "persistent"
    tree.close()


def test_max_nodes_truncates_with_a_clear_message(sim3):
    zk = sim3.client()
    for i in range(50):
        zk.create(f"/cap/n{i:02d}", makepath=True)
    events = []
    tree = LiveTree(zk, "/cap", max_nodes=20)
    tree.listen(events.append)
    tree.start()
    assert len(tree) <= 20 and tree.truncated
    msg = next(e.detail for e in events if e.kind == "truncated")
    assert "max_nodes=20" in msg and "/cap" in msg
    tree.close()


def test_rate_limit_slows_the_load(sim3):
    zk = sim3.client()
    for i in range(300):
        zk.create_async(f"/slow/n{i}", makepath=False) if i else zk.create("/slow/n0", makepath=True)
    zk.sync("/")
    t0 = time.monotonic()
    tree = LiveTree(zk, "/slow", max_rate=500).start()
    took = time.monotonic() - t0
    assert len(tree) == 301
    assert took >= 0.4, f"301 nodes at 500/s took only {took:.2f} s"
    tree.close()


def test_bad_arguments(sim3):
    zk = sim3.client()
    with pytest.raises(ValueError, match="must start with '/'"):
        LiveTree(zk, "relative")
    with pytest.raises(NoNodeError):
        LiveTree(zk, "/does/not/exist").start()
    with pytest.raises(ValueError, match="max_nodes"):
        LiveTree(zk, "/", max_nodes=0)


def test_never_writes(ensemble):
    zk = ensemble.client()
    zk.create("/ro/a/b", makepath=True)
    from zkexplore import RemoteEnsemble

    with RemoteEnsemble(ensemble.hosts) as prod:
        ro = prod.client()
        tree = LiveTree(ro, "/ro").start()  # a read-only client would raise on any write
        zk.create("/ro/c")
        wait_equal(tree, zk, "/ro")
        tree.close()

