"""Draw a znode tree with matplotlib: pure functions of a graph to a figure.

Each kind of node has its own marker (persistent ○, sequential □, ephemeral ◇,
container ⬡, TTL △); ephemerals are coloured by their owner session, so one
client's nodes share a colour.  Nodes that changed a moment ago get a halo that
fades.  Folded children are drawn as a ``+N more`` label.  Large trees are drawn
with one scatter per kind and one line collection for the edges, each marker or
edge once per pixel; labels are kept to what can be read.

Each kind's markers are a ``PathCollection`` whose ``gid`` is ``"kind:<kind>"``,
the halo's is ``"flash"``, the edges a ``LineCollection`` with ``gid`` ``"edges"``, labels
are texts with ``gid`` ``"label"`` (``"more"`` for folds): tests and tools can read
what was drawn.  Beyond 2,000 nodes, markers and edges that would cover the same
pixels are drawn once; each kind's collection then keeps its node count in
``zkx_count``.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import networkx as nx

from ..names import sequence_of
from .layout import MORE, tree_layout

__all__ = ["draw_tree", "KIND_STYLE", "owner_color", "render_png", "new_figure", "short_name"]

#: marker and colour of each node kind (ephemerals take their owner's colour)
KIND_STYLE: dict[str, dict[str, Any]] = {
    "persistent": {"marker": "o", "color": "#4c72b0", "label": "persistent"},
    "sequential": {"marker": "s", "color": "#55a868", "label": "sequential"},
    "ephemeral": {"marker": "D", "color": None, "label": "ephemeral"},
    "ephemeral-sequential": {"marker": "D", "color": None, "label": "ephemeral sequential"},
    "container": {"marker": "h", "color": "#8172b2", "label": "container"},
    "ttl": {"marker": "^", "color": "#c44e52", "label": "TTL"},
}

_OWNER_PALETTE = [
    "#dd8452", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c", "#ccb974",
    "#64b5cd", "#e377c2", "#bcbd22",
]  # fmt: skip


_UUID = re.compile(r"^[0-9a-f]{32}(?=__|-)")  # kazoo's recipe prefixes


def short_name(name: str, limit: int = 18) -> str:
    """A node name as a label: kazoo's 32-hex uuid prefix dropped, a 10-digit
    sequence number shown as ``#N``, and long names cut in the middle.

    Examples
    --------
    >>> short_name("9f1c0f6a2b3d4e5f60718293a4b5c6d7__lock__0000000012")
    '__lock__#12'
    >>> short_name("item-0000000003")
    'item-#3'
    """
    name = _UUID.sub("", name)
    seq = sequence_of(name)
    if seq is not None:
        name = name[:-10] + "#" + str(seq)
    if len(name) > limit:
        name = name[: limit // 2 - 1] + "…" + name[-(limit // 2):]
    return name


_owner_slots: dict[int, int] = {}


def owner_color(owner: int) -> str:
    """A colour for a session id: sessions get the palette's colours in the order
    they are first drawn, and keep them for the life of the process."""
    if not owner:
        return "#999999"
    slot = _owner_slots.setdefault(owner, len(_owner_slots))
    return _OWNER_PALETTE[slot % len(_OWNER_PALETTE)]


def new_figure(n_leaves: int, depth: int, width: float | None = None, height: float | None = None) -> Any:
    """A figure sized for a tree of ``n_leaves`` leaves and ``depth`` levels."""
    from matplotlib.figure import Figure

    w = width or min(18.0, max(6.0, 0.75 * n_leaves) + 2.3)  # + room for the legend
    h = height or min(10.0, max(3.0, 1.1 * (depth + 1)))
    return Figure(figsize=(w, h), dpi=100)


def draw_tree(
    g: nx.DiGraph,
    pos: Mapping[Hashable, tuple[float, float]] | None = None,
    ax: Any = None,
    *,
    flash: Mapping[Any, float] | None = None,
    flash_seconds: float = 2.0,
    labels: str | bool = "auto",
    max_labels: int = 150,
    selected: Hashable | None = None,
    arrows: Iterable[tuple[Hashable, Hashable]] = (),
    title: str | None = None,
    legend: bool = True,
) -> Any:
    """Draw ``g`` (see :func:`~zkexplore.render.layout.display_graph`) on ``ax``.

    Parameters
    ----------
    g : networkx.DiGraph
        Nodes with ``kind``, ``name``, ``owner`` attributes (as ``LiveTree.graph``).
    pos : mapping, optional
        Node positions; default :func:`tree_layout`.
    ax : matplotlib Axes, optional
        Where to draw; default a new figure sized for the tree.
    flash : mapping, optional
        ``{node: seconds since it changed}``; changed nodes get a fading halo.
    labels : "auto", True or False
        Names under the nodes; ``"auto"`` labels everything up to ``max_labels``
        nodes, and only the top two levels and changed nodes beyond.
    selected : node, optional
        Drawn with a thick outline.
    arrows : iterable of (node, node)
        Extra arrows (watches: who watches whom).
    title : str, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.DiGraph(root="/")
    >>> g.add_node("/", name="/", kind="persistent", owner=0)
    >>> g.add_node("/a", name="a", kind="ephemeral", owner=7)
    >>> g.add_edge("/", "/a")
    >>> ax = draw_tree(g)
    >>> sorted(c.get_gid() for c in ax.collections if c.get_gid())
    ['edges', 'kind:ephemeral', 'kind:persistent']
    """
    import numpy as np
    from matplotlib.collections import LineCollection
    from matplotlib.colors import to_rgba

    if pos is None:
        pos = tree_layout(g)
    attrs = dict(g.nodes(data=True))
    nodes = list(attrs)
    edges = list(g.edges)
    parents = {u for u, _ in edges}
    leaves = len(nodes) - len(parents)
    if ax is None:
        depth = max((-y for _, y in pos.values()), default=0)
        fig = new_figure(leaves or 1, int(depth))
        ax = fig.add_subplot(111)
    n = len(nodes)
    big = n > 2000
    size = 160.0 if n <= 60 else 90.0 if n <= 300 else 30.0 if n <= 3000 else 4.0

    # Beyond 2,000 nodes many markers and edges land on the same pixel: each is
    # drawn once (``_one_per_pixel``), so drawing 100,000 nodes and encoding the
    # PNG take about half a second.
    pixel = _pixel_size(ax, pos) if big else None
    segs = np.array([(pos[u], pos[v]) for u, v in edges if u in pos and v in pos], dtype=float)
    if pixel is not None and len(segs):
        segs = segs[_one_per_pixel(segs.reshape(-1, 4) / np.tile(pixel, 2))]
    if len(segs):
        # the limits are set below: skipping autolim saves a pass over every segment
        ax.add_collection(LineCollection(list(segs), colors="#b0b0b0", linewidths=0.4 if big else 1.0,
                                         antialiased=not big, zorder=1, gid="edges"), autolim=False)

    by_kind: dict[str, list[Hashable]] = {}
    for node in nodes:
        by_kind.setdefault(attrs[node].get("kind", "persistent"), []).append(node)

    flash = flash or {}
    fresh = [(k, age) for k, age in flash.items() if k in pos and age < flash_seconds]
    if fresh:
        alphas = [max(0.15, 1.0 - age / flash_seconds) for _, age in fresh]
        halo = [(1.0, 0.75, 0.0, a) for a in alphas]
        ax.scatter([pos[k][0] for k, _ in fresh], [pos[k][1] for k, _ in fresh], s=size * 4.0,
                   c=halo, marker="o", linewidths=0, zorder=2, gid="flash")

    owners_seen: dict[int, str] = {}
    for kind, members in by_kind.items():
        if kind == MORE:
            continue
        style = KIND_STYLE.get(kind, KIND_STYLE["persistent"])
        xy = np.array([pos[m] for m in members], dtype=float)
        xs, ys = xy[:, 0], xy[:, 1]
        colors: Any
        slot = np.zeros(len(members))  # which colour each marker takes
        if style["color"] is None:
            palette: dict[int, int] = {}
            for i, m in enumerate(members):
                owner = int(attrs[m].get("owner") or 0)
                if owner not in palette:
                    owners_seen.setdefault(owner, owner_color(owner))
                    palette[owner] = len(palette)
                slot[i] = palette[owner]
            rgba = np.array([to_rgba(owner_color(o)) for o in palette])
            colors = rgba[slot.astype(int)]
        else:
            colors = style["color"]
        if pixel is not None:  # plain, unoutlined markers, one per pixel and colour
            keep = _one_per_pixel(np.column_stack([xy / pixel, slot]))
            coll = ax.scatter(xs[keep], ys[keep], s=size, c=colors if isinstance(colors, str) else colors[keep],
                              marker=style["marker"], linewidths=0, zorder=3, gid=f"kind:{kind}",
                              label=style["label"])
            coll.zkx_count = len(members)
            continue
        edge = ["#222222" if m == selected else "white" for m in members]
        widths = [2.5 if m == selected else 0.8 for m in members]
        ax.scatter(xs, ys, s=size, c=colors, marker=style["marker"], edgecolors=edge,
                   linewidths=widths, zorder=3, gid=f"kind:{kind}", label=style["label"])

    for m in by_kind.get(MORE, []):
        x, y = pos[m]
        ax.text(x, y, attrs[m].get("label", "+more"), ha="center", va="center", fontsize=8,
                style="italic", color="#555555", zorder=4, gid="more",
                bbox={"boxstyle": "round,pad=0.3", "fc": "#f2f2f2", "ec": "#cccccc"})

    show_labels = labels is True or (labels == "auto")
    if show_labels:
        if labels == "auto" and n > max_labels:
            chosen = [m for m in nodes if attrs[m].get("depth", 9) <= 1 or m in flash or m == selected]
            chosen = chosen[:max_labels]
        else:
            chosen = nodes
        font = 9 if n <= 40 else 7 if n <= 150 else 6
        slanted = leaves > 10
        for m in chosen:
            if attrs[m].get("kind") == MORE:
                continue
            x, y = pos[m]
            name = short_name(str(attrs[m].get("name", m)))
            leaf = slanted and m not in parents
            ax.text(x, y - 0.16, name, ha="right" if leaf else "center",
                    va="top", fontsize=font, zorder=5, rotation=35 if leaf else 0,
                    rotation_mode="anchor", gid="label")

    for src, dst in arrows:
        if src in pos and dst in pos:
            ax.annotate("", xy=pos[dst], xytext=pos[src], zorder=6, gid="arrow",
                        arrowprops={"arrowstyle": "-|>", "color": "#d62728", "lw": 1.2,
                                    "connectionstyle": "arc3,rad=0.35", "shrinkA": 6, "shrinkB": 6})

    all_x = [p[0] for p in pos.values()] or [0.0]
    all_y = [p[1] for p in pos.values()] or [0.0]
    ax.set_xlim(min(all_x) - 0.8, max(all_x) + 0.8)
    ax.set_ylim(min(all_y) - 0.8, max(all_y) + 0.5)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    if legend and (len(by_kind) > 1 or owners_seen):
        from matplotlib.lines import Line2D

        handles = []
        for kind in KIND_STYLE:
            if kind in by_kind:
                st = KIND_STYLE[kind]
                handles.append(Line2D([], [], marker=st["marker"], ls="", color=st["color"] or "#bbbbbb",
                                      label=st["label"]))
        for owner, color in list(owners_seen.items())[:6]:
            handles.append(Line2D([], [], marker="D", ls="", color=color, label=f"session 0x{owner:x}"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7,
                  frameon=False, title="kind / owner", title_fontsize=7)
    width = ax.figure.get_figwidth()
    right = 1.0 - 2.3 / width if ax.get_legend() and width > 4.6 else 0.98
    ax.figure._zkx_margins = {"left": 0.02, "right": right, "top": 0.93, "bottom": 0.12}
    return ax


def _pixel_size(ax: Any, pos: Mapping[Hashable, tuple[float, float]]) -> Any:
    """Data units per pixel along x and y (an array), for the limits
    :func:`draw_tree` sets."""
    import numpy as np

    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    fig = ax.figure
    width = max(fig.get_figwidth() * fig.dpi * 0.8, 1.0)  # the axes take ~80-96 %
    height = max(fig.get_figheight() * fig.dpi * 0.8, 1.0)
    return np.array([(max(xs) - min(xs) + 1.6) / width, (max(ys) - min(ys) + 1.3) / height])


def _one_per_pixel(rows: Any) -> Any:
    """Indices of one row of each group of rows that are equal once rounded
    (rows of coordinates in pixels, then colour slots): the markers or edges that
    would cover the same pixels, drawn once."""
    import numpy as np

    keys = np.round(rows).astype(np.int64)
    keys -= keys.min(axis=0)
    span = keys.max(axis=0) + 1
    if float(np.prod(span.astype(float))) < 2.0**62:  # one integer per row: a fast unique
        _, first = np.unique(np.ravel_multi_index(tuple(keys.T), tuple(span)), return_index=True)
    else:
        _, first = np.unique(keys, axis=0, return_index=True)
    return np.sort(first)


def render_png(ax: Any, path: str | None = None, dpi: int = 100) -> bytes:
    """The figure of ``ax`` as PNG bytes (and written to ``path`` if given)."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = ax.figure
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    margins = getattr(fig, "_zkx_margins", None)
    if margins is not None:
        # fixed margins, not bbox_inches="tight" (which draws the figure twice)
        fig.subplots_adjust(**margins)
        fig.savefig(buf, format="png", dpi=dpi)
    else:
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    data = buf.getvalue()
    if path is not None:
        with open(path, "wb") as f:
            f.write(data)
    return data
