"""What kind of znode a path is, from what a client can see.

A client sees ``ephemeralOwner`` (non-zero for ephemerals) and the name; a
sequential node's name ends in ten digits.  ZooKeeper 3.8 shows container and TTL
nodes with ``ephemeralOwner`` 0, so a client cannot tell them from persistent ones:
pass ``hints`` (path -> kind) where the kind is known otherwise (the simulated
ensemble reports its containers and TTL nodes; a program knows what it created).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..names import is_sequential

__all__ = ["node_kind", "is_sequential", "KINDS"]

#: the kinds, in the order views list them
KINDS = ("persistent", "ephemeral", "sequential", "ephemeral-sequential", "container", "ttl")


def node_kind(path: str, stat: Any, hints: Mapping[str, str] | None = None) -> str:
    """``persistent``, ``ephemeral``, ``sequential``, ``ephemeral-sequential``,
    ``container`` or ``ttl``.

    Examples
    --------
    >>> from kazoo.protocol.states import ZnodeStat
    >>> st = ZnodeStat(1, 1, 0, 0, 0, 0, 0, 0x1000, 0, 0, 1)
    >>> node_kind("/locks/x__lock__0000000003", st)
    'ephemeral-sequential'
    """
    if hints and path in hints:
        return hints[path]
    seq = is_sequential(path)
    owner = getattr(stat, "ephemeralOwner", 0) if stat is not None else 0
    if owner:
        return "ephemeral-sequential" if seq else "ephemeral"
    return "sequential" if seq else "persistent"
