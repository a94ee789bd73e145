"""LiveTree benchmarks on a real 3-server ensemble, all measured in one run.

Run: ``python benchmarks/live_tree.py [--znodes 100000] [--sim]``

Prints:

- load rate (nodes/s) of a LiveTree, of kazoo's TreeCache, and of the best
  pipelined kazoo walk (get_children_async + get_async per node, 128 in flight),
  and the ratio LiveTree / best walk (target: at least 5x);
- latency from another client's ``set()`` to the LiveTree's event, median and p99,
  against a bare kazoo data watch on the same node (target: within 2 ms);
- frame render time of the tree view for 1k, 10k and 100k nodes: the default view
  (wide nodes folded into "+N more") and the whole tree drawn (target: 100k in at
  most 1 s).

``--sim`` runs the same on a simulated ensemble.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections import deque

from kazoo.client import KazooClient
from kazoo.recipe.cache import TreeCache
from kazoo.recipe.cache import TreeEvent as CacheEvent

from zkexplore import LocalEnsemble, SimEnsemble
from zkexplore.model import LiveTree


def populate(hosts: str, root: str, n: int, fanout: int = 1000) -> int:
    zk = KazooClient(hosts=hosts, timeout=30)
    zk.start()
    try:
        zk.ensure_path(root)
        pending: deque = deque()
        made = 1
        for p in range(max(1, n // fanout)):
            zk.create(f"{root}/p{p:03d}", b"parent")
            made += 1
            for i in range(min(fanout - 1, n - made)):
                pending.append(zk.create_async(f"{root}/p{p:03d}/n{i:04d}", b"0123456789"))
                made += 1
                if len(pending) > 1024:
                    pending.popleft().get()
            if made >= n:
                break
        for r in pending:
            r.get()
        return made
    finally:
        zk.stop()
        zk.close()


def load_livetree(hosts: str, root: str) -> tuple[float, int, dict]:
    zk = KazooClient(hosts=hosts, timeout=30)
    zk.start()
    try:
        t0 = time.perf_counter()
        tree = LiveTree(zk, root, batch=128, window=8).start(timeout=600)
        dt = time.perf_counter() - t0
        n = len(tree)
        stats = dict(tree.stats)
        tree.close()
        return n / dt, n, stats
    finally:
        zk.stop()
        zk.close()


def load_treecache(hosts: str, root: str) -> tuple[float, int]:
    zk = KazooClient(hosts=hosts, timeout=30)
    zk.start()
    try:
        done = threading.Event()
        cache = TreeCache(zk, root)
        cache.listen(lambda ev: done.set() if ev.event_type == CacheEvent.INITIALIZED else None)
        t0 = time.perf_counter()
        cache.start()
        done.wait(900)
        dt = time.perf_counter() - t0

        def count(p: str) -> int:
            kids = cache.get_children(p) or []
            return 1 + sum(count(f"{p}/{k}") for k in kids)

        n = count(root)
        cache.close()
        return n / dt, n
    finally:
        zk.stop()
        zk.close()


def load_walk(hosts: str, root: str, window: int = 128) -> tuple[float, int]:
    """The best plain kazoo walk: children and data of every node, pipelined."""
    zk = KazooClient(hosts=hosts, timeout=30)
    zk.start()
    try:
        t0 = time.perf_counter()
        todo = deque([root])
        inflight: deque = deque()
        n = 0
        while todo or inflight:
            while todo and len(inflight) < window:
                p = todo.popleft()
                inflight.append((p, zk.get_children_async(p), zk.get_async(p)))
            p, kids_r, data_r = inflight.popleft()
            kids = kids_r.get()
            data_r.get()
            n += 1
            todo.extend(f"{p}/{k}" for k in kids)
        return n / (time.perf_counter() - t0), n
    finally:
        zk.stop()
        zk.close()


def latency(hosts: str, root: str, rounds: int) -> tuple[list[float], list[float]]:
    """set() -> event, for a LiveTree and for a bare kazoo watch (same node)."""
    observer = KazooClient(hosts=hosts, timeout=30)
    bare = KazooClient(hosts=hosts, timeout=30)
    setter = KazooClient(hosts=hosts, timeout=30)
    for c in (observer, bare, setter):
        c.start()
    target = f"{root}/latency-target"
    setter.create(target, b"0", makepath=True)
    tree = LiveTree(observer, root).start(timeout=600)
    got_tree = threading.Event()
    got_bare = threading.Event()
    tree.listen(lambda e: got_tree.set() if e.kind == "data" and e.path == target else None)

    def arm(_event=None) -> None:
        got_bare.set()

    tree_lat: list[float] = []
    bare_lat: list[float] = []
    try:
        for i in range(rounds):
            got_tree.clear()
            got_bare.clear()
            bare.get(target, watch=arm)
            t0 = time.perf_counter()
            setter.set(target, str(i).encode())
            if got_bare.wait(5):
                bare_lat.append(time.perf_counter() - t0)
            if got_tree.wait(5):
                tree_lat.append(time.perf_counter() - t0)
            time.sleep(0.002)
    finally:
        tree.close()
        for c in (observer, bare, setter):
            c.stop()
            c.close()
    return tree_lat, bare_lat


def frames(sizes: list[int]) -> list[tuple[int, float, float, int]]:
    """(nodes, default view seconds, whole-tree seconds, nodes drawn by default)."""
    import matplotlib

    matplotlib.use("Agg")
    from kazoo.protocol.states import ZnodeStat

    from zkexplore.model.livetree import LiveNode
    from zkexplore.render import draw_tree, new_figure, render_png, tree_layout

    out = []
    for n in sizes:
        tree = LiveTree.__new__(LiveTree)
        LiveTree.__init__(tree, None, "/b")  # type: ignore[arg-type]
        st = ZnodeStat(1, 1, 0, 0, 0, 0, 0, 0, 10, 0, 1)
        eph = ZnodeStat(1, 1, 0, 0, 0, 0, 0, 0x1234, 10, 0, 1)
        tree.nodes["/b"] = LiveNode("/b", st, b"")
        fanout = 1000
        parents = max(1, n // fanout)
        kids_of_b = []
        per = (n - 1 - parents) // parents
        for p in range(parents):
            pp = f"/b/p{p:03d}"
            tree.nodes[pp] = LiveNode(pp, st, b"")
            kids_of_b.append(f"p{p:03d}")
            names = []
            for i in range(per):
                c = f"{pp}/n{i:04d}"
                tree.nodes[c] = LiveNode(c, eph if i % 4 == 0 else st, b"0123456789")
                names.append(f"n{i:04d}")
            tree.nodes[pp].children = frozenset(names)
        tree.nodes["/b"].children = frozenset(kids_of_b)

        def frame(max_children: int | None, tree: LiveTree = tree) -> tuple[float, int]:
            t0 = time.perf_counter()
            g = tree.graph(max_children=max_children)
            pos = tree_layout(g, "/b")
            leaves = sum(1 for x in g if g.out_degree(x) == 0) or 1
            ax = new_figure(leaves, 2).add_subplot(111)
            draw_tree(g, pos, ax, title="bench")
            render_png(ax)
            return time.perf_counter() - t0, g.number_of_nodes()

        frame(12)  # warm up (imports, font cache)
        folded = statistics.median(frame(12)[0] for _ in range(3))
        drawn = frame(12)[1]
        whole = statistics.median(frame(None)[0] for _ in range(2 if n >= 100_000 else 3))
        out.append((len(tree.nodes), folded, whole, drawn))
    return out


def run_on(hosts: str, label: str, n: int, rounds: int) -> None:
    root = "/bench"
    t0 = time.perf_counter()
    made = populate(hosts, root, n)
    print(f"[{label}] populated {made} znodes in {time.perf_counter() - t0:.1f} s", flush=True)
    walk_rate, walk_n = load_walk(hosts, root)
    lt_rate, lt_n, lt_stats = load_livetree(hosts, root)
    tc_rate, tc_n = load_treecache(hosts, root)
    print(f"[{label}] load: LiveTree {lt_rate:8.0f} nodes/s ({lt_n} nodes, {lt_stats['requests']} requests)")
    print(f"[{label}]       TreeCache {tc_rate:7.0f} nodes/s ({tc_n} nodes)")
    print(f"[{label}]       best pipelined kazoo walk {walk_rate:7.0f} nodes/s ({walk_n} nodes)")
    print(f"[{label}]       LiveTree / best walk = {lt_rate / walk_rate:.1f}x   "
          f"LiveTree / TreeCache = {lt_rate / tc_rate:.1f}x", flush=True)
    tree_lat, bare_lat = latency(hosts, root, rounds)

    def p(xs: list[float], q: float) -> float:
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1e3

    print(f"[{label}] set() -> event, {rounds} rounds: LiveTree median {p(tree_lat, .5):.2f} ms "
          f"p99 {p(tree_lat, .99):.2f} ms;  bare kazoo watch median {p(bare_lat, .5):.2f} ms "
          f"p99 {p(bare_lat, .99):.2f} ms;  difference of medians {p(tree_lat, .5) - p(bare_lat, .5):+.2f} ms",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--znodes", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--sim", action="store_true", help="also run on a simulated ensemble")
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args()
    if not args.skip_real:
        with LocalEnsemble(size=3) as ens:
            run_on(ens.direct_hosts, "real 3.8", args.znodes, args.rounds)
    if args.sim:
        with SimEnsemble(size=3) as ens:
            run_on(ens.hosts, "sim", args.znodes, args.rounds)
    print("frame render (graph, layout, draw, PNG), median:")
    for n, folded, whole, drawn in frames([1_000, 10_000, 100_000]):
        print(f"  {n:7d} nodes: default view {folded * 1e3:7.0f} ms ({drawn} nodes drawn, wide nodes folded)"
              f"   whole tree {whole * 1e3:7.0f} ms")


if __name__ == "__main__":
    main()
