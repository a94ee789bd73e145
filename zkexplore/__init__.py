"""zkexplore: see and teach distributed coordination with Apache ZooKeeper.

The live znode tree as a graph, lock queues and elections animated as clients come
and go, and commands and failures fired from notebook cells, against a real or a
simulated ZooKeeper ensemble.

The names below are imported on first use, so that ``zkexplore.sim`` (which runs in
its own light process) does not pay for kazoo, ipywidgets or matplotlib.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Ensemble": "ensembles",
    "Server": "ensembles",
    "LocalEnsemble": "ensembles",
    "RemoteEnsemble": "ensembles",
    "SimEnsemble": "ensembles",
    "History": "history",
    "Op": "history",
    "ZkExploreError": "errors",
    "EnsembleError": "errors",
    "ZooKeeperNotFound": "errors",
    "FaultNotSupported": "errors",
    "ReadOnlyError": "errors",
    "LiveTree": "model",
    "Fleet": "actors",
    "TreeView": "widgets",
    "LockView": "widgets",
    "ElectionView": "widgets",
    "PartyView": "widgets",
    "SemaphoreView": "widgets",
    "BarrierView": "widgets",
    "QueueView": "widgets",
    "EnsembleView": "widgets",
    "Timeline": "widgets",
    "ControlPanel": "widgets",
}

__all__ = list(_EXPORTS)

# A library's messages reach the program's handlers, or nowhere (not stderr by default).
logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'zkexplore' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # the lazy names, for type checkers and IDEs
    # ruff: noqa: F401
    from .actors import Fleet
    from .ensembles import Ensemble, LocalEnsemble, RemoteEnsemble, Server, SimEnsemble
    from .errors import EnsembleError, FaultNotSupported, ReadOnlyError, ZkExploreError, ZooKeeperNotFound
    from .history import History, Op
    from .model import LiveTree
    from .widgets import (
        BarrierView,
        ControlPanel,
        ElectionView,
        EnsembleView,
        LockView,
        PartyView,
        QueueView,
        SemaphoreView,
        Timeline,
        TreeView,
    )
