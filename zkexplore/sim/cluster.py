"""The simulated ensemble, sans-IO: servers, sessions, connections, replication.

:class:`Cluster` is the whole ensemble as one state machine.  A transport feeds it
the bytes each client connection sends (:meth:`Cluster.feed`), tells it the time
(:meth:`Cluster.advance`) and writes out what it has to say
(:meth:`Cluster.take_output`).  Faults are method calls (:meth:`kill`,
:meth:`partition`, :meth:`pause`, ...).  No sockets, no clock, no global random:
with the same seed, inputs and times, it gives the same zxids, session ids and
events.

The model, kept to what a client can observe of ZooKeeper 3.8:

- one history of writes.  The leader decides each write against the head tree
  (checks, zxid, results) the moment it arrives; every serving server applies the
  decided writes in zxid order after its lag (``lag``), firing its own watches then
  answering its own clients.  Reads are answered from the server's applied state,
  so a lagging follower serves stale reads until ``sync``.  Failed writes consume
  a zxid, as in ZooKeeper.
- a session's requests are answered in order; a read waits behind that session's
  pending writes.
- a server serves only while it is the leader or follows a leader reachable in
  its partition group; otherwise it is LOOKING and closes its client connections.
  An election (highest zxid, then highest id) runs ``election_delay`` seconds after
  a group without a leader gains a quorum.
- sessions are created by the server a client connects to (its id in the high
  byte), expire on the leader's clock on tick boundaries, and move between servers.

What can fail: nothing here raises on client input; bad frames close their
connection (``take_output`` reports it), bad requests get ZooKeeper's error codes.
Fault methods raise :class:`~zkexplore.errors.EnsembleError` for impossible
requests (killing a server that is down, ...).
"""

from __future__ import annotations

import hashlib
import heapq
import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import EnsembleError
from . import jute as J
from .acl import auth_order, authenticate, check_acl
from .datatree import (
    CONTAINER_OWNER,
    TTL_MAX,
    TTL_OWNER_MASK,
    Change,
    DataTree,
    View,
    ZkError,
    validate_path,
)
from .jute import Err, EventType, KeeperState, OpCode, Perms
from .watches import WatchManager

__all__ = ["Cluster", "Config", "ServerCore", "Conn", "Session", "ROLE_NAMES"]

#: What :attr:`ServerCore.role` says, with the names of the Ensemble interface.
ROLE_NAMES = ("leader", "follower", "looking", "down")

_FOUR_LETTER_WORDS = frozenset(
    ["ruok", "srvr", "stat", "mntr", "cons", "wchc", "wchp", "wchs", "dump", "envi",
     "conf", "isro", "crst", "srst", "dirs", "gtmk", "stmk"]
)  # fmt: skip

_WRITE_OPS = frozenset(
    [OpCode.create, OpCode.create2, OpCode.createContainer, OpCode.createTTL, OpCode.delete,
     OpCode.deleteContainer, OpCode.setData, OpCode.setACL, OpCode.multi, OpCode.reconfig,
     OpCode.check]
)  # fmt: skip

#: Request types a 3.8 server accepts after the handshake (``Request.isValid``, plus
#: auth and sasl, which it handles before); any other type is answered
#: UNIMPLEMENTED with zxid -1 and the connection is closed.
_VALID_OPS = _WRITE_OPS | frozenset(
    [OpCode.exists, OpCode.getData, OpCode.getACL, OpCode.getChildren, OpCode.getChildren2,
     OpCode.sync, OpCode.ping, OpCode.closeSession, OpCode.createSession, OpCode.multiRead,
     OpCode.setWatches, OpCode.setWatches2, OpCode.checkWatches, OpCode.removeWatches,
     OpCode.addWatch, OpCode.getEphemerals, OpCode.getAllChildrenNumber, OpCode.whoAmI]
)  # fmt: skip

#: A request body that could not be decoded (a write still becomes a failed txn).
_UNREADABLE = object()


@dataclass
class Config:
    """Tunables of a simulated ensemble (times in milliseconds unless named _s)."""

    tick_ms: int = 2000
    init_limit: int = 10
    sync_limit: int = 5
    #: seconds from "no leader" to a new leader serving (FLE's finalize wait and sync)
    election_delay_s: float = 0.25
    #: seconds a returning server takes to sync with the leader before it serves
    sync_delay_s: float = 0.05
    container_check_ms: int = 1000
    extended_types: bool = True
    max_frame: int = J.DEFAULT_MAX_FRAME
    super_digest: str | None = None
    version: str = "3.8.0-zkexplore-sim"
    #: servers cut off from the quorum serve read-only clients (readonlymode.enabled)
    read_only_mode: bool = False
    #: seconds a server waits without a quorum before it serves read-only clients
    #: (None: ZooKeeper's max(2 s, tickTime))
    read_only_delay_s: float | None = None
    #: localSessionsEnabled: a read-only server can then give new clients local
    #: sessions; without it (3.8's default) it refuses every session.  (Only
    #: read-only servers model local sessions here.)
    local_sessions: bool = False

    @property
    def min_session_timeout(self) -> int:
        return 2 * self.tick_ms

    @property
    def max_session_timeout(self) -> int:
        return 20 * self.tick_ms


class Session:
    __slots__ = ("id", "passwd", "timeout", "owner", "conn", "expires", "closing", "read_only")

    def __init__(self, sid: int, passwd: bytes, timeout: int, owner: int) -> None:
        self.id = sid
        self.passwd = passwd
        self.timeout = timeout
        self.owner = owner
        self.conn: Conn | None = None
        self.expires = 0.0
        self.closing = False
        self.read_only = False  # a local session of a read-only server


class Txn:
    """A decided write: its zxid, what it changed, and the reply for its client."""

    __slots__ = ("zxid", "type", "err", "undo", "triggers", "origin", "xid", "reply", "session",
                 "closes", "time")  # fmt: skip

    def __init__(self, zxid: int, type: int, time: int) -> None:
        self.zxid = zxid
        self.type = type
        self.time = time
        self.err = 0
        self.undo: list = []
        self.triggers: list = []
        self.origin: Conn | None = None
        self.xid = 0
        self.reply: J.JuteRecord | None = None
        self.session = 0
        self.closes: int | None = None  # the session a closeSession ends


class Pending:
    """One request of a connection, waiting for its turn (and for its write)."""

    __slots__ = ("xid", "op", "req", "wait", "txn", "kind")

    def __init__(self, xid: int, op: int, req: Any, kind: str) -> None:
        self.xid = xid
        self.op = op
        self.req = req
        self.kind = kind  # "read" | "write" | "sync" | "connect" | "close"
        self.wait: int | None = None  # zxid to be applied locally first
        self.txn: Txn | None = None


