"""The ``zkexplore`` command.

- ``zkexplore lab``: JupyterLab on the teaching notebooks (prints the URL; opens a
  browser only where there is a display).
- ``zkexplore sim --size 3 [--port P] [--seed S]``: serve a simulated ensemble on
  loopback in the foreground and print its hosts string (for zkCli.sh or any other
  client); Ctrl-C or SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

__all__ = ["main"]


def _find_notebooks(start: str) -> str:
    d = os.path.abspath(start)
    while True:
        cand = os.path.join(d, "notebooks")
        if os.path.isdir(cand):
            return cand
        parent = os.path.dirname(d)
        if parent == d:
            raise SystemExit("zkexplore lab: no notebooks/ directory here or above")
        d = parent


def cmd_lab(args: argparse.Namespace) -> int:
    nbdir = args.notebooks or _find_notebooks(os.getcwd())
    cmd = [
        sys.executable, "-m", "jupyter", "lab",
        f"--ServerApp.root_dir={nbdir}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={args.port}",
    ]
    headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform == "darwin")
    if headless or args.no_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI machines often run as root
    index = os.path.join(nbdir, "index.ipynb")
    if os.path.exists(index):
        cmd.append("index.ipynb")
    print("starting JupyterLab on", nbdir, "(the URL follows; Ctrl-C stops it)", flush=True)
    return subprocess.call(cmd, cwd=nbdir)


def cmd_sim(args: argparse.Namespace) -> int:
    import signal
    import threading

    from .ensembles.sim import SimEnsemble

    if args.size < 1:
        raise SystemExit("zkexplore sim: --size must be at least 1")
    ports = [args.port + i for i in range(args.size)] if args.port else None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    ens = SimEnsemble(size=args.size, seed=args.seed, ports=ports, tick_time=args.tick_time)
    try:
        ens.start()
    except OSError as e:
        raise SystemExit(f"zkexplore sim: cannot listen: {e}") from None
    try:
        print(ens.hosts, flush=True)
        print(f"# {args.size} simulated ZooKeeper 3.8 servers; leader is server "
              f"{ens.leader.id if ens.leader else '?'}; Ctrl-C stops them", file=sys.stderr, flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        ens.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zkexplore", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    lab = sub.add_parser("lab", help="JupyterLab on the teaching notebooks")
    lab.add_argument("--notebooks", help="the notebooks directory (default: ./notebooks)")
    lab.add_argument("--port", type=int, default=8888)
    lab.add_argument("--no-browser", action="store_true")
    lab.set_defaults(func=cmd_lab)
    sim = sub.add_parser("sim", help="serve a simulated ensemble on loopback")
    sim.add_argument("--size", type=int, default=3, help="number of servers (default 3)")
    sim.add_argument("--port", type=int, default=0,
                     help="client port of the first server; the others follow (default: free ports)")
    sim.add_argument("--seed", type=int, default=None, help="repeatable zxids and session ids")
    sim.add_argument("--tick-time", type=int, default=2000, help="tickTime in ms (default 2000)")
    sim.set_defaults(func=cmd_sim)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
