"""What kazoo cannot send, through :class:`~zkexplore.testing.rawclient.RawClient`:
connect handshakes with chosen timeouts, sessions and passwords, unknown opcodes,
bad flags and paths, truncated bodies, oversized frames, SetWatches."""

from ...sim import jute as J
from ..differential import Trial, scenario
from ..rawclient import RawReply

ACL = J.OPEN_ACL_UNSAFE


@scenario(tags=("raw", "sessions"))
def raw_session_timeouts(t: Trial) -> None:
    """The negotiated session timeout is the requested one clamped to 2..20 ticks
    (4 s..40 s with tickTime 2000): 1 ms gives 4000, 10 s stays, 1 h gives 40000."""
    for ms in (1, 3999, 4000, 10_000, 40_001, 3_600_000, 0, -5):
        raw = t.raw(f"t{ms}", connect=False)
        t.do(f"connect {ms}", raw.connect, timeout_ms=ms)


@scenario(tags=("raw", "sessions"))
def raw_connect_flags(t: Trial) -> None:
    """A read-only-capable connect to a read-write server is answered with readOnly
    false; a connect without the readOnly byte (an old client) is answered without
    it; the protocol version and a short password of a new session do not matter."""
    t.do("read-only", t.raw("ro", connect=False).connect, read_only=True)
    t.do("no-read-only-byte", t.raw("old", connect=False).connect, read_only=None)
    t.do("protocol-7-short-passwd", t.raw("pv", connect=False).connect,
         protocol_version=7, passwd=b"abc")
    t.do("unknown-session", t.raw("unknown", connect=False).connect,
         session_id=0x0100ABCDEF, passwd=bytes(16))
    t.record("unknown-session-closed", t.raws["unknown"].wait_closed(2))
    ahead = t.raw("ahead", connect=False)
    t.do("last-zxid-ahead", ahead.connect, last_zxid_seen=5 << 32)
    t.record("ahead-closed", ahead.closed)


@scenario(tags=("raw", "sessions"))
def raw_wrong_password(t: Trial) -> None:
    """Reconnecting with a wrong password is refused with timeout 0 and no session,
    and the connection is closed.  On the session's own server the attempt also
    closes the session's live connection (ZooKeeper closes the old connections of a
    session before it checks the password); on another server it does not.  The
    session itself lives on."""
    a = t.raw("a")
    sid, pw = a.session_id, a.passwd
    bad = bytes(b ^ 0xFF for b in pw)
    thief = t.raw("thief", connect=False)
    t.do("wrong-password-same-server", thief.connect, session_id=sid, passwd=bad)
    t.record("thief-closed", thief.wait_closed(2))
    t.do("owner-after", a.ping)
    t.do("owner-reconnects", a.connect, session_id=sid, passwd=pw)
    t.do("owner-ping", a.ping)
    other = t.raw("other", server=t.ensemble.servers[1], connect=False)
    t.do("wrong-password-other-server", other.connect, session_id=sid, passwd=bad)
    t.record("other-closed", other.wait_closed(2))
    t.do("owner-still-connected", a.ping)


@scenario(tags=("raw", "sessions"))
def raw_reconnect_closed_session(t: Trial) -> None:
    """After closeSession, reconnecting to that session is refused (timeout 0, the
    session counts as expired); the close removed its ephemerals at once."""
    a = t.raw("a")
    zk = t.client()
    t.do("create-ephemeral", a.call, J.CreateRequest(t.path("e"), b"", ACL, 1))
    t.do("watch", zk.exists, t.path("e"), watch=t.watcher("e"))
    sid, pw = a.session_id, a.passwd
    t.do("close", a.close_session)
    t.record("closed-after-close", a.wait_closed(2))
    t.events("e", 1)
    again = t.raw("again", connect=False)
    t.do("reconnect", again.connect, session_id=sid, passwd=pw)
    t.record("again-closed", again.wait_closed(2))


