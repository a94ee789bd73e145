"""Checkers that read histories: did a lock ever have two holders at once?

:func:`check_mutex` reads lock operations from a :class:`~zkexplore.history.History`
(as recorded by :mod:`zkexplore.actors`): a process holds from its ``ok acquire``
until it stops using the lock, which is the first of its ``invoke release``, its
``crash``, or the moment it *learns* its session is gone (an ``info session LOST``).
Two holds of one lock that overlap, unless both are readers, are a violation.  A
process that was paused longer than its session timeout still believes it holds the
lock when it wakes: its hold overlaps its successor's, and the checker reports it.
:func:`wakeups_per_release` counts how many waiters each release woke.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..history import Op

__all__ = ["Hold", "Violation", "MutexReport", "check_mutex", "wakeups_per_release"]


@dataclass(frozen=True)
class Hold:
    process: str
    path: str
    token: int | None
    start: float
    end: float | None  # None: still held at the end of the history
    ended_by: str  # "release", "crash", "lost", "end"
    mode: str = "lock"  # "lock" or "reader"


@dataclass(frozen=True)
class Violation:
    path: str
    first: Hold
    second: Hold
    start: float
    end: float

    def __str__(self) -> str:
        return (f"{self.path}: {self.first.process} (token {self.first.token}) and "
                f"{self.second.process} (token {self.second.token}) both held it from "
                f"t={self.start:.2f}s to t={self.end:.2f}s")


@dataclass
class MutexReport:
    holds: list[Hold] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def __str__(self) -> str:
        if self.ok:
            return f"mutual exclusion held: {len(self.holds)} holds, no overlap"
        return "mutual exclusion violated:\n" + "\n".join(f"  {v}" for v in self.violations)


def _holds(ops: Iterable[Op], path: str | None) -> list[Hold]:
    open_: dict[str, tuple[float, str, int | None, str]] = {}
    out: list[Hold] = []
    last = 0.0

    def close(proc: str, t: float, why: str) -> None:
        start, p, token, mode = open_.pop(proc)
        out.append(Hold(proc, p, token, start, t, why, mode))

    for op in ops:
        last = max(last, op.time)
        v: Any = op.value if isinstance(op.value, dict) else {}
        if op.f == "acquire" and op.type == "ok":
            if path is None or v.get("path") == path:
                mode = "reader" if v.get("mode") == "reader" else "lock"
                open_[op.process] = (op.time, v.get("path", ""), v.get("token"), mode)
        elif op.process in open_:
            if op.f == "release" and op.type == "invoke":
                close(op.process, op.time, "release")
            elif op.f == "crash" and op.type == "invoke":
                close(op.process, op.time, "crash")
            elif op.f == "session" and op.type == "info" and v.get("state") == "LOST":
                close(op.process, op.time, "lost")
    for proc in list(open_):
        start, p, token, mode = open_.pop(proc)
        out.append(Hold(proc, p, token, start, None, "end", mode))
    return sorted(out, key=lambda h: h.start)


def check_mutex(history: Iterable[Op], path: str | None = None) -> MutexReport:
    """Find overlapping holds of a lock (of every lock, or only of ``path``).

    Examples
    --------
    >>> from zkexplore.history import History
    >>> h = History()
    >>> _ = h.ok("a", "acquire", {"path": "/l", "token": 0})
    >>> _ = h.ok("b", "acquire", {"path": "/l", "token": 1})
    >>> check_mutex(h).ok
    False
    """
    holds = _holds(list(history), path)
    report = MutexReport(holds=holds)
    for i, a in enumerate(holds):
        a_end = a.end if a.end is not None else float("inf")
        for b in holds[i + 1 :]:
            if b.start >= a_end:
                break
            if b.path != a.path or b.process == a.process:
                continue
            if a.mode == "reader" and b.mode == "reader":
                continue
            b_end = b.end if b.end is not None else float("inf")
            end = min(a_end, b_end)
            if end > b.start:
                report.violations.append(Violation(a.path, a, b, b.start, end))
    return report


def wakeups_per_release(history: Iterable[Op], path: str) -> list[int]:
    """For each release of the lock at ``path``: how many *other* processes a watch
    woke between it and the next release (the recipe wakes one; the herd wakes
    every waiter).  A holder's crash counts as a release: its node goes when its
    session expires, and the wake-ups that follow are that release's."""
    out: list[int] = []
    counting: set[str] | None = None
    releaser = ""
    holder = ""
    for op in history:
        v: Any = op.value if isinstance(op.value, dict) else {}
        ours = v.get("path") == path
        if op.f == "acquire" and op.type == "ok" and ours:
            holder = op.process
        elif (op.f == "release" and op.type == "invoke" and ours) or (
            op.f == "crash" and op.type == "invoke" and op.process == holder
        ):
            if counting is not None:
                out.append(len(counting))
            counting = set()
            releaser, holder = op.process, ""
        elif op.f == "wake" and counting is not None and op.process != releaser:
            if str(v.get("path", "")).startswith(path):
                counting.add(op.process)
    if counting is not None:
        out.append(len(counting))
    return out
