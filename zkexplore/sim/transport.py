"""The TCP front of the simulated ensemble: an asyncio loop in a background thread.

:class:`SimHost` serves each simulated server's client port on 127.0.0.1 and only
moves bytes: what a connection receives goes to :meth:`Cluster.feed`, what the
cluster has to say is written back, and the cluster's timers run on the loop's
clock.  Every call into the cluster from another thread goes through
:meth:`SimHost.call`, which runs it on the loop thread (the cluster needs no locks).

A killed server's port refuses connections, as a dead process's would; a paused
server's port accepts them and says nothing.  Client latency (``set_latency``)
delays each direction by half the round trip, keeping byte order.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from .cluster import Cluster, Config, Conn

__all__ = ["SimHost"]

T = TypeVar("T")


class _Client(asyncio.Protocol):
    __slots__ = ("host", "server_id", "conn", "transport", "inq", "outq")

    def __init__(self, host: "SimHost", server_id: int) -> None:
        self.host = host
        self.server_id = server_id
        self.conn: Conn | None = None
        self.transport: asyncio.Transport | None = None
        self.inq: deque[tuple[float, bytes | None]] = deque()
        self.outq: deque[tuple[float, bytes, bool]] = deque()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername") or ("127.0.0.1", 0)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            import socket

            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = self.host.cluster.open(self.server_id, (peer[0], peer[1]))
        self.host.protocols[self.conn] = self

    def data_received(self, data: bytes) -> None:
        host = self.host
        if host.delay:
            self.inq.append((host.loop.time() + host.delay, data))
            host.loop.call_at(self.inq[-1][0], self._drain_in)
            return
        assert self.conn is not None
        host.cluster.feed(self.conn, data)
        host.flush()

    def _drain_in(self) -> None:
        host = self.host
        now = host.loop.time()
        while self.inq and self.inq[0][0] <= now:
            _, data = self.inq.popleft()
            assert self.conn is not None
            if data is None:
                host.cluster.disconnected(self.conn)
            else:
                host.cluster.feed(self.conn, data)
        host.flush()

    def connection_lost(self, exc: Exception | None) -> None:
        host = self.host
        if self.conn is None:
            return
        host.protocols.pop(self.conn, None)
        host.cluster.disconnected(self.conn)
        host.flush()

    def write(self, data: bytes, close: bool) -> None:
        host = self.host
        if host.delay:
            self.outq.append((host.loop.time() + host.delay, data, close))
            host.loop.call_at(self.outq[-1][0], self._drain_out)
            return
        self._write_now(data, close)

    def _drain_out(self) -> None:
        now = self.host.loop.time()
        while self.outq and self.outq[0][0] <= now:
            _, data, close = self.outq.popleft()
            self._write_now(data, close)

    def _write_now(self, data: bytes, close: bool) -> None:
        t = self.transport
        if t is None or t.is_closing():
            return
        if data:
            t.write(data)
        if close:
            t.close()


class SimHost:
    """A :class:`Cluster` served on loopback by an asyncio loop in its own thread.

    Parameters
    ----------
    size, seed, config
        For the :class:`Cluster`.
    ports
        Client port of each server; 0 (the default) picks free ports.

    Examples
    --------
    >>> host = SimHost(size=3, seed=7).start()                   # doctest: +SKIP
    >>> host.hosts                                               # doctest: +SKIP
    '127.0.0.1:40011,127.0.0.1:40013,127.0.0.1:40015'
    >>> host.stop()                                              # doctest: +SKIP
    """

    def __init__(
        self,
        size: int = 3,
        seed: int | None = None,
        config: Config | None = None,
        ports: list[int] | None = None,
    ) -> None:
        self.cluster = Cluster(size=size, seed=seed, config=config)
        self.ports = list(ports) if ports else [0] * size
        if len(self.ports) != size:
            raise ValueError(f"{size} servers need {size} ports, not {len(self.ports)}")
        self.loop = asyncio.new_event_loop()
        self.thread: threading.Thread | None = None
        self.listeners: dict[int, asyncio.base_events.Server] = {}
        self.protocols: dict[Conn, _Client] = {}
        self.delay = 0.0  # one-way client latency, seconds
        self._t0 = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due: float | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> "SimHost":
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.call_soon(ready.set)
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, name="zkexplore-sim", daemon=True)
        self.thread.start()
        ready.wait()
        try:
            asyncio.run_coroutine_threadsafe(self._boot(), self.loop).result(30)
        except BaseException:
            self.stop()
            raise
        return self

    async def _boot(self) -> None:
        self._t0 = self.loop.time()
        if self.cluster.seed is None:
            self.cluster.wall_base = int(time.time() * 1000)
        for s in self.cluster.servers:
            await self._listen(s.id)
        self.cluster.advance(0.0)
        self.flush()

    async def _listen(self, sid: int) -> None:
        i = sid - 1
        server = await self.loop.create_server(
            lambda: _Client(self, sid), "127.0.0.1", self.ports[i], reuse_address=True
        )
        self.ports[i] = server.sockets[0].getsockname()[1]
        self.cluster.by_id[sid].port = self.ports[i]
        self.listeners[sid] = server

    def stop(self) -> None:
        """Close every connection and port and end the thread."""
        if self.thread is None:
            return
        if self.loop.is_running():
            fut = asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop)
            try:
                fut.result(10)
            except Exception:
                pass
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.thread = None
        self.loop.close()

    async def _shutdown(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for server in self.listeners.values():
            server.close()
        for proto in list(self.protocols.values()):
            if proto.transport is not None:
                proto.transport.abort()
        for server in self.listeners.values():
            await server.wait_closed()
        self.listeners.clear()
        await asyncio.sleep(0)

    # -- calls from other threads ---------------------------------------------------

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(cluster, *args)`` on the loop thread; return its result or raise."""
        if self.thread is None:
            raise RuntimeError("the simulated ensemble is stopped")
        if threading.current_thread() is self.thread:
            return self._run(fn, args)
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                fut.set_result(self._run(fn, args))
            except BaseException as e:  # handed to the caller
                fut.set_exception(e)

        self.loop.call_soon_threadsafe(run)
        return fut.result(30)

    def _run(self, fn: Callable[..., T], args: tuple) -> T:
        self.cluster.advance(self.loop.time() - self._t0)
        try:
            return fn(self.cluster, *args)
        finally:
            self.flush()

    # -- moving bytes -------------------------------------------------------------------

    def flush(self) -> None:
        """Write what the cluster produced; keep its timer armed."""
        for conn, data, close in self.cluster.take_output():
            proto = self.protocols.get(conn)
            if proto is not None:
                proto.write(data, close)
        self._arm()

    def _arm(self) -> None:
        due = self.cluster.next_deadline()
        if due is None or due == self._timer_due:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_due = due
        self._timer = self.loop.call_at(self._t0 + due, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self._timer_due = None
        self.cluster.advance(self.loop.time() - self._t0)
        self.flush()

    # -- ports of servers that die and come back -------------------------------------

    async def close_port(self, sid: int) -> None:
        server = self.listeners.pop(sid, None)
        if server is not None:
            server.close()
            await server.wait_closed()

    async def open_port(self, sid: int) -> None:
        if sid not in self.listeners:
            await self._listen(sid)

    def port_call(self, coro_fn: Callable[[int], Any], sid: int) -> None:
        """Open or close a server's port, from any thread."""
        if threading.current_thread() is self.thread:
            raise RuntimeError("port_call must come from outside the loop thread")
        asyncio.run_coroutine_threadsafe(coro_fn(sid), self.loop).result(10)

    @property
    def hosts(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.ports)
