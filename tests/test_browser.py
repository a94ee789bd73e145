"""Lessons 1, 4, 5 and 6 in JupyterLab, in headless Chromium (Debian's, driven by
Playwright): every cell runs, the widget pictures render and change as the
ensemble changes, and no error output or console error appears.  Screenshots of
each lesson's key pictures are saved in ``test-artifacts/browser/``."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from PIL import Image

CHROMIUM = "/usr/bin/chromium"
ROOT = os.path.join(os.path.dirname(__file__), "..")
ARTIFACTS = os.path.join(ROOT, "test-artifacts", "browser")

pytestmark = pytest.mark.browser

#: console messages that are not errors of ours (the closed network, the LSP
#: extension finding no language servers)
BENIGN = ("favicon", "net::ERR_", "lsp", "Failed to load resource", "language server")


def _stop(proc: subprocess.Popen, log) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    home = tmp_path_factory.mktemp("jupyter")
    port = _free_port()
    token = "zkexplore-browser-test"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "run"),
           "JUPYTER_DATA_DIR": os.environ.get("JUPYTER_DATA_DIR", str(home / "data"))}
    env.pop("ZK_HOSTS", None)
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    env["JUPYTERLAB_SETTINGS_DIR"] = str(home / "settings")
    work = home / "notebooks"
    shutil.copytree(os.path.join(ROOT, "notebooks"), work)
    log = open(home / "lab.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
         f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
         "--LabApp.expose_app_in_browser=True", "--LabServerApp.open_browser=False"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).read()
            break
        except OSError as e:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise RuntimeError("JupyterLab did not start:\n" + (home / "lab.log").read_text()[-3000:]) from e
            time.sleep(0.3)
    try:
        yield base, token
    finally:
        _stop(proc, log)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        try:
            yield b
        finally:
            b.close()


WIDGET_IMAGES = """() => Array.from(document.querySelectorAll('.jp-OutputArea-output img'))
    .filter(i => i.closest('.jupyter-widgets') && i.naturalWidth > 0).map(i => i.src)"""

#: records every picture a widget image shows, however fast they change
WATCH_IMAGES = """() => {
    window.__zkxFrames = new Set();
    const note = (img) => {
        if (img.closest && img.closest('.jupyter-widgets') && img.src) window.__zkxFrames.add(img.src);
    };
    new MutationObserver(ms => ms.forEach(m => {
        if (m.type === 'attributes') note(m.target);
        m.addedNodes && m.addedNodes.forEach(n => {
            if (n.tagName === 'IMG') note(n);
            if (n.querySelectorAll) n.querySelectorAll('img').forEach(note);
        });
    })).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
}"""

RUN_ALL_BUT_LAST = """() => {
    const nb = window.jupyterapp.shell.currentWidget;
    nb.content.activeCellIndex = nb.content.widgets.length - 1;
    window.jupyterapp.commands.execute('notebook:run-all-above');  // not awaited: we watch it run
    return true;
}"""

RUN_LAST = "() => { window.jupyterapp.commands.execute('notebook:run-cell'); return true; }"

CELLS_DONE = """(upto) => {
    const nb = window.jupyterapp.shell.currentWidget;
    if (!nb || !nb.content) return false;
    const busy = nb.sessionContext.session && nb.sessionContext.session.kernel
        && nb.sessionContext.session.kernel.status !== 'idle';
    const code = nb.content.widgets.slice(0, upto).filter(c => c.model.type === 'code');
    return !busy && code.length > 0 && code.every(c => c.model.executionCount !== null);
}"""


@pytest.mark.parametrize("lesson, shots", [
    ("01-znodes.ipynb", {0: "live tree"}),
    ("04-locks.ipynb", {0: "herd", 1: "lock queue"}),
    ("05-election.ipynb", {0: "party", 1: "election"}),
    ("06-failure.ipynb", {0: "failover", 1: "lease"}),
])
def test_lesson_runs_in_jupyterlab(jupyterlab, browser, lesson, shots):
    base, token = jupyterlab
    os.makedirs(ARTIFACTS, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console_errors.append(f"page error: {e}"))
    page.goto(f"{base}/lab/tree/{lesson}?token={token}&reset", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext "
                           "&& window.jupyterapp.shell.currentWidget.sessionContext.isReady", timeout=90_000)
    page.evaluate(WATCH_IMAGES)
    cells = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.widgets.length")

    imgs = page.locator(".jupyter-widgets img")
    best: dict[int, tuple[int, bytes]] = {}

    def capture() -> None:
        """Keep, for each key picture, the busiest frame seen (most ink): the queue
        while it is full, not the empty lock at the end."""
        for k in shots:
            if k >= imgs.count():
                continue
            try:
                # centred, so that the notebook's sticky toolbar does not cover it
                imgs.nth(k).evaluate("e => e.scrollIntoView({block: 'center'})")
                png = imgs.nth(k).screenshot(timeout=2000)
            except Exception:
                continue
            gray = Image.open(io.BytesIO(png)).convert("L")
            ink = sum(gray.histogram()[:200])
            if ink > best.get(k, (-1, b""))[0]:
                best[k] = (ink, png)

    def run(script: str, upto: int, what: str) -> None:
        page.evaluate(script)
        deadline = time.monotonic() + 150
        while not page.evaluate(CELLS_DONE, upto):
            if time.monotonic() > deadline:
                page.screenshot(path=os.path.join(ARTIFACTS, f"{lesson}-timeout.png"), full_page=True)
                pytest.fail(f"{lesson}: {what} still running after 150 s")
            capture()
            page.wait_for_timeout(300)

    # everything but the last cell (which stops the ensemble), then the pictures
    run(RUN_ALL_BUT_LAST, cells - 1, "cells")
    page.wait_for_timeout(1500)  # let the views draw their latest frame
    capture()
    images = page.evaluate(WIDGET_IMAGES)
    for k, name in shots.items():
        assert k in best, f"{lesson}: no {name} picture"
        with open(os.path.join(ARTIFACTS, f"{lesson[:2]}-{name.replace(' ', '-')}.png"), "wb") as f:
            f.write(best[k][1])
    page.screenshot(path=os.path.join(ARTIFACTS, f"{lesson}.png"), full_page=True)
    run(RUN_LAST, cells, "the last cell")
    frames = page.evaluate("() => window.__zkxFrames.size")

    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    texts = [errors.nth(i).inner_text() for i in range(errors.count())]
    tracebacks = [t for t in texts if "Traceback" in t or "Error" in t]
    assert not tracebacks, tracebacks
    assert "Error displaying widget" not in page.content()
    assert images, f"{lesson}: no widget picture rendered"
    assert frames > len(images), f"{lesson}: the pictures never changed ({frames} frames seen)"
    ours = [e for e in console_errors if not any(b.lower() in e.lower() for b in BENIGN)]
    assert not ours, ours
    page.close()


VOILA_NOTEBOOK = [
    "from zkexplore import SimEnsemble, TreeView\n"
    "ens = SimEnsemble(size=3, seed=5).start()\nzk = ens.client()\nzk.ensure_path('/voila')\n"
    "view = TreeView(zk, '/voila', fps=10)\nview",
    "import threading, time\n"
    "def grow():\n"
    "    for i in range(1000):  # for as long as the page takes to show it\n"
    "        zk.create(f'/voila/n{i:03d}', b'x')\n"
    "        time.sleep(0.25)\n"
    "threading.Thread(target=grow, daemon=True).start()",
]


def test_tree_view_renders_and_updates_in_voila(browser, tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in VOILA_NOTEBOOK]
    path = tmp_path / "tree.ipynb"
    nbformat.write(nb, str(path))
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "run")}
    env.pop("ZK_HOSTS", None)
    log = open(tmp_path / "voila.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "voila", str(path), "--no-browser", f"--port={port}",
         "--Voila.ip=127.0.0.1", "--ServerApp.port_retries=0"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError as e:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("Voila did not start:\n" + (tmp_path / "voila.log").read_text()[-3000:]) from e
                time.sleep(0.3)
        page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded", timeout=120_000)
        page.evaluate(WATCH_IMAGES)
        page.wait_for_function("() => Array.from(document.querySelectorAll('.jupyter-widgets img'))"
                               ".some(i => i.naturalWidth > 0)", timeout=120_000)
        page.wait_for_function("() => window.__zkxFrames && window.__zkxFrames.size >= 3", timeout=30_000)
        os.makedirs(ARTIFACTS, exist_ok=True)
        page.screenshot(path=os.path.join(ARTIFACTS, "voila-tree.png"), full_page=True)
        assert "Error displaying widget" not in page.content()
        ours = [e for e in errors if not any(b.lower() in e.lower() for b in BENIGN)]
        assert not ours, ours
    finally:
        page.close()
        _stop(proc, log)
