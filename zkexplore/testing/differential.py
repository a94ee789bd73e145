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
  ``"b:text"`` or ``"hex:..."``, exceptions their kazoo class name;
- what a raw client (:meth:`Trial.raw`, :mod:`zkexplore.testing.rawclient`) gets
  back: replies as ``{"xid", "zxid", "err", "body"}`` with error codes by name,
  jute records as dicts of their fields, connect responses with the password
  reduced to ``"zero"`` or ``"set"``, notifications like kazoo's events.

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

from ..client import to_stat
from ..ensembles.base import Ensemble, Server
from ..sim import jute as J
from .rawclient import Notification, RawClient, RawReply

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
        if isinstance(v, RawReply):
            return {"xid": v.xid, "zxid": self.zxid(v.zxid) if v.zxid >= 0 else v.zxid,
                    "err": v.err_name, "body": self.value(v.body)}
        if isinstance(v, Notification):
            return {"event": _enum_name(J.EventType, v.event.type),
                    "state": _enum_name(J.KeeperState, v.event.state), "path": v.event.path}
        if isinstance(v, J.JuteRecord):
            return self.record(v)
        if isinstance(v, dict):
            return {str(k): self.value(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [self.value(x) for x in v]
        if isinstance(v, (set, frozenset)):
            return sorted(self.value(x) for x in v)
        raise TypeError(f"cannot normalise {type(v).__name__} for a trace")

    #: fields of jute records whose order ZooKeeper does not define
    _UNORDERED = frozenset({"children", "ephemerals", "client_info"})

    def record(self, r: J.JuteRecord) -> Any:
        """A jute record as a dict of its (normalised) fields."""
        if isinstance(r, J.Stat):
            return self.stat(to_stat(r))
        if isinstance(r, J.ConnectResponse):
            return {"timeout": r.timeout, "session": self.session(r.session_id),
                    "passwd": "zero" if not any(r.passwd or b"") else "set",
                    "read_only": r.read_only}
        if isinstance(r, J.ErrorResult):
            return {"error": _enum_name(J.Err, r.err)}
        out: dict[str, Any] = {"type": type(r).__name__}
        for f in _fields_of(r):
            x = getattr(r, f)
            if f in self._UNORDERED:
                out[f] = sorted((self.value(i) for i in x), key=lambda i: json.dumps(i, sort_keys=True))
            else:
                out[f] = self.value(x)
        return out


def _fields_of(r: J.JuteRecord) -> tuple[str, ...]:
    names = getattr(type(r), "_fields", None)
    if names is None:
        import dataclasses

        names = tuple(f.name for f in dataclasses.fields(r))  # type: ignore[arg-type]
    return tuple(names)


def _enum_name(enum: Any, code: int) -> str | int:
    try:
        return enum(code).name
    except ValueError:
        return code


@dataclass(eq=False)
class _Watcher:
    events: list[WatchedEvent] = field(default_factory=list)
    seen: int = 0
    cond: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, event: WatchedEvent) -> None:
        # kazoo's own farewell to the watches left when a client stops: no server
        # sends it, and whether it arrives races kazoo's handler shutting down
        if event.type == "NONE" and event.state == "CLOSED":
            return
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
        self.raws: dict[str, RawClient] = {}
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

    def raw(self, name: str | None = None, server: "int | Server | None" = None, *,
            connect: bool = True, io_timeout: float = 5.0, **connect_kwargs: Any) -> RawClient:
        """A :class:`~zkexplore.testing.rawclient.RawClient` on one server (the first
        by default), connected with ``connect_kwargs`` (``timeout_ms``,
        ``session_id``, ``passwd``, ``read_only``, ...) unless ``connect=False``.

        Every session it is granted gets a label (``"s1"``, ...) as a kazoo
        client's would; at the end of the trial its session is closed, reconnecting
        to it if needed, so that no session outlives the scenario.
        """
        name = name or f"r{len(self.raws) + 1}"
        if name in self.raws:
            raise ValueError(f"two raw clients named {name!r}")
        srv = self.ensemble.server(server if server is not None else self._default_server)  # type: ignore[arg-type]
        raw = RawClient(srv.address, io_timeout=io_timeout, on_session=self.norm.add_session)
        self.raws[name] = raw
        if connect:
            raw.connect(**connect_kwargs)
        return raw

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
        elif (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], list)
              and all(isinstance(x, str) for x in result[0])):
            out = (sorted(result[0]), result[1])  # get_children(include_data=True), not ACLs
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

    def lag(self, server: Server, seconds: float) -> None:
        """Make ``server`` apply commits late: the simulation's ``lag``; on a real
        ensemble, latency between servers (so the result a scenario records must not
        depend on which)."""
        if hasattr(server, "lag"):
            server.lag(seconds)
        else:
            self.ensemble.set_latency(seconds * 2000.0, between="servers")

    def wait(self, cond: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> None:
        """Wait for ``cond()`` to be true (not recorded); fail the scenario if it never is."""
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} not reached within {timeout} s")
            time.sleep(0.01)

    # -- the end ---------------------------------------------------------------------

    def finish(self) -> None:
        """Flush: a sync round trip per client (a ping per raw client) brings every
        triggered event in, then the events no scenario step collected are recorded
        as late; close clients (ending raw clients' sessions)."""
        for zk in self.clients.values():
            if zk.connected:
                with contextlib.suppress(KazooException):
                    zk.sync("/")
        for name, raw in sorted(self.raws.items()):
            if not raw.closed:
                with contextlib.suppress(OSError, TimeoutError, J.JuteError):
                    raw.ping()
            late, raw.events = raw.events, []
            if late:
                self.trace.append(["late-events", name, self.norm.value(late)])
        for name, w in sorted(self._watchers.items()):
            with w.cond:
                late = w.events[w.seen :]
                w.seen = len(w.events)
            if late:
                self.trace.append(["late-events", name, self.norm.value(late)])
        self.close()

    def close(self) -> None:
        raws, self.raws = self.raws, {}
        addresses = [s.address for s in self.ensemble.servers]
        for raw in raws.values():
            raw.end(alternatives=addresses)
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
