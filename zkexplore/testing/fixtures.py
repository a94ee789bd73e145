"""pytest fixtures for zkexplore and for projects that test ZooKeeper code with it.

Load them with ``-p zkexplore.testing.fixtures`` (or ``pytest_plugins = [...]`` in a
``conftest.py``).

- ``real_ensemble``: one 3-server :class:`~zkexplore.LocalEnsemble` for the session.
- ``real3``: that ensemble, restored (every fault undone, every server serving,
  the tree emptied, clients closed) around each test.
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

from ..ensembles import LocalEnsemble
from ..ensembles.base import Ensemble
from .leaks import LeakCheck

__all__ = ["real_ensemble", "real3", "no_leaks", "wipe"]


def wipe(ensemble: Ensemble) -> None:
    """Delete every znode but ``/zookeeper``, through a fresh client."""
    zk = ensemble.client()
    try:
        for child in zk.get_children("/"):
            if child != "zookeeper":
                zk.delete("/" + child, recursive=True)
    finally:
        ensemble._clients.remove(zk)
        zk.stop()
        zk.close()


def _skip_real() -> None:
    if os.environ.get("ZKEXPLORE_SKIP_REAL") == "1":
        pytest.skip("ZKEXPLORE_SKIP_REAL=1: tests against a real ZooKeeper are skipped")


@pytest.fixture(scope="session")
def real_ensemble() -> Iterator[LocalEnsemble]:
    _skip_real()
    ens = LocalEnsemble(size=3)
    ens.start()
    try:
        yield ens
    finally:
        ens.stop()


@pytest.fixture
def real3(real_ensemble: LocalEnsemble) -> Iterator[LocalEnsemble]:
    real_ensemble.restore()
    try:
        yield real_ensemble
    finally:
        real_ensemble._close_clients()
        with contextlib.suppress(Exception):
            real_ensemble.restore()
            wipe(real_ensemble)


@pytest.fixture
def no_leaks() -> Iterator[LeakCheck]:
    check = LeakCheck()
    with check:
        yield check
    assert not check.leaks, f"left behind: {check.leaks}"
