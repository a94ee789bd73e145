"""Fleets of real kazoo clients running recipes with scripted behaviour.

An :class:`Actor` is one kazoo client in its own thread running one recipe: a
locker, a reader or writer, a semaphore holder, an election candidate, a party
member, a barrier waiter, a queue producer or consumer, or the *naive* lock that
watches all of its parent's children (the herd).  Every actor can ``leave()``
(gracefully), ``crash()`` (its connection gone but its session not closed, so its
ephemerals linger until the timeout), ``pause(seconds)`` (frozen like a long GC
pause: no heartbeats, and afterwards it still believes what it believed) or be
``cut(seconds)`` off the network.  Everything an actor does and sees goes into the
fleet's history as invoke/ok/fail/info operations with time and actor name.

What can fail: actors never raise into the caller; what went wrong is recorded as
``fail`` (it did not happen) or ``info`` (we do not know) in the history, and the
actor's ``state`` says where it is.  :meth:`Fleet.stop` stops every actor and
closes every client it opened.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from kazoo.client import KazooClient
from kazoo.exceptions import (
    ConnectionClosedError,
    ConnectionLoss,
    KazooException,
    LockTimeout,
    NoNodeError,
    SessionExpiredError,
)
from kazoo.protocol.states import KazooState, WatchedEvent

from ..client import cut_socket
from ..ensembles.base import Ensemble
from ..history import History
from ..names import sequence_of

__all__ = ["Fleet", "Actor", "FencedStore", "ACTOR_KINDS"]

#: actor kinds a Fleet can add
ACTOR_KINDS = (
    "locker", "naive_locker", "reader", "writer", "semaphore", "candidate", "member",
    "barrier", "producer", "consumer",
)  # fmt: skip


class _Stop(Exception):
    """The actor was told to leave."""


class FencedStore:
    """A resource that accepts a write only with a fencing token at least as high as
    any it has seen (the lock node's sequence number): a holder whose lease ran out
    while it was paused is rejected.  With ``fenced=False`` it accepts everything,
    which is how a lock without fencing corrupts data.
    """

    def __init__(self, history: History, fenced: bool = True, name: str = "store") -> None:
        self.history = history
        self.fenced = fenced
        self.name = name
        self.highest = -1
        self.writes: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def write(self, writer: str, token: int, value: Any) -> bool:
        """Write ``value``; returns False (and records a ``fail``) when fenced off."""
        self.history.invoke(writer, "write", {"token": token, "value": value, "store": self.name})
        with self._lock:
            stale = self.fenced and token < self.highest
            if not stale:
                self.highest = max(self.highest, token)
                self.writes.append({"writer": writer, "token": token, "value": value})
        if stale:
            self.history.fail(writer, "write", {"token": token, "value": value, "store": self.name},
                              error=f"stale fencing token {token} < {self.highest}")
            return False
        self.history.ok(writer, "write", {"token": token, "value": value, "store": self.name})
        return True


#: States set from outside that end what an actor's own thread can show.
_FINAL = frozenset({"crashed", "left", "closed"})


class Actor:
    """One kazoo client in a thread, running one recipe.  Made by :class:`Fleet`."""

    kind = "actor"

    def __init__(self, fleet: "Fleet", name: str, path: str, **params: Any) -> None:
        self.fleet = fleet
        self.name = name
        self.path = path
        self.params = params
        self._state_lock = threading.Lock()
        self._state = "starting"
        self._paused = False
        self._after_pause = ""  # the state its own thread set while it was paused
        self.token: int | None = None
        self.node: str | None = None
        self.wakeups = 0
        self.client: KazooClient = fleet.ensemble.client(
            timeout=params.get("session_timeout", fleet.session_timeout),
        )
        self.session_id = self.client.client_id[0]
        self._leave = threading.Event()
        self._frozen_until = 0.0
        self._crashed = False
        self._recipe: Any = None
        self._dead = False
        self.client.add_listener(self._on_state)
        self._count_watches()
        self._freezable()
        self.thread = threading.Thread(target=self._main, name=f"zkexplore-actor-{name}", daemon=True)

    # -- bookkeeping -------------------------------------------------------------------

    @property
    def state(self) -> str:
        """What it is doing: starting, waiting, holding, paused, crashed, done, ..."""
        return self._state

    @state.setter
    def state(self, value: str) -> None:
        # A paused actor is frozen: a step its thread was in the middle of (a lock
        # granted just before the pause) shows only when it thaws.  Once crashed,
        # left or closed, such a step shows never.
        with self._state_lock:
            if self._state in _FINAL:
                return
            if self._paused:
                self._after_pause = value
            else:
                self._state = value

    def _force_state(self, value: str) -> None:
        """Set the state from outside (crash, leave, stop), paused or not; the
        actor's own thread cannot change it afterwards."""
        with self._state_lock:
            self._state = value

    def _record(self, type: str, f: str, value: Any = None, error: str | None = None) -> None:
        self.fleet.history.append(type, self.name, f, value, error)

    def _on_state(self, state: KazooState) -> None:
        self._record("info", "session", {"state": str(state), "session": f"0x{self.session_id:x}"})
        if state == KazooState.CONNECTED and self.client.client_id:
            self.session_id = self.client.client_id[0]

    def _count_watches(self) -> None:
        handler = self.client.handler
        original = handler.dispatch_callback

        def dispatch(callback: Any) -> Any:
            if callback.type == "watch" and not self._crashed:
                self.wakeups += 1
                ev = callback.args[0] if callback.args else None
                if isinstance(ev, WatchedEvent):
                    self._record("info", "wake", {"event": ev.type, "path": ev.path})
            return original(callback)

        handler.dispatch_callback = dispatch

    def _freezable(self) -> None:
        """Let a pause freeze kazoo's connection thread, as a GC pause would: it
        sends no pings and notices nothing until it thaws."""
        handler = self.client.handler
        original = handler.select

        def select(*args: Any, **kwargs: Any) -> Any:
            while time.monotonic() < self._frozen_until:
                if self._dead:
                    raise OSError("the actor crashed")
                time.sleep(0.02)
            if self._dead:
                raise OSError("the actor crashed")
            return original(*args, **kwargs)

        handler.select = select

    @property
    def server(self) -> str | None:
        """``host:port`` of the server this actor's client is connected to."""
        sock = getattr(self.client._connection, "_socket", None)
        try:
            host, port = sock.getpeername()[:2] if sock is not None else (None, None)
        except OSError:
            return None
        return f"{host}:{port}" if host else None

    def _main(self) -> None:
        try:
            self.body()
            if self.state not in ("crashed", "left"):
                self.state = "done"
        except _Stop:
            self.state = "left"
        except (ConnectionClosedError, SessionExpiredError, ConnectionLoss) as e:
            if self.state not in ("crashed", "left"):
                self.state = "failed"
                self._record("info", self.kind, {"path": self.path}, error=type(e).__name__)
        except Exception as e:  # recorded, never raised into the notebook
            if self._crashed or self._leave.is_set():
                return  # stopped while waiting: nothing to report
            self.state = "failed"
            self._record("info", self.kind, {"path": self.path}, error=f"{type(e).__name__}: {e}")

    def body(self) -> None:
        raise NotImplementedError

    # -- time, as the actor sees it ----------------------------------------------------

    def _check(self) -> None:
        if self._leave.is_set() or self._crashed:
            raise _Stop()

    def _frozen(self) -> None:
        """Sleep through a pause: a paused actor notices nothing until it thaws."""
        while time.monotonic() < self._frozen_until:
            time.sleep(min(0.05, self._frozen_until - time.monotonic()))

    def sleep(self, seconds: float) -> None:
        """Sleep in small steps, leaving when told to; a pause stretches it."""
        end = time.monotonic() + seconds
        while True:
            self._frozen()
            self._check()
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(0.05, left))

    # -- what can happen to an actor -----------------------------------------------------

    def start(self) -> "Actor":
        self.thread.start()
        return self

    def leave(self, wait: float = 10.0) -> None:
        """Leave gracefully: release what it holds and close its session."""
        if self._crashed or self.state in ("left", "closed"):
            return
        self._record("invoke", "leave", {"path": self.path})
        self._leave.set()
        cancel = getattr(self._recipe, "cancel", None)
        if cancel is not None:
            with contextlib.suppress(Exception):
                cancel()
        self.thread.join(wait)
        with contextlib.suppress(Exception):
            self.client.stop()
        self.client.close()
        self._force_state("left")
        self._record("ok", "leave", {"path": self.path})

    def crash(self) -> None:
        """Die without closing the session: the connection drops, nothing more is
        sent, and its ephemerals stay until the server expires the session (the
        session timeout later)."""
        if self._crashed:
            return
        self._record("invoke", "crash", {"session": f"0x{self.session_id:x}"})
        self._crashed = True
        self._force_state("crashed")
        self._frozen_until = float("inf")  # its connection thread never runs again
        cut_socket(self.client)
        self._record("ok", "crash", {"session": f"0x{self.session_id:x}"})

    def pause(self, seconds: float) -> None:
        """Freeze for ``seconds``, like a stop-the-world GC pause: its client sends
        no heartbeats and notices nothing, and afterwards the actor carries on as if
        nothing happened.  Longer than the session timeout, its session expires
        meanwhile, and it finds out only after it thaws."""
        if self._crashed:
            return
        self._record("invoke", "pause", {"seconds": seconds})
        with self._state_lock:
            self._frozen_until = time.monotonic() + seconds
            if not self._paused:
                self._paused = True
                self._after_pause = self._state
            if self._state not in _FINAL:
                self._state = "paused"

        def thaw() -> None:
            time.sleep(seconds)
            with self._state_lock:
                # a later, longer pause thaws on its own
                if self._paused and time.monotonic() >= self._frozen_until:
                    self._paused = False
                    if self._state == "paused":
                        self._state = self._after_pause
            self._record("ok", "pause", {"seconds": seconds})

        threading.Thread(target=thaw, name=f"zkexplore-thaw-{self.name}", daemon=True).start()

    def cut(self, seconds: float = 0.0) -> None:
        """Cut this actor's connection at the ensemble (held off for ``seconds``)."""
        self.fleet.ensemble.disconnect(self.client, seconds)

    def stop(self) -> None:
        """Stop quietly (fleet teardown); a crashed actor's client is released too."""
        if self._crashed:
            self._dead = True  # its frozen connection thread may now end
        self._leave.set()
        cancel = getattr(self._recipe, "cancel", None)
        if cancel is not None and self.state not in ("left", "closed"):
            with contextlib.suppress(Exception):
                cancel()
        self._frozen_until = 0.0
        if self._crashed:
            # its recipe may be retrying on the dead connection: close the client
            # first, so that the retry fails at once
            with contextlib.suppress(Exception):
                self.client.stop()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(5)
        with contextlib.suppress(Exception):
            self.client.stop()
        with contextlib.suppress(Exception):
            self.client.close()
        if not self._crashed:
            self._force_state("closed")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.state} session=0x{self.session_id:x}>"


