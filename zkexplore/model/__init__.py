"""Models of what happens in ZooKeeper, fed by watches; no widgets here.

- :class:`LiveTree`: a watch-fed mirror of a subtree.
"""

from .kinds import KINDS, is_sequential, node_kind
from .livetree import EVENT_KINDS, LiveNode, LiveTree, TreeEvent, TreeTooLarge

__all__ = [
    "LiveTree", "LiveNode", "TreeEvent", "TreeTooLarge", "EVENT_KINDS",
    "node_kind", "is_sequential", "KINDS",
]  # fmt: skip
