"""Tests of zkexplore.sim.jute: round trips, kazoo cross-checks, fuzzing, framing."""

from __future__ import annotations

import io
import logging
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kazoo.exceptions import NoNodeError, RolledBackError, RuntimeInconsistency
from kazoo.protocol import serialization as ks
from kazoo.protocol.connection import ConnectionHandler
from kazoo.protocol.states import ZnodeStat
from kazoo.security import ACL as KACL
from kazoo.security import Id as KId

from zkexplore.sim import jute as j
from zkexplore.sim.jute import (
    ACL,
    AUTH_IDS,
    CREATOR_ALL_ACL,
    DEFAULT_MAX_FRAME,
    MULTI_RESULT_TYPES,
    OPEN_ACL_UNSAFE,
    REQUEST_TYPES,
    RESPONSE_TYPES,
    AddWatchMode,
    AddWatchRequest,
    AuthPacket,
    CheckResult,
    CheckVersionRequest,
    CheckWatchesRequest,
    ClientInfo,
    CloseRequest,
    ConnectRequest,
    ConnectResponse,
    Create2Request,
    Create2Response,
    CreateContainerRequest,
    CreateMode,
    CreateRequest,
    CreateResponse,
    CreateTTLRequest,
    DeleteContainerRequest,
    DeleteRequest,
    DeleteResult,
    Err,
    ErrorResponse,
    ErrorResult,
    EventType,
    ExistsRequest,
    ExistsResponse,
    FrameError,
    FrameReader,
    GetACLRequest,
    GetACLResponse,
    GetAllChildrenNumberRequest,
    GetAllChildrenNumberResponse,
    GetChildren2Request,
    GetChildren2Response,
    GetChildrenRequest,
    GetChildrenResponse,
    GetDataRequest,
    GetDataResponse,
    GetEphemeralsRequest,
    GetEphemeralsResponse,
    Id,
    JuteError,
    JuteRecord,
    KeeperState,
    MultiHeader,
    MultiReadRequest,
    MultiRequest,
    MultiResponse,
    OpCode,
    Perms,
    PingRequest,
    ReconfigRequest,
    RemoveWatchesRequest,
    ReplyHeader,
    RequestHeader,
    SaslRequest,
    SaslResponse,
    SetACLRequest,
    SetACLResponse,
    SetDataRequest,
    SetDataResponse,
    SetWatches,
    SetWatches2,
    Stat,
    SyncRequest,
    SyncResponse,
    WatcherEvent,
    WatcherType,
    WhoAmIRequest,
    WhoAmIResponse,
    decode_request,
    decode_response,
    encode_reply,
    encode_request,
    frame,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

UNI = "/zk/ünïcødé/節点/🙂"
STAT = Stat(
    0x100000001, 0x100000002, 1_700_000_000_000, 1_700_000_000_500,
    3, 2, 1, 0x1234ABCD, 5, 0, 0x100000003,
)  # fmt: skip
STAT_EDGE = Stat(-1, 2**63 - 1, -(2**63), 0, -1, 2**31 - 1, -(2**31), 0, 0, 0, -1)
DIGEST = ACL(Perms.READ | Perms.WRITE, Id("digest", "bob:N2ZlM2Y4YjEwYjE="))
IP_ACL = ACL(Perms.ALL, Id("ip", "10.0.0.0/8"))

SAMPLES: list[JuteRecord] = [
    # values
    Id("digest", "user:hash"),
    Id("world", ""),
    Id(None, None),  # type: ignore[arg-type]
    DIGEST,
    STAT,
    STAT_EDGE,
    ClientInfo("ip", "127.0.0.1"),
    # frame level
    RequestHeader(1, OpCode.getData),
    RequestHeader(-2, OpCode.ping),
    ReplyHeader(-1, -1, 0),
    ReplyHeader(7, 2**40, Err.NONODE),
    ConnectRequest(0, 0, 30000, 0, b"\0" * 16, False),
    ConnectRequest(0, 0x500000001, 4000, 0x1000ABC, bytes(range(16)), True),
    ConnectRequest(0, 0, 30000, 0, b"\0" * 16, None),
    ConnectRequest(0, 0, 30000, 0, None, False),
    ConnectResponse(0, 30000, 0x72000001, b"p" * 16, False),
    ConnectResponse(0, 0, 0, b"\0" * 16, True),
    ConnectResponse(0, 30000, 1, b"", None),
    WatcherEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, "/a"),
    WatcherEvent(EventType.NONE, KeeperState.Expired, None),
    MultiHeader(OpCode.create, False, -1),
    MultiHeader(-1, True, -1),
    ErrorResponse(Err.NODEEXISTS),
    # requests
    CreateRequest("/a", b"data", OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL),
    CreateRequest(UNI, None, (), CreateMode.PERSISTENT),
    CreateRequest("/e", b"", (DIGEST, IP_ACL), CreateMode.EPHEMERAL),
    Create2Request("/b", b"\x00\xff" * 100, CREATOR_ALL_ACL, CreateMode.PERSISTENT_SEQUENTIAL),
    CreateContainerRequest("/c", b"", OPEN_ACL_UNSAFE),
    CreateTTLRequest("/t", b"x", OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, 60_000),
    DeleteRequest("/a", 3),
    DeleteRequest(UNI),
    DeleteContainerRequest("/c"),
    ExistsRequest("/a", True),
    ExistsRequest(UNI, False),
    GetDataRequest("/a", True),
    GetDataRequest(UNI),
    SetDataRequest("/a", b"\x00\xff\x10", 7),
    SetDataRequest("/a", None, -1),
    GetACLRequest("/a"),
    SetACLRequest("/a", (DIGEST, IP_ACL), 2),
    SetACLRequest("/a", (), -1),
    GetChildrenRequest("/", True),
    GetChildren2Request(UNI, False),
    SyncRequest("/a"),
    CheckVersionRequest("/a", 5),
    MultiRequest(
        (
            CreateRequest("/m/1", b"1", OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
            Create2Request("/m/2", None, OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL),
            CreateContainerRequest("/m/3", b"", OPEN_ACL_UNSAFE),
            CreateTTLRequest("/m/4", b"", OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, 5),
            DeleteRequest(UNI, -1),
            SetDataRequest("/m/5", b"new", 4),
            CheckVersionRequest("/m", 9),
        )
    ),
    MultiRequest(()),
    MultiReadRequest((GetChildrenRequest("/a"), GetDataRequest(UNI))),
    MultiReadRequest(()),
    AuthPacket(0, "digest", b"user:pw"),
    AuthPacket(0, "x", None),
    SetWatches(0x55, ("/a",), ("/b", UNI), ()),
    SetWatches(0),
    SetWatches2(0x66, ("/a",), (), ("/c",), ("/p",), ("/r", "/r2")),
    SetWatches2(0),
    AddWatchRequest("/a", AddWatchMode.PERSISTENT_RECURSIVE),
    RemoveWatchesRequest("/a", WatcherType.Data),
    CheckWatchesRequest("/a", WatcherType.Children),
    GetEphemeralsRequest("/"),
    GetAllChildrenNumberRequest("/a"),
    PingRequest(),
    CloseRequest(),
    WhoAmIRequest(),
    ReconfigRequest("server.4=h4:2888:3888;2181", None, None, -1),
    ReconfigRequest(None, "3", "", 0x100000000),
    SaslRequest(b"token"),
    SaslRequest(None),
    # responses
    CreateResponse("/a0000000001"),
    Create2Response(UNI, STAT),
    ExistsResponse(STAT),
    SetDataResponse(STAT_EDGE),
    SetACLResponse(STAT),
    GetDataResponse(b"x" * 1000, STAT),
    GetDataResponse(None, STAT),
    GetDataResponse(b"", STAT_EDGE),
    GetACLResponse(OPEN_ACL_UNSAFE, STAT),
    GetACLResponse((), STAT),
    GetChildrenResponse(("a", "節点", "🙂")),
    GetChildrenResponse(()),
    GetChildren2Response(("x", "y"), STAT),
    SyncResponse("/a"),
    MultiResponse(
        (
            CreateResponse("/m/1"),
            Create2Response("/m/2", STAT),
            DeleteResult(),
            SetDataResponse(STAT),
            CheckResult(),
            GetChildrenResponse(("k",)),
            GetDataResponse(b"d", STAT),
            ErrorResult(Err.NONODE),
            ErrorResult(Err.OK),
        )
    ),
    MultiResponse((ErrorResult(0), ErrorResult(Err.BADVERSION), ErrorResult(Err.RUNTIMEINCONSISTENCY))),
    MultiResponse(()),
    DeleteResult(),
    CheckResult(),
    ErrorResult(Err.RUNTIMEINCONSISTENCY),
    GetEphemeralsResponse(("/e1", "/e2")),
    GetEphemeralsResponse(()),
    GetAllChildrenNumberResponse(42),
    WhoAmIResponse((ClientInfo("ip", "127.0.0.1"), ClientInfo("digest", "bob"))),
    WhoAmIResponse(()),
    SaslResponse(b"challenge"),
    SaslResponse(None),
]


def _sample_id(rec: JuteRecord) -> str:
    return type(rec).__name__


# --------------------------------------------------------------------------- round trips


def test_every_record_type_has_a_sample():
    record_types = {
        obj
        for name in j.__all__
        if isinstance(obj := getattr(j, name), type)
        and issubclass(obj, JuteRecord)
        and obj is not JuteRecord
    }
    assert record_types - {type(s) for s in SAMPLES} == set()


@pytest.mark.parametrize("rec", SAMPLES, ids=_sample_id)
def test_round_trip(rec: JuteRecord):
    enc = rec.encode()
    assert isinstance(enc, bytes)
    dec, off = type(rec).decode(enc)
    assert dec == rec
    assert type(dec) is type(rec)
    assert off == len(enc)
    # write() appends the same bytes
    out = bytearray(b"zz")
    rec.write(out)
    assert bytes(out[2:]) == enc
    # at an offset, from a memoryview, with trailing bytes
    trailing = b"" if isinstance(rec, (ConnectRequest, ConnectResponse)) else b"trailing"
    buf = memoryview(b"\xaa" * 5 + enc + trailing)
    dec2, off2 = type(rec).decode(buf, 5)
    assert dec2 == rec and off2 == 5 + len(enc)
    assert hash(dec) == hash(rec)


def test_lists_become_tuples():
    r = GetChildrenResponse(["a", "b"])  # type: ignore[arg-type]
    assert r.children == ("a", "b")
    assert MultiRequest([DeleteRequest("/a")]).ops == (DeleteRequest("/a"),)  # type: ignore[arg-type]
    assert CreateRequest("/a", b"", [DIGEST], 0).acl == (DIGEST,)  # type: ignore[arg-type]


def test_sibling_records_are_distinct():
    assert CreateRequest("/a", b"", (), 0) != Create2Request("/a", b"", (), 0)
    assert CreateRequest("/a", b"", (), 0).encode() == Create2Request("/a", b"", (), 0).encode()
    assert not isinstance(GetChildren2Request("/"), GetChildrenRequest)
    assert ExistsResponse(STAT) != SetDataResponse(STAT)


def test_none_and_empty_wire_forms():
    assert SyncRequest(None).encode() == b"\xff\xff\xff\xff"  # type: ignore[arg-type]
    assert SyncRequest("").encode() == b"\x00\x00\x00\x00"
    assert SaslRequest(None).encode() == b"\xff\xff\xff\xff"
    assert GetChildrenResponse(()).encode() == b"\x00\x00\x00\x00"
    # a null vector (-1) decodes as empty
    assert GetChildrenResponse.decode(b"\xff\xff\xff\xff") == (GetChildrenResponse(()), 4)
    assert PingRequest().encode() == b""
    assert Stat.decode(STAT.encode())[1] == 68


def test_utf8_handling_matches_java():
    # malformed UTF-8 decodes with U+FFFD like Java's new String(bytes, UTF_8)
    body = struct.pack("!i", 3) + b"/\xff\xfe" + b"\x01"
    assert decode_request(OpCode.getData, body) == GetDataRequest("/\ufffd\ufffd", True)
    # a lone surrogate encodes as "?" like Java's getBytes(UTF_8)
    assert SyncRequest("/a\ud800").encode() == struct.pack("!i", 3) + b"/a?"
    assert SyncRequest(UNI).encode()[4:] == UNI.encode("utf-8")


def test_connect_request_without_read_only_flag():
    modern = ConnectRequest(0, 9, 30000, 0, b"\0" * 16, True).encode()
    old = modern[:-1]
    assert ConnectRequest.decode(old) == (ConnectRequest(0, 9, 30000, 0, b"\0" * 16, None), len(old))
    assert ConnectRequest(0, 9, 30000, 0, b"\0" * 16, None).encode() == old
    assert ConnectResponse(0, 1, 2, b"p", None).encode() == ConnectResponse(0, 1, 2, b"p").encode()[:-1]


def test_multi_response_error_header_carries_code():
    enc = MultiResponse((ErrorResult(Err.NONODE), DeleteResult())).encode()
    assert MultiHeader.decode(enc) == (MultiHeader(-1, False, Err.NONODE), 9)
    assert MultiHeader.decode(enc, 13) == (MultiHeader(OpCode.delete, False, 0), 22)
    assert MultiHeader.decode(enc, 22) == (MultiHeader(-1, True, -1), 31)
    assert len(enc) == 31  # delete result has no body
    assert set(MULTI_RESULT_TYPES) == {1, 2, 4, 5, 8, 13, 15, -1}


def test_encode_errors_are_jute_errors():
    with pytest.raises(JuteError):
        DeleteRequest("/a", 2**31).encode()
    with pytest.raises(JuteError):
        GetDataRequest(5).encode()  # type: ignore[arg-type]
    with pytest.raises(JuteError):
        MultiResponse((ErrorResponse(1),)).encode()  # type: ignore[arg-type]
    with pytest.raises(JuteError):
        GetDataResponse(b"x", None).encode()  # type: ignore[arg-type]
    with pytest.raises(JuteError):
        encode_request(1, GetDataResponse(b"", STAT))  # no OPCODE
    with pytest.raises(JuteError):
        encode_reply(2**31, 0, 0)


# --------------------------------------------------------------------------- enums


def test_enum_values():
    assert OpCode.whoAmI == 107 and OpCode.addWatch == 106 and OpCode.multiRead == 22
    assert OpCode.createSession == -10 and OpCode.closeSession == -11 and OpCode.error == -1
    assert Err.THROTTLEDOP == -127 and Err.QUOTAEXCEEDED == -125 and Err.UNKNOWNSESSION == -12
    assert Err.NOCHILDRENFOREPHEMERALS == -108 and Err.SESSIONMOVED == -118
    assert EventType.NONE == -1 and EventType.PersistentWatchRemoved == 7
    assert KeeperState.Expired == -112 and KeeperState.Closed == 7
    assert WatcherType.Any == 3 and AddWatchMode.PERSISTENT_RECURSIVE == 1
    assert Perms.ALL == Perms.READ | Perms.WRITE | Perms.CREATE | Perms.DELETE | Perms.ADMIN == 31
    assert AUTH_IDS == Id("auth", "")


def test_create_mode_helpers():
    assert [m for m in CreateMode if m.is_ephemeral] == [CreateMode.EPHEMERAL, CreateMode.EPHEMERAL_SEQUENTIAL]
    assert {m.value for m in CreateMode if m.is_sequential} == {2, 3, 6}
    assert CreateMode.CONTAINER.is_container and not CreateMode.PERSISTENT.is_container
    assert {m.value for m in CreateMode if m.is_ttl} == {5, 6}
    assert CreateMode.from_flag(3) is CreateMode.EPHEMERAL_SEQUENTIAL
    assert CreateMode.from_flag(7) is None and CreateMode.from_flag(-1) is None


# --------------------------------------------------------------------------- dispatch


def test_request_types_cover_client_opcodes():
    assert set(REQUEST_TYPES) == {int(o) for o in OpCode} - {0, -1, -10}
    for opcode, cls in REQUEST_TYPES.items():
        assert cls.OPCODE == opcode  # type: ignore[attr-defined]
    assert set(RESPONSE_TYPES) == set(REQUEST_TYPES)


@pytest.mark.parametrize("rec", [s for s in SAMPLES if hasattr(s, "OPCODE")], ids=_sample_id)
def test_decode_request_dispatch(rec: JuteRecord):
    opcode = rec.OPCODE  # type: ignore[attr-defined]
    enc = rec.encode()
    assert decode_request(opcode, enc) == rec
    assert decode_request(opcode, b"hdr" + enc, 3) == rec
    # and as a whole frame
    (payload,) = FrameReader().feed(encode_request(77, rec))
    hdr, off = RequestHeader.decode(payload)
    assert hdr == RequestHeader(77, opcode)
    assert decode_request(hdr.type, payload, off) == rec


@pytest.mark.parametrize("opcode", [0, -1, -10, 10, 23, 99, 108, 2**31 - 1])
def test_unknown_opcodes(opcode: int):
    with pytest.raises(JuteError, match=str(opcode)):
        decode_request(opcode, b"\x00" * 64)
    with pytest.raises(JuteError, match=str(opcode)):
        decode_response(opcode, b"\x00" * 64)


def test_decode_response_dispatch():
    by_type = {type(s): s for s in SAMPLES}
    for opcode, cls in RESPONSE_TYPES.items():
        if cls is None:
            assert decode_response(opcode, b"") is None
        else:
            rec = by_type[cls]
            assert decode_response(opcode, rec.encode()) == rec
    # create2/createContainer/createTTL all answer with path and stat
    for op in (OpCode.create2, OpCode.createContainer, OpCode.createTTL):
        assert RESPONSE_TYPES[op] is Create2Response
    assert RESPONSE_TYPES[OpCode.reconfig] is GetDataResponse


def test_encode_reply_frames():
    rec = GetDataResponse(b"hello", STAT)
    (payload,) = FrameReader().feed(encode_reply(5, 0x100000009, 0, rec))
    hdr, off = ReplyHeader.decode(payload)
    assert hdr == ReplyHeader(5, 0x100000009, 0)
    assert decode_response(OpCode.getData, payload, off) == rec
    bare = encode_reply(-2, 3, 0)
    assert bare == frame(ReplyHeader(-2, 3, 0).encode())
    ev = WatcherEvent(EventType.NodeCreated, KeeperState.SyncConnected, "/x")
    note = encode_reply(j.XID_NOTIFICATION, -1, 0, ev)
    assert note == frame(ReplyHeader(-1, -1, 0).encode() + ev.encode())
    err = encode_reply(9, 1, Err.NONODE)
    assert len(err) == 20


# --------------------------------------------------------------------------- kazoo


KAZOO_ACL = [KACL(31, KId("world", "anyone")), KACL(3, KId("digest", "bob:N2ZlM2Y4YjEwYjE="))]
OUR_ACL = (ACL(31, Id("world", "anyone")), DIGEST)


def _zstat(s: Stat) -> ZnodeStat:
    return ZnodeStat(
        s.czxid, s.mzxid, s.ctime, s.mtime, s.version, s.cversion,
        s.aversion, s.ephemeral_owner, s.data_length, s.num_children, s.pzxid,
    )  # fmt: skip


class _Wire:
    """Just enough of kazoo's ConnectionHandler to run its framing code."""

    def __init__(self, incoming: bytes = b"") -> None:
        self.logger = logging.getLogger("test_jute.kazoo")
        self.sent: list[bytes] = []
        self._in = io.BytesIO(incoming)

    def _write(self, msg: bytes, timeout: float) -> None:
        self.sent.append(bytes(msg))

    def _read(self, length: int, timeout: float) -> bytes:
        return self._in.read(length)


def kazoo_frame(request, xid=None) -> bytes:
    wire = _Wire()
    ConnectionHandler._submit(wire, request, 1.0, xid)  # type: ignore[arg-type]
    return wire.sent[0]


@pytest.mark.parametrize(
    "kazoo_req, ours",
    [
        (ks.Create("/a", b"v", KAZOO_ACL, 0), CreateRequest("/a", b"v", OUR_ACL, 0)),
        (ks.Create(UNI, b"", KAZOO_ACL[:1], 3), CreateRequest(UNI, b"", OUR_ACL[:1], CreateMode.EPHEMERAL_SEQUENTIAL)),
        (ks.Create("/n", None, KAZOO_ACL, 1), CreateRequest("/n", None, OUR_ACL, 1)),
        (ks.Create2("/b", b"x", KAZOO_ACL, 2), Create2Request("/b", b"x", OUR_ACL, 2)),
        (ks.Delete("/a", -1), DeleteRequest("/a", -1)),
        (ks.Delete(UNI, 7), DeleteRequest(UNI, 7)),
        (ks.Exists("/a", None), ExistsRequest("/a", False)),
        (ks.Exists("/a", print), ExistsRequest("/a", True)),
        (ks.GetData(UNI, print), GetDataRequest(UNI, True)),
        (ks.SetData("/a", b"\x00\x01", 4), SetDataRequest("/a", b"\x00\x01", 4)),
        (ks.GetACL("/a"), GetACLRequest("/a")),
        (ks.SetACL("/a", KAZOO_ACL, 2), SetACLRequest("/a", OUR_ACL, 2)),
        (ks.GetChildren("/", print), GetChildrenRequest("/", True)),
        (ks.GetChildren2("/", None), GetChildren2Request("/", False)),
        (ks.Sync("/s"), SyncRequest("/s")),
        (ks.CheckVersion("/c", 3), CheckVersionRequest("/c", 3)),
        (ks.Reconfig("server.5=h:2888:3888;2181", None, None, -1),
         ReconfigRequest("server.5=h:2888:3888;2181", None, None, -1)),
        (ks.Auth(0, "digest", "user:pw"), AuthPacket(0, "digest", b"user:pw")),
        (ks.SASL(b"tok"), SaslRequest(b"tok")),
        (ks.SASL(None), SaslRequest(None)),
        (ks.Ping(), PingRequest()),
        (ks.Close(), CloseRequest()),
    ],
    ids=lambda v: type(v).__name__,
)
def test_requests_match_kazoo_bytes(kazoo_req, ours):
    assert kazoo_req.type == ours.OPCODE
    raw = bytes(kazoo_req.serialize())
    assert ours.encode() == raw
    assert decode_request(kazoo_req.type, raw) == ours
    # whole frames, as kazoo's connection writes them
    assert encode_request(42, ours) == kazoo_frame(kazoo_req, 42)


def test_kazoo_ping_and_auth_frames():
    (payload,) = FrameReader().feed(kazoo_frame(ks.PingInstance, j.XID_PING))
    assert RequestHeader.decode(payload) == (RequestHeader(-2, OpCode.ping), 8)
    (payload,) = FrameReader().feed(kazoo_frame(ks.Auth(0, "digest", "u:p"), j.XID_AUTH))
    hdr, off = RequestHeader.decode(payload)
    assert hdr == RequestHeader(-4, OpCode.auth)
    assert decode_request(hdr.type, payload, off) == AuthPacket(0, "digest", b"u:p")


def test_kazoo_writes_empty_string_as_null():
    # kazoo's write_string turns "" into -1 (null); Java and we write length 0.
    assert bytes(ks.Sync("").serialize()) == b"\xff\xff\xff\xff"
    assert decode_request(OpCode.sync, bytes(ks.Sync("").serialize())) == SyncRequest(None)  # type: ignore[arg-type]
    assert SyncRequest("").encode() == b"\x00\x00\x00\x00"


def test_kazoo_transaction_decodes_as_multi():
    txn = ks.Transaction(
        [
            ks.Create("/t", b"v", KAZOO_ACL, 0),
            ks.Create("/t/e", b"", KAZOO_ACL[:1], 3),
            ks.Delete("/d", -1),
            ks.SetData("/s", b"n", 2),
            ks.CheckVersion("/c", 4),
        ]
    )
    raw = bytes(txn.serialize())
    ours = MultiRequest(
        (
            CreateRequest("/t", b"v", OUR_ACL, 0),
            CreateRequest("/t/e", b"", OUR_ACL[:1], 3),
            DeleteRequest("/d", -1),
            SetDataRequest("/s", b"n", 2),
            CheckVersionRequest("/c", 4),
        )
    )
    assert decode_request(OpCode.multi, raw) == ours
    assert MultiRequest.decode(raw) == (ours, len(raw))
    assert ours.encode() == raw
    assert encode_request(3, ours) == kazoo_frame(txn, 3)


def test_kazoo_connect_request_decodes():
    for ro in (False, True):
        kz = ks.Connect(0, 0x300000002, 10000, 0x1234, b"\x07" * 16, ro)
        raw = bytes(kz.serialize())
        assert ConnectRequest.decode(raw) == (ConnectRequest(0, 0x300000002, 10000, 0x1234, b"\x07" * 16, ro), len(raw))
        (payload,) = FrameReader().feed(kazoo_frame(kz))  # no xid, no type
        assert payload == raw
    # kazoo's first connect: no session, no password buffer content yet
    raw = bytes(ks.Connect(0, 0, 30000, 0, b"\0" * 16, False).serialize())
    assert ConnectRequest(0, 0, 30000, 0, b"\0" * 16, False).encode() == raw


@pytest.mark.parametrize("ro", [False, True, None])
def test_connect_response_decodes_with_kazoo(ro):
    ours = ConnectResponse(0, 20000, 0x72000001ABC, bytes(range(16)), ro)
    kz, off = ks.Connect.deserialize(ours.encode(), 0)
    assert (kz.protocol_version, kz.time_out, kz.session_id, kz.passwd) == (0, 20000, 0x72000001ABC, bytes(range(16)))
    assert kz.read_only is bool(ro)
    assert off == len(ours.encode())


def test_watcher_event_decodes_with_kazoo():
    ev = WatcherEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, UNI)
    kz, off = ks.Watch.deserialize(ev.encode(), 0)
    assert kz == ks.Watch(4, 3, UNI) and off == len(ev.encode())
    # and through kazoo's reply-header reader
    wire = _Wire(encode_reply(j.XID_NOTIFICATION, -1, 0, ev))
    header, buffer, offset = ConnectionHandler._read_header(wire, 1.0)  # type: ignore[arg-type]
    assert header == ks.ReplyHeader(-1, -1, 0)
    assert ks.Watch.deserialize(buffer, offset)[0] == ks.Watch(4, 3, UNI)


