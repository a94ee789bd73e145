"""Jute: ZooKeeper 3.8's client wire protocol, in both directions, sans-IO.

Every record of the client protocol (``zookeeper.jute`` plus the hand-written
multi, ``DeleteContainerRequest`` and connect framing) is a frozen, slotted
dataclass with ``encode() -> bytes``, ``write(out: bytearray)`` and
``decode(buf, offset=0) -> (record, new_offset)``.  A server decodes requests and
encodes responses; a client (or a test) encodes requests and decodes responses.
No sockets, no clocks: :class:`FrameReader` turns received bytes into frame
payloads, :func:`frame`, :func:`encode_request` and :func:`encode_reply` build
frames to send.

Wire rules: big-endian ints (4 bytes) and longs (8); booleans are one byte
(any non-zero byte reads as true); ``ustring`` and ``buffer`` are an int length
and the bytes, length -1 meaning ``None``; a vector is an int count then the
elements, count -1 (Java's null list) decoding as an empty tuple.

What can fail, and what the caller should do
--------------------------------------------
* Decoding raises :class:`JuteError` (a ``ValueError``) and nothing else for
  truncated input, a negative length other than -1, a vector longer than the bytes
  left, an op type that a multi cannot hold, or an unknown opcode
  (:func:`decode_request`, :func:`decode_response`).  Invalid UTF-8 is *not* an
  error: like Java's ``new String(bytes, UTF_8)`` it decodes with U+FFFD, so a
  server can reject the path as ZooKeeper does (``BADARGUMENTS``).
* A server that fails to decode a request *body* (after its
  :class:`RequestHeader`) should answer ``ReplyHeader(xid, zxid,
  Err.MARSHALLINGERROR)`` and carry on, as ZooKeeper's request processors do.  A
  failure in framing, in the :class:`ConnectRequest` or in a :class:`RequestHeader`
  means the stream can no longer be trusted: close the connection (ZooKeeper logs
  "Len error" and closes).
* :meth:`FrameReader.feed` raises :class:`FrameError` for a negative length prefix
  or one above ``max_frame``; the complete frames that came before it are on the
  exception's ``frames``.  Close the connection after handling them.
* Encoding raises :class:`JuteError` only for a value that cannot be put on the
  wire (an int out of range, a field of the wrong type, an unknown multi result):
  a programming error on the caller's side.
"""

from __future__ import annotations

import struct
from enum import IntEnum, IntFlag
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, Union

from zkexplore.errors import ZkExploreError

if TYPE_CHECKING:
    from typing_extensions import Self, dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Any:
        """Typing only: tells type checkers that ``_record`` makes dataclass-like classes."""
        return lambda f: f


_R = TypeVar("_R", bound=type)

__all__ = [
    # errors
    "JuteError",
    "FrameError",
    # enums and constants
    "OpCode",
    "Err",
    "EventType",
    "KeeperState",
    "WatcherType",
    "AddWatchMode",
    "CreateMode",
    "Perms",
    "XID_NOTIFICATION",
    "XID_PING",
    "XID_AUTH",
    "XID_SET_WATCHES",
    "JUTE_MAX_BUFFER",
    "DEFAULT_MAX_FRAME",
    # value records
    "JuteRecord",
    "Id",
    "ACL",
    "Stat",
    "ClientInfo",
    "ANYONE_ID_UNSAFE",
    "AUTH_IDS",
    "OPEN_ACL_UNSAFE",
    "CREATOR_ALL_ACL",
    "READ_ACL_UNSAFE",
    # frame-level records
    "RequestHeader",
    "ReplyHeader",
    "ConnectRequest",
    "ConnectResponse",
    "WatcherEvent",
    "MultiHeader",
    "ErrorResponse",
    # requests
    "CreateRequest",
    "Create2Request",
    "CreateContainerRequest",
    "CreateTTLRequest",
    "DeleteRequest",
    "DeleteContainerRequest",
    "ExistsRequest",
    "GetDataRequest",
    "SetDataRequest",
    "GetACLRequest",
    "SetACLRequest",
    "GetChildrenRequest",
    "GetChildren2Request",
    "SyncRequest",
    "CheckVersionRequest",
    "MultiRequest",
    "MultiReadRequest",
    "AuthPacket",
    "SetWatches",
    "SetWatches2",
    "AddWatchRequest",
    "RemoveWatchesRequest",
    "CheckWatchesRequest",
    "GetEphemeralsRequest",
    "GetAllChildrenNumberRequest",
    "PingRequest",
    "CloseRequest",
    "WhoAmIRequest",
    "ReconfigRequest",
    "SaslRequest",
    # responses
    "CreateResponse",
    "Create2Response",
    "ExistsResponse",
    "GetDataResponse",
    "SetDataResponse",
    "GetACLResponse",
    "SetACLResponse",
    "GetChildrenResponse",
    "GetChildren2Response",
    "SyncResponse",
    "MultiResponse",
    "DeleteResult",
    "CheckResult",
    "ErrorResult",
    "GetEphemeralsResponse",
    "GetAllChildrenNumberResponse",
    "WhoAmIResponse",
    "SaslResponse",
    # dispatch and framing
    "REQUEST_TYPES",
    "RESPONSE_TYPES",
    "MULTI_OP_TYPES",
    "MULTI_READ_OP_TYPES",
    "MULTI_RESULT_TYPES",
    "decode_request",
    "decode_response",
    "encode_request",
    "encode_reply",
    "frame",
    "FrameReader",
]


# --------------------------------------------------------------------------- errors


class JuteError(ZkExploreError, ValueError):
    """Bytes that are not a valid jute encoding, or a record that cannot be encoded."""


class FrameError(JuteError):
    """A length prefix out of range.

    Attributes
    ----------
    frames : list[bytes]
        The complete payloads that preceded the bad prefix in the same ``feed``.
    """

    def __init__(self, message: str, frames: list[bytes] | None = None) -> None:
        super().__init__(message)
        self.frames: list[bytes] = frames if frames is not None else []


# --------------------------------------------------------------------------- enums


class OpCode(IntEnum):
    """Request types (``ZooDefs.OpCode``); ``RequestHeader.type`` holds one."""

    notification = 0
    create = 1
    delete = 2
    exists = 3
    getData = 4
    setData = 5
    getACL = 6
    setACL = 7
    getChildren = 8
    sync = 9
    ping = 11
    getChildren2 = 12
    check = 13
    multi = 14
    create2 = 15
    reconfig = 16
    checkWatches = 17
    removeWatches = 18
    createContainer = 19
    deleteContainer = 20
    createTTL = 21
    multiRead = 22
    auth = 100
    setWatches = 101
    sasl = 102
    getEphemerals = 103
    getAllChildrenNumber = 104
    setWatches2 = 105
    addWatch = 106
    whoAmI = 107
    createSession = -10
    closeSession = -11
    error = -1


class Err(IntEnum):
    """Error codes (``KeeperException.Code``); ``ReplyHeader.err`` holds one."""

    OK = 0
    SYSTEMERROR = -1
    RUNTIMEINCONSISTENCY = -2
    DATAINCONSISTENCY = -3
    CONNECTIONLOSS = -4
    MARSHALLINGERROR = -5
    UNIMPLEMENTED = -6
    OPERATIONTIMEOUT = -7
    BADARGUMENTS = -8
    UNKNOWNSESSION = -12
    NEWCONFIGNOQUORUM = -13
    RECONFIGINPROGRESS = -14
    APIERROR = -100
    NONODE = -101
    NOAUTH = -102
    BADVERSION = -103
    NOCHILDRENFOREPHEMERALS = -108
    NODEEXISTS = -110
    NOTEMPTY = -111
    SESSIONEXPIRED = -112
    INVALIDCALLBACK = -113
    INVALIDACL = -114
    AUTHFAILED = -115
    SESSIONMOVED = -118
    NOTREADONLY = -119
    EPHEMERALONLOCALSESSION = -120
    NOWATCHER = -121
    REQUESTTIMEOUT = -122
    RECONFIGDISABLED = -123
    SESSIONCLOSEDREQUIRESASLAUTH = -124
    QUOTAEXCEEDED = -125
    THROTTLEDOP = -127


