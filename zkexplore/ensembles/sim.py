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

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

from kazoo.client import KazooClient

from ..errors import EnsembleError
from ..sim.cluster import Cluster, Config
from ..sim.transport import SimHost
from ._fourletter import four_letter
from .base import Ensemble, Server

__all__ = ["SimEnsemble", "SimServer"]


class _ThreadHost:
    """The simulation in a thread of this process."""

    def __init__(self, size: int, seed: int | None, config: Config, ports: list[int] | None) -> None:
        self.host = SimHost(size, seed, config, ports).start()
        self.pid = os.getpid()

    @property
    def ports(self) -> list[int]:
        return self.host.ports

    def op(self, name: str, *args: Any) -> Any:
        return self.host.op(name, *args)

    def set_port(self, sid: int, open: bool) -> None:
        self.host.set_port(sid, open)

    def set_delay(self, seconds: float) -> None:
        self.host.set_delay(seconds)

    def stop(self) -> None:
        self.host.stop()


_ERRORS: dict[str, type[Exception]] = {"EnsembleError": EnsembleError, "ValueError": ValueError}


class _ProcessHost:
    """The simulation in a child process (:mod:`zkexplore.sim.serve`)."""

    def __init__(self, size: int, seed: int | None, config: Config, ports: list[int] | None) -> None:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        code = (
            f"import sys; sys.path.insert(0, {root!r}); "
            "from zkexplore.sim.serve import main; main()"
        )
        self._lock = threading.Lock()
        self.proc: subprocess.Popen[str] | None = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            close_fds=True,
            start_new_session=True,
        )
        self.pid = self.proc.pid
        try:
            booted = self._send({"op": "boot", "size": size, "seed": seed,
                                 "config": dataclasses.asdict(config), "ports": ports})
        except BaseException:
            self.stop()
            raise
        self.ports: list[int] = booted["ports"]

    def _send(self, msg: dict[str, Any]) -> Any:
        with self._lock:
            proc = self.proc
            if proc is None or proc.stdin is None or proc.stdout is None:
                raise EnsembleError("the simulated ensemble is stopped")
            try:
                proc.stdin.write(json.dumps(msg) + "\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
            except (OSError, ValueError):
                line = ""
            if not line:
                raise EnsembleError(
                    f"the simulated ensemble's process {proc.pid} died (exit code {proc.poll()})"
                )
        reply = json.loads(line)
        if reply["ok"]:
            return reply["result"]
        raise _ERRORS.get(reply["type"], EnsembleError)(reply["message"])

    def op(self, name: str, *args: Any) -> Any:
        return self._send({"op": "run", "name": name, "args": list(args)})

    def set_port(self, sid: int, open: bool) -> None:
        self._send({"op": "port", "sid": sid, "open": open})

    def set_delay(self, seconds: float) -> None:
        self._send({"op": "delay", "seconds": seconds})

    def stop(self) -> None:
        with self._lock:
            proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if proc.stdin is not None:
                proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


class SimServer(Server):
    """One simulated server of a :class:`SimEnsemble`."""

    ensemble: "SimEnsemble"

    def __init__(self, ensemble: "SimEnsemble", sid: int) -> None:
        self.ensemble = ensemble
        self.id = sid

    def _op(self, name: str, *args: Any) -> Any:
        return self.ensemble._op(name, *args)

    @property
    def port(self) -> int:
        self.ensemble._require_started()
        return self.ensemble.host.ports[self.id - 1]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def role(self) -> str:
        return self._op("role", self.id)

    @property
    def state(self) -> str:
        return self._op("state", self.id)

    @property
    def zxid(self) -> int | None:
        """The last zxid this server has applied."""
        return self._op("applied", self.id)

    def four_letter(self, word: str, timeout: float = 5.0) -> str:
        return four_letter("127.0.0.1", self.port, word, timeout)

    def lag(self, seconds: float) -> None:
        """Make this server apply the leader's commits ``seconds`` late (0 to catch up)."""
        with self._fault("lag"):
            self._op("set_lag", self.id, float(seconds))

    def _stop(self) -> None:
        self._kill()

    def _kill(self) -> None:
        self._op("kill", self.id)
        self.ensemble.host.set_port(self.id, False)

    def _start(self, timeout: float) -> None:
        self.ensemble.host.set_port(self.id, True)
        self._op("start", self.id)
        deadline = time.monotonic() + timeout
        if self._op("quorum_up"):
            while self.role not in ("leader", "follower"):
                if time.monotonic() > deadline:
                    raise EnsembleError(f"server {self.id} does not serve after {timeout:.0f} s")
                time.sleep(0.01)

    def _pause(self) -> None:
        self._op("pause", self.id)

    def _resume(self) -> None:
        self._op("resume", self.id)


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
    process : bool
        Run the servers in a child process (the default: they use another core and
        keep serving while this process is busy drawing), or in a thread here
        (``False``: starts in a millisecond, and :attr:`cluster` is then inspectable).
    ports : list of int, optional
        Client port of each server (default: free ports).
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
        process: bool = True,
        ports: list[int] | None = None,
        **config: Any,
    ) -> None:
        super().__init__()
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"size must be a positive int, not {size!r}")
        if ports is not None and len(ports) != size:
            raise ValueError(f"{size} servers need {size} ports, not {len(ports)}")
        self.size = size
        self.seed = seed
        self.process = bool(process)
        self.config = Config(tick_ms=int(tick_time), election_delay_s=float(election_delay), **config)
        self._ports = ports
        self.host: _ThreadHost | _ProcessHost = None  # type: ignore[assignment]
        self.servers: list[SimServer] = [SimServer(self, i + 1) for i in range(size)]  # type: ignore[assignment]

    def _op(self, name: str, *args: Any) -> Any:
        if self.host is None:
            raise EnsembleError("SimEnsemble is not started: call start() or use `with`")
        return self.host.op(name, *args)

    def _start(self) -> None:
        cls = _ProcessHost if self.process else _ThreadHost
        self.host = cls(self.size, self.seed, self.config, self._ports)

    def _stop(self) -> None:
        if self.host is not None:
            self.host.stop()
            self.host = None  # type: ignore[assignment]

    @property
    def hosts(self) -> str:
        self._require_started()
        return ",".join(f"127.0.0.1:{p}" for p in self.host.ports)

    @property
    def cluster(self) -> Cluster:
        """The simulation itself, when it runs in this process (``process=False``);
        read it only from its thread, through ``host.host.call``."""
        if not isinstance(self.host, _ThreadHost):
            raise EnsembleError("the simulation runs in another process (SimEnsemble(process=False) keeps it here)")
        return self.host.host.cluster

    def describe(self) -> dict[str, Any]:
        """Plain data: servers (role, zxid, state), sessions and the partition."""
        return self._op("describe")

    # -- faults ---------------------------------------------------------------------

    def _partition(self, groups: list[set[int]]) -> None:
        self._op("partition", [sorted(g) for g in groups])

    def _heal(self) -> None:
        self._op("heal")

    def _disconnect(self, client: KazooClient, sid: int, seconds: float) -> None:
        if self._op("drop_session", sid, float(seconds)) == 0:
            raise EnsembleError(f"session 0x{sid:x} has no connection to this ensemble")

    def _set_latency(self, ms: float, between: str) -> None:
        if between in ("clients", "all"):
            self.host.set_delay(ms / 2000.0)
        if between in ("servers", "all"):
            self._op("set_peer_delay", ms / 2000.0)

    def _expire(self, client: KazooClient, sid: int) -> None:
        self._op("expire", sid)

    def _restore(self, timeout: float) -> None:
        self._op("clear_lags")
        super()._restore(timeout)
