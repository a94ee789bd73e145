"""Named operations on a simulated ensemble: faults and questions as plain values.

Every way a :class:`~zkexplore.ensembles.SimEnsemble` acts on its simulation goes
through :func:`run` with a name and JSON-able arguments, so the same calls work on
a cluster in this process and on one in a child process (:mod:`zkexplore.sim.serve`).
Results are plain data.  Unknown names raise ``ValueError``; impossible faults raise
:class:`~zkexplore.errors.EnsembleError` from the cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .cluster import Cluster

__all__ = ["OPS", "run"]


def _quorum_up(c: Cluster) -> bool:
    return c._quorum(sum(s.state == "up" for s in c.servers))


def _set_peer_delay(c: Cluster, seconds: float) -> None:
    c.peer_delay = float(seconds)


OPS: dict[str, Callable[..., Any]] = {
    # questions
    "role": lambda c, sid: c.role(sid),
    "state": lambda c, sid: c.by_id[sid].state,
    "applied": lambda c, sid: c.by_id[sid].applied,
    "describe": lambda c: c.describe(),
    "quorum_up": _quorum_up,
    "leader": lambda c: c.leader.id if c.leader is not None else None,
    # faults
    "kill": lambda c, sid: c.kill(sid),
    "start": lambda c, sid: c.start(sid),
    "pause": lambda c, sid: c.pause(sid),
    "resume": lambda c, sid: c.resume(sid),
    "partition": lambda c, groups: c.partition([set(g) for g in groups]),
    "heal": lambda c: c.heal(),
    "set_lag": lambda c, sid, seconds: c.set_lag(sid, seconds),
    "clear_lags": lambda c: [c.set_lag(s.id, 0.0) for s in c.servers] and None,
    "drop_session": lambda c, sid, hold: c.drop_session(sid, hold),
    "expire": lambda c, sid: c.expire(sid),
    "set_peer_delay": _set_peer_delay,
}


def run(cluster: Cluster, name: str, args: list[Any] | tuple[Any, ...] = ()) -> Any:
    """Run the operation ``name`` on ``cluster`` with ``args``."""
    fn = OPS.get(name)
    if fn is None:
        raise ValueError(f"no simulation operation named {name!r}")
    return fn(cluster, *args)
