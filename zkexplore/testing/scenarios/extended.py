"""Container and TTL nodes (ZooKeeper 3.5.3+; TTL needs extended types enabled).

The leader's container manager runs every second here (``znode.container.checkIntervalMs``
1000 on the real servers, ``container_check_ms`` in the simulation).  Cleanup times
are not deterministic, so the scenarios wait for the outcome (a watch event or
``t.wait``) and record only what is.
"""

import time

from kazoo.exceptions import NoNodeError

from ...client import create_container, create_ttl
from ...sim import jute as J
from ..differential import Trial, scenario

#: more than one container check: long enough for the manager to have looked twice
TWO_CHECKS = 2.2


@scenario(tags=("extended", "container", "watches"))
def container_deleted_after_last_child(t: Trial) -> None:
    """A container is deleted by the server once its last child is gone, not before:
    an exists watch on it sees DELETED, and its parent's pzxid moves."""
    zk = t.client()
    t.do("create-container", create_container, zk, t.path("box"), b"c")
    t.do("stat", zk.exists, t.path("box"))
    t.do("child-1", zk.create, t.path("box", "a"))
    t.do("child-2", zk.create, t.path("box", "b"))
    t.do("delete-child-1", zk.delete, t.path("box", "a"))
    time.sleep(TWO_CHECKS)
    t.do("still-there-with-one-child", zk.exists, t.path("box"))
    t.do("watch", zk.exists, t.path("box"), watch=t.watcher("box"))
    t.do("delete-child-2", zk.delete, t.path("box", "b"))
    t.events("box", 1, timeout=15)
    t.do("gone", zk.exists, t.path("box"))
    t.do("parent", zk.exists, t.path())
    t.do("next-write", zk.create, t.path("after"), include_data=True)


@scenario(tags=("extended", "container"))
def container_never_used_stays(t: Trial) -> None:
    """A container that never had a child is left alone (its cversion is 0), however
    many container checks pass; once used and emptied it goes."""
    zk = t.client()
    t.do("create-container", create_container, zk, t.path("idle"))
    time.sleep(TWO_CHECKS)
    t.do("still-there", zk.exists, t.path("idle"))
    t.do("children", zk.get_children, t.path())
    zk.create(t.path("idle", "x"))
    zk.delete(t.path("idle", "x"))
    t.wait(lambda: zk.exists(t.path("idle")) is None, 15, "the used container to go")
    t.do("gone", zk.exists, t.path("idle"))


@scenario(tags=("extended", "container"))
def container_nested_cascade(t: Trial) -> None:
    """Nested containers: deleting the innermost leaf empties the inner container,
    whose removal then empties the outer one: both are deleted, inner first."""
    a = t.client("a")
    b = t.client("b")
    create_container(a, t.path("outer"))
    create_container(a, t.path("outer", "inner"))
    a.create(t.path("outer", "inner", "leaf"))
    t.do("watch-outer", b.exists, t.path("outer"), watch=t.watcher("outer"))
    t.do("watch-inner", b.exists, t.path("outer", "inner"), watch=t.watcher("inner"))
    t.do("delete-leaf", a.delete, t.path("outer", "inner", "leaf"))
    t.events("inner", 1, timeout=15)
    t.events("outer", 1, timeout=15)
    t.do("children", b.get_children, t.path())
    t.do("parent", b.exists, t.path())


@scenario(tags=("extended", "container", "errors"))
def container_create_errors(t: Trial) -> None:
    """createContainer checks like create: an existing path, a missing parent, an
    ephemeral parent; a container may hold ephemerals and sequential children."""
    zk = t.client()
    create_container(zk, t.path("c"))
    t.do("again", create_container, zk, t.path("c"))
    t.do("no-parent", create_container, zk, t.path("none", "c"))
    zk.create(t.path("eph"), ephemeral=True)
    t.do("under-ephemeral", create_container, zk, t.path("eph", "c"))
    t.do("ephemeral-child", zk.create, t.path("c", "e"), ephemeral=True)
    t.do("sequential-child", zk.create, t.path("c", "s-"), sequence=True)
    t.do("children", zk.get_children, t.path("c"), include_data=True)


