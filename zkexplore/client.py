"""kazoo, extended with the requests of ZooKeeper 3.6+ that kazoo 2.11 lacks.

Each function takes a started :class:`kazoo.client.KazooClient` and sends its
request through kazoo's own request path (as kazoo's ``Transaction`` does), so it
is ordered with the client's other requests and fails the way they fail
(``ConnectionLoss``, ``NoNodeError``, ... from :mod:`kazoo.exceptions`).

- :func:`add_watch` / :func:`remove_watches`: persistent and persistent-recursive
  watches (``addWatch``), one server watch for a whole subtree.
- :func:`multi_read`: many getChildren/getData in one request (``multiRead``).
- :func:`get_all_children_number`, :func:`get_ephemerals`, :func:`who_am_i`.
- :func:`create_container`, :func:`create_ttl`: the extended node types.

What the caller must know: kazoo never sends SetWatches, so after a reconnection
the server has forgotten the persistent watches; re-add them when the client is
CONNECTED again (``LiveTree`` does).  Servers older than 3.6 answer these
requests with ``UnimplementedError`` or drop the connection.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from kazoo.client import KazooClient
from kazoo.exceptions import EXCEPTIONS
from kazoo.protocol.serialization import Watch
from kazoo.protocol.states import EVENT_TYPE_MAP, Callback, WatchedEvent, ZnodeStat
from kazoo.security import ACL as KazooACL
from kazoo.security import OPEN_ACL_UNSAFE

from .sim import jute as J

__all__ = [
    "hold_off",
    "cut_socket",
    "add_watch",
    "remove_watches",
    "multi_read",
    "get_all_children_number",
    "get_ephemerals",
    "who_am_i",
    "create_container",
    "create_ttl",
    "persistent_watches",
    "to_stat",
]


class _Request:
    """Wraps a jute record so kazoo's connection can send it."""

    __slots__ = ("record", "type", "path")

    def __init__(self, record: J.JuteRecord, path: str | None = None) -> None:
        self.record = record
        self.type = record.OPCODE  # type: ignore[attr-defined]
        self.path = path

    def serialize(self) -> bytes:
        return self.record.encode()

    def deserialize(self, buf: bytes, offset: int) -> Any:
        return J.decode_response(self.type, buf, offset)

    def __repr__(self) -> str:
        return f"<{type(self.record).__name__} {self.path or ''}>"


def _full(zk: KazooClient, path: str) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f"a path starts with '/', not {path!r}")
    root = zk.chroot or ""
    return (root + path).rstrip("/") or "/" if root else path


def _send(zk: KazooClient, record: J.JuteRecord, path: str | None = None) -> Any:
    result = zk.handler.async_result()
    zk._call(_Request(record, path), result)
    return result


def to_stat(st: J.Stat) -> ZnodeStat:
    """A jute :class:`~zkexplore.sim.jute.Stat` as kazoo's ``ZnodeStat``."""
    return ZnodeStat(
        st.czxid, st.mzxid, st.ctime, st.mtime, st.version, st.cversion, st.aversion,
        st.ephemeral_owner, st.data_length, st.num_children, st.pzxid,
    )  # fmt: skip


def _acl(acl: Sequence[KazooACL] | None) -> tuple[J.ACL, ...]:
    return tuple(J.ACL(a.perms, J.Id(a.id.scheme, a.id.id)) for a in (acl or OPEN_ACL_UNSAFE))


# -- cutting a client off, from the client's side ---------------------------------------


def hold_off(zk: KazooClient, seconds: float) -> None:
    """Drop ``zk``'s connection and keep it from reconnecting for ``seconds``: what a
    network cut looks like from the client's side, on any ensemble.  The client sees
    SUSPENDED at once; longer than its session timeout, the server expires the
    session and the client sees LOST when it gets through again."""
    import time as _time

    conn = zk._connection
    if not getattr(conn, "_zkx_gated", False):
        original = conn._connect_attempt

        def gated(*args: Any, **kwargs: Any) -> Any:
            while _time.monotonic() < getattr(conn, "_zkx_gate_until", 0.0):
                if zk._stopped.is_set():
                    break
                _time.sleep(0.02)
            return original(*args, **kwargs)

        conn._connect_attempt = gated
        conn._zkx_gated = True
    conn._zkx_gate_until = _time.monotonic() + max(0.0, seconds)
    cut_socket(zk)


