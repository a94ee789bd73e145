"""Java's hash orders, where ZooKeeper lets them show.

Some replies list a Java ``HashSet`` in its iteration order (``getEphemerals``, a
connection's identities in ``whoAmI``).  That order is deterministic: entries go by
bucket (the string's ``hashCode`` spread and masked to the table size), and within a
bucket by insertion.  Resizing splits buckets without reordering them, so the order
of the entries present is fully given by their insertion order and the largest
table the set ever had.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Callable

__all__ = ["string_hash", "spread", "table_size_for", "grown_capacity", "hashset_order", "clone_order"]


def string_hash(s: str) -> int:
    """``String.hashCode()`` (over UTF-16 units), as an unsigned 32-bit value."""
    h = 0
    units = s.encode("utf-16-be", "surrogatepass")
    for i in range(0, len(units), 2):
        h = (31 * h + ((units[i] << 8) | units[i + 1])) & 0xFFFFFFFF
    return h


def spread(h: int) -> int:
    """``HashMap.hash``: the high half folded into the low half."""
    return (h ^ (h >> 16)) & 0xFFFFFFFF


def table_size_for(c: int) -> int:
    """The power of two a ``HashMap`` sizes its table to for capacity ``c``."""
    n = 1
    while n < c:
        n <<= 1
    return max(n, 1)


def grown_capacity(capacity: int, size: int) -> int:
    """The table size after growing to hold ``size`` entries (load factor 0.75)."""
    while size > capacity * 3 // 4:
        capacity *= 2
    return capacity


def hashset_order(items: Sequence[Hashable], capacity: int,
                  hash_of: Callable[[Hashable], int] = lambda x: string_hash(x)) -> list:  # type: ignore[arg-type]
    """``items`` (in insertion order) as a HashSet with ``capacity`` buckets iterates them."""
    mask = capacity - 1
    keyed = [(spread(hash_of(x)) & mask, i, x) for i, x in enumerate(items)]
    keyed.sort()
    return [x for _, _, x in keyed]


def clone_order(items: Sequence[Hashable],
                hash_of: Callable[[Hashable], int] = lambda x: string_hash(x)) -> list:  # type: ignore[arg-type]
    """The order of ``HashSet.clone()`` of a set iterating as ``items``: the same
    entries re-inserted into a table sized for them (``tableSizeFor(n / 0.75 + 1)``)."""
    cap = table_size_for(int(len(items) / 0.75 + 1.0))
    return hashset_order(list(items), cap, hash_of)


def ordered(items: Iterable[str], capacity: int) -> list[str]:
    """A HashSet's order after cloning (what ZooKeeper's getters return)."""
    return clone_order(hashset_order(list(items), capacity))
