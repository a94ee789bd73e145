"""The TCP front of the simulated ensemble: a selector loop in a background thread.

:class:`SimHost` serves each simulated server's client port on 127.0.0.1 and only
moves bytes: what a connection receives goes to :meth:`Cluster.feed`, what the
cluster has to say is written back, and the cluster's timers run on the loop's
clock.  Every call into the cluster from another thread goes through
:meth:`SimHost.call`, which runs it on the loop thread (the cluster needs no locks).
It uses :mod:`selectors` directly rather than asyncio: less work per message, and
a child process that serves the ensemble starts faster without asyncio to import.

A killed server's port refuses connections, as a dead process's would; a paused
server's port accepts them and says nothing.  Client latency (``set_delay``)
delays each direction by the same amount, keeping byte order.
"""

from __future__ import annotations

import functools
import heapq
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from .cluster import Cluster, Config, Conn

__all__ = ["SimHost"]

T = TypeVar("T")
_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE


class _Call:
    """A call from another thread, with its result."""

    __slots__ = ("fn", "done", "result", "error")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class _Client:
    """One accepted socket and its cluster connection."""

    __slots__ = ("sock", "conn", "out", "closing", "closed", "events")

    def __init__(self, sock: socket.socket, conn: Conn) -> None:
        self.sock = sock
        self.conn = conn
        self.out = bytearray()
        self.closing = False
        self.closed = False
        self.events = _READ


