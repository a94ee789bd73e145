"""A socket-free client for the sans-IO cluster: frames in, frames out."""

from __future__ import annotations

from typing import Any

from zkexplore.sim import jute as J
from zkexplore.sim.cluster import Cluster, Conn


class Wire:
    """One client connection to one server of a :class:`Cluster`, without sockets."""

    def __init__(self, cluster: Cluster, server: int, port: int = 50000) -> None:
        self.cluster = cluster
        self.conn: Conn = cluster.open(server, ("127.0.0.1", port))
        self.reader = J.FrameReader(10 * 1024 * 1024)
        self.xid = 0
        self.events: list[J.WatcherEvent] = []
        self.replies: list[tuple[J.ReplyHeader, bytes, int]] = []
        self.closed = False
        self.session_id = 0
        self.passwd = b""
        self.timeout = 0
        self.raw: list[bytes] = []
        self._expect_connect = False
        _owners[self.conn] = self

    # -- plumbing ---------------------------------------------------------------------

    def pump(self) -> None:
        """Collect what the cluster wrote to any connection (this one keeps its share)."""
        for conn, data, close in self.cluster.take_output():
            owner = _owners.get(conn)
            if owner is not None:
                owner._receive(data, close)

    def _receive(self, data: bytes, close: bool) -> None:
        if data:
            self.raw.append(data)
            for payload in self.reader.feed(data):
                self._frame(payload)
        if close:
            self.closed = True

    def _frame(self, payload: bytes) -> None:
        if self._expect_connect:
            resp, _ = J.ConnectResponse.decode(payload)
            self._expect_connect = False
            self.session_id, self.passwd, self.timeout = resp.session_id, resp.passwd or b"", resp.timeout
            self.connect_response = resp
            return
        hdr, off = J.ReplyHeader.decode(payload)
        if hdr.xid == J.XID_NOTIFICATION:
            self.events.append(J.WatcherEvent.decode(payload, off)[0])
        else:
            self.replies.append((hdr, payload, off))

    def send_raw(self, data: bytes) -> None:
        self.cluster.feed(self.conn, data)
        self.pump()

    # -- the protocol ------------------------------------------------------------------

    def connect(self, timeout: int = 10000, session: tuple[int, bytes] | None = None,
                last_zxid: int = 0) -> J.ConnectResponse | None:
        sid, pw = session or (0, bytes(16))
        self._expect_connect = True
        self.send_raw(J.frame(J.ConnectRequest(0, last_zxid, timeout, sid, pw, False).encode()))
        return getattr(self, "connect_response", None)

    def request(self, record: J.JuteRecord, xid: int | None = None) -> tuple[J.ReplyHeader, Any]:
        """Send a request and return (reply header, decoded body or None)."""
        if xid is None:
            self.xid += 1
            xid = self.xid
        n = len(self.replies)
        self.send_raw(J.encode_request(xid, record))
        if len(self.replies) == n:
            raise AssertionError(f"no reply to {record!r} (closed={self.closed})")
        hdr, payload, off = self.replies[n]
        body = None
        if hdr.err == 0 and record.OPCODE in J.RESPONSE_TYPES:  # type: ignore[attr-defined]
            body = J.decode_response(record.OPCODE, payload, off)  # type: ignore[attr-defined]
        return hdr, body

    def send(self, record: J.JuteRecord, xid: int | None = None) -> None:
        """Send without waiting for a reply."""
        if xid is None:
            self.xid += 1
            xid = self.xid
        self.send_raw(J.encode_request(xid, record))

    def close(self) -> None:
        self.cluster.disconnected(self.conn)
        self.pump()


_owners: dict[Conn, Wire] = {}


def advance(cluster: Cluster, seconds: float, wires: list[Wire] | None = None) -> None:
    """Move the cluster's clock forward, running timers, and deliver output."""
    cluster.advance(cluster.now + seconds)
    for conn, data, close in cluster.take_output():
        owner = _owners.get(conn)
        if owner is not None:
            owner._receive(data, close)


def create(path: str, data: bytes = b"", flags: int = 0) -> J.CreateRequest:
    return J.CreateRequest(path, data, J.OPEN_ACL_UNSAFE, flags)
