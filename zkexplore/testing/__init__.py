"""Testing support: ensembles as pytest fixtures, leak checks, and the differential
harness that runs the same scenario on two ensembles and compares their traces.

The fixtures live in :mod:`zkexplore.testing.fixtures` (it imports pytest); load
them with ``-p zkexplore.testing.fixtures``.
"""

from .leaks import LeakCheck, Leaks

__all__ = ["LeakCheck", "Leaks"]