class EventType(IntEnum):
    """``Watcher.Event.EventType``.  Java's ``None`` is spelled ``NONE`` here."""

    NONE = -1
    NodeCreated = 1
    NodeDeleted = 2
    NodeDataChanged = 3
    NodeChildrenChanged = 4
    DataWatchRemoved = 5
    ChildWatchRemoved = 6
    PersistentWatchRemoved = 7


class KeeperState(IntEnum):
    """``Watcher.Event.KeeperState`` (``Unknown`` and ``NoSyncConnected`` are deprecated)."""

    Unknown = -1
    Disconnected = 0
    NoSyncConnected = 1
    SyncConnected = 3
    AuthFailed = 4
    ConnectedReadOnly = 5
    SaslAuthenticated = 6
    Expired = -112
    Closed = 7


class WatcherType(IntEnum):
    """``Watcher.WatcherType``: the ``type`` of check/remove-watches requests."""

    Children = 1
    Data = 2
    Any = 3


class AddWatchMode(IntEnum):
    """``AddWatchMode``: the ``mode`` of :class:`AddWatchRequest`."""

    PERSISTENT = 0
    PERSISTENT_RECURSIVE = 1


class CreateMode(IntEnum):
    """``CreateMode`` flags, the ``flags`` of create requests."""

    PERSISTENT = 0
    EPHEMERAL = 1
    PERSISTENT_SEQUENTIAL = 2
    EPHEMERAL_SEQUENTIAL = 3
    CONTAINER = 4
    PERSISTENT_WITH_TTL = 5
    PERSISTENT_SEQUENTIAL_WITH_TTL = 6

    @property
    def is_ephemeral(self) -> bool:
        """True for the ephemeral modes."""
        return self.value in (1, 3)

    @property
    def is_sequential(self) -> bool:
        """True for the modes that append a sequence number to the path."""
        return self.value in (2, 3, 6)

    @property
    def is_container(self) -> bool:
        """True for ``CONTAINER``."""
        return self.value == 4

    @property
    def is_ttl(self) -> bool:
        """True for the modes that take a TTL (only valid in ``createTTL``)."""
        return self.value in (5, 6)

    @classmethod
    def from_flag(cls, flag: int) -> CreateMode | None:
        """The mode for ``flag``, or None where ZooKeeper answers ``BADARGUMENTS``."""
        try:
            return cls(flag)
        except ValueError:
            return None


class Perms(IntFlag):
    """ACL permission bits (``ZooDefs.Perms``)."""

    READ = 1
    WRITE = 2
    CREATE = 4
    DELETE = 8
    ADMIN = 16
    ALL = 31


#: ``ReplyHeader.xid`` of a watch notification (a :class:`WatcherEvent` follows).
XID_NOTIFICATION = -1
#: ``xid`` of pings, both ways.
XID_PING = -2
#: ``xid`` of :class:`AuthPacket` requests and their replies.
XID_AUTH = -4
#: ``xid`` of :class:`SetWatches` / :class:`SetWatches2` requests and their replies.
XID_SET_WATCHES = -8

#: ``jute.maxbuffer``'s default in ZooKeeper 3.8 (``BinaryInputArchive.maxBuffer``).
JUTE_MAX_BUFFER = 0xFFFFF
#: Largest frame payload a 3.8 server accepts: ``NIOServerCnxn.readLength`` and
#: ``NettyServerCnxn`` refuse ``len < 0 || len > jute.maxbuffer``; the 3.8 Java client
#: applies the same bound (``ZKClientConfig.CLIENT_MAX_PACKET_LENGTH_DEFAULT``).
DEFAULT_MAX_FRAME = JUTE_MAX_BUFFER


# --------------------------------------------------------------------------- primitives

Buffer = Union[bytes, bytearray, memoryview]

_INT = struct.Struct("!i")
_LONG = struct.Struct("!q")
_BOOL = struct.Struct("!?")
_II = struct.Struct("!ii")
_IQ = struct.Struct("!iq")
_IIQ = struct.Struct("!iiq")
_IQI = struct.Struct("!iqi")
_IQIQ = struct.Struct("!iqiq")
_MULTI_HDR = struct.Struct("!i?i")
_STAT = struct.Struct("!qqqqiiiqiiq")
_FRAME_REQ_HDR = struct.Struct("!iii")  # length, xid, type
_FRAME_REPLY_HDR = struct.Struct("!iiqi")  # length, xid, zxid, err

_NULL = _INT.pack(-1)
_TRUE = b"\x01"
_FALSE = b"\x00"
_MULTI_END = _MULTI_HDR.pack(-1, True, -1)


def _view(buf: Buffer) -> Buffer:
    """``buf`` as something whose ``len`` counts bytes."""
    if type(buf) is memoryview and (buf.format != "B" or buf.ndim != 1):
        return buf.cast("B")
    return buf


def _bad_length(what: str, n: int, off: int) -> JuteError:
    return JuteError(f"{what} length {n} at offset {off - 4} is not valid")


def _r_int(buf: Buffer, off: int) -> tuple[int, int]:
    return _INT.unpack_from(buf, off)[0], off + 4


def _r_long(buf: Buffer, off: int) -> tuple[int, int]:
    return _LONG.unpack_from(buf, off)[0], off + 8


def _r_bool(buf: Buffer, off: int) -> tuple[bool, int]:
    return _BOOL.unpack_from(buf, off)[0], off + 1


def _r_str(buf: Buffer, off: int) -> tuple[str | None, int]:
    n = _INT.unpack_from(buf, off)[0]
    off += 4
    if n < 0:
        if n == -1:
            return None, off
        raise _bad_length("ustring", n, off)
    end = off + n
    if end > len(buf):
        raise JuteError(f"ustring of {n} bytes at offset {off - 4} runs past the end")
    # Java decodes malformed UTF-8 with U+FFFD rather than failing; so do we.
    return str(buf[off:end], "utf-8", "replace"), end


def _r_buf(buf: Buffer, off: int) -> tuple[bytes | None, int]:
    n = _INT.unpack_from(buf, off)[0]
    off += 4
    if n < 0:
        if n == -1:
            return None, off
        raise _bad_length("buffer", n, off)
    end = off + n
    if end > len(buf):
        raise JuteError(f"buffer of {n} bytes at offset {off - 4} runs past the end")
    return bytes(buf[off:end]), end


def _r_count(buf: Buffer, off: int, min_size: int) -> tuple[int, int]:
    """A vector's element count; -1 (Java's null) reads as 0."""
    n = _INT.unpack_from(buf, off)[0]
    off += 4
    if n < 0:
        if n == -1:
            return 0, off
        raise _bad_length("vector", n, off)
    if n * min_size > len(buf) - off:
        raise JuteError(f"vector of {n} elements at offset {off - 4} runs past the end")
    return n, off


def _r_strvec(buf: Buffer, off: int) -> tuple[tuple[str, ...], int]:
    n, off = _r_count(buf, off, 4)
    items: list[Any] = []  # a null element stays None, as Java reads it
    append = items.append
    for _ in range(n):
        s, off = _r_str(buf, off)
        append(s)
    return tuple(items), off


