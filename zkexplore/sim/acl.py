"""ACLs and authentication as ZooKeeper 3.8 does them (schemes ``world``, ``auth``,
``digest``, ``ip``; ``super`` through a configured super digest).

:func:`fixup_acl` raises ``ZkError(INVALIDACL)`` for an ACL list ZooKeeper refuses,
:func:`check_acl` raises ``ZkError(NOAUTH)`` when no id of the caller grants the
permission.  :func:`authenticate` turns an ``AuthPacket`` into the ids it adds to a
connection, or None when ZooKeeper answers ``AUTHFAILED``.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from typing import TYPE_CHECKING

from .jute import ACL, Err, Id

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["AclCache", "fixup_acl", "check_acl", "digest", "authenticate", "SUPER"]

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


def _valid_ip(expr: str) -> bool:
    try:
        ipaddress.ip_network(expr, strict=False)
    except ValueError:
        return False
    return True


def _valid(scheme: str, ident: str) -> bool:
    if scheme == "digest":
        # Java's String.split(":") drops trailing empty strings
        parts = ident.split(":")
        while parts and parts[-1] == "":
            parts.pop()
        return len(parts) == 2
    if scheme == "ip":
        return _valid_ip(ident)
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
        if scheme == "world" and ident == "anyone":
            out.append(a)
        elif scheme == "auth":
            granted = [ACL(a.perms, cid) for cid in auth if cid.scheme == "digest"]
            if not granted:
                raise _err(Err.INVALIDACL)
            out.extend(granted)
        elif scheme in _PROVIDERS and ident is not None and _valid(scheme, ident):
            out.append(a)
        else:
            raise _err(Err.INVALIDACL)
    return out


def _matches(scheme: str, auth_id: str, acl_id: str) -> bool:
    if scheme == "digest":
        return auth_id == acl_id
    if scheme == "ip":
        try:
            return ipaddress.ip_address(auth_id) in ipaddress.ip_network(acl_id, strict=False)
        except ValueError:
            return False
    return False


def check_acl(acl: "Sequence[ACL]", perm: int, auth: "Sequence[Id]") -> None:
    """Raise ``ZkError(NOAUTH)`` unless ``auth`` may do ``perm`` under ``acl``."""
    if not acl:
        return
    for a in auth:
        if a.scheme == "super":
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
