"""Ensembles: where ZooKeeper runs, and how to make it fail on purpose.

- :class:`LocalEnsemble`: real ZooKeeper servers as child processes on loopback.
- :class:`RemoteEnsemble`: an existing ensemble, read-only by default.

All share the interface of :class:`Ensemble`.
"""

from .base import ROLES, STATES, Ensemble, Server
from .local import LocalEnsemble, LocalServer
from .remote import ReadOnlyKazooClient, RemoteEnsemble

__all__ = [
    "Ensemble",
    "Server",
    "ROLES",
    "STATES",
    "LocalEnsemble",
    "LocalServer",
    "RemoteEnsemble",
    "ReadOnlyKazooClient",
]
