"""LiveTree: a watch-fed mirror of a ZooKeeper subtree, light on the server.

``LiveTree(client, path)`` keeps an in-memory copy of every znode at and below
``path`` (stat, data and children) and tells listeners about each change.  It
never writes.

How it stays correct and cheap:

- **One watch.**  On ZooKeeper 3.6+ it sets a single persistent-recursive watch
  (``addWatch``) on ``path`` instead of two watches per node.  On older servers it
  falls back to per-node data and child watches.
- **Fast load.**  The initial load reads many nodes per request (``multiRead`` of
  getChildren and getData, a bounded number of requests in flight), so the client's
  per-request cost is shared by a batch.  It can be capped (``max_nodes``) and
  rate-limited (``max_rate``, nodes per second) for production servers.
- **No lost changes.**  The watch is set *before* anything is read.  An event only
  schedules a read of the node it names; every read result is applied in the order
  the server answered, and a later answer always describes a later state, so the
  mirror converges to the server's tree whatever interleaves with the load.
- **Reconnections.**  kazoo does not re-send watches after it reconnects, so on
  every reconnection (and after a lost session) the tree sets its watch again and
  resynchronises: it reloads everything, emitting the differences as events.

What can fail: ``start()`` raises kazoo's errors if the root path does not exist
(``NoNodeError``) or the client is not connected; :class:`TreeTooLarge` is reported
as a ``truncated`` event (and :attr:`LiveTree.truncated`) when ``max_nodes`` is hit,
not raised.  Listener exceptions are logged and do not stop the tree.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kazoo.client import KazooClient
from kazoo.exceptions import (
    ConnectionClosedError,
    ConnectionLoss,
    KazooException,
    NoNodeError,
    NoWatcherError,
    SessionExpiredError,
    UnimplementedError,
)
from kazoo.protocol.states import KazooState, WatchedEvent, ZnodeStat

from .. import client as zkx
from ..sim import jute as J

__all__ = ["LiveTree", "LiveNode", "TreeEvent", "TreeTooLarge", "EVENT_KINDS"]

log = logging.getLogger(__name__)

#: kinds of :class:`TreeEvent`
EVENT_KINDS = (
    "created", "deleted", "data", "children", "session", "loading", "loaded", "resynced",
    "truncated", "closed",
)  # fmt: skip


class TreeTooLarge(Exception):
    """More nodes than ``max_nodes``: the mirror holds only part of the tree."""


@dataclass(frozen=True, slots=True)
class TreeEvent:
    """One change of the mirror, or of its connection.

    Attributes
    ----------
    kind : str
        ``created``, ``deleted``, ``data`` (data or stat changed), ``children``
        (the children list changed), ``session`` (``detail`` is kazoo's state),
        ``loading``, ``loaded``, ``resynced``, ``truncated`` or ``closed``.
    path : str or None
        The node concerned.
    stat : ZnodeStat or None
        Its new stat, when known.
    time : float
        ``time.monotonic()`` when the mirror changed.
    detail : Any
        More, by kind: the session state, the node count, a message.
    """

    kind: str
    path: str | None = None
    stat: ZnodeStat | None = None
    time: float = 0.0
    detail: Any = None


class LiveNode:
    """One mirrored znode.  Read it under no lock: its fields are replaced, not mutated."""

    __slots__ = ("path", "stat", "data", "children", "seen")

    def __init__(self, path: str, stat: ZnodeStat | None, data: bytes | None) -> None:
        self.path = path
        self.stat = stat
        self.data = data
        self.children: frozenset[str] = frozenset()
        self.seen = 0  # load generation that last confirmed it

    def __repr__(self) -> str:
        return f"<LiveNode {self.path} children={len(self.children)}>"


def _parent(path: str) -> str:
    i = path.rfind("/")
    return path[:i] if i > 0 else "/"


def _join(parent: str, name: str) -> str:
    return f"{parent}/{name}" if parent != "/" else f"/{name}"


def _stat(st: J.Stat) -> ZnodeStat:
    return zkx.to_stat(st)


class LiveTree:
    """A watch-fed mirror of the subtree at ``path``.

    Parameters
    ----------
    client : KazooClient
        A started client.  The tree reads through it and never writes.
    path : str
        The root of the mirrored subtree.
    max_nodes : int
        Stop mirroring beyond this many nodes (a ``truncated`` event says so).
    max_rate : float, optional
        Load at most this many nodes per second (for production servers).
    batch : int
        Nodes per multiRead request during a load.
    window : int
        Load requests in flight at once.
    use_multi : bool, optional
        Force (``True``) or forbid (``False``) the 3.6+ requests; default: try them
        and fall back when the server does not know them.

    Examples
    --------
    >>> tree = LiveTree(zk, "/app").start()                      # doctest: +SKIP
    >>> @tree.listen
    ... def changed(event):
    ...     print(event.kind, event.path)
    >>> tree.close()                                             # doctest: +SKIP
    """

    def __init__(
        self,
        client: KazooClient,
        path: str = "/",
        *,
        max_nodes: int = 250_000,
        max_rate: float | None = None,
        batch: int = 64,
        window: int = 8,
        use_multi: bool | None = None,
    ) -> None:
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"path must start with '/', not {path!r}")
        if max_nodes < 1:
            raise ValueError(f"max_nodes must be >= 1, not {max_nodes}")
        self.client = client
        self.path = path.rstrip("/") or "/"
        self.max_nodes = int(max_nodes)
        self.max_rate = max_rate
        self.batch = max(1, int(batch))
        self.window = max(1, int(window))
        self.use_multi = use_multi
        self.nodes: dict[str, LiveNode] = {}
        self.state = "new"
        self.truncated = False
        self.total: int | None = None  # nodes below the root when the load began
        self.loaded = threading.Event()
        self.stats = {"requests": 0, "events": 0, "loads": 0, "reads": 0}
        self._lock = threading.RLock()
        self._listeners: list[Callable[[TreeEvent], Any]] = []
        self._gen = 0
        self._queue: deque[str] = deque()
        self._inflight = 0
        self._loading = False
        self._tokens = 0.0
        self._last_refill = time.monotonic()
        self._watching: set[str] = set()  # per-node watch fallback: paths watched
        self._orphans: dict[str, set[str]] = {}  # parent path -> children read before it
        self._persistent = False
        self._closed = False
        self._needs_resync = False
        self._error: BaseException | None = None

    # -- public -------------------------------------------------------------------

    def listen(self, callback: Callable[[TreeEvent], Any]) -> Callable[[TreeEvent], Any]:
        """Call ``callback(event)`` for every :class:`TreeEvent`; usable as a decorator.
        Callbacks run on kazoo's threads: keep them short."""
        with self._lock:
            self._listeners.append(callback)
        return callback

    def unlisten(self, callback: Callable[[TreeEvent], Any]) -> None:
        with self._lock:
            if callback in self._listeners:
                self._listeners.remove(callback)

    def start(self, timeout: float | None = 60.0) -> "LiveTree":
        """Set the watch and load the tree; wait up to ``timeout`` seconds for the
        load (``None``: do not wait; ``progress`` tells how far it is)."""
        if self.state != "new":
            raise RuntimeError(f"this LiveTree is {self.state}; make a new one")
        if self.client.exists(self.path) is None:
            raise NoNodeError(f"{self.path} does not exist")
        self.state = "loading"
        self.client.add_listener(self._on_state)
        self._begin_load()
        if timeout is not None:
            self.wait_loaded(timeout)
        return self

    def wait_loaded(self, timeout: float = 60.0) -> None:
        """Wait until the current load is complete; raise ``TimeoutError`` otherwise."""
        if not self.loaded.wait(timeout):
            done, total = self.progress
            raise TimeoutError(f"LiveTree({self.path}) loaded {done} of ~{total} nodes in {timeout} s")
        if self._error is not None:
            raise self._error

    @property
    def progress(self) -> tuple[int, int | None]:
        """(nodes mirrored, nodes the server had below the root when loading began)."""
        with self._lock:
            return len(self.nodes), (self.total + 1 if self.total is not None else None)

    def close(self) -> None:
        """Stop mirroring and remove the watch from the server."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self.state = "closed"
        self.client.remove_listener(self._on_state)
        if self._persistent and self.client.connected:
            try:
                zkx.remove_watches(self.client, self.path)
            except (NoWatcherError, ConnectionLoss, ConnectionClosedError, SessionExpiredError):
                pass
        self._emit(TreeEvent("closed", self.path, time=time.monotonic()))

    def __enter__(self) -> "LiveTree":
        return self.start() if self.state == "new" else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str) -> LiveNode | None:
        return self.nodes.get(path)

    def __contains__(self, path: object) -> bool:
        return path in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self.nodes))

    def children(self, path: str) -> list[str]:
        node = self.nodes.get(path)
        return sorted(node.children) if node is not None else []

    def snapshot(self) -> dict[str, tuple[bytes | None, ZnodeStat | None]]:
        """``{path: (data, stat)}`` of the whole mirror, copied under the lock."""
        with self._lock:
            return {p: (n.data, n.stat) for p, n in self.nodes.items()}

    def structure(self) -> Mapping[str, frozenset[str]]:
        """``{path: children}`` of the whole mirror, copied under the lock."""
        with self._lock:
            return {p: n.children for p, n in self.nodes.items()}

    def graph(
        self,
        root: str | None = None,
        max_depth: int | None = None,
        include: Callable[[str], bool] | None = None,
        max_children: int | None = None,
        keep: Callable[[str], bool] | None = None,
        hints: Mapping[str, str] | None = None,
    ) -> Any:
        """The mirror as a ``networkx.DiGraph`` (edges parent -> child).

        Node attributes: ``name``, ``depth``, ``kind`` (persistent, ephemeral,
        sequential, ephemeral-sequential, container, ttl), ``owner`` (session id or
        0), ``stat``, ``data_length``, ``num_children``.

        Parameters
        ----------
        root, max_depth
            Draw from ``root``, at most ``max_depth`` levels below it.
        include
            ``include(path)``: keep only matching nodes and their ancestors.
        max_children
            Fold the children of a node beyond this many into one node of kind
            ``"more"`` (``count``, ``label`` ``"+N more"``), so that a view of a
            100,000-node tree draws a few hundred nodes.
        keep
            When folding, show the children for which ``keep(path)`` holds first
            (the nodes that just changed, the selected one).
        hints
            ``{path: kind}`` for what clients cannot see (containers, TTL nodes).
        """
        import networkx as nx

        from ..names import MORE, name_key
        from .kinds import node_kind

        root = (root or self.path).rstrip("/") or "/"
        base_depth = 0 if root == "/" else root.count("/")
        g = nx.DiGraph(root=root)
        with self._lock:
            if root not in self.nodes:
                return g
            wanted: set[str] | None = None
            if include is not None:
                wanted = set()
                for p in self.nodes:
                    if include(p):
                        q = p
                        while q not in wanted:
                            wanted.add(q)
                            if q == root or q == "/":
                                break
                            q = _parent(q)
            todo = [root]
            while todo:
                p = todo.pop()
                node = self.nodes[p]
                depth = (0 if p == "/" else p.count("/")) - base_depth
                st = node.stat
                g.add_node(
                    p,
                    name=p.rsplit("/", 1)[-1] or "/",
                    depth=depth,
                    kind=node_kind(p, st, hints),
                    owner=(st.ephemeralOwner if st is not None else 0),
                    stat=st,
                    data_length=(st.dataLength if st is not None else 0),
                    num_children=len(node.children),
                )
                if p != root:
                    g.add_edge(_parent(p), p)
                if not node.children:
                    continue
                if max_depth is not None and depth >= max_depth:
                    g.nodes[p]["hidden_children"] = len(node.children)
                    continue
                kids = [_join(p, n) for n in node.children]
                kids = [k for k in kids if k in self.nodes and (wanted is None or k in wanted)]
                if max_children is not None and len(kids) > max_children:
                    kids.sort(key=lambda k: name_key(k.rsplit("/", 1)[1]))
                    first = [k for k in kids if keep is not None and keep(k)][:max_children]
                    room = max_children - len(first)
                    shown = first + [k for k in kids if k not in set(first)][:room]
                    folded = len(kids) - len(shown)
                    more = f"{p.rstrip('/')}/+more"
                    g.add_node(more, kind=MORE, count=folded, label=f"+{folded} more",
                               name=f"+{folded} more", depth=depth + 1)
                    g.add_edge(p, more)
                    kids = shown
                todo.extend(kids)
        return g

    # -- events out ------------------------------------------------------------------

    def _emit(self, event: TreeEvent) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for cb in listeners:
            try:
                cb(event)
            except Exception:
                log.exception("LiveTree listener %r failed on %r", cb, event)

    # -- connection states -------------------------------------------------------------

    def _on_state(self, state: KazooState) -> None:
        # runs on kazoo's connection thread: do nothing blocking here
        self._emit(TreeEvent("session", self.path, time=time.monotonic(), detail=str(state)))
        if self._closed:
            return
        if state in (KazooState.SUSPENDED, KazooState.LOST):
            with self._lock:
                self._needs_resync = True
                self.state = "suspended"
        elif state == KazooState.CONNECTED and self._needs_resync:
            with self._lock:
                self._needs_resync = False
            # a new connection: the server has forgotten our watches
            self.client.handler.spawn(self._resync)

    def _resync(self) -> None:
        try:
            self._begin_load()
        except (ConnectionLoss, SessionExpiredError, ConnectionClosedError):
            with self._lock:
                self._needs_resync = True

    # -- loading ----------------------------------------------------------------------

    def _begin_load(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._gen += 1
            self.stats["loads"] += 1
            first = self._gen == 1
            self.state = "loading" if first else "resyncing"
            self.loaded.clear()
            self._queue.clear()
            self._loading = True
            self.truncated = False
        self._emit(TreeEvent("loading", self.path, time=time.monotonic(), detail=self._gen))
        self._watch_root()
        if self.use_multi is not False:
            try:
                self.total = zkx.get_all_children_number(self.client, self.path)
            except UnimplementedError:
                self.total = None
            except NoNodeError:
                self.total = 0
        with self._lock:
            self._queue.append(self.path)
        self._pump()

    def _watch_root(self) -> None:
        if self.use_multi is False:
            self._persistent = False
            return
        try:
            zkx.add_watch(self.client, self.path, self._on_watch, recursive=True)
            self._persistent = True
        except UnimplementedError:
            self._persistent = False
            self.use_multi = False

    def _take_tokens(self, want: int) -> int:
        if self.max_rate is None:
            return want
        now = time.monotonic()
        self._tokens = min(self.max_rate, self._tokens + (now - self._last_refill) * self.max_rate)
        self._last_refill = now
        n = min(want, int(self._tokens))
        self._tokens -= n
        return n

    def _pump(self) -> None:
        """Send load requests while there is room in the window."""
        while True:
            with self._lock:
                if self._closed or not self._queue or self._inflight >= self.window:
                    done = self._loading and not self._queue and self._inflight == 0
                    break
                n = self._take_tokens(min(self.batch, len(self._queue)))
                if n == 0:
                    delay = 1.0 / self.max_rate if self.max_rate else 0.01
                    threading.Timer(delay, self._pump).start()
                    return
                paths = [self._queue.popleft() for _ in range(n)]
                self._inflight += 1
                gen = self._gen
            self._send_batch(paths, gen)
        if done:
            self._finish_load()

    def _send_batch(self, paths: list[str], gen: int) -> None:
        self.stats["requests"] += 1
        if self.use_multi is not False:
            ops: list[J.MultiReadOp] = []
            for p in paths:
                full = zkx._full(self.client, p)
                ops.append(J.GetChildrenRequest(full, False))
                ops.append(J.GetDataRequest(full, False))
            result = zkx.multi_read_async(self.client, ops)
            result.rawlink(lambda r: self._on_batch(paths, gen, r))
            return
        # old servers: one getChildren and one getData per node, watched
        results = []
        for p in paths:
            results.append((
                self.client.get_children_async(p, watch=self._on_watch),
                self.client.get_async(p, watch=self._on_watch),
            ))
        remaining = [len(results)]

        def one_done(_r: Any) -> None:
            with self._lock:
                remaining[0] -= 1
                last = remaining[0] == 0
            if last:
                self._on_pairs(paths, gen, results)

        for _request, b in results:
            b.rawlink(one_done)

    def _on_batch(self, paths: list[str], gen: int, result: Any) -> None:
        try:
            resp: J.MultiResponse = result.get_nowait()
        except UnimplementedError:
            with self._lock:
                self._inflight -= 1
                self.use_multi = False
                self._queue.extendleft(reversed(paths))
            self._watch_root()
            self._pump()
            return
        except KazooException as e:
            self._load_failed(paths, gen, e)
            return
        pairs: list[tuple[str, Any, Any, Any]] = []
        res = resp.results
        for i, p in enumerate(paths):
            kids, data = res[2 * i], res[2 * i + 1]
            if isinstance(kids, J.GetChildrenResponse) and isinstance(data, J.GetDataResponse):
                pairs.append((p, kids.children, data.data, _stat(data.stat)))
            else:  # an error result: the node went during the load
                pairs.append((p, None, None, None))
        self._apply_loaded(pairs, gen)

    def _on_pairs(self, paths: list[str], gen: int, results: list[tuple[Any, Any]]) -> None:
        pairs = []
        for p, (ka, da) in zip(paths, results):
            try:
                kids = ka.get_nowait()
                data, stat = da.get_nowait()
            except NoNodeError:
                pairs.append((p, None, None, None))
                continue
            except KazooException as e:
                self._load_failed(paths, gen, e)
                return
            with self._lock:
                self._watching.add(p)
            pairs.append((p, kids, data, stat))
        self._apply_loaded(pairs, gen)

    def _load_failed(self, paths: list[str], gen: int, e: BaseException) -> None:
        with self._lock:
            self._inflight -= 1
            if gen != self._gen:
                return
            # the connection went away: the next CONNECTED starts a new load
            self._loading = False
            self._needs_resync = True
        log.debug("LiveTree load interrupted: %r", e)

    def _apply_loaded(self, pairs: list[tuple[str, Any, Any, Any]], gen: int) -> None:
        events: list[TreeEvent] = []
        with self._lock:
            self._inflight -= 1
            if gen != self._gen or self._closed:
                return
            now = time.monotonic()
            quiet = gen == 1  # the first load announces itself with one "loaded"
            for p, kids, data, stat in pairs:
                self.stats["reads"] += 1
                if stat is None:
                    events += self._remove(p, now)
                    continue
                events += self._upsert(p, data, stat, now, quiet)
                node = self.nodes.get(p)
                if node is None:
                    continue
                node.seen = gen
                names = frozenset(kids)
                if names != node.children:
                    old = node.children
                    node.children = names
                    if not quiet:
                        events.append(TreeEvent("children", p, stat, now, detail=len(names)))
                    for gone in old - names:
                        events += self._remove(_join(p, gone), now)
                for name in names:
                    child = _join(p, name)
                    if len(self.nodes) + len(self._queue) >= self.max_nodes:
                        if not self.truncated:
                            self.truncated = True
                            events.append(TreeEvent(
                                "truncated", self.path, None, now,
                                detail=f"more than max_nodes={self.max_nodes} nodes below {self.path}: "
                                       "the mirror holds only part of the tree"))
                        break
                    self._queue.append(child)
        for ev in events:
            self._emit(ev)
        self._pump()

    def _finish_load(self) -> None:
        events: list[TreeEvent] = []
        with self._lock:
            if not self._loading:
                return
            self._loading = False
            gen = self._gen
            now = time.monotonic()
            if gen > 1:
                # nodes no read of this load confirmed are gone
                for p in [p for p, n in self.nodes.items() if n.seen < gen]:
                    events += self._remove(p, now)
            self.state = "live"
            count = len(self.nodes)
        for ev in events:
            self._emit(ev)
        self._emit(TreeEvent("loaded" if gen == 1 else "resynced", self.path, time=time.monotonic(),
                             detail=count))
        self.loaded.set()

    # -- changes --------------------------------------------------------------------

    def _upsert(self, p: str, data: bytes | None, stat: ZnodeStat, now: float, quiet: bool,
                keep_data: bool = False) -> list[TreeEvent]:
        """Record that ``p`` exists with this data and stat (lock held)."""
        if p != self.path and not p.startswith(self.path.rstrip("/") + "/"):
            return []
        events: list[TreeEvent] = []
        node = self.nodes.get(p)
        if node is None:
            if len(self.nodes) >= self.max_nodes:
                return []
            node = LiveNode(p, stat, data)
            node.seen = self._gen
            self.nodes[p] = node
            waiting = self._orphans.pop(p, None)
            if waiting:  # children read before their parent
                node.children = frozenset(waiting)
            if p != self.path:
                name = p.rsplit("/", 1)[1]
                parent = self.nodes.get(_parent(p))
                if parent is not None:
                    if name not in parent.children:
                        parent.children = parent.children | {name}
                else:
                    self._orphans.setdefault(_parent(p), set()).add(name)
            if not quiet:
                events.append(TreeEvent("created", p, stat, now))
            return events
        node.seen = self._gen
        old = node.stat
        node.stat = stat
        if not keep_data:
            node.data = data
        if not quiet and old is not None and (old.mzxid != stat.mzxid or old.aversion != stat.aversion
                                              or old.version != stat.version):
            events.append(TreeEvent("data", p, stat, now))
        return events

    def _remove(self, p: str, now: float) -> list[TreeEvent]:
        """``p`` and everything below it are gone (lock held)."""
        node = self.nodes.get(p)
        if node is None:
            return []
        events = []
        todo = [p]
        gone = []
        while todo:
            q = todo.pop()
            n = self.nodes.get(q)
            if n is None:
                continue
            gone.append(q)
            todo.extend(_join(q, c) for c in n.children)
        for q in reversed(gone):  # children first
            del self.nodes[q]
            self._orphans.pop(q, None)
            self._watching.discard(q)
            events.append(TreeEvent("deleted", q, None, now))
        parent = self.nodes.get(_parent(p))
        if parent is not None and p != self.path:
            name = p.rsplit("/", 1)[1]
            if name in parent.children:
                parent.children = parent.children - {name}
        return events

    def _on_watch(self, event: WatchedEvent) -> None:
        """A watch fired: read the node it names (and, for a child change, its parent)."""
        if self._closed:
            return
        self.stats["events"] += 1
        path = event.path
        if self._persistent:
            # creations and deletions below come as their own events; the parent's
            # stat (cversion, pzxid) changes with them
            self._fetch(path)
            if event.type in ("CREATED", "DELETED") and path != self.path:
                self._fetch(_parent(path), stat_only=True)
            return
        with self._lock:
            self._watching.discard(path)
        self._fetch(path, children=True)

    def _fetch(self, path: str, children: bool = False, stat_only: bool = False) -> None:
        """Read a node (a later read always wins: the session answers in order)."""
        watch = None if self._persistent else self._on_watch
        self.stats["requests"] += 1
        try:
            if stat_only:
                data_r = self.client.exists_async(path)
            else:
                data_r = self.client.get_async(path, watch=watch)
            kids_r = self.client.get_children_async(path, watch=watch) if children else None
        except (ConnectionClosedError, SessionExpiredError):
            return

        def done(_r: Any) -> None:
            self._on_fetched(path, data_r, kids_r, stat_only)

        (kids_r or data_r).rawlink(done)

    def _on_fetched(self, path: str, data_r: Any, kids_r: Any, stat_only: bool) -> None:
        events: list[TreeEvent] = []
        try:
            if stat_only:
                stat = data_r.get_nowait()
                data = None
                if stat is None:
                    raise NoNodeError(path)
            else:
                data, stat = data_r.get_nowait()
            kids = kids_r.get_nowait() if kids_r is not None else None
        except NoNodeError:
            with self._lock:
                if not self._closed:
                    events = self._remove(path, time.monotonic())
            for ev in events:
                self._emit(ev)
            return
        except KazooException:
            return  # the connection went away: a resync follows
        new: list[str] = []
        with self._lock:
            if self._closed:
                return
            now = time.monotonic()
            events = self._upsert(path, data, stat, now, quiet=False, keep_data=stat_only)
            node = self.nodes.get(path)
            if node is not None and kids is not None:
                names = frozenset(kids)
                if names != node.children:
                    old = node.children
                    node.children = names
                    events.append(TreeEvent("children", path, stat, now, detail=len(names)))
                    for gone in old - names:
                        events += self._remove(_join(path, gone), now)
                    new = [_join(path, n) for n in names - old]
        for ev in events:
            self._emit(ev)
        for child in new:  # per-node watches: a new child is read and watched
            self._fetch(child, children=True)
