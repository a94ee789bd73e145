"""The basic commands: create, get, exists, set, delete, children, versions, stats."""

from ..differential import Trial, scenario


@scenario(tags=("basic",))
def create_get_exists(t: Trial) -> None:
    """create returns the path; get returns data and stat; exists returns the stat."""
    zk = t.client()
    t.do("create", zk.create, t.path("a"), b"hello")
    t.do("get", zk.get, t.path("a"))
    t.do("exists", zk.exists, t.path("a"))
    t.do("exists-missing", zk.exists, t.path("missing"))
    t.do("get-missing", zk.get, t.path("missing"))


@scenario(tags=("basic",))
def create_conflicts(t: Trial) -> None:
    """NodeExists for a second create; NoNode for a missing parent."""
    zk = t.client()
    t.do("create", zk.create, t.path("a"), b"1")
    t.do("create-again", zk.create, t.path("a"), b"2")
    t.do("create-no-parent", zk.create, t.path("x", "y"), b"")
    t.do("get-unchanged", zk.get, t.path("a"))


@scenario(tags=("basic",))
def create_makepath_and_include_data(t: Trial) -> None:
    """makepath creates the missing parents; include_data (create2) returns the stat."""
    zk = t.client()
    t.do("create-deep", zk.create, t.path("p", "q", "r"), b"deep", makepath=True)
    t.do("stat-p", zk.exists, t.path("p"))
    t.do("stat-q", zk.exists, t.path("p", "q"))
    t.do("create2", zk.create, t.path("p", "s"), b"with stat", include_data=True)
    t.do("stat-p-after", zk.exists, t.path("p"))


@scenario(tags=("basic", "versions"))
def set_with_versions(t: Trial) -> None:
    """set with the right version succeeds, a stale one is BadVersion, -1 always wins."""
    zk = t.client()
    zk.create(t.path("v"), b"0")
    t.do("set-v0", zk.set, t.path("v"), b"1", version=0)
    t.do("set-stale-v0", zk.set, t.path("v"), b"x", version=0)
    t.do("set-any", zk.set, t.path("v"), b"2", version=-1)
    t.do("set-future", zk.set, t.path("v"), b"x", version=7)
    t.do("get", zk.get, t.path("v"))
    t.do("set-missing", zk.set, t.path("nope"), b"x")


@scenario(tags=("basic", "versions"))
def delete_with_versions(t: Trial) -> None:
    """delete checks the version; a missing node is NoNode; a parent NotEmpty."""
    zk = t.client()
    zk.create(t.path("d"), b"")
    zk.set(t.path("d"), b"changed")
    t.do("delete-stale", zk.delete, t.path("d"), version=0)
    t.do("delete-right", zk.delete, t.path("d"), version=1)
    t.do("delete-again", zk.delete, t.path("d"))
    zk.create(t.path("parent", "child"), makepath=True)
    t.do("delete-not-empty", zk.delete, t.path("parent"))
    t.do("delete-child", zk.delete, t.path("parent", "child"))
    t.do("delete-parent", zk.delete, t.path("parent"))
    t.do("stat-root", zk.exists, t.path())


@scenario(tags=("basic",))
def children_and_parent_stat(t: Trial) -> None:
    """Children change the parent's cversion, numChildren and pzxid, not its version."""
    zk = t.client()
    for name in ("c", "a", "b"):
        zk.create(t.path(name), name.encode())
    t.do("children", zk.get_children, t.path())
    t.do("children-with-stat", zk.get_children, t.path(), include_data=True)
    zk.delete(t.path("b"))
    t.do("parent-after-delete", zk.exists, t.path())
    zk.set(t.path("a"), b"new")
    t.do("parent-after-child-set", zk.exists, t.path())
    t.do("children-of-leaf", zk.get_children, t.path("a"))
    t.do("children-of-missing", zk.get_children, t.path("zz"))


@scenario(tags=("basic",))
def data_shapes(t: Trial) -> None:
    """Empty data, binary data and a 100 KB value keep their bytes and lengths."""
    zk = t.client()
    t.do("create-empty", zk.create, t.path("empty"))
    t.do("get-empty", zk.get, t.path("empty"))
    t.do("create-binary", zk.create, t.path("bin"), bytes(range(256)))
    t.do("get-binary", zk.get, t.path("bin"))
    big = bytes(i % 251 for i in range(100_000))
    zk.create(t.path("big"), big)
    data, stat = zk.get(t.path("big"))
    t.record("big-equal", data == big)
    t.record("big-stat", stat)
    t.do("create-unicode", zk.create, t.path("ünï-cødé ☃"), "ß".encode())
    t.do("children", zk.get_children, t.path())


@scenario(tags=("basic",))
def sync_then_read(t: Trial) -> None:
    """sync returns the path; a read after it sees the other client's write."""
    writer = t.client("writer")
    reader = t.client("reader", server=t.ensemble.servers[-1])
    writer.create(t.path("s"), b"fresh")
    t.do("sync", reader.sync, t.path("s"))
    t.do("read", reader.get, t.path("s"))
    t.do("sync-missing", reader.sync, t.path("missing"))