def _r_aclvec(buf: Buffer, off: int) -> tuple[tuple[ACL, ...], int]:
    n, off = _r_count(buf, off, 12)
    items = []
    for _ in range(n):
        perms = _INT.unpack_from(buf, off)[0]
        scheme, off = _r_str(buf, off + 4)
        ident, off = _r_str(buf, off)
        items.append(ACL(perms, Id(scheme, ident)))  # type: ignore[arg-type]
    return tuple(items), off


def _r_stat(buf: Buffer, off: int) -> tuple[Stat, int]:
    return Stat(*_STAT.unpack_from(buf, off)), off + 68


def _w_str(out: bytearray, s: str | None) -> None:
    if s is None:
        out += _NULL
    else:
        # "replace" turns a lone surrogate into "?", as Java's getBytes(UTF_8) does.
        b = s.encode("utf-8", "replace")
        out += _INT.pack(len(b))
        out += b


def _w_buf(out: bytearray, b: bytes | None) -> None:
    if b is None:
        out += _NULL
    else:
        out += _INT.pack(len(b))
        out += b


def _w_strvec(out: bytearray, v: tuple[str, ...] | None) -> None:
    if v is None:
        out += _NULL
        return
    out += _INT.pack(len(v))
    for s in v:
        _w_str(out, s)


def _w_aclvec(out: bytearray, v: tuple[ACL, ...] | None) -> None:
    if v is None:
        out += _NULL
        return
    out += _INT.pack(len(v))
    for a in v:
        out += _INT.pack(a.perms)
        _w_str(out, a.id.scheme)
        _w_str(out, a.id.id)


def _w_stat(out: bytearray, s: Stat) -> None:
    out += _STAT.pack(
        s.czxid, s.mzxid, s.ctime, s.mtime, s.version, s.cversion,
        s.aversion, s.ephemeral_owner, s.data_length, s.num_children, s.pzxid,
    )  # fmt: skip


def _get_data_parts(r: GetDataResponse) -> tuple[bytes, ...]:
    """``r``'s wire form in pieces, so a frame can be joined with one copy of the data."""
    s = r.stat
    tail = _STAT.pack(
        s.czxid, s.mzxid, s.ctime, s.mtime, s.version, s.cversion,
        s.aversion, s.ephemeral_owner, s.data_length, s.num_children, s.pzxid,
    )  # fmt: skip
    data = r.data
    if data is None:
        return (_NULL, tail)
    return (_INT.pack(len(data)), data, tail)


def _tuple_fields(obj: object, *names: str) -> None:
    """Freeze list-valued vector fields into tuples (records stay hashable)."""
    for name in names:
        v = getattr(obj, name)
        if v is not None and type(v) is not tuple:
            object.__setattr__(obj, name, tuple(v))


# --------------------------------------------------------------------------- records


class FrozenRecordError(AttributeError):
    """A record's fields cannot be changed."""


def _rec_init(self: Any, *args: Any, **kw: Any) -> None:
    fields = self._fields
    if len(args) > len(fields):
        raise TypeError(f"{type(self).__name__} takes {len(fields)} fields, not {len(args)}")
    setattr_ = object.__setattr__
    for name, value in zip(fields, args):
        setattr_(self, name, value)
    if len(args) < len(fields) or kw:
        defaults = self._defaults
        for name in fields[len(args):]:
            if name in kw:
                value = kw.pop(name)
            elif name in defaults:
                value = defaults[name]
            else:
                raise TypeError(f"{type(self).__name__}() is missing the field {name!r}")
            setattr_(self, name, value)
        if kw:
            raise TypeError(f"{type(self).__name__}() has no field(s) {sorted(kw)}")
    post = getattr(self, "__post_init__", None)
    if post is not None:
        post()


def _rec_values(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in self._fields)


def _rec_eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _rec_values(self) == _rec_values(other)


def _rec_hash(self: Any) -> int:
    return hash(_rec_values(self))


def _rec_repr(self: Any) -> str:
    inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields)
    return f"{type(self).__name__}({inner})"


def _rec_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r} of a {type(self).__name__}")


def _rec_delattr(self: Any, name: str) -> None:
    raise FrozenRecordError(f"cannot delete field {name!r} of a {type(self).__name__}")


@dataclass_transform(frozen_default=True)
def _record(cls: _R) -> _R:
    """Make ``cls`` a frozen, slotted record of its annotated fields, in order.

    It behaves like ``@dataclass(frozen=True, slots=True)`` (init with defaults
    and ``__post_init__``, eq, hash, repr, ``__match_args__``) but builds no code
    at import time, which keeps the simulated server's start fast.
    """
    ann = cls.__dict__.get("__annotations__", {})
    names = tuple(k for k, v in ann.items() if not str(v).startswith(("ClassVar", "typing.ClassVar")))
    ns = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__") and k not in names}
    ns.update(
        __slots__=names,
        _fields=names,
        _defaults={k: cls.__dict__[k] for k in names if k in cls.__dict__},
        __match_args__=names,
        __init__=_rec_init,
        __eq__=_rec_eq,
        __hash__=_rec_hash,
        __repr__=_rec_repr,
        __setattr__=_rec_setattr,
        __delattr__=_rec_delattr,
    )
    return type(cls)(cls.__name__, cls.__bases__, ns)


# --------------------------------------------------------------------------- base


class JuteRecord:
    """Base of every record: ``write``/``encode`` and ``decode``.

    Subclasses implement ``write(out)`` and the unchecked ``_read(buf, off)``.
    """

    __slots__ = ()
    #: the field names, in order (set by ``_record``)
    _fields: ClassVar[tuple[str, ...]] = ()

    def write(self, out: bytearray) -> None:
        """Append this record's wire form to ``out``."""
        raise NotImplementedError

    def encode(self) -> bytes:
        """This record's wire form.

        Raises
        ------
        JuteError
            If a field cannot be put on the wire.
        """
        out = bytearray()
        try:
            self.write(out)
        except (struct.error, TypeError, AttributeError, KeyError) as exc:
            raise JuteError(f"cannot encode {self!r}: {exc}") from exc
        return bytes(out)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[Self, int]:
        raise NotImplementedError

    @classmethod
    def decode(cls, buf: Buffer, offset: int = 0) -> tuple[Self, int]:
        """Read one record at ``offset``.

        Returns
        -------
        (record, new_offset)

        Raises
        ------
        JuteError
            If the bytes are truncated or malformed.
        """
        buf = _view(buf)
        if offset < 0 or offset > len(buf):
            raise JuteError(f"offset {offset} outside a buffer of {len(buf)} bytes")
        try:
            return cls._read(buf, offset)
        except (struct.error, IndexError) as exc:
            raise JuteError(f"truncated {cls.__name__} (from offset {offset}): {exc}") from None


# --------------------------------------------------------------------------- values


@_record
class Id(JuteRecord):
    """An identity: ``scheme`` (world, digest, ip, auth, sasl, ...) and ``id``."""

    scheme: str
    id: str

    def write(self, out: bytearray) -> None:
        _w_str(out, self.scheme)
        _w_str(out, self.id)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[Id, int]:
        scheme, off = _r_str(buf, off)
        ident, off = _r_str(buf, off)
        return cls(scheme, ident), off  # type: ignore[arg-type]


@_record
class ACL(JuteRecord):
    """One ACL entry: ``perms`` (:class:`Perms` bits) granted to ``id``."""

    perms: int
    id: Id

    def write(self, out: bytearray) -> None:
        out += _INT.pack(self.perms)
        _w_str(out, self.id.scheme)
        _w_str(out, self.id.id)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[ACL, int]:
        perms = _INT.unpack_from(buf, off)[0]
        scheme, off = _r_str(buf, off + 4)
        ident, off = _r_str(buf, off)
        return cls(perms, Id(scheme, ident)), off  # type: ignore[arg-type]


