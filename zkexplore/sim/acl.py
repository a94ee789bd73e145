"""ACLs and authentication as ZooKeeper 3.8 does them (schemes ``world``, ``auth``,
``digest``, ``ip``; ``super`` through a configured super digest).

:func:`fixup_acl` raises ``ZkError(INVALIDACL)`` for an ACL list ZooKeeper refuses
(``MARSHALLINGERROR`` for a null id, on which 3.8 throws; ip ids are parsed as its
``IPAuthenticationProvider`` does: IPv4 only, Java's ``Integer.parseInt``),
:func:`check_acl` raises ``ZkError(NOAUTH)`` when no id of the caller grants the
permission.  :func:`authenticate` turns an ``AuthPacket`` into the ids it adds to a
connection, or None when ZooKeeper answers ``AUTHFAILED``.  :func:`auth_order` puts
a connection's ids in the order a 3.8 server lists them (whoAmI, the ``auth``
scheme's expansion): its ``ServerCnxn.authInfo`` is a ``ConcurrentHashMap`` key set.
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from typing import TYPE_CHECKING

from .javahash import hashset_order, string_hash
from .jute import ACL, Err, Id

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["AclCache", "fixup_acl", "check_acl", "digest", "authenticate", "auth_order", "SUPER"]

SUPER = Id("super", "")
_PROVIDERS = ("digest", "ip")


def _err(code: int):  # imported lazily: datatree imports this module
    from .datatree import ZkError

    return ZkError(code)


class AclCache:
    """Interns ACL lists, so 100,000 nodes with one ACL share one tuple."""

    def __init__(self) -> None:
        self._cache: dict[tuple[ACL, ...], tuple[ACL, ...]] = {}

    def intern(self, acl: "Iterable[ACL]") -> tuple[ACL, ...]:
        key = tuple(acl)
        return self._cache.setdefault(key, key)

    def __len__(self) -> int:
        return len(self._cache)


def digest(user_password: str) -> str:
    """``user:base64(sha1(user:password))``, ZooKeeper's digest id."""
    user = user_password.split(":", 1)[0]
    sha = hashlib.sha1(user_password.encode("utf-8")).digest()
    return f"{user}:{base64.b64encode(sha).decode('ascii')}"


def _java_int(s: str) -> int | None:
    """``Integer.parseInt(s)``, or None where Java throws: an optional sign, then
    decimal digits of any script (Java's ``Character.digit``), within 32 bits."""
    body = s[1:] if s[:1] in ("+", "-") else s
    if not body or not all(c.isdecimal() for c in body):
        return None
    v = int("".join(str(unicodedata.decimal(c)) for c in body))
    v = -v if s[0] == "-" else v
    return v if -(1 << 31) <= v < (1 << 31) else None


def _ipv4(addr: str) -> bytes | None:
    """``IPAuthenticationProvider.v4addr2Bytes``: four dot-separated ints 0..255
    (3.8 parses no IPv6)."""
    parts = addr.split(".")
    if len(parts) != 4:
        return None
    out = []
    for p in parts:
        v = _java_int(p)
        if v is None or not 0 <= v <= 255:
            return None
        out.append(v)
    return bytes(out)


def _ip_expr(expr: str) -> tuple[bytes, int] | None:
    """An ip ACL id, ``address[/bits]``, as (address, prefix bits); None if invalid."""
    parts = expr.split("/", 1)
    addr = _ipv4(parts[0])
    if addr is None:
        return None
    bits = 32
    if len(parts) == 2:
        b = _java_int(parts[1])
        if b is None or not 0 <= b <= 32:
            return None
        bits = b
    return addr, bits


def _valid(scheme: str, ident: str) -> bool:
    if scheme == "digest":
        # Java's String.split(":") drops trailing empty strings
        parts = ident.split(":")
        while parts and parts[-1] == "":
            parts.pop()
        return len(parts) == 2
    if scheme == "ip":
        return _ip_expr(ident) is not None
    return False