# -- the recipes ---------------------------------------------------------------------------


class Locker(Actor):
    """kazoo ``Lock``: acquire, hold ``hold`` seconds (writing to ``store`` with its
    fencing token if given), release; ``repeats`` times."""

    kind = "locker"

    def body(self) -> None:
        hold = float(self.params.get("hold", 1.0))
        repeats = int(self.params.get("repeats", 1))
        gap = float(self.params.get("gap", 0.1))
        store: FencedStore | None = self.params.get("store")
        lock = self._lock()
        self._recipe = lock
        for i in itertools.count():
            if repeats and i >= repeats:
                return
            self._check()
            self.state = "waiting"
            self._record("invoke", "acquire", {"path": self.path, **self._tags()})
            try:
                got = lock.acquire(timeout=self.params.get("timeout"))
            except LockTimeout:
                got = False
            if self._leave.is_set():
                raise _Stop()
            if not got:
                self._record("fail", "acquire", {"path": self.path, **self._tags()}, error="timeout")
                continue
            self.node = lock.node
            self.token = sequence_of(lock.node or "")
            self.state = "holding"
            self._record("ok", "acquire", {"path": self.path, "node": lock.node, "token": self.token,
                                           **self._tags()})
            try:
                self.sleep(hold)
                if store is not None:
                    store.write(self.name, self.token if self.token is not None else -1, f"{self.name}#{i}")
            finally:
                self._release(lock)
            self.sleep(gap)

    def _lock(self) -> Any:
        return self.client.Lock(self.path, identifier=self.name)

    def _tags(self) -> dict[str, Any]:
        """What this kind adds to its acquire records."""
        return {}

    def _release(self, lock: Any) -> None:
        if self._crashed:
            return
        self._record("invoke", "release", {"path": self.path, "token": self.token})
        try:
            lock.release()
            self._record("ok", "release", {"path": self.path, "token": self.token})
        except (SessionExpiredError, ConnectionLoss, ConnectionClosedError) as e:
            self._record("info", "release", {"path": self.path, "token": self.token}, error=type(e).__name__)
        self.state = "running"


