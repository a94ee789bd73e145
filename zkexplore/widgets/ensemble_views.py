"""EnsembleView, Timeline and ControlPanel: the servers, what happened, and the
buttons that make things happen.

- :class:`EnsembleView`: each server's role, zxid and state (up, down, paused,
  partitioned), and which client is connected to which server.
- :class:`Timeline`: the space-time diagram of a history (actors and faults).
- :class:`ControlPanel`: kill, restart and pause servers; partition and heal;
  expire a session; crash, pause or cut a client; add latency; add actors.  Every
  action goes into the history.  On a :class:`~zkexplore.RemoteEnsemble` the fault
  buttons are disabled and the panel says why.
"""

from __future__ import annotations

import contextlib
import html
import time
from typing import Any

import ipywidgets as W
from kazoo.client import KazooClient

from ..ensembles.base import Ensemble
from ..errors import ZkExploreError
from ..history import History, Op
from ..render.recipes import draw_ensemble
from ..render.timeline import draw_timeline
from ._frame import FrameView

__all__ = ["EnsembleView", "Timeline", "ControlPanel"]


def _server_of(client: KazooClient, ports: dict[int, int]) -> int | None:
    sock = getattr(getattr(client, "_connection", None), "_socket", None)
    try:
        port = sock.getpeername()[1] if sock is not None else None
    except OSError:
        return None
    return ports.get(port) if port is not None else None


class EnsembleView(FrameView):
    """The servers of an ensemble and the clients connected to each.

    It asks the ensemble for roles twice a second (four-letter words on a real
    ensemble); with a fleet, clients are named by their actors.
    """

    def __init__(self, ensemble: Ensemble, fleet: Any = None, fps: float = 2.0) -> None:
        super().__init__(fps=fps)
        self.ensemble = ensemble
        self.fleet = fleet
        self.children = [self.image, self.status]
        self._start_drawing()

    def animating(self) -> bool:
        return True  # roles change without telling us: poll at the frame rate

    def model(self) -> dict[str, Any]:
        """Plain data: servers (id, role, state, zxid), clients (name, server, owner),
        and the partition groups."""
        ens = self.ensemble
        servers = []
        ports: dict[int, int] = {}
        for s in ens.servers:
            role = s.role
            state = s.state
            zxid = getattr(s, "zxid", None) if state == "up" else None
            servers.append({"id": s.id, "role": role, "state": state, "zxid": zxid})
            with contextlib.suppress(ValueError, IndexError):
                ports[int(s.address.rsplit(":", 1)[1])] = s.id
        clients = []
        named: set[int] = set()
        if self.fleet is not None:
            for a in self.fleet.actors:
                if a.state in ("left", "closed"):
                    continue
                named.add(id(a.client))
                sid = None if a.state in ("crashed", "paused") else _server_of(a.client, ports)
                clients.append({"name": a.name, "server": sid, "owner": a.session_id, "state": a.state})
        with ens._clients_lock:
            others = [c for c in ens._clients if id(c) not in named]
        for i, c in enumerate(others):
            cid = c.client_id
            clients.append({"name": f"client{i + 1}", "server": _server_of(c, ports),
                            "owner": cid[0] if cid else 0, "state": str(c.state)})
        groups = None
        for op in reversed(ens.history.ops(process="nemesis")):
            if op.type == "ok" and op.f in ("partition", "heal", "restore"):
                if op.f == "partition" and isinstance(op.value, dict):
                    groups = op.value.get("groups")
                break
        return {"servers": servers, "clients": clients, "groups": groups}

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        m = self.model()
        fig = Figure(figsize=(max(6.0, 2.2 * len(m["servers"]) + 2.5), 3.6), dpi=100)
        leader = next((s["id"] for s in m["servers"] if s["role"] == "leader"), None)
        title = f"{self.ensemble.kind}   ·   leader: {leader if leader is not None else 'none (election)'}"
        draw_ensemble(m["servers"], fig.add_subplot(111), m["clients"], m["groups"], title=title)
        return fig


