"""The read requests of ZooKeeper 3.6+ (multiRead, getAllChildrenNumber,
getEphemerals, whoAmI), getACL's redaction, and the special ``/zookeeper`` nodes."""

import re

from kazoo.security import CREATOR_ALL_ACL, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, make_acl, make_digest_acl

from ...client import get_all_children_number, get_ephemerals, multi_read, who_am_i
from ...sim import jute as J
from ..differential import Trial, scenario
from ..rawclient import RawReply


@scenario(tags=("reads", "multi"))
def multi_read_mixed(t: Trial) -> None:
    """multiRead answers each read on its own: data, children, NoNode for a missing
    node, NoAuth for a protected one, with no rollback of the others."""
    owner = t.client("owner", auth_data=[("digest", "alice:pw")])
    zk = t.client("reader")
    owner.create(t.path("a"), b"A")
    owner.create(t.path("a", "k1"))
    owner.create(t.path("a", "k2"))
    owner.create(t.path("secret"), b"s", acl=[make_digest_acl("alice", "pw", all=True)])
    ops = [("get_data", t.path("a")), ("get_children", t.path("a")),
           ("get_data", t.path("missing")), ("get_children", t.path("missing")),
           ("get_data", t.path("secret")), ("get_children", t.path("a", "k1"))]
    t.do("reader", multi_read, zk, ops)
    t.do("owner", multi_read, owner, ops)
    t.do("empty", multi_read, zk, [])


@scenario(tags=("reads", "multi", "raw", "watches"))
def multi_read_sets_no_watch(t: Trial) -> None:
    """multiRead drops the watch flag of its getData/getChildren ops: no event comes
    when the node changes; a plain getData with a watch does get one."""
    raw = t.raw("r")
    zk = t.client()
    zk.create(t.path("n"), b"0")
    t.do("multi-read-with-watch-flags", raw.call, J.MultiReadRequest((
        J.GetDataRequest(t.path("n"), True), J.GetChildrenRequest(t.path("n"), True),
        J.GetDataRequest(t.path("missing"), True), J.GetChildrenRequest("relative", True),
    )))
    zk.set(t.path("n"), b"1")
    zk.create(t.path("n", "k"))
    t.do("round-trip", raw.call, J.SyncRequest(t.path("n")))
    t.record("events-after-multi-read", raw.wait_events(1, timeout=0.3))
    t.do("get-with-watch", raw.call, J.GetDataRequest(t.path("n"), True))
    zk.set(t.path("n"), b"2")
    t.record("events-after-get", raw.wait_events(1, timeout=5))


@scenario(tags=("reads",))
def all_children_number(t: Trial) -> None:
    """getAllChildrenNumber counts every node below a path (not the node itself):
    for "/" that includes /zookeeper's three nodes; a missing path is NoNode."""
    zk = t.client()
    zk.create(t.path("a", "b", "c"), makepath=True)
    zk.create(t.path("a", "d"))
    zk.create(t.path("e"), ephemeral=True)
    t.do("t", get_all_children_number, zk, t.path())
    t.do("a", get_all_children_number, zk, t.path("a"))
    t.do("leaf", get_all_children_number, zk, t.path("a", "b", "c"))
    t.do("root", get_all_children_number, zk, "/")
    t.do("zookeeper", get_all_children_number, zk, "/zookeeper")
    t.do("missing", get_all_children_number, zk, t.path("missing"))
    zk.delete(t.path("a", "b", "c"))
    t.do("a-after-delete", get_all_children_number, zk, t.path("a"))


@scenario(tags=("reads", "raw"))
def all_children_number_odd_paths(t: Trial) -> None:
    """getAllChildrenNumber on paths it does not validate: "" is the root under
    another name but counts the root itself too; a trailing slash or a relative
    path is NoNode; it needs READ on the node."""
    raw = t.raw("r")
    zk = t.client()
    zk.create(t.path("k"))
    zk.create(t.path("locked"), acl=[make_acl("world", "anyone", write=True, delete=True)])
    for p in ("/", "", t.path(), t.path() + "/", "relative", t.path("locked")):
        t.do(f"count {p!r}", raw.call, J.GetAllChildrenNumberRequest(p))