@scenario(tags=("extended", "container", "sessions"))
def container_emptied_by_session_close(t: Trial) -> None:
    """A container whose only children are one session's ephemerals goes after that
    session closes."""
    owner = t.client("owner")
    watcher = t.client("watcher")
    create_container(owner, t.path("room"))
    owner.create(t.path("room", "m1"), ephemeral=True)
    owner.create(t.path("room", "m2"), ephemeral=True)
    t.do("watch", watcher.exists, t.path("room"), watch=t.watcher("room"))
    owner.stop()
    t.events("room", 1, timeout=15)
    t.do("gone", watcher.exists, t.path("room"))


@scenario(tags=("extended", "ttl", "watches"))
def ttl_node_expires(t: Trial) -> None:
    """A TTL node with no children is deleted once its TTL has passed since its last
    change; clients see ephemeralOwner 0 on it."""
    zk = t.client()
    t.do("create-ttl", create_ttl, zk, t.path("short"), b"v", ttl=2000)
    t.do("stat", zk.exists, t.path("short"), watch=t.watcher("short"))
    t.do("create-long", create_ttl, zk, t.path("long"), b"", ttl=3_600_000)
    t.events("short", 1, timeout=15)
    t.do("short-gone", zk.exists, t.path("short"))
    t.do("long-kept", zk.exists, t.path("long"))


@scenario(tags=("extended", "ttl"))
def ttl_not_while_children(t: Trial) -> None:
    """A TTL node is kept while it has children, however old; it goes once the last
    child is deleted (deleting a child does not change its mtime)."""
    zk = t.client()
    create_ttl(zk, t.path("ttl"), b"", ttl=300)
    zk.create(t.path("ttl", "kid"))
    time.sleep(TWO_CHECKS)
    t.do("kept-with-child", zk.exists, t.path("ttl"))
    t.do("watch", zk.exists, t.path("ttl"), watch=t.watcher("ttl"))
    t.do("delete-child", zk.delete, t.path("ttl", "kid"))
    t.events("ttl", 1, timeout=15)
    t.do("gone", zk.exists, t.path("ttl"))


@scenario(tags=("extended", "ttl", "errors"))
def ttl_errors(t: Trial) -> None:
    """createTTL's bounds: a TTL must be 1..2^40-1 ms; a sequential TTL node gets a
    suffix; a TTL node cannot be ephemeral's child; an existing path is NodeExists."""
    zk = t.client()
    t.do("ttl-0", create_ttl, zk, t.path("z"), ttl=0)
    t.do("ttl-negative", create_ttl, zk, t.path("n"), ttl=-1)
    t.do("ttl-2^40", create_ttl, zk, t.path("big"), ttl=1 << 40)
    t.do("ttl-2^40-1", create_ttl, zk, t.path("max"), ttl=(1 << 40) - 1)
    t.do("ttl-sequential", create_ttl, zk, t.path("seq-"), ttl=60_000, sequence=True)
    t.do("ttl-exists", create_ttl, zk, t.path("max"), ttl=60_000)
    zk.create(t.path("eph"), ephemeral=True)
    t.do("ttl-under-ephemeral", create_ttl, zk, t.path("eph", "x"), ttl=60_000)
    t.do("children", zk.get_children, t.path())
    t.do("stat-max", zk.exists, t.path("max"))


