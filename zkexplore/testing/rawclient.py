"""A small blocking ZooKeeper client that sends whatever it is told to.

kazoo cannot send a wrong password, an unknown opcode, a truncated body or a
frame longer than ``jute.maxbuffer``; :class:`RawClient` can.  It is built on
:mod:`zkexplore.sim.jute`: one TCP connection, a :class:`~zkexplore.sim.jute.ConnectRequest`
with the timeout, session, password and read-only flag you choose, then any
request record (or raw bytes) and the replies and notifications that come back.
No threads, no pings of its own: a test that idles longer than a third of its
session timeout must ping (:meth:`RawClient.ping`).

Examples
--------
>>> raw = RawClient("127.0.0.1:2181")                          # doctest: +SKIP
>>> raw.connect(timeout_ms=1).timeout                           # doctest: +SKIP
4000
>>> raw.call(J.GetDataRequest("/a/", False)).err                # doctest: +SKIP
-8

What can fail: :meth:`RawClient.call` and :meth:`RawClient.read` raise
``TimeoutError`` when nothing comes within their timeout; a connection the server
closed (or reset) is not an error: reads return :data:`CLOSED` and
:attr:`RawClient.closed` becomes true.  Sending on a closed connection is a no-op
(the bytes are lost, as they would be on the wire).
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..sim import jute as J

__all__ = ["RawClient", "RawReply", "Notification", "CLOSED"]

_INT = struct.Struct("!i")

#: What :meth:`RawClient.read` returns once the server has closed the connection.
CLOSED = "closed"


@dataclass(frozen=True)
class RawReply:
    """A reply: its header fields, and the decoded body (None without one).

    ``body`` is None when ``err`` is not 0 or the op has no reply body; ``raw`` is
    the whole payload after the header.
    """

    xid: int
    zxid: int
    err: int
    op: int | None
    body: Any = None
    raw: bytes = b""

    @property
    def err_name(self) -> str:
        try:
            return J.Err(self.err).name
        except ValueError:
            return str(self.err)


@dataclass(frozen=True)
class Notification:
    """A watch notification (a reply with xid -1)."""

    zxid: int
    event: J.WatcherEvent


class RawClient:
    """One TCP connection to a ZooKeeper server, driven by hand.

    Parameters
    ----------
    address : str or (host, port)
        ``"host:port"`` of the server.
    io_timeout : float
        Default seconds :meth:`read` and :meth:`call` wait.
    on_session : callable, optional
        Called with the session id of every ConnectResponse that grants one
        (:class:`~zkexplore.testing.differential.Trial` names sessions with it).
    """

    def __init__(self, address: str | tuple[str, int], io_timeout: float = 5.0,
                 on_session: Callable[[int], Any] | None = None) -> None:
        if isinstance(address, str):
            host, _, port = address.rpartition(":")
            address = (host, int(port))
        self.address = address
        self.io_timeout = io_timeout
        self.on_session = on_session
        self.sock: socket.socket | None = None
        #: no connection (not yet opened, or closed by either side)
        self.closed = True
        self.session_id = 0
        self.passwd = b""
        self.timeout_ms = 0
        self.connect_response: J.ConnectResponse | None = None
        #: notifications that arrived while :meth:`call` waited for a reply
        self.events: list[Notification] = []
        self._buf = bytearray()
        self._ops: dict[int, int] = {}  # xid -> opcode, to decode replies
        self._xid = 0
        self._ended = False  # the session was closed (or found expired)

    # -- the connection ----------------------------------------------------------------

    def _open(self) -> None:
        self.close_socket()
        self.sock = socket.create_connection(self.address, timeout=self.io_timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.closed = False
        self._buf.clear()
        self._ops.clear()

    def connect(self, timeout_ms: int = 10_000, session_id: int = 0, passwd: bytes | None = None,
                read_only: bool | None = False, last_zxid_seen: int = 0,
                protocol_version: int = 0) -> J.ConnectResponse | None:
        """Open a new TCP connection and send a ConnectRequest; return the server's
        ConnectResponse, or None when it closed the connection instead.

        ``timeout`` 0 in the response means the session is expired (or the password
        was wrong).  Reconnecting keeps the xid counter going.
        """
        self._open()
        req = J.ConnectRequest(protocol_version, last_zxid_seen, timeout_ms, session_id,
                               passwd if passwd is not None else bytes(16), read_only)
        self.send_bytes(req.encode())
        payload = self._next_payload(self.io_timeout)
        if payload is None:
            return None
        resp, _ = J.ConnectResponse.decode(payload)
        self.connect_response = resp
        if resp.timeout > 0 and resp.session_id:
            self.session_id, self.passwd, self.timeout_ms = resp.session_id, resp.passwd or b"", resp.timeout
            self._ended = False
            if self.on_session is not None:
                self.on_session(resp.session_id)
        return resp

    def close_socket(self) -> None:
        """Drop the TCP connection without closing the session."""
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        self.sock = None
        self.closed = True

    # -- sending -------------------------------------------------------------------------

    def next_xid(self) -> int:
        self._xid += 1
        return self._xid

    def send_bytes(self, payload: bytes, framed: bool = True) -> None:
        """Send ``payload`` behind a length prefix (``framed``) or exactly as given."""
        data = J.frame(payload) if framed else payload
        if self.sock is None or self.closed:
            return
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def send(self, record: J.JuteRecord, xid: int | None = None, op: int | None = None) -> int:
        """Send a request record (its header from ``record.OPCODE`` unless ``op``);
        returns its xid."""
        if xid is None:
            xid = self.next_xid()
        op = record.OPCODE if op is None else op  # type: ignore[attr-defined]
        self._ops[xid] = op
        self.send_bytes(J.RequestHeader(xid, op).encode() + record.encode())
        return xid

    def send_request(self, op: int, body: bytes = b"", xid: int | None = None) -> int:
        """Send a request header with opcode ``op`` and a body of raw bytes."""
        if xid is None:
            xid = self.next_xid()
        self._ops[xid] = op
        self.send_bytes(J.RequestHeader(xid, op).encode() + body)
        return xid

    # -- receiving ---------------------------------------------------------------------

    def _next_payload(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        while True:
            if len(self._buf) >= 4:
                n = _INT.unpack_from(self._buf, 0)[0]
                if 0 <= n and len(self._buf) >= 4 + n:
                    payload = bytes(self._buf[4 : 4 + n])
                    del self._buf[: 4 + n]
                    return payload
            if self.sock is None or self.closed:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"nothing from {self.address[0]}:{self.address[1]} within {timeout} s")
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                continue
            try:
                data = self.sock.recv(1 << 20)
            except OSError:
                data = b""
            if not data:
                self.close_socket()
                continue
            self._buf += data

    def read(self, timeout: float | None = None) -> RawReply | Notification | str:
        """The next reply or notification, or :data:`CLOSED`."""
        payload = self._next_payload(self.io_timeout if timeout is None else timeout)
        if payload is None:
            return CLOSED
        hdr, off = J.ReplyHeader.decode(payload)
        if hdr.xid == J.XID_NOTIFICATION:
            ev, _ = J.WatcherEvent.decode(payload, off)
            return Notification(hdr.zxid, ev)
        op = self._ops.pop(hdr.xid, None)
        if hdr.xid == J.XID_PING:
            op = J.OpCode.ping
        body = None
        if hdr.err == 0 and op is not None:
            try:
                body = J.decode_response(op, payload, off)
            except J.JuteError:
                body = None
        return RawReply(hdr.xid, hdr.zxid, hdr.err, op, body, payload[off:])

    def call(self, record: J.JuteRecord, xid: int | None = None, timeout: float | None = None,
             op: int | None = None) -> RawReply | str:
        """Send ``record`` and wait for its reply (notifications meanwhile go to
        :attr:`events`); :data:`CLOSED` if the connection closes first."""
        xid = self.send(record, xid, op)
        return self.wait_reply(xid, timeout)

    def wait_reply(self, xid: int, timeout: float | None = None) -> RawReply | str:
        """Read until the reply with ``xid`` (or :data:`CLOSED`)."""
        deadline = time.monotonic() + (self.io_timeout if timeout is None else timeout)
        while True:
            msg = self.read(max(0.0, deadline - time.monotonic()))
            if isinstance(msg, Notification):
                self.events.append(msg)
                continue
            if msg == CLOSED or msg.xid == xid:  # type: ignore[union-attr]
                return msg

    def wait_events(self, count: int, timeout: float | None = None) -> list[Notification]:
        """Wait for ``count`` notifications (fewer if the time runs out or the
        connection closes); returns and forgets the ones collected."""
        deadline = time.monotonic() + (self.io_timeout if timeout is None else timeout)
        while len(self.events) < count:
            try:
                msg = self.read(max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                break
            if isinstance(msg, Notification):
                self.events.append(msg)
            elif msg == CLOSED:
                break
        out, self.events = self.events[:count], self.events[count:]
        return out

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Read (and keep notifications) until the server closes the connection;
        True if it did within the timeout."""
        deadline = time.monotonic() + (self.io_timeout if timeout is None else timeout)
        while True:
            try:
                msg = self.read(max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                return False
            if msg == CLOSED:
                return True
            if isinstance(msg, Notification):
                self.events.append(msg)

    # -- conveniences ------------------------------------------------------------------

    def ping(self, timeout: float | None = None) -> RawReply | str:
        """A ping (xid -2); its reply is a bare header."""
        return self.call(J.PingRequest(), xid=J.XID_PING, timeout=timeout)

    def close_session(self, timeout: float | None = None) -> RawReply | str:
        """``closeSession``: the server ends the session, replies, then closes."""
        reply = self.call(J.CloseRequest(), timeout=timeout)
        if isinstance(reply, RawReply) and reply.err == 0:
            self._ended = True
        return reply

    def end(self, timeout: float = 5.0, alternatives: "list[str] | None" = None) -> None:
        """Leave no session behind: close the session this client last held,
        reconnecting to it if its connection is gone (to ``alternatives``, other
        servers' addresses, when its own server does not answer).  Never raises."""
        if not self.session_id or self._ended:
            self.close_socket()
            return
        candidates: list[str | tuple[str, int]] = [self.address]
        candidates += [a for a in alternatives or () if a != f"{self.address[0]}:{self.address[1]}"]
        for address in candidates:
            try:
                if self.closed or self.sock is None:
                    if isinstance(address, str):
                        host, _, port = address.rpartition(":")
                        address = (host, int(port))
                    self.address = address
                    resp = self.connect(self.timeout_ms or 10_000, self.session_id, self.passwd)
                    if resp is None:
                        continue
                    if resp.timeout <= 0:
                        break
                reply = self.close_session(timeout)
                if isinstance(reply, RawReply):
                    break
            except (OSError, TimeoutError, J.JuteError):
                self.close_socket()
        self._ended = True
        self.close_socket()
