"""Ensemble benchmarks: the simulated ensemble against real ZooKeeper, in one run.

Run: ``python benchmarks/ensembles.py [--runs N] [--ops N] [--znodes N]``.

Prints, each measured in this same run (these machines are noisy, so only ratios
between figures of one run mean much):

- time to ready (``start()`` until a quorum serves), median of ``--runs``, for real
  1- and 3-server ensembles and the simulated ones, and the ratio real/sim;
- ops/s of one kazoo client for get, set and create, sequential (one request at a
  time) and pipelined (256 in flight), against a 3-server sim and a 3-server real
  ensemble (the client talks to server 1, a follower, without proxies), and the
  ratio sim/real;
- memory per znode of the simulated ensemble's tree with ``--znodes`` znodes.

Targets (issue "Simulated ensemble"): ready at least 10x faster than real; ops/s
at least 1.0x real; at most 500 bytes per znode.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable

from kazoo.client import KazooClient

from zkexplore import LocalEnsemble, SimEnsemble


def time_to_ready(factory: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        ens = factory()
        t0 = time.perf_counter()
        ens.start()  # type: ignore[attr-defined]
        times.append(time.perf_counter() - t0)
        ens.stop()  # type: ignore[attr-defined]
    return times


def med(times: list[float]) -> float:
    return statistics.median(times)


def ops_per_second(zk: KazooClient, kind: str, pipelined: bool, n: int, prefix: str) -> float:
    """``n`` operations of one kind; returns ops/s."""
    if kind in ("get", "set"):
        zk.ensure_path(prefix)
        zk.create(f"{prefix}/target", b"x" * 100)
    else:
        zk.ensure_path(prefix)
    payload = b"y" * 100
    calls = {
        "get": lambda i: zk.get_async(f"{prefix}/target"),
        "set": lambda i: zk.set_async(f"{prefix}/target", payload),
        "create": lambda i: zk.create_async(f"{prefix}/n{i:07d}", payload),
    }
    call = calls[kind]
    t0 = time.perf_counter()
    if pipelined:
        window = 256
        pending = []
        for i in range(n):
            pending.append(call(i))
            if len(pending) >= window:
                pending.pop(0).get()
        for p in pending:
            p.get()
    else:
        for i in range(n):
            call(i).get()
    return n / (time.perf_counter() - t0)


def throughput(hosts: str, n: int, tag: str) -> dict[tuple[str, bool], float]:
    zk = KazooClient(hosts=hosts)
    zk.start()
    out = {}
    try:
        for kind in ("get", "set", "create"):
            for pipelined in (False, True):
                # warm up, then measure
                ops_per_second(zk, kind, pipelined, max(50, n // 10), f"/bench-{tag}-warm-{kind}-{pipelined}")
                out[(kind, pipelined)] = ops_per_second(zk, kind, pipelined, n, f"/bench-{tag}-{kind}-{pipelined}")
    finally:
        zk.stop()
        zk.close()
    return out


def memory_per_znode(n: int) -> tuple[float, int]:
    """Bytes per znode of the simulated tree holding ``n`` znodes (tracemalloc)."""
    from zkexplore.sim.datatree import DataTree
    from zkexplore.sim.jute import OPEN_ACL_UNSAFE

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tree = DataTree()
    fanout = 1000
    zxid = 1 << 32
    for p in range(max(1, n // fanout)):
        zxid += 1
        tree.create(f"/bench{p:04d}", b"", OPEN_ACL_UNSAFE, zxid=zxid, time=1, owner=0, auth=())
    made = 0
    p = 0
    while made < n:
        for i in range(min(fanout, n - made)):
            zxid += 1
            tree.create(f"/bench{p:04d}/node-{i:06d}", b"0123456789", OPEN_ACL_UNSAFE,
                        zxid=zxid, time=1_700_000_000_000 + i, owner=0, auth=())
        made += fanout
        p += 1
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / len(tree), len(tree)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--znodes", type=int, default=100_000)
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args()

    print("time to ready (start() until a quorum serves), median of", args.runs, "runs")
    ready = {}
    for size in (1, 3):
        thread = time_to_ready(lambda size=size: SimEnsemble(size=size, process=False), args.runs)
        sim = time_to_ready(lambda size=size: SimEnsemble(size=size), args.runs)
        ready[("sim", size)] = med(sim)
        line = (f"  {size} server{'s' if size > 1 else ' '}: sim (in a thread) {med(thread) * 1e3:6.1f} ms"
                f"   sim (own process, the default) {med(sim) * 1e3:6.1f} ms")
        if not args.skip_real:
            real = time_to_ready(lambda size=size: LocalEnsemble(size=size), args.runs)
            ready[("real", size)] = med(real)
            line += (f"   real {med(real) * 1e3:7.1f} ms   real/sim {med(real) / med(sim):6.1f}x"
                     f" (thread {med(real) / med(thread):.0f}x)")
        print(line, flush=True)

    print(f"\nops/s of one kazoo client, {args.ops} ops each (3 servers, client on server 1)")
    with SimEnsemble(size=3) as sim_ens:
        sim_ops = throughput(sim_ens.servers[0].address, args.ops, "sim")
    with SimEnsemble(size=3, process=False) as thread_ens:
        thread_ops = throughput(thread_ens.servers[0].address, args.ops, "thread")
    real_ops = {}
    if not args.skip_real:
        with LocalEnsemble(size=3) as real_ens:
            real_ops = throughput(real_ens.servers[0].direct_address, args.ops, "real")
    for (kind, pipelined), v in sim_ops.items():
        mode = "pipelined " if pipelined else "sequential"
        line = f"  {kind:6s} {mode}: sim {v:7.0f}/s (in a thread {thread_ops[(kind, pipelined)]:6.0f}/s)"
        if real_ops:
            r = real_ops[(kind, pipelined)]
            line += f"   real {r:8.0f}/s   sim/real {v / r:5.2f}x"
        print(line, flush=True)

    per, count = memory_per_znode(args.znodes)
    print(f"\nmemory of the simulated tree: {per:.0f} bytes per znode ({count} znodes, tracemalloc)")


if __name__ == "__main__":
    main()
