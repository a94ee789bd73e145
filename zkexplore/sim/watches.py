"""Watches of one simulated server, as ZooKeeper 3.8's ``WatchManager`` keeps them.

Watches belong to a *connection* on one server, not to a session: when the
connection closes they are gone (kazoo does not send SetWatches after it
reconnects, so its watches are lost then, exactly as with a real server).

Two tables, as in ZooKeeper's ``DataTree``: data watches (getData, exists) and
child watches (getChildren); persistent and persistent-recursive watches are in
both.  A watcher has one mode per path (3.8 keeps the last one
set).  One-shot watches go when they fire; persistent ones stay; a recursive
watch on an ancestor sees every event below it except NodeChildrenChanged.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from typing import Any

from .jute import EventType

__all__ = ["WatchManager", "STANDARD", "PERSISTENT", "PERSISTENT_RECURSIVE"]

STANDARD = 0
PERSISTENT = 1
PERSISTENT_RECURSIVE = 2


def _ancestors(path: str) -> Iterator[str]:
    while path != "/":
        i = path.rfind("/")
        path = path[:i] if i > 0 else "/"
        yield path


class _Table:
    __slots__ = ("by_path", "by_watcher", "recursive")

    def __init__(self) -> None:
        self.by_path: dict[str, dict[Hashable, int]] = {}
        self.by_watcher: dict[Hashable, set[str]] = {}
        self.recursive = 0

    def add(self, path: str, watcher: Hashable, mode: int) -> None:
        modes = self.by_path.setdefault(path, {})
        old = modes.get(watcher)
        if old == PERSISTENT_RECURSIVE:
            self.recursive -= 1
        if mode == PERSISTENT_RECURSIVE:
            self.recursive += 1
        modes[watcher] = mode
        self.by_watcher.setdefault(watcher, set()).add(path)

    def remove(self, path: str, watcher: Hashable) -> bool:
        modes = self.by_path.get(path)
        if not modes or watcher not in modes:
            return False
        if modes.pop(watcher) == PERSISTENT_RECURSIVE:
            self.recursive -= 1
        if not modes:
            del self.by_path[path]
        paths = self.by_watcher.get(watcher)
        if paths is not None:
            paths.discard(path)
            if not paths:
                del self.by_watcher[watcher]
        return True

    def remove_watcher(self, watcher: Hashable) -> None:
        for path in list(self.by_watcher.get(watcher, ())):
            self.remove(path, watcher)

    def trigger(self, path: str, type: int, suppress: set[Hashable] | None) -> tuple[list[Hashable], set[Hashable]]:
        fired: list[Hashable] = []
        seen: set[Hashable] = set()
        paths: Iterable[str] = (path, *_ancestors(path)) if self.recursive else (path,)
        for i, local in enumerate(paths):
            modes = self.by_path.get(local)
            if not modes:
                continue
            for watcher, mode in list(modes.items()):
                if mode == PERSISTENT_RECURSIVE:
                    if type == EventType.NodeChildrenChanged:
                        continue
                elif i > 0:
                    continue
                elif mode == STANDARD:
                    self.remove(local, watcher)
                if watcher not in seen:
                    seen.add(watcher)
                    if suppress is None or watcher not in suppress:
                        fired.append(watcher)
        return fired, seen

    def count(self) -> int:
        return sum(len(m) for m in self.by_path.values())


class WatchManager:
    """The data and child watch tables of one server.

    Examples
    --------
    >>> w = WatchManager()
    >>> w.add_data("/a", "conn1")
    >>> w.fire("/a", EventType.NodeDataChanged)
    ['conn1']
    >>> w.fire("/a", EventType.NodeDataChanged)
    []
    """

    def __init__(self) -> None:
        self.data = _Table()
        self.child = _Table()

    def add_data(self, path: str, watcher: Hashable, mode: int = STANDARD) -> None:
        self.data.add(path, watcher, mode)

    def add_child(self, path: str, watcher: Hashable, mode: int = STANDARD) -> None:
        self.child.add(path, watcher, mode)

    def add_persistent(self, path: str, watcher: Hashable, recursive: bool) -> None:
        """``addWatch``: the watch goes in both tables (so ``mntr`` counts a recursive
        watch twice, as 3.8 does); a recursive one never fires NodeChildrenChanged."""
        mode = PERSISTENT_RECURSIVE if recursive else PERSISTENT
        self.data.add(path, watcher, mode)
        self.child.add(path, watcher, mode)

    def fire(self, path: str, type: int) -> list[Any]:
        """The watchers told of one DataTree event, as ZooKeeper fires it."""
        if type == EventType.NodeDeleted:
            fired, seen = self.data.trigger(path, type, None)
            more, _ = self.child.trigger(path, type, seen)
            return fired + more
        if type == EventType.NodeChildrenChanged:
            return self.child.trigger(path, type, None)[0]
        return self.data.trigger(path, type, None)[0]

    def has(self, path: str, watcher: Hashable, kind: int) -> bool:
        """Whether ``watcher`` watches ``path`` (kind: 1 children, 2 data, 3 any)."""
        data = watcher in self.data.by_path.get(path, {})
        child = watcher in self.child.by_path.get(path, {})
        return {1: child, 2: data}.get(kind, data or child)

    def remove(self, path: str, watcher: Hashable, kind: int) -> bool:
        """removeWatches: kind 1 children, 2 data, 3 any; True if one was removed."""
        removed = False
        if kind in (1, 3):
            removed |= self.child.remove(path, watcher)
        if kind in (2, 3):
            removed |= self.data.remove(path, watcher)
        return removed

    def remove_watcher(self, watcher: Hashable) -> None:
        """A connection closed: forget all its watches."""
        self.data.remove_watcher(watcher)
        self.child.remove_watcher(watcher)

    def count(self) -> int:
        """Every watch in both tables (``mntr``'s ``zk_watch_count``)."""
        return self.data.count() + self.child.count()

    def data_paths_by_watcher(self) -> dict[Hashable, set[str]]:
        return {w: set(p) for w, p in self.data.by_watcher.items()}

    def data_watchers_by_path(self) -> dict[str, list[Hashable]]:
        return {p: list(m) for p, m in self.data.by_path.items()}
