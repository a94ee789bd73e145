"""Recorded demos: a scenario on a seeded simulated ensemble, drawn frame by frame
into an animated GIF, headlessly.

``zkexplore demo lock|herd|election|failover|lease --out FILE.gif`` runs one:

- ``lock``: four clients queue on kazoo's Lock; the holder's client crashes and the
  lock passes on when its session expires.
- ``herd``: the naive lock: every release wakes every waiter.
- ``election``: candidates of kazoo's Election; the leader crashes, the next leads.
- ``failover``: the leader *server* is killed while clients hold and wait for a lock.
- ``lease``: a holder pauses longer than its session; a second client takes the
  lock; the first wakes believing it still holds it, and a fencing token stops it.

Each frame shows the recipe (or the ensemble) above a timeline of what happened.
:func:`record` returns the frames' metadata (time, holder or leader per frame), which
tests compare with what the pictures show.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEMOS", "record", "DemoResult"]


@dataclass
class DemoResult:
    path: str
    frames: int
    seconds: float
    #: what each frame written shows: {"t": seconds, "holder": name or None,
    #: "ms": how long it shows, "holders": every holder sampled meanwhile, ...}
    meta: list[dict[str, Any]] = field(default_factory=list)


class _Recorder:
    """Samples a draw function at a fixed rate into PNG frames."""

    def __init__(self, draw: Callable[[], tuple[Any, dict[str, Any]]], every: float) -> None:
        self.draw = draw
        self.every = every
        self.frames: list[bytes] = []
        self.meta: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="zkexplore-demo-recorder", daemon=True)
        self._t0 = time.monotonic()

    def start(self) -> "_Recorder":
        self.snap()  # the state before the script starts, whatever the thread's timing
        self._thread.start()
        return self

    def _run(self) -> None:
        t = time.monotonic()  # when the last frame was started
        while not self._stop.wait(max(0.0, self.every - (time.monotonic() - t))):
            t = time.monotonic()
            self.snap()

    def snap(self) -> None:
        fig, meta = self.draw()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        self.frames.append(buf.getvalue())
        meta["t"] = round(time.monotonic() - self._t0, 2)
        self.meta.append(meta)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.snap()  # the final state


def _figure(top_height: float = 3.0, timeline_height: float = 2.4, width: float = 9.0) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, top_height + timeline_height), dpi=80)
    gs = fig.add_gridspec(2, 1, height_ratios=[top_height, timeline_height], hspace=0.35)
    fig.subplots_adjust(left=0.1, right=0.98, top=0.93, bottom=0.1)
    return fig, fig.add_subplot(gs[0]), fig.add_subplot(gs[1])


def _write_gif(frames: list[bytes], meta: list[dict[str, Any]], path: str,
               frame_ms: int) -> list[dict[str, Any]]:
    """Write the frames as a GIF; return the metadata of the frames written.

    A GIF writer folds a frame identical to the one before into it (a longer
    duration), so the file's frames would not line up with the samples. The fold
    is done here instead: each frame written carries ``ms``, how long it shows, and
    ``holders``, every holder sampled while it showed (one, unless the picture
    missed a change).
    """
    from PIL import Image

    out: list[dict[str, Any]] = []
    images: list[Any] = []
    last = b""
    for png, m in zip(frames, meta):
        im = Image.open(io.BytesIO(png)).convert("RGB").convert(
            "P", palette=Image.Palette.ADAPTIVE, colors=128)
        pixels = im.convert("RGB").tobytes()
        if images and pixels == last:
            out[-1]["ms"] += frame_ms
            if m.get("holder") not in out[-1]["holders"]:
                out[-1]["holders"].append(m.get("holder"))
            continue
        images.append(im)
        out.append({**m, "ms": frame_ms, "holders": [m.get("holder")]})
        last = pixels
    images[0].save(path, save_all=True, append_images=images[1:],
                   duration=[m["ms"] for m in out], loop=0, optimize=False)
    return out


def _timeline(fleet: Any, ax: Any) -> None:
    """The fleet's history so far (faults included), one lane per actor."""
    from .render.timeline import draw_timeline

    now = fleet.history.clock() - fleet.history.start
    draw_timeline(fleet.history.ops(), ax, [a.name for a in fleet.actors] or None, until=now)


def _lock_draw(fleet: Any, tree: Any, path: str) -> Callable[[], tuple[Any, dict[str, Any]]]:
    from .model.checkers import wakeups_per_release
    from .model.recipes import lock_queue
    from .render.recipes import draw_lock_queue

    def draw() -> tuple[Any, dict[str, Any]]:
        fig, top, bottom = _figure()
        q = lock_queue(tree, path)
        names = fleet.by_session()
        states = {a.name: a.state for a in fleet.actors}
        draw_lock_queue(q, top, names, states, wakeups_per_release(fleet.history, path))
        _timeline(fleet, bottom)
        holder = q.holder
        return fig, {"holder": names.get(holder.owner) if holder else None,
                     "queue": [names.get(e.owner, "?") for e in q.entries]}

    return draw


