"""The network between a real ensemble's processes: TCP proxies and a guardian.

A :class:`~zkexplore.ensembles.LocalEnsemble` puts one of these processes between
every client and every server, and between every pair of servers.  Each named
*link* listens on a free loopback port and forwards to one target port.  Through
commands on standard input the ensemble can then

- block links (a partition: live connections are reset, new ones are refused),
- delay links (latency, half of it on each direction, order kept),
- cut the connections of one client session (a client disconnect),
- count the request types that crossed a client link (it reads ZooKeeper frames),
- rewrite the election address a server announces when it opens an election
  connection (see :class:`_Advertiser`).

It is also the ensemble's guardian: it remembers the server processes and temp
dirs of its parent, and when its standard input ends (the parent exited, crashed
or was killed, as a notebook kernel restart does) it kills those processes and
removes those dirs.  Running it in its own process keeps the proxies off the
parent's GIL.

Protocol: one JSON object per line on stdin, ``{"id": n, "op": ..., ...}``; one
JSON line back on stdout, ``{"id": n, "ok": true, ...}`` or ``{"id": n, "ok":
false, "error": "..."}``.  It runs as ``python -I path/to/_netproxy.py`` and uses
only the standard library, so it starts fast.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import threading
from typing import Any

_INT = struct.Struct("!i")
_LONG = struct.Struct("!q")
_CONNECT_RESPONSE = struct.Struct("!iiq")  # protocolVersion, timeOut, sessionId
_MAX_SNIFF_FRAME = 16 * 1024 * 1024
#: Seconds an accepted connection waits for its target's port to open.
TARGET_CONNECT_PATIENCE = 3.0


class _Sniffer:
    """Reads ZooKeeper client frames off a byte stream to count request types."""

    def __init__(self, counts: dict[int, int], on_connect) -> None:
        self.buf = bytearray()
        self.counts = counts
        self.on_connect = on_connect
        self.first = True
        self.dead = False

    def feed(self, data: bytes) -> None:
        if self.dead:
            return
        self.buf += data
        while len(self.buf) >= 4:
            (length,) = _INT.unpack_from(self.buf, 0)
            if length < 0 or length > _MAX_SNIFF_FRAME:
                self.dead = True  # a four-letter word or garbage: stop reading
                self.buf.clear()
                return
            if len(self.buf) < 4 + length:
                return
            if self.first:
                self.first = False  # the ConnectRequest has no request header
                if length >= 24:
                    (sid,) = _LONG.unpack_from(self.buf, 20)
                    self.on_connect(sid)
            elif length >= 8:
                (optype,) = _INT.unpack_from(self.buf, 8)
                self.counts[optype] = self.counts.get(optype, 0) + 1
            del self.buf[: 4 + length]


class _Advertiser:
    """Rewrites the address in the first message of a server-to-server election
    connection.

    ZooKeeper 3.8 opens election connections from the higher server id only: when
    a lower id connects, the higher one drops that connection and connects back
    to the address the lower one announced in its first message (protocol
    version, server id, length-prefixed "host:port").  A server announces its own
    listening port, so that connection would bypass the proxies and survive a
    partition.  Announcing the proxy of the reverse link instead keeps every
    election connection on a link the ensemble can block.
    """

    HEAD = 8 + 8 + 4  # protocol version, server id, address length

    def __init__(self, addr: str) -> None:
        self.addr = addr.encode()
        self.buf = bytearray()
        self.done = False

    def feed(self, data: bytes) -> bytes:
        """Bytes to forward now (the rewritten head once it is complete)."""
        if self.done:
            return data
        self.buf += data
        if len(self.buf) < 8:
            return b""
        (version,) = _LONG.unpack_from(self.buf, 0)
        if version >= 0:  # the oldest format: the server id alone, no address
            return self._finish(bytes(self.buf))
        if len(self.buf) < self.HEAD:
            return b""
        (length,) = _INT.unpack_from(self.buf, 16)
        if not 0 <= length <= 4096:  # not an election handshake: leave it alone
            return self._finish(bytes(self.buf))
        if len(self.buf) < self.HEAD + length:
            return b""
        head = bytes(self.buf[:16]) + _INT.pack(len(self.addr)) + self.addr
        return self._finish(head + bytes(self.buf[self.HEAD + length :]))

    def _finish(self, out: bytes) -> bytes:
        self.done = True
        self.buf = bytearray()
        return out


class _Conn:
    def __init__(self, link: "_Link", creader, cwriter, sreader, swriter) -> None:
        self.link = link
        self.cwriter = cwriter
        self.swriter = swriter
        peer = cwriter.get_extra_info("peername") or ("", 0)
        self.peer_port: int = peer[1]
        self.session_id: int | None = None
        self.sniffer = _Sniffer(link.counts, self._on_connect) if link.sniff else None
        self._srv_head = bytearray() if link.sniff else None
        self.advertiser = _Advertiser(link.advertise) if link.advertise else None
        self.tasks = [
            asyncio.ensure_future(self._pump(creader, swriter, upstream=True)),
            asyncio.ensure_future(self._pump(sreader, cwriter, upstream=False)),
        ]

    def _on_connect(self, sid: int) -> None:
        until = self.link.banned.get(sid)
        if until is not None:
            if asyncio.get_running_loop().time() < until:
                self.abort()
            else:
                del self.link.banned[sid]

    def _observe_down(self, data: bytes) -> None:
        head = self._srv_head
        if head is None:
            return
        head += data
        if len(head) >= 4 + _CONNECT_RESPONSE.size:
            (length,) = _INT.unpack_from(head, 0)
            if 0 < length < _MAX_SNIFF_FRAME:
                _, _, self.session_id = _CONNECT_RESPONSE.unpack_from(head, 4)
            self._srv_head = None

    async def _pump(self, reader, writer, upstream: bool) -> None:
        queue: asyncio.Queue = asyncio.Queue()
        loop = asyncio.get_running_loop()

        async def sender() -> None:
            while True:
                due, data = await queue.get()
                if data is None:
                    return
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()

        send_task = asyncio.ensure_future(sender())
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                if upstream:
                    if self.sniffer is not None:
                        self.sniffer.feed(data)
                    if self.advertiser is not None:
                        data = self.advertiser.feed(data)
                        if not data:
                            continue
                else:
                    self._observe_down(data)
                queue.put_nowait((loop.time() + self.link.delay, data))
                if send_task.done():
                    break
            queue.put_nowait((loop.time() + self.link.delay, None))
            await send_task
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            send_task.cancel()
            self.abort()

    def abort(self) -> None:
        for w in (self.cwriter, self.swriter):
            try:
                w.transport.abort()
            except Exception:
                pass
        self.link.conns.discard(self)


class _Link:
    def __init__(
        self, name: str, target: tuple[str, int], sniff: bool, banned: dict[int, float]
    ) -> None:
        self.name = name
        self.banned = banned  # session id -> loop time until which it is refused
        self.target = target
        self.sniff = sniff
        self.blocked = False
        self.down = False
        self.delay = 0.0
        self.advertise = ""  # "host:port" announced on election connections
        self.counts: dict[int, int] = {}
        self.conns: set[_Conn] = set()
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def set_state(self, blocked: bool | None = None, down: bool | None = None) -> int:
        """Block (partition) or mark the target down; either closes the listening
        socket, so that connecting is refused as by a dead host.  Returns the
        number of live connections reset."""
        if blocked is not None:
            self.blocked = blocked
        if down is not None:
            self.down = down
        if self.blocked or self.down:
            if self.server is not None:
                self.server.close()
                self.server = None
            return self.reset_all()
        if self.server is None:
            self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        return 0

    async def _accept(self, creader, cwriter) -> None:
        # The target may be starting (its port not yet open): keep trying for a
        # while, as the connecting side would have seen a slow connect.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TARGET_CONNECT_PATIENCE
        while True:
            if self.server is None:  # blocked or down meanwhile
                cwriter.transport.abort()
                return
            try:
                sreader, swriter = await asyncio.open_connection(*self.target)
                break
            except OSError:
                if loop.time() > deadline:
                    cwriter.transport.abort()
                    return
                await asyncio.sleep(0.02)
        if self.server is None:
            cwriter.transport.abort()
            swriter.transport.abort()
            return
        self.conns.add(_Conn(self, creader, cwriter, sreader, swriter))

    def reset_all(self) -> int:
        conns = list(self.conns)
        for c in conns:
            c.abort()
        return len(conns)

    def close(self) -> None:
        self.reset_all()
        if self.server is not None:
            self.server.close()


class _Proxy:
    def __init__(self) -> None:
        self.links: dict[str, _Link] = {}
        self.pids: set[int] = set()
        self.dirs: set[str] = set()
        self.banned: dict[int, float] = {}

    def _links(self, names: list[str]) -> list[_Link]:
        missing = [n for n in names if n not in self.links]
        if missing:
            raise KeyError(f"no link named {missing[0]!r}")
        return [self.links[n] for n in names]

    async def handle(self, msg: dict[str, Any]) -> dict[str, Any]:
        op = msg.get("op")
        if op == "listen":
            name = msg["name"]
            if name in self.links:
                raise KeyError(f"link {name!r} exists")
            link = _Link(
                name, (msg["host"], int(msg["port"])), bool(msg.get("sniff")), self.banned
            )
            await link.start()
            self.links[name] = link
            return {"port": link.port}
        if op in ("block", "unblock", "down", "up"):
            n = 0
            for link in self._links(msg["names"]):
                if op in ("block", "unblock"):
                    n += await link.set_state(blocked=op == "block")
                else:
                    n += await link.set_state(down=op == "down")
            return {"reset": n}
        if op == "delay":
            for link in self._links(msg["names"]):
                link.delay = max(0.0, float(msg["seconds"]))
            return {}
        if op == "advertise":
            link = self._links([msg["name"]])[0]
            link.advertise = str(msg["addr"])
            return {}
        if op == "cut":
            sid = msg.get("session_id")
            port = msg.get("peer_port")
            hold = float(msg.get("hold") or 0)
            if sid is not None and hold > 0:
                self.banned[sid] = asyncio.get_running_loop().time() + hold
            n = 0
            for link in self._links(msg["names"]):
                for c in list(link.conns):
                    if (sid is not None and c.session_id == sid) or (
                        port is not None and c.peer_port == port
                    ):
                        c.abort()
                        n += 1
            return {"cut": n}
        if op == "unban":
            self.banned.pop(msg["session_id"], None)
            return {}
        if op == "stats":
            out = {}
            for link in self._links(msg["names"]):
                out[link.name] = {
                    "counts": {str(k): v for k, v in sorted(link.counts.items())},
                    "sessions": sorted(c.session_id for c in link.conns if c.session_id),
                    "connections": len(link.conns),
                    "blocked": link.blocked,
                    "down": link.down,
                    "delay": link.delay,
                }
            return {"links": out}
        if op == "guard":
            self.pids.update(int(p) for p in msg.get("pids", []))
            self.dirs.update(msg.get("dirs", []))
            return {}
        if op == "unguard":
            self.pids.difference_update(int(p) for p in msg.get("pids", []))
            self.dirs.difference_update(msg.get("dirs", []))
            return {}
        if op == "ping":
            return {}
        raise ValueError(f"unknown op {op!r}")

    def cleanup(self) -> None:
        for link in self.links.values():
            link.close()
        for pid in self.pids:
            for sig in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)


async def _main() -> None:
    proxy = _Proxy()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = sys.stdout
    try:
        while True:
            line = await reader.readline()
            if not line:
                break  # parent gone: clean up after it
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("op") == "exit":
                out.write(json.dumps({"id": msg.get("id"), "ok": True}) + "\n")
                out.flush()
                break
            try:
                reply = {"id": msg.get("id"), "ok": True, **await proxy.handle(msg)}
            except Exception as e:  # report, keep serving
                reply = {"id": msg.get("id"), "ok": False, "error": f"{type(e).__name__}: {e}"}
            out.write(json.dumps(reply) + "\n")
            out.flush()
    finally:
        proxy.cleanup()


class NetProxy:
    """The parent's handle on a proxy process: start it, send it commands, stop it.

    Examples
    --------
    >>> with NetProxy() as net:                                  # doctest: +SKIP
    ...     port = net.call("listen", name="c1", host="127.0.0.1", port=2181)["port"]
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0
        self._proc: subprocess.Popen[str] | None = subprocess.Popen(
            [sys.executable, "-I", os.path.abspath(__file__)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            close_fds=True,
            start_new_session=True,  # a Ctrl-C in the terminal is not for it
        )

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        """Send one command and return its reply; raise RuntimeError on failure."""
        with self._lock:
            proc = self._proc
            if proc is None or proc.stdin is None or proc.stdout is None:
                raise RuntimeError("the network proxy is stopped")
            self._next += 1
            msg = {"id": self._next, "op": op, **args}
            try:
                proc.stdin.write(json.dumps(msg) + "\n")
                proc.stdin.flush()
                line = proc.stdout.readline()
            except (OSError, ValueError) as e:
                raise RuntimeError(f"the network proxy died: {e}") from None
            if not line:
                raise RuntimeError("the network proxy died")
            reply = json.loads(line)
        if not reply.get("ok"):
            raise RuntimeError(f"network proxy {op}: {reply.get('error')}")
        return reply

    def close(self) -> None:
        """Stop the proxy process (it kills what it guards and removes guarded dirs)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin is not None:
                proc.stdin.write(json.dumps({"id": 0, "op": "exit"}) + "\n")
                proc.stdin.close()
        except (OSError, ValueError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> "NetProxy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a notebook interrupt is for the parent
    asyncio.run(_main())


if __name__ == "__main__":
    main()
