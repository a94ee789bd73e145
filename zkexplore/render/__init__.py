"""Pure drawing: layouts (networkx) and figures (matplotlib) from model state.

No I/O, no widgets: functions of a graph to positions or to a figure.
"""

from .layout import MORE, display_graph, tree_layout
from .tree import KIND_STYLE, draw_tree, new_figure, owner_color, render_png

__all__ = [
    "display_graph", "tree_layout", "MORE", "draw_tree", "render_png", "new_figure",
    "KIND_STYLE", "owner_color",
]  # fmt: skip
