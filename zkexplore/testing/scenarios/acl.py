"""ACLs and digest authentication."""

from kazoo.security import (
    ACL,
    CREATOR_ALL_ACL,
    OPEN_ACL_UNSAFE,
    READ_ACL_UNSAFE,
    Id,
    make_acl,
    make_digest_acl,
)

from ..differential import Trial, scenario


@scenario(tags=("acl",))
def acl_digest_protects_reads(t: Trial) -> None:
    """A node readable only by alice: others get NoAuth on get, but exists works."""
    owner = t.client("owner", auth_data=[("digest", "alice:secret")])
    other = t.client("other")
    acl = [make_digest_acl("alice", "secret", all=True)]
    t.do("create", owner.create, t.path("private"), b"s3cret", acl=acl)
    t.do("owner-get", owner.get, t.path("private"))
    t.do("other-get", other.get, t.path("private"))
    t.do("other-exists", other.exists, t.path("private"))
    t.do("other-children", other.get_children, t.path("private"))
    t.do("other-set", other.set, t.path("private"), b"x")
    t.do("get-acls", other.get_acls, t.path("private"))


@scenario(tags=("acl",))
def acl_add_auth_grants(t: Trial) -> None:
    """After add_auth with the right digest credentials a client may read."""
    owner = t.client("owner", auth_data=[("digest", "bob:pw")])
    other = t.client("other")
    owner.create(t.path("p"), b"data", acl=[make_digest_acl("bob", "pw", read=True, write=True)])
    t.do("before-auth", other.get, t.path("p"))
    t.do("wrong-auth", other.add_auth, "digest", "bob:wrong")
    t.do("still-denied", other.get, t.path("p"))
    t.do("right-auth", other.add_auth, "digest", "bob:pw")
    t.do("after-auth", other.get, t.path("p"))
    t.do("delete-needs-parent-perm", other.delete, t.path("p"))


@scenario(tags=("acl",))
def acl_read_only_world(t: Trial) -> None:
    """World-readable but not writable: set and create-child fail with NoAuth."""
    zk = t.client()
    zk.create(t.path("ro"), b"fixed", acl=READ_ACL_UNSAFE)
    t.do("get", zk.get, t.path("ro"))
    t.do("set", zk.set, t.path("ro"), b"changed")
    t.do("create-child", zk.create, t.path("ro", "c"))
    t.do("delete", zk.delete, t.path("ro"))
    t.do("acls", zk.get_acls, t.path("ro"))


@scenario(tags=("acl", "versions"))
def acl_set_acls_versions(t: Trial) -> None:
    """set_acls checks the ACL version (aversion), which it then increments."""
    zk = t.client()
    zk.create(t.path("a"), b"", acl=OPEN_ACL_UNSAFE)
    t.do("set-acls-stale", zk.set_acls, t.path("a"), READ_ACL_UNSAFE, version=3)
    t.do("set-acls", zk.set_acls, t.path("a"), READ_ACL_UNSAFE, version=0)
    t.do("get-acls", zk.get_acls, t.path("a"))
    t.do("set-acls-denied", zk.set_acls, t.path("a"), OPEN_ACL_UNSAFE)
    t.do("set-acls-missing", zk.set_acls, t.path("none"), OPEN_ACL_UNSAFE)


@scenario(tags=("acl",))
def acl_invalid(t: Trial) -> None:
    """Bad ACLs: 'auth' scheme with no credentials, an unknown scheme, an empty list."""
    zk = t.client()
    t.do("creator-all-unauthenticated", zk.create, t.path("c"), acl=CREATOR_ALL_ACL)
    t.do("unknown-scheme", zk.create, t.path("u"), acl=[make_acl("nosuch", "x", all=True)])
    t.do("empty-acl", zk.create, t.path("e"), acl=[])
    t.do("bad-ip", zk.create, t.path("i"), acl=[make_acl("ip", "not-an-ip", all=True)])
    t.do("children", zk.get_children, t.path())


@scenario(tags=("acl",))
def acl_creator_all_with_auth(t: Trial) -> None:
    """CREATOR_ALL_ACL with digest auth stores the creator's digest id."""
    zk = t.client(auth_data=[("digest", "carol:pw")])
    t.do("create", zk.create, t.path("mine"), b"", acl=CREATOR_ALL_ACL)
    t.do("acls", zk.get_acls, t.path("mine"))


