"""The simulated ensemble: pure-Python ZooKeeper servers that real clients use.

:class:`SimEnsemble` needs no Java.  Its servers speak ZooKeeper's wire protocol
on loopback (kazoo, zkCli.sh and any other client work unchanged) and take every
fault of the ensemble interface, exactly and repeatably: with a ``seed``, the same
script gives the same zxids, session ids and event order.  It also lets a follower
lag behind the leader (``servers[i].lag(seconds)``), so that reads there are stale
until ``sync()``.

What can fail: fault methods raise :class:`~zkexplore.errors.EnsembleError` for
impossible requests (killing a dead server, resuming a running one); nothing a
client sends can break the ensemble (a bad frame closes that one connection).
"""

from __future__ import annotations

import time
from typing import Any

from kazoo.client import KazooClient

from ..errors import EnsembleError
from ..sim.cluster import Cluster, Config
from ..sim.transport import SimHost
from ._fourletter import four_letter
from .base import Ensemble, Server

__all__ = ["SimEnsemble", "SimServer"]


class SimServer(Server):
    """One simulated server of a :class:`SimEnsemble`."""

    ensemble: "SimEnsemble"

    def __init__(self, ensemble: "SimEnsemble", sid: int) -> None:
        self.ensemble = ensemble
        self.id = sid

    def _call(self, fn: Any, *args: Any) -> Any:
        return self.ensemble._host_call(fn, *args)

    @property
    def port(self) -> int:
        return self.ensemble.host.ports[self.id - 1]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def role(self) -> str:
        return self._call(lambda c: c.role(self.id))

    @property
    def state(self) -> str:
        return self._call(lambda c: c.by_id[self.id].state)

    @property
    def zxid(self) -> int | None:
        """The last zxid this server has applied."""
        return self._call(lambda c: c.by_id[self.id].applied)

    def four_letter(self, word: str, timeout: float = 5.0) -> str:
        return four_letter("127.0.0.1", self.port, word, timeout)

    def lag(self, seconds: float) -> None:
        """Make this server apply the leader's commits ``seconds`` late (0 to catch up)."""
        with self._fault("lag"):
            self._call(lambda c: c.set_lag(self.id, seconds))

    def _stop(self) -> None:
        self._kill()

    def _kill(self) -> None:
        self._call(lambda c: c.kill(self.id))
        self.ensemble.host.port_call(self.ensemble.host.close_port, self.id)

    def _start(self, timeout: float) -> None:
        self.ensemble.host.port_call(self.ensemble.host.open_port, self.id)
        self._call(lambda c: c.start(self.id))
        deadline = time.monotonic() + timeout
        if self._call(lambda c: c._quorum(sum(s.state == "up" for s in c.servers))):
            while self.role not in ("leader", "follower"):
                if time.monotonic() > deadline:
                    raise EnsembleError(f"server {self.id} does not serve after {timeout:.0f} s")
                time.sleep(0.01)

    def _pause(self) -> None:
        self._call(lambda c: c.pause(self.id))

    def _resume(self) -> None:
        self._call(lambda c: c.resume(self.id))


class SimEnsemble(Ensemble):
    """``size`` simulated ZooKeeper servers on free loopback ports.

    Parameters
    ----------
    size : int
        Number of servers.
    seed : int, optional
        Makes zxids, session ids and event order repeatable.
    tick_time : int
        ``tickTime`` in ms: session timeouts are negotiated into 2..20 ticks.
    election_delay : float
        Seconds from losing a leader to the next one serving.
    **config
        More :class:`~zkexplore.sim.cluster.Config` fields.

    Examples
    --------
    >>> with SimEnsemble(size=3, seed=1) as ens:
    ...     zk = ens.client()
    ...     _ = zk.create("/hello", b"world")
    ...     zk.get("/hello")[0]
    b'world'
    """

    kind = "SimEnsemble"

    def __init__(
        self,
        size: int = 3,
        seed: int | None = None,
        tick_time: int = 2000,
        election_delay: float = 0.25,
        ports: list[int] | None = None,
        **config: Any,
    ) -> None:
        super().__init__()
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"size must be a positive int, not {size!r}")
        self.size = size
        self.seed = seed
        self.config = Config(tick_ms=int(tick_time), election_delay_s=float(election_delay), **config)
        self._ports = ports
        self.host: SimHost = None  # type: ignore[assignment]
        self.servers: list[SimServer] = [SimServer(self, i + 1) for i in range(size)]  # type: ignore[assignment]

    def _host_call(self, fn: Any, *args: Any) -> Any:
        if self.host is None:
            raise EnsembleError("SimEnsemble is not started: call start() or use `with`")
        return self.host.call(fn, *args)

    def _start(self) -> None:
        self.host = SimHost(self.size, self.seed, self.config, self._ports).start()

    def _stop(self) -> None:
        if self.host is not None:
            self.host.stop()
            self.host = None  # type: ignore[assignment]

    @property
    def hosts(self) -> str:
        self._require_started()
        return self.host.hosts

    @property
    def cluster(self) -> Cluster:
        """The simulation itself (read it only through :meth:`inspect`)."""
        return self.host.cluster

    def inspect(self, fn: Any = None) -> Any:
        """Run ``fn(cluster)`` on the simulation's thread; default: a plain-data summary."""
        return self._host_call(fn or (lambda c: c.describe()))

    # -- faults ---------------------------------------------------------------------

    def _partition(self, groups: list[set[int]]) -> None:
        self._host_call(lambda c: c.partition(groups))

    def _heal(self) -> None:
        self._host_call(lambda c: c.heal())

    def _disconnect(self, client: KazooClient, sid: int, seconds: float) -> None:
        n = self._host_call(lambda c: c.drop_session(sid, seconds))
        if n == 0:
            raise EnsembleError(f"session 0x{sid:x} has no connection to this ensemble")

    def _set_latency(self, ms: float, between: str) -> None:
        if between in ("clients", "all"):
            self.host.delay = ms / 2000.0
        if between in ("servers", "all"):
            self._host_call(lambda c: setattr(c, "peer_delay", ms / 2000.0))

    def _expire(self, client: KazooClient, sid: int) -> None:
        self._host_call(lambda c: c.expire(sid))

    def _restore(self, timeout: float) -> None:
        self._host_call(lambda c: [c.set_lag(s.id, 0.0) for s in c.servers])
        super()._restore(timeout)