class Timeline(FrameView):
    """The space-time diagram of a history, redrawn as operations arrive.

    Parameters
    ----------
    history : History, Ensemble or Fleet
        Whose operations to draw (an ensemble's or fleet's history).
    processes : list of str, optional
        Lanes to show (default: every process but ``nemesis``, whose faults are
        drawn across all lanes).
    window : float, optional
        Show only the last ``window`` seconds.
    """

    def __init__(self, history: Any, processes: list[str] | None = None, window: float | None = None,
                 fps: float = 4.0) -> None:
        super().__init__(fps=fps)
        if not isinstance(history, History):
            history = history.history
        self.history = history
        self.processes = processes
        self.window = window
        self.history.listen(self._on_op)
        self.children = [self.image, self.status]
        self._start_drawing()

    def _on_op(self, op: Op) -> None:
        self.redraw()

    def figure(self) -> Any:
        from matplotlib.figure import Figure

        ops = self.history.ops()
        procs = self.processes or sorted({o.process for o in ops if o.process != "nemesis"})
        now = self.history.clock() - self.history.start
        since = max(0.0, now - self.window) if self.window else 0.0
        fig = Figure(figsize=(9.0, 0.9 + 0.45 * max(len(procs), 1)), dpi=100)
        draw_timeline(ops, fig.add_subplot(111), procs or None, since=since, until=now)
        return fig

    def close(self) -> None:
        if not self._closed:
            self.history.unlisten(self._on_op)
        super().close()


