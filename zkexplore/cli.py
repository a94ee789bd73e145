"""The ``zkexplore`` command.

- ``zkexplore lab``: JupyterLab on the teaching notebooks (prints the URL; opens a
  browser only where there is a display).
- ``zkexplore sim --size 3 [--port P] [--seed S]``: serve a simulated ensemble on
  loopback in the foreground and print its hosts string (for zkCli.sh or any other
  client); Ctrl-C or SIGTERM stops it.
- ``zkexplore snapshot HOSTS [--root /path] --out tree.png``: draw a tree headlessly,
  read-only (it never writes).
- ``zkexplore demo lock|herd|election|failover|lease --out FILE.gif``: record a
  scenario on a seeded simulated ensemble as an animated GIF.
"""

from __future__ import annotations

import argparse
import os
import signal
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
    # JupyterLab runs in its own session, away from the terminal's Ctrl-C: on SIGINT
    # without a terminal it exits without its clean-up (kernels, runtime files), while
    # SIGTERM stops it cleanly.  This process turns Ctrl-C (and hang-up) into SIGTERM.
    proc = subprocess.Popen(cmd, cwd=nbdir, stdin=subprocess.DEVNULL, start_new_session=True)

    def stop(*_: object) -> None:
        if proc.poll() is None:
            proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    interrupted = False
    while True:
        try:
            code = proc.wait()
        except KeyboardInterrupt:
            interrupted = True
            stop()
            continue
        return 0 if interrupted else code  # stopped as asked: not an error for make


def cmd_sim(args: argparse.Namespace) -> int:
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


def cmd_snapshot(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from kazoo.exceptions import KazooException, NoNodeError

    from .ensembles.remote import RemoteEnsemble
    from .errors import ZkExploreError
    from .model.livetree import LiveTree
    from .render import draw_tree, new_figure, render_png, tree_layout

    try:
        with RemoteEnsemble(args.hosts, connect_timeout=args.timeout) as ens:
            zk = ens.client()
            tree = LiveTree(zk, args.root, max_nodes=args.max_nodes, max_rate=args.max_rate)
            try:
                tree.start(timeout=args.timeout)
                g = tree.graph(max_depth=args.depth, max_children=args.max_children,
                               include=(lambda p: args.filter in p) if args.filter else None)
            finally:
                tree.close()
    except NoNodeError:
        raise SystemExit(f"zkexplore snapshot: {args.root} does not exist on {args.hosts}") from None
    except (ZkExploreError, KazooException, TimeoutError, ValueError) as e:
        raise SystemExit(f"zkexplore snapshot: {e}") from None
    pos = tree_layout(g, args.root)
    leaves = sum(1 for n in g if g.out_degree(n) == 0) or 1
    depth = max((-y for _, y in pos.values()), default=0)
    ax = new_figure(leaves, int(depth)).add_subplot(111)
    title = f"{args.root}  ·  {len(tree)} nodes  ·  {args.hosts}"
    if tree.truncated:
        title += f"  (first {args.max_nodes} nodes)"
    draw_tree(g, pos, ax, title=title)
    render_png(ax, args.out)
    print(f"wrote {args.out}: {g.number_of_nodes()} nodes drawn of {len(tree)} read", flush=True)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demos import record

    result = record(args.name, args.out, seed=args.seed)
    holders = [m["holder"] for m in result.meta]
    changes = sum(1 for a, b in zip(holders, holders[1:]) if a != b)
    print(f"wrote {result.path}: {result.frames} frames over {result.seconds:.1f} s, "
          f"{changes} changes of holder/leader", flush=True)
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
    snap = sub.add_parser("snapshot", help="draw a tree to a PNG, headlessly and read-only")
    snap.add_argument("hosts", help="the ensemble's hosts string, e.g. zk1:2181,zk2:2181")
    snap.add_argument("--root", default="/", help="the subtree to draw (default /)")
    snap.add_argument("--out", required=True, help="the PNG file to write")
    snap.add_argument("--depth", type=int, default=None, help="levels below the root to draw")
    snap.add_argument("--max-children", type=int, default=12,
                      help="children per node before folding into '+N more' (default 12)")
    snap.add_argument("--filter", default="", help="draw only paths containing this text")
    snap.add_argument("--max-nodes", type=int, default=250_000, help="read at most this many nodes")
    snap.add_argument("--max-rate", type=float, default=None, help="read at most this many nodes/s")
    snap.add_argument("--timeout", type=float, default=60.0, help="seconds to connect and load")
    snap.set_defaults(func=cmd_snapshot)
    from .demos import DEMOS

    demo = sub.add_parser("demo", help="record a demo scenario as an animated GIF")
    demo.add_argument("name", choices=DEMOS)
    demo.add_argument("--out", required=True, help="the GIF file to write")
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(func=cmd_demo)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
