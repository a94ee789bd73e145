"""Multi (kazoo transactions): all or nothing."""

from ..differential import Trial, scenario


@scenario(tags=("multi",))
def multi_success(t: Trial) -> None:
    """A transaction of create, set, check and delete commits as one zxid."""
    zk = t.client()
    zk.create(t.path("old"), b"o")
    zk.create(t.path("gone"))
    tx = zk.transaction()
    tx.create(t.path("new"), b"n")
    tx.set_data(t.path("old"), b"changed")
    tx.check(t.path("old"), 1)
    tx.delete(t.path("gone"))
    t.do("commit", tx.commit)
    t.do("new", zk.get, t.path("new"))
    t.do("old", zk.get, t.path("old"))
    t.do("children", zk.get_children, t.path())


@scenario(tags=("multi",))
def multi_failure_rolls_back(t: Trial) -> None:
    """One failing op: nothing happens, the others report RolledBack."""
    zk = t.client()
    zk.create(t.path("exists"))
    tx = zk.transaction()
    tx.create(t.path("b"), b"")
    tx.create(t.path("exists"), b"")
    tx.set_data(t.path("exists"), b"never")
    t.do("commit", tx.commit)
    t.do("b-absent", zk.exists, t.path("b"))
    t.do("exists-unchanged", zk.get, t.path("exists"))
    t.do("next-create", zk.create, t.path("after"), include_data=True)


@scenario(tags=("multi",))
def multi_check_version_fails(t: Trial) -> None:
    """A failed version check aborts the whole transaction."""
    zk = t.client()
    zk.create(t.path("c"), b"")
    tx = zk.transaction()
    tx.set_data(t.path("c"), b"first")
    tx.check(t.path("c"), 5)
    t.do("commit", tx.commit)
    t.do("c", zk.get, t.path("c"))


@scenario(tags=("multi", "sequential"))
def multi_sequential_and_ephemeral(t: Trial) -> None:
    """Sequential and ephemeral creates inside a transaction."""
    zk = t.client()
    zk.create(t.path("q"))
    tx = zk.transaction()
    tx.create(t.path("q", "item-"), b"1", sequence=True)
    tx.create(t.path("q", "item-"), b"2", sequence=True)
    tx.create(t.path("eph"), b"", ephemeral=True)
    t.do("commit", tx.commit)
    t.do("children", zk.get_children, t.path("q"))
    t.do("eph", zk.exists, t.path("eph"))


@scenario(tags=("multi", "watches"))
def multi_fires_watches(t: Trial) -> None:
    """Watches fire for every op of a committed transaction, and none for a failed one."""
    a = t.client("a")
    b = t.client("b")
    a.create(t.path("x"), b"")
    a.get(t.path("x"), watch=t.watcher("x"))
    a.get_children(t.path(), watch=t.watcher("children"))
    tx = b.transaction()
    tx.create(t.path("y"))
    tx.create(t.path("y"))  # fails: nothing happens, no event
    t.do("failed-commit", tx.commit)
    tx = b.transaction()
    tx.set_data(t.path("x"), b"1")
    tx.create(t.path("z"))
    t.do("commit", tx.commit)
    t.events("x", 1)
    t.events("children", 1)


@scenario(tags=("multi",))
def multi_empty(t: Trial) -> None:
    """An empty transaction commits and returns no results."""
    zk = t.client()
    t.do("commit-empty", zk.transaction().commit)
    t.do("create-after", zk.create, t.path("after"), include_data=True)