@_record
class Stat(JuteRecord):
    """A znode's stat, in ``zookeeper.jute`` wire order (68 bytes)."""

    czxid: int
    mzxid: int
    ctime: int
    mtime: int
    version: int
    cversion: int
    aversion: int
    ephemeral_owner: int
    data_length: int
    num_children: int
    pzxid: int

    def write(self, out: bytearray) -> None:
        _w_stat(out, self)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[Stat, int]:
        return cls(*_STAT.unpack_from(buf, off)), off + 68


@_record
class ClientInfo(JuteRecord):
    """One authenticated identity of a session, as ``whoAmI`` reports it."""

    auth_scheme: str
    user: str

    def write(self, out: bytearray) -> None:
        _w_str(out, self.auth_scheme)
        _w_str(out, self.user)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[ClientInfo, int]:
        scheme, off = _r_str(buf, off)
        user, off = _r_str(buf, off)
        return cls(scheme, user), off  # type: ignore[arg-type]


ANYONE_ID_UNSAFE = Id("world", "anyone")
AUTH_IDS = Id("auth", "")
OPEN_ACL_UNSAFE: tuple[ACL, ...] = (ACL(Perms.ALL, ANYONE_ID_UNSAFE),)
CREATOR_ALL_ACL: tuple[ACL, ...] = (ACL(Perms.ALL, AUTH_IDS),)
READ_ACL_UNSAFE: tuple[ACL, ...] = (ACL(Perms.READ, ANYONE_ID_UNSAFE),)


# --------------------------------------------------------------------------- frame level


@_record
class RequestHeader(JuteRecord):
    """Starts every request frame after the connect: ``xid`` and :class:`OpCode` ``type``."""

    xid: int
    type: int

    def write(self, out: bytearray) -> None:
        out += _II.pack(self.xid, self.type)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[RequestHeader, int]:
        xid, type_ = _II.unpack_from(buf, off)
        return cls(xid, type_), off + 8


@_record
class ReplyHeader(JuteRecord):
    """Starts every reply frame after the connect response.

    A body follows only when ``err`` is 0 (and the op has one); ``xid`` -1 is a
    notification followed by a :class:`WatcherEvent`.
    """

    xid: int
    zxid: int
    err: int

    def write(self, out: bytearray) -> None:
        out += _IQI.pack(self.xid, self.zxid, self.err)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[ReplyHeader, int]:
        xid, zxid, err = _IQI.unpack_from(buf, off)
        return cls(xid, zxid, err), off + 16


@_record
class ConnectRequest(JuteRecord):
    """The first frame a client sends.

    ``read_only`` is the trailing boolean that clients since 3.4 append; None means
    it was absent (an old client, which ZooKeeper answers without the trailing
    boolean of :class:`ConnectResponse`), and ``encode`` then leaves it out.
    """

    protocol_version: int
    last_zxid_seen: int
    timeout: int
    session_id: int
    passwd: bytes | None
    read_only: bool | None = False

    def write(self, out: bytearray) -> None:
        out += _IQIQ.pack(self.protocol_version, self.last_zxid_seen, self.timeout, self.session_id)
        _w_buf(out, self.passwd)
        if self.read_only is not None:
            out += _TRUE if self.read_only else _FALSE

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[ConnectRequest, int]:
        pv, zxid, timeout, sid = _IQIQ.unpack_from(buf, off)
        passwd, off = _r_buf(buf, off + 24)
        ro: bool | None = None
        if off < len(buf):
            ro, off = _r_bool(buf, off)
        return cls(pv, zxid, timeout, sid, passwd, ro), off


@_record
class ConnectResponse(JuteRecord):
    """The server's answer to :class:`ConnectRequest`.

    ``timeout`` 0 tells the client its session expired.  ``read_only`` None omits
    the trailing boolean (what ZooKeeper sends to a client whose request lacked it).
    """

    protocol_version: int
    timeout: int
    session_id: int
    passwd: bytes | None
    read_only: bool | None = False

    def write(self, out: bytearray) -> None:
        out += _IIQ.pack(self.protocol_version, self.timeout, self.session_id)
        _w_buf(out, self.passwd)
        if self.read_only is not None:
            out += _TRUE if self.read_only else _FALSE

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[ConnectResponse, int]:
        pv, timeout, sid = _IIQ.unpack_from(buf, off)
        passwd, off = _r_buf(buf, off + 16)
        ro: bool | None = None
        if off < len(buf):
            ro, off = _r_bool(buf, off)
        return cls(pv, timeout, sid, passwd, ro), off


@_record
class WatcherEvent(JuteRecord):
    """A watch notification: :class:`EventType` ``type``, :class:`KeeperState` ``state``."""

    type: int
    state: int
    path: str | None

    def write(self, out: bytearray) -> None:
        out += _II.pack(self.type, self.state)
        _w_str(out, self.path)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[WatcherEvent, int]:
        type_, state = _II.unpack_from(buf, off)
        path, off = _r_str(buf, off + 8)
        return cls(type_, state, path), off


@_record
class MultiHeader(JuteRecord):
    """Precedes each op/result of a multi; ``done`` marks the end (-1, True, -1)."""

    type: int
    done: bool
    err: int

    def write(self, out: bytearray) -> None:
        out += _MULTI_HDR.pack(self.type, self.done, self.err)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[MultiHeader, int]:
        type_, done, err = _MULTI_HDR.unpack_from(buf, off)
        return cls(type_, done, err), off + 9


@_record
class ErrorResponse(JuteRecord):
    """``ErrorResponse {int err}`` (the body of a failed op inside a multi)."""

    err: int

    def write(self, out: bytearray) -> None:
        out += _INT.pack(self.err)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[ErrorResponse, int]:
        return cls(_INT.unpack_from(buf, off)[0]), off + 4


# --------------------------------------------------------------------------- shared bodies


class _PathBody(JuteRecord):
    """``{ustring path}``."""

    __slots__ = ()
    path: str

    def write(self, out: bytearray) -> None:
        _w_str(out, self.path)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[Self, int]:
        path, off = _r_str(buf, off)
        return cls(path), off  # type: ignore[call-arg]


class _PathWatchBody(JuteRecord):
    """``{ustring path; boolean watch}``."""

    __slots__ = ()
    path: str
    watch: bool

    def write(self, out: bytearray) -> None:
        _w_str(out, self.path)
        out += _TRUE if self.watch else _FALSE

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[Self, int]:
        path, off = _r_str(buf, off)
        return cls(path, _BOOL.unpack_from(buf, off)[0]), off + 1  # type: ignore[call-arg]


class _PathIntBody(JuteRecord):
    """``{ustring path; int <field>}`` where the int field is the second field."""

    __slots__ = ()
    path: str

    def _int(self) -> int:
        raise NotImplementedError

    def write(self, out: bytearray) -> None:
        _w_str(out, self.path)
        out += _INT.pack(self._int())

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[Self, int]:
        path, off = _r_str(buf, off)
        return cls(path, _INT.unpack_from(buf, off)[0]), off + 4  # type: ignore[call-arg]


class _CreateBody(JuteRecord):
    """``{ustring path; buffer data; vector<ACL> acl; int flags}``."""

    __slots__ = ()
    path: str
    data: bytes | None
    acl: tuple[ACL, ...]
    flags: int

    def write(self, out: bytearray) -> None:
        _w_str(out, self.path)
        _w_buf(out, self.data)
        _w_aclvec(out, self.acl)
        out += _INT.pack(self.flags)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[Self, int]:
        path, off = _r_str(buf, off)
        data, off = _r_buf(buf, off)
        acl, off = _r_aclvec(buf, off)
        return cls(path, data, acl, _INT.unpack_from(buf, off)[0]), off + 4  # type: ignore[call-arg]


