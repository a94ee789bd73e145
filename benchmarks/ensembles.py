"""Ensemble benchmarks: time to ready (median of several runs).

Run: ``python benchmarks/ensembles.py [--runs N]``.  Machines here are noisy, so
every figure is a median of runs made in this same process, and comparisons are
ratios between figures measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time

from zkexplore import LocalEnsemble


def time_to_ready(factory, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        ens = factory()
        t0 = time.perf_counter()
        ens.start()
        times.append(time.perf_counter() - t0)
        ens.stop()
    return times


def fmt(times: list[float]) -> str:
    return (f"median {statistics.median(times) * 1e3:7.0f} ms  "
            f"(min {min(times) * 1e3:.0f}, max {max(times) * 1e3:.0f}, n={len(times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print("time to ready (start() until a quorum serves)")
    for size in (1, 3):
        t = time_to_ready(lambda: LocalEnsemble(size=size), args.runs)
        print(f"  real   {size} server{'s' if size > 1 else ' '}  {fmt(t)}")


if __name__ == "__main__":
    main()
