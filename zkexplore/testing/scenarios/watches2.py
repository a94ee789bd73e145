"""Persistent and persistent-recursive watches (``addWatch``, ZooKeeper 3.6+),
``removeWatches``, and how watches are counted (``mntr``'s ``zk_watch_count``)."""

import re

from ...client import add_watch, remove_watches
from ...sim import jute as J
from ..differential import Trial, scenario


def watch_count(t: Trial, server: int = 0) -> int:
    """``zk_watch_count`` from ``mntr`` of one server (the first by default)."""
    text = t.ensemble.servers[server].four_letter("mntr")
    m = re.search(r"^zk_watch_count\s+(\d+)", text, re.M)
    if m is None:
        raise AssertionError(f"no zk_watch_count in mntr:\n{text}")
    return int(m.group(1))


@scenario(tags=("watches", "persistent"))
def persistent_watch_events(t: Trial) -> None:
    """A persistent watch sees every data, child and existence change of its node
    and stays set: CHANGED twice, CHILD for a create and a delete, DELETED, CREATED."""
    a = t.client("a")
    b = t.client("b")
    b.create(t.path("p"), b"0")
    t.do("add-watch", add_watch, a, t.path("p"), t.watcher("p"))
    b.set(t.path("p"), b"1")
    b.set(t.path("p"), b"2")
    t.events("p", 2)
    b.create(t.path("p", "kid"))
    t.events("p", 1)
    b.set(t.path("p", "kid"), b"not for the parent's watch")
    b.delete(t.path("p", "kid"))
    t.events("p", 1)
    b.delete(t.path("p"))
    t.events("p", 1)
    b.create(t.path("p"))
    t.events("p", 1)


@scenario(tags=("watches", "persistent"))
def recursive_watch_events(t: Trial) -> None:
    """A persistent-recursive watch sees creates, changes and deletes at every level
    below it (and of the node itself) but never NodeChildrenChanged."""
    a = t.client("a")
    b = t.client("b")
    b.create(t.path("r"))
    t.do("add-watch", add_watch, a, t.path("r"), t.watcher("r"), recursive=True)
    b.create(t.path("r", "x"))
    b.create(t.path("r", "x", "y"), b"1")
    b.set(t.path("r", "x", "y"), b"2")
    b.delete(t.path("r", "x", "y"))
    b.create(t.path("sibling"))  # outside the watched subtree
    b.set(t.path("r"), b"self")
    t.events("r", 5)
    b.delete(t.path("r", "x"))
    b.delete(t.path("r"))
    t.events("r", 2)


@scenario(tags=("watches", "persistent"))
def persistent_watch_removed(t: Trial) -> None:
    """removeWatches takes a persistent watch away: no more events, and removing it
    again is NoWatcher."""
    a = t.client("a")
    b = t.client("b")
    b.create(t.path("p"))
    add_watch(a, t.path("p"), t.watcher("p"))
    b.set(t.path("p"), b"1")
    t.events("p", 1)
    t.do("remove", remove_watches, a, t.path("p"))
    b.set(t.path("p"), b"2")
    t.do("round-trip", a.sync, t.path("p"))
    t.events("p", 1, timeout=0.3)
    t.do("remove-again", remove_watches, a, t.path("p"))
    t.do("remove-never-set", remove_watches, a, t.path("other"))


@scenario(tags=("watches", "persistent"))
def oneshot_after_persistent_same_path(t: Trial) -> None:
    """One client sets a persistent watch and then a one-shot data watch on the same
    node: ZooKeeper 3.8 keeps one mode per watcher and path, the last one, so the
    first change is reported once and the second not at all."""
    a = t.client("a")
    b = t.client("b")
    b.create(t.path("n"))
    add_watch(a, t.path("n"), t.watcher("persistent"))
    t.do("get-watch", a.get, t.path("n"), watch=t.watcher("oneshot"))
    b.set(t.path("n"), b"1")
    t.events("persistent", 1)
    t.events("oneshot", 1)
    b.set(t.path("n"), b"2")
    t.do("round-trip", a.sync, t.path("n"))
    t.events("persistent", 1, timeout=0.3)
    t.events("oneshot", 1, timeout=0.3)


@scenario(tags=("watches", "persistent"))
def persistent_after_oneshot_same_path(t: Trial) -> None:
    """One client sets a one-shot data watch and then a persistent watch on the same
    node: the persistent mode wins, and every later change is reported."""
    a = t.client("a")
    b = t.client("b")
    b.create(t.path("n"))
    t.do("get-watch", a.get, t.path("n"), watch=t.watcher("oneshot"))
    add_watch(a, t.path("n"), t.watcher("persistent"))
    b.set(t.path("n"), b"1")
    t.events("persistent", 1)
    t.events("oneshot", 1)
    b.set(t.path("n"), b"2")
    t.events("persistent", 1)
    t.do("round-trip", a.sync, t.path("n"))
    t.events("oneshot", 1, timeout=0.3)


