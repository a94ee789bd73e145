"""The machinery every picture view shares: a PNG ``Image`` widget redrawn from a
background thread at a bounded frame rate, only when something changed (or while
something is still animating), plus ``render()``, ``save()`` and a static
``image/png`` for nbconvert."""

from __future__ import annotations

import base64
import html
import threading
import time
import weakref
from typing import Any

import ipywidgets as W
import traitlets as T

from ..render import render_png

__all__ = ["FrameView", "close_all"]

_live: "weakref.WeakSet[FrameView]" = weakref.WeakSet()


def close_all() -> int:
    """Close every live view: each stops drawing and leaves its last frame in place
    of the widget (also in the saved notebook).  Returns how many were closed."""
    views = list(_live)
    for v in views:
        v.close()
    return len(views)


class FrameView(W.VBox):
    """Base of the picture views.  Subclasses implement :meth:`figure` and may
    override :meth:`animating` (keep drawing while it returns True)."""

    fps = T.Float(4.0, help="Frames per second at most.")

    def __init__(self, fps: float = 4.0) -> None:
        super().__init__()
        self.fps = fps
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.status = W.HTML()
        self._dirty = threading.Event()
        self._closed = False
        self._png = b""
        self._frames = 0
        self._thread: threading.Thread | None = None
        self._display_ids: list[str] = []
        _live.add(self)

    @staticmethod
    def _tree_from(source: Any, root: str) -> tuple[Any, bool]:
        """(the LiveTree to read, whether the view made it and must close it), from a
        LiveTree, a KazooClient or an Ensemble."""
        from kazoo.client import KazooClient

        from ..ensembles.base import Ensemble
        from ..model.livetree import LiveTree

        if isinstance(source, Ensemble):
            source = source.client()
        if isinstance(source, LiveTree):
            return source, False
        if isinstance(source, KazooClient):
            return LiveTree(source, root), True
        raise TypeError(f"expected a KazooClient, LiveTree or Ensemble, not {type(source).__name__}")

    def _start_drawing(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"zkexplore-{type(self).__name__}",
                                        daemon=True)
        self._thread.start()
        self._dirty.set()

    # -- to implement ---------------------------------------------------------------

    def figure(self) -> Any:
        """A matplotlib Figure of what the view shows now."""
        raise NotImplementedError

    def animating(self) -> bool:
        """Whether to keep drawing although nothing changed (fades, moving time)."""
        return False

    def _after_frame(self) -> None:
        """Update the other widgets after a frame (runs on the drawing thread)."""

    # -- drawing ----------------------------------------------------------------------

    def redraw(self) -> None:
        """Ask for a new frame (drawn at the next tick of the frame rate)."""
        self._dirty.set()

    def render(self) -> bytes:
        """Draw one frame now and return it as PNG bytes."""
        fig = self.figure()
        png = render_png(fig.axes[0])
        self._png = png
        self._frames += 1
        return png

    def save(self, path: str) -> str:
        """Write the current frame to ``path`` (PNG); returns the path."""
        with open(path, "wb") as f:
            f.write(self.render())
        return path

    def _loop(self) -> None:
        last = 0.0
        while not self._closed:
            self._dirty.wait(timeout=0.5)
            if self._closed:
                return
            if not self._dirty.is_set() and not self.animating():
                continue
            wait = (1.0 / max(self.fps, 0.1)) - (time.monotonic() - last)
            if wait > 0:
                time.sleep(wait)
            self._dirty.clear()
            last = time.monotonic()
            try:
                self.image.value = self.render()
                self._after_frame()
            except Exception as e:  # a broken frame must not kill the view
                self.status.value = f"<span style='color:#b00'>drawing failed: {html.escape(repr(e))}</span>"

    def wait_frame(self, timeout: float = 10.0) -> bytes:
        """Wait until the drawing thread has produced a frame; return it."""
        deadline = time.monotonic() + timeout
        start = self._frames
        while self._frames == start and time.monotonic() < deadline:
            self._dirty.set()
            time.sleep(0.02)
        return self._png

    # -- output everywhere --------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        png = self.render()  # the state as it is now, not the last frame drawn
        self.image.value = png
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
        return bundle

    def _ipython_display_(self, **kwargs: Any) -> None:
        """Display the live widget (with a PNG fallback) under a display id, so
        that :meth:`close` can leave the last frame in its place."""
        from IPython.display import display

        handle = display(self._repr_mimebundle_(), raw=True, display_id=True)
        if handle is not None:
            self._display_ids.append(handle.display_id)

    def _freeze_displays(self) -> None:
        if not self._display_ids:
            return
        from IPython.display import update_display

        png = self._png or self.render()
        bundle = {"image/png": base64.b64encode(png).decode("ascii"),
                  "text/plain": f"<{type(self).__name__}: last frame>"}
        for display_id in self._display_ids:
            update_display(bundle, raw=True, display_id=display_id)
        self._display_ids.clear()

    def close(self) -> None:
        """Stop drawing and close the widgets; where the view was displayed, its
        last frame stays, as a plain image."""
        if self._closed:
            return
        self._closed = True
        self._dirty.set()
        _live.discard(self)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(5)
        try:
            self._freeze_displays()
        except Exception:  # outside IPython there is nothing to update
            pass
        for w in list(self.children):
            w.close()
        self.image.close()
        super().close()
