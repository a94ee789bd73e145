"""The ensemble interface: a hosts string for kazoo, and faults on purpose.

Every ensemble (simulated, local real servers, a production ensemble) offers the
same names, so notebooks, views and tests work on any of them:

``start()``, ``stop()``, context manager, ``hosts``, ``client(**kazoo_kwargs)``,
``servers[i]`` (``id``, ``address``, ``role``, ``state``, ``stop()``, ``kill()``,
``start()``, ``pause()``, ``resume()``), ``leader``, ``partition(*groups)``,
``heal()``, ``disconnect(client)``, ``set_latency(ms)``, ``expire_session(client)``
and ``history``.

Every fault is recorded in ``history`` as an ``invoke`` followed by ``ok`` or
``fail`` from the process ``"nemesis"``.  A fault an ensemble cannot inject raises
:class:`~zkexplore.errors.FaultNotSupported` naming the fault and the reason, and
is recorded as ``fail``.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import Any

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

from ..errors import EnsembleError, FaultNotSupported, ZkExploreError
from ..history import History

__all__ = ["Ensemble", "Server", "ROLES", "STATES", "RECONNECT"]

log = logging.getLogger(__name__)

#: Where the clients zkexplore makes log kazoo's connection messages ("Connection
#: dropped", "Transition to CONNECTING"): silent unless the program configures logging,
#: as the views and state logs already show those transitions.
CLIENT_LOG = logging.getLogger("zkexplore.client")

#: How the clients an ensemble hands out reconnect: without end, 50 ms at first,
#: then at most every 0.5 s (a KazooClient's default doubles the wait, up to an hour).
RECONNECT: dict[str, float] = {"max_tries": -1, "delay": 0.05, "backoff": 1.5, "max_delay": 0.5}

ROLES = ("leader", "follower", "looking", "down")
STATES = ("up", "down", "paused")

_live_ensembles: "weakref.WeakSet[Ensemble]" = weakref.WeakSet()


@atexit.register
def _stop_all_at_exit() -> None:
    for ens in list(_live_ensembles):
        with contextlib.suppress(Exception):
            ens.stop()


class Server(ABC):
    """One server of an ensemble, as its clients and its operator see it."""

    ensemble: "Ensemble"
    id: int

    @property
    @abstractmethod
    def address(self) -> str:
        """``host:port`` that clients connect to."""

    @property
    @abstractmethod
    def role(self) -> str:
        """``"leader"``, ``"follower"``, ``"looking"`` (up but not serving) or ``"down"``."""

    @property
    @abstractmethod
    def state(self) -> str:
        """``"up"``, ``"down"`` or ``"paused"``."""

    def four_letter(self, word: str, timeout: float = 5.0) -> str:
        """Send a four-letter word (``ruok``, ``srvr``, ``mntr``, ...) and return the answer."""
        raise FaultNotSupported(f"send {word!r}", self.ensemble.kind, "no four-letter words here")

    def _fault(self, f: str) -> "contextlib.AbstractContextManager[None]":
        return self.ensemble._fault(f, server=self.id)

    def stop(self) -> None:
        """Shut the server down cleanly."""
        with self._fault("stop"):
            self._stop()

    def kill(self) -> None:
        """Kill the server at once (SIGKILL): no goodbye to anyone."""
        with self._fault("kill"):
            self._kill()

    def start(self, timeout: float = 60.0) -> None:
        """Start a stopped or killed server; returns when it serves (or, with no
        quorum to join, when it answers four-letter words)."""
        with self._fault("start"):
            self._start(timeout)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP-like): it neither answers nor times anyone out."""
        with self._fault("pause"):
            self._pause()

    def resume(self) -> None:
        """Thaw a paused server."""
        with self._fault("resume"):
            self._resume()

    def _stop(self) -> None:
        raise FaultNotSupported("stop a server", self.ensemble.kind, self.ensemble._why_no_faults)

    def _kill(self) -> None:
        raise FaultNotSupported("kill a server", self.ensemble.kind, self.ensemble._why_no_faults)

    def _start(self, timeout: float) -> None:
        raise FaultNotSupported("start a server", self.ensemble.kind, self.ensemble._why_no_faults)

    def _pause(self) -> None:
        raise FaultNotSupported("pause a server", self.ensemble.kind, self.ensemble._why_no_faults)

    def _resume(self) -> None:
        raise FaultNotSupported("resume a server", self.ensemble.kind, self.ensemble._why_no_faults)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} id={self.id} {self.address}>"