@scenario(tags=("raw", "sessions"))
def raw_session_expires(t: Trial) -> None:
    """A session whose client goes silent expires after its negotiated timeout (1 ms
    asks for the 4 s minimum): its ephemeral goes, and reconnecting is refused."""
    a = t.raw("a", timeout_ms=1)
    t.record("timeout", a.timeout_ms)
    t.do("create-ephemeral", a.call, J.CreateRequest(t.path("e"), b"", ACL, 1))
    sid, pw = a.session_id, a.passwd
    zk = t.client()
    t.do("watch", zk.exists, t.path("e"), watch=t.watcher("e"))
    a.close_socket()
    t.events("e", 1, timeout=20)
    again = t.raw("again", connect=False)
    t.do("reconnect", again.connect, session_id=sid, passwd=pw)


@scenario(tags=("raw", "errors"))
def raw_reconfig_and_unknown_opcode(t: Trial) -> None:
    """reconfig is ReconfigDisabled (and uses a zxid, as failed writes do); an opcode
    ZooKeeper does not know is answered Unimplemented with zxid -1, and then the
    server closes the connection."""
    raw = t.raw("r")
    t.do("reconfig", raw.call, J.ReconfigRequest(None, None, None, -1))
    t.do("reconfig-members", raw.call, J.ReconfigRequest(None, None, "server.9=127.0.0.1:1:2", -1))
    t.do("unknown-opcode-99", raw.call, J.PingRequest(), op=99)
    t.record("closed-after-unknown", raw.wait_closed(2))
    other = t.raw("other")
    t.do("opcode-0-notification", other.call, J.PingRequest(), op=0)
    t.record("closed-after-0", other.wait_closed(2))


#: paths that PathUtils.validatePath refuses, or that name no node
ODD_PATHS = (
    "/t/a/", "/t/n/", "/t//b", "/t/.", "/t/..", "/t/n/..", "relative", "/t/a\x01b",
    "/t/\x00", "/t/\x7f", "/t/\ue000", "/t/\U0001F600", "/t/n/./x",
)


@scenario(tags=("raw", "errors", "paths"))
def raw_invalid_paths(t: Trial) -> None:
    """Each request checks paths its own way: create validates after finding the
    parent (a missing parent is NoNode first), setData validates first, delete only
    refuses relative paths and NULs, reads and sync do not validate at all (exists
    refuses a NUL)."""
    raw = t.raw("r")
    t.do("create-n", raw.call, J.CreateRequest(t.path("n"), b"", ACL, 0))
    for p in ODD_PATHS:
        t.do(f"create {p!r}", raw.call, J.CreateRequest(p, b"", ACL, 0))
        t.do(f"create-seq {p!r}", raw.call, J.CreateRequest(p, b"", ACL, 2))
        t.do(f"get {p!r}", raw.call, J.GetDataRequest(p, False))
        t.do(f"exists {p!r}", raw.call, J.ExistsRequest(p, False))
        t.do(f"children {p!r}", raw.call, J.GetChildrenRequest(p, False))
        t.do(f"acl {p!r}", raw.call, J.GetACLRequest(p))
        t.do(f"set {p!r}", raw.call, J.SetDataRequest(p, b"", -1))
        t.do(f"set-acl {p!r}", raw.call, J.SetACLRequest(p, ACL, -1))
        t.do(f"delete {p!r}", raw.call, J.DeleteRequest(p, -1))
        t.do(f"sync {p!r}", raw.call, J.SyncRequest(p))
    t.do("children", raw.call, J.GetChildrenRequest(t.path(), False))