def fixup_acl(acl: "Sequence[ACL]", auth: "Sequence[Id]") -> list[ACL]:
    """Validate an ACL list and expand the ``auth`` scheme (``fixupACL``)."""
    uniq: list[ACL] = []
    for a in acl:
        if a not in uniq:
            uniq.append(a)
    if not uniq:
        raise _err(Err.INVALIDACL)
    out: list[ACL] = []
    for a in uniq:
        scheme, ident = a.id.scheme, a.id.id
        if scheme is None:
            raise _err(Err.INVALIDACL)
        if scheme == "world" and ident is None:
            raise _err(Err.MARSHALLINGERROR)  # Java: id.getId().equals(...) throws
        if scheme == "world" and ident == "anyone":
            out.append(a)
        elif scheme == "auth":
            granted = [ACL(a.perms, cid) for cid in auth if cid.scheme == "digest"]
            if not granted:
                raise _err(Err.INVALIDACL)
            out.extend(granted)
        elif scheme not in _PROVIDERS:
            raise _err(Err.INVALIDACL)
        elif ident is None:
            raise _err(Err.MARSHALLINGERROR)  # the provider's isValid(null) throws
        elif _valid(scheme, ident):
            out.append(a)
        else:
            raise _err(Err.INVALIDACL)
    return out


def _matches(scheme: str, auth_id: str, acl_id: str) -> bool:
    if scheme == "digest":
        return auth_id == acl_id
    if scheme == "ip":
        # IPAuthenticationProvider.matches: both addresses masked to the prefix
        expr = _ip_expr(acl_id)
        addr = _ipv4(auth_id)
        if expr is None or addr is None:
            return False
        net, bits = expr
        mask = ((1 << 32) - (1 << (32 - bits))) if bits else 0
        return int.from_bytes(addr, "big") & mask == int.from_bytes(net, "big") & mask
    return False


def check_acl(acl: "Sequence[ACL]", perm: int, auth: "Sequence[Id]") -> None:
    """Raise ``ZkError(NOAUTH)`` unless ``auth`` may do ``perm`` under ``acl``."""
    if not acl:
        return
    if any(who.scheme == "super" for who in auth):
        return
    for a in acl:
        if a.perms & perm:
            scheme = a.id.scheme
            if scheme == "world" and a.id.id == "anyone":
                return
            if scheme in _PROVIDERS:
                for cid in auth:
                    if cid.scheme == scheme and _matches(scheme, cid.id, a.id.id):
                        return
    raise _err(Err.NOAUTH)


def authenticate(
    scheme: str, credential: bytes, peer_ip: str, super_digest: str | None = None
) -> list[Id] | None:
    """The ids an ``AuthPacket`` adds to a connection; None means ``AUTHFAILED``."""
    if scheme == "digest":
        d = digest(credential.decode("utf-8", "replace"))
        ids = [Id("digest", d)]
        if super_digest is not None and d == super_digest:
            ids.insert(0, SUPER)
        return ids
    if scheme == "ip":
        return [Id("ip", peer_ip)]
    return None


def _java_id_hash(i: Id) -> int:
    """The jute-generated ``Id.hashCode()``: ``37 * (37 * 17 + scheme) + id``."""
    h = (37 * 17 + string_hash(i.scheme or "")) & 0xFFFFFFFF
    return (37 * h + string_hash(i.id or "")) & 0xFFFFFFFF


def auth_order(ids: "Sequence[Id]") -> list[Id]:
    """Distinct ids (given in the order they were added) in the order a
    ``ConcurrentHashMap``-backed set iterates them: by bin (the spread hash masked
    to the table size, which starts at 16 and doubles when three quarters full),
    then by insertion within a bin.  (After a resize Java may reorder a bin; with
    the few ids a connection has, no table grows past 16.)"""
    n = 16
    while len(ids) >= n - (n >> 2):
        n *= 2
    return hashset_order(list(ids), n, hash_of=_java_id_hash)  # type: ignore[arg-type]