class _StatBody(JuteRecord):
    """``{Stat stat}``."""

    __slots__ = ()
    stat: Stat

    def write(self, out: bytearray) -> None:
        _w_stat(out, self.stat)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[Self, int]:
        return cls(Stat(*_STAT.unpack_from(buf, off))), off + 68  # type: ignore[call-arg]


class _StringsBody(JuteRecord):
    """``{vector<ustring> <field>}`` (the only field)."""

    __slots__ = ()

    def __post_init__(self) -> None:
        _tuple_fields(self, self._fields[0])

    def write(self, out: bytearray) -> None:
        _w_strvec(out, getattr(self, self._fields[0]))

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[Self, int]:
        items, off = _r_strvec(buf, off)
        return cls(items), off  # type: ignore[call-arg]


class _Empty(JuteRecord):
    """A record with no bytes."""

    __slots__ = ()

    def write(self, out: bytearray) -> None:
        pass

    def encode(self) -> bytes:
        return b""

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[Self, int]:
        return cls(), off


# --------------------------------------------------------------------------- requests


@_record
class CreateRequest(_CreateBody):
    """``create`` (1): reply :class:`CreateResponse`.  ``flags`` is a :class:`CreateMode`."""

    OPCODE: ClassVar[int] = OpCode.create
    path: str
    data: bytes | None
    acl: tuple[ACL, ...]
    flags: int = 0

    def __post_init__(self) -> None:
        _tuple_fields(self, "acl")


@_record
class Create2Request(_CreateBody):
    """``create2`` (15): like ``create``, reply :class:`Create2Response` (path and stat)."""

    OPCODE: ClassVar[int] = OpCode.create2
    path: str
    data: bytes | None
    acl: tuple[ACL, ...]
    flags: int = 0

    def __post_init__(self) -> None:
        _tuple_fields(self, "acl")


@_record
class CreateContainerRequest(_CreateBody):
    """``createContainer`` (19): flags must be ``CONTAINER``; reply :class:`Create2Response`."""

    OPCODE: ClassVar[int] = OpCode.createContainer
    path: str
    data: bytes | None
    acl: tuple[ACL, ...]
    flags: int = CreateMode.CONTAINER

    def __post_init__(self) -> None:
        _tuple_fields(self, "acl")


@_record
class CreateTTLRequest(JuteRecord):
    """``createTTL`` (21): a create with a ``ttl`` in ms; reply :class:`Create2Response`."""

    OPCODE: ClassVar[int] = OpCode.createTTL
    path: str
    data: bytes | None
    acl: tuple[ACL, ...]
    flags: int
    ttl: int

    def __post_init__(self) -> None:
        _tuple_fields(self, "acl")

    def write(self, out: bytearray) -> None:
        _w_str(out, self.path)
        _w_buf(out, self.data)
        _w_aclvec(out, self.acl)
        out += _IQ.pack(self.flags, self.ttl)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[CreateTTLRequest, int]:
        path, off = _r_str(buf, off)
        data, off = _r_buf(buf, off)
        acl, off = _r_aclvec(buf, off)
        flags, ttl = _IQ.unpack_from(buf, off)
        return cls(path, data, acl, flags, ttl), off + 12  # type: ignore[arg-type]


@_record
class DeleteRequest(_PathIntBody):
    """``delete`` (2); ``version`` -1 matches any.  No reply body."""

    OPCODE: ClassVar[int] = OpCode.delete
    path: str
    version: int = -1

    def _int(self) -> int:
        return self.version


@_record
class DeleteContainerRequest(_PathBody):
    """``deleteContainer`` (20), sent by servers to themselves; path written as a buffer
    (same bytes as a ustring)."""

    OPCODE: ClassVar[int] = OpCode.deleteContainer
    path: str


@_record
class ExistsRequest(_PathWatchBody):
    """``exists`` (3): reply :class:`ExistsResponse`."""

    OPCODE: ClassVar[int] = OpCode.exists
    path: str
    watch: bool = False


@_record
class GetDataRequest(_PathWatchBody):
    """``getData`` (4): reply :class:`GetDataResponse`."""

    OPCODE: ClassVar[int] = OpCode.getData
    path: str
    watch: bool = False


@_record
class SetDataRequest(JuteRecord):
    """``setData`` (5): reply :class:`SetDataResponse`."""

    OPCODE: ClassVar[int] = OpCode.setData
    path: str
    data: bytes | None
    version: int = -1

    def write(self, out: bytearray) -> None:
        _w_str(out, self.path)
        _w_buf(out, self.data)
        out += _INT.pack(self.version)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[SetDataRequest, int]:
        path, off = _r_str(buf, off)
        data, off = _r_buf(buf, off)
        return cls(path, data, _INT.unpack_from(buf, off)[0]), off + 4  # type: ignore[arg-type]


@_record
class GetACLRequest(_PathBody):
    """``getACL`` (6): reply :class:`GetACLResponse`."""

    OPCODE: ClassVar[int] = OpCode.getACL
    path: str


@_record
class SetACLRequest(JuteRecord):
    """``setACL`` (7); ``version`` is the ACL version (aversion).  Reply :class:`SetACLResponse`."""

    OPCODE: ClassVar[int] = OpCode.setACL
    path: str
    acl: tuple[ACL, ...]
    version: int = -1

    def __post_init__(self) -> None:
        _tuple_fields(self, "acl")

    def write(self, out: bytearray) -> None:
        _w_str(out, self.path)
        _w_aclvec(out, self.acl)
        out += _INT.pack(self.version)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[SetACLRequest, int]:
        path, off = _r_str(buf, off)
        acl, off = _r_aclvec(buf, off)
        return cls(path, acl, _INT.unpack_from(buf, off)[0]), off + 4  # type: ignore[arg-type]


@_record
class GetChildrenRequest(_PathWatchBody):
    """``getChildren`` (8): reply :class:`GetChildrenResponse`."""

    OPCODE: ClassVar[int] = OpCode.getChildren
    path: str
    watch: bool = False


@_record
class GetChildren2Request(_PathWatchBody):
    """``getChildren2`` (12): reply :class:`GetChildren2Response` (children and stat)."""

    OPCODE: ClassVar[int] = OpCode.getChildren2
    path: str
    watch: bool = False


@_record
class SyncRequest(_PathBody):
    """``sync`` (9): reply :class:`SyncResponse`."""

    OPCODE: ClassVar[int] = OpCode.sync
    path: str


@_record
class CheckVersionRequest(_PathIntBody):
    """``check`` (13), meaningful inside a multi; no result body."""

    OPCODE: ClassVar[int] = OpCode.check
    path: str
    version: int = -1

    def _int(self) -> int:
        return self.version


@_record
class AuthPacket(JuteRecord):
    """``auth`` (100, xid -4): ``addAuthInfo(scheme, auth)``; ``type`` is always 0."""

    OPCODE: ClassVar[int] = OpCode.auth
    type: int
    scheme: str
    auth: bytes | None

    def write(self, out: bytearray) -> None:
        out += _INT.pack(self.type)
        _w_str(out, self.scheme)
        _w_buf(out, self.auth)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[AuthPacket, int]:
        type_ = _INT.unpack_from(buf, off)[0]
        scheme, off = _r_str(buf, off + 4)
        auth, off = _r_buf(buf, off)
        return cls(type_, scheme, auth), off  # type: ignore[arg-type]


@_record
class SetWatches(JuteRecord):
    """``setWatches`` (101, xid -8): re-arm watches after a reconnect.  No reply body."""

    OPCODE: ClassVar[int] = OpCode.setWatches
    relative_zxid: int
    data_watches: tuple[str, ...] = ()
    exist_watches: tuple[str, ...] = ()
    child_watches: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _tuple_fields(self, "data_watches", "exist_watches", "child_watches")

    def write(self, out: bytearray) -> None:
        out += _LONG.pack(self.relative_zxid)
        _w_strvec(out, self.data_watches)
        _w_strvec(out, self.exist_watches)
        _w_strvec(out, self.child_watches)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[SetWatches, int]:
        zxid = _LONG.unpack_from(buf, off)[0]
        data, off = _r_strvec(buf, off + 8)
        exist, off = _r_strvec(buf, off)
        child, off = _r_strvec(buf, off)
        return cls(zxid, data, exist, child), off


