"""Ensembles: where ZooKeeper runs, and how to make it fail on purpose.

- :class:`LocalEnsemble`: real ZooKeeper servers as child processes on loopback.
- :class:`RemoteEnsemble`: an existing ensemble, read-only by default.
- :class:`SimEnsemble`: simulated servers that speak the real protocol, no Java.

All share the interface of :class:`Ensemble`.
"""

from .base import ROLES, STATES, Ensemble, Server
from .local import LocalEnsemble, LocalServer
from .remote import ReadOnlyKazooClient, RemoteEnsemble
from .sim import SimEnsemble, SimServer

__all__ = [
    "Ensemble",
    "Server",
    "ROLES",
    "STATES",
    "LocalEnsemble",
    "LocalServer",
    "RemoteEnsemble",
    "ReadOnlyKazooClient",
    "SimEnsemble",
    "SimServer",
]
