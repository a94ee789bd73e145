"""pytest fixtures for zkexplore and for projects that test ZooKeeper code with it.

Load them with ``-p zkexplore.testing.fixtures`` (or ``pytest_plugins = [...]`` in a
``conftest.py``).

- ``real_ensemble``: one 3-server :class:`~zkexplore.LocalEnsemble` for the session.
- ``real3``: that ensemble, restored (every fault undone, every server serving,
  the tree emptied, clients closed) around each test.
- ``sim_ensemble`` / ``sim3``: the same for a 3-server :class:`~zkexplore.SimEnsemble`.
- ``ensemble``: parametrized over both, for tests that must hold on each.
- ``no_leaks``: fails the test if a process, thread, socket or temp dir it started
  outlives it.

A missing ZooKeeper is an error, not a skip: tests that need the real thing must not
pass silently without it.  Set ``ZKEXPLORE_SKIP_REAL=1`` to skip them on purpose.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from ..ensembles import LocalEnsemble, SimEnsemble
from ..ensembles.base import Ensemble
from .differential import delete_tree
from .leaks import LeakCheck

__all__ = ["real_ensemble", "real3", "sim_ensemble", "sim3", "ensemble", "no_leaks", "wipe"]

#: The seed of the session's simulated ensemble (printed in the test header).
SIM_SEED = int(os.environ.get("ZKEXPLORE_SEED", "20261204"))


def pytest_report_header(config: pytest.Config) -> str:
    return f"zkexplore: simulated ensembles seeded with {SIM_SEED} (set ZKEXPLORE_SEED to change)"


def wipe(ensemble: Ensemble) -> None:
    """Delete every znode but ``/zookeeper``, through a fresh client."""
    zk = ensemble.client()
    try:
        for child in zk.get_children("/"):
            if child != "zookeeper":
                delete_tree(zk, "/" + child)
    finally:
        ensemble._clients.remove(zk)
        zk.stop()
        zk.close()


def _skip_real() -> None:
    if os.environ.get("ZKEXPLORE_SKIP_REAL") == "1":
        pytest.skip("ZKEXPLORE_SKIP_REAL=1: tests against a real ZooKeeper are skipped")


def _running(ens: Ensemble) -> Iterator[Ensemble]:
    ens.start()
    try:
        yield ens
    finally:
        ens.stop()


def _restored(ens: Ensemble) -> Iterator[Ensemble]:
    """Every fault undone before the test; clients closed and the tree wiped after."""
    ens.restore()
    try:
        yield ens
    finally:
        ens._close_clients()
        with contextlib.suppress(Exception):
            ens.restore()
            wipe(ens)


@pytest.fixture(scope="session")
def real_ensemble() -> Iterator[Ensemble]:
    _skip_real()
    yield from _running(LocalEnsemble(size=3))


@pytest.fixture
def real3(real_ensemble: LocalEnsemble) -> Iterator[Ensemble]:
    yield from _restored(real_ensemble)


@pytest.fixture(scope="session")
def sim_ensemble() -> Iterator[Ensemble]:
    yield from _running(SimEnsemble(size=3, seed=SIM_SEED))


@pytest.fixture
def sim3(sim_ensemble: SimEnsemble) -> Iterator[Ensemble]:
    yield from _restored(sim_ensemble)


@pytest.fixture(params=["sim", "real"])
def ensemble(request: pytest.FixtureRequest) -> Ensemble:
    """A restored 3-server ensemble: simulated, then real."""
    if request.param == "real":
        request.applymarker(pytest.mark.real)
        return request.getfixturevalue("real3")
    return request.getfixturevalue("sim3")


@pytest.fixture
def no_leaks() -> Iterator[LeakCheck]:
    check = LeakCheck()
    with check:
        yield check
    assert not check.leaks, f"left behind: {check.leaks}"