class Conn:
    """One client TCP connection to one server."""

    _ids = 0

    def __init__(self, cluster: Cluster, server: ServerCore, peer: tuple[str, int]) -> None:
        Conn._ids += 1
        self.id = Conn._ids
        self.cluster = cluster
        self.server = server
        self.peer = peer
        self.state = "new"  # new -> handshake -> open -> closed
        self.reader = J.FrameReader(cluster.config.max_frame)
        self.out: list[bytes] = []
        self.closing = False  # close once the output is written
        self.session: Session | None = None
        self.auth: list[J.Id] = [J.Id("ip", peer[0])]
        self.queue: deque[Pending] = deque()
        self.connect: J.ConnectRequest | None = None
        self.timeout = 0
        self.received = 0
        self.sent = 0
        self.last_op = "NA"
        self.last_zxid = 0
        self.established = cluster.now
        self.backlog: list[bytes] = []  # input that arrived while the server was paused
        self.early: list[bytes] = []  # frames that came before the handshake finished

    def __repr__(self) -> str:
        sid = f"0x{self.session.id:x}" if self.session else "-"
        return f"<Conn {self.id} server={self.server.id} session={sid} {self.state}>"

    def send(self, frame: bytes) -> None:
        if self.state != "closed":
            self.out.append(frame)
            self.sent += 1
            self.cluster._dirty.add(self)

    def close(self) -> None:
        """Close after what was queued is written."""
        if self.state == "closed":
            return
        self.cluster._close_conn(self)


class ServerCore:
    """One simulated server."""

    def __init__(self, cluster: Cluster, sid: int) -> None:
        self.cluster = cluster
        self.id = sid
        self.state = "up"  # up | down | paused
        self.role = "looking"  # leader | follower | looking | down
        self.applied = 0  # last zxid applied (visible here)
        self.logged = 0  # last zxid this server holds in its log
        self.lag = 0.0
        self.last_due = 0.0
        self.commits: deque[tuple[float, Txn]] = deque()
        self.conns: set[Conn] = set()
        self.watches = WatchManager()
        self.next_session = 0
        self.epoch_seen = 0
        self.paused_at = 0.0
        self.port = 0  # the client port, set by the transport
        self.ro = False  # serving read-only clients while cut off from the quorum
        self._view: View | None = None
        self._view_key: tuple[int, int] | None = None
        self.stats = {"received": 0, "sent": 0, "min_latency": 0, "max_latency": 0}

    @property
    def serving(self) -> bool:
        return self.state == "up" and self.role in ("leader", "follower")

    def view(self) -> DataTree | View:
        c = self.cluster
        if self.applied >= c.last_zxid:
            return c.tree
        key = (self.applied, c.last_zxid)
        if self._view_key != key:
            pending = [t.undo for t in c.log if t.zxid > self.applied]
            self._view = View(c.tree, pending)
            self._view_key = key
        assert self._view is not None
        return self._view


