"""kazoo's recipes, unmodified, on the simulated and on the real ensemble.

Every test runs twice through the ``ensemble`` fixture (``[sim]`` then ``[real]``)
and asserts what the recipe promises: mutual exclusion, ordering, hand-over on
session expiry, membership, FIFO and priorities, exact counts, cache and watch
callbacks.  Node names follow ``../shared/ZOOKEEPER_FACTS.md``.

Nothing here sleeps to prove a point: every wait is for a condition, with a
timeout, so a broken server fails a test instead of hanging it.  Clients come
from ``ensemble.client()`` and are closed by the fixture; threads are daemons
joined with a timeout.

Reads from a client other than the writer may lag on a follower (ZooKeeper is
sequentially consistent per client), so cross-client checks either ``sync()``
first or wait for the condition.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from kazoo.exceptions import NoNodeError
from kazoo.protocol.states import EventType, KazooState
from kazoo.recipe.cache import TreeCache, TreeEvent

#: Seconds any single wait may take before the test fails.
WAIT = 20.0

UUID = "[0-9a-f]{32}"
SEQ = r"\d{10}"


# -- helpers -------------------------------------------------------------------------


def wait_until(pred: Callable[[], Any], timeout: float = WAIT, what: str = "") -> Any:
    """Poll ``pred`` until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what or pred}")
        time.sleep(0.01)


class Worker(threading.Thread):
    """Runs ``fn(*args)`` in a daemon thread; ``outcome()`` joins and returns or re-raises."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        super().__init__(daemon=True, name=f"recipe-{getattr(fn, '__name__', 'worker')}")
        self.fn, self.args = fn, args
        self.result: Any = None
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.result = self.fn(*self.args)
        except BaseException as e:  # re-raised in the test's thread by outcome()
            self.error = e

    def done(self) -> bool:
        return not self.is_alive()

    def outcome(self, timeout: float = WAIT) -> Any:
        self.join(timeout)
        assert not self.is_alive(), f"{self.name} still running after {timeout:.0f} s"
        if self.error is not None:
            raise self.error
        return self.result


class Recorder:
    """Collects callback arguments from any thread; waits for one that matches."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._cond = threading.Condition()
        self._mark = 0

    def add(self, item: Any) -> None:
        with self._cond:
            self.items.append(item)
            self._cond.notify_all()

    def mark(self) -> None:
        """Only items recorded from now on count for ``wait_for``."""
        with self._cond:
            self._mark = len(self.items)

    def wait_for(self, pred: Callable[[Any], bool], timeout: float = WAIT, advance: bool = True) -> Any:
        """The first item since the mark for which ``pred`` holds; with ``advance``
        the mark moves past it, so the next wait looks only at later items."""
        found: list[int] = []

        def match() -> bool:
            for i in range(self._mark, len(self.items)):
                if pred(self.items[i]):
                    found.append(i)
                    return True
            return False

        with self._cond:
            if not self._cond.wait_for(match, timeout):
                raise AssertionError(f"no matching item within {timeout:.0f} s; saw {self.items}")
            if advance:
                self._mark = found[0] + 1
            return self.items[found[0]]


def children(zk: Any, path: str) -> list[str]:
    """``get_children``, or ``[]`` while the node does not exist (yet)."""
    try:
        return zk.get_children(path)
    except NoNodeError:
        return []


def by_seq(names: list[str]) -> list[str]:
    """Sequential node names in creation order (the last 10 digits)."""
    return sorted(names, key=lambda n: n[-10:])


# -- Lock ----------------------------------------------------------------------------


