"""Views of recipes in motion: LockView, ElectionView, PartyView, SemaphoreView,
BarrierView and QueueView.

Each reads the tree through a :class:`~zkexplore.model.LiveTree` (so it shows any
kazoo clients, not only actors) and, given a :class:`~zkexplore.actors.Fleet`,
names nodes by the actors that own them and marks paused or crashed actors.  Each
redraws when the tree or the fleet's history changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from kazoo.client import KazooClient

from ..history import Op
from ..model import recipes as R
from ..model.checkers import wakeups_per_release
from ..model.livetree import TreeEvent
from ..render.recipes import draw_lock_queue, draw_party, draw_semaphore
from ._frame import FrameView

__all__ = ["RecipeView", "LockView", "ElectionView", "PartyView", "SemaphoreView", "BarrierView", "QueueView"]


def _deepest_existing(zk: KazooClient, path: str) -> str:
    while path != "/" and zk.exists(path) is None:
        path = path.rsplit("/", 1)[0] or "/"
    return path


class RecipeView(FrameView):
    """Base: a recipe at ``path``, read from a LiveTree, named by a fleet."""

    def __init__(self, source: Any, path: str, fleet: Any = None, fps: float = 5.0) -> None:
        from ..ensembles.base import Ensemble

        super().__init__(fps=fps)
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"path must start with '/', not {path!r}")
        self.path = path
        self.fleet = fleet
        if isinstance(source, Ensemble):
            source = source.client()
        # mirror the deepest part of the path that exists now: the recipe may not yet
        root = _deepest_existing(source, path) if isinstance(source, KazooClient) else path
        self.tree, self._owns_tree = self._tree_from(source, root)
        self.tree.listen(self._on_tree)
        if fleet is not None:
            fleet.history.listen(self._on_op)
        if self._owns_tree:
            self.tree.start(timeout=30)
        self.children = [self.image, self.status]
        self._start_drawing()

    def _on_tree(self, event: TreeEvent) -> None:
        if event.path is None or event.path.startswith(self.path) or event.kind in ("loaded", "resynced"):
            self.redraw()

    def _on_op(self, op: Op) -> None:
        self.redraw()

    def names(self) -> Mapping[int, str]:
        return self.fleet.by_session() if self.fleet is not None else {}

    def states(self) -> Mapping[str, str]:
        return {a.name: a.state for a in self.fleet.actors} if self.fleet is not None else {}

    def _figure(self, width: float, height: float) -> Any:
        from matplotlib.figure import Figure

        return Figure(figsize=(width, height), dpi=100)

    def close(self) -> None:
        if self._closed:
            return
        self.tree.unlisten(self._on_tree)
        if self.fleet is not None:
            self.fleet.history.unlisten(self._on_op)
        if self._owns_tree:
            self.tree.close()
        super().close()


class LockView(RecipeView):
    """A lock's queue in sequence order: the holder, the waiters, each waiter's
    watch on the node before it, and the wake-ups each release caused.

    Examples
    --------
    >>> view = LockView(zk, "/locks/job", fleet=fleet)           # doctest: +SKIP
    >>> view.model().holder                                      # doctest: +SKIP
    """

    def model(self) -> R.LockQueue:
        """The queue as the tree shows it.  With a fleet, a crashed actor's entry
        keeps its place (its session lingers until it expires) but loses its watch
        arrow: watches live on a connection, and its connection is gone."""
        q = R.lock_queue(self.tree, self.path)
        if self.fleet is None:
            return q
        dead = {a.session_id for a in self.fleet.actors if a.state == "crashed"}
        if not dead:
            return q
        return R.LockQueue(q.path, tuple(
            dataclasses.replace(e, watches=None) if e.owner in dead else e for e in q.entries))

    def wakeups(self) -> list[int]:
        return wakeups_per_release(self.fleet.history, self.path) if self.fleet is not None else []

    def figure(self) -> Any:
        q = self.model()
        fig = self._figure(max(6.0, 1.25 * len(q.entries) + 2), 3.2)
        draw_lock_queue(q, fig.add_subplot(111), self.names(), self.states(), self.wakeups())
        return fig


class ElectionView(RecipeView):
    """Candidates of a kazoo Election; the leader is the first in sequence order."""

    def model(self) -> R.Election:
        return R.election(self.tree, self.path)

    def figure(self) -> Any:
        e = self.model()
        members = [(c.name, c.owner, c.identifier) for c in e.candidates]
        fig = self._figure(5.5, 4.5)
        leader = e.leader.name if e.leader else None
        names = self.names()
        who = (names.get(e.leader.owner) if e.leader else None) or (e.leader.identifier if e.leader else "")
        draw_party(members, fig.add_subplot(111), self.path, names, leader=leader,
                   title=f"election {self.path}   ·   leader: {who or 'none'}", states=self.states())
        return fig


class PartyView(RecipeView):
    """Members of a kazoo Party or ShallowParty."""

    def model(self) -> R.Party:
        return R.party(self.tree, self.path)

    def figure(self) -> Any:
        p = self.model()
        fig = self._figure(5.5, 4.5)
        draw_party(p.members, fig.add_subplot(111), self.path, self.names(), states=self.states())
        return fig


class SemaphoreView(RecipeView):
    """Leases of a kazoo Semaphore and its waiting queue."""

    def model(self) -> R.SemaphoreState:
        return R.semaphore(self.tree, self.path)

    def figure(self) -> Any:
        s = self.model()
        fig = self._figure(max(5.0, 1.4 * max(s.max_leases or 1, len(s.waiters)) + 1.5), 3.2)
        draw_semaphore(s, fig.add_subplot(111), self.names())
        return fig


class BarrierView(RecipeView):
    """A kazoo Barrier: closed while its node exists; who is waiting at it."""

    def model(self) -> dict[str, Any]:
        closed = self.tree.get(self.path) is not None
        waiting = []
        if self.fleet is not None:
            waiting = [a.name for a in self.fleet.actors if a.kind == "barrier" and a.path == self.path
                       and a.state == "waiting"]
        return {"closed": closed, "waiting": waiting}

    def figure(self) -> Any:
        from matplotlib.patches import Rectangle

        m = self.model()
        fig = self._figure(5.0, 2.6)
        ax = fig.add_subplot(111)
        ax.add_patch(Rectangle((1.4, -1), 0.2, 2, color="#b22222" if m["closed"] else "#cccccc",
                               gid="barrier"))
        for i, name in enumerate(m["waiting"]):
            ax.scatter([0.8], [0.8 - 0.4 * i], s=80, c="#4c72b0")
            ax.text(0.6, 0.8 - 0.4 * i, name, ha="right", va="center", fontsize=8)
        ax.set_xlim(-0.5, 3)
        ax.set_ylim(-1.5, 1.5)
        ax.set_axis_off()
        ax.set_title(f"barrier {self.path}   ·   {'closed' if m['closed'] else 'open'}   ·   "
                     f"{len(m['waiting'])} waiting", fontsize=10, loc="left")
        return fig


class QueueView(RecipeView):
    """A kazoo Queue's entries in the order they will be taken."""

    def model(self) -> R.QueueState:
        return R.queue(self.tree, self.path)

    def figure(self) -> Any:
        from matplotlib.patches import FancyBboxPatch

        q = self.model()
        fig = self._figure(max(5.0, 1.3 * min(len(q.items), 12) + 1.5), 2.4)
        ax = fig.add_subplot(111)
        for i, (_name, prio, seq, data) in enumerate(q.items[:12]):
            ax.add_patch(FancyBboxPatch((i * 1.3, -0.4), 1.1, 0.8, boxstyle="round,pad=0.05",
                                        fc="#c9d3e6", ec="#8899aa", gid="item"))
            ax.text(i * 1.3 + 0.55, 0.1, data.decode("utf-8", "replace")[:10], ha="center", fontsize=8)
            ax.text(i * 1.3 + 0.55, -0.25, f"p{prio} #{seq}", ha="center", fontsize=7, color="#555555")
        ax.set_xlim(-0.3, max(len(q.items[:12]), 3) * 1.3)
        ax.set_ylim(-1, 1)
        ax.set_axis_off()
        more = f" (+{len(q.items) - 12} more)" if len(q.items) > 12 else ""
        ax.set_title(f"queue {self.path}   ·   {len(q.items)} item{'s' if len(q.items) != 1 else ''}{more}",
                     fontsize=10, loc="left")
        return fig