class ControlPanel(W.VBox):
    """Buttons and pickers for faults and actors; every action is recorded.

    Drive it from Python as a notebook reader would: set a picker's ``value`` and
    call a button's ``click()``; the outcome appears in :attr:`output`.

    Examples
    --------
    >>> panel = ControlPanel(ens, fleet)                          # doctest: +SKIP
    >>> panel.server.value = 3; panel.kill.click()                # doctest: +SKIP
    """

    def __init__(self, ensemble: Ensemble, fleet: Any = None) -> None:
        from ..actors.fleet import ACTOR_KINDS

        super().__init__()
        self.ensemble = ensemble
        self.fleet = fleet
        self.messages: list[str] = []
        ids = [s.id for s in ensemble.servers]
        b = lambda desc, style="": W.Button(description=desc, button_style=style,  # noqa: E731
                                             layout=W.Layout(width="auto"))
        # servers
        self.server = W.Dropdown(options=ids, value=ids[0] if ids else None, description="server",
                                 layout=W.Layout(width="160px"))
        self.kill, self.stop, self.start = b("kill", "danger"), b("stop", "warning"), b("start", "success")
        self.pause_server, self.resume_server = b("pause"), b("resume")
        # network
        self.isolate = W.SelectMultiple(options=ids, description="isolate", rows=min(len(ids), 5),
                                        layout=W.Layout(width="200px"))
        self.partition, self.heal = b("partition", "danger"), b("heal", "success")
        self.latency = W.IntSlider(value=0, min=0, max=1000, step=10, description="latency ms",
                                   continuous_update=False)
        self.apply_latency = b("set latency")
        # clients
        names = [a.name for a in fleet.actors] if fleet is not None else []
        self.actor = W.Dropdown(options=names, description="actor", layout=W.Layout(width="200px"))
        self.seconds = W.FloatText(value=6.0, description="seconds", layout=W.Layout(width="160px"))
        self.expire, self.crash, self.pause_actor = b("expire session", "danger"), b("crash", "danger"), b("pause")
        self.cut, self.leave = b("cut"), b("leave")
        # actors
        self.kind = W.Dropdown(options=list(ACTOR_KINDS), value="locker", description="add",
                               layout=W.Layout(width="200px"))
        self.path = W.Text(value="/locks/demo", layout=W.Layout(width="200px"))
        self.hold = W.FloatText(value=1.0, description="hold s", layout=W.Layout(width="150px"))
        self.add_actor = b("add actor", "primary")
        self.output = W.HTML()

        act = self._act
        self.kill.on_click(lambda _: act("kill server", lambda: ensemble.server(self.server.value).kill()))
        self.stop.on_click(lambda _: act("stop server", lambda: ensemble.server(self.server.value).stop()))
        self.start.on_click(lambda _: act("start server", lambda: ensemble.server(self.server.value).start()))
        self.pause_server.on_click(lambda _: act("pause server", lambda: ensemble.server(self.server.value).pause()))
        self.resume_server.on_click(lambda _: act("resume server",
                                                  lambda: ensemble.server(self.server.value).resume()))
        self.partition.on_click(lambda _: act("partition", lambda: ensemble.partition(list(self.isolate.value))))
        self.heal.on_click(lambda _: act("heal", ensemble.heal))
        self.apply_latency.on_click(lambda _: act("latency", lambda: ensemble.set_latency(self.latency.value)))
        self.expire.on_click(lambda _: act("expire session", lambda: ensemble.expire_session(self._actor().client)))
        self.crash.on_click(lambda _: act("crash", lambda: self._actor().crash()))
        self.pause_actor.on_click(lambda _: act("pause client", lambda: self._actor().pause(self.seconds.value)))
        self.cut.on_click(lambda _: act("cut client", lambda: self._actor().cut(self.seconds.value)))
        self.leave.on_click(lambda _: act("leave", lambda: self._actor().leave()))
        self.add_actor.on_click(lambda _: act("add actor", self._add))

        row = lambda *ws: W.HBox(list(ws), layout=W.Layout(flex_flow="row wrap"))  # noqa: E731
        self.server_box = row(self.server, self.kill, self.stop, self.start, self.pause_server, self.resume_server)
        self.network_box = row(self.isolate, self.partition, self.heal, self.latency, self.apply_latency)
        self.client_box = row(self.actor, self.seconds, self.expire, self.crash, self.pause_actor, self.cut,
                              self.leave)
        self.actor_box = row(self.kind, self.path, self.hold, self.add_actor)
        parts: list[W.Widget] = [W.HTML("<b>servers</b>"), self.server_box, W.HTML("<b>network</b>"),
                                 self.network_box]
        if fleet is not None:
            parts += [W.HTML("<b>clients</b>"), self.client_box, W.HTML("<b>actors</b>"), self.actor_box]
        self.children = [*parts, self.output]
        why = getattr(ensemble, "_why_no_faults", "")
        if ensemble.kind == "RemoteEnsemble":
            for w in (self.kill, self.stop, self.start, self.pause_server, self.resume_server, self.partition,
                      self.heal, self.apply_latency, self.expire):
                w.disabled = True
                w.tooltip = f"disabled: {why}"
            self._say(f"Faults are disabled on this ensemble: it {why.replace('it is', 'is')}. "
                      "Only this notebook's own clients can be cut.", error=True)

    def _actor(self) -> Any:
        if self.fleet is None or not self.actor.value:
            raise ZkExploreError("pick an actor first (add one below)")
        return self.fleet.get(self.actor.value)

    def _add(self) -> None:
        if self.fleet is None:
            raise ZkExploreError("this panel has no fleet to add actors to")
        params: dict[str, Any] = {"hold": self.hold.value}
        if self.kind.value in ("locker", "naive_locker", "reader", "writer", "semaphore"):
            params["repeats"] = 0  # keep contending until told otherwise
        a = self.fleet.add(self.kind.value, self.path.value.strip(), **params)
        self.refresh_actors(select=a.name)

    def refresh_actors(self, select: str | None = None) -> None:
        """Reload the actor picker from the fleet."""
        if self.fleet is None:
            return
        self.actor.options = [a.name for a in self.fleet.actors]
        if select is not None:
            self.actor.value = select

    def _say(self, text: str, error: bool = False) -> None:
        stamp = time.strftime("%H:%M:%S")
        color = "#b00" if error else "#2e7d32"
        self.messages.append(text)
        line = f"<div style='color:{color}'>{stamp} {html.escape(text)}</div>"
        self.output.value = line + self.output.value[:4000]

    def _act(self, what: str, fn: Any) -> None:
        try:
            fn()
        except Exception as e:  # shown in the panel; the fault itself is in the history
            self._say(f"{what}: {type(e).__name__}: {e}", error=True)
            return
        self._say(f"{what}: done")