@scenario(tags=("raw", "errors", "paths"))
def raw_trailing_slash(t: Trial) -> None:
    """A trailing slash: getData and delete say NoNode, create and setData say
    BadArguments, a sequential create names the node by its number alone."""
    raw = t.raw("r")
    t.do("create", raw.call, J.CreateRequest(t.path("n"), b"x", ACL, 0))
    t.do("get-slash", raw.call, J.GetDataRequest(t.path("n") + "/", False))
    t.do("exists-slash", raw.call, J.ExistsRequest(t.path("n") + "/", True))
    t.do("delete-slash", raw.call, J.DeleteRequest(t.path("n") + "/", -1))
    t.do("set-slash", raw.call, J.SetDataRequest(t.path("n") + "/", b"", -1))
    t.do("create-slash", raw.call, J.CreateRequest(t.path("n") + "/", b"", ACL, 0))
    t.do("create-seq-slash", raw.call, J.CreateRequest(t.path("n") + "/", b"", ACL, 2))
    t.do("children", raw.call, J.GetChildrenRequest(t.path("n"), False))


@scenario(tags=("raw", "errors"))
def raw_truncated_requests(t: Trial) -> None:
    """A request whose body is cut short is a MarshallingError and the connection
    stays open; a write still uses a zxid (it becomes a failed txn), a read does not.
    Bytes after a complete body are ignored."""
    raw = t.raw("r")
    t.do("create-n", raw.call, J.CreateRequest(t.path("n"), b"", ACL, 0))

    def cut(label: str, record: J.JuteRecord, keep: int) -> None:
        body = record.encode()
        xid = raw.send_request(record.OPCODE, body[:keep])  # type: ignore[attr-defined]
        t.record(label, raw.wait_reply(xid))

    cut("get-empty", J.GetDataRequest(t.path("n"), False), 0)
    cut("get-half", J.GetDataRequest(t.path("n"), False), 5)
    cut("exists-no-watch-byte", J.ExistsRequest(t.path("n"), False), len(t.path("n")) + 4)
    cut("children-empty", J.GetChildrenRequest(t.path("n"), False), 0)
    cut("create-no-flags", J.CreateRequest(t.path("c"), b"abc", ACL, 0), -2)
    cut("set-no-version", J.SetDataRequest(t.path("n"), b"abc", -1), -2)
    cut("delete-empty", J.DeleteRequest(t.path("n"), -1), 2)
    cut("set-acl-empty", J.SetACLRequest(t.path("n"), ACL, -1), 0)
    cut("check-empty", J.CheckVersionRequest(t.path("n"), 0), 0)
    cut("multi-cut", J.MultiRequest((J.CreateRequest(t.path("m"), b"", ACL, 0),)), -5)
    cut("multi-read-cut", J.MultiReadRequest((J.GetDataRequest(t.path("n"), False),)), -5)
    cut("sync-empty", J.SyncRequest(t.path("n")), 0)
    cut("ephemerals-empty", J.GetEphemeralsRequest(t.path()), 0)
    cut("add-watch-empty", J.AddWatchRequest(t.path("n"), 0), 0)
    cut("create-ttl-empty", J.CreateTTLRequest(t.path("x"), b"", ACL, 5, 1000), 0)
    xid = raw.send_request(J.OpCode.getData, J.GetDataRequest(t.path("n"), False).encode() + b"junk")
    t.record("get-with-trailing-bytes", raw.wait_reply(xid))
    t.do("still-open", raw.call, J.GetChildrenRequest(t.path(), False))


