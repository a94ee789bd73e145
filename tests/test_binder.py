"""Binder's sequence, in a fresh venv: install binder/requirements.txt, run
postBuild, then run the index notebook through binder/start."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


@pytest.mark.slow
def test_binder_sequence_runs_the_index(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "ZK_HOSTS")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    run = lambda *cmd, **kw: subprocess.run(list(cmd), cwd=ROOT, env=env, capture_output=True, text=True, **kw)  # noqa: E731
    r = run(py, "-m", "pip", "install", "-q", "-r", "binder/requirements.txt", timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    r = run("bash", "binder/postBuild", timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    script = textwrap.dedent(
        """
        import nbformat, sys
        from nbclient import NotebookClient
        nb = nbformat.read("notebooks/index.ipynb", as_version=4)
        NotebookClient(nb, timeout=120, kernel_name="python3").execute()
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        pngs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
        print("errors", len(errors), "pictures", len(pngs))
        sys.exit(1 if errors or not pngs else 0)
        """
    )
    r = run("binder/start", py, "-c", script, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert "errors 0" in r.stdout
    # the zkexplore it ran is the one in the fresh venv, not this checkout's venv
    r = run(py, "-c", "import zkexplore, kazoo, sys; print(sys.prefix)")
    assert str(venv) in r.stdout
