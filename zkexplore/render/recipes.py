"""Draw recipes: lock queues (who holds, who waits, who watches whom), elections,
parties, semaphores and queues, the servers of an ensemble, and timelines.

Pure functions of model values (:mod:`zkexplore.model.recipes`, plain dicts,
histories) to matplotlib axes.  Artists carry ``gid`` values tests can read:
``"entry:<name>"`` for a contender's box, ``"holder"`` on the holder's,
``"watch"`` for a watch arrow, ``"server:<id>"`` for a server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..model.recipes import LockQueue, SemaphoreState
from .tree import owner_color

__all__ = ["draw_lock_queue", "draw_ensemble", "draw_party", "draw_semaphore", "STATE_MARK"]

HOLD = "#55a868"
WAIT = "#c9d3e6"
READ_HOLD = "#8fd19e"
#: marks for an actor's state
STATE_MARK = {"paused": "‖ paused", "crashed": "× crashed", "left": "left", "failed": "failed"}


def _who(owner: int, names: Mapping[int, str] | None) -> str:
    if names and owner in names:
        return names[owner]
    return f"0x{owner:x}" if owner else "?"


def draw_lock_queue(
    q: LockQueue,
    ax: Any,
    names: Mapping[int, str] | None = None,
    states: Mapping[str, str] | None = None,
    wakeups: Iterable[int] = (),
    title: str | None = None,
) -> Any:
    """The queue of a lock, left to right in sequence order.

    The holder (or holders, for read locks) is green; each waiter has an arrow to
    the node it watches (kazoo: its predecessor; the naive lock: the parent, drawn
    above the queue).  ``names`` maps session ids to actor names, ``states`` actor
    names to states (paused and crashed holders are marked).

    Examples
    --------
    >>> from zkexplore.model.recipes import LockEntry, LockQueue
    >>> q = LockQueue("/l", (LockEntry("/l/a__lock__0000000000", "a__lock__0000000000", 0, "lock", 7, "a", True, None),
    ...                      LockEntry("/l/b__lock__0000000001", "b__lock__0000000001", 1, "lock", 8, "b", False,
    ...                                "/l/a__lock__0000000000")))
    >>> from matplotlib.figure import Figure
    >>> ax = draw_lock_queue(q, Figure().add_subplot(111))
    >>> [p.get_gid() for p in ax.patches if p.get_gid() == "watch"]
    ['watch']
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    entries = list(q.entries)
    n = len(entries)
    width = max(n, 3)
    naive = any(e.kind == "naive" for e in entries)
    pos = {e.path: (i * 1.6, 0.0) for i, e in enumerate(entries)}
    parent_xy = ((n - 1) * 0.8 if n else 0.0, 1.6)
    for e in entries:
        x, y = pos[e.path]
        who = _who(e.owner, names)
        state = (states or {}).get(who, "")
        color = (READ_HOLD if e.kind == "rlock" else HOLD) if e.holds else WAIT
        box = FancyBboxPatch((x - 0.6, y - 0.45), 1.2, 0.9, boxstyle="round,pad=0.05",
                             fc=color, ec="#333333" if e.holds else "#8899aa",
                             lw=2.0 if e.holds else 1.0, gid=f"entry:{e.name}", zorder=3)
        ax.add_patch(box)
        if e.holds:
            ax.add_patch(FancyBboxPatch((x - 0.6, y - 0.45), 1.2, 0.9, boxstyle="round,pad=0.05",
                                        fc="none", ec="none", gid="holder"))
        kind = {"rlock": "read", "lock": "write" if any(x.kind == "rlock" for x in entries) else "",
                "naive": ""}[e.kind]
        ax.text(x, y + 0.17, f"#{e.seq}", ha="center", va="center", fontsize=10, weight="bold", zorder=4)
        ax.text(x, y - 0.12, who, ha="center", va="center", fontsize=8, zorder=4,
                color=owner_color(e.owner) if not names else "#222222")
        sub = "holds" if e.holds else "waits"
        if kind:
            sub = f"{kind} · {sub}"
        ax.text(x, y - 0.62, sub, ha="center", va="top", fontsize=7, color="#555555", zorder=4)
        if state in STATE_MARK:
            ax.text(x, y + 0.62, STATE_MARK[state], ha="center", va="bottom", fontsize=8,
                    color="#b22222", zorder=4, gid=f"state:{who}")
    if naive:
        px, py = parent_xy
        ax.add_patch(FancyBboxPatch((px - 0.9, py - 0.3), 1.8, 0.6, boxstyle="round,pad=0.05",
                                    fc="#f2f2f2", ec="#999999", gid="parent", zorder=3))
        ax.text(px, py, q.path.rsplit("/", 1)[-1] or q.path, ha="center", va="center", fontsize=9, zorder=4)
    for e in entries:
        if e.watches is None:
            continue
        src = pos[e.path]
        if e.watches in pos:
            dst = pos[e.watches]
            arrow = FancyArrowPatch((src[0] - 0.2, src[1] + 0.45), (dst[0] + 0.2, dst[1] + 0.45),
                                    connectionstyle="arc3,rad=-0.5", arrowstyle="-|>", mutation_scale=12,
                                    color="#d62728", lw=1.2, gid="watch", zorder=5)
        else:  # the naive lock watches the parent
            arrow = FancyArrowPatch((src[0], src[1] + 0.45), (parent_xy[0], parent_xy[1] - 0.3),
                                    arrowstyle="-|>", mutation_scale=10, color="#d62728", lw=0.9,
                                    alpha=0.8, gid="watch", zorder=2)
        ax.add_patch(arrow)
    ax.set_xlim(-1.0, (width - 1) * 1.6 + 1.0)
    ax.set_ylim(-1.2, 2.3 if naive else 1.6)
    ax.set_axis_off()
    holder = q.holder
    head = title or f"lock {q.path}"
    if holder is not None:
        head += f"   ·   held by {_who(holder.owner, names)} (#{holder.seq})"
    else:
        head += "   ·   free"
    wk = list(wakeups)
    if wk:
        head += f"   ·   wake-ups per release: {', '.join(map(str, wk[-6:]))}"
    ax.set_title(head, fontsize=10, loc="left")
    if not entries:
        ax.text(0.5, 0.5, "nobody is waiting", transform=ax.transAxes, ha="center", va="center",
                fontsize=10, color="#777777")
    return ax


