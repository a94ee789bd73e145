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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[os.path.basename(p) for p in NOTEBOOKS])
def test_notebook_runs_within_a_minute(path):
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        f"{path} is stored with outputs"
    env = {k: v for k, v in os.environ.items() if k != "ZK_HOSTS"}
    client = NotebookClient(nb, timeout=60, kernel_name="python3", resources={"metadata": {"path": os.path.dirname(path)}})
    old = os.environ.pop("ZK_HOSTS", None)
    t0 = time.monotonic()
    try:
        client.execute()
    finally:
        if old is not None:
            os.environ["ZK_HOSTS"] = old
    took = time.monotonic() - t0
    assert took < 60, f"{os.path.basename(path)} took {took:.0f} s"
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    stderr = [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "stream" and o.name == "stderr"]
    assert not any("Traceback" in s for s in stderr), stderr
    pictures = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                if "image/png" in o.get("data", {})]
    assert pictures, f"{os.path.basename(path)} shows no picture"
    _ = env
