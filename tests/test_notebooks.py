"""Every lesson runs top to bottom, headless, against a simulated ensemble."""

from __future__ import annotations

import glob
import os
import time

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "notebooks", "*.ipynb")))


def test_lessons_are_all_there():
    names = {os.path.basename(p) for p in NOTEBOOKS}
    assert "index.ipynb" in names
    assert {f"{i:02d}" for i in range(1, 8)} <= {n[:2] for n in names if n[0].isdigit()}


def run_notebook(path: str, zk_hosts: str | None) -> tuple[nbformat.NotebookNode, float]:
    """Execute a notebook headless, with ``$ZK_HOSTS`` set to ``zk_hosts`` (or unset)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": os.path.dirname(path)}})
    old = os.environ.pop("ZK_HOSTS", None)
    if zk_hosts:
        os.environ["ZK_HOSTS"] = zk_hosts
    t0 = time.monotonic()
    try:
        client.execute()
    finally:
        os.environ.pop("ZK_HOSTS", None)
        if old is not None:
            os.environ["ZK_HOSTS"] = old
    return nb, time.monotonic() - t0


def errors_in(nb: nbformat.NotebookNode) -> list:
    out = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    out += [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if o.output_type == "stream" and o.name == "stderr" and "Traceback" in o.get("text", "")]
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[os.path.basename(p) for p in NOTEBOOKS])
def test_notebook_runs_within_a_minute(path):
    stored = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in stored.cells if c.cell_type == "code"), \
        f"{path} is stored with outputs"
    nb, took = run_notebook(path, None)
    assert took < 60, f"{os.path.basename(path)} took {took:.0f} s"
    errors = errors_in(nb)
    assert not errors, errors
    pictures = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                if "image/png" in o.get("data", {})]
    assert pictures, f"{os.path.basename(path)} shows no picture"


@pytest.mark.real
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[os.path.basename(p) for p in NOTEBOOKS])
def test_notebook_runs_against_the_ensemble_in_zk_hosts(real3, path):
    """With ``$ZK_HOSTS`` set (here: a real ZooKeeper), every lesson runs too;
    server faults are skipped with a message, as zkexplore does not run those servers."""
    nb, _ = run_notebook(path, real3.hosts)
    errors = errors_in(nb)
    assert not errors, errors