def test_responses_decode_with_kazoo():
    z = _zstat(STAT)
    assert ks.GetData.deserialize(GetDataResponse(b"value", STAT).encode(), 0) == (b"value", z)
    assert ks.GetData.deserialize(GetDataResponse(None, STAT_EDGE).encode(), 0) == (None, _zstat(STAT_EDGE))
    assert ks.Exists.deserialize(ExistsResponse(STAT).encode(), 0) == z
    assert ks.SetData.deserialize(SetDataResponse(STAT).encode(), 0) == z
    assert ks.SetACL.deserialize(SetACLResponse(STAT).encode(), 0) == z
    acls, stat = ks.GetACL.deserialize(GetACLResponse(OUR_ACL, STAT).encode(), 0)
    assert [(a.perms, a.id.scheme, a.id.id) for a in acls] == [(a.perms, a.id.scheme, a.id.id) for a in OUR_ACL]
    assert stat == z
    assert ks.GetChildren.deserialize(GetChildrenResponse(("a", "節点")).encode(), 0) == ["a", "節点"]
    assert ks.GetChildren2.deserialize(GetChildren2Response(("a",), STAT).encode(), 0) == (["a"], z)
    assert ks.Create.deserialize(CreateResponse("/a0000000004").encode(), 0) == "/a0000000004"
    assert ks.Create2.deserialize(Create2Response("/b", STAT).encode(), 0) == ("/b", z)
    assert ks.Sync.deserialize(SyncResponse("/s").encode(), 0) == "/s"
    assert ks.Reconfig.deserialize(GetDataResponse(b"server.1=a", STAT).encode(), 0) == (b"server.1=a", z)
    enc = SaslResponse(b"chal").encode()
    assert ks.SASL.deserialize(enc, 0) == (b"chal", len(enc))
    assert ks.Delete.deserialize(b"", 0) is True