@scenario(tags=("watches", "persistent", "four-letter"))
def mntr_watch_count(t: Trial) -> None:
    """mntr's zk_watch_count on the client's server as watches come and go: one-shot
    data and child watches, a persistent and a recursive watch, firing, removal."""
    a = t.client("a")
    b = t.client("b")
    a.create(t.path("n"))
    a.create(t.path("m"))
    t.record("start", watch_count(t))
    a.get(t.path("n"), watch=t.watcher("data"))
    t.record("data-watch", watch_count(t))
    a.exists(t.path("missing"), watch=t.watcher("exists"))
    t.record("exists-watch", watch_count(t))
    a.get_children(t.path("n"), watch=t.watcher("child"))
    t.record("child-watch", watch_count(t))
    add_watch(a, t.path("m"), t.watcher("pers"))
    t.record("persistent", watch_count(t))
    add_watch(a, t.path(), t.watcher("rec"), recursive=True)
    t.record("recursive", watch_count(t))
    b.set(t.path("n"), b"x")
    t.events("data", 1)
    t.events("rec", 1)
    t.record("after-data-fired", watch_count(t))
    remove_watches(a, t.path("m"))
    t.record("after-remove", watch_count(t))
    t.record("other-server", watch_count(t, 1))
    a.stop()
    t.wait(lambda: watch_count(t) == 0, 10, "the closed connection's watches to go")
    t.record("after-close", watch_count(t))


@scenario(tags=("watches", "persistent"))
def recursive_and_child_watch_same_node(t: Trial) -> None:
    """A recursive watch and a one-shot child watch on the same node, from one client:
    creating a child reports CREATED (recursive) and CHILD (one-shot) once each."""
    a = t.client("a")
    b = t.client("b")
    b.create(t.path("r"))
    add_watch(a, t.path("r"), t.watcher("rec"), recursive=True)
    t.do("children-watch", a.get_children, t.path("r"), watch=t.watcher("child"))
    b.create(t.path("r", "k1"))
    t.events("rec", 1)
    t.events("child", 1)
    b.create(t.path("r", "k2"))
    t.events("rec", 1)
    t.do("round-trip", a.sync, t.path("r"))
    t.events("child", 1, timeout=0.3)


@scenario(tags=("watches", "raw"))
def remove_watches_by_type(t: Trial) -> None:
    """removeWatches by type: removing the data watch of a node leaves its child
    watch; checkWatches says which remain; a bad type is a marshalling error."""
    raw = t.raw("r")
    zk = t.client()
    zk.create(t.path("n"))
    t.do("get-watch", raw.call, J.GetDataRequest(t.path("n"), True))
    t.do("children-watch", raw.call, J.GetChildrenRequest(t.path("n"), True))
    for kind in (1, 2, 3):
        t.do(f"check-{kind}", raw.call, J.CheckWatchesRequest(t.path("n"), kind))
    t.do("remove-data", raw.call, J.RemoveWatchesRequest(t.path("n"), 2))
    t.do("check-data-after", raw.call, J.CheckWatchesRequest(t.path("n"), 2))
    t.do("check-child-after", raw.call, J.CheckWatchesRequest(t.path("n"), 1))
    t.do("remove-type-7", raw.call, J.RemoveWatchesRequest(t.path("n"), 7))
    t.do("check-type-0", raw.call, J.CheckWatchesRequest(t.path("n"), 0))
    t.do("remove-missing-path", raw.call, J.RemoveWatchesRequest(t.path("nope"), 3))
    zk.set(t.path("n"), b"x")
    zk.create(t.path("n", "k"))
    t.do("round-trip", raw.call, J.SyncRequest(t.path("n")))
    t.record("events", raw.wait_events(1, timeout=2))


@scenario(tags=("watches", "persistent", "raw"))
def add_watch_modes_raw(t: Trial) -> None:
    """addWatch with an unknown mode is a marshalling error; on a missing node or a
    path ZooKeeper would not validate it still succeeds, and a persistent watch on
    a missing node reports its creation."""
    raw = t.raw("r")
    zk = t.client()
    t.do("mode-2", raw.call, J.AddWatchRequest(t.path("a"), 2))
    t.do("mode-minus-1", raw.call, J.AddWatchRequest(t.path("a"), -1))
    t.do("missing-node", raw.call, J.AddWatchRequest(t.path("later"), 0))
    t.do("relative-path", raw.call, J.AddWatchRequest("relative", 1))
    t.do("check-persistent", raw.call, J.CheckWatchesRequest(t.path("later"), 3))
    zk.create(t.path("later"))
    zk.set(t.path("later"), b"1")
    t.do("round-trip", raw.call, J.SyncRequest(t.path("later")))
    t.record("events", raw.wait_events(2, timeout=2))
