"""`make lab` runs `zkexplore lab`: JupyterLab on the lessons, its URL printed when
headless, and a Ctrl-C stops it cleanly (no traceback, nothing left running)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from zkexplore.testing.leaks import LeakCheck

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lab_prints_its_url_serves_the_index_and_stops_on_ctrl_c(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    lines: list[str] = []
    with LeakCheck() as check:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zkexplore.cli", "lab", "--port", str(port)],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
        reader.start()
        try:
            prefix = f"http://127.0.0.1:{port}/lab?token="
            deadline = time.monotonic() + 90
            url = None
            while url is None:
                assert time.monotonic() < deadline, "no URL printed:\n" + "".join(lines)
                assert proc.poll() is None, "JupyterLab exited:\n" + "".join(lines)
                url = next((w for line in list(lines) for w in line.split() if w.startswith(prefix)), None)
                time.sleep(0.2)
            token = url.split("token=", 1)[1]
            api = f"http://127.0.0.1:{port}/api/contents/index.ipynb?content=0&token={token}"
            with urllib.request.urlopen(api, timeout=30) as r:
                assert r.status == 200  # it serves the lessons, index first
            os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole group
            assert proc.wait(60) == 0, "".join(lines)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        reader.join(10)
    out = "".join(lines)
    assert "Traceback" not in out, out
    assert not check.leaks, str(check.leaks)
    # a clean shutdown removes the server's runtime files (its URL and token)
    assert not list((tmp_path / "runtime").glob("jpserver-*")), out