def test_multi_response_decodes_with_kazoo():
    ok = MultiResponse((CreateResponse("/a"), DeleteResult(), SetDataResponse(STAT), CheckResult()))
    assert ks.Transaction.deserialize(ok.encode(), 0) == ["/a", True, _zstat(STAT), True]
    failed = MultiResponse((ErrorResult(Err.OK), ErrorResult(Err.NONODE), ErrorResult(Err.RUNTIMEINCONSISTENCY)))
    results = ks.Transaction.deserialize(failed.encode(), 0)
    assert [type(r) for r in results] == [RolledBackError, NoNodeError, RuntimeInconsistency]


def test_reply_and_multi_headers_match_kazoo():
    rh = ReplyHeader(12, 0x200000005, Err.BADVERSION)
    assert ks.ReplyHeader.deserialize(rh.encode(), 0) == (ks.ReplyHeader(12, 0x200000005, -103), 16)
    assert MultiHeader(5, False, -1).encode() == bytes(ks.MultiHeader(5, False, -1).serialize())
    assert MultiHeader.decode(bytes(ks.MultiHeader(-1, True, -1).serialize()))[0] == MultiHeader(-1, True, -1)
    wire = _Wire(encode_reply(12, 0x200000005, 0, GetDataResponse(b"v", STAT)))
    header, buffer, offset = ConnectionHandler._read_header(wire, 1.0)  # type: ignore[arg-type]
    assert header == ks.ReplyHeader(12, 0x200000005, 0)
    assert ks.GetData.deserialize(buffer, offset) == (b"v", _zstat(STAT))


