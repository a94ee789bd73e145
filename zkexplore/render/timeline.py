"""A space-time diagram of a history: one lane per process, time to the right.

Lock holds are green bars (red where two overlap), leadership blue bars, party
membership thin purple bars, pauses
hatched grey, crashes a cross, session states dots (SUSPENDED orange, LOST red),
watch wake-ups small ticks, and faults (the ``nemesis`` process) vertical lines
across every lane with their name.  A pure function of the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..history import Op
from ..model.checkers import check_mutex

__all__ = ["draw_timeline"]

_FAULT_LABEL = {
    "kill": "kill", "stop": "stop", "start": "start", "pause": "pause", "resume": "resume",
    "partition": "partition", "heal": "heal", "disconnect": "cut", "set_latency": "latency",
    "expire_session": "expire", "lag": "lag", "restore": "restore",
}  # fmt: skip

#: bar height and colour of a span: leadership, party membership
_SPAN_STYLE = {"lead": (0.5, "#4c72b0"), "member": (0.3, "#8172b2")}


def draw_timeline(ops: Iterable[Op], ax: Any, processes: list[str] | None = None,
                  since: float = 0.0, until: float | None = None, title: str | None = None) -> Any:
    """Draw ``ops`` (a :class:`~zkexplore.history.History` or a list of ops).

    Each lane's label is ``gid="lane:<process>"``; hold bars ``gid="hold"``,
    overlapping parts ``gid="overlap"``, faults ``gid="fault"``.
    """
    ops = [o for o in ops if o.time >= since and (until is None or o.time <= until)]
    end = until if until is not None else max((o.time for o in ops), default=since + 1.0)
    end = max(end, since + 0.5)
    procs = processes or []
    if not processes:
        for o in ops:
            if o.process != "nemesis" and o.process not in procs:
                procs.append(o.process)
    lane = {p: i for i, p in enumerate(procs)}
    n = len(procs)
    for p, i in lane.items():
        ax.text(since - 0.01 * (end - since), -i, p, ha="right", va="center", fontsize=8, gid=f"lane:{p}")
        ax.axhline(-i, color="#eeeeee", lw=0.8, zorder=0)

    report = check_mutex(ops)
    for h in report.holds:
        if h.process in lane:
            x1 = h.end if h.end is not None else end
            ax.barh(-lane[h.process], x1 - h.start, left=h.start, height=0.5, color="#55a868",
                    edgecolor="#2e7d32", zorder=2, gid="hold")
            if h.token is not None and x1 - h.start > 0.04 * (end - since):
                ax.text((h.start + x1) / 2, -lane[h.process], f"#{h.token}", ha="center", va="center",
                        fontsize=7, color="white", zorder=3)
    for viol in report.violations:
        for h in (viol.first, viol.second):
            if h.process in lane:
                width = viol.end - viol.start if viol.end != float("inf") else end - viol.start
                ax.barh(-lane[h.process], width, left=viol.start, height=0.5, color="#d62728",
                        zorder=3, gid="overlap")

    def span(gid: str, y: float, t0: float, t1: float) -> None:
        """A leadership (``lead``) or membership (``member``) bar from t0 to t1."""
        height, color = _SPAN_STYLE[gid]
        ax.barh(y, t1 - t0, left=t0, height=height, color=color, zorder=2, gid=gid)

    lead_start: dict[str, float] = {}
    member_start: dict[str, float] = {}
    pause_start: dict[str, float] = {}
    for o in ops:
        if o.process in lane:
            y = -lane[o.process]
            v: Any = o.value if isinstance(o.value, dict) else {}
            if o.f == "elect" and o.type == "ok":
                lead_start[o.process] = o.time
            elif o.f == "step-down" and o.process in lead_start:
                span("lead", y, lead_start.pop(o.process), o.time)
            elif o.f == "pause" and o.type == "invoke":
                pause_start[o.process] = o.time
            elif o.f == "pause" and o.type == "ok" and o.process in pause_start:
                t0 = pause_start.pop(o.process)
                ax.barh(y, o.time - t0, left=t0, height=0.8, color="#cccccc", hatch="//", alpha=0.6,
                        zorder=4, gid="pause")
            elif o.f == "join" and o.type == "ok":
                member_start[o.process] = o.time
            elif o.f == "crash" and o.type == "ok":
                ax.scatter([o.time], [y], marker="x", s=70, c="#b22222", zorder=5, gid="crash")
                # it holds nothing it can act on any more (its nodes linger until expiry)
                if o.process in lead_start:
                    span("lead", y, lead_start.pop(o.process), o.time)
                if o.process in member_start:
                    span("member", y, member_start.pop(o.process), o.time)
            elif o.f == "leave" and o.type == "ok" and o.process in member_start:
                span("member", y, member_start.pop(o.process), o.time)
            elif o.f == "session" and v.get("state") in ("SUSPENDED", "LOST"):
                color = "#ff9800" if v["state"] == "SUSPENDED" else "#d62728"
                ax.scatter([o.time], [y + 0.3], s=18, c=color, zorder=5, gid=f"session:{v['state']}")
            elif o.f == "wake":
                ax.plot([o.time, o.time], [y - 0.3, y - 0.15], color="#777777", lw=0.8, zorder=2, gid="wake")
            elif o.f == "write":
                mark = {"ok": ("^", "#2e7d32"), "fail": ("v", "#d62728")}.get(o.type)
                if mark:
                    ax.scatter([o.time], [y - 0.35], marker=mark[0], s=35, c=mark[1], zorder=5,
                               gid=f"write:{o.type}")
    for p, t0 in lead_start.items():
        span("lead", -lane[p], t0, end)
    for p, t0 in member_start.items():
        span("member", -lane[p], t0, end)
    for o in ops:
        if o.process == "nemesis" and o.type == "ok":
            label = _FAULT_LABEL.get(o.f, o.f)
            v = o.value if isinstance(o.value, dict) else {}
            if "server" in v:
                label += f" {v['server']}"
            ax.axvline(o.time, color="#9467bd", lw=1.0, ls="--", zorder=1, gid="fault")
            ax.text(o.time, 0.7, label, rotation=90, ha="right", va="bottom", fontsize=7, color="#9467bd")
    ax.set_xlim(since - 0.02 * (end - since), end + 0.02 * (end - since))
    ax.set_ylim(-max(n, 1) + 0.3, 1.8)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("seconds", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(title or "timeline", fontsize=10, loc="left")
    ax.figure._zkx_margins = {"left": 0.11, "right": 0.98, "top": 0.86, "bottom": 0.22}
    return ax
