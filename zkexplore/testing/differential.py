"""The differential harness: run one scenario on two ensembles and compare.

A *scenario* is a short function of a :class:`Trial`.  It opens clients, calls
kazoo, waits for watch events and may inject faults through ``trial.ensemble``;
every step it records goes into a *trace*, normalised so that two correct
ensembles give equal traces:

- zxids become offsets from the first zxid the trial saw (``"+3"``), with epochs
  counted from the first epoch (``"e+1:2"`` is the second txn after one election);
  zxid 0 stays 0;
- session ids become ``"s1"``, ``"s2"``, ... in the order the trial's clients
  connected; times (ctime, mtime) become ``"T"``;
- children lists are sorted (ZooKeeper does not define their order), bytes become
  ``"b:text"`` or ``"hex:..."``, exceptions their kazoo class name.

The traces of a real ZooKeeper are stored with the package
(``zkexplore/testing/traces/real/<scenario>.json``) so a simulated ensemble can be
checked against them without Java.  Regenerate them with
``python -m zkexplore.testing.record``.

What can fail: a scenario that raises outside ``trial.do`` fails the run with that
exception (a harness or scenario bug, not an ensemble difference); a watch event
that does not come within its timeout is recorded as missing, which is a difference.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException, NoAuthError, NoNodeError
from kazoo.protocol.states import KazooState, WatchedEvent, ZnodeStat
from kazoo.security import ACL

from ..ensembles.base import Ensemble, Server

__all__ = [
    "Scenario",
    "Trial",
    "SCENARIOS",
    "scenario",
    "run_scenario",
    "diff_traces",
    "load_trace",
    "save_trace",
    "TRACE_DIR",
    "load_corpus",
    "delete_tree",
]

TRACE_DIR = os.path.join(os.path.dirname(__file__), "traces")
ROOT = "/t"


@dataclass(frozen=True)
class Scenario:
    """A named scenario function and what it needs."""

    name: str
    fn: Callable[["Trial"], None]
    doc: str = ""
    tags: tuple[str, ...] = ()
    #: it injects faults: the harness restores the ensemble afterwards
    faults: bool = False


SCENARIOS: dict[str, Scenario] = {}


def scenario(
    name: str | None = None, *, tags: Iterable[str] = (), faults: bool = False
) -> Callable[[Callable[["Trial"], None]], Callable[["Trial"], None]]:
    """Register a scenario function in :data:`SCENARIOS` (a decorator)."""

    def register(fn: Callable[["Trial"], None]) -> Callable[["Trial"], None]:
        key = name or fn.__name__
        if key in SCENARIOS and SCENARIOS[key].fn is not fn:
            raise ValueError(f"two scenarios are named {key!r}")
        SCENARIOS[key] = Scenario(key, fn, (fn.__doc__ or "").strip(), tuple(tags), faults)
        return fn

    return register


def load_corpus() -> dict[str, Scenario]:
    """Import the stored corpus (:mod:`zkexplore.testing.scenarios`) and return it."""
    importlib.import_module("zkexplore.testing.scenarios")
    return SCENARIOS


class _Normalizer:
    def __init__(self) -> None:
        self.base: tuple[int, int] | None = None
        self.sessions: dict[int, str] = {}

    def session(self, sid: int) -> str | int:
        if not sid:
            return 0
        return self.sessions.get(sid, "s?")

    def add_session(self, sid: int) -> str:
        if sid not in self.sessions:
            self.sessions[sid] = f"s{len(self.sessions) + 1}"
        return self.sessions[sid]

    def zxid(self, z: int) -> str | int:
        if z == 0:
            return 0
        epoch, counter = z >> 32, z & 0xFFFFFFFF
        if self.base is None:
            self.base = (epoch, counter)
        e0, c0 = self.base
        if epoch == e0:
            d = counter - c0
            return f"+{d}" if d >= 0 else str(d)
        return f"e{epoch - e0:+d}:{counter}"

    def stat(self, st: ZnodeStat) -> dict[str, Any]:
        return {
            "czxid": self.zxid(st.czxid),
            "mzxid": self.zxid(st.mzxid),
            "pzxid": self.zxid(st.pzxid),
            "ctime": "T" if st.ctime > 0 else st.ctime,
            "mtime": "T" if st.mtime > 0 else st.mtime,
            "version": st.version,
            "cversion": st.cversion,
            "aversion": st.aversion,
            "ephemeralOwner": self.session(st.ephemeralOwner),
            "dataLength": st.dataLength,
            "numChildren": st.numChildren,
        }

    def value(self, v: Any) -> Any:
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, (bytes, bytearray, memoryview)):
            b = bytes(v)
            try:
                text = b.decode("utf-8")
                if text.isprintable():
                    return "b:" + text
            except UnicodeDecodeError:
                pass
            return "hex:" + b.hex()
        if isinstance(v, ZnodeStat):
            return self.stat(v)
        if isinstance(v, WatchedEvent):
            return {"event": v.type, "state": v.state, "path": v.path}
        if isinstance(v, ACL):
            return {"perms": v.perms, "scheme": v.id.scheme, "id": v.id.id}
        if isinstance(v, KazooState):
            return str(v)
        if isinstance(v, BaseException):
            return {"error": type(v).__name__}
        if isinstance(v, dict):
            return {str(k): self.value(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [self.value(x) for x in v]
        if isinstance(v, (set, frozenset)):
            return sorted(self.value(x) for x in v)
        raise TypeError(f"cannot normalise {type(v).__name__} for a trace")


@dataclass(eq=False)
class _Watcher:
    events: list[WatchedEvent] = field(default_factory=list)
    seen: int = 0
    cond: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, event: WatchedEvent) -> None:
        with self.cond:
            self.events.append(event)
            self.cond.notify_all()


class Trial:
    """One run of a scenario on one ensemble; records a normalised trace.

    Examples
    --------
    >>> def create_and_get(t):                                 # doctest: +SKIP
    ...     zk = t.client()
    ...     t.do("create", zk.create, t.path("a"), b"hello")
    ...     t.do("get", zk.get, t.path("a"), watch=t.watcher("w"))
    ...     t.do("set", zk.set, t.path("a"), b"bye")
    ...     t.events("w", 1)
    """

    def __init__(self, ensemble: Ensemble, root: str = ROOT) -> None:
        self.ensemble = ensemble
        self.root = root
        self.trace: list[list[Any]] = []
        self.norm = _Normalizer()
        self.clients: dict[str, KazooClient] = {}
        self._states: dict[str, list[KazooState]] = {}
        self._watchers: dict[str, _Watcher] = {}
        self._default_server = ensemble.servers[0] if ensemble.servers else None

    # -- building blocks ---------------------------------------------------------

    def path(self, *parts: str) -> str:
        """A path under the trial's root: ``t.path("a", "b") == "/t/a/b"``."""
        return "/".join([self.root, *parts]) if parts else self.root

    def client(self, name: str | None = None, server: "int | Server | str | None" = None,
               **kazoo_kwargs: Any) -> KazooClient:
        """A connected client.  By default it talks to the first server only, so
        runs are repeatable; ``server="any"`` gives it every server."""
        name = name or f"c{len(self.clients) + 1}"
        if name in self.clients:
            raise ValueError(f"two clients named {name!r}")
        if server is None:
            server = self._default_server
        if server == "any":
            zk = self.ensemble.client(**kazoo_kwargs)
        else:
            zk = self.ensemble.client(server=server, **kazoo_kwargs)  # type: ignore[arg-type]
        self.clients[name] = zk
        states: list[KazooState] = []
        self._states[name] = states
        zk.add_listener(states.append)
        self.norm.add_session(zk.client_id[0])
        return zk

    def session_of(self, name: str) -> str | int:
        return self.norm.session(self.clients[name].client_id[0])

    def record(self, label: str, value: Any) -> Any:
        """Record any value (normalised) under ``label``; returns the value."""
        self.trace.append(["value", label, self.norm.value(value)])
        return value

    def do(self, label: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``fn``; record its result, or the kazoo error it raised, under ``label``.

        Kazoo errors are recorded and swallowed (return ``None``); any other
        exception propagates (it is a scenario bug).
        """
        try:
            result = fn(*args, **kwargs)
        except (KazooException, ValueError, TypeError) as e:
            self.trace.append(["call", label, {"error": type(e).__name__}])
            return None
        out = result
        if isinstance(result, list) and all(isinstance(x, str) for x in result):
            out = sorted(result)
        elif isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], list):
            out = (sorted(result[0]), result[1])  # get_children(include_data=True)
        self.trace.append(["call", label, self.norm.value(out)])
        return result

    def watcher(self, name: str) -> _Watcher:
        """A watch callback that collects events under ``name`` (same name, same one)."""
        if name not in self._watchers:
            self._watchers[name] = _Watcher()
        return self._watchers[name]

    def events(self, name: str, count: int = 1, timeout: float = 5.0) -> list[WatchedEvent]:
        """Wait for ``count`` new events on watcher ``name``; record every new one."""
        w = self.watcher(name)
        with w.cond:
            w.cond.wait_for(lambda: len(w.events) - w.seen >= count, timeout)
            new = w.events[w.seen :]
            w.seen = len(w.events)
        self.trace.append(["events", name, self.norm.value(new)])
        return new

    def states(self, name: str, count: int, timeout: float = 20.0) -> list[str]:
        """Wait until client ``name`` has seen ``count`` state changes; record them."""
        states = self._states[name]
        deadline = time.monotonic() + timeout
        while len(states) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        got = [str(s) for s in states[:count]]
        self.trace.append(["states", name, got])
        return got

    def wait(self, cond: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> None:
        """Wait for ``cond()`` to be true (not recorded); fail the scenario if it never is."""
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} not reached within {timeout} s")
            time.sleep(0.01)

    # -- the end ---------------------------------------------------------------------

    def finish(self) -> None:
        """Flush: a sync round trip per client brings every triggered event in, then
        the events no scenario step collected are recorded as late; close clients."""
        for zk in self.clients.values():
            if zk.connected:
                with contextlib.suppress(KazooException):
                    zk.sync("/")
        for name, w in sorted(self._watchers.items()):
            with w.cond:
                late = w.events[w.seen :]
                w.seen = len(w.events)
            if late:
                self.trace.append(["late-events", name, self.norm.value(late)])
        self.close()

    def close(self) -> None:
        clients, self.clients = self.clients, {}
        for zk in clients.values():
            with contextlib.suppress(Exception):
                zk.stop()
            with contextlib.suppress(Exception):
                zk.close()
            with contextlib.suppress(ValueError), self.ensemble._clients_lock:
                self.ensemble._clients.remove(zk)


def delete_tree(zk: KazooClient, path: str) -> None:
    """Delete ``path`` and below; a node we may not list is taken to be a leaf
    (deleting a child needs DELETE on the parent, not rights on the child)."""
    try:
        children = zk.get_children(path)
    except NoAuthError:
        children = []
    except NoNodeError:
        return
    for child in children:
        delete_tree(zk, f"{path}/{child}")
    with contextlib.suppress(NoNodeError):
        zk.delete(path)


def _prepare(ensemble: Ensemble, root: str) -> None:
    admin = ensemble.client()
    try:
        delete_tree(admin, root)
        admin.create(root)
    finally:
        admin.stop()
        admin.close()
        with contextlib.suppress(ValueError), ensemble._clients_lock:
            ensemble._clients.remove(admin)


def run_scenario(sc: Scenario | str, ensemble: Ensemble) -> list[list[Any]]:
    """Run one scenario on a started ensemble and return its normalised trace.

    The ensemble is restored first (every fault undone) and again after a scenario
    that injects faults.
    """
    if isinstance(sc, str):
        sc = load_corpus()[sc]
    ensemble.restore()
    _prepare(ensemble, ROOT)
    trial = Trial(ensemble)
    try:
        sc.fn(trial)
        trial.finish()
    finally:
        trial.close()
        if sc.faults:
            ensemble.restore()
    return trial.trace


def _trace_path(kind: str, name: str, trace_dir: str = TRACE_DIR) -> str:
    return os.path.join(trace_dir, kind, f"{name}.json")


def save_trace(kind: str, name: str, trace: list[list[Any]], trace_dir: str = TRACE_DIR) -> str:
    path = _trace_path(kind, name, trace_dir)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(_dump(trace) + "\n")
    return path


def load_trace(kind: str, name: str, trace_dir: str = TRACE_DIR) -> list[list[Any]]:
    with open(_trace_path(kind, name, trace_dir)) as f:
        return json.load(f)


def _dump(trace: list[list[Any]]) -> str:
    lines = ",\n".join("  " + json.dumps(step, sort_keys=True) for step in trace)
    return "[\n" + lines + "\n]" if trace else "[]"


def diff_traces(expected: list[list[Any]], actual: list[list[Any]],
                names: tuple[str, str] = ("expected", "actual")) -> str:
    """A unified diff of two traces, one step per line; empty when they are equal."""
    a = _dump(expected).splitlines()
    b = _dump(actual).splitlines()
    if a == b:
        return ""
    return "\n".join(difflib.unified_diff(a, b, names[0], names[1], lineterm="", n=2))