def cut_socket(zk: KazooClient) -> bool:
    """Shut ``zk``'s socket down, as a dropped network would; False if it has none."""
    import socket

    sock = getattr(zk._connection, "_socket", None)
    if sock is None:
        return False
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    return True


# -- persistent watches ----------------------------------------------------------------


class _Persistent:
    """The persistent watches of one client, dispatched from its connection."""

    def __init__(self, zk: KazooClient) -> None:
        self.lock = threading.Lock()
        self.watches: dict[str, tuple[bool, list[Callable[[WatchedEvent], Any]]]] = {}
        self.client = weakref.ref(zk)
        conn = zk._connection
        original = conn._read_watch_event

        def read_watch_event(buffer: bytes, offset: int) -> Any:
            self.dispatch(buffer, offset)
            return original(buffer, offset)

        conn._read_watch_event = read_watch_event
        zk.add_listener(self._on_state)

    def _on_state(self, state: Any) -> None:
        # a lost connection loses the server's persistent watches (kazoo sends no
        # SetWatches): forget them here too, so that no callback fires for events
        # that only another (one-shot) watch asked for
        from kazoo.protocol.states import KazooState

        if state in (KazooState.SUSPENDED, KazooState.LOST):
            with self.lock:
                self.watches.clear()

    def dispatch(self, buffer: bytes, offset: int) -> None:
        zk = self.client()
        if zk is None or zk._stopped.is_set():
            return
        watch, _ = Watch.deserialize(buffer, offset)
        path = watch.path
        etype = EVENT_TYPE_MAP.get(watch.type)
        if etype is None:
            return
        with self.lock:
            targets = []
            for base, (recursive, callbacks) in self.watches.items():
                if path == base:
                    if recursive and etype == "CHILD":
                        continue
                    targets.extend(callbacks)
                elif recursive and etype != "CHILD" and (
                    base == "/" or path.startswith(base + "/")
                ):
                    targets.extend(callbacks)
        if not targets:
            return
        ev = WatchedEvent(etype, zk._state, zk.unchroot(path))
        for cb in targets:
            zk.handler.dispatch_callback(Callback("watch", cb, (ev,)))


_registries: "weakref.WeakKeyDictionary[KazooClient, _Persistent]" = weakref.WeakKeyDictionary()
_registries_lock = threading.Lock()


def persistent_watches(zk: KazooClient) -> dict[str, bool]:
    """The persistent watches this client has asked for: path -> recursive."""
    reg = _registries.get(zk)
    if reg is None:
        return {}
    with reg.lock:
        return {zk.unchroot(p): r for p, (r, _) in reg.watches.items()}


def add_watch(
    zk: KazooClient, path: str, callback: Callable[[WatchedEvent], Any], recursive: bool = False
) -> None:
    """Set a persistent watch (``addWatch``): ``callback(event)`` for every change of
    ``path`` (and, when ``recursive``, of every node below it, except child-list
    changes) until :func:`remove_watches` or the connection is lost.

    Examples
    --------
    >>> add_watch(zk, "/app", print, recursive=True)             # doctest: +SKIP
    """
    full = _full(zk, path)
    with _registries_lock:
        reg = _registries.get(zk)
        if reg is None:
            reg = _registries[zk] = _Persistent(zk)
    _send(zk, J.AddWatchRequest(full, int(recursive)), full).get()
    with reg.lock:
        _, callbacks = reg.watches.get(full, (recursive, []))
        if callback not in callbacks:
            callbacks.append(callback)
        reg.watches[full] = (recursive, callbacks)