class NaiveLocker(Actor):
    """The herd: create ``lock-<seq>``, and whenever *any* child of the lock node
    changes, re-read them all to see whether it is now first.  Every release wakes
    every waiter; counting ``wake`` ops shows it."""

    kind = "naive_locker"

    def body(self) -> None:
        hold = float(self.params.get("hold", 1.0))
        repeats = int(self.params.get("repeats", 1))
        self.client.ensure_path(self.path)
        for i in itertools.count():
            if repeats and i >= repeats:
                return
            self._check()
            self.state = "waiting"
            self._record("invoke", "acquire", {"path": self.path})
            me = self.client.create(f"{self.path}/lock-", self.name.encode(), ephemeral=True, sequence=True)
            name = me.rsplit("/", 1)[1]
            changed = threading.Event()
            while True:
                changed.clear()
                # bound now: a watch left from an earlier round must not wake a later one
                kids = self.client.get_children(self.path, watch=lambda ev, mine=changed: mine.set())
                order = sorted(kids, key=lambda k: sequence_of(k) or 0)
                if order and order[0] == name:
                    break
                while not changed.wait(0.05):
                    self._check()
            self.node = name
            self.token = sequence_of(name)
            self.state = "holding"
            self._record("ok", "acquire", {"path": self.path, "node": name, "token": self.token})
            self.sleep(hold)
            self._record("invoke", "release", {"path": self.path, "token": self.token})
            with contextlib.suppress(NoNodeError):
                self.client.delete(me)
            self._record("ok", "release", {"path": self.path, "token": self.token})
            self.state = "running"


