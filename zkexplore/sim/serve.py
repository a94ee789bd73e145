"""Run a simulated ensemble in a child process, driven over stdin/stdout.

A :class:`~zkexplore.ensembles.SimEnsemble` starts this process (``python -I -S``,
with only the standard library and ``zkexplore.sim`` to import, so it is ready in
tens of milliseconds) and talks to it in JSON lines: ``boot`` once, then named
operations (:mod:`zkexplore.sim.ops`), port changes and latency.  The servers then
run on their own core, off the parent's GIL.  When stdin ends (the parent stopped
the ensemble, exited or was killed) the process closes every port and exits.

Replies are ``{"ok": true, "result": ...}`` or ``{"ok": false, "type": "EnsembleError",
"message": "..."}``; the parent raises the same kind of error.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from .cluster import Config
from .transport import SimHost

__all__ = ["main", "command"]


def command(host: SimHost | None, msg: dict[str, Any]) -> tuple[SimHost | None, Any]:
    """Apply one command; returns the (possibly new) host and the result."""
    op = msg.get("op")
    if op == "boot":
        if host is not None:
            raise ValueError("already booted")
        config = Config(**msg.get("config", {}))
        host = SimHost(msg["size"], msg.get("seed"), config, msg.get("ports")).start()
        return host, {"ports": host.ports}
    if host is None:
        raise ValueError("boot first")
    if op == "run":
        return host, host.op(msg["name"], *msg.get("args", []))
    if op == "port":
        host.set_port(int(msg["sid"]), bool(msg["open"]))
        return host, None
    if op == "delay":
        host.set_delay(float(msg["seconds"]))
        return host, None
    raise ValueError(f"unknown command {op!r}")


def main() -> None:
    host: SimHost | None = None
    out = sys.stdout
    try:
        for line in sys.stdin:
            try:
                msg = json.loads(line)
                host, result = command(host, msg)
                reply = {"ok": True, "result": result}
            except Exception as e:  # reported to the parent, which raises it
                reply = {"ok": False, "type": type(e).__name__, "message": str(e)}
            out.write(json.dumps(reply) + "\n")
            out.flush()
    except KeyboardInterrupt:
        pass
    finally:
        if host is not None:
            host.stop()


if __name__ == "__main__":
    main()