@scenario(tags=("extended", "ttl", "container", "raw", "errors"))
def extended_modes_raw(t: Trial) -> None:
    """What each create opcode does with each mode flag: createTTL wants a TTL mode
    and a valid TTL; createContainer makes a container whatever its (valid) flag;
    create with the CONTAINER flag makes a plain node; unknown flags are BadArguments."""
    raw = t.raw("r")
    acl = J.OPEN_ACL_UNSAFE
    for flag in (0, 1, 4):
        t.do(f"createTTL-flag-{flag}", raw.call, J.CreateTTLRequest(t.path(f"x{flag}"), b"", acl, flag, 1000))
    t.do("createTTL-ttl-0", raw.call, J.CreateTTLRequest(t.path("x5a"), b"", acl, 5, 0))
    t.do("createTTL-seq-ttl-0", raw.call, J.CreateTTLRequest(t.path("x6"), b"", acl, 6, 0))
    t.do("createTTL-ok", raw.call, J.CreateTTLRequest(t.path("x5"), b"", acl, 5, 600_000))
    for flag in (0, 1, 2, 5):
        t.do(f"createContainer-flag-{flag}", raw.call,
             J.CreateContainerRequest(t.path(f"c{flag}-"), b"", acl, flag))
    for flag in (4, 5, 7, -1):
        t.do(f"create-flag-{flag}", raw.call, J.CreateRequest(t.path(f"f{flag}"), b"", acl, flag))
    t.do("create2-flag-4", raw.call, J.Create2Request(t.path("g4"), b"", acl, 4))
    t.do("children", raw.call, J.GetChildrenRequest(t.path(), False))
    # which of them are containers: give each a child, take it away, and wait
    zk = t.client()
    for name in ("c0-", "c1-", "f4", "g4"):
        zk.create(t.path(name, "k"))
        zk.delete(t.path(name, "k"))
    t.wait(lambda: zk.exists(t.path("c0-")) is None and zk.exists(t.path("c1-")) is None,
           15, "the containers to go")
    time.sleep(TWO_CHECKS)
    t.do("children-after-cleanup", zk.get_children, t.path())


@scenario(tags=("extended", "container", "raw", "errors"))
def delete_container_from_client(t: Trial) -> None:
    """deleteContainer is the server's own op: from a client it is BadArguments for
    any path (ZooKeeper reads the whole request buffer as the path), and it still
    uses a zxid, like every failed write."""
    raw = t.raw("r")
    zk = t.client()
    create_container(zk, t.path("box"))
    zk.create(t.path("plain"))
    t.do("plain", raw.call, J.DeleteContainerRequest(t.path("plain")))
    t.do("container", raw.call, J.DeleteContainerRequest(t.path("box")))
    t.do("missing", raw.call, J.DeleteContainerRequest(t.path("missing")))
    t.do("next-create", zk.create, t.path("after"), include_data=True)
    t.do("box-kept", zk.exists, t.path("box"))


@scenario(tags=("extended", "multi", "raw"))
def multi_extended_creates(t: Trial) -> None:
    """A multi may create containers and TTL nodes (each answered with a create2
    result); a bad TTL inside it rolls the whole multi back."""
    raw = t.raw("r")
    acl = J.OPEN_ACL_UNSAFE
    ok = J.MultiRequest((
        J.CreateContainerRequest(t.path("box"), b"", acl, 4),
        J.CreateTTLRequest(t.path("ttl"), b"x", acl, 5, 600_000),
        J.CreateRequest(t.path("box", "kid"), b"", acl, 0),
    ))
    t.do("multi", raw.call, ok)
    bad = J.MultiRequest((
        J.CreateRequest(t.path("p"), b"", acl, 0),
        J.CreateTTLRequest(t.path("ttl2"), b"", acl, 5, 0),
    ))
    t.do("multi-bad-ttl", raw.call, bad)
    zk = t.client()
    t.do("children", zk.get_children, t.path())
    zk.delete(t.path("box", "kid"))
    t.wait(lambda: zk.exists(t.path("box")) is None, 15, "the container to go")
    try:
        zk.get(t.path("box"))
    except NoNodeError:
        t.record("box-gone", True)