class Cluster:
    """A simulated ZooKeeper ensemble as one sans-IO state machine.

    Examples
    --------
    >>> c = Cluster(size=3, seed=1)
    >>> c.advance(0.0)
    >>> [s.role for s in c.servers]
    ['follower', 'follower', 'leader']
    """

    def __init__(self, size: int = 3, seed: int | None = None, config: Config | None = None) -> None:
        if size < 1:
            raise ValueError(f"size must be >= 1, not {size}")
        self.config = config or Config()
        self.rng = random.Random(seed)
        self.seed = seed
        self.now = 0.0
        self.wall_base = 1_700_000_000_000
        self.tree = DataTree(*self._config_node(size))
        self.servers = [ServerCore(self, i + 1) for i in range(size)]
        self.by_id = {s.id: s for s in self.servers}
        self.sessions: dict[int, Session] = {}
        self.log: list[Txn] = []  # decided writes not yet applied by every serving server
        self.peer_delay = 0.0  # one-way latency between servers, seconds
        self.epoch = 0
        self.counter = 0
        self.last_zxid = 0
        self.leader: ServerCore | None = None
        self.members: set[int] = set()
        self.groups: list[set[int]] | None = None  # partition; None = all connected
        self.banned: dict[int, float] = {}  # session id -> time until reconnects are refused
        self._secret = self.rng.getrandbits(64)
        self._timers: list[tuple[float, int, Callable[..., None], tuple]] = []
        self._timer_seq = 0
        self._dirty: set[Conn] = set()
        self._closed: list[Conn] = []
        self._election_at: float | None = None
        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []
        for s in self.servers:
            s.next_session = ((self.rng.getrandbits(40)) << 8) | (s.id << 56)
        # a fresh ensemble elects the highest id at once
        self._elect(initial=True)
        self._at(self.config.tick_ms / 1000.0, self._tick)
        self._at(self.config.container_check_ms / 1000.0, self._container_check)

    def _config_node(self, size: int) -> tuple[bytes, int]:
        """Data and mtime of ``/zookeeper/config``: an ensemble's dynamic config as
        3.8 writes it (our servers have no quorum ports: these are made up), set
        when the servers start; a standalone server has none."""
        if size == 1:
            return b"", 0
        lines = [f"server.{i}=127.0.0.1:{28880 + i}:{38880 + i}:participant" for i in range(1, size + 1)]
        return "\n".join([*lines, "version=0"]).encode(), self.wall_base

    # -- time ----------------------------------------------------------------------

    def _at(self, due: float, fn: Callable[..., None], *args: Any) -> None:
        self._timer_seq += 1
        heapq.heappush(self._timers, (due, self._timer_seq, fn, args))

    def next_deadline(self) -> float | None:
        """When :meth:`advance` next has something to do (seconds), or None."""
        return self._timers[0][0] if self._timers else None

    def advance(self, now: float) -> None:
        """Move the clock to ``now`` (seconds) and run everything due."""
        if now > self.now:
            self.now = now
        while self._timers and self._timers[0][0] <= self.now:
            _, _, fn, args = heapq.heappop(self._timers)
            fn(*args)
        self._settle()

    def _ms(self) -> int:
        """Wall-clock milliseconds for ctime/mtime: the simulation's clock from
        :attr:`wall_base` (set by the transport to the real time at start)."""
        return int(self.now * 1000) + self.wall_base

    def _emit(self, kind: str, **info: Any) -> None:
        for listener in list(self.listeners):
            listener(kind, info)

    # -- connections (called by the transport) ----------------------------------------

    def open(self, server_id: int, peer: tuple[str, int] = ("127.0.0.1", 0)) -> Conn:
        """A client connected to a server's port."""
        server = self.by_id[server_id]
        conn = Conn(self, server, peer)
        server.conns.add(conn)
        return conn

    def feed(self, conn: Conn, data: bytes) -> None:
        """Bytes a client sent on ``conn``."""
        if conn.state == "closed" or conn.closing:
            return
        if conn.server.state == "paused":
            conn.backlog.append(data)
            return
        self._feed(conn, data)
        self._settle()

    def _feed(self, conn: Conn, data: bytes) -> None:
        if conn.state == "new" and not conn.reader.pending and len(data) >= 4:
            word = data[:4].decode("latin-1")
            if word in _FOUR_LETTER_WORDS:
                from .fourletter import answer

                conn.send(answer(self, conn.server, word).encode("utf-8"))
                self._close_conn(conn)
                return
        try:
            frames = conn.reader.feed(data)
        except J.FrameError as e:
            for payload in e.frames:
                self._frame(conn, payload)
            self._close_conn(conn)
            return
        for payload in frames:
            if conn.state == "closed" or conn.closing:
                return
            self._frame(conn, payload)

    def disconnected(self, conn: Conn) -> None:
        """The client closed its end (or the transport lost the connection)."""
        if conn.state != "closed":
            self._close_conn(conn, quiet=True)
            self._settle()

    def take_output(self) -> list[tuple[Conn, bytes, bool]]:
        """What to write: ``(conn, bytes, close_after)`` for every connection with news."""
        out = []
        for conn in self._dirty:
            data = b"".join(conn.out)
            conn.out.clear()
            out.append((conn, data, conn.state == "closed"))
        self._dirty.clear()
        return out

    def _close_conn(self, conn: Conn, quiet: bool = False) -> None:
        if conn.state == "closed":
            return
        conn.state = "closed"
        conn.server.conns.discard(conn)
        conn.server.watches.remove_watcher(conn)
        conn.queue.clear()
        sess = conn.session
        if sess is not None and sess.conn is conn:
            sess.conn = None
        self._dirty.add(conn)

    # -- frames ----------------------------------------------------------------------

    def _frame(self, conn: Conn, payload: bytes) -> None:
        server = conn.server
        conn.received += 1
        server.stats["received"] += 1
        if conn.state == "new":
            self._connect(conn, payload)
            return
        if conn.state == "handshake":
            conn.early.append(payload)  # the Java client sends auth and watches at once
            return
        if conn.state == "refused":
            return
        if conn.state != "open":
            self._close_conn(conn)
            return
        try:
            hdr, off = J.RequestHeader.decode(payload)
        except J.JuteError:
            self._close_conn(conn)
            return
        op, xid = hdr.type, hdr.xid
        sess = conn.session
        assert sess is not None
        self._touch(sess)
        if op == OpCode.auth:
            self._auth(conn, xid, payload, off)
            return
        if op == OpCode.sasl:
            # no SASL configured: 3.8 answers OK (zxid 0, no token) and carries on
            conn.send(J.encode_reply(xid, 0, 0, J.SaslResponse(None)))
            return
        if op not in _VALID_OPS:
            # UnimplementedRequestProcessor: zxid -1, then the connection is closed
            p = Pending(xid, op, None, "unimplemented")
            p.wait = Err.UNIMPLEMENTED
            conn.queue.append(p)
            self._dirty.add(conn)
            return
        try:
            req = J.decode_request(op, payload, off)
        except J.JuteError:
            if op in _WRITE_OPS:
                # the leader gives it a zxid before reading the body: a failed txn
                self._write(conn, Pending(xid, op, _UNREADABLE, "write"))
            else:
                p = Pending(xid, op, None, "error")
                p.wait = Err.MARSHALLINGERROR
                conn.queue.append(p)
            self._dirty.add(conn)
            return
        if sess.read_only and (op in _WRITE_OPS or op == OpCode.sync):
            p = Pending(xid, op, req, "error")  # ReadOnlyRequestProcessor
            p.wait = Err.NOTREADONLY
            conn.queue.append(p)
        elif sess.read_only and op == OpCode.closeSession:
            conn.send(J.encode_reply(xid, server.applied, 0))
            self._close_conn(conn)
            return
        elif op == OpCode.closeSession:
            self._write(conn, Pending(xid, op, req, "close"))
        elif op in _WRITE_OPS:
            self._write(conn, Pending(xid, op, req, "write"))
        elif op == OpCode.sync:
            p = Pending(xid, op, req, "sync")
            p.wait = self.last_zxid
            conn.queue.append(p)
        else:
            conn.queue.append(Pending(xid, op, req, "read"))
        self._dirty.add(conn)

    # -- connect -----------------------------------------------------------------------

    def _negotiate(self, requested: int) -> int:
        c = self.config
        return max(c.min_session_timeout, min(c.max_session_timeout, requested))

    def _connect(self, conn: Conn, payload: bytes) -> None:
        server = conn.server
        try:
            req, _ = J.ConnectRequest.decode(payload)
        except J.JuteError:
            self._close_conn(conn)
            return
        if not server.serving:
            if server.ro and req.read_only:
                self._connect_read_only(conn, req)
                return
            self._close_conn(conn)  # "ZooKeeperServer not running"
            return
        if req.last_zxid_seen > server.applied:
            self._close_conn(conn)  # the client has seen more than this server
            return
        sid = req.session_id
        if sid and self.banned.get(sid, 0.0) > self.now:
            self._close_conn(conn)
            return
        conn.connect = req
        conn.timeout = self._negotiate(req.timeout)
        conn.state = "handshake"
        if sid == 0:
            sid = server.next_session
            server.next_session += 1
            passwd = self._passwd(sid)
            new = Session(sid, passwd, conn.timeout, server.id)
            p = Pending(0, OpCode.createSession, new, "connect")
            conn.queue.append(p)
            self._decide(conn, p, OpCode.createSession, lambda zxid, txn: self._create_session(new, txn))
            return
        # ZooKeeper closes the session's other connections on this server before it
        # checks anything (a wrong password still cuts the right one off)
        for other in list(server.conns):
            if other is not conn and other.session is not None and other.session.id == sid:
                self._close_conn(other)
        sess = self.sessions.get(sid)
        if sess is None or sess.closing or req.passwd != sess.passwd:
            self._connect_reply(conn, None)
            self._close_conn(conn)
            return
        sess.owner = server.id
        sess.timeout = conn.timeout
        self._touch(sess)
        self._attach(conn, sess)
        self._connect_reply(conn, sess)
        self._after_handshake(conn)

    def _connect_read_only(self, conn: Conn, req: J.ConnectRequest) -> None:
        """A read-only server and a client that accepts one.

        With local sessions it gives a new client a local session: reads from what
        this server has, every write answered NOTREADONLY.  Without them (3.8's
        default) creating the session is a write it refuses: the client gets a bare
        NOTREADONLY reply header and no session.  An existing global session cannot
        move here: refused as expired with local sessions, dropped without."""
        server = conn.server
        conn.connect = req
        conn.timeout = self._negotiate(req.timeout)
        if req.session_id:
            if self.config.local_sessions:
                conn.send(J.frame(J.ConnectResponse(0, 0, 0, bytes(16), True).encode()))
            self._close_conn(conn)
            return
        if not self.config.local_sessions:
            conn.send(J.encode_reply(0, server.applied, Err.NOTREADONLY))
            conn.state = "refused"  # no session: what it sends next is ignored
            return
        sid = server.next_session
        server.next_session += 1
        sess = Session(sid, self._passwd(sid), conn.timeout, server.id)
        sess.read_only = True
        self._attach(conn, sess)
        self._connect_reply(conn, sess)
        self._after_handshake(conn)

    def _passwd(self, sid: int) -> bytes:
        return hashlib.sha256(f"{self._secret}:{sid}".encode()).digest()[:16]

    def _attach(self, conn: Conn, sess: Session) -> None:
        conn.session = sess
        conn.state = "open"
        sess.conn = conn

    def _after_handshake(self, conn: Conn) -> None:
        early, conn.early = conn.early, []
        for payload in early:
            if conn.state != "open":
                return
            self._frame(conn, payload)

    def _connect_reply(self, conn: Conn, sess: Session | None) -> None:
        req = conn.connect
        assert req is not None
        ro = None if req.read_only is None else bool(sess is not None and sess.read_only)
        if sess is None:
            body = J.ConnectResponse(0, 0, 0, bytes(16), ro)
        else:
            body = J.ConnectResponse(0, conn.timeout, sess.id, sess.passwd, ro)
        conn.send(J.frame(body.encode()))

    def _create_session(self, sess: Session, txn: Txn) -> None:
        self.sessions[sess.id] = sess
        txn.session = sess.id
        self._touch(sess)
        self._emit("session", id=sess.id, server=sess.owner, state="created")

    # -- auth -------------------------------------------------------------------------

    def _auth(self, conn: Conn, xid: int, payload: bytes, off: int) -> None:
        try:
            pkt = J.AuthPacket.decode(payload, off)[0]
        except J.JuteError:
            conn.send(J.encode_reply(xid, 0, Err.AUTHFAILED))
            self._close_conn(conn)
            return
        ids = authenticate(pkt.scheme or "", pkt.auth or b"", conn.peer[0], self.config.super_digest)
        if ids is None:
            conn.send(J.encode_reply(xid, 0, Err.AUTHFAILED))
            self._close_conn(conn)
            return
        for i in ids:
            if i not in conn.auth:
                conn.auth.append(i)
        conn.send(J.encode_reply(xid, 0, 0))

    # -- writes -------------------------------------------------------------------------

    def _next_zxid(self) -> int:
        self.counter += 1
        self.last_zxid = (self.epoch << 32) | self.counter
        return self.last_zxid

    def _decide(
        self, conn: Conn | None, p: Pending | None, type: int, fn: Callable[[int, Txn], None]
    ) -> Txn:
        """The leader decides a write now: a zxid, the change, the reply; then every
        serving server applies it after its delay."""
        zxid = self._next_zxid()
        txn = Txn(zxid, type, self._ms())
        txn.origin = conn
        if p is not None:
            txn.xid = p.xid
            p.txn = txn
            p.wait = zxid
        fn(zxid, txn)
        self.log.append(txn)
        assert self.leader is not None
        for sid in self.members:
            s = self.by_id[sid]
            s.logged = zxid
            if s is self.leader:  # it commits once a quorum acknowledged: a round trip
                delay = 2 * self.peer_delay if len(self.members) > 1 else 0.0
            else:
                delay = s.lag + self.peer_delay
            due = max(self.now + delay, s.last_due)
            s.last_due = due
            s.commits.append((due, txn))
            if due > self.now:
                self._at(due, self._noop)
        return txn

    def _noop(self) -> None:
        pass

    def _write(self, conn: Conn, p: Pending) -> None:
        server = conn.server
        sess = conn.session
        assert sess is not None
        conn.queue.append(p)
        if not server.serving:
            return
        if sess.owner != server.id and p.kind != "close":
            # the session has moved to another server: the leader refuses the write
            # (a failed txn, SESSIONMOVED) and this server then drops the stale
            # connection without a reply
            p.kind = "moved"
            self._decide(conn, p, p.op, lambda zxid, txn: self._moved(sess, txn))
            return
        if sess.closing or sess.id not in self.sessions:
            p.kind = "error"
            p.wait = Err.SESSIONEXPIRED
            return
        auth = tuple(auth_order(conn.auth))  # the "auth" scheme expands in this order
        req = p.req
        op = p.op
        if op == OpCode.closeSession:
            sess.closing = True
            self._decide(conn, p, op, lambda zxid, txn: self._close_session(sess, zxid, txn))
            return
        self._decide(conn, p, op, lambda zxid, txn: self._execute(op, req, auth, sess, zxid, txn))

    @staticmethod
    def _moved(sess: Session, txn: Txn) -> None:
        txn.session = sess.id
        txn.err = Err.SESSIONMOVED

    def _close_session(self, sess: Session, zxid: int, txn: Txn) -> None:
        ch = self.tree.kill_session(sess.id, zxid)
        txn.undo, txn.triggers = ch.undo, ch.triggers
        txn.closes = sess.id
        txn.session = sess.id
        self.sessions.pop(sess.id, None)
        sess.closing = True

    def _execute(self, op: int, req: Any, auth: tuple, sess: Session, zxid: int, txn: Txn) -> None:
        txn.session = sess.id
        ch = Change()
        try:
            if req is _UNREADABLE:
                self._unreadable(op)
            if op == OpCode.multi:
                txn.reply = self._multi(req, auth, sess, zxid, txn.time, ch)
            else:
                txn.reply = self._one(op, req, auth, sess, zxid, txn.time, ch)
        except ZkError as e:
            self.tree.undo(ch.undo)
            ch = Change()
            txn.err = e.code
            txn.reply = None
        txn.undo, txn.triggers = ch.undo, ch.triggers

    @staticmethod
    def _unreadable(op: int) -> None:
        """The error of a write whose body could not be read: the checks that come
        before ZooKeeper reads the body decide some."""
        if op == OpCode.deleteContainer:
            raise ZkError(Err.BADARGUMENTS)
        if op == OpCode.reconfig:
            raise ZkError(Err.RECONFIGDISABLED)
        raise ZkError(Err.MARSHALLINGERROR)

    def _create_args(self, op: int, req: Any) -> tuple[int, bool]:
        """A create request's (owner marker, sequential), checked as
        ``CreateMode.fromFlag`` and ``validateCreateRequest`` do.

        The opcode, not the flag, makes the node: createContainer makes a container
        whatever its (valid, non-TTL) flag, createTTL a TTL node, create/create2 an
        ephemeral or persistent node (the CONTAINER flag gives a persistent one).
        Only createTTL carries a TTL; the others count as TTL -1, which a TTL flag
        refuses.
        """
        mode = J.CreateMode.from_flag(req.flags)
        if mode is None:
            raise ZkError(Err.BADARGUMENTS, req.path)
        ttl = req.ttl if op == OpCode.createTTL else -1
        if mode.is_ttl:
            if not self.config.extended_types:
                raise ZkError(Err.UNIMPLEMENTED, req.path)
            if ttl <= 0 or ttl > TTL_MAX:
                raise ZkError(Err.BADARGUMENTS, req.path)
        elif ttl >= 0:
            raise ZkError(Err.BADARGUMENTS, req.path)
        if op == OpCode.createContainer:
            return CONTAINER_OWNER, mode.is_sequential
        if op == OpCode.createTTL:
            if not mode.is_ttl:
                # a negative TTL with a plain flag passes 3.8's checks and then fails
                # to apply on every server; refuse it instead
                raise ZkError(Err.BADARGUMENTS, req.path)
            return (TTL_OWNER_MASK | ttl) - (1 << 64), mode.is_sequential
        return (-1 if mode.is_ephemeral else 0), mode.is_sequential

    def _one(self, op: int, req: Any, auth: tuple, sess: Session, zxid: int, time: int,
             ch: Change) -> J.JuteRecord | None:
        tree = self.tree
        if op in (OpCode.create, OpCode.create2, OpCode.createContainer, OpCode.createTTL):
            owner, seq = self._create_args(op, req)
            if owner == -1:
                owner = sess.id
            path, _ = tree.create(req.path, req.data, req.acl, zxid=zxid, time=time,
                                  owner=owner, auth=auth, sequential=seq, ch=ch)
            if op == OpCode.create:
                return J.CreateResponse(path)
            node = tree.get(path)
            assert node is not None
            return J.Create2Response(path, node.stat())
        if op == OpCode.delete:
            tree.delete(req.path, req.version, zxid=zxid, auth=auth, ch=ch)
            return None
        if op == OpCode.deleteContainer:
            # 3.8 takes the path of a deleteContainer from the raw request buffer,
            # which from a client starts with the (zero-filled) request header: the
            # path holds a NUL and is refused.  Only the container manager's own
            # requests (see _cleanup) delete anything.
            raise ZkError(Err.BADARGUMENTS, req.path)
        if op == OpCode.setData:
            stat, _ = tree.set_data(req.path, req.data, req.version, zxid=zxid,
                                    time=time, auth=auth, ch=ch)
            return J.SetDataResponse(stat)
        if op == OpCode.setACL:
            stat, _ = tree.set_acl(req.path, req.acl, req.version, zxid=zxid, auth=auth, ch=ch)
            return J.SetACLResponse(stat)
        if op == OpCode.check:
            tree.check(req.path, req.version, auth=auth)
            return None
        if op == OpCode.reconfig:
            raise ZkError(Err.RECONFIGDISABLED)
        raise ZkError(Err.UNIMPLEMENTED)

    def _delete_container(self, path: str, zxid: int, ch: Change) -> None:
        validate_path(path)
        node = self.tree.get(path)
        if node is None:
            raise ZkError(Err.NONODE, path)
        if node.children:
            raise ZkError(Err.NOTEMPTY, path)
        if node.owner != CONTAINER_OWNER and not self.tree.kind(path) == "ttl":
            raise ZkError(Err.BADVERSION, path)
        self.tree.delete_unchecked(path, zxid, ch)

    def _cleaner(self, path: str) -> Callable[[int, Txn], None]:
        """The decided write that deletes an empty container or expired TTL node."""
        return lambda zxid, txn: self._cleanup(path, zxid, txn)

    _RESULT_OF: dict[int, Callable[[Any], Any]] = {
        OpCode.create: lambda r: r,
        OpCode.create2: lambda r: r,
        OpCode.createContainer: lambda r: r,
        OpCode.createTTL: lambda r: r,
        OpCode.delete: lambda r: J.DeleteResult(),
        OpCode.setData: lambda r: r,
        OpCode.check: lambda r: J.CheckResult(),
    }

    def _multi(self, req: J.MultiRequest, auth: tuple, sess: Session, zxid: int, time: int,
               ch: Change) -> J.MultiResponse:
        results: list[J.MultiResult] = []
        for i, op in enumerate(req.ops):
            try:
                r = self._one(op.OPCODE, op, auth, sess, zxid, time, ch)
            except ZkError as e:
                self.tree.undo(ch.undo)
                ch.undo.clear()
                ch.triggers.clear()
                errs = [J.ErrorResult(0)] * i + [J.ErrorResult(e.code)]
                errs += [J.ErrorResult(Err.RUNTIMEINCONSISTENCY)] * (len(req.ops) - i - 1)
                return J.MultiResponse(tuple(errs))
            results.append(self._RESULT_OF[op.OPCODE](r))
        return J.MultiResponse(tuple(results))

    # -- applying decided writes at each server -----------------------------------------

    def _settle(self) -> None:
        """Apply what is due everywhere and answer whoever can be answered."""
        progress = True
        while progress:
            progress = False
            for s in self.servers:
                if s.state != "up":
                    continue
                while s.commits and s.commits[0][0] <= self.now:
                    _, txn = s.commits.popleft()
                    self._apply(s, txn)
                    progress = True
            dirty = [c for c in self._dirty if c.queue and c.state != "closed"]
            for conn in dirty:
                if self._pump(conn):
                    progress = True
        self._trim_log()

    def _apply(self, s: ServerCore, txn: Txn) -> None:
        s.applied = txn.zxid
        if s.conns:
            for path, etype in txn.triggers:
                watchers = s.watches.fire(path, etype)
                if watchers:
                    frame = J.encode_reply(J.XID_NOTIFICATION, -1, 0,
                                           J.WatcherEvent(etype, KeeperState.SyncConnected, path))
                    for w in watchers:
                        w.send(frame)
            if txn.closes is not None:
                for conn in list(s.conns):
                    if conn.session is not None and conn.session.id == txn.closes and conn is not txn.origin:
                        self._close_conn(conn)
        if txn.origin is not None and txn.origin.server is s:
            self._dirty.add(txn.origin)
        for conn in s.conns:
            if conn.queue and conn.queue[0].kind == "sync":
                self._dirty.add(conn)

    def _pump(self, conn: Conn) -> bool:
        """Answer the requests at the head of a connection's queue that can be."""
        s = conn.server
        if s.state != "up":
            return False
        did = False
        q = conn.queue
        while q and conn.state != "closed":
            p = q[0]
            kind = p.kind
            if kind == "read":
                q.popleft()
                self._read(conn, p)
            elif kind == "error":
                q.popleft()
                conn.send(J.encode_reply(p.xid, s.applied, p.wait or 0))
            elif kind == "unimplemented":
                q.popleft()
                conn.send(J.encode_reply(p.xid, -1, Err.UNIMPLEMENTED))
                self._close_conn(conn)
            elif p.wait is None or s.applied < p.wait:
                break
            elif kind == "sync":
                q.popleft()
                conn.last_op = "SYNC"
                conn.send(J.encode_reply(p.xid, s.applied, 0, _JavaPath(p.req.path)))
            elif kind == "moved":
                q.popleft()
                self._close_conn(conn)
            elif kind == "connect":
                q.popleft()
                sess = p.req
                if sess.id in self.sessions:
                    self._attach(conn, sess)
                    self._connect_reply(conn, sess)
                    self._after_handshake(conn)
                else:
                    self._close_conn(conn)
            else:
                q.popleft()
                txn = p.txn
                assert txn is not None
                conn.last_op = _LAST_OP.get(p.op, "NA")
                conn.last_zxid = txn.zxid
                if kind == "close":
                    conn.send(J.encode_reply(p.xid, txn.zxid, 0))
                    self._close_conn(conn)
                else:
                    conn.send(J.encode_reply(p.xid, txn.zxid, txn.err, txn.reply if not txn.err else None))
            did = True
        return did

    def _trim_log(self) -> None:
        if not self.log:
            return
        keep = [self.by_id[i].applied for i in self.members]
        if self.config.read_only_mode:  # a read-only server reads its own old state
            keep += [s.applied for s in self.servers if s.state == "up" and s.role == "looking"]
        floor = min(keep, default=self.last_zxid)
        i = 0
        for t in self.log:
            if t.zxid > floor:
                break
            i += 1
        if i:
            del self.log[:i]

    # -- reads ------------------------------------------------------------------------

    def _read(self, conn: Conn, p: Pending) -> None:
        s = conn.server
        op, req, xid = p.op, p.req, p.xid
        conn.last_op = _LAST_OP.get(op, "NA")
        try:
            body = self._read_body(conn, op, req)
        except ZkError as e:
            conn.send(J.encode_reply(xid, s.applied, e.code))
            return
        if op == OpCode.ping:
            conn.send(J.encode_reply(J.XID_PING, s.applied, 0))
            return
        if op in (OpCode.setWatches, OpCode.setWatches2):
            conn.send(J.encode_reply(xid, s.applied, 0))  # the request's xid (-8 from clients)
            return
        conn.send(J.encode_reply(xid, s.applied, 0, body))

    def _read_body(self, conn: Conn, op: int, req: Any) -> J.JuteRecord | None:
        s = conn.server
        view = s.view()
        auth = conn.auth
        if op == OpCode.getData:
            node = view.get(req.path)
            if node is None:
                raise ZkError(Err.NONODE)
            check_acl(node.acl, Perms.READ, auth)
            if req.watch:
                s.watches.add_data(req.path, conn)
            return J.GetDataResponse(node.data, self._stat(view, req.path, node))
        if op == OpCode.exists:
            if "\0" in (req.path or ""):
                raise ZkError(Err.BADARGUMENTS)  # FinalRequestProcessor checks this one
            node = view.get(req.path)
            if req.watch:
                s.watches.add_data(req.path, conn)
            if node is None:
                raise ZkError(Err.NONODE)
            return J.ExistsResponse(self._stat(view, req.path, node))
        if op in (OpCode.getChildren, OpCode.getChildren2):
            node = view.get(req.path)
            if node is None:
                raise ZkError(Err.NONODE)
            check_acl(node.acl, Perms.READ, auth)
            if req.watch:
                s.watches.add_child(req.path, conn)
            kids = view.children(req.path)
            if op == OpCode.getChildren:
                return J.GetChildrenResponse(tuple(kids))
            return J.GetChildren2Response(tuple(kids), node.stat(len(kids)))
        if op == OpCode.getACL:
            node = view.get(req.path)
            if node is None:
                raise ZkError(Err.NONODE)
            check_acl(node.acl, Perms.READ | Perms.ADMIN, auth)
            acl = tuple(node.acl)
            try:
                check_acl(node.acl, Perms.ADMIN, auth)
            except ZkError:  # without ADMIN, digests are not shown
                acl = tuple(
                    J.ACL(a.perms, J.Id(a.id.scheme, a.id.id.split(":", 1)[0] + ":x"))
                    if a.id.scheme == "digest" else a
                    for a in acl
                )
            return J.GetACLResponse(acl, self._stat(view, req.path, node))
        if op == OpCode.ping:
            return None
        if op == OpCode.multiRead:
            results: list[J.MultiResult] = []
            for sub in req.ops:
                # the ops of a multiRead are read as paths only: no watch is set
                sub = type(sub)(sub.path, False)
                try:
                    body = self._read_body(conn, sub.OPCODE, sub)
                except ZkError as e:
                    results.append(J.ErrorResult(e.code))
                    continue
                assert isinstance(body, (J.GetChildrenResponse, J.GetDataResponse))
                results.append(body)
            return J.MultiResponse(tuple(results))
        if op == OpCode.getAllChildrenNumber:
            node = view.get(req.path)
            if node is None:
                raise ZkError(Err.NONODE)
            check_acl(node.acl, Perms.READ, auth)
            # 3.8 counts the keys of its node map below the path; "" (the root under
            # its other name) so counts the root's "/" entry too
            extra = 1 if req.path == "" else 0
            return J.GetAllChildrenNumberResponse(self._count_below(view, req.path or "/") + extra)
        if op == OpCode.getEphemerals:
            sess = conn.session
            assert sess is not None
            prefix = req.prefix_path
            everything = prefix is None or prefix.strip() in ("", "/")
            paths = [p for p in self.tree.session_ephemerals(sess.id) if everything or p.startswith(prefix)]
            return J.GetEphemeralsResponse(tuple(paths))
        if op == OpCode.addWatch:
            if req.mode not in (0, 1):
                # AddWatchMode.fromZooDef throws while the request is read
                raise ZkError(Err.MARSHALLINGERROR, req.path)
            s.watches.add_persistent(req.path, conn, recursive=req.mode == 1)
            return J.ErrorResponse(0)
        if op in (OpCode.checkWatches, OpCode.removeWatches):
            kind = req.type
            if kind not in (1, 2, 3):
                # WatcherType.fromInt throws while the request is read
                raise ZkError(Err.MARSHALLINGERROR, req.path)
            if op == OpCode.checkWatches:
                ok = s.watches.has(req.path, conn, kind)
            else:
                ok = s.watches.remove(req.path, conn, kind)
            if not ok:
                raise ZkError(Err.NOWATCHER, req.path)
            return None
        if op in (OpCode.setWatches, OpCode.setWatches2):
            self._set_watches(conn, req)
            return None
        if op == OpCode.whoAmI:
            # each auth provider names its user: the digest one by the part before ':'
            return J.WhoAmIResponse(tuple(
                J.ClientInfo(i.scheme, i.id.split(":", 1)[0] if i.scheme == "digest" else i.id)
                for i in auth_order(auth)
            ))
        raise ZkError(Err.UNIMPLEMENTED)

    @staticmethod
    def _stat(view: DataTree | View, path: str, node: Any) -> J.Stat:
        if isinstance(view, View):
            return node.stat(len(view.children(path)))
        return node.stat()

    def _count_below(self, view: DataTree | View, path: str) -> int:
        n = 0
        todo = [path]
        while todo:
            p = todo.pop()
            prefix = p if p != "/" else ""
            for kid in view.children(p):
                n += 1
                todo.append(f"{prefix}/{kid}")
        return n

    def _set_watches(self, conn: Conn, req: Any) -> None:
        """Re-arm watches after a reconnect, firing at once what changed meanwhile."""
        s = conn.server
        view = s.view()
        rel = req.relative_zxid
        events: list[tuple[int, str]] = []
        for path in req.data_watches:
            node = view.get(path)
            if node is None:
                events.append((EventType.NodeDeleted, path))
            elif node.mzxid > rel:
                events.append((EventType.NodeDataChanged, path))
            else:
                s.watches.add_data(path, conn)
        for path in req.exist_watches:
            node = view.get(path)
            if node is not None:
                events.append((EventType.NodeCreated, path))
            else:
                s.watches.add_data(path, conn)
        for path in req.child_watches:
            node = view.get(path)
            if node is None:
                events.append((EventType.NodeDeleted, path))
            elif node.pzxid > rel:
                events.append((EventType.NodeChildrenChanged, path))
            else:
                s.watches.add_child(path, conn)
        for path in getattr(req, "persistent_watches", ()):
            s.watches.add_persistent(path, conn, recursive=False)
        for path in getattr(req, "persistent_recursive_watches", ()):
            s.watches.add_persistent(path, conn, recursive=True)
        for etype, path in events:
            conn.send(J.encode_reply(J.XID_NOTIFICATION, -1, 0,
                                     _JavaWatcherEvent(etype, KeeperState.SyncConnected, path)))

    # -- sessions ---------------------------------------------------------------------

    def _touch(self, sess: Session) -> None:
        if self.leader is not None and sess.owner in self.members:
            tick = self.config.tick_ms / 1000.0
            t = self.now + sess.timeout / 1000.0
            sess.expires = (int(t / tick) + 1) * tick

    def _tick(self) -> None:
        """The leader's session expiry, on tick boundaries."""
        tick = self.config.tick_ms / 1000.0
        self._at(self.now + tick, self._tick)
        if self.leader is None or not self.leader.serving:
            return
        for sess in sorted(self.sessions.values(), key=lambda x: x.id):
            if not sess.closing and sess.expires <= self.now:
                self.expire(sess.id, reason="timeout")

    def expire(self, session_id: int, reason: str = "fault") -> None:
        """End a session on the leader, as its timeout would: ephemerals go, its
        connection is closed, and its client sees the session expired."""
        sess = self.sessions.get(session_id)
        if sess is None or sess.closing:
            raise EnsembleError(f"no live session 0x{session_id:x}")
        if self.leader is None:
            raise EnsembleError("no leader to expire the session: the ensemble is not serving")
        sess.closing = True
        self._decide(None, None, OpCode.closeSession,
                     lambda zxid, txn: self._close_session(sess, zxid, txn))
        self._emit("session", id=session_id, state="expired", reason=reason)
        self._settle()

    def _container_check(self) -> None:
        self._at(self.now + self.config.container_check_ms / 1000.0, self._container_check)
        if self.leader is None or not self.leader.serving:
            return
        now_ms = self._ms()
        for path in sorted(self.tree.containers):
            node = self.tree.get(path)
            if node is not None and not node.children and node.cversion > 0:
                self._decide(None, None, OpCode.deleteContainer, self._cleaner(path))
        for path in sorted(self.tree.ttls):
            node = self.tree.get(path)
            if node is None or node.children:
                continue
            ttl = node.owner & ~TTL_OWNER_MASK & 0x00FFFFFFFFFFFFFF
            if ttl and now_ms - node.mtime > ttl:
                self._decide(None, None, OpCode.deleteContainer, self._cleaner(path))
        self._settle()

    def _cleanup(self, path: str, zxid: int, txn: Txn) -> None:
        ch = Change()
        try:
            self._delete_container(path, zxid, ch)
        except ZkError as e:
            self.tree.undo(ch.undo)
            txn.err = e.code
            return
        txn.undo, txn.triggers = ch.undo, ch.triggers

    # -- roles, membership, elections ------------------------------------------------

    def _group_of(self, sid: int) -> set[int]:
        if self.groups is None:
            return {s.id for s in self.servers}
        for g in self.groups:
            if sid in g:
                return g
        return {sid}

    def _quorum(self, n: int) -> bool:
        return n > len(self.servers) // 2

    def _go_looking(self, s: ServerCore) -> None:
        if s.role == "looking" or s.state == "down":
            return
        s.role = "looking"
        self.members.discard(s.id)
        s.commits.clear()
        for conn in list(s.conns):
            self._close_conn(conn)
        self._emit("role", server=s.id, role="looking")
        self._read_only_later(s)

    def _read_only_later(self, s: ServerCore) -> None:
        if not self.config.read_only_mode:
            return
        delay = self.config.read_only_delay_s
        if delay is None:
            delay = max(2.0, self.config.tick_ms / 1000.0)
        self._at(self.now + delay, self._enter_read_only, s.id)

    def _enter_read_only(self, sid: int) -> None:
        s = self.by_id[sid]
        if s.state == "up" and s.role == "looking" and not s.ro:
            s.ro = True
            self._emit("role", server=sid, role="read-only")

    def _leave_read_only(self, s: ServerCore) -> None:
        """Back in the quorum: the read-only server shuts down with its clients."""
        if s.ro:
            s.ro = False
            for conn in list(s.conns):
                self._close_conn(conn)

    def _depose(self) -> None:
        """The leader is gone or without a quorum: everyone looks for a new one."""
        for s in self.servers:
            if s.state == "up" and s.role in ("leader", "follower"):
                self._go_looking(s)
        self.leader = None
        self.members = set()
        self._schedule_election()

    def _schedule_election(self) -> None:
        at = self.now + self.config.election_delay_s
        if self._election_at is None or self._election_at > at:
            self._election_at = at
            self._at(at, self._election_due)

    def _election_due(self) -> None:
        if self._election_at is None or self._election_at > self.now:
            return
        self._election_at = None
        self._elect()

    def _elect(self, initial: bool = False) -> None:
        """Elect a leader in any group that has a quorum of live, looking servers;
        join looking servers to a reachable leader."""
        if self.leader is not None:
            self._join_lookers()
            return
        groups = self.groups or [{s.id for s in self.servers}]
        for g in groups:
            live = [self.by_id[i] for i in sorted(g) if self.by_id[i].state == "up"]
            if not self._quorum(len(live)):
                continue
            new = max(live, key=lambda x: (x.logged, x.id))
            # writes the new leader never logged are lost (none, with a quorum log)
            self._truncate(new.logged)
            self.epoch += 1
            self.counter = 0
            self.leader = new
            new.role = "leader"
            self.members = {new.id}
            for s in live:
                self._leave_read_only(s)
                if s is not new:
                    s.role = "follower"
                    self.members.add(s.id)
                self._sync(s)
            tick = self.config.tick_ms / 1000.0
            for sess in self.sessions.values():
                t = self.now + sess.timeout / 1000.0
                sess.expires = (int(t / tick) + 1) * tick
            self._emit("election", leader=new.id, epoch=self.epoch, initial=initial)
            return
        # no quorum anywhere: try again later
        if not initial:
            self._at(self.now + self.config.election_delay_s * 2, self._retry_election)

    def _retry_election(self) -> None:
        if self.leader is None:
            self._elect()

    def _truncate(self, upto: int) -> None:
        while self.log and self.log[-1].zxid > upto:
            txn = self.log.pop()
            self.tree.undo(txn.undo)
        if self.last_zxid > upto:
            self.last_zxid = upto

    def _sync(self, s: ServerCore) -> None:
        s.applied = s.logged = self.last_zxid
        s.commits.clear()
        s.last_due = self.now
        s._view_key = None

    def _join_lookers(self) -> None:
        lead = self.leader
        assert lead is not None
        g = self._group_of(lead.id)
        for s in self.servers:
            if s.state == "up" and s.role == "looking" and s.id in g:
                self._at(self.now + self.config.sync_delay_s, self._finish_join, s.id)

    def _finish_join(self, sid: int) -> None:
        s = self.by_id[sid]
        lead = self.leader
        if lead is None or s.state != "up" or s.role != "looking" or sid not in self._group_of(lead.id):
            return
        self._leave_read_only(s)
        s.role = "follower"
        self.members.add(sid)
        self._sync(s)
        self._emit("role", server=sid, role="follower")

    def _check_quorum(self) -> None:
        """After a membership change: the leader keeps a quorum or steps down."""
        lead = self.leader
        if lead is None:
            self._schedule_election()
            return
        if lead.state != "up" or not self._quorum(len(self.members)):
            self._depose()

    # -- faults -----------------------------------------------------------------------

    def _server(self, sid: int) -> ServerCore:
        s = self.by_id.get(sid)
        if s is None:
            raise EnsembleError(f"no server with id {sid}")
        return s

    def kill(self, sid: int) -> None:
        """The server dies: its connections drop, its followers or leader notice."""
        s = self._server(sid)
        if s.state == "down":
            raise EnsembleError(f"server {sid} is not running")
        was_leader = s is self.leader
        for conn in list(s.conns):
            self._close_conn(conn)
        s.state = "down"
        s.role = "down"
        s.ro = False
        s.commits.clear()
        s.watches = WatchManager()
        self.members.discard(sid)
        self._emit("role", server=sid, role="down")
        if was_leader:
            self.leader = None
            self._depose()
        else:
            self._check_quorum()
        self._settle()

    stop = kill

    def start(self, sid: int) -> None:
        s = self._server(sid)
        if s.state != "down":
            raise EnsembleError(f"server {sid} is already running")
        s.state = "up"
        s.role = "looking"
        self._emit("role", server=sid, role="looking")
        self._read_only_later(s)
        if self.leader is not None:
            self._join_lookers()
        else:
            self._schedule_election()
        self._settle()

    def pause(self, sid: int) -> None:
        s = self._server(sid)
        if s.state == "paused":
            raise EnsembleError(f"server {sid} is already paused")
        if s.state == "down":
            raise EnsembleError(f"server {sid} is not running")
        s.state = "paused"
        s.paused_at = self.now
        # if it stays frozen longer than syncLimit ticks, the others give up on it
        limit = self.config.sync_limit * self.config.tick_ms / 1000.0
        self._at(self.now + limit, self._pause_timeout, sid, s.paused_at)
        self._emit("state", server=sid, state="paused")

    def _pause_timeout(self, sid: int, paused_at: float) -> None:
        s = self.by_id[sid]
        if s.state != "paused" or s.paused_at != paused_at or s.role not in ("leader", "follower"):
            return
        if s is self.leader:
            # the followers stop hearing the leader and elect another among themselves
            for o in self.servers:
                if o is not s and o.state == "up" and o.role == "follower":
                    self._go_looking(o)
            self.leader = None
            self.members = set()
            s.role = "leader"  # it still thinks so, until it wakes up
            self._schedule_election()
        else:
            self.members.discard(sid)
            s.commits.clear()
            self._check_quorum()

    def resume(self, sid: int) -> None:
        s = self._server(sid)
        if s.state != "paused":
            raise EnsembleError(f"server {sid} is not paused")
        s.state = "up"
        self._emit("state", server=sid, state="up")
        if s.role in ("leader", "follower") and (
            (s.role == "leader" and self.leader is not s) or (s.role == "follower" and sid not in self.members)
        ):
            # it was given up on while frozen: it finds out now
            self._go_looking(s)
            if self.leader is not None:
                self._join_lookers()
            else:
                self._schedule_election()
        for conn in list(s.conns):
            backlog, conn.backlog = conn.backlog, []
            for data in backlog:
                self._feed(conn, data)
        self._settle()

    def partition(self, groups: Iterable[Iterable[int]]) -> None:
        gs = [set(g) for g in groups]
        self.groups = gs
        lead = self.leader
        if lead is not None:
            lg = self._group_of(lead.id)
            for s in self.servers:
                if s.id not in lg and s.role == "follower":
                    self._go_looking(s)
            self._check_quorum()
        else:
            self._schedule_election()
        self._settle()

    def heal(self) -> None:
        self.groups = None
        if self.leader is not None:
            self._join_lookers()
        else:
            self._schedule_election()
        self._settle()

    def set_lag(self, sid: int, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"lag must be >= 0 seconds, not {seconds}")
        self._server(sid).lag = float(seconds)

    def drop_session(self, session_id: int, hold: float = 0.0) -> int:
        """Close a session's connections; refuse its reconnections for ``hold`` s."""
        n = 0
        for s in self.servers:
            for conn in list(s.conns):
                if conn.session is not None and conn.session.id == session_id:
                    self._close_conn(conn)
                    n += 1
        if hold > 0:
            self.banned[session_id] = self.now + hold
        self._settle()
        return n

    # -- what an operator sees --------------------------------------------------------

    def role(self, sid: int) -> str:
        s = self._server(sid)
        if s.state == "down":
            return "down"
        return s.role

    def describe(self) -> dict[str, Any]:
        """Plain data for views: servers, sessions and connections."""
        return {
            "leader": self.leader.id if self.leader else None,
            "epoch": self.epoch,
            "zxid": self.last_zxid,
            "groups": [sorted(g) for g in self.groups] if self.groups else None,
            "servers": [
                {"id": s.id, "state": s.state, "role": self.role(s.id), "zxid": s.applied,
                 "lag": s.lag, "connections": len(s.conns), "watches": s.watches.count()}
                for s in self.servers
            ],
            "sessions": [
                {"id": x.id, "server": x.owner, "timeout": x.timeout,
                 "connected": x.conn is not None and x.conn.state == "open"}
                for x in sorted(self.sessions.values(), key=lambda x: x.id)
            ],
        }