def _run_demo(name: str, seed: int) -> tuple[list[bytes], list[dict[str, Any]], float]:
    from .actors import Fleet
    from .ensembles.sim import SimEnsemble
    from .model.livetree import LiveTree

    t0 = time.monotonic()
    with SimEnsemble(size=3, seed=seed) as ens:
        fleet = Fleet(ens, session_timeout=4.0)
        watcher = ens.client()
        watcher.ensure_path("/demo")
        tree = LiveTree(watcher, "/demo").start()
        try:
            draw, rec = _setup(name, ens, fleet, tree)
            rec_ = _Recorder(draw, every=0.25).start()
            try:
                rec(fleet)
            finally:
                rec_.stop()
            return rec_.frames, rec_.meta, time.monotonic() - t0
        finally:
            tree.close()
            fleet.stop()


def _setup(name: str, ens: Any, fleet: Any, tree: Any) -> tuple[Callable[[], Any], Callable[[Any], None]]:
    from .model.recipes import election
    from .render.recipes import draw_ensemble, draw_party

    if name in ("lock", "herd", "lease"):
        path = "/demo/lock"
        kind = "naive_locker" if name == "herd" else "locker"
        draw = _lock_draw(fleet, tree, path)

        def script(fleet: Any) -> None:
            if name == "lease":
                store = fleet.store(fenced=True)
                a = fleet.add(kind, path, hold=1.0, store=store)
                fleet.wait_until(lambda: a.state == "holding", 10)
                b = fleet.add(kind, path, hold=0.8, store=store)
                time.sleep(0.4)
                a.pause(7.0)
                fleet.wait_until(lambda: a.state == "done" and b.state == "done", 30)
                time.sleep(0.5)
                return
            actors = fleet.lockers(4, path, hold=0.8, repeats=2) if kind == "locker" else \
                fleet.naive_lockers(5, path, hold=0.6, repeats=1)
            if name == "lock":
                time.sleep(1.0)
                holder = next((x for x in actors if x.state == "holding"), None)
                if holder is not None:
                    holder.crash()
            fleet.wait_until(lambda: all(x.state in ("done", "crashed") for x in actors), 40)
            time.sleep(0.5)

        return draw, script

    if name == "election":
        path = "/demo/election"

        def draw() -> tuple[Any, dict[str, Any]]:
            fig, top, bottom = _figure(3.6)
            e = election(tree, path)
            names = fleet.by_session()
            leader = names.get(e.leader.owner) if e.leader else None
            draw_party([(c.name, c.owner, c.identifier) for c in e.candidates], top, path, names,
                       leader=e.leader.name if e.leader else None,
                       title=f"election {path}   ·   leader: {leader or 'none'}")
            _timeline(fleet, bottom)
            return fig, {"holder": leader}

        def script(fleet: Any) -> None:
            cands = fleet.candidates(4, path)
            fleet.wait_until(lambda: any(c.state == "leader" for c in cands), 10)
            time.sleep(1.0)
            leader = next(c for c in cands if c.state == "leader")
            leader.crash()
            fleet.wait_until(lambda: any(c.state == "leader" for c in cands if c is not leader), 20)
            time.sleep(1.0)

        return draw, script

    if name == "failover":
        path = "/demo/lock"

        def draw() -> tuple[Any, dict[str, Any]]:
            from .widgets.ensemble_views import _server_of

            fig, top, bottom = _figure(3.4)
            servers = []
            ports = {s.port: s.id for s in ens.servers}
            for s in ens.servers:
                servers.append({"id": s.id, "role": s.role, "state": s.state, "zxid": s.zxid})
            clients = [{"name": a.name, "server": _server_of(a.client, ports), "owner": a.session_id}
                       for a in fleet.actors]
            leader = next((s["id"] for s in servers if s["role"] == "leader"), None)
            draw_ensemble(servers, top, clients, title=f"ensemble   ·   leader: server {leader}" if leader
                          else "ensemble   ·   electing a leader…")
            _timeline(fleet, bottom)
            return fig, {"holder": leader}

        def script(fleet: Any) -> None:
            actors = fleet.lockers(3, path, hold=0.6, repeats=3)
            time.sleep(1.2)
            ens.leader.kill()
            time.sleep(2.0)
            dead = next(s for s in ens.servers if s.state == "down")
            dead.start()
            fleet.wait_until(lambda: all(x.state in ("done", "failed") for x in actors), 30)
            time.sleep(0.5)

        return draw, script

    raise ValueError(f"no demo named {name!r}; demos: {', '.join(DEMOS)}")


DEMOS = ("lock", "herd", "election", "failover", "lease")


def record(name: str, out: str, seed: int = 7, frame_ms: int = 250) -> DemoResult:
    """Run demo ``name`` on a seeded simulated ensemble and write an animated GIF.

    Examples
    --------
    >>> result = record("lock", "lock.gif")                          # doctest: +SKIP
    >>> result.frames, result.meta[-1]["holder"]                     # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg")
    if name not in DEMOS:
        raise ValueError(f"no demo named {name!r}; demos: {', '.join(DEMOS)}")
    frames, meta, seconds = _run_demo(name, seed)
    written = _write_gif(frames, meta, out, frame_ms)
    return DemoResult(out, len(written), seconds, written)