class Reader(Locker):
    """kazoo ``ReadLock``: shared with other readers."""

    kind = "reader"

    def _lock(self) -> Any:
        return self.client.ReadLock(self.path, identifier=self.name)

    def _tags(self) -> dict[str, Any]:
        return {"mode": self.kind}


class Writer(Reader):
    """kazoo ``WriteLock``: excludes readers and other writers."""

    kind = "writer"

    def _lock(self) -> Any:
        return self.client.WriteLock(self.path, identifier=self.name)


class SemaphoreHolder(Actor):
    """kazoo ``Semaphore`` with ``max_leases`` leases."""

    kind = "semaphore"

    def body(self) -> None:
        sem = self.client.Semaphore(self.path, identifier=self.name,
                                    max_leases=int(self.params.get("max_leases", 2)))
        self._recipe = sem
        for i in itertools.count():
            if self.params.get("repeats", 1) and i >= int(self.params.get("repeats", 1)):
                return
            self._check()
            self.state = "waiting"
            self._record("invoke", "acquire", {"path": self.path})
            sem.acquire()
            if self._leave.is_set():
                raise _Stop()
            self.state = "holding"
            self._record("ok", "acquire", {"path": self.path})
            try:
                self.sleep(float(self.params.get("hold", 1.0)))
            finally:
                self._record("invoke", "release", {"path": self.path})
                with contextlib.suppress(KazooException):
                    sem.release()
                self._record("ok", "release", {"path": self.path})
                self.state = "running"