def test_lock_mutual_exclusion_under_contention(ensemble):
    clients = [ensemble.client() for _ in range(4)]
    clients[0].create("/count", b"0")
    for zk in clients:
        zk.sync("/count")
    guard = threading.Lock()
    inside = {"now": 0, "max": 0}

    def work(zk, name):
        lock = zk.Lock("/lock", name)
        for _ in range(5):
            assert lock.acquire(timeout=WAIT)
            try:
                with guard:
                    inside["now"] += 1
                    inside["max"] = max(inside["max"], inside["now"])
                # an unprotected read-modify-write: only the lock keeps it exact
                data, _ = zk.get("/count")
                zk.set("/count", str(int(data) + 1).encode())
                with guard:
                    inside["now"] -= 1
            finally:
                lock.release()

    workers = [Worker(work, zk, f"w{i}") for i, zk in enumerate(clients)]
    for w in workers:
        w.outcome()
    zk = clients[0]
    zk.sync("/count")
    assert zk.get("/count")[0] == b"20"
    assert inside["max"] == 1, "two clients held the lock at once"
    assert zk.get_children("/lock") == []


def test_lock_contenders_node_names_and_handover(ensemble):
    zk1, zk2, zk3 = (ensemble.client() for _ in range(3))
    first = zk1.Lock("/lock", "first")
    assert first.acquire(timeout=WAIT)
    second = zk2.Lock("/lock", "second")
    waiter = Worker(second.acquire, True, WAIT)
    wait_until(lambda: len(children(zk3, "/lock")) == 2, what="the waiter's lock node")
    assert zk3.Lock("/lock").contenders() == ["first", "second"]

    # a non-blocking attempt fails and takes its node away again
    third = zk3.Lock("/lock", "third")
    assert third.acquire(blocking=False) is False
    nodes = by_seq(zk3.get_children("/lock"))
    assert len(nodes) == 2
    wait_until(lambda: second.node is not None, what="the waiter's create answered")
    assert [first.node, second.node] == nodes
    for node, owner, ident in zip(nodes, (zk1, zk2), ("first", "second")):
        assert re.fullmatch(UUID + "__lock__" + SEQ, node), node
        data, stat = zk3.get("/lock/" + node)
        assert data == ident.encode()
        assert stat.ephemeralOwner == owner.client_id[0]
    assert not waiter.done(), "the second contender got the lock while the first held it"

    first.release()
    assert waiter.outcome() is True and second.is_acquired
    assert zk2.Lock("/lock").contenders() == ["second"]
    second.release()
    assert zk2.get_children("/lock") == []


def test_lock_passes_to_waiter_when_holder_session_expires(ensemble):
    holder_zk, waiter_zk = ensemble.client(), ensemble.client()
    holder = holder_zk.Lock("/lock", "holder")
    assert holder.acquire(timeout=WAIT)
    waiter = waiter_zk.Lock("/lock", "waiter")
    w = Worker(waiter.acquire, True, WAIT)
    wait_until(lambda: len(children(waiter_zk, "/lock")) == 2, what="the waiter's lock node")
    assert not w.done()

    ensemble.expire_session(holder_zk)
    assert w.outcome() is True
    assert waiter.contenders() == ["waiter"]
    waiter.release()


# -- ReadLock / WriteLock --------------------------------------------------------------


def test_readers_share_and_a_writer_excludes_them(ensemble):
    zks = [ensemble.client() for _ in range(4)]
    r1 = zks[0].ReadLock("/rw", "r1")
    r2 = zks[1].ReadLock("/rw", "r2")
    assert r1.acquire(timeout=WAIT)
    assert r2.acquire(timeout=WAIT), "a second reader must not wait for the first"
    assert r1.is_acquired and r2.is_acquired
    assert zks[3].WriteLock("/rw", "probe").acquire(blocking=False) is False

    writer = zks[2].WriteLock("/rw", "w")
    writer_in, let_writer_go = threading.Event(), threading.Event()

    def write():
        assert writer.acquire(timeout=WAIT)
        writer_in.set()
        assert let_writer_go.wait(WAIT)
        writer.release()

    wt = Worker(write)
    wait_until(lambda: len(children(zks[3], "/rw")) == 3, what="the writer's lock node")
    names = by_seq(zks[3].get_children("/rw"))
    assert re.fullmatch(UUID + "__rlock__" + SEQ, names[0])
    assert re.fullmatch(UUID + "__rlock__" + SEQ, names[1])
    assert re.fullmatch(UUID + "__lock__" + SEQ, names[2])
    assert zks[3].WriteLock("/rw").contenders() == ["r1", "r2", "w"]
    # a reader arriving behind a waiting writer queues behind it
    assert zks[3].ReadLock("/rw", "late").acquire(blocking=False) is False
    assert not writer_in.is_set()

    r1.release()
    assert not writer_in.is_set(), "the writer got in while a reader held the lock"
    r2.release()
    assert writer_in.wait(WAIT)

    r3 = zks[0].ReadLock("/rw", "r3")
    assert r3.acquire(blocking=False) is False
    rt = Worker(r3.acquire, True, WAIT)
    wait_until(lambda: zks[0].ReadLock("/rw").contenders() == ["w", "r3"], what="r3 waiting")
    assert not rt.done(), "a reader got in while the writer held the lock"
    let_writer_go.set()
    wt.outcome()
    assert rt.outcome() is True
    r3.release()