@scenario(tags=("reads", "ephemeral"))
def get_ephemerals_prefix(t: Trial) -> None:
    """getEphemerals lists only the caller's own ephemerals, filtered by a plain
    string prefix (so "/t/a" matches "/t/ab" too); "/" lists them all."""
    a = t.client("a")
    b = t.client("b")
    a.create(t.path("a"))
    a.create(t.path("a", "e1"), ephemeral=True)
    a.create(t.path("ab"), ephemeral=True)
    a.create(t.path("z"), ephemeral=True)
    a.create(t.path("seq-"), ephemeral=True, sequence=True)
    b.create(t.path("a", "theirs"), ephemeral=True)
    t.do("all", get_ephemerals, a, "/")
    t.do("prefix-/t/a", get_ephemerals, a, t.path("a"))
    t.do("prefix-/t/a/", get_ephemerals, a, t.path("a") + "/")
    t.do("prefix-missing", get_ephemerals, a, t.path("nothing"))
    t.do("b-all", get_ephemerals, b, "/")
    a.delete(t.path("z"))
    t.do("all-after-delete", get_ephemerals, a, t.path())


@scenario(tags=("reads", "acl"))
def who_am_i_after_auth(t: Trial) -> None:
    """whoAmI lists a connection's identities (its ip and each digest user added) in
    the order of the server's hash set of them, which is fixed by the ids alone;
    adding the same credentials twice changes nothing."""
    zk = t.client(auth_data=[("digest", "alice:pw")])
    t.do("with-alice", who_am_i, zk)
    zk.add_auth("digest", "bob:pw2")
    t.do("with-bob", who_am_i, zk)
    zk.add_auth("digest", "alice:pw")
    t.do("alice-twice", who_am_i, zk)
    for user in ("carol", "dave", "erin", "frank"):
        zk.add_auth("digest", f"{user}:pw")
    t.do("six-users", who_am_i, zk)
    plain = t.client("plain")
    t.do("anonymous", who_am_i, plain)


@scenario(tags=("acl",))
def acl_auth_scheme_expands_every_digest(t: Trial) -> None:
    """The "auth" ACL scheme stands for every digest identity of the connection
    (never its ip): the stored ACL has one entry per digest, in the server's order
    of the connection's identities; setACL expands it the same way."""
    zk = t.client(auth_data=[("digest", "alice:pw"), ("digest", "bob:pw"), ("digest", "carol:pw")])
    t.do("create", zk.create, t.path("n"), acl=CREATOR_ALL_ACL)
    t.do("acl", zk.get_acls, t.path("n"))
    zk.create(t.path("m"))
    t.do("set-acl", zk.set_acls, t.path("m"), [make_acl("auth", "", read=True, admin=True)])
    t.do("acl-m", zk.get_acls, t.path("m"))
    t.do("mixed", zk.create, t.path("o"),
         acl=[make_acl("auth", "", read=True), make_acl("world", "anyone", read=True)])
    t.do("acl-o", zk.get_acls, t.path("o"))


@scenario(tags=("acl",))
def get_acl_redaction(t: Trial) -> None:
    """getACL needs READ or ADMIN; without ADMIN the digest ids come back with their
    hash replaced by "x" (other schemes unchanged); with ADMIN they are whole."""
    admin = t.client("admin", auth_data=[("digest", "alice:pw")])
    bob = t.client("bob", auth_data=[("digest", "bob:pw")])
    anon = t.client("anon")
    acl = [make_digest_acl("alice", "pw", all=True), make_digest_acl("bob", "pw", read=True),
           make_acl("ip", "10.0.0.0/8", read=True), make_acl("world", "anyone", read=True)]
    admin.create(t.path("n"), acl=acl)
    t.do("admin", admin.get_acls, t.path("n"))
    t.do("bob-read-only", bob.get_acls, t.path("n"))
    t.do("anyone-read", anon.get_acls, t.path("n"))
    admin.create(t.path("admin-only"), acl=[make_digest_acl("alice", "pw", admin=True)])
    t.do("admin-only-by-anon", anon.get_acls, t.path("admin-only"))
    t.do("admin-only-by-admin", admin.get_acls, t.path("admin-only"))
    admin.create(t.path("write-only"), acl=[make_acl("world", "anyone", write=True)])
    t.do("write-only-by-anon", anon.get_acls, t.path("write-only"))


def _config_view(data: bytes) -> str:
    return re.sub(r":\d+", ":N", data.decode())


