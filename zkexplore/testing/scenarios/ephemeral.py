"""Ephemeral and sequential nodes."""

from ..differential import Trial, scenario


@scenario(tags=("ephemeral",))
def ephemeral_owner(t: Trial) -> None:
    """An ephemeral's stat names its session; other clients see it."""
    a = t.client("a")
    b = t.client("b")
    t.do("create-eph", a.create, t.path("e"), b"x", ephemeral=True)
    t.do("stat-from-owner", a.exists, t.path("e"))
    t.do("stat-from-other", b.exists, t.path("e"))
    t.do("persistent-owner", a.create, t.path("p"), include_data=True)


@scenario(tags=("ephemeral",))
def ephemeral_cannot_have_children(t: Trial) -> None:
    """An ephemeral node cannot have children."""
    zk = t.client()
    zk.create(t.path("e"), ephemeral=True)
    t.do("create-child", zk.create, t.path("e", "child"))
    t.do("create-seq-child", zk.create, t.path("e", "child"), sequence=True)


@scenario(tags=("ephemeral", "sessions"))
def ephemeral_vanishes_on_close(t: Trial) -> None:
    """Closing a session deletes its ephemerals and fires the watches on them."""
    owner = t.client("owner")
    other = t.client("other")
    owner.create(t.path("e1"), ephemeral=True)
    owner.create(t.path("e2"), ephemeral=True)
    owner.create(t.path("keep"))
    t.do("watch-e1", other.exists, t.path("e1"), watch=t.watcher("e1"))
    t.do("watch-children", other.get_children, t.path(), watch=t.watcher("children"))
    owner.stop()
    t.events("e1", 1)
    t.events("children", 1)
    t.do("children-after", other.get_children, t.path())
    t.do("parent-after", other.exists, t.path())


@scenario(tags=("sequential",))
def sequential_names(t: Trial) -> None:
    """Sequential nodes get a 10-digit suffix from the parent's cversion."""
    zk = t.client()
    for i in range(3):
        t.do(f"seq-{i}", zk.create, t.path("job-"), str(i).encode(), sequence=True)
    t.do("children", zk.get_children, t.path())


@scenario(tags=("sequential",))
def sequential_counter_is_cversion(t: Trial) -> None:
    """The suffix is the parent's cversion: creates and deletes of other children count."""
    zk = t.client()
    zk.create(t.path("plain"))
    zk.delete(t.path("plain"))
    zk.create(t.path("other"))
    t.do("parent", zk.exists, t.path())
    t.do("seq", zk.create, t.path("n-"), sequence=True)
    t.do("seq-in-new-parent", zk.create, t.path("fresh", "n-"), sequence=True, makepath=True)


@scenario(tags=("sequential", "ephemeral"))
def sequential_ephemeral(t: Trial) -> None:
    """Ephemeral sequential nodes, as lock recipes use them."""
    a = t.client("a")
    b = t.client("b")
    t.do("a-lock", a.create, t.path("lock-"), ephemeral=True, sequence=True)
    t.do("b-lock", b.create, t.path("lock-"), ephemeral=True, sequence=True)
    t.do("children", a.get_children, t.path())
    a.stop()
    t.do("children-after-a", b.get_children, t.path())
    t.do("b-lock-2", b.create, t.path("lock-"), ephemeral=True, sequence=True, include_data=True)


@scenario(tags=("sequential",))
def sequential_trailing_slash(t: Trial) -> None:
    """A sequential create whose name ends in '/' names the node by the number alone."""
    zk = t.client()
    zk.create(t.path("q"))
    t.do("seq-slash", zk.create, t.path("q") + "/", sequence=True)
    t.do("children", zk.get_children, t.path("q"))