# -- Semaphore -----------------------------------------------------------------------


def test_semaphore_leases_and_waiting(ensemble):
    zks = [ensemble.client() for _ in range(4)]
    sems = [zk.Semaphore("/sem", f"s{i}", max_leases=2) for i, zk in enumerate(zks)]
    assert sems[0].acquire(timeout=WAIT)
    assert sems[1].acquire(timeout=WAIT)
    assert zks[1].get("/sem")[0] == b"2"
    assert sorted(sems[1].lease_holders()) == ["s0", "s1"]
    for name in zks[1].get_children("/sem"):
        assert re.fullmatch(UUID, name), name
        data, stat = zks[1].get("/sem/" + name)
        assert stat.ephemeralOwner == zks[int(data.decode()[1:])].client_id[0]

    assert sems[2].acquire(blocking=False) is False
    waiter = Worker(sems[3].acquire, True, WAIT)

    def queued():  # the waiter holds the semaphore's inner lock while it waits
        names = children(zks[3], "/sem-__lock__")
        mine = zks[3].client_id[0]
        return [n for n in names if zks[3].get(f"/sem-__lock__/{n}")[1].ephemeralOwner == mine]

    [node] = wait_until(queued, what="the waiter queued")
    assert re.fullmatch(UUID + "__lock__" + SEQ, node)
    assert not waiter.done(), "a third lease was granted"

    sems[0].release()
    assert waiter.outcome() is True
    assert sorted(sems[3].lease_holders()) == ["s1", "s3"]
    with pytest.raises(ValueError, match="Inconsistent max leases"):
        zks[2].Semaphore("/sem", "bad", max_leases=3).acquire(timeout=WAIT)
    sems[1].release()
    sems[3].release()
    assert sems[3].lease_holders() == []


def test_semaphore_max_leases_under_contention(ensemble):
    zks = [ensemble.client() for _ in range(4)]
    guard = threading.Lock()
    inside = {"now": 0, "max": 0}

    def work(zk, i):
        sem = zk.Semaphore("/sem", f"s{i}", max_leases=2)
        for _ in range(3):
            assert sem.acquire(timeout=WAIT)
            try:
                with guard:
                    inside["now"] += 1
                    inside["max"] = max(inside["max"], inside["now"])
                assert len(zk.get_children("/sem")) <= 2
                time.sleep(0.005)  # hold the lease briefly so that others contend
                with guard:
                    inside["now"] -= 1
            finally:
                sem.release()

    for w in [Worker(work, zk, i) for i, zk in enumerate(zks)]:
        w.outcome()
    assert 1 <= inside["max"] <= 2
    zks[0].sync("/sem")
    assert zks[0].get_children("/sem") == []


# -- Election ------------------------------------------------------------------------


