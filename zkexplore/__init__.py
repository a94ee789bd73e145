"""zkexplore: see and teach distributed coordination with Apache ZooKeeper.

The live znode tree as a graph, lock queues and elections animated as clients come
and go, and commands and failures fired from notebook cells, against a real or a
simulated ZooKeeper ensemble.
"""

from .ensembles import Ensemble, LocalEnsemble, RemoteEnsemble, Server, SimEnsemble
from .errors import (
    EnsembleError,
    FaultNotSupported,
    ReadOnlyError,
    ZkExploreError,
    ZooKeeperNotFound,
)
from .history import History, Op

__version__ = "0.1.0"

__all__ = [
    "Ensemble",
    "Server",
    "LocalEnsemble",
    "RemoteEnsemble",
    "SimEnsemble",
    "History",
    "Op",
    "ZkExploreError",
    "EnsembleError",
    "ZooKeeperNotFound",
    "FaultNotSupported",
    "ReadOnlyError",
]