# --------------------------------------------------------------------------- malformed input


def _decode_ok_or_jute_error(fn, *args):
    try:
        fn(*args)
    except JuteError:
        pass


def test_every_truncation_raises_only_jute_error():
    for rec in SAMPLES:
        enc = rec.encode()
        for cut in range(len(enc)):
            _decode_ok_or_jute_error(type(rec).decode, enc[:cut])
            if hasattr(rec, "OPCODE"):
                _decode_ok_or_jute_error(decode_request, rec.OPCODE, enc[:cut])  # type: ignore[attr-defined]
        unframed = (ConnectRequest, ConnectResponse, MultiRequest, MultiReadRequest, MultiResponse)
        if len(enc) and not isinstance(rec, unframed):
            with pytest.raises(JuteError):
                type(rec).decode(enc[:-1])


@pytest.mark.parametrize(
    "opcode, body",
    [
        (OpCode.getData, struct.pack("!i", -2) + b"\x00"),  # negative length
        (OpCode.getData, struct.pack("!i", 2**31 - 1) + b"/a\x00"),  # length past the end
        (OpCode.setData, struct.pack("!i", 2) + b"/a" + struct.pack("!i", -7)),
        (OpCode.setWatches, struct.pack("!qi", 0, 2**31 - 1) + b"\x00" * 16),  # huge vector count
        (OpCode.setACL, struct.pack("!ii", 2, 0)[:4] + b"/a" + struct.pack("!i", -5)),
        (OpCode.multi, struct.pack("!i?i", OpCode.getData, False, -1) + GetDataRequest("/a").encode()),
        (OpCode.multiRead, struct.pack("!i?i", OpCode.delete, False, -1) + DeleteRequest("/a").encode()),
        (OpCode.multi, struct.pack("!i?i", OpCode.create, False, -1)),
        (OpCode.multi, b""),
        (OpCode.getData, b""),
    ],
)
def test_malformed_bodies(opcode, body):
    with pytest.raises(JuteError):
        decode_request(opcode, body)


