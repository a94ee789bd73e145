"""Real ZooKeeper servers as child processes on loopback, with faults.

:class:`LocalEnsemble` runs Debian's ZooKeeper (or the release in
``ZOOKEEPER_HOME``) as ``size`` Java processes, each with its own temp data dir and
free loopback ports.  Every client connection and every server-to-server link goes
through a small proxy process (:mod:`zkexplore.ensembles._netproxy`), which is how
partitions, client cuts and latency work without root or iptables.  The same
process is a guardian: if this Python process dies (a notebook kernel restart),
it kills the servers and removes their temp dirs.

What can fail: :class:`~zkexplore.errors.ZooKeeperNotFound` when Java or ZooKeeper
is missing (the message says what to install); :class:`~zkexplore.errors.EnsembleError`
when the servers do not form a quorum in time (the message quotes the server log).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

from kazoo.client import KazooClient

from ..errors import EnsembleError
from ._fourletter import four_letter, parse_srvr
from ._netproxy import NetProxy
from ._zkinstall import ZooKeeperInstall, find_zookeeper
from .base import Ensemble, Server

__all__ = ["LocalEnsemble", "LocalServer"]

LOG4J_PROPERTIES = """\
log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=${zookeeper.log.dir}/zookeeper.log
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} [myid:%X{myid}] %-5p [%t] %c{1}: %m%n
"""

_SERVING_MODES = {"leader": "leader", "follower": "follower", "standalone": "leader"}


def free_ports(n: int) -> list[int]:
    """``n`` distinct loopback ports that were free a moment ago."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class LocalServer(Server):
    """One real ZooKeeper server process of a :class:`LocalEnsemble`."""

    ensemble: "LocalEnsemble"

    def __init__(self, ensemble: "LocalEnsemble", sid: int, directory: str,
                 client_port: int, quorum_port: int, election_port: int) -> None:
        self.ensemble = ensemble
        self.id = sid
        self.dir = directory
        self.client_port = client_port
        self.quorum_port = quorum_port
        self.election_port = election_port
        self.proxy_port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._paused = False
        self._last_role = "down"
        self._log: Any = None

    # -- what clients and operators see ----------------------------------------

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.proxy_port}"

    @property
    def direct_address(self) -> str:
        """The server's own client port, bypassing the proxy (for benchmarks)."""
        return f"127.0.0.1:{self.client_port}"

    @property
    def log_path(self) -> str:
        return os.path.join(self.dir, "zookeeper.log")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def state(self) -> str:
        if not self.alive():
            return "down"
        return "paused" if self._paused else "up"

    def srvr(self, timeout: float = 2.0) -> dict[str, str]:
        """``srvr`` as a dict; empty when the server is up but not serving."""
        return parse_srvr(self.four_letter("srvr", timeout))

    @property
    def role(self) -> str:
        if not self.alive():
            self._last_role = "down"
            return "down"
        if self._paused:
            return self._last_role
        try:
            mode = self.srvr(timeout=2.0).get("Mode", "")
        except OSError:
            mode = ""
        self._last_role = _SERVING_MODES.get(mode, "looking")
        return self._last_role

    @property
    def zxid(self) -> int | None:
        """The last zxid this server has seen, or ``None`` if it does not say."""
        if self.state != "up":
            return None
        try:
            z = self.srvr().get("Zxid")
        except OSError:
            return None
        return int(z, 16) if z else None

    def four_letter(self, word: str, timeout: float = 5.0) -> str:
        return four_letter("127.0.0.1", self.client_port, word, timeout)

    # -- the process -------------------------------------------------------------

    def _links_to_me(self) -> list[str]:
        return [f"client/{self.id}"] + [
            name
            for (a, b), names in self.ensemble._peer_links.items()
            if b == self.id
            for name in names
        ]

    def _launch(self) -> None:
        self.ensemble.net.call("up", names=self._links_to_me())
        inst = self.ensemble.install
        cp = os.pathsep.join([os.path.join(self.dir, "conf"), *inst.classpath, *inst.logging_jars])
        cmd = [
            inst.java,
            *self.ensemble.jvm_flags,
            f"-Dzookeeper.log.dir={self.dir}",
            *(f"-D{k}={v}" for k, v in self.ensemble.system_properties.items()),
            "-Dzookeeper.root.logger=INFO,FILE",
            "-cp",
            cp,
            "org.apache.zookeeper.server.quorum.QuorumPeerMain",
            os.path.join(self.dir, "conf", "zoo.cfg"),
        ]
        out = open(os.path.join(self.dir, "stdout.log"), "ab")
        try:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                close_fds=True,
                start_new_session=True,
                cwd=self.dir,
            )
        finally:
            out.close()
        self._paused = False
        self.ensemble.net.call("guard", pids=[self.proc.pid])

    def _reap(self, timeout: float) -> None:
        proc = self.proc
        if proc is None:
            return
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        with contextlib.suppress(RuntimeError):
            self.ensemble.net.call("unguard", pids=[proc.pid])
            # connecting to a dead server is refused, as it would be without proxies
            self.ensemble.net.call("down", names=self._links_to_me())
        self.proc = None
        self._paused = False
        self._last_role = "down"

    def _signal(self, sig: int) -> None:
        if not self.alive():
            raise EnsembleError(f"server {self.id} is not running")
        assert self.proc is not None
        self.proc.send_signal(sig)

    def _stop(self) -> None:
        if not self.alive():
            self._reap(0)
            return
        if self._paused:
            self._signal(signal.SIGCONT)
        self._signal(signal.SIGTERM)
        self._reap(15)

    def _kill(self) -> None:
        if not self.alive():
            raise EnsembleError(f"server {self.id} is not running")
        self._signal(signal.SIGKILL)
        self._reap(15)

    def _pause(self) -> None:
        if self._paused:
            raise EnsembleError(f"server {self.id} is already paused")
        self._last_role = self.role  # what it was doing when it froze, reported while paused
        self._signal(signal.SIGSTOP)
        self._paused = True

    def _resume(self) -> None:
        if not self._paused:
            raise EnsembleError(f"server {self.id} is not paused")
        self._signal(signal.SIGCONT)
        self._paused = False

    def _start(self, timeout: float) -> None:
        if self.alive():
            raise EnsembleError(f"server {self.id} is already running")
        self._reap(0)
        self._launch()
        deadline = time.monotonic() + timeout
        self.wait_answering(deadline)
        if self.ensemble.quorum_possible():
            self.wait_serving(deadline)

    def wait_answering(self, deadline: float) -> None:
        while True:
            self._check_alive()
            with contextlib.suppress(OSError):
                if self.four_letter("ruok", 1.0).startswith("imok"):
                    return
            if time.monotonic() > deadline:
                raise EnsembleError(f"server {self.id} does not answer:\n{self.log_tail()}")
            time.sleep(0.05)

    def wait_serving(self, deadline: float) -> None:
        while self.role not in ("leader", "follower"):
            self._check_alive()
            if time.monotonic() > deadline:
                raise EnsembleError(
                    f"server {self.id} does not serve (no quorum?):\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            code = self.proc.returncode
            raise EnsembleError(f"server {self.id} exited with code {code}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 25) -> str:
        text = ""
        for name in ("zookeeper.log", "stdout.log"):
            with contextlib.suppress(OSError):
                with open(os.path.join(self.dir, name), "rb") as f:
                    text += f.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])


