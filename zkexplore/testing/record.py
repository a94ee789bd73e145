"""Record (or check) the real ZooKeeper traces of the differential corpus.

``python -m zkexplore.testing.record [record|check] [SCENARIO ...]`` runs the
scenarios on a fresh 3-server :class:`~zkexplore.LocalEnsemble`; ``record`` stores
their traces with the package, ``check`` compares them with the stored ones (run it
twice after recording: a scenario whose trace changes between real runs is not
deterministic enough for the corpus).
"""

from __future__ import annotations

import argparse

from ..ensembles import LocalEnsemble
from .differential import diff_traces, load_corpus, load_trace, run_scenario, save_trace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["record", "check"], nargs="?", default="check")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    corpus = load_corpus()
    unknown = [n for n in args.names if n not in corpus]
    if unknown:
        parser.error(f"no scenario named {unknown[0]!r}")
    bad = 0
    with LocalEnsemble(size=3) as ens:
        for name in args.names or sorted(corpus):
            trace = run_scenario(corpus[name], ens)
            if args.command == "record":
                print("recorded", save_trace("real", name, trace), flush=True)
                continue
            d = diff_traces(load_trace("real", name), trace, ("stored", "now"))
            print(("DIFF " if d else "same ") + name, flush=True)
            if d:
                bad += 1
                print(d)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