@scenario(tags=("raw", "watches", "sessions"))
def raw_set_watches_after_reconnect(t: Trial) -> None:
    """SetWatches after a reconnection re-arms a client's watches and fires at once
    those whose node changed after the zxid the client last saw: data changed,
    deleted, created, children changed; the others fire later, when their change
    comes.  SetWatches2 re-adds persistent watches without catching up."""
    zk = t.client()
    for name in ("d", "u", "c", "gone", "p"):
        zk.create(t.path(name), b"0")
    raw = t.raw("r")
    for label, req in (
        ("get-d", J.GetDataRequest(t.path("d"), True)),
        ("get-u", J.GetDataRequest(t.path("u"), True)),
        ("get-gone", J.GetDataRequest(t.path("gone"), True)),
        ("exists-new", J.ExistsRequest(t.path("new"), True)),
        ("exists-never", J.ExistsRequest(t.path("never"), True)),
        ("children-c", J.GetChildrenRequest(t.path("c"), True)),
    ):
        reply = raw.call(req)
        t.record(label, reply)
    assert isinstance(reply, RawReply)
    seen = reply.zxid
    raw.close_socket()
    zk.set(t.path("d"), b"1")
    zk.create(t.path("new"))
    zk.create(t.path("c", "k"))
    zk.delete(t.path("gone"))
    t.do("reconnect", raw.connect, session_id=raw.session_id, passwd=raw.passwd, last_zxid_seen=seen)
    sw = J.SetWatches(seen, (t.path("d"), t.path("u"), t.path("gone")),
                      (t.path("new"), t.path("never")), (t.path("c"),))
    t.do("set-watches", raw.call, sw, xid=J.XID_SET_WATCHES)
    t.record("fired-at-once", raw.wait_events(4, timeout=2))
    zk.set(t.path("u"), b"1")
    zk.create(t.path("never"))
    zk.set(t.path("d"), b"2")  # its watch fired already: nothing
    t.do("round-trip", raw.call, J.SyncRequest(t.path()))
    t.record("fired-later", raw.wait_events(2, timeout=1))
    # SetWatches2 with persistent watches, after another reconnection
    t.do("add-persistent", raw.call, J.AddWatchRequest(t.path("p"), 0))
    reply = raw.call(J.AddWatchRequest(t.path("c"), 1))
    t.record("add-recursive", reply)
    assert isinstance(reply, RawReply)
    seen = reply.zxid
    raw.close_socket()
    zk.set(t.path("p"), b"1")
    zk.create(t.path("c", "k2"))
    t.do("reconnect-2", raw.connect, session_id=raw.session_id, passwd=raw.passwd, last_zxid_seen=seen)
    sw2 = J.SetWatches2(seen, (), (), (), (t.path("p"),), (t.path("c"),))
    t.do("set-watches-2", raw.call, sw2, xid=J.XID_SET_WATCHES)
    t.record("fired-at-once-2", raw.wait_events(0))
    zk.set(t.path("p"), b"2")
    zk.set(t.path("c", "k2"), b"x")
    t.do("round-trip-2", raw.call, J.SyncRequest(t.path()))
    t.record("fired-later-2", raw.wait_events(2, timeout=1))


@scenario(tags=("raw", "limits"))
def raw_frame_limits(t: Trial) -> None:
    """jute.maxbuffer (1048575 bytes by default) bounds a request frame: a setData
    of exactly 1048575 bytes is taken; one byte more, or 2 MB, and the server closes
    the connection without an answer.  The session survives."""
    raw = t.raw("r")
    path = t.path("big")
    t.do("create", raw.call, J.CreateRequest(path, b"", ACL, 0))
    fixed = 8 + (4 + len(path.encode())) + 4 + 4  # header, path, data length, version
    n = 1_048_575 - fixed
    reply = raw.call(J.SetDataRequest(path, b"x" * n, -1), timeout=20)
    t.record("set-1048575", reply)
    t.do("set-1048576", raw.call, J.SetDataRequest(path, b"y" * (n + 1), -1), timeout=20)
    t.record("closed-1", raw.closed)
    t.do("reconnect", raw.connect, session_id=raw.session_id, passwd=raw.passwd)
    t.do("set-2MB", raw.call, J.SetDataRequest(path, b"z" * (2 << 20), -1), timeout=20)
    t.record("closed-2", raw.closed)
    t.do("reconnect-2", raw.connect, session_id=raw.session_id, passwd=raw.passwd)
    t.do("exists", raw.call, J.ExistsRequest(path, False))
    got = raw.call(J.GetDataRequest(path, False), timeout=20)
    assert isinstance(got, RawReply)
    t.record("get-length", [got.err_name, len(got.body.data) if got.body else None,
                            bool(got.body) and set(got.body.data) == {ord("x")}])