def _java_utf8(s: str | None) -> bytes:
    """A string as Java's jute ``writeString`` puts it on the wire: UTF-8 of each
    UTF-16 unit, so a character above U+FFFF becomes two 3-byte surrogates
    (CESU-8).  Only paths a server echoes unvalidated (sync, SetWatches) show it."""
    if s is None:
        return b"\xff\xff\xff\xff"
    if s.isascii() or max(s) <= "\uffff":
        b = s.encode("utf-8", "replace")
    else:
        units = s.encode("utf-16-be", "surrogatepass")
        b = b"".join(
            units[i : i + 2].decode("utf-16-be", "surrogatepass").encode("utf-8", "surrogatepass")
            for i in range(0, len(units), 2)
        )
    return len(b).to_bytes(4, "big") + b


class _JavaPath(J.JuteRecord):
    """A reply body of one path (``SyncResponse``) in Java's string encoding."""

    __slots__ = ("path",)

    def __init__(self, path: str | None) -> None:
        self.path = path

    def write(self, out: bytearray) -> None:
        out += _java_utf8(self.path)


class _JavaWatcherEvent(J.JuteRecord):
    """A ``WatcherEvent`` whose path is in Java's string encoding."""

    __slots__ = ("type", "state", "path")

    def __init__(self, type: int, state: int, path: str | None) -> None:
        self.type, self.state, self.path = type, state, path

    def write(self, out: bytearray) -> None:
        out += int(self.type).to_bytes(4, "big", signed=True)
        out += int(self.state).to_bytes(4, "big", signed=True)
        out += _java_utf8(self.path)


_LAST_OP: dict[int, str] = {
    OpCode.create: "CREA", OpCode.create2: "CREA", OpCode.createContainer: "CREA",
    OpCode.createTTL: "CREA", OpCode.delete: "DELE", OpCode.deleteContainer: "DELE",
    OpCode.exists: "EXIS", OpCode.getData: "GETD", OpCode.setData: "SETD",
    OpCode.getACL: "GETA", OpCode.setACL: "SETA", OpCode.getChildren: "GETC",
    OpCode.getChildren2: "GETC", OpCode.sync: "SYNC", OpCode.ping: "PING",
    OpCode.check: "CHEC", OpCode.multi: "MULT", OpCode.multiRead: "MLTR",
    OpCode.closeSession: "CLOS", OpCode.setWatches: "SETW", OpCode.setWatches2: "STW2",
    OpCode.addWatch: "ADDW", OpCode.removeWatches: "REMW", OpCode.checkWatches: "CHKW",
    OpCode.getEphemerals: "GETE", OpCode.getAllChildrenNumber: "GETACN",
    OpCode.whoAmI: "HOMI",
}  # fmt: skip

