"""Histories: what clients and faults did, in order, with time.

A history is a list of operations in the style of Jepsen: each step of a process
(an actor, or ``"nemesis"`` for faults) is recorded when it is *invoked* and again
when it completes, as ``ok``, ``fail`` (it certainly did not happen) or ``info``
(we do not know: a timeout or a lost connection).  Timelines and checkers read
histories rather than live objects, so they work the same on recorded runs.

A :class:`History` is safe to append to from many threads.  Listeners are called
in the appending thread, after the operation is stored; an exception in a listener
is logged and does not stop the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Op", "History", "OP_TYPES"]

log = logging.getLogger(__name__)

OP_TYPES = ("invoke", "ok", "fail", "info")


@dataclass(frozen=True, slots=True)
class Op:
    """One step of one process.

    Attributes
    ----------
    index : int
        Position in the history.
    type : str
        ``"invoke"``, ``"ok"``, ``"fail"`` or ``"info"``.
    process : str
        Who did it: an actor's name, or ``"nemesis"`` for faults.
    f : str
        What was done: ``"acquire"``, ``"kill"``, ``"partition"``, ...
    value : Any
        Arguments or result (plain data: dicts, lists, strings, numbers).
    time : float
        Seconds since the history started (a monotonic clock).
    wall : float
        Wall-clock time (``time.time()``) of the same moment.
    error : str or None
        For ``fail``/``info``: what went wrong.
    """

    index: int
    type: str
    process: str
    f: str
    value: Any = None
    time: float = 0.0
    wall: float = 0.0
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "type": self.type,
            "process": self.process,
            "f": self.f,
            "value": self.value,
            "time": self.time,
            "wall": self.wall,
            "error": self.error,
        }


@dataclass
class History:
    """A thread-safe, append-only list of :class:`Op`.

    Examples
    --------
    >>> h = History()
    >>> op = h.invoke("nemesis", "kill", {"server": 1})
    >>> _ = h.ok("nemesis", "kill", {"server": 1})
    >>> [o.type for o in h]
    ['invoke', 'ok']
    """

    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    _ops: list[Op] = field(default_factory=list, repr=False)
    _listeners: list[Callable[[Op], None]] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.start = self.clock()

    def append(
        self,
        type: str,
        process: str,
        f: str,
        value: Any = None,
        error: str | None = None,
    ) -> Op:
        """Record one operation and return it."""
        if type not in OP_TYPES:
            raise ValueError(f"op type must be one of {OP_TYPES}, not {type!r}")
        with self._lock:
            op = Op(
                index=len(self._ops),
                type=type,
                process=str(process),
                f=f,
                value=value,
                time=self.clock() - self.start,
                wall=self.wall_clock(),
                error=error,
            )
            self._ops.append(op)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(op)
            except Exception:  # a broken view must not break the recorder
                log.exception("history listener %r failed", listener)
        return op

    def invoke(self, process: str, f: str, value: Any = None) -> Op:
        return self.append("invoke", process, f, value)

    def ok(self, process: str, f: str, value: Any = None) -> Op:
        return self.append("ok", process, f, value)

    def fail(self, process: str, f: str, value: Any = None, error: str | None = None) -> Op:
        return self.append("fail", process, f, value, error)

    def info(self, process: str, f: str, value: Any = None, error: str | None = None) -> Op:
        return self.append("info", process, f, value, error)

    def listen(self, callback: Callable[[Op], None]) -> Callable[[Op], None]:
        """Call ``callback(op)`` for every new op; usable as a decorator."""
        with self._lock:
            self._listeners.append(callback)
        return callback

    def unlisten(self, callback: Callable[[Op], None]) -> None:
        with self._lock:
            if callback in self._listeners:
                self._listeners.remove(callback)

    def ops(self, process: str | None = None, f: str | None = None) -> list[Op]:
        """The ops so far, optionally only those of one process and/or function."""
        with self._lock:
            ops = list(self._ops)
        return [
            o for o in ops if (process is None or o.process == process) and (f is None or o.f == f)
        ]

    def __iter__(self) -> Iterator[Op]:
        return iter(self.ops())

    def __len__(self) -> int:
        with self._lock:
            return len(self._ops)

    def __getitem__(self, i: int) -> Op:
        with self._lock:
            return self._ops[i]
