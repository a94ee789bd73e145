"""One-shot data, exists and child watches."""

from ..differential import Trial, scenario


@scenario(tags=("watches",))
def data_watch_changed(t: Trial) -> None:
    """A get watch fires CHANGED on set, from another client too."""
    a = t.client("a")
    b = t.client("b")
    a.create(t.path("w"), b"0")
    t.do("get-watch", a.get, t.path("w"), watch=t.watcher("w"))
    t.do("set", b.set, t.path("w"), b"1")
    t.events("w", 1)


@scenario(tags=("watches",))
def data_watch_deleted(t: Trial) -> None:
    """A get watch fires DELETED when the node goes."""
    zk = t.client()
    zk.create(t.path("w"))
    t.do("get-watch", zk.get, t.path("w"), watch=t.watcher("w"))
    t.do("delete", zk.delete, t.path("w"))
    t.events("w", 1)


@scenario(tags=("watches",))
def exists_watch_created(t: Trial) -> None:
    """An exists watch on a missing node fires CREATED."""
    a = t.client("a")
    b = t.client("b")
    t.do("exists-watch", a.exists, t.path("later"), watch=t.watcher("w"))
    t.do("create", b.create, t.path("later"), b"now")
    t.events("w", 1)
    t.do("exists-after", a.exists, t.path("later"))


@scenario(tags=("watches",))
def exists_watch_on_existing(t: Trial) -> None:
    """An exists watch on a present node fires CHANGED, then (re-armed) DELETED."""
    zk = t.client()
    zk.create(t.path("n"))
    t.do("exists-watch", zk.exists, t.path("n"), watch=t.watcher("w"))
    zk.set(t.path("n"), b"x")
    t.events("w", 1)
    t.do("exists-watch-again", zk.exists, t.path("n"), watch=t.watcher("w"))
    zk.delete(t.path("n"))
    t.events("w", 1)


@scenario(tags=("watches",))
def child_watch(t: Trial) -> None:
    """A child watch fires CHILD on create and delete of a child, not on its data."""
    a = t.client("a")
    b = t.client("b")
    t.do("children-watch", a.get_children, t.path(), watch=t.watcher("c"))
    b.create(t.path("k1"))
    t.events("c", 1)
    t.do("children-watch-2", a.get_children, t.path(), watch=t.watcher("c"))
    b.set(t.path("k1"), b"data change is not a child change")
    b.create(t.path("k1", "grandchild"))
    t.do("still-armed", a.exists, t.path("k1"))
    b.delete(t.path("k1"), recursive=True)
    t.events("c", 1)


@scenario(tags=("watches",))
def child_watch_on_deleted_parent(t: Trial) -> None:
    """A child watch on a node that is deleted fires DELETED for that node."""
    zk = t.client()
    zk.create(t.path("p"))
    t.do("children-watch", zk.get_children, t.path("p"), watch=t.watcher("c"))
    zk.delete(t.path("p"))
    t.events("c", 1)


@scenario(tags=("watches",))
def watches_are_one_shot(t: Trial) -> None:
    """A watch fires once; later changes are not reported until it is set again."""
    zk = t.client()
    zk.create(t.path("o"), b"0")
    zk.get(t.path("o"), watch=t.watcher("w"))
    for i in range(3):
        zk.set(t.path("o"), str(i).encode())
    t.events("w", 1)
    t.do("get-after", zk.get, t.path("o"))


@scenario(tags=("watches",))
def data_and_child_watch_same_node(t: Trial) -> None:
    """Data and child watches on one node both fire when it is deleted."""
    a = t.client("a")
    b = t.client("b")
    a.create(t.path("both"))
    a.get(t.path("both"), watch=t.watcher("data"))
    a.get_children(t.path("both"), watch=t.watcher("child"))
    b.delete(t.path("both"))
    t.events("data", 1)
    t.events("child", 1)


@scenario(tags=("watches",))
def set_same_data_still_changes(t: Trial) -> None:
    """Setting the same bytes is still a change: the version moves and watches fire."""
    zk = t.client()
    zk.create(t.path("same"), b"v")
    zk.get(t.path("same"), watch=t.watcher("w"))
    t.do("set-same", zk.set, t.path("same"), b"v")
    t.events("w", 1)


@scenario(tags=("watches",))
def watch_fires_for_many_watchers(t: Trial) -> None:
    """Three clients watching one node are all told."""
    clients = [t.client(f"w{i}") for i in range(3)]
    writer = t.client("writer")
    writer.create(t.path("hot"))
    for i, zk in enumerate(clients):
        zk.exists(t.path("hot"), watch=t.watcher(f"w{i}"))
    writer.set(t.path("hot"), b"x")
    for i in range(3):
        t.events(f"w{i}", 1)