@scenario(tags=("acl", "special"))
def zookeeper_special_nodes(t: Trial) -> None:
    """/zookeeper and its children: what they hold, who may touch them.  They cannot
    be deleted (BadArguments, before any version check); /zookeeper/config is
    world-readable only; /zookeeper itself accepts new children."""
    zk = t.client()
    t.do("children-zookeeper", zk.get_children, "/zookeeper")
    t.do("stat-zookeeper", zk.exists, "/zookeeper")
    t.do("stat-quota", zk.exists, "/zookeeper/quota")
    t.do("children-quota", zk.get_children, "/zookeeper/quota")
    data, stat = zk.get("/zookeeper/config")
    t.record("config-data", _config_view(data))
    st = t.norm.stat(stat)
    st.pop("dataLength")
    t.record("config-stat", st)
    # (the stats of "/" and of /zookeeper/config depend on what ran before and on ports)
    t.do("config-acl", lambda: zk.get_acls("/zookeeper/config")[0])
    t.do("quota-acl", zk.get_acls, "/zookeeper/quota")
    t.do("root-acl", lambda: zk.get_acls("/")[0])
    t.do("set-config", zk.set, "/zookeeper/config", b"x")
    t.do("set-acl-config", zk.set_acls, "/zookeeper/config", OPEN_ACL_UNSAFE)
    t.do("set-acl-quota-bad-version", zk.set_acls, "/zookeeper/quota", READ_ACL_UNSAFE, version=99)
    t.do("set-acl-root-bad-version", zk.set_acls, "/", OPEN_ACL_UNSAFE, version=99)
    t.do("create-under-config", zk.create, "/zookeeper/config/x")
    for p in ("/zookeeper", "/zookeeper/config", "/zookeeper/quota"):
        t.do(f"delete {p}", zk.delete, p)
        t.do(f"delete {p} version 9", zk.delete, p, version=9)
    t.do("delete /zookeeper/missing", zk.delete, "/zookeeper/missing")
    t.do("children-root", lambda: sorted(c for c in zk.get_children("/") if c in ("zookeeper", "t")))


def _root_view(reply: RawReply | str) -> object:
    """A reply about the root, without what other scenarios change (its cversion,
    pzxid): the error, the data or children, numChildren, czxid and aversion."""
    if not isinstance(reply, RawReply):
        return reply
    body = reply.body
    out: dict[str, object] = {"err": reply.err_name}
    if body is None:
        return out
    if hasattr(body, "data"):
        out["data"] = body.data.decode()
    if hasattr(body, "children"):
        out["children"] = sorted(c for c in body.children if c in ("zookeeper", "t"))
    stat = getattr(body, "stat", None)
    if stat is not None:
        out.update(numChildren=stat.num_children, czxid=stat.czxid, aversion=stat.aversion)
    if hasattr(body, "acl"):
        out["acl"] = [(a.perms, a.id.scheme, a.id.id) for a in body.acl]
    if hasattr(body, "path"):
        out["path"] = body.path
    return out


@scenario(tags=("reads", "raw", "special"))
def root_under_other_names(t: Trial) -> None:
    """ZooKeeper keeps the root under "" as well as "/": reads of "" see the root;
    writes of "" are BadArguments; creating "/" is NodeExists, deleting it BadArguments."""
    raw = t.raw("r")
    t.record("get ''", _root_view(raw.call(J.GetDataRequest("", False))))
    t.record("exists ''", _root_view(raw.call(J.ExistsRequest("", False))))
    t.record("children ''", _root_view(raw.call(J.GetChildrenRequest("", False))))
    t.record("children2 ''", _root_view(raw.call(J.GetChildren2Request("", False))))
    t.record("acl ''", _root_view(raw.call(J.GetACLRequest(""))))
    t.do("set ''", raw.call, J.SetDataRequest("", b"x", -1))
    t.do("create ''", raw.call, J.CreateRequest("", b"", J.OPEN_ACL_UNSAFE, 0))
    t.do("delete ''", raw.call, J.DeleteRequest("", -1))
    t.do("create '/'", raw.call, J.CreateRequest("/", b"", J.OPEN_ACL_UNSAFE, 0))
    t.do("delete '/'", raw.call, J.DeleteRequest("/", -1))
    t.do("sync ''", raw.call, J.SyncRequest(""))
    t.do("ephemerals ''", raw.call, J.GetEphemeralsRequest(""))