def test_bad_offsets():
    with pytest.raises(JuteError):
        Stat.decode(STAT.encode(), -1)
    with pytest.raises(JuteError):
        Stat.decode(STAT.encode(), 69)
    with pytest.raises(JuteError):
        Stat.decode(STAT.encode(), 1)


def test_huge_vector_count_fails_fast():
    with pytest.raises(JuteError):
        GetChildrenResponse.decode(struct.pack("!i", 2**31 - 1) + b"\x00" * 64)
    with pytest.raises(JuteError):
        WhoAmIResponse.decode(struct.pack("!i", 2**30) + b"\x00" * 64)


_REQUEST_OPCODES = sorted(REQUEST_TYPES)
_ENCODED = [(type(s), s.encode()) for s in SAMPLES if len(s.encode()) > 0]


@FAST
@given(opcode=st.sampled_from(_REQUEST_OPCODES), data=st.binary(max_size=200))
def test_fuzz_decode_request_random_bytes(opcode, data):
    _decode_ok_or_jute_error(decode_request, opcode, data)
    _decode_ok_or_jute_error(decode_response, opcode, data)


@FAST
@given(
    pick=st.integers(0, len(_ENCODED) - 1),
    where=st.integers(0, 10_000),
    value=st.integers(0, 255),
    cut=st.integers(0, 10_000),
    opcode=st.sampled_from(_REQUEST_OPCODES),
)
def test_fuzz_mutated_encodings(pick, where, value, cut, opcode):
    cls, enc = _ENCODED[pick]
    mutated = bytearray(enc)
    mutated[where % len(mutated)] = value
    mutated = mutated[: cut % (len(mutated) + 1)]
    _decode_ok_or_jute_error(cls.decode, bytes(mutated))
    _decode_ok_or_jute_error(decode_request, opcode, bytes(mutated))
    _decode_ok_or_jute_error(decode_response, opcode, memoryview(bytes(mutated)))