@_record
class SetWatches2(JuteRecord):
    """``setWatches2`` (105, xid -8): :class:`SetWatches` plus persistent watches."""

    OPCODE: ClassVar[int] = OpCode.setWatches2
    relative_zxid: int
    data_watches: tuple[str, ...] = ()
    exist_watches: tuple[str, ...] = ()
    child_watches: tuple[str, ...] = ()
    persistent_watches: tuple[str, ...] = ()
    persistent_recursive_watches: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _tuple_fields(
            self, "data_watches", "exist_watches", "child_watches",
            "persistent_watches", "persistent_recursive_watches",
        )  # fmt: skip

    def write(self, out: bytearray) -> None:
        out += _LONG.pack(self.relative_zxid)
        _w_strvec(out, self.data_watches)
        _w_strvec(out, self.exist_watches)
        _w_strvec(out, self.child_watches)
        _w_strvec(out, self.persistent_watches)
        _w_strvec(out, self.persistent_recursive_watches)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[SetWatches2, int]:
        zxid = _LONG.unpack_from(buf, off)[0]
        data, off = _r_strvec(buf, off + 8)
        exist, off = _r_strvec(buf, off)
        child, off = _r_strvec(buf, off)
        pers, off = _r_strvec(buf, off)
        rec, off = _r_strvec(buf, off)
        return cls(zxid, data, exist, child, pers, rec), off


@_record
class AddWatchRequest(_PathIntBody):
    """``addWatch`` (106): ``mode`` is an :class:`AddWatchMode`.  No reply body."""

    OPCODE: ClassVar[int] = OpCode.addWatch
    path: str
    mode: int = AddWatchMode.PERSISTENT

    def _int(self) -> int:
        return self.mode


@_record
class RemoveWatchesRequest(_PathIntBody):
    """``removeWatches`` (18): ``type`` is a :class:`WatcherType`.  No reply body."""

    OPCODE: ClassVar[int] = OpCode.removeWatches
    path: str
    type: int = WatcherType.Any

    def _int(self) -> int:
        return self.type


@_record
class CheckWatchesRequest(_PathIntBody):
    """``checkWatches`` (17): ``type`` is a :class:`WatcherType`.  No reply body."""

    OPCODE: ClassVar[int] = OpCode.checkWatches
    path: str
    type: int = WatcherType.Any

    def _int(self) -> int:
        return self.type


@_record
class GetEphemeralsRequest(JuteRecord):
    """``getEphemerals`` (103): reply :class:`GetEphemeralsResponse`."""

    OPCODE: ClassVar[int] = OpCode.getEphemerals
    prefix_path: str

    def write(self, out: bytearray) -> None:
        _w_str(out, self.prefix_path)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[GetEphemeralsRequest, int]:
        prefix, off = _r_str(buf, off)
        return cls(prefix), off  # type: ignore[arg-type]


@_record
class GetAllChildrenNumberRequest(_PathBody):
    """``getAllChildrenNumber`` (104): reply :class:`GetAllChildrenNumberResponse`."""

    OPCODE: ClassVar[int] = OpCode.getAllChildrenNumber
    path: str


@_record
class PingRequest(_Empty):
    """``ping`` (11, xid -2): header only; the reply is a bare :class:`ReplyHeader`."""

    OPCODE: ClassVar[int] = OpCode.ping


@_record
class CloseRequest(_Empty):
    """``closeSession`` (-11): header only; the reply is a bare :class:`ReplyHeader`."""

    OPCODE: ClassVar[int] = OpCode.closeSession


@_record
class WhoAmIRequest(_Empty):
    """``whoAmI`` (107): header only; reply :class:`WhoAmIResponse`."""

    OPCODE: ClassVar[int] = OpCode.whoAmI


@_record
class ReconfigRequest(JuteRecord):
    """``reconfig`` (16): reply is a :class:`GetDataResponse` holding the new config."""

    OPCODE: ClassVar[int] = OpCode.reconfig
    joining_servers: str | None
    leaving_servers: str | None
    new_members: str | None
    cur_config_id: int = -1

    def write(self, out: bytearray) -> None:
        _w_str(out, self.joining_servers)
        _w_str(out, self.leaving_servers)
        _w_str(out, self.new_members)
        out += _LONG.pack(self.cur_config_id)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[ReconfigRequest, int]:
        joining, off = _r_str(buf, off)
        leaving, off = _r_str(buf, off)
        members, off = _r_str(buf, off)
        return cls(joining, leaving, members, _LONG.unpack_from(buf, off)[0]), off + 8


@_record
class SaslRequest(JuteRecord):
    """``sasl`` (102): ``GetSASLRequest {buffer token}``; reply :class:`SaslResponse`."""

    OPCODE: ClassVar[int] = OpCode.sasl
    token: bytes | None

    def write(self, out: bytearray) -> None:
        _w_buf(out, self.token)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[SaslRequest, int]:
        token, off = _r_buf(buf, off)
        return cls(token), off


# --------------------------------------------------------------------------- responses


@_record
class CreateResponse(_PathBody):
    """Reply to ``create``: the created path (with its sequence suffix)."""

    path: str


@_record
class Create2Response(JuteRecord):
    """Reply to ``create2``, ``createContainer`` and ``createTTL``: path and stat."""

    path: str
    stat: Stat

    def write(self, out: bytearray) -> None:
        _w_str(out, self.path)
        _w_stat(out, self.stat)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[Create2Response, int]:
        path, off = _r_str(buf, off)
        return cls(path, Stat(*_STAT.unpack_from(buf, off))), off + 68  # type: ignore[arg-type]


@_record
class ExistsResponse(_StatBody):
    """Reply to ``exists`` when the node exists (else a bare ``NONODE`` header)."""

    stat: Stat


@_record
class SetDataResponse(_StatBody):
    """Reply to ``setData``: the node's new stat."""

    stat: Stat


@_record
class SetACLResponse(_StatBody):
    """Reply to ``setACL``: the node's new stat."""

    stat: Stat


@_record
class GetDataResponse(JuteRecord):
    """Reply to ``getData`` (and to ``reconfig``): data and stat."""

    data: bytes | None
    stat: Stat

    def write(self, out: bytearray) -> None:
        _w_buf(out, self.data)
        _w_stat(out, self.stat)

    def encode(self) -> bytes:
        try:
            return b"".join(_get_data_parts(self))
        except (struct.error, TypeError, AttributeError) as exc:
            raise JuteError(f"cannot encode {self!r}: {exc}") from exc

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[GetDataResponse, int]:
        data, off = _r_buf(buf, off)
        return cls(data, Stat(*_STAT.unpack_from(buf, off))), off + 68


@_record
class GetACLResponse(JuteRecord):
    """Reply to ``getACL``: the ACL and the node's stat."""

    acl: tuple[ACL, ...]
    stat: Stat

    def __post_init__(self) -> None:
        _tuple_fields(self, "acl")

    def write(self, out: bytearray) -> None:
        _w_aclvec(out, self.acl)
        _w_stat(out, self.stat)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[GetACLResponse, int]:
        acl, off = _r_aclvec(buf, off)
        return cls(acl, Stat(*_STAT.unpack_from(buf, off))), off + 68


@_record
class GetChildrenResponse(_StringsBody):
    """Reply to ``getChildren``: child names (not paths)."""

    children: tuple[str, ...]