@scenario(tags=("raw", "sessions"))
def raw_ping_and_close(t: Trial) -> None:
    """A ping is answered with xid -2 whatever xid it had, and the last zxid; close
    is answered with its own xid and the closeSession zxid, then the connection
    closes."""
    raw = t.raw("r")
    t.do("create", raw.call, J.CreateRequest(t.path("e"), b"", ACL, 1))
    t.do("ping", raw.ping)
    raw.send(J.PingRequest(), xid=9)
    t.record("ping-xid-9", raw.read(5))
    t.do("close", raw.call, J.CloseRequest(), xid=77)
    t.record("closed", raw.wait_closed(2))
    zk = t.client()
    t.do("ephemeral-gone", zk.exists, t.path("e"))
    t.do("next-create", zk.create, t.path("after"), include_data=True)


@scenario(tags=("raw", "acl"))
def raw_auth_and_sasl(t: Trial) -> None:
    """auth replies carry zxid 0 and echo the xid; an unknown scheme is AuthFailed and
    the connection closes; a SASL request to a server without SASL is answered OK
    with no token and the connection stays."""
    raw = t.raw("r")
    t.do("auth-digest", raw.call, J.AuthPacket(0, "digest", b"u:p"), xid=J.XID_AUTH)
    t.do("auth-digest-xid-5", raw.call, J.AuthPacket(0, "digest", b"v:p"), xid=5)
    t.do("auth-ip", raw.call, J.AuthPacket(0, "ip", b"10.1.2.3"), xid=J.XID_AUTH)
    t.do("who-am-i", raw.call, J.WhoAmIRequest())
    t.do("sasl", raw.call, J.SaslRequest(b"token"))
    t.do("still-open", raw.call, J.ExistsRequest(t.path(), False))
    t.do("auth-unknown-scheme", raw.call, J.AuthPacket(0, "nosuch", b"x"), xid=J.XID_AUTH)
    t.record("closed", raw.wait_closed(2))


@scenario(tags=("raw", "sessions"))
def raw_session_moved(t: Trial) -> None:
    """A session reattached on another server has moved: it works there, and a write
    on the old connection is refused and that connection closed without a reply.
    (Whether the old connection still answers reads in between is a race on a real
    ensemble, so it is not recorded.)"""
    old = t.raw("old")
    t.do("create", old.call, J.CreateRequest(t.path("n"), b"v", ACL, 0))
    new = t.raw("new", server=t.ensemble.servers[1], connect=False)
    t.do("move", new.connect, session_id=old.session_id, passwd=old.passwd)
    t.do("new-write", new.call, J.SetDataRequest(t.path("n"), b"kept", -1))
    t.do("new-read", new.call, J.GetDataRequest(t.path("n"), False))
    t.do("old-write", old.call, J.SetDataRequest(t.path("n"), b"lost", -1))
    t.record("old-closed", old.wait_closed(2))
    after = new.call(J.GetDataRequest(t.path("n"), False))
    t.record("after", after if isinstance(after, str) else after.body.data)  # no zxid: the race


@scenario(tags=("raw", "errors"))
def raw_first_frame_garbage(t: Trial) -> None:
    """What the server does with a stream it cannot read: a request before the
    connect, a negative frame length, a frame too short for a request header: it
    closes the connection without a word."""
    a = t.raw("a", connect=False)
    a._open()
    a.send(J.GetDataRequest(t.path(), False))
    t.record("request-first", a.read(5))
    b = t.raw("b", connect=False)
    b._open()
    b.send_bytes(b"\xff\xff\xff\xff", framed=False)
    t.record("negative-length", b.read(5))
    c = t.raw("c")
    c.send_bytes(b"ab")
    t.record("short-header", c.read(5))