def test_election_one_leader_at_a_time_and_expiry_elects_next(ensemble):
    zks = [ensemble.client() for _ in range(4)]
    elections = [zk.Election("/election", f"c{i}") for i, zk in enumerate(zks)]
    guard = threading.Lock()
    leaders: list[tuple[str, int, str]] = []  # (who, other leaders inside, contenders()[0])
    inside = {"now": 0}
    leading = [threading.Event() for _ in zks]
    step_down = [threading.Event() for _ in zks]

    def on_state(state):  # a leader steps down when its session is lost, as it should
        if state == KazooState.LOST:
            step_down[0].set()

    zks[0].add_listener(on_state)

    def lead(i):
        with guard:
            leaders.append((f"c{i}", inside["now"], elections[i].contenders()[0]))
            inside["now"] += 1
        leading[i].set()
        step_down[i].wait(WAIT)
        with guard:
            inside["now"] -= 1

    runs = []
    for i, e in enumerate(elections):
        runs.append(Worker(e.run, lead, i))
        wait_until(lambda i=i: len(elections[i].contenders()) == i + 1, what=f"c{i} registered")
    assert leading[0].wait(WAIT)
    assert elections[3].contenders() == ["c0", "c1", "c2", "c3"]
    assert [w for w, _, _ in leaders] == ["c0"]

    # the leader's session expires: its node goes and the next candidate leads
    ensemble.expire_session(zks[0])
    assert leading[1].wait(WAIT)
    runs[0].outcome()
    # a waiting candidate withdraws
    elections[3].cancel()
    assert runs[3].outcome() is None
    wait_until(lambda: elections[1].contenders() == ["c1", "c2"], what="c3 gone")
    # a voluntary hand-over
    step_down[1].set()
    assert leading[2].wait(WAIT)
    runs[1].outcome()
    step_down[2].set()
    runs[2].outcome()

    assert [(w, first) for w, _, first in leaders] == [("c0", "c0"), ("c1", "c1"), ("c2", "c2")]
    assert leaders[2][1] == 0, "c2 led while c1 still did"
    assert not leading[3].is_set()
    zks[1].sync("/election")
    assert zks[1].get_children("/election") == []


# -- Party / ShallowParty --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Party", "ShallowParty"])
def test_party_membership_leave_and_expiry(ensemble, kind):
    zks = [ensemble.client() for _ in range(3)]
    parties = [getattr(zk, kind)("/party", name) for zk, name in zip(zks, "abc")]
    for p in parties:
        p.join()
    observer = parties[2]  # joined last, so its server has seen every join
    assert sorted(observer) == ["a", "b", "c"]
    assert len(observer) == 3
    pattern = UUID + ("__party__" if kind == "Party" else "-[abc]")
    sessions = {name: zk.client_id[0] for zk, name in zip(zks, "abc")}
    for node in zks[2].get_children("/party"):
        assert re.fullmatch(pattern, node), node
        data, stat = zks[2].get("/party/" + node)
        assert stat.ephemeralOwner == sessions[data.decode()]

    assert parties[1].leave() is True
    wait_until(lambda: sorted(observer) == ["a", "c"], what="b gone")
    ensemble.expire_session(zks[0])
    wait_until(lambda: sorted(observer) == ["c"], what="a's session expiry removed it")
    assert parties[1].leave() is False
    assert len(observer) == 1


# -- Barrier / DoubleBarrier -----------------------------------------------------------


def test_barrier_holds_waiters_until_removed(ensemble):
    zks = [ensemble.client() for _ in range(4)]
    barrier = zks[0].Barrier("/barrier")
    barrier.create()
    data, stat = zks[0].get("/barrier")
    assert data == b"" and stat.ephemeralOwner == 0
    assert barrier.wait(timeout=0.05) is False

    for zk in zks[1:]:
        zk.sync("/barrier")
    workers = [Worker(zk.Barrier("/barrier").wait, WAIT) for zk in zks[1:]]
    # each waiter has its exists watch in place once the server answered it
    wait_until(lambda: all(zk._data_watchers.get("/barrier") for zk in zks[1:]), what="watches set")
    assert not any(w.done() for w in workers)

    assert barrier.remove() is True
    assert [w.outcome() for w in workers] == [True, True, True]
    assert barrier.remove() is False
    assert zks[1].Barrier("/barrier").wait(timeout=0.05) is True