@_record
class GetChildren2Response(JuteRecord):
    """Reply to ``getChildren2``: child names and the parent's stat."""

    children: tuple[str, ...]
    stat: Stat

    def __post_init__(self) -> None:
        _tuple_fields(self, "children")

    def write(self, out: bytearray) -> None:
        _w_strvec(out, self.children)
        _w_stat(out, self.stat)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[GetChildren2Response, int]:
        children, off = _r_strvec(buf, off)
        return cls(children, Stat(*_STAT.unpack_from(buf, off))), off + 68


@_record
class SyncResponse(_PathBody):
    """Reply to ``sync``: the path."""

    path: str


@_record
class GetEphemeralsResponse(_StringsBody):
    """Reply to ``getEphemerals``: the session's ephemeral paths under the prefix."""

    ephemerals: tuple[str, ...]


@_record
class GetAllChildrenNumberResponse(JuteRecord):
    """Reply to ``getAllChildrenNumber``: the number of descendants."""

    total_number: int

    def write(self, out: bytearray) -> None:
        out += _INT.pack(self.total_number)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[GetAllChildrenNumberResponse, int]:
        return cls(_INT.unpack_from(buf, off)[0]), off + 4


@_record
class WhoAmIResponse(JuteRecord):
    """Reply to ``whoAmI``: the session's identities."""

    client_info: tuple[ClientInfo, ...]

    def __post_init__(self) -> None:
        _tuple_fields(self, "client_info")

    def write(self, out: bytearray) -> None:
        v = self.client_info
        if v is None:
            out += _NULL
            return
        out += _INT.pack(len(v))
        for ci in v:
            _w_str(out, ci.auth_scheme)
            _w_str(out, ci.user)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[WhoAmIResponse, int]:
        n, off = _r_count(buf, off, 8)
        items = []
        for _ in range(n):
            ci, off = ClientInfo._read(buf, off)
            items.append(ci)
        return cls(tuple(items)), off


@_record
class SaslResponse(JuteRecord):
    """Reply to ``sasl``: ``SetSASLResponse {buffer token}``."""

    token: bytes | None

    def write(self, out: bytearray) -> None:
        _w_buf(out, self.token)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[SaslResponse, int]:
        token, off = _r_buf(buf, off)
        return cls(token), off


# --------------------------------------------------------------------------- multi


@_record
class DeleteResult(_Empty):
    """A successful delete inside a multi: a header with no body."""


@_record
class CheckResult(_Empty):
    """A successful version check inside a multi: a header with no body."""


@_record
class ErrorResult(JuteRecord):
    """A failed (or rolled back: ``err`` 0 / ``RUNTIMEINCONSISTENCY``) op inside a multi."""

    err: int

    def write(self, out: bytearray) -> None:
        out += _INT.pack(self.err)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[ErrorResult, int]:
        return cls(_INT.unpack_from(buf, off)[0]), off + 4


MultiOp = Union[
    CreateRequest, Create2Request, CreateContainerRequest, CreateTTLRequest,
    DeleteRequest, SetDataRequest, CheckVersionRequest,
]  # fmt: skip
MultiReadOp = Union[GetChildrenRequest, GetDataRequest]
MultiResult = Union[
    CreateResponse, Create2Response, DeleteResult, SetDataResponse, CheckResult,
    GetChildrenResponse, GetDataResponse, ErrorResult,
]  # fmt: skip

#: Ops a ``multi`` (14) may hold, by the type in their :class:`MultiHeader`.
MULTI_OP_TYPES: dict[int, type[JuteRecord]] = {
    c.OPCODE: c
    for c in (
        CreateRequest, Create2Request, CreateContainerRequest, CreateTTLRequest,
        DeleteRequest, SetDataRequest, CheckVersionRequest,
    )  # fmt: skip
}
#: Ops a ``multiRead`` (22) may hold.
MULTI_READ_OP_TYPES: dict[int, type[JuteRecord]] = {
    OpCode.getChildren: GetChildrenRequest,
    OpCode.getData: GetDataRequest,
}
#: Result records of a :class:`MultiResponse`, by header type (``MultiResponse.java``).
#: A ``createContainer``/``createTTL`` op is answered with a ``create2`` result.
MULTI_RESULT_TYPES: dict[int, type[JuteRecord]] = {
    OpCode.create: CreateResponse,
    OpCode.create2: Create2Response,
    OpCode.delete: DeleteResult,
    OpCode.setData: SetDataResponse,
    OpCode.check: CheckResult,
    OpCode.getChildren: GetChildrenResponse,
    OpCode.getData: GetDataResponse,
    OpCode.error: ErrorResult,
}
_RESULT_TYPE_OF: dict[type, int] = {c: t for t, c in MULTI_RESULT_TYPES.items()}


def _write_ops(out: bytearray, ops: tuple[JuteRecord, ...]) -> None:
    pack = _MULTI_HDR.pack
    for op in ops:
        out += pack(op.OPCODE, False, -1)  # type: ignore[attr-defined]
        op.write(out)
    out += _MULTI_END


def _read_ops(
    buf: Buffer, off: int, allowed: dict[int, type[JuteRecord]], what: str
) -> tuple[tuple, int]:
    ops: list[JuteRecord] = []
    unpack = _MULTI_HDR.unpack_from
    while True:
        type_, done, _err = unpack(buf, off)
        off += 9
        if done:
            return tuple(ops), off
        op_cls = allowed.get(type_)
        if op_cls is None:
            raise JuteError(f"op type {type_} cannot appear in a {what} (offset {off - 9})")
        op, off = op_cls._read(buf, off)
        ops.append(op)


@_record
class MultiRequest(JuteRecord):
    """``multi`` (14): a transaction of create*/delete/setData/check ops."""

    OPCODE: ClassVar[int] = OpCode.multi
    ops: tuple[MultiOp, ...]

    def __post_init__(self) -> None:
        _tuple_fields(self, "ops")

    def write(self, out: bytearray) -> None:
        _write_ops(out, self.ops)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[MultiRequest, int]:
        ops, off = _read_ops(buf, off, MULTI_OP_TYPES, "multi")
        return cls(ops), off


@_record
class MultiReadRequest(JuteRecord):
    """``multiRead`` (22): :class:`GetChildrenRequest` / :class:`GetDataRequest` ops."""

    OPCODE: ClassVar[int] = OpCode.multiRead
    ops: tuple[MultiReadOp, ...]

    def __post_init__(self) -> None:
        _tuple_fields(self, "ops")

    def write(self, out: bytearray) -> None:
        _write_ops(out, self.ops)

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[MultiReadRequest, int]:
        ops, off = _read_ops(buf, off, MULTI_READ_OP_TYPES, "multiRead")
        return cls(ops), off


@_record
class MultiResponse(JuteRecord):
    """Reply to ``multi``/``multiRead``: one result per op, in order.

    ZooKeeper sends a failed multi with header ``err`` 0 and an :class:`ErrorResult`
    for every op (0 for those before the failure, the failing code, then
    ``RUNTIMEINCONSISTENCY``).  An :class:`ErrorResult` puts its code both in its
    :class:`MultiHeader` and in its body; decoding reads the body, as Java does.
    """

    results: tuple[MultiResult, ...]

    def __post_init__(self) -> None:
        _tuple_fields(self, "results")

    def write(self, out: bytearray) -> None:
        pack = _MULTI_HDR.pack
        for r in self.results:
            t = _RESULT_TYPE_OF.get(type(r))
            if t is None:
                raise TypeError(f"{type(r).__name__} cannot be a multi result")
            out += pack(t, False, r.err if t == -1 else 0)  # type: ignore[union-attr]
            r.write(out)
        out += _MULTI_END

    @classmethod
    def _read(cls, buf: Buffer, off: int) -> tuple[MultiResponse, int]:
        results, off = _read_ops(buf, off, MULTI_RESULT_TYPES, "multi response")
        return cls(results), off


