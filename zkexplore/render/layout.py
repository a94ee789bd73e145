"""Layouts for znode trees: a tidy, stable hierarchy, and the graph actually drawn.

:func:`display_graph` turns a mirror's graph into what a view draws: a depth limit,
a path filter, and wide nodes folded into a ``+N more`` node.
:func:`tree_layout` places it: depth down the page, leaves left to right in name
order (sequence numbers in number order), each parent centred over its children.
Sorting by name keeps the picture stable as nodes come and go: a new node only
moves its later siblings.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import networkx as nx

from ..names import MORE
from ..names import name_key as _name_key

__all__ = ["display_graph", "tree_layout", "MORE"]


def display_graph(
    g: nx.DiGraph,
    root: str | None = None,
    max_depth: int | None = None,
    max_children: int | None = 12,
    include: Callable[[str], bool] | None = None,
    keep: Callable[[str], bool] | None = None,
) -> nx.DiGraph:
    """The part of ``g`` to draw.

    Parameters
    ----------
    g : networkx.DiGraph
        A tree (edges parent -> child) with node attributes (see ``LiveTree.graph``).
    root : str, optional
        Draw from here (default: the graph's ``root`` attribute).
    max_depth : int, optional
        Levels below the root to show.
    max_children : int, optional
        Show at most this many children of a node; the rest become one node of kind
        ``"more"`` with ``count`` and label ``"+N more"``.
    include : callable, optional
        ``include(path)``: draw only matching nodes (and the ancestors that lead to them).
    keep : callable, optional
        Children for which ``keep(path)`` is true are shown before others when
        folding (e.g. nodes that just changed).

    Examples
    --------
    >>> g = nx.DiGraph(root="/")
    >>> g.add_edges_from(("/", f"/n{i}") for i in range(20))
    >>> d = display_graph(g, max_children=5)
    >>> d.nodes["/+more"]["label"]
    '+15 more'
    """
    root = root or g.graph.get("root") or next(n for n, deg in g.in_degree() if deg == 0)
    wanted: set[Hashable] | None = None
    if include is not None:
        wanted = set()
        for n in g.nodes:
            if include(n):
                wanted.add(n)
                wanted.update(nx.ancestors(g, n))
    out = nx.DiGraph(root=root)
    out.add_node(root, **g.nodes[root])
    todo = [(root, 0)]
    while todo:
        node, depth = todo.pop()
        if max_depth is not None and depth >= max_depth:
            hidden = sum(1 for _ in g.successors(node))
            if hidden:
                out.nodes[node]["hidden_children"] = hidden
            continue
        kids = [k for k in g.successors(node) if wanted is None or k in wanted]
        kids.sort(key=lambda k: _name_key(g.nodes[k].get("name", str(k))))
        if max_children is not None and len(kids) > max_children:
            if keep is not None:
                first = [k for k in kids if keep(k)][:max_children]
                rest = [k for k in kids if k not in first]
                shown = sorted(first + rest[: max_children - len(first)],
                               key=lambda k: _name_key(g.nodes[k].get("name", str(k))))
            else:
                shown = kids[:max_children]
            folded = len(kids) - len(shown)
        else:
            shown, folded = kids, 0
        for k in shown:
            out.add_node(k, **g.nodes[k])
            out.add_edge(node, k)
            todo.append((k, depth + 1))
        if folded:
            more = f"{node.rstrip('/')}/+more" if isinstance(node, str) else (node, "+more")
            out.add_node(more, kind=MORE, count=folded, label=f"+{folded} more",
                         name=f"+{folded} more", depth=g.nodes[node].get("depth", depth) + 1)
            out.add_edge(node, more)
    return out


def tree_layout(g: nx.DiGraph, root: str | None = None, level_gap: float = 1.0) -> dict[Hashable, tuple[float, float]]:
    """Positions for a tree: ``{node: (x, y)}``, root at the top (y = 0, -1, ...).

    Leaves take one unit of width each, in name order; a parent sits over the middle
    of its children.  Linear in the number of nodes.

    Examples
    --------
    >>> g = nx.DiGraph([("/", "/a"), ("/", "/b")])
    >>> pos = tree_layout(g, "/")
    >>> pos["/"], pos["/a"], pos["/b"]
    ((0.5, 0.0), (0.0, -1.0), (1.0, -1.0))
    """
    if g.number_of_nodes() == 0:
        return {}
    root = root or g.graph.get("root") or next(n for n, deg in g.in_degree() if deg == 0)

    def key(n: Hashable) -> tuple[Any, ...]:
        attrs = g.nodes[n]
        if attrs.get("kind") == MORE:
            return (2,)
        return _name_key(attrs.get("name", str(n)))

    pos: dict[Hashable, tuple[float, float]] = {}
    next_x = 0.0
    succ = g.succ
    # iterative post-order: children first, then the parent over them
    stack: list[tuple[Hashable, int, Any]] = [(root, 0, None)]
    while stack:
        node, depth, kids = stack.pop()
        if kids is None:  # first visit
            if not succ[node]:
                pos[node] = (next_x, -depth * level_gap)
                next_x += 1.0
                continue
            kids = sorted(succ[node], key=key)
            stack.append((node, depth, kids))
            stack.extend((k, depth + 1, None) for k in reversed(kids))
            continue
        pos[node] = ((pos[kids[0]][0] + pos[kids[-1]][0]) / 2.0, -depth * level_gap)
    return pos
