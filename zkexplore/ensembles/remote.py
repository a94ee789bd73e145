"""An existing ZooKeeper ensemble (production), read-only by default.

:class:`RemoteEnsemble` only connects: it starts no server and injects no server
fault.  Its clients are :class:`ReadOnlyKazooClient` unless ``read_only=False``:
create, set, delete, set_acls, transactions and reconfig raise
:class:`~zkexplore.errors.ReadOnlyError` *before anything is sent*.  Every server
fault raises :class:`~zkexplore.errors.FaultNotSupported`; the only fault it offers
is ``disconnect`` of one of its own clients (a local socket cut).
"""

from __future__ import annotations

from typing import Any

from kazoo.client import KazooClient
from kazoo.handlers.threading import KazooTimeoutError

from ..errors import EnsembleError, FaultNotSupported, ReadOnlyError
from ._fourletter import four_letter, parse_srvr
from .base import Ensemble, Server

__all__ = ["RemoteEnsemble", "RemoteServer", "ReadOnlyKazooClient", "WRITE_OPCODES"]

#: ZooKeeper opcodes that change the tree, with the kazoo call that sends them.
WRITE_OPCODES = {
    1: "create",
    2: "delete",
    5: "set",
    7: "set_acls",
    14: "transaction",
    15: "create",
    16: "reconfig",
    19: "create (container)",
    20: "delete (container)",
    21: "create (TTL)",
}


class ReadOnlyKazooClient(KazooClient):
    """A KazooClient that refuses every write before it reaches the network.

    Examples
    --------
    >>> zk = ReadOnlyKazooClient(hosts="127.0.0.1:2181")         # doctest: +SKIP
    >>> zk.create("/x")                                           # doctest: +SKIP
    Traceback (most recent call last):
    zkexplore.errors.ReadOnlyError: refused create on '/x': this client is read-only ...
    """

    def _call(self, request: Any, async_object: Any) -> Any:
        name = WRITE_OPCODES.get(getattr(request, "type", None))  # type: ignore[arg-type]
        if name is not None:
            async_object.set_exception(ReadOnlyError(name, getattr(request, "path", None)))
            return False
        return super()._call(request, async_object)


class RemoteServer(Server):
    """A server of a remote ensemble: its address, and its role if ``srvr`` is allowed."""

    ensemble: "RemoteEnsemble"

    def __init__(self, ensemble: "RemoteEnsemble", sid: int, host: str, port: int) -> None:
        self.ensemble = ensemble
        self.id = sid
        self.host = host
        self.port = port

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def four_letter(self, word: str, timeout: float = 5.0) -> str:
        return four_letter(self.host, self.port, word, timeout)

    @property
    def role(self) -> str:
        """The role from ``srvr``; ``"unknown"`` when the server does not allow it."""
        try:
            mode = parse_srvr(self.four_letter("srvr", 2.0)).get("Mode")
        except OSError:
            return "down"
        return {"leader": "leader", "follower": "follower", "standalone": "leader",
                "observer": "follower"}.get(mode or "", "unknown")

    @property
    def state(self) -> str:
        return "down" if self.role == "down" else "up"


def _parse_hosts(hosts: str) -> tuple[list[tuple[str, int]], str]:
    if not isinstance(hosts, str) or not hosts.strip():
        raise ValueError(f"hosts must be a string like 'zk1:2181,zk2:2181', not {hosts!r}")
    body, _, chroot = hosts.strip().partition("/")
    out = []
    for part in body.split(","):
        part = part.strip()
        if not part:
            continue
        host, sep, port = part.rpartition(":")
        if not sep:
            host, port = part, "2181"
        try:
            out.append((host.strip("[]"), int(port)))
        except ValueError:
            raise ValueError(f"bad port in hosts entry {part!r}") from None
    if not out:
        raise ValueError(f"no host in {hosts!r}")
    return out, ("/" + chroot if chroot else "")


class RemoteEnsemble(Ensemble):
    """An existing ensemble, reached through ``hosts``.

    Parameters
    ----------
    hosts : str
        kazoo's hosts string, ``"zk1:2181,zk2:2181[/chroot]"``.
    read_only : bool
        Refuse every write in every client handed out (the default).
    auth : list of (scheme, credential), or str, optional
        Authentication for every client: ``[("digest", "user:secret")]``;
        a plain string means digest.
    tls : bool or dict, optional
        ``True`` for TLS with the system's trust store, or kazoo's TLS arguments
        (``ca``, ``certfile``, ``keyfile``, ``keyfile_password``, ``verify_certs``).
    connect_timeout : float
        Seconds ``start()`` waits for a first connection.

    Examples
    --------
    >>> with RemoteEnsemble("zk1.example:2181") as prod:         # doctest: +SKIP
    ...     zk = prod.client()
    ...     zk.get_children("/")
    """

    kind = "RemoteEnsemble"
    _why_no_faults = "it is an existing ensemble that zkexplore does not run"

    def __init__(
        self,
        hosts: str,
        read_only: bool = True,
        auth: "list[tuple[str, str]] | str | None" = None,
        tls: "bool | dict[str, Any] | None" = None,
        connect_timeout: float = 15.0,
    ) -> None:
        super().__init__()
        addrs, self.chroot = _parse_hosts(hosts)
        self._hosts = hosts.strip()
        self.read_only = bool(read_only)
        if isinstance(auth, str):
            auth = [("digest", auth)]
        if auth is not None:
            auth = [(str(s), str(c)) for s, c in auth]
        self.auth = auth
        if tls is True:
            tls = {"use_ssl": True}
        elif tls:
            tls = {"use_ssl": True, **tls}
        self.tls: dict[str, Any] = dict(tls or {})
        self.connect_timeout = connect_timeout
        self.servers: list[RemoteServer] = [  # type: ignore[assignment]
            RemoteServer(self, i + 1, h, p) for i, (h, p) in enumerate(addrs)
        ]

    @property
    def hosts(self) -> str:
        return self._hosts

    def _make_client(self, **kw: Any) -> KazooClient:
        if self.auth is not None:
            kw.setdefault("auth_data", self.auth)
        for k, v in self.tls.items():
            kw.setdefault(k, v)
        cls = ReadOnlyKazooClient if self.read_only else KazooClient
        return cls(**kw)

    def client(self, server: Any = None, start_timeout: float | None = None, **kw: Any) -> KazooClient:
        if server is not None:
            srv = self.server(server)
            kw.setdefault("hosts", srv.address + self.chroot)
        try:
            return super().client(start_timeout=start_timeout or self.connect_timeout, **kw)
        except KazooTimeoutError:
            raise EnsembleError(
                f"could not connect to {kw.get('hosts', self.hosts)} within "
                f"{start_timeout or self.connect_timeout:.0f} s"
            ) from None

    def _start(self) -> None:
        self._started = True  # so that client() works for the probe
        probe = self.client()
        self._clients.remove(probe)
        probe.stop()
        probe.close()

    def _stop(self) -> None:
        pass

    def _disconnect(self, client: KazooClient, sid: int, seconds: float) -> None:
        # the client's own side: its socket is cut and it may not reconnect for a while
        from ..client import hold_off

        if getattr(getattr(client, "_connection", None), "_socket", None) is None:
            raise EnsembleError("this client has no socket to cut")
        hold_off(client, seconds)

    def _expire(self, client: KazooClient, sid: int) -> None:
        if self.read_only:
            raise FaultNotSupported(
                "expire a session", self.kind,
                "it is read-only; RemoteEnsemble(..., read_only=False) may end its own sessions")
        super()._expire(client, sid)