class SimHost:
    """A :class:`Cluster` served on loopback by a selector loop in its own thread.

    Parameters
    ----------
    size, seed, config
        For the :class:`Cluster`.
    ports
        Client port of each server; 0 (the default) picks free ports.

    Examples
    --------
    >>> host = SimHost(size=3, seed=7).start()
    >>> len(host.hosts.split(","))
    3
    >>> host.op("leader")
    3
    >>> host.stop()
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
        self.sel = selectors.DefaultSelector()
        self.listeners: dict[int, socket.socket] = {}
        self.clients: dict[Conn, _Client] = {}
        self.thread: threading.Thread | None = None
        self.delay = 0.0  # one-way client latency, seconds
        self._t0 = time.monotonic()
        self._calls: deque[_Call] = deque()
        self._delayed: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = 0
        self._running = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> "SimHost":
        try:
            for s in self.cluster.servers:
                self._listen(s.id)
        except BaseException:
            self._close_all()
            raise
        if self.cluster.seed is None:
            self.cluster.wall_base = int(time.time() * 1000)
        self._t0 = time.monotonic()
        self.sel.register(self._wake_r, _READ, None)
        self._running = True
        self.thread = threading.Thread(target=self._loop, name="zkexplore-sim", daemon=True)
        self.thread.start()
        return self

    def _listen(self, sid: int) -> None:
        i = sid - 1
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", self.ports[i]))
            sock.listen(128)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        self.ports[i] = sock.getsockname()[1]
        self.cluster.by_id[sid].port = self.ports[i]
        self.listeners[sid] = sock
        self.sel.register(sock, _READ, sid)

    def stop(self) -> None:
        """Close every connection and port and end the thread."""
        if self.thread is not None:
            self._running = False
            self._wake()
            self.thread.join(10)
            self.thread = None
        self._close_all()

    def _close_all(self) -> None:
        for c in list(self.clients.values()):
            self._drop(c)
        for sock in self.listeners.values():
            sock.close()
        self.listeners.clear()
        for sock in (self._wake_r, self._wake_w):
            sock.close()
        self.sel.close()

    # -- the loop ----------------------------------------------------------------------

    def _now(self) -> float:
        return time.monotonic() - self._t0

    def _loop(self) -> None:
        sel = self.sel
        cluster = self.cluster
        while self._running:
            timeout = None
            due = cluster.next_deadline()
            if self._delayed:
                due = self._delayed[0][0] if due is None else min(due, self._delayed[0][0])
            if due is not None:
                timeout = max(0.0, due - self._now())
            for key, mask in sel.select(timeout):
                data = key.data
                if data is None:
                    self._drain_wake()
                elif type(data) is int:
                    self._accept(key.fileobj, data)  # type: ignore[arg-type]
                else:
                    if mask & _READ:
                        self._read(data)
                    if mask & _WRITE and not data.closed:
                        self._send(data)
            now = self._now()
            while self._delayed and self._delayed[0][0] <= now:
                heapq.heappop(self._delayed)[2]()
            if cluster.next_deadline() is not None and cluster.next_deadline() <= now:  # type: ignore[operator]
                cluster.advance(now)
            while self._calls:
                self._run_call(self._calls.popleft())
            self.flush()

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _later(self, delay: float, fn: Callable[[], None]) -> None:
        self._seq += 1
        heapq.heappush(self._delayed, (self._now() + delay, self._seq, fn))

    def _accept(self, listener: socket.socket, sid: int) -> None:
        try:
            sock, peer = listener.accept()
        except (BlockingIOError, OSError):
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.cluster.advance(self._now())
        conn = self.cluster.open(sid, (peer[0], peer[1]))
        client = _Client(sock, conn)
        self.clients[conn] = client
        self.sel.register(sock, _READ, client)

    def _read(self, c: _Client) -> None:
        try:
            data = c.sock.recv(262144)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._lost(c)
            return
        if self.delay:
            self._later(self.delay, lambda: self._deliver(c, data))
            return
        self._deliver(c, data)

    def _deliver(self, c: _Client, data: bytes) -> None:
        if c.closed:
            return
        self.cluster.advance(self._now())
        self.cluster.feed(c.conn, data)

    def _lost(self, c: _Client) -> None:
        self._drop(c)
        self.cluster.disconnected(c.conn)

    def _drop(self, c: _Client) -> None:
        if c.closed:
            return
        c.closed = True
        self.clients.pop(c.conn, None)
        try:
            self.sel.unregister(c.sock)
        except (KeyError, ValueError, OSError):
            pass
        c.sock.close()

    def _send(self, c: _Client) -> None:
        if c.out:
            try:
                n = c.sock.send(c.out)
            except BlockingIOError:
                n = 0
            except OSError:
                self._lost(c)
                return
            del c.out[:n]
        if c.out:
            if c.events != _READ | _WRITE:
                c.events = _READ | _WRITE
                self.sel.modify(c.sock, c.events, c)
            return
        if c.closing:
            self._drop(c)
            return
        if c.events != _READ:
            c.events = _READ
            self.sel.modify(c.sock, c.events, c)

    def _write(self, c: _Client, data: bytes, close: bool) -> None:
        if c.closed:
            return
        if data:
            c.out += data
        if close:
            c.closing = True
        self._send(c)

    def flush(self) -> None:
        """Write what the cluster produced."""
        for conn, data, close in self.cluster.take_output():
            c = self.clients.get(conn)
            if c is None:
                continue
            if self.delay:
                self._later(self.delay, functools.partial(self._write, c, data, close))
            else:
                self._write(c, data, close)

    # -- calls from other threads ---------------------------------------------------

    def _run_call(self, call: _Call) -> None:
        try:
            self.cluster.advance(self._now())
            call.result = call.fn()
        except BaseException as e:  # handed to the caller
            call.error = e
        finally:
            call.done.set()

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(cluster, *args)`` on the loop thread; return its result or raise."""
        if self.thread is None:
            raise RuntimeError("the simulated ensemble is stopped")
        call = _Call(lambda: fn(self.cluster, *args))
        if threading.current_thread() is self.thread:
            self._run_call(call)
        else:
            self._calls.append(call)
            self._wake()
            if not call.done.wait(30):
                raise TimeoutError("the simulated ensemble did not answer within 30 s")
        if call.error is not None:
            raise call.error
        return call.result

    def op(self, name: str, *args: Any) -> Any:
        """Run a named operation (:mod:`zkexplore.sim.ops`) on the loop thread."""
        from .ops import run

        return self.call(lambda c: run(c, name, args))

    def set_port(self, sid: int, open: bool) -> None:
        """Open or close a server's client port (a dead server's port refuses
        connections)."""

        def change(cluster: Cluster) -> None:
            if open and sid not in self.listeners:
                self._listen(sid)
            elif not open and sid in self.listeners:
                sock = self.listeners.pop(sid)
                self.sel.unregister(sock)
                sock.close()

        self.call(change)

    def set_delay(self, seconds: float) -> None:
        """One-way latency on every client connection (half a round trip)."""
        self.delay = max(0.0, float(seconds))

    @property
    def hosts(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.ports)
