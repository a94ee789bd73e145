"""Helpers for the teaching notebooks: one line to get an ensemble.

Every lesson starts with ``ens = lab.ensemble()``: a seeded, simulated 3-server
ensemble (no Java needed), or, when the environment variable ``ZK_HOSTS`` is set,
the ensemble it names (faults are then refused with a message that says why).
``lab.production()`` gives a read-only view of a busy tree for the debugging lesson.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

from .ensembles.base import Ensemble

__all__ = ["ensemble", "production", "populate_demo_tree", "server_faults"]


def ensemble(size: int = 3, seed: int | None = 42, **kwargs: Any) -> Ensemble:
    """A started ensemble for a lesson: ``$ZK_HOSTS`` if set, else a SimEnsemble.

    Examples
    --------
    >>> ens = ensemble()
    >>> ens.leader is not None
    True
    >>> ens.stop()
    """
    hosts = os.environ.get("ZK_HOSTS", "").strip()
    if hosts:
        from .ensembles.remote import RemoteEnsemble

        return RemoteEnsemble(hosts, read_only=False).start()
    from .ensembles.sim import SimEnsemble

    return SimEnsemble(size=size, seed=seed, **kwargs).start()


def server_faults(ens: Ensemble) -> bool:
    """Whether this ensemble's servers can be killed, paused and partitioned (not
    an ensemble given by ``$ZK_HOSTS``, which zkexplore does not run)."""
    ok = ens.kind != "RemoteEnsemble"
    if not ok:
        print(f"{ens.kind} at {ens.hosts}: zkexplore does not run its servers, so server faults are "
              "skipped here; run the lesson without ZK_HOSTS to see them.")
    return ok


def populate_demo_tree(zk: Any, services: int = 4, instances: int = 6, seed: int = 1) -> None:
    """Fill a client's ensemble with a small 'production-like' tree: service
    configs, registered instances (ephemeral), locks, a queue, a leader election."""
    rng = random.Random(seed)
    zk.ensure_path("/prod/config")
    zk.ensure_path("/prod/services")
    zk.ensure_path("/prod/locks")
    zk.ensure_path("/prod/queue")
    for s in range(services):
        name = ["billing", "search", "auth", "orders", "mail", "stats"][s % 6]
        config = {"replicas": rng.randint(2, 9), "timeout_ms": rng.choice([250, 500, 1000])}
        zk.create(f"/prod/config/{name}", json.dumps(config).encode())
        zk.ensure_path(f"/prod/services/{name}")
        for i in range(instances):
            zk.create(f"/prod/services/{name}/instance-", f"10.0.{s}.{i}:8080".encode(), sequence=True,
                      ephemeral=True)
    for i in range(20):
        zk.create("/prod/queue/entry-000-", f"job {i}".encode(), sequence=True)
    zk.create("/prod/blob", bytes(rng.randrange(256) for _ in range(64)))


def production(hosts: str | None = None) -> tuple[Ensemble, Any]:
    """(a read-only ensemble, the simulated ensemble behind it or None).

    With ``hosts`` (or ``$ZK_HOSTS``) it is that ensemble, read-only.  Otherwise a
    simulated ensemble is filled with :func:`populate_demo_tree` and opened read-only,
    so the lesson shows what it would show on a real production tree.
    """
    from .ensembles.remote import RemoteEnsemble

    hosts = hosts or os.environ.get("ZK_HOSTS", "").strip() or None
    if hosts:
        return RemoteEnsemble(hosts).start(), None
    from .ensembles.sim import SimEnsemble

    backing = SimEnsemble(size=3, seed=7).start()
    populate_demo_tree(backing.client())
    return RemoteEnsemble(backing.hosts).start(), backing