def draw_party(members: Iterable[tuple[str, int, str]], ax: Any, path: str,
               names: Mapping[int, str] | None = None, leader: str | None = None,
               title: str | None = None, states: Mapping[str, str] | None = None) -> Any:
    """Members (or election candidates) in a circle; the leader gets a crown."""
    import math

    from matplotlib.patches import Circle

    members = list(members)
    n = len(members)
    for i, (name, owner, ident) in enumerate(members):
        a = 2 * math.pi * i / max(n, 1) + math.pi / 2
        x, y = math.cos(a), math.sin(a)
        is_leader = leader is not None and name == leader
        ax.add_patch(Circle((x, y), 0.28, fc=HOLD if is_leader else owner_color(owner), ec="#333333",
                            lw=2 if is_leader else 0.8, gid=f"member:{name}", zorder=3))
        label = _who(owner, names) if names else (ident or name[-12:])
        ax.text(x, y - 0.42, label, ha="center", va="top", fontsize=8)
        state = (states or {}).get(label, "")
        if state in STATE_MARK:
            ax.text(x, y - 0.62, STATE_MARK[state], ha="center", va="top", fontsize=7, color="#b22222",
                    gid=f"state:{label}")
        if is_leader:
            ax.text(x, y + 0.3, "♛ leader", ha="center", va="bottom", fontsize=9, color="#2e7d32",
                    gid="leader")
    ax.text(0, 0, path, ha="center", va="center", fontsize=9, color="#555555")
    ax.set_xlim(-1.8, 1.8)
    ax.set_ylim(-1.8, 1.8)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title or f"{path}   ·   {n} member{'s' if n != 1 else ''}", fontsize=10, loc="left")
    return ax


def draw_semaphore(s: SemaphoreState, ax: Any, names: Mapping[int, str] | None = None) -> Any:
    """Lease slots (filled by holders) and the waiting queue."""
    from matplotlib.patches import FancyBboxPatch

    slots = s.max_leases or max(len(s.holders), 1)
    for i in range(slots):
        held = s.holders[i] if i < len(s.holders) else None
        ax.add_patch(FancyBboxPatch((i * 1.4 - 0.55, 0.6), 1.1, 0.8, boxstyle="round,pad=0.05",
                                    fc=HOLD if held else "#eeeeee", ec="#555555", gid="lease"))
        ax.text(i * 1.4, 1.0, _who(held[1], names) if held else "free", ha="center", va="center", fontsize=8)
    for j, e in enumerate(s.waiters):
        ax.add_patch(FancyBboxPatch((j * 1.4 - 0.55, -0.8), 1.1, 0.8, boxstyle="round,pad=0.05",
                                    fc=WAIT, ec="#8899aa", gid="waiter"))
        ax.text(j * 1.4, -0.4, f"#{e.seq} {_who(e.owner, names)}", ha="center", va="center", fontsize=8)
    ax.set_xlim(-1, max(slots, len(s.waiters), 2) * 1.4)
    ax.set_ylim(-1.2, 1.8)
    ax.set_axis_off()
    ax.set_title(f"semaphore {s.path}   ·   {len(s.holders)}/{s.max_leases} leases   ·   "
                 f"{len(s.waiters)} waiting", fontsize=10, loc="left")
    return ax