class Candidate(Actor):
    """kazoo ``Election``: when elected, lead for ``lead_for`` seconds (None: until
    it leaves, crashes or loses its session)."""

    kind = "candidate"

    def body(self) -> None:
        election = self.client.Election(self.path, identifier=self.name)
        self._recipe = election
        lead_for = self.params.get("lead_for")
        self.state = "waiting"
        self._record("invoke", "elect", {"path": self.path})

        def lead() -> None:
            self.state = "leader"
            self._record("ok", "elect", {"path": self.path})
            try:
                if lead_for is None:
                    while True:
                        self.sleep(0.05)
                        if self.client.state == KazooState.LOST:
                            return
                else:
                    self.sleep(float(lead_for))
            finally:
                if self.state == "leader":
                    self.state = "running"
                self._record("info", "step-down", {"path": self.path})

        election.run(lead)


class Member(Actor):
    """kazoo ``Party`` (or ``ShallowParty`` with ``shallow=True``): join, stay."""

    kind = "member"

    def body(self) -> None:
        cls = self.client.ShallowParty if self.params.get("shallow") else self.client.Party
        party = cls(self.path, identifier=self.name)
        self._record("invoke", "join", {"path": self.path})
        party.join()
        self.state = "member"
        self._record("ok", "join", {"path": self.path})
        try:
            while True:
                self.sleep(0.1)
        finally:
            if not self._crashed:
                with contextlib.suppress(KazooException):
                    party.leave()


class BarrierWaiter(Actor):
    """kazoo ``Barrier``: wait until the barrier node is removed."""

    kind = "barrier"

    def body(self) -> None:
        barrier = self.client.Barrier(self.path)
        self.state = "waiting"
        self._record("invoke", "pass", {"path": self.path})
        while not barrier.wait(timeout=0.2):
            self._check()
        self.state = "passed"
        self._record("ok", "pass", {"path": self.path})


class Producer(Actor):
    """kazoo ``Queue``: put ``items`` (every ``every`` seconds)."""

    kind = "producer"

    def body(self) -> None:
        q = self.client.Queue(self.path)
        for item in self.params.get("items", [b"job"]):
            self._check()
            data = item if isinstance(item, bytes) else str(item).encode()
            self._record("invoke", "put", {"path": self.path, "item": data.decode("utf-8", "replace")})
            q.put(data)
            self._record("ok", "put", {"path": self.path, "item": data.decode("utf-8", "replace")})
            self.sleep(float(self.params.get("every", 0.2)))


class Consumer(Actor):
    """kazoo ``Queue``: take items until told to leave."""

    kind = "consumer"

    def body(self) -> None:
        q = self.client.Queue(self.path)
        self.state = "waiting"
        while True:
            self._check()
            item = q.get()
            if item is None:
                self.sleep(0.1)
                continue
            self._record("ok", "take", {"path": self.path, "item": item.decode("utf-8", "replace")})
            self.sleep(float(self.params.get("work", 0.1)))


_KINDS: dict[str, type[Actor]] = {
    "locker": Locker, "naive_locker": NaiveLocker, "reader": Reader, "writer": Writer,
    "semaphore": SemaphoreHolder, "candidate": Candidate, "member": Member,
    "barrier": BarrierWaiter, "producer": Producer, "consumer": Consumer,
}  # fmt: skip