@scenario(tags=("raw", "watches", "paths"))
def raw_set_watches_odd_paths(t: Trial) -> None:
    """SetWatches takes any path: "" is the root (it exists, so an exists watch on it
    fires NodeCreated), a path no node can have fires NodeDeleted at once and is
    echoed back as Java encodes it, a relative zxid of 0 makes every existing node
    look changed."""
    zk = t.client()
    zk.create(t.path("n"), b"0")
    raw = t.raw("r")
    sw = J.SetWatches(
        0,
        ("", t.path("n"), t.path("\U0001F600"), "relative"),
        ("", t.path("missing"), t.path("n")),
        ("", t.path("n")),
    )
    t.do("set-watches", raw.call, sw, xid=J.XID_SET_WATCHES)
    t.record("fired-at-once", raw.wait_events(7, timeout=2))
    zk.create(t.path("missing"))
    zk.create(t.path("n", "k"))
    t.do("round-trip", raw.call, J.SyncRequest(t.path()))
    t.record("fired-later", raw.wait_events(1, timeout=1))


def _ops(*ops: tuple[int, J.JuteRecord]) -> bytes:
    """A multi body of any (type, record) ops, allowed or not."""
    import struct

    out = b"".join(struct.pack("!i?i", t, False, -1) + r.encode() for t, r in ops)
    return out + struct.pack("!i?i", -1, True, -1)


@scenario(tags=("raw", "multi", "errors"))
def raw_odd_requests(t: Trial) -> None:
    """Requests kazoo would not build: a multi holding a read is a MarshallingError
    that uses a zxid, a multiRead holding a write one that does not; a multi may
    check a node its own delete removed (NoNode); SetWatches is answered with its
    own xid."""
    raw = t.raw("r")
    t.do("create-n", raw.call, J.CreateRequest(t.path("n"), b"x", ACL, 0))
    xid = raw.send_request(J.OpCode.multi, _ops(
        (J.OpCode.create, J.CreateRequest(t.path("m1"), b"", ACL, 0)),
        (J.OpCode.getData, J.GetDataRequest(t.path("n"), False)),
    ))
    t.record("multi-with-read", raw.wait_reply(xid))
    xid = raw.send_request(J.OpCode.multiRead, _ops(
        (J.OpCode.getData, J.GetDataRequest(t.path("n"), False)),
        (J.OpCode.create, J.CreateRequest(t.path("m2"), b"", ACL, 0)),
    ))
    t.record("multi-read-with-write", raw.wait_reply(xid))
    t.do("children", raw.call, J.GetChildrenRequest(t.path(), False))
    t.do("delete-then-check", raw.call, J.MultiRequest((
        J.DeleteRequest(t.path("n"), -1), J.CheckVersionRequest(t.path("n"), 0),
    )))
    t.do("set-watches-xid-5", raw.call, J.SetWatches(0, (t.path("n"),), (), ()), xid=5)
    t.record("events", raw.wait_events(1, timeout=2))
    t.do("set-watches-2-xid-6", raw.call, J.SetWatches2(0, (), (), (), (t.path("n"),), ()), xid=6)
    t.do("next-create", raw.call, J.CreateRequest(t.path("after"), b"", ACL, 0))


@scenario(tags=("raw", "sessions"))
def raw_session_moved_close(t: Trial) -> None:
    """closeSession is not refused on a connection the session has moved away from:
    the session ends, and the server it moved to drops its new connection too."""
    zk = t.client()
    old = t.raw("old")
    t.do("create-ephemeral", old.call, J.CreateRequest(t.path("e"), b"", ACL, 1))
    t.do("watch", zk.exists, t.path("e"), watch=t.watcher("e"))
    new = t.raw("new", server=t.ensemble.servers[1], connect=False)
    t.do("move", new.connect, session_id=old.session_id, passwd=old.passwd)
    t.do("old-close", old.close_session)
    t.record("old-closed", old.wait_closed(2))
    t.events("e", 1)
    t.record("new-closed", new.wait_closed(5))
    again = t.raw("again", connect=False)
    t.do("reconnect", again.connect, session_id=old.session_id, passwd=old.passwd)