def test_double_barrier_enter_and_leave_together(ensemble):
    zks = [ensemble.client() for _ in range(3)]
    members = [zk.DoubleBarrier("/dbl", 3, identifier=f"m{i}") for i, zk in enumerate(zks)]
    entered: list[int] = []
    left: list[int] = []

    def enter(i):
        members[i].enter()
        entered.append(i)

    def leave(i):
        members[i].leave()
        left.append(i)

    ins = [Worker(enter, 0), Worker(enter, 1)]
    wait_until(lambda: len(children(zks[2], "/dbl")) == 2, what="two members in")
    for node in zks[2].get_children("/dbl"):
        assert re.fullmatch(UUID, node), node
        data, stat = zks[2].get("/dbl/" + node)
        assert data in (b"m0", b"m1") and stat.ephemeralOwner != 0
    assert entered == [], "a member entered before all three arrived"

    ins.append(Worker(enter, 2))
    for w in ins:
        w.outcome()
    assert sorted(entered) == [0, 1, 2]
    assert all(m.participating for m in members)

    outs = [Worker(leave, 0), Worker(leave, 1)]
    me = members[2].node_name
    wait_until(lambda: "ready" not in zks[2].get_children("/dbl"), what="ready removed")
    wait_until(lambda: len(zks[2].get_children("/dbl")) <= 2, what="a leaving member's node gone")
    assert me in zks[2].get_children("/dbl")
    assert left == [], "a member left before the last one did"
    outs.append(Worker(leave, 2))
    for w in outs:
        w.outcome()
    assert sorted(left) == [0, 1, 2]
    zks[0].sync("/dbl")
    assert zks[0].get_children("/dbl") == []


# -- Queue / LockingQueue --------------------------------------------------------------


def test_queue_priority_then_fifo(ensemble):
    zk = ensemble.client()
    q = zk.Queue("/queue")
    assert q.get() is None and len(q) == 0
    q.put(b"low-1", priority=200)
    q.put(b"mid-1")
    q.put(b"high", priority=5)
    q.put(b"mid-2")
    q.put(b"low-2", priority=200)
    assert len(q) == 5
    names = zk.get_children("/queue")
    assert all(re.fullmatch(r"entry-\d{3}-" + SEQ, n) for n in names), names
    assert sorted(n[6:9] for n in names) == ["005", "100", "100", "200", "200"]
    assert zk.get("/queue/" + min(names))[1].ephemeralOwner == 0
    assert [q.get() for _ in range(5)] == [b"high", b"mid-1", b"mid-2", b"low-1", b"low-2"]
    assert q.get() is None and len(q) == 0


def test_queue_concurrent_consumers_get_each_item_once(ensemble):
    producer = ensemble.client()
    items = [f"item-{i:02d}".encode() for i in range(12)]
    q = producer.Queue("/queue")
    for item in items:
        q.put(item)
    consumers = [ensemble.client() for _ in range(3)]

    def drain(zk):
        zk.sync("/queue")
        cq, got = zk.Queue("/queue"), []
        while (item := cq.get()) is not None:
            got.append(item)
        return got

    results = [w.outcome() for w in [Worker(drain, zk) for zk in consumers]]
    everything = [item for got in results for item in got]
    assert sorted(everything) == items, "an item was lost or delivered twice"
    for got in results:
        assert got == sorted(got), "a consumer saw items out of order"