class Ensemble(ABC):
    """Base class of every ensemble; see the module docstring for the surface."""

    #: Short name used in messages ("LocalEnsemble", ...).
    kind = "Ensemble"
    #: Why server faults are impossible here (used in FaultNotSupported messages).
    _why_no_faults = "this ensemble does not inject faults"

    def __init__(self) -> None:
        self.history = History()
        self.servers: list[Server] = []
        self._clients: list[KazooClient] = []
        self._clients_lock = threading.Lock()
        self._started = False

    # -- lifecycle -----------------------------------------------------------------

    @abstractmethod
    def _start(self) -> None: ...

    @abstractmethod
    def _stop(self) -> None: ...

    def start(self) -> "Ensemble":
        """Start the ensemble; returns when a quorum serves.  Returns ``self``."""
        if self._started:
            return self
        _live_ensembles.add(self)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self._started = True
        return self

    def stop(self) -> None:
        """Stop every client handed out, then the ensemble.  Safe to call twice."""
        self._close_clients()
        try:
            self._stop()
        finally:
            self._started = False
            _live_ensembles.discard(self)

    def __enter__(self) -> "Ensemble":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def started(self) -> bool:
        return self._started

    # -- clients -------------------------------------------------------------------

    @property
    @abstractmethod
    def hosts(self) -> str:
        """The hosts string for kazoo: ``"127.0.0.1:p1,127.0.0.1:p2,..."``."""

    def server(self, ref: "int | Server") -> Server:
        """A server by id (``int``) or the server itself."""
        if isinstance(ref, Server):
            if ref.ensemble is not self:
                raise ValueError(f"{ref!r} belongs to another ensemble")
            return ref
        if isinstance(ref, bool) or not isinstance(ref, int):
            raise TypeError(f"a server is an id (int) or a Server, not {ref!r}")
        for s in self.servers:
            if s.id == ref:
                return s
        raise ValueError(
            f"no server with id {ref}; ids are {[s.id for s in self.servers]}"
        )

    def _make_client(self, **kazoo_kwargs: Any) -> KazooClient:
        return KazooClient(**kazoo_kwargs)

    def client(
        self, server: "int | Server | None" = None, start_timeout: float = 15.0, **kazoo_kwargs: Any
    ) -> KazooClient:
        """A started :class:`kazoo.client.KazooClient` on this ensemble.

        Parameters
        ----------
        server : int or Server, optional
            Connect only to this server (by id) instead of to any of them.
        start_timeout : float
            Seconds to wait for the connection.
        **kazoo_kwargs
            Passed to ``KazooClient`` (``timeout``, ``auth_data``, ...).  Its ``logger``
            defaults to ``logging.getLogger("zkexplore.client")``, and its
            ``connection_retry`` to :data:`RECONNECT`: after a fault it tries again at
            least every half second, where kazoo's own default doubles its wait up to an hour,
            so that a healed partition or a restarted server shows at once.

        The client is stopped and closed with the ensemble.
        """
        self._require_started()
        kazoo_kwargs.setdefault("logger", CLIENT_LOG)
        kazoo_kwargs.setdefault("connection_retry", dict(RECONNECT))
        if server is not None:
            kazoo_kwargs.setdefault("hosts", self.server(server).address)
        kazoo_kwargs.setdefault("hosts", self.hosts)
        zk = self._make_client(**kazoo_kwargs)
        try:
            zk.start(timeout=start_timeout)
        except BaseException:
            with contextlib.suppress(Exception):
                zk.stop()
            zk.close()
            raise
        with self._clients_lock:
            self._clients.append(zk)
        return zk

    def _close_clients(self) -> None:
        with self._clients_lock:
            clients, self._clients = self._clients, []
        for zk in clients:
            with contextlib.suppress(Exception):
                zk.stop()
            with contextlib.suppress(Exception):
                zk.close()

    def _require_started(self) -> None:
        if not self._started:
            raise EnsembleError(f"{self.kind} is not started: call start() or use `with`")

    # -- servers -------------------------------------------------------------------

    @property
    def leader(self) -> Server | None:
        """The server that currently leads, or ``None`` during an election."""
        for s in self.servers:
            if s.role == "leader":
                return s
        return None

    def wait_for_leader(self, timeout: float = 30.0) -> Server:
        """Wait until a leader serves and return it."""
        deadline = time.monotonic() + timeout
        while True:
            lead = self.leader
            if lead is not None:
                return lead
            if time.monotonic() > deadline:
                raise EnsembleError(f"{self.kind}: no leader after {timeout:.0f} s")
            time.sleep(0.05)

    # -- faults --------------------------------------------------------------------

    def restore(self, timeout: float = 60.0) -> None:
        """Undo every fault: heal partitions, remove latency, resume paused servers,
        start stopped ones; returns when every server serves again."""
        self._require_started()
        with self._fault("restore"):
            self._restore(timeout)

    def _restore(self, timeout: float) -> None:
        self._heal()
        self._set_latency(0.0, "all")
        for s in self.servers:
            if s.state == "paused":
                s._resume()
        for s in self.servers:
            if s.state == "down":
                s._start(timeout)
        deadline = time.monotonic() + timeout
        while not all(s.role in ("leader", "follower") for s in self.servers):
            if time.monotonic() > deadline:
                roles = {s.id: s.role for s in self.servers}
                raise EnsembleError(f"{self.kind}: servers not all serving after restore: {roles}")
            time.sleep(0.05)

    @contextlib.contextmanager
    def _fault(self, f: str, **value: Any) -> Iterator[None]:
        self.history.invoke("nemesis", f, value or None)
        try:
            yield
        except BaseException as e:
            self.history.fail("nemesis", f, value or None, error=f"{type(e).__name__}: {e}")
            raise
        self.history.ok("nemesis", f, value or None)

    def _groups(self, groups: Iterable["Iterable[int | Server] | int | Server"]) -> list[set[int]]:
        out: list[set[int]] = []
        seen: set[int] = set()
        for g in groups:
            if isinstance(g, (int, Server)):
                g = [g]
            ids = {self.server(s).id for s in g}
            if ids & seen:
                raise ValueError(f"server {sorted(ids & seen)[0]} is in two partition groups")
            seen |= ids
            if ids:
                out.append(ids)
        rest = {s.id for s in self.servers} - seen
        if rest:
            out.append(rest)
        if len(out) < 2:
            raise ValueError("a partition needs at least two groups of servers")
        return out

    def partition(self, *groups: "Iterable[int | Server] | int | Server") -> None:
        """Split the servers into groups that cannot reach each other.

        Each group is a list of server ids (or servers); servers named in no group
        form one more group.  ``partition([1], [2, 3])`` isolates server 1.
        Clients keep reaching every server; a server cut off from the quorum stops
        serving its clients, as ZooKeeper does.
        """
        self._require_started()
        parts = self._groups(groups)
        with self._fault("partition", groups=[sorted(g) for g in parts]):
            self._partition(parts)

    def heal(self) -> None:
        """Undo every partition."""
        self._require_started()
        with self._fault("heal"):
            self._heal()

    def disconnect(self, client: KazooClient, seconds: float = 0.0) -> None:
        """Cut a client's connection.  With ``seconds`` > 0 its reconnections are
        refused for that long (longer than its session timeout expires the session)."""
        self._require_started()
        sid = _session_id(client)
        with self._fault("disconnect", session=f"0x{sid:x}", seconds=seconds):
            self._disconnect(client, sid, seconds)

    def set_latency(self, ms: float, between: str = "clients") -> None:
        """Add ``ms`` milliseconds to every round trip (half on each direction).

        ``between`` is ``"clients"`` (client to server), ``"servers"`` (server to
        server) or ``"all"``.  ``set_latency(0)`` removes it.
        """
        self._require_started()
        if between not in ("clients", "servers", "all"):
            raise ValueError(f"between must be 'clients', 'servers' or 'all', not {between!r}")
        if not ms >= 0:
            raise ValueError(f"latency must be >= 0 ms, not {ms!r}")
        with self._fault("set_latency", ms=ms, between=between):
            self._set_latency(float(ms), between)

    def expire_session(self, client: KazooClient, timeout: float = 10.0) -> None:
        """Expire a client's session on the server side.

        The server forgets the session and deletes its ephemeral nodes; the
        client sees ``LOST`` (this waits for it) and kazoo then opens a new session.
        """
        self._require_started()
        sid = _session_id(client)
        lost = threading.Event()

        def listener(state: KazooState) -> None:
            if state == KazooState.LOST:
                lost.set()

        client.add_listener(listener)
        try:
            with self._fault("expire_session", session=f"0x{sid:x}"):
                self._expire(client, sid)
                if not lost.wait(timeout):
                    raise EnsembleError(
                        f"session 0x{sid:x} was expired but its client did not see LOST "
                        f"within {timeout:.0f} s"
                    )
        finally:
            client.remove_listener(listener)

    def _expire(self, client: KazooClient, sid: int) -> None:
        # The server-side way: a second client attaches to the session with its
        # password and closes it; the server ends the session for everyone.
        _, passwd = client.client_id
        thief = KazooClient(hosts=self.hosts, client_id=(sid, passwd), timeout=client._session_timeout / 1000.0)
        try:
            thief.start(timeout=10)
            thief.stop()
        finally:
            thief.close()

    def _partition(self, groups: list[set[int]]) -> None:
        raise FaultNotSupported("partition", self.kind, self._why_no_faults)

    def _heal(self) -> None:
        raise FaultNotSupported("heal", self.kind, self._why_no_faults)

    def _disconnect(self, client: KazooClient, sid: int, seconds: float) -> None:
        raise FaultNotSupported("disconnect a client", self.kind, self._why_no_faults)

    def _set_latency(self, ms: float, between: str) -> None:
        raise FaultNotSupported("add latency", self.kind, self._why_no_faults)

    def __repr__(self) -> str:
        state = "started" if self._started else "stopped"
        return f"<{self.kind} {len(self.servers)} servers, {state}>"


def _session_id(client: KazooClient) -> int:
    if not isinstance(client, KazooClient):
        raise TypeError(f"expected a KazooClient, not {type(client).__name__}")
    sid = client.client_id[0] if client.client_id else None
    if not sid or not client.connected:
        raise ZkExploreError("this client has no live session (is it connected?)")
    return int(sid)