# --------------------------------------------------------------------------- framing


def test_frame_prefix():
    assert frame(b"abc") == b"\x00\x00\x00\x03abc"
    assert frame(b"") == b"\x00\x00\x00\x00"
    assert DEFAULT_MAX_FRAME == j.JUTE_MAX_BUFFER == 0xFFFFF


@FAST
@given(
    payloads=st.lists(st.binary(max_size=300), max_size=20),
    cuts=st.lists(st.integers(0, 7000), max_size=30),
)
def test_frame_reader_any_chunking(payloads, cuts):
    stream = b"".join(frame(p) for p in payloads)
    points = sorted({c % (len(stream) + 1) for c in cuts} | {0, len(stream)})
    reader = FrameReader()
    got: list[bytes] = []
    for a, b in zip(points, points[1:]):
        chunk = stream[a:b]
        got += reader.feed(chunk if a % 2 else memoryview(chunk))
    assert got == payloads
    assert reader.pending == 0


def test_frame_reader_byte_at_a_time_and_many_small_frames():
    payloads = [bytes([i % 256]) * (i % 7) for i in range(3000)]
    stream = b"".join(frame(p) for p in payloads)
    reader = FrameReader()
    assert reader.feed(stream) == payloads
    got: list[bytes] = []
    for i in range(len(stream)):
        got += reader.feed(stream[i : i + 1])
    assert got == payloads