@scenario(tags=("acl",))
def acl_world_no_create(t: Trial) -> None:
    """Without CREATE permission on the parent, children cannot be made."""
    zk = t.client()
    acl = [make_acl("world", "anyone", read=True, write=True, delete=True, admin=True)]
    zk.create(t.path("nocreate"), b"", acl=acl)
    t.do("create-child", zk.create, t.path("nocreate", "kid"))
    t.do("set", zk.set, t.path("nocreate"), b"ok")


@scenario(tags=("acl", "errors"))
def acl_id_validity(t: Trial) -> None:
    """Which ACL ids a server accepts: ip addresses and masks as its IP provider
    parses them, digests as user:hash, only the schemes it has providers for; a
    perms value is not checked."""
    zk = t.client()
    ids = [
        ("ip", "127.0.0.1"), ("ip", "127.0.0.1/8"), ("ip", "127.0.0.1/32"), ("ip", "127.0.0.1/33"),
        ("ip", "127.0.0.1/"), ("ip", "127.0.0.1/-1"), ("ip", "10.0.0.0/0"), ("ip", "01.02.03.04"),
        ("ip", "1.2.3"), ("ip", "1.2.3.256"), ("ip", "localhost"), ("ip", "::1"), ("ip", ""),
        ("ip", "1.2.3.4/x"), ("digest", "user"), ("digest", "user:hash"), ("digest", "a:b:c"),
        ("digest", ":hash"), ("digest", "user:"), ("world", "someone"), ("sasl", "user"),
        ("x509", "CN=x"), ("super", ""), ("key", "k"), ("auth", "ignored"),
        ("ip", "+1.2.3.4"), ("ip", "1.2.3.4/+8"), ("ip", "1.2.3.4/08"), ("ip", "-0.2.3.4"),
        ("ip", "\u0663.2.3.4"), ("ip", " 1.2.3.4"), ("ip", "1.2.3.4/8/9"), ("ip", "1.2.3.4."),
        ("ip", "4294967297.0.0.1"), ("digest", "u:p:"), ("digest", "u::"), ("world", ""),
    ]
    for i, (scheme, ident) in enumerate(ids):
        t.do(f"{scheme}:{ident}", zk.create, t.path(f"n{i:02d}"),
             acl=[make_acl(scheme, ident, read=True)])
    t.do("perms-0", zk.create, t.path("p0"), acl=[ACL(0, Id("world", "anyone"))])
    t.do("perms-0-read", zk.get, t.path("p0"))
    t.do("perms-64", zk.create, t.path("p64"), acl=[ACL(64, Id("world", "anyone"))])
    t.do("perms-64-acl", zk.get_acls, t.path("p64"))
    t.do("perms-64-read", zk.get, t.path("p64"))
    t.do("children", zk.get_children, t.path())


@scenario(tags=("acl",))
def acl_ip_scheme(t: Trial) -> None:
    """ip ACLs match the client's address (127.0.0.1 here) by prefix length; an ip
    identity added with addAuth is the connection's own address, whatever it says."""
    zk = t.client()
    zk.create(t.path("local"), b"l", acl=[make_acl("ip", "127.0.0.1", all=True)])
    zk.create(t.path("net8"), b"8", acl=[make_acl("ip", "127.0.0.0/8", read=True)])
    zk.create(t.path("other"), b"o", acl=[make_acl("ip", "10.0.0.0/8", all=True)])
    zk.create(t.path("both"), b"b", acl=[make_acl("ip", "10.1.2.3", read=True),
                                         make_acl("ip", "127.0.0.2/31", write=True)])
    for name in ("local", "net8", "other", "both"):
        t.do(f"get-{name}", zk.get, t.path(name))
        t.do(f"set-{name}", zk.set, t.path(name), b"x")
    zk.create(t.path("plus"), b"p", acl=[make_acl("ip", "+127.0.0.1/+32", read=True)])
    zk.create(t.path("zero-mask"), b"z", acl=[make_acl("ip", "10.9.9.9/0", read=True)])
    t.do("get-plus", zk.get, t.path("plus"))
    t.do("get-zero-mask", zk.get, t.path("zero-mask"))
    t.do("add-auth-ip", zk.add_auth, "ip", "10.1.2.3")
    t.do("get-other-after", zk.get, t.path("other"))