class LocalEnsemble(Ensemble):
    """``size`` real ZooKeeper servers on loopback, behind fault-injecting proxies.

    Parameters
    ----------
    size : int
        Number of servers (1 runs one standalone server).
    zookeeper_home : str, optional
        An unpacked ZooKeeper release; default ``$ZOOKEEPER_HOME``, then Debian's package.
    tick_time : int
        ZooKeeper's ``tickTime`` in ms.  Session timeouts are negotiated between 2 and
        20 ticks; followers give up on a silent leader after ``sync_limit`` ticks.
    jvm_flags : sequence of str
        Extra flags for each server's JVM.
    system_properties : dict, optional
        More ``-Dkey=value`` for each server (added to TTL nodes enabled and a
        one-second container check).
    config : dict, optional
        More ``zoo.cfg`` lines, e.g. ``{"localSessionsEnabled": "true"}``.

    Examples
    --------
    >>> with LocalEnsemble(size=3) as ens:                      # doctest: +SKIP
    ...     zk = ens.client()
    ...     ens.leader.kill()
    """

    kind = "LocalEnsemble"

    def __init__(
        self,
        size: int = 3,
        zookeeper_home: str | None = None,
        tick_time: int = 2000,
        init_limit: int = 10,
        sync_limit: int = 5,
        jvm_flags: tuple[str, ...] = ("-Xms32m", "-Xmx512m", "-XX:+UseSerialGC", "-Xss512k"),
        start_timeout: float = 90.0,
        system_properties: dict[str, str] | None = None,
        config: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"size must be a positive int, not {size!r}")
        if size > 9:
            raise ValueError(f"size {size} is more real servers than this machine should run (max 9)")
        self.size = size
        self.install: ZooKeeperInstall = find_zookeeper(zookeeper_home)
        self.tick_time = int(tick_time)
        self.init_limit = int(init_limit)
        self.sync_limit = int(sync_limit)
        self.jvm_flags = tuple(jvm_flags)
        self.start_timeout = start_timeout
        #: JVM system properties; the defaults enable TTL nodes and check containers
        #: every second (the simulated ensemble does the same)
        self.system_properties = {
            "zookeeper.extendedTypesEnabled": "true",
            "znode.container.checkIntervalMs": "1000",
            **(system_properties or {}),
        }
        #: more zoo.cfg lines (key -> value), e.g. {"localSessionsEnabled": "true"}
        self.extra_config = dict(config or {})
        self.dir: str | None = None
        self.net: NetProxy = None  # type: ignore[assignment]
        self.servers: list[LocalServer] = []  # type: ignore[assignment]
        self._peer_links: dict[tuple[int, int], list[str]] = {}
        self._lock = threading.RLock()

    # -- lifecycle -----------------------------------------------------------------

    def _start(self) -> None:
        last: Exception | None = None
        for _attempt in range(3):
            self._setup()
            try:
                deadline = time.monotonic() + self.start_timeout
                for s in self.servers:
                    s._launch()
                for s in self.servers:
                    s.wait_serving(deadline)
                return
            except EnsembleError as e:
                last = e
                if "Address already in use" not in str(e) and "BindException" not in str(e):
                    raise
                self._stop()  # a port was taken between choosing and binding: try again
        assert last is not None
        raise last

    def _setup(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="zkexplore-local-")
        self.net = NetProxy()
        self.net.call("guard", dirs=[self.dir])
        ids = list(range(1, self.size + 1))
        ports = free_ports(3 * self.size)
        self.servers = []
        for i, sid in enumerate(ids):
            d = os.path.join(self.dir, f"server{sid}")
            os.makedirs(os.path.join(d, "data"))
            os.makedirs(os.path.join(d, "conf"))
            with open(os.path.join(d, "data", "myid"), "w") as f:
                f.write(f"{sid}\n")
            with open(os.path.join(d, "conf", "log4j.properties"), "w") as f:
                f.write(LOG4J_PROPERTIES)
            s = LocalServer(self, sid, d, *ports[3 * i : 3 * i + 3])
            s.proxy_port = self.net.call(
                "listen", name=f"client/{sid}", host="127.0.0.1", port=s.client_port, sniff=True
            )["port"]
            self.servers.append(s)
        # every server reaches every other one through its own pair of links
        self._peer_links = {}
        peer_ports: dict[tuple[int, int], tuple[int, int]] = {}
        for a in self.servers:
            for b in self.servers:
                if a is b:
                    continue
                names = [f"peer/{a.id}/{b.id}/quorum", f"peer/{a.id}/{b.id}/election"]
                q = self.net.call("listen", name=names[0], host="127.0.0.1", port=b.quorum_port)["port"]
                e = self.net.call("listen", name=names[1], host="127.0.0.1", port=b.election_port)["port"]
                self._peer_links[(a.id, b.id)] = names
                peer_ports[(a.id, b.id)] = (q, e)
        for (a_id, b_id), names in self._peer_links.items():
            # a announces the way back to it through b's own link, not its real port
            back = peer_ports[(b_id, a_id)][1]
            self.net.call("advertise", name=names[1], addr=f"127.0.0.1:{back}")
        for s in self.servers:
            lines = [
                f"tickTime={self.tick_time}",
                f"initLimit={self.init_limit}",
                f"syncLimit={self.sync_limit}",
                f"dataDir={os.path.join(s.dir, 'data')}",
                f"clientPort={s.client_port}",
                "clientPortAddress=127.0.0.1",
                "4lw.commands.whitelist=*",
                "admin.enableServer=false",
                "maxClientCnxns=0",
                "autopurge.purgeInterval=0",
                *(f"{k}={v}" for k, v in self.extra_config.items()),
            ]
            if self.size > 1:
                for o in self.servers:
                    if o is s:
                        lines.append(f"server.{o.id}=127.0.0.1:{o.quorum_port}:{o.election_port}")
                    else:
                        q, e = peer_ports[(s.id, o.id)]
                        lines.append(f"server.{o.id}=127.0.0.1:{q}:{e}")
            with open(os.path.join(s.dir, "conf", "zoo.cfg"), "w") as f:
                f.write("\n".join(lines) + "\n")

    def _stop(self) -> None:
        for s in self.servers:
            if s.alive():
                assert s.proc is not None
                with contextlib.suppress(OSError):
                    s.proc.kill()
        for s in self.servers:
            s._reap(15)
        if self.net is not None:
            self.net.close()  # also removes the temp dir it guards
            self.net = None  # type: ignore[assignment]
        if self.dir is not None:
            import shutil

            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    # -- clients ---------------------------------------------------------------

    @property
    def hosts(self) -> str:
        return ",".join(s.address for s in self.servers)

    @property
    def direct_hosts(self) -> str:
        """The servers' own client ports, bypassing the proxies (for benchmarks)."""
        return ",".join(s.direct_address for s in self.servers)

    def quorum_possible(self) -> bool:
        return sum(s.state == "up" for s in self.servers) > self.size // 2

    def request_counts(self) -> dict[int, int]:
        """How many requests of each opcode crossed the client proxies so far."""
        names = [f"client/{s.id}" for s in self.servers]
        links = self.net.call("stats", names=names)["links"]
        total: dict[int, int] = {}
        for link in links.values():
            for op, n in link["counts"].items():
                total[int(op)] = total.get(int(op), 0) + n
        return total

    # -- faults ----------------------------------------------------------------

    def _links_between(self, groups: list[set[int]]) -> Iterator[str]:
        for (a, b), names in self._peer_links.items():
            if not any(a in g and b in g for g in groups):
                yield from names

    def _partition(self, groups: list[set[int]]) -> None:
        with self._lock:
            all_links = [n for names in self._peer_links.values() for n in names]
            self.net.call("unblock", names=all_links)
            self.net.call("block", names=list(self._links_between(groups)))

    def _heal(self) -> None:
        with self._lock:
            all_links = [n for names in self._peer_links.values() for n in names]
            self.net.call("unblock", names=all_links)

    def _disconnect(self, client: KazooClient, sid: int, seconds: float) -> None:
        names = [f"client/{s.id}" for s in self.servers]
        n = self.net.call("cut", names=names, session_id=sid, hold=seconds)["cut"]
        if n == 0:
            raise EnsembleError(f"session 0x{sid:x} has no connection through this ensemble")

    def _expire(self, client: KazooClient, sid: int) -> None:
        # The server-side way, without the race of kazoo's harness: the client is
        # cut off and held off at the proxies, a second client attaches to the
        # session directly on a server's own port and closes it, then the client
        # may reconnect and learns that its session expired.
        names = [f"client/{s.id}" for s in self.servers]
        _, passwd = client.client_id  # before the cut: kazoo forgets it once disconnected
        self.net.call("cut", names=names, session_id=sid, hold=30.0)
        try:
            live = [s for s in self.servers if s.role in ("leader", "follower")]
            thief = KazooClient(
                hosts=",".join(s.direct_address for s in live),
                client_id=(sid, passwd),
                timeout=client._session_timeout / 1000.0,
            )
            try:
                thief.start(timeout=10)
                thief.stop()
            finally:
                thief.close()
        finally:
            self.net.call("unban", session_id=sid)

    def _set_latency(self, ms: float, between: str) -> None:
        names: list[str] = []
        if between in ("clients", "all"):
            names += [f"client/{s.id}" for s in self.servers]
        if between in ("servers", "all"):
            names += [n for ns in self._peer_links.values() for n in ns]
        self.net.call("delay", names=names, seconds=ms / 2000.0)
