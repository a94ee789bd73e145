"""ipywidgets views: thin widgets that take model state in and put pictures out.

Nothing in zkexplore imports this package; notebooks do.
"""

from ._frame import close_all
from .ensemble_views import ControlPanel, EnsembleView, Timeline
from .recipe_views import BarrierView, ElectionView, LockView, PartyView, QueueView, SemaphoreView
from .tree_view import TreeView

__all__ = [
    "TreeView", "LockView", "ElectionView", "PartyView", "SemaphoreView", "BarrierView", "QueueView",
    "EnsembleView", "Timeline", "ControlPanel", "close_all",
]  # fmt: skip