def test_frame_reader_limits():
    # the largest frame a 3.8 server accepts, then one byte more
    reader = FrameReader()
    assert reader.feed(struct.pack("!i", DEFAULT_MAX_FRAME)) == []
    assert reader.pending == 4
    with pytest.raises(FrameError):
        FrameReader().feed(struct.pack("!i", DEFAULT_MAX_FRAME + 1))
    with pytest.raises(FrameError):
        FrameReader().feed(struct.pack("!i", -1))
    # four-letter words read as huge lengths
    with pytest.raises(FrameError):
        FrameReader().feed(b"ruok")
    small = FrameReader(max_frame=10)
    assert small.feed(frame(b"x" * 10)) == [b"x" * 10]
    with pytest.raises(FrameError) as info:
        small.feed(frame(b"ok") + frame(b"y" * 11))
    assert info.value.frames == [b"ok"]
    assert isinstance(info.value, JuteError) and isinstance(info.value, ValueError)
    # the bad prefix also surfaces when it arrives after buffered bytes
    split = FrameReader(max_frame=10)
    assert split.feed(b"\x00\x00") == []
    with pytest.raises(FrameError):
        split.feed(b"\x00\x0b")


@FAST
@given(length=st.integers(-(2**31), 2**31 - 1), limit=st.integers(0, 2**20))
def test_frame_reader_rejects_exactly_out_of_range(length, limit):
    reader = FrameReader(max_frame=limit)
    if 0 <= length <= limit:
        assert reader.feed(struct.pack("!i", length)) == ([b""] if length == 0 else [])
    else:
        with pytest.raises(FrameError):
            reader.feed(struct.pack("!i", length))
