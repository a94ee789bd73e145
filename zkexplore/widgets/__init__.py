"""ipywidgets views: thin widgets that take model state in and put pictures out.

Nothing in zkexplore imports this package; notebooks do.
"""

from .tree_view import TreeView

__all__ = ["TreeView"]