class Fleet:
    """Actors on one ensemble, sharing one history.

    Parameters
    ----------
    ensemble : Ensemble
        Where the actors' clients connect.
    history : History, optional
        Default: the ensemble's own history, so faults and actors share one timeline.
    session_timeout : float
        Each actor client's session timeout in seconds.

    Examples
    --------
    >>> fleet = Fleet(ens)                                            # doctest: +SKIP
    >>> a, b = fleet.lockers(2, "/locks/job", hold=0.5, repeats=3)    # doctest: +SKIP
    >>> a.crash()                                                     # doctest: +SKIP
    >>> fleet.stop()                                                  # doctest: +SKIP
    """

    def __init__(self, ensemble: Ensemble, history: History | None = None, session_timeout: float = 4.0) -> None:
        self.ensemble = ensemble
        self.history = history if history is not None else ensemble.history
        self.session_timeout = session_timeout
        self.actors: list[Actor] = []
        self._names: dict[str, int] = {}
        self._lock = threading.Lock()

    def _name(self, kind: str) -> str:
        with self._lock:
            n = self._names.get(kind, 0) + 1
            self._names[kind] = n
        short = {"naive_locker": "naive", "candidate": "cand", "semaphore": "sem"}.get(kind, kind)
        return f"{short}{n}"

    def add(self, kind: str, path: str, name: str | None = None, start: bool = True, **params: Any) -> Actor:
        """Add one actor of ``kind`` (see :data:`ACTOR_KINDS`) working on ``path``."""
        cls = _KINDS.get(kind)
        if cls is None:
            raise ValueError(f"no actor kind {kind!r}; kinds are {', '.join(_KINDS)}")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"path must start with '/', not {path!r}")
        name = name or self._name(kind)
        if any(a.name == name for a in self.actors):
            raise ValueError(f"there is already an actor named {name!r}")
        actor = cls(self, name, path, **params)
        self.actors.append(actor)
        self.history.info(name, "spawn", {"kind": kind, "path": path, "session": f"0x{actor.session_id:x}"})
        if start:
            actor.start()
        return actor

    def many(self, kind: str, n: int, path: str, stagger: float = 0.05, **params: Any) -> list[Actor]:
        """``n`` actors of ``kind`` on ``path``, started ``stagger`` seconds apart (so
        they queue in a known order)."""
        out = []
        for _ in range(n):
            out.append(self.add(kind, path, **params))
            time.sleep(stagger)
        return out

    def lockers(self, n: int, path: str, stagger: float = 0.05, **params: Any) -> list[Actor]:
        """``n`` kazoo-Lock actors on ``path``."""
        return self.many("locker", n, path, stagger, **params)

    def naive_lockers(self, n: int, path: str, stagger: float = 0.05, **params: Any) -> list[Actor]:
        """``n`` naive (herd) lock actors on ``path``."""
        return self.many("naive_locker", n, path, stagger, **params)

    def candidates(self, n: int, path: str, stagger: float = 0.05, **params: Any) -> list[Actor]:
        """``n`` kazoo-Election candidates on ``path``."""
        return self.many("candidate", n, path, stagger, **params)

    def store(self, fenced: bool = True, name: str = "store") -> FencedStore:
        """A resource that checks fencing tokens (or, unfenced, trusts everyone)."""
        return FencedStore(self.history, fenced=fenced, name=name)

    def by_session(self) -> dict[int, str]:
        """Actor name by session id (for views: whose node is this?)."""
        return {a.session_id: a.name for a in self.actors}

    def get(self, name: str) -> Actor:
        for a in self.actors:
            if a.name == name:
                return a
        raise KeyError(f"no actor named {name!r}")

    def wait_until(self, cond: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} not reached within {timeout} s")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop every actor and close every client they opened."""
        for a in list(self.actors):
            a.stop()
        for a in self.actors:
            with contextlib.suppress(ValueError), self.ensemble._clients_lock:
                self.ensemble._clients.remove(a.client)

    def __enter__(self) -> "Fleet":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