def test_locking_queue_get_consume_release_and_expiry(ensemble):
    zk1, zk2, zk3 = (ensemble.client() for _ in range(3))
    q1, q2, q3 = (zk.LockingQueue("/lq") for zk in (zk1, zk2, zk3))
    q1.put(b"normal-1")
    q1.put_all([b"normal-2", b"normal-3"])
    q1.put(b"urgent", priority=1)
    assert len(q1) == 4
    entries = zk1.get_children("/lq/entries")
    assert all(re.fullmatch(r"entry-\d{3}-" + SEQ, n) for n in entries), entries

    assert q1.get(timeout=WAIT) == b"urgent"
    assert q1.holds_lock()
    assert q1.get(timeout=WAIT) == b"urgent", "an unconsumed entry is handed out again"
    [taken] = zk1.get_children("/lq/taken")
    assert taken.startswith("entry-001-")
    data, stat = zk1.get("/lq/taken/" + taken)
    assert data == q1.id and stat.ephemeralOwner == zk1.client_id[0]

    # others skip the taken entry; release puts one back
    zk2.sync("/lq/taken")
    assert q2.get(timeout=WAIT) == b"normal-1"
    assert q2.release() is True and not q2.holds_lock()
    zk3.sync("/lq/taken")
    assert q3.get(timeout=WAIT) == b"normal-1"
    assert q1.consume() is True and not q1.holds_lock()
    assert len(q1) == 3

    # the holder's session expires: its entry is free for someone else
    ensemble.expire_session(zk3)
    zk2.sync("/lq/taken")
    assert q2.get(timeout=WAIT) == b"normal-1"
    assert q2.holds_lock()
    assert q3.holds_lock() is False
    assert q3.consume() is False
    assert q2.consume() is True
    assert q2.get(timeout=WAIT) == b"normal-2" and q2.consume()
    assert q2.get(timeout=WAIT) == b"normal-3" and q2.consume()

    # an empty queue: get times out with None, and a waiting consumer wakes on put
    zk1.sync("/lq/entries")
    assert q1.get(timeout=0.05) is None
    w = Worker(q1.get, WAIT)
    q2.put(b"late")
    assert w.outcome() == b"late"
    assert q1.consume() is True
    assert len(q1) == 0
    assert zk1.get_children("/lq/taken") == []


# -- Counter -------------------------------------------------------------------------


def test_counter_concurrent_increments_are_exact(ensemble):
    zks = [ensemble.client() for _ in range(4)]

    def bump(zk):
        counter = zk.Counter("/counter")
        for _ in range(8):
            counter += 1

    for w in [Worker(bump, zk) for zk in zks]:
        w.outcome()
    zk = zks[0]
    zk.sync("/counter")
    counter = zk.Counter("/counter")
    assert counter.value == 32
    assert zk.get("/counter")[0] == b"32"
    counter -= 5
    assert (counter.pre_value, counter.post_value, counter.value) == (32, 27, 27)
    real = zk.Counter("/float", default=1.5)
    real += 2.25
    assert real.value == 3.75 and zk.get("/float")[0] == b"3.75"


# -- TreeCache -----------------------------------------------------------------------


def test_tree_cache_initial_load_and_updates(ensemble):
    writer, reader = ensemble.client(), ensemble.client()
    writer.create("/tc/a/b", b"deep", makepath=True)
    writer.set("/tc/a", b"A")
    reader.sync("/tc")
    events = Recorder()
    cache = TreeCache(reader, "/tc")
    cache.listen(events.add)
    cache.start()
    try:

        def seen(kind, path):
            return events.wait_for(
                lambda e: e.event_type == kind and e.event_data is not None and e.event_data.path == path,
                advance=False,
            )

        events.wait_for(lambda e: e.event_type == TreeEvent.INITIALIZED, advance=False)
        added = {e.event_data.path for e in events.items if e.event_type == TreeEvent.NODE_ADDED}
        assert added == {"/tc", "/tc/a", "/tc/a/b"}
        assert cache.get_data("/tc/a").data == b"A"
        assert cache.get_data("/tc/a/b").data == b"deep"
        assert cache.get_children("/tc") == frozenset({"a"})
        assert cache.get_children("/tc/a") == frozenset({"b"})
        assert cache.get_data("/tc/nothing") is None

        events.mark()
        writer.create("/tc/c", b"C")
        assert seen(TreeEvent.NODE_ADDED, "/tc/c").event_data.data == b"C"
        assert cache.get_children("/tc") == frozenset({"a", "c"})

        events.mark()
        writer.set("/tc/c", b"C2")
        updated = seen(TreeEvent.NODE_UPDATED, "/tc/c").event_data
        assert updated.data == b"C2" and updated.stat.version == 1
        assert cache.get_data("/tc/c").data == b"C2"

        events.mark()
        writer.delete("/tc/a", recursive=True)
        assert seen(TreeEvent.NODE_REMOVED, "/tc/a/b").event_data.data == b"deep"
        assert seen(TreeEvent.NODE_REMOVED, "/tc/a").event_data.data == b"A"
        wait_until(lambda: cache.get_children("/tc") == frozenset({"c"}), what="a gone from the cache")
        assert cache.get_data("/tc/a") is None

        events.mark()
        writer.create("/tc/a", b"again")
        assert seen(TreeEvent.NODE_ADDED, "/tc/a").event_data.data == b"again"
        assert cache.get_children("/tc") == frozenset({"a", "c"})
        assert cache.get_children("/tc/a") == frozenset()
    finally:
        cache.close()


