"""Znode names: natural order, and the 10-digit sequence suffix."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["name_key", "is_sequential", "sequence_of", "MORE"]

#: ``kind`` of the node that stands for folded children in a drawn graph
MORE = "more"

_NUM = re.compile(r"(\d+)")


def sequence_of(name: str) -> int | None:
    """The sequence number at the end of a sequential node's name, else None.

    >>> sequence_of("lock-0000000042"), sequence_of("n42")
    (42, None)
    """
    tail = name[-10:]
    return int(tail) if len(tail) == 10 and tail.isdecimal() else None


def is_sequential(path: str) -> bool:
    """Whether the node's name ends in ZooKeeper's 10-digit sequence number."""
    return sequence_of(path.rsplit("/", 1)[-1]) is not None


def name_key(name: str) -> tuple[Any, ...]:
    """Sort key: sequential nodes by number (kazoo's uuid prefixes would scramble
    them), other names in natural order (``n2`` before ``n10``).

    >>> sorted(["n10", "n2", "x-0000000003", "a-0000000001"], key=name_key)
    ['a-0000000001', 'x-0000000003', 'n2', 'n10']
    """
    seq = sequence_of(name)
    if seq is not None:
        return (0, seq, name)
    return (1, tuple((0, int(p)) if p.isdigit() else (1, p) for p in _NUM.split(name)))