# --------------------------------------------------------------------------- dispatch

#: Request body record by opcode, for every opcode a client sends after connecting.
REQUEST_TYPES: dict[int, type[JuteRecord]] = {
    c.OPCODE: c
    for c in (
        CreateRequest, DeleteRequest, ExistsRequest, GetDataRequest, SetDataRequest,
        GetACLRequest, SetACLRequest, GetChildrenRequest, SyncRequest, PingRequest,
        GetChildren2Request, CheckVersionRequest, MultiRequest, Create2Request,
        ReconfigRequest, CheckWatchesRequest, RemoveWatchesRequest,
        CreateContainerRequest, DeleteContainerRequest, CreateTTLRequest,
        MultiReadRequest, AuthPacket, SetWatches, SaslRequest, GetEphemeralsRequest,
        GetAllChildrenNumberRequest, SetWatches2, AddWatchRequest, WhoAmIRequest,
        CloseRequest,
    )  # fmt: skip
}

#: Successful reply body record by request opcode; None where the reply is a bare
#: :class:`ReplyHeader`.
RESPONSE_TYPES: dict[int, type[JuteRecord] | None] = {
    OpCode.create: CreateResponse,
    OpCode.delete: None,
    OpCode.exists: ExistsResponse,
    OpCode.getData: GetDataResponse,
    OpCode.setData: SetDataResponse,
    OpCode.getACL: GetACLResponse,
    OpCode.setACL: SetACLResponse,
    OpCode.getChildren: GetChildrenResponse,
    OpCode.sync: SyncResponse,
    OpCode.ping: None,
    OpCode.getChildren2: GetChildren2Response,
    OpCode.check: None,
    OpCode.multi: MultiResponse,
    OpCode.create2: Create2Response,
    OpCode.reconfig: GetDataResponse,
    OpCode.checkWatches: None,
    OpCode.removeWatches: None,
    OpCode.createContainer: Create2Response,
    OpCode.deleteContainer: None,
    OpCode.createTTL: Create2Response,
    OpCode.multiRead: MultiResponse,
    OpCode.auth: None,
    OpCode.setWatches: None,
    OpCode.sasl: SaslResponse,
    OpCode.getEphemerals: GetEphemeralsResponse,
    OpCode.getAllChildrenNumber: GetAllChildrenNumberResponse,
    OpCode.setWatches2: None,
    OpCode.addWatch: None,
    OpCode.whoAmI: WhoAmIResponse,
    OpCode.closeSession: None,
}


def decode_request(opcode: int, buf: Buffer, offset: int = 0) -> JuteRecord:
    """Decode the body of a request of type ``opcode`` (what follows its header).

    Bytes after the body are ignored, as ZooKeeper ignores them.

    Raises
    ------
    JuteError
        For an opcode with no request record, or a truncated/malformed body.
    """
    cls = REQUEST_TYPES.get(opcode)
    if cls is None:
        raise JuteError(f"unknown request opcode {opcode}")
    return cls.decode(buf, offset)[0]


def decode_response(opcode: int, buf: Buffer, offset: int = 0) -> JuteRecord | None:
    """Decode the body of a *successful* reply to a request of type ``opcode``.

    Only call it when the :class:`ReplyHeader` has ``err`` 0: failed replies carry
    no body.  Returns None for the ops whose reply is a bare header.

    Raises
    ------
    JuteError
        For an unknown opcode, or a truncated/malformed body.
    """
    try:
        cls = RESPONSE_TYPES[opcode]
    except KeyError:
        raise JuteError(f"unknown response opcode {opcode}") from None
    if cls is None:
        return None
    return cls.decode(buf, offset)[0]


# --------------------------------------------------------------------------- framing


def frame(payload: bytes | bytearray | memoryview) -> bytes:
    """``payload`` behind its 4-byte big-endian length."""
    return _INT.pack(len(payload)) + payload


def encode_request(xid: int, request: JuteRecord) -> bytes:
    """A whole request frame: length, ``RequestHeader(xid, request.OPCODE)``, body.

    Raises
    ------
    JuteError
        If the request cannot be encoded.
    """
    out = bytearray(12)
    try:
        request.write(out)
        _FRAME_REQ_HDR.pack_into(out, 0, len(out) - 4, xid, request.OPCODE)  # type: ignore[attr-defined]
    except (struct.error, TypeError, AttributeError, KeyError) as exc:
        raise JuteError(f"cannot encode {request!r}: {exc}") from exc
    return bytes(out)


def encode_reply(xid: int, zxid: int, err: int, body: JuteRecord | None = None) -> bytes:
    """A whole reply frame: length, ``ReplyHeader(xid, zxid, err)`` and ``body``.

    For a notification use ``encode_reply(XID_NOTIFICATION, -1, 0, WatcherEvent(...))``
    (3.8 servers send zxid -1 with notifications).

    Raises
    ------
    JuteError
        If the body cannot be encoded.
    """
    if type(body) is GetDataResponse:
        # Hot path: join the frame with a single copy of the data.
        try:
            parts = _get_data_parts(body)
            size = 16 + sum(map(len, parts))
            return b"".join((_FRAME_REPLY_HDR.pack(size, xid, zxid, err), *parts))
        except (struct.error, TypeError, AttributeError) as exc:
            raise JuteError(f"cannot encode reply {body!r}: {exc}") from exc
    out = bytearray(20)
    try:
        if body is not None:
            body.write(out)
        _FRAME_REPLY_HDR.pack_into(out, 0, len(out) - 4, xid, zxid, err)
    except (struct.error, TypeError, AttributeError, KeyError) as exc:
        raise JuteError(f"cannot encode reply {body!r}: {exc}") from exc
    return bytes(out)


class FrameReader:
    """Split a byte stream into frame payloads (sans-IO).

    Parameters
    ----------
    max_frame : int
        Largest payload accepted; :data:`DEFAULT_MAX_FRAME` (1048575) is what a
        ZooKeeper 3.8 server accepts with the default ``jute.maxbuffer``.

    Notes
    -----
    No four-letter-word detection: a server that wants to answer ``ruok`` & co.
    must look at the first four bytes before feeding them here (as text they
    read as a huge length and raise :class:`FrameError`).
    Cost is linear in the bytes fed, however they are chunked.
    """

    __slots__ = ("max_frame", "_buf")

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.max_frame = max_frame
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held that do not yet form a whole frame."""
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Add received bytes; return the payloads of the frames they complete.

        Raises
        ------
        FrameError
            For a negative length or one above ``max_frame``; its ``frames`` holds
            the payloads completed before it.  The stream is unusable afterwards.
        """
        if type(data) is memoryview and (data.format != "B" or data.ndim != 1):
            data = data.cast("B")
        buf = self._buf
        if not buf:
            # Common case: nothing pending, parse straight from ``data``.
            frames, pos = self._split(data)
            if pos < len(data):
                buf += memoryview(data)[pos:]
            return frames
        buf += data
        frames, pos = self._split(buf)
        if pos:
            del buf[:pos]
        return frames

    def _split(self, data: bytes | bytearray | memoryview) -> tuple[list[bytes], int]:
        frames: list[bytes] = []
        pos = 0
        limit = self.max_frame
        unpack = _INT.unpack_from
        with memoryview(data) as mv:  # ``feed`` has made it a flat byte view
            n = len(mv)
            while n - pos >= 4:
                length = unpack(mv, pos)[0]
                if length < 0 or length > limit:
                    raise FrameError(
                        f"frame length {length} is outside 0..{limit}", frames
                    )
                end = pos + 4 + length
                if end > n:
                    break
                frames.append(bytes(mv[pos + 4 : end]))
                pos = end
        return frames, pos