# -- DataWatch / ChildrenWatch ---------------------------------------------------------


def test_data_watch_follows_changes_deletion_and_recreation(ensemble):
    watcher, writer = ensemble.client(), ensemble.client()
    calls = Recorder()

    @watcher.DataWatch("/dw")
    def changed(data, stat, event):
        calls.add((data, stat.version if stat else None, event.type if event else None))

    def expect(item):
        calls.wait_for(lambda c: c == item)

    expect((None, None, None))  # the first call: no such node
    writer.create("/dw", b"one")
    expect((b"one", 0, EventType.CREATED))
    writer.set("/dw", b"two")
    expect((b"two", 1, EventType.CHANGED))
    writer.delete("/dw")
    expect((None, None, EventType.DELETED))
    writer.create("/dw", b"three")
    expect((b"three", 0, EventType.CREATED))
    assert calls.items == [
        (None, None, None),
        (b"one", 0, EventType.CREATED),
        (b"two", 1, EventType.CHANGED),
        (None, None, EventType.DELETED),
        (b"three", 0, EventType.CREATED),
    ]

    # after the watcher's session expires, the watch is set again on the new one
    ensemble.expire_session(watcher)
    calls.mark()
    writer.set("/dw", b"four")
    calls.wait_for(lambda c: c[:2] == (b"four", 1))


def test_children_watch_follows_child_deletion_and_recreation(ensemble):
    watcher, writer, member = ensemble.client(), ensemble.client(), ensemble.client()
    writer.create("/cw")
    watcher.sync("/cw")
    calls = Recorder()

    @watcher.ChildrenWatch("/cw", send_event=True)
    def changed(children, event):
        calls.add((sorted(children), event.type if event else None))

    def expect(item):
        calls.wait_for(lambda c: c == item)

    expect(([], None))
    writer.create("/cw/a")
    expect((["a"], EventType.CHILD))
    writer.create("/cw/b")
    expect((["a", "b"], EventType.CHILD))
    writer.delete("/cw/a")
    expect((["b"], EventType.CHILD))
    writer.create("/cw/a")
    expect((["a", "b"], EventType.CHILD))
    writer.set("/cw/a", b"data")  # not a change of children: no call
    member.create("/cw/e", ephemeral=True)
    expect((["a", "b", "e"], EventType.CHILD))
    ensemble.expire_session(member)
    expect((["a", "b"], EventType.CHILD))  # the ephemeral child went with its session
    assert calls.items == [
        ([], None),
        (["a"], EventType.CHILD),
        (["a", "b"], EventType.CHILD),
        (["b"], EventType.CHILD),
        (["a", "b"], EventType.CHILD),
        (["a", "b", "e"], EventType.CHILD),
        (["a", "b"], EventType.CHILD),
    ]

    # after the watcher's own session expires, the watch is set again on the new one
    ensemble.expire_session(watcher)
    calls.mark()
    writer.create("/cw/d")
    calls.wait_for(lambda c: c[0] == ["a", "b", "d"])