def remove_watches(zk: KazooClient, path: str, watcher_type: int = 3) -> None:
    """``removeWatches``: drop this client's watches on ``path`` on the server
    (1 children, 2 data, 3 any, persistent ones included) and its callbacks here.

    Raises ``NoWatcherError`` when there was none.
    """
    full = _full(zk, path)
    try:
        _send(zk, J.RemoveWatchesRequest(full, watcher_type), full).get()
    finally:
        reg = _registries.get(zk)
        if reg is not None and watcher_type == 3:
            with reg.lock:
                reg.watches.pop(full, None)


# -- reads -----------------------------------------------------------------------------


def multi_read(zk: KazooClient, ops: Iterable[tuple[str, str]]) -> list[Any]:
    """Many reads in one request (``multiRead``, ZooKeeper 3.6+).

    ``ops`` are ``("get_children", path)`` or ``("get_data", path)``; the result
    has, for each, a sorted children list, ``(data, ZnodeStat)``, or the kazoo
    exception instance for that op (``NoNodeError()``, ...).  No watches are set.
    """
    records: list[J.MultiReadOp] = []
    for kind, path in ops:
        full = _full(zk, path)
        if kind == "get_children":
            records.append(J.GetChildrenRequest(full, False))
        elif kind == "get_data":
            records.append(J.GetDataRequest(full, False))
        else:
            raise ValueError(f"multi_read op must be 'get_children' or 'get_data', not {kind!r}")
    resp: J.MultiResponse = _send(zk, J.MultiReadRequest(tuple(records))).get()
    out: list[Any] = []
    for r in resp.results:
        if isinstance(r, J.ErrorResult):
            out.append(EXCEPTIONS[r.err]())
        elif isinstance(r, J.GetChildrenResponse):
            out.append(sorted(r.children))
        else:
            assert isinstance(r, J.GetDataResponse)
            out.append((r.data if r.data is not None else b"", to_stat(r.stat)))
    return out


def multi_read_async(zk: KazooClient, records: Sequence[J.MultiReadOp]) -> Any:
    """Send a multiRead of prepared jute records; returns kazoo's async result
    (of a :class:`~zkexplore.sim.jute.MultiResponse`)."""
    return _send(zk, J.MultiReadRequest(tuple(records)))


def get_all_children_number(zk: KazooClient, path: str) -> int:
    """How many nodes are below ``path`` (all levels), in one request."""
    full = _full(zk, path)
    return _send(zk, J.GetAllChildrenNumberRequest(full), full).get().total_number


def get_ephemerals(zk: KazooClient, prefix: str = "/") -> list[str]:
    """The ephemeral nodes of this client's session whose paths start with ``prefix``."""
    full = _full(zk, prefix)
    paths = _send(zk, J.GetEphemeralsRequest(full), full).get().ephemerals
    return sorted(zk.unchroot(p) for p in paths)


def who_am_i(zk: KazooClient) -> list[tuple[str, str]]:
    """The identities the server holds for this connection: ``[(scheme, id), ...]``."""
    return [(c.auth_scheme, c.user) for c in _send(zk, J.WhoAmIRequest()).get().client_info]


# -- extended node types -----------------------------------------------------------------


def create_container(
    zk: KazooClient, path: str, value: bytes = b"", acl: Sequence[KazooACL] | None = None
) -> str:
    """Create a container node: the server deletes it once its last child is gone."""
    full = _full(zk, path)
    resp = _send(zk, J.CreateContainerRequest(full, value, _acl(acl), int(J.CreateMode.CONTAINER)), full).get()
    return zk.unchroot(resp.path)


def create_ttl(
    zk: KazooClient,
    path: str,
    value: bytes = b"",
    ttl: int = 1000,
    acl: Sequence[KazooACL] | None = None,
    sequence: bool = False,
) -> str:
    """Create a TTL node: deleted once it has had no children and no change for
    ``ttl`` milliseconds (the server must allow extended types)."""
    full = _full(zk, path)
    mode = J.CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL if sequence else J.CreateMode.PERSISTENT_WITH_TTL
    resp = _send(zk, J.CreateTTLRequest(full, value, _acl(acl), int(mode), int(ttl)), full).get()
    return zk.unchroot(resp.path)
