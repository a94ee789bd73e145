"""Read kazoo's recipes off a mirrored tree: lock queues, elections, parties,
semaphores, barriers and queues.

Each function takes anything with ``get(path)`` returning nodes with ``stat``,
``data`` and ``children`` (a :class:`~zkexplore.model.LiveTree`), and returns an
immutable picture of the recipe: who is in the queue in sequence order, who holds,
and whom each waiter watches.  Node naming follows kazoo (see
``../shared/ZOOKEEPER_FACTS.md``): ``<uuid>__lock__<seq>``, ``<uuid>__rlock__<seq>``,
``<uuid>__party__``, ``<uuid>-<identifier>``, ``entry-<priority>-<seq>``; the naive
lock of :mod:`zkexplore.actors` uses ``lock-<seq>`` and watches its parent.
Contenders are ordered by the last ten digits, never by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..names import sequence_of

__all__ = [
    "LockEntry", "LockQueue", "lock_queue", "Election", "election", "Party", "party",
    "SemaphoreState", "semaphore", "QueueState", "queue",
]  # fmt: skip


class _Tree(Protocol):
    def get(self, path: str) -> Any: ...


def _kids(tree: _Tree, path: str) -> list[str]:
    node = tree.get(path)
    return list(node.children) if node is not None else []


def _owner(tree: _Tree, path: str) -> int:
    node = tree.get(path)
    st = getattr(node, "stat", None)
    return int(st.ephemeralOwner) if st is not None else 0


def _ident(tree: _Tree, path: str) -> str:
    node = tree.get(path)
    data = getattr(node, "data", None)
    if not data:
        return ""
    return data.decode("utf-8", "replace")


@dataclass(frozen=True)
class LockEntry:
    """One contender of a lock."""

    path: str
    name: str
    seq: int
    kind: str  # "lock" (exclusive/write), "rlock" (read) or "naive"
    owner: int
    identifier: str
    holds: bool
    watches: str | None  # the path this waiter watches (kazoo: its predecessor)


@dataclass(frozen=True)
class LockQueue:
    """A lock's queue in sequence order."""

    path: str
    entries: tuple[LockEntry, ...] = ()

    @property
    def holders(self) -> list[LockEntry]:
        return [e for e in self.entries if e.holds]

    @property
    def holder(self) -> LockEntry | None:
        hs = self.holders
        return hs[0] if hs else None

    @property
    def waiters(self) -> list[LockEntry]:
        return [e for e in self.entries if not e.holds]

    def watch_arrows(self) -> list[tuple[str, str]]:
        """(waiter path, watched path) pairs."""
        return [(e.path, e.watches) for e in self.entries if e.watches is not None]


def lock_queue(tree: _Tree, path: str) -> LockQueue:
    """The queue of a kazoo Lock, ReadLock/WriteLock, or of the naive herd lock.

    kazoo's waiters each watch one node: a writer (``__lock__``) the nearest earlier
    node of either kind, a reader (``__rlock__``) the nearest earlier ``__lock__``.
    Readers before the first writer all hold.  Naive waiters watch the parent.
    """
    raw = []
    for name in _kids(tree, path):
        seq = sequence_of(name)
        if seq is None:
            continue
        if "__rlock__" in name:
            kind = "rlock"
        elif "__lock__" in name:
            kind = "lock"
        elif name.startswith("lock-"):
            kind = "naive"
        else:
            continue
        raw.append((seq, name, kind))
    raw.sort()
    entries = []
    seen_write = False
    for i, (seq, name, kind) in enumerate(raw):
        full = f"{path.rstrip('/')}/{name}"
        if kind == "naive":
            holds = i == 0
            watches = None if holds else path
        elif kind == "rlock":
            holds = not seen_write
            prev = [n for (_, n, k) in raw[:i] if k == "lock"]
            watches = None if holds else f"{path.rstrip('/')}/{prev[-1]}"
        else:
            holds = i == 0
            watches = None if holds else f"{path.rstrip('/')}/{raw[i - 1][1]}"
            seen_write = True
        entries.append(LockEntry(full, name, seq, kind, _owner(tree, full), _ident(tree, full), holds, watches))
    return LockQueue(path, tuple(entries))


@dataclass(frozen=True)
class Election:
    """A kazoo Election: candidates in sequence order; the first leads."""

    path: str
    candidates: tuple[LockEntry, ...] = ()

    @property
    def leader(self) -> LockEntry | None:
        return self.candidates[0] if self.candidates else None


def election(tree: _Tree, path: str) -> Election:
    """kazoo's Election is a Lock: ``<uuid>__lock__<seq>`` contenders."""
    return Election(path, lock_queue(tree, path).entries)


@dataclass(frozen=True)
class Party:
    path: str
    members: tuple[tuple[str, int, str], ...] = ()  # (name, owner, identifier)


def party(tree: _Tree, path: str) -> Party:
    """Party (``<uuid>__party__``) or ShallowParty (``<uuid>-<identifier>``) members."""
    out = []
    for name in sorted(_kids(tree, path)):
        full = f"{path.rstrip('/')}/{name}"
        if name.endswith("__party__"):
            ident = _ident(tree, full)
        elif len(name) > 33 and name[32] == "-":
            ident = name[33:]
        else:
            ident = _ident(tree, full) or name
        out.append((name, _owner(tree, full), ident))
    return Party(path, tuple(out))


@dataclass(frozen=True)
class SemaphoreState:
    path: str
    max_leases: int | None
    holders: tuple[tuple[str, int, str], ...] = ()
    waiters: tuple[LockEntry, ...] = ()


def semaphore(tree: _Tree, path: str) -> SemaphoreState:
    """kazoo Semaphore: holders under ``path``, waiters in ``path-__lock__``."""
    node = tree.get(path)
    leases = None
    if node is not None and node.data:
        try:
            leases = int(node.data)
        except ValueError:
            leases = None
    holders = []
    for name in sorted(_kids(tree, path)):
        full = f"{path.rstrip('/')}/{name}"
        holders.append((name, _owner(tree, full), _ident(tree, full)))
    waiters = lock_queue(tree, path + "-__lock__").entries
    return SemaphoreState(path, leases, tuple(holders), tuple(e for e in waiters))


@dataclass(frozen=True)
class QueueState:
    path: str
    items: tuple[tuple[str, int, int, bytes], ...] = field(default_factory=tuple)  # (name, prio, seq, data)


def queue(tree: _Tree, path: str) -> QueueState:
    """kazoo Queue entries ``entry-<priority:03d>-<seq>`` in the order they are taken."""
    items = []
    for name in _kids(tree, path):
        if not name.startswith("entry-"):
            continue
        parts = name.split("-")
        try:
            prio, seq = int(parts[1]), int(parts[-1])
        except (IndexError, ValueError):
            continue
        node = tree.get(f"{path.rstrip('/')}/{name}")
        items.append((name, prio, seq, getattr(node, "data", b"") or b""))
    items.sort(key=lambda x: (x[1], x[2]))
    return QueueState(path, tuple(items))


def owners_to_names(fleet_sessions: Mapping[int, str], owner: int) -> str:
    """An owner session as an actor name when known, else as hex."""
    return fleet_sessions.get(owner) or (f"0x{owner:x}" if owner else "-")
