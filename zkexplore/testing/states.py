"""Record a kazoo client's connection states and wait for a sequence of them."""

from __future__ import annotations

import threading

from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

__all__ = ["StateLog"]


class StateLog:
    """Collects a kazoo client's state changes (SUSPENDED, CONNECTED, LOST).

    Examples
    --------
    >>> log = StateLog(zk)                                   # doctest: +SKIP
    >>> ensemble.disconnect(zk)                              # doctest: +SKIP
    >>> log.wait_for(KazooState.SUSPENDED, KazooState.CONNECTED)   # doctest: +SKIP
    """

    def __init__(self, zk: KazooClient) -> None:
        self.states: list[KazooState] = []
        self._cond = threading.Condition()
        self._zk = zk
        zk.add_listener(self._on)

    def _on(self, state: KazooState) -> None:
        with self._cond:
            self.states.append(state)
            self._cond.notify_all()

    def _seen(self, expected: tuple[KazooState, ...]) -> bool:
        it = iter(self.states)
        return all(any(s == e for s in it) for e in expected)

    def wait_for(self, *expected: KazooState, timeout: float = 20.0) -> None:
        """Wait until ``expected`` have appeared in this order (not necessarily
        adjacent); raise ``AssertionError`` naming what was seen otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._seen(expected), timeout):
                raise AssertionError(f"saw {self.states}, wanted {list(expected)} in order")

    def close(self) -> None:
        self._zk.remove_listener(self._on)
