"""TreeView: the live znode tree as a picture, with an inspector and a command line.

A thin widget: a :class:`~zkexplore.model.LiveTree` feeds it, the drawing is
:func:`~zkexplore.render.draw_tree`; the view only decides when to draw (at most
``fps`` frames a second, from a background thread, and only when something
changed or a change is still flashing) and shows the PNG in an ``Image`` widget.

It works wherever PNG works: in JupyterLab and Voilà the picture updates live; in
a static nbconvert render the output carries the current frame as ``image/png``
and the saved widget state carries the last one.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as W
import traitlets as T
from kazoo.client import KazooClient

from ..commands import CommandResult, format_data, format_stat, run_command
from ..model.livetree import TreeEvent
from ..render import draw_tree, new_figure, tree_layout
from ._frame import FrameView

__all__ = ["TreeView"]


class TreeView(FrameView):
    """The live tree at ``root``, drawn as a graph.

    Parameters
    ----------
    source : KazooClient, LiveTree or Ensemble
        What to show: a client (the view makes and owns its LiveTree), a LiveTree
        (shared; the view does not close it), or an ensemble (the view opens a client).
    root : str
        The subtree to show.
    max_depth, max_children, path_filter
        Initial values of the view's traits.
    fps : float
        Frames per second at most.
    hints : dict, optional
        ``{path: kind}`` for kinds clients cannot see (containers, TTL nodes).

    Examples
    --------
    >>> view = TreeView(zk, "/app")                                  # doctest: +SKIP
    >>> view                                                         # doctest: +SKIP
    >>> view.run("create -e /app/me hello").text                     # doctest: +SKIP
    'Created /app/me'
    >>> view.save("tree.png")                                        # doctest: +SKIP
    """

    root = T.Unicode("/", help="The subtree shown.")
    max_depth = T.Int(None, allow_none=True, help="Levels shown below the root (None: all).")
    max_children = T.Int(12, help="Children shown per node before folding into '+N more'.")
    path_filter = T.Unicode("", help="Show only paths containing this text (and their ancestors).")
    selected = T.Unicode(None, allow_none=True, help="The inspected node.")

    def __init__(
        self,
        source: Any,
        root: str = "/",
        *,
        max_depth: int | None = None,
        max_children: int = 12,
        path_filter: str = "",
        fps: float = 4.0,
        hints: dict[str, str] | None = None,
        flash_seconds: float = 2.0,
        title: str | None = None,
    ) -> None:
        super().__init__(fps=fps)
        self.tree, self._owns_tree = self._tree_from(source, root)
        self.client: KazooClient = self.tree.client
        self.hints = dict(hints or {})
        self.flash_seconds = flash_seconds
        self.title = title
        self._changed: dict[str, float] = {}
        self._lock = threading.Lock()

        self.header = W.HTML()
        self.progress = W.IntProgress(min=0, max=1, value=0, description="loading",
                                      layout=W.Layout(width="50%"))
        self.filter_box = W.Text(value=path_filter, placeholder="filter: path contains…",
                                 continuous_update=False, layout=W.Layout(width="30%"))
        self.depth_box = W.BoundedIntText(value=max_depth if max_depth is not None else 0, min=0, max=64,
                                          description="depth", tooltip="levels shown (0: all)",
                                          layout=W.Layout(width="130px"))
        self.picker = W.Combobox(placeholder="select a node…", ensure_option=False,
                                 continuous_update=False, layout=W.Layout(width="35%"))
        self.inspector = W.HTML()
        self.command = W.Text(placeholder="ls /  ·  get /x  ·  create -e /y data  ·  set /x v  ·  delete /x",
                              continuous_update=False, layout=W.Layout(width="70%"))
        self.output = W.HTML()
        self.children = [
            self.header,
            self.progress,
            self.image,
            W.HBox([self.filter_box, self.depth_box, self.picker]),
            self.inspector,
            W.HBox([W.HTML("<code>zk&gt;</code>"), self.command]),
            self.output,
            self.status,
        ]

        self.root = root
        self.max_depth = max_depth
        self.max_children = max_children
        self.path_filter = path_filter
        self.filter_box.observe(lambda ch: setattr(self, "path_filter", ch["new"]), "value")
        self.depth_box.observe(lambda ch: setattr(self, "max_depth", ch["new"] or None), "value")
        self.picker.observe(self._on_pick, "value")
        self.command.observe(self._on_command, "value")
        self.observe(lambda ch: self._dirty.set(), ["root", "max_depth", "max_children", "path_filter",
                                                     "selected"])
        self.observe(lambda ch: self._inspect(), "selected")

        self.tree.listen(self._on_tree)
        if self._owns_tree:
            self.tree.start(timeout=60)  # the first picture shows the loaded tree
        self._start_drawing()

    # -- drawing ----------------------------------------------------------------------

    def figure(self) -> Any:
        """A matplotlib Figure of the tree as it is now."""
        now = time.monotonic()
        with self._lock:
            flash = {p: now - t for p, t in self._changed.items() if now - t < self.flash_seconds}
        text = self.path_filter.strip()
        include: Callable[[str], bool] | None = (lambda p: text in p) if text else None
        g = self.tree.graph(root=self.root, max_depth=self.max_depth, include=include,
                            max_children=self.max_children,
                            keep=lambda p: p in flash or p == self.selected, hints=self.hints)
        pos = tree_layout(g, self.root)
        leaves = sum(1 for n in g if g.out_degree(n) == 0) or 1
        depth = max((-y for _, y in pos.values()), default=0)
        fig = new_figure(leaves, int(depth))
        ax = fig.add_subplot(111)
        count = len(self.tree)
        title = self.title or f"{self.root}   ·   {count} node{'s' if count != 1 else ''}   ·   {self.tree.state}"
        draw_tree(g, pos, ax, flash=flash, flash_seconds=self.flash_seconds, selected=self.selected,
                  title=title)
        return fig

    def animating(self) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(now - t < self.flash_seconds for t in self._changed.values())

    def _after_frame(self) -> None:
        done, total = self.tree.progress
        loading = self.tree.state in ("loading", "resyncing")
        self.progress.max = max(total or done, 1)
        self.progress.value = min(done, self.progress.max)
        self.progress.layout.display = "" if loading else "none"
        client = self.client
        state = getattr(client, "state", "?")
        self.header.value = (
            f"<b>{html.escape(self.root)}</b> &nbsp; {done} nodes &nbsp; "
            f"<span style='color:#666'>{html.escape(self.tree.state)} · session {html.escape(str(state))}</span>"
        )
        if len(self.tree) <= 5000:
            self.picker.options = tuple(sorted(self.tree))

    # -- events in ----------------------------------------------------------------------

    def _on_tree(self, event: TreeEvent) -> None:
        if event.path is not None and event.kind in ("created", "data", "deleted", "children"):
            with self._lock:
                self._changed[event.path] = event.time or time.monotonic()
                if len(self._changed) > 10_000:
                    cutoff = time.monotonic() - self.flash_seconds
                    self._changed = {p: t for p, t in self._changed.items() if t > cutoff}
            if event.path == self.selected:
                self._inspect()
        self._dirty.set()

    def _on_pick(self, change: dict[str, Any]) -> None:
        path = change["new"]
        if path and path in self.tree:
            self.selected = path

    def select(self, path: str | None) -> None:
        """Inspect ``path`` (its data, stat and ACL)."""
        if path is not None and path not in self.tree:
            raise KeyError(f"{path} is not in the tree")
        self.selected = path

    def _inspect(self) -> None:
        path = self.selected
        if not path:
            self.inspector.value = ""
            return
        node = self.tree.get(path)
        if node is None:
            self.inspector.value = f"<i>{html.escape(path)} is gone</i>"
            return
        kind, text = format_data(node.data)
        try:
            acls, _ = self.client.get_acls(path)
            acl_text = ", ".join(f"{a.id.scheme}:{a.id.id}:{_perms(a.perms)}" for a in acls)
        except Exception as e:
            acl_text = f"({type(e).__name__})"
        stat = format_stat(node.stat) if node.stat is not None else ""
        self.inspector.value = (
            f"<div style='font-family:monospace;font-size:12px'>"
            f"<b>{html.escape(path)}</b> <span style='color:#666'>({kind} data, "
            f"{len(node.data or b'')} bytes)</span>"
            f"<pre style='margin:2px 0;max-height:12em;overflow:auto'>{html.escape(text)}</pre>"
            f"<details><summary>stat and ACL</summary><pre>{html.escape(stat)}\nACL: {html.escape(acl_text)}"
            f"</pre></details></div>"
        )

    # -- commands -------------------------------------------------------------------------

    def run(self, line: str) -> CommandResult:
        """Run a zkCli-style command through this view's client and show the result.
        Writes are refused by a read-only client."""
        result = run_command(self.client, line)
        color = "#222" if result.ok else "#b00"
        body = html.escape(result.text) or ("ok" if result.ok else "")
        self.output.value = (
            f"<pre style='margin:0;color:{color};max-height:14em;overflow:auto'>"
            f"<span style='color:#888'>zk&gt; {html.escape(line)}</span>\n{body}</pre>"
        )
        with self._lock:
            for p in result.changed:
                self._changed[p] = time.monotonic()
        self._dirty.set()
        return result

    def _on_command(self, change: dict[str, Any]) -> None:
        line = change["new"].strip()
        if not line:
            return
        self.run(line)
        self.command.value = ""

    def close(self) -> None:
        """Stop drawing, stop listening, and close the LiveTree if the view made it."""
        if self._closed:
            return
        self.tree.unlisten(self._on_tree)
        if self._owns_tree:
            self.tree.close()
        super().close()


def _perms(bits: int) -> str:
    return "".join(c for c, b in zip("rwcda", (1, 2, 4, 8, 16)) if bits & b)
