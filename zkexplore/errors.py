"""The exceptions zkexplore raises.

Every error zkexplore raises itself derives from :class:`ZkExploreError`.  Errors that
come from ZooKeeper (``NoNodeError``, ``BadVersionError``, ...) are kazoo's own
exceptions and pass through unchanged, so code written for kazoo keeps working.
"""

from __future__ import annotations

__all__ = [
    "ZkExploreError",
    "EnsembleError",
    "ZooKeeperNotFound",
    "FaultNotSupported",
    "ReadOnlyError",
]


class ZkExploreError(Exception):
    """The root of every error raised by zkexplore itself."""


class EnsembleError(ZkExploreError):
    """An ensemble could not be started, reached or controlled."""


class ZooKeeperNotFound(EnsembleError):
    """No ZooKeeper installation (or no Java) was found to run a real server."""


class FaultNotSupported(ZkExploreError):
    """The ensemble cannot inject this fault (for example any server fault on a
    production ensemble).  The message names the fault and the reason."""

    def __init__(self, fault: str, ensemble: str, reason: str) -> None:
        self.fault = fault
        self.ensemble = ensemble
        self.reason = reason
        super().__init__(f"{ensemble} cannot {fault}: {reason}")


class ReadOnlyError(ZkExploreError):
    """A write was refused before anything was sent, because the client is read-only."""

    def __init__(self, operation: str, path: str | None = None) -> None:
        self.operation = operation
        self.path = path
        where = f" on {path!r}" if path else ""
        super().__init__(
            f"refused {operation}{where}: this client is read-only "
            "(RemoteEnsemble(..., read_only=False) allows writes)"
        )