ROLE_COLOR = {"leader": "#2e7d32", "follower": "#4c72b0", "looking": "#e0a030", "down": "#999999",
              "unknown": "#bbbbbb"}


def draw_ensemble(servers: list[dict[str, Any]], ax: Any, clients: Iterable[dict[str, Any]] = (),
                  groups: list[list[int]] | None = None, title: str | None = None) -> Any:
    """Servers in a row (role colour, zxid, state) and the clients connected to
    each (dots under their server, labelled with the actor's name).

    ``servers``: dicts with ``id``, ``role``, ``state``, ``zxid``.  ``clients``:
    dicts with ``name``, ``server`` (an id or None), ``owner`` (a session id).
    ``groups``: the partition, drawn as shaded regions.
    """
    from matplotlib.patches import FancyBboxPatch, Rectangle

    xs = {s["id"]: i * 2.2 for i, s in enumerate(servers)}
    if groups:
        # each server's column is shaded by its group (groups need not be neighbours)
        shades = ["#e8f0fe", "#fde8e8", "#e8fde8", "#fdf5e8"]
        for k, g in enumerate(groups):
            for i in g:
                if i in xs:
                    ax.add_patch(Rectangle((xs[i] - 1.05, -3.2), 2.1, 4.4, fc=shades[k % len(shades)],
                                           ec="#cccccc", ls="--", zorder=0, gid="group"))
                    ax.text(xs[i], -3.15, f"side {k + 1}", ha="center", va="bottom", fontsize=7,
                            color="#777777")
    for s in servers:
        x = xs[s["id"]]
        role = s.get("role", "unknown")
        state = s.get("state", "up")
        ax.add_patch(FancyBboxPatch((x - 0.8, -0.5), 1.6, 1.0, boxstyle="round,pad=0.08",
                                    fc=ROLE_COLOR.get(role, "#bbbbbb"), ec="#333333",
                                    alpha=0.45 if state != "up" else 1.0, gid=f"server:{s['id']}",
                                    hatch="//" if state == "paused" else None, zorder=2))
        ax.text(x, 0.15, f"server {s['id']}", ha="center", va="center", color="white", fontsize=9,
                weight="bold", zorder=3)
        ax.text(x, -0.2, role + ("" if state in ("up", role) else f" · {state}"), ha="center", va="center",
                color="white", fontsize=8, zorder=3)
        z = s.get("zxid")
        if z is not None:
            ax.text(x, 0.75, f"zxid 0x{z:x}", ha="center", va="bottom", fontsize=7, color="#444444")
    per: dict[Any, list[dict[str, Any]]] = {}
    if any(c.get("server") is None for c in clients):
        ax.text(-1.6, -0.9, "not connected", ha="center", va="bottom", fontsize=7, color="#888888")
    for c in clients:
        per.setdefault(c.get("server"), []).append(c)
    for sid, cs in per.items():
        base = xs.get(sid)
        for j, c in enumerate(cs):
            if base is None:
                x, y = -1.6, -1.2 - 0.45 * j
            else:
                x, y = base + (j % 2 - 0.5) * 0.95, -1.3 - 0.55 * (j // 2)
            ax.scatter([x], [y], s=90, c=[owner_color(c.get("owner", 0))], zorder=4, gid=f"client:{c['name']}")
            ax.text(x, y - 0.22, c["name"], ha="center", va="top", fontsize=7)
            if base is not None:
                ax.plot([x, base], [y + 0.12, -0.5], color="#aaaaaa", lw=0.8, zorder=1)
    ax.set_xlim(-2.2, max(xs.values(), default=0) + 1.4)
    ax.set_ylim(-3.3, 1.4)
    ax.set_axis_off()
    ax.set_title(title or "ensemble", fontsize=10, loc="left")
    return ax
