"""The simulated ensemble's data tree: znodes, their stats, and how writes change them.

There is one :class:`DataTree` per simulated ensemble: the *head*, holding every
write the leader has decided.  Each server sees a prefix of that history (the
writes it has applied); a server that lags sees the head through a :class:`View`
built from the undo records of the writes it has not applied yet.  Writes are
linear in ZooKeeper (every server applies the same committed writes in zxid order),
so one tree plus undo records is exact, and costs memory only for the writes in
flight rather than one tree per server.

Every write goes through :meth:`DataTree.execute`, which checks it the way
ZooKeeper's ``PrepRequestProcessor`` does (same checks, same order, same error
codes) and applies it, returning the result, an undo log and the watch triggers.
A failed op raises :class:`ZkError` with the ZooKeeper error code and changes
nothing.  No I/O, no clock: times and zxids are given by the caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .acl import AclCache, check_acl, fixup_acl
from .javahash import grown_capacity, ordered
from .jute import ACL, Err, EventType, Id, Perms, Stat

__all__ = [
    "Node",
    "DataTree",
    "View",
    "ZkError",
    "Trigger",
    "Undo",
    "CONTAINER_OWNER",
    "TTL_OWNER_MASK",
    "TTL_MAX",
    "SPECIAL_PATHS",
    "validate_path",
    "split_parent",
    "parent_of",
]

#: ``ephemeralOwner`` of a container node (``EphemeralType.CONTAINER``: Long.MIN_VALUE).
CONTAINER_OWNER = -0x8000000000000000
#: TTL nodes store ``0xFF00_0000_0000_0000 | ttl`` (as a signed long) in ``ephemeralOwner``.
TTL_OWNER_MASK = 0xFF00000000000000
#: The largest TTL (ms): ``EphemeralType.TTL.maxValue()``, 40 bits.
TTL_MAX = 0x000000FFFFFFFFFF

SPECIAL_PATHS = frozenset({"/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"})


class ZkError(Exception):
    """A ZooKeeper error code (:class:`~zkexplore.sim.jute.Err`) for a failed op."""

    def __init__(self, code: int, path: str | None = None) -> None:
        self.code = int(code)
        self.path = path
        super().__init__(f"{Err(code).name} {path or ''}".strip())


def parent_of(path: str) -> str:
    i = path.rfind("/")
    return path[:i] if i > 0 else "/"


def name_of(path: str) -> str:
    return path[path.rfind("/") + 1 :]


def split_parent(path: Any) -> str:
    """The parent of a path as ``PrepRequestProcessor`` finds it for create and
    delete: everything before the last slash (``""`` for ``"/a"``, which names the
    root).  No slash or a NUL is ``ZkError(BADARGUMENTS)``; nothing else is checked."""
    if not isinstance(path, str):
        raise ZkError(Err.BADARGUMENTS)
    i = path.rfind("/")
    if i == -1 or "\0" in path:
        raise ZkError(Err.BADARGUMENTS, path)
    return path[:i]


def validate_path(path: Any, sequential: bool = False) -> None:
    """ZooKeeper's ``PathUtils.validatePath``; raises ``ZkError(BADARGUMENTS)``."""
    if not isinstance(path, str) or not path or path[0] != "/":
        raise ZkError(Err.BADARGUMENTS, path if isinstance(path, str) else None)
    n = len(path)
    if n == 1:
        return
    if path[-1] == "/" and not sequential:
        raise ZkError(Err.BADARGUMENTS, path)
    last = "/"
    for i in range(1, n):
        c = path[i]
        o = ord(c)
        if o == 0:
            raise ZkError(Err.BADARGUMENTS, path)
        if c == "/" and last == "/":
            raise ZkError(Err.BADARGUMENTS, path)
        if c == "." and last == ".":
            if path[i - 2] == "/" and (i + 1 == n or path[i + 1] == "/"):
                raise ZkError(Err.BADARGUMENTS, path)
        elif c == ".":
            if path[i - 1] == "/" and (i + 1 == n or path[i + 1] == "/"):
                raise ZkError(Err.BADARGUMENTS, path)
        elif (
            0 < o <= 0x1F
            or 0x7F <= o <= 0x9F
            or 0xD800 <= o <= 0xF8FF
            or 0xFFF0 <= o
        ):
            # Java strings are UTF-16: a code point above U+FFFF is two surrogates
            raise ZkError(Err.BADARGUMENTS, path)
        last = c


def _client_owner(owner: int) -> int:
    """What clients see as ``ephemeralOwner``: containers and TTL nodes show 0."""
    return owner if _owner_kind(owner) == "ephemeral" else 0


class Node:
    """One znode.  ``children`` is None for a leaf, to save memory.

    ``cversion`` is stored as ZooKeeper stores it: the number of children ever
    *created*.  Clients see ``2 * cversion - numChildren`` (creates plus deletes),
    and sequential names use the stored count, which is why a sequence number can
    be lower than the cversion a client saw.
    """

    __slots__ = (
        "data", "acl", "czxid", "mzxid", "ctime", "mtime", "version", "cversion",
        "aversion", "owner", "pzxid", "children",
    )  # fmt: skip

    def __init__(self, data: bytes | None, acl: tuple[ACL, ...], zxid: int, time: int, owner: int) -> None:
        self.data = data
        self.acl = acl
        self.czxid = self.mzxid = self.pzxid = zxid
        self.ctime = self.mtime = time
        self.version = self.cversion = self.aversion = 0
        self.owner = owner
        self.children: set[str] | None = None

    def snapshot(self) -> "NodeState":
        return NodeState(
            self.data, self.acl, self.czxid, self.mzxid, self.ctime, self.mtime,
            self.version, self.cversion, self.aversion, self.owner, self.pzxid,
        )  # fmt: skip

    def restore(self, s: "NodeState") -> None:
        (self.data, self.acl, self.czxid, self.mzxid, self.ctime, self.mtime, self.version,
         self.cversion, self.aversion, self.owner, self.pzxid) = s  # fmt: skip

    def stat(self, num_children: int | None = None) -> Stat:
        if num_children is None:
            num_children = len(self.children) if self.children else 0
        return Stat(
            self.czxid, self.mzxid, self.ctime, self.mtime, self.version,
            2 * self.cversion - num_children, self.aversion, _client_owner(self.owner),
            len(self.data or b""), num_children, self.pzxid,
        )  # fmt: skip


class NodeState(tuple):
    """An immutable copy of a node's fields (not its children), for undo and views."""

    __slots__ = ()

    def __new__(cls, *fields: Any) -> "NodeState":
        return tuple.__new__(cls, fields)

    data = property(lambda s: s[0])
    acl = property(lambda s: s[1])
    czxid = property(lambda s: s[2])
    mzxid = property(lambda s: s[3])
    ctime = property(lambda s: s[4])
    mtime = property(lambda s: s[5])
    version = property(lambda s: s[6])
    cversion = property(lambda s: s[7])
    aversion = property(lambda s: s[8])
    owner = property(lambda s: s[9])
    pzxid = property(lambda s: s[10])

    def stat(self, num_children: int) -> Stat:
        return Stat(
            self[2], self[3], self[4], self[5], self[6], 2 * self[7] - num_children, self[8],
            _client_owner(self[9]), len(self[0] or b""), num_children, self[10],
        )  # fmt: skip


#: (path, event type): a watch trigger.  Ordered as ZooKeeper's DataTree fires them.
Trigger = tuple[str, int]

# Undo records, applied in reverse to take a write back or to see the tree before it:
#   ("add", path)          the write created path
#   ("del", path, node)    the write deleted path; node is the Node object it was
#   ("set", path, state)   the write changed path's fields; state is the NodeState before
Undo = tuple[Any, ...]


@dataclass
class Change:
    """What one op (or one whole write) did: its undo log and its watch triggers."""

    undo: list[Undo] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)


def _owner_kind(owner: int) -> str:
    if owner == 0:
        return "persistent"
    if owner == CONTAINER_OWNER:
        return "container"
    if (owner & TTL_OWNER_MASK) == TTL_OWNER_MASK and owner < 0:
        return "ttl"
    return "ephemeral"


class DataTree:
    """The head tree of a simulated ensemble.

    Examples
    --------
    >>> t = DataTree()
    >>> ch = t.create("/a", b"x", (), zxid=5, time=1000, owner=0, auth=())
    >>> t.get("/a").data, t.get("/").cversion
    (b'x', 0)
    """

    def __init__(self, config_data: bytes = b"", config_time: int = 0) -> None:
        self.acls = AclCache()
        self.nodes: dict[str, Node] = {}
        #: session -> its ephemeral paths, in creation order (dict keys)
        self.ephemerals: dict[int, dict[str, None]] = {}
        #: session -> bucket count of ZooKeeper's HashSet of them (for its order)
        self.ephemeral_capacity: dict[int, int] = {}
        self.containers: set[str] = set()
        self.ttls: set[str] = set()
        open_acl = self.acls.intern((ACL(int(Perms.ALL), Id("world", "anyone")),))
        read_acl = self.acls.intern((ACL(int(Perms.READ), Id("world", "anyone")),))
        root = Node(b"", open_acl, 0, 0, 0)
        zk = Node(b"", open_acl, 0, 0, 0)
        quota = Node(b"", open_acl, 0, 0, 0)
        config = Node(config_data, read_acl, 0, config_time, 0)
        config.ctime = 0
        config.version = config.aversion = -1
        self.nodes = {"/": root, "/zookeeper": zk, "/zookeeper/quota": quota, "/zookeeper/config": config}
        root.children = {"zookeeper"}
        zk.children = {"quota", "config"}

    # -- reading ---------------------------------------------------------------

    def get(self, path: str) -> Node | None:
        """The node at ``path``; ``""`` is the root too (ZooKeeper's ``DataTree``
        keeps the root under both names, so reads of ``""`` see it)."""
        return self.nodes.get("/" if path == "" else path)

    def children(self, path: str) -> set[str]:
        node = self.nodes.get("/" if path == "" else path)
        return set(node.children) if node is not None and node.children else set()

    def __len__(self) -> int:
        return len(self.nodes)

    def session_ephemerals(self, session: int) -> list[str]:
        """A session's ephemeral paths in the order ZooKeeper lists them (a cloned
        Java HashSet's order)."""
        paths = self.ephemerals.get(session)
        if not paths:
            return []
        return ordered(paths, self.ephemeral_capacity.get(session, 16))

    def kind(self, path: str) -> str:
        """``"persistent"``, ``"ephemeral"``, ``"container"`` or ``"ttl"``."""
        node = self.nodes[path]
        return _owner_kind(node.owner)

    def walk(self, path: str = "/") -> Iterator[str]:
        """Every path at and below ``path`` (parents before children)."""
        todo = [path]
        while todo:
            p = todo.pop()
            node = self.nodes.get(p)
            if node is None:
                continue
            yield p
            if node.children:
                prefix = p if p != "/" else ""
                todo.extend(f"{prefix}/{c}" for c in node.children)

    # -- the primitive changes, each recorded for undo ---------------------------

    def _touch(self, path: str, node: Node, ch: Change) -> None:
        ch.undo.append(("set", path, node.snapshot()))

    def _attach(self, path: str, node: Node) -> None:
        """Put ``node`` at ``path``: in the parent's children, the map, the indexes."""
        parent = self.nodes[parent_of(path)]
        if parent.children is None:
            parent.children = set()
        parent.children.add(name_of(path))
        self.nodes[path] = node
        self._index(path, node)

    def _detach(self, path: str) -> Node:
        """Take the node at ``path`` out of the tree; returns it."""
        node = self.nodes.pop(path)
        parent = self.nodes[parent_of(path)]
        assert parent.children is not None
        parent.children.discard(name_of(path))
        if not parent.children:
            parent.children = None
        self._unindex(path, node)
        return node

    def _add(self, path: str, node: Node, ch: Change) -> None:
        self._attach(path, node)
        ch.undo.append(("add", path))

    def _index(self, path: str, node: Node) -> None:
        kind = _owner_kind(node.owner)
        if kind == "ephemeral":
            paths = self.ephemerals.setdefault(node.owner, {})
            paths[path] = None
            cap = self.ephemeral_capacity.get(node.owner, 16)
            self.ephemeral_capacity[node.owner] = grown_capacity(cap, len(paths))
        elif kind == "container":
            self.containers.add(path)
        elif kind == "ttl":
            self.ttls.add(path)

    def _unindex(self, path: str, node: Node) -> None:
        kind = _owner_kind(node.owner)
        if kind == "ephemeral":
            paths = self.ephemerals.get(node.owner)
            if paths is not None:
                paths.pop(path, None)
                if not paths:
                    del self.ephemerals[node.owner]
        elif kind == "container":
            self.containers.discard(path)
        elif kind == "ttl":
            self.ttls.discard(path)

    def _remove(self, path: str, ch: Change) -> Node:
        node = self._detach(path)
        ch.undo.append(("del", path, node))
        return node

    def undo(self, undo: list[Undo]) -> None:
        """Take back the changes of an undo log (newest first)."""
        for rec in reversed(undo):
            kind, path = rec[0], rec[1]
            if kind == "set":
                self.nodes[path].restore(rec[2])
            elif kind == "add":
                self._detach(path)
            else:  # del
                self._attach(path, rec[2])

    # -- ops, checked like PrepRequestProcessor ------------------------------------

    def _node(self, path: str) -> Node:
        node = self.nodes.get("/" if path == "" else path)
        if node is None:
            raise ZkError(Err.NONODE, path)
        return node

    def create(
        self,
        path: str,
        data: bytes | None,
        acl: tuple[ACL, ...] | list[ACL],
        *,
        zxid: int,
        time: int,
        owner: int,
        auth: tuple[Id, ...] | list[Id],
        sequential: bool = False,
        ch: Change | None = None,
    ) -> tuple[str, Change]:
        """Create a node; returns its actual path (with the sequence suffix).

        The checks run in ``pRequest2TxnCreate``'s order: the parent is found by the
        last slash, the ACL fixed up, the parent looked up (NoNode) and its CREATE
        permission checked *before* the full path is validated, so ``/a/`` under a
        missing ``/a`` is NoNode but under an existing one BadArguments.
        """
        ch = ch if ch is not None else Change()
        parent_path = split_parent(path) or "/"
        fixed = fixup_acl(acl, auth)
        parent = self._node(parent_path)
        check_acl(parent.acl, Perms.CREATE, auth)
        if sequential:
            path = f"{path}{parent.cversion:010d}"
        validate_path(path)
        if path in self.nodes:
            raise ZkError(Err.NODEEXISTS, path)
        if _owner_kind(parent.owner) == "ephemeral":
            raise ZkError(Err.NOCHILDRENFOREPHEMERALS, path)
        self._touch(parent_path, parent, ch)
        parent.cversion += 1
        parent.pzxid = zxid
        node = Node(data, self.acls.intern(fixed), zxid, time, owner)
        self._add(path, node, ch)
        ch.triggers.append((path, EventType.NodeCreated))
        ch.triggers.append((parent_path, EventType.NodeChildrenChanged))
        return path, ch

    def delete(
        self, path: str, version: int, *, zxid: int, auth: tuple[Id, ...] | list[Id],
        ch: Change | None = None, check_perms: bool = True,
    ) -> Change:
        ch = ch if ch is not None else Change()
        # getParentPathAndValidate: only a missing slash, a NUL or a special path
        # is refused here; "/a/" is looked up (and is NoNode)
        parent_path = split_parent(path) or "/"
        if path in SPECIAL_PATHS:
            raise ZkError(Err.BADARGUMENTS, path)
        parent = self._node(parent_path)
        if check_perms:
            check_acl(parent.acl, Perms.DELETE, auth)
        node = self._node(path)
        if version != -1 and version != node.version:
            raise ZkError(Err.BADVERSION, path)
        if node.children:
            raise ZkError(Err.NOTEMPTY, path)
        self._delete_node(path, zxid, ch)
        return ch

    def _delete_node(self, path: str, zxid: int, ch: Change) -> None:
        parent_path = parent_of(path)
        parent = self.nodes[parent_path]
        self._touch(parent_path, parent, ch)
        if zxid > parent.pzxid:
            parent.pzxid = zxid
        self._remove(path, ch)
        ch.triggers.append((path, EventType.NodeDeleted))
        ch.triggers.append((parent_path, EventType.NodeChildrenChanged))

    def set_data(
        self, path: str, data: bytes | None, version: int, *, zxid: int, time: int,
        auth: tuple[Id, ...] | list[Id], ch: Change | None = None,
    ) -> tuple[Stat, Change]:
        ch = ch if ch is not None else Change()
        validate_path(path)
        node = self._node(path)
        check_acl(node.acl, Perms.WRITE, auth)
        if version != -1 and version != node.version:
            raise ZkError(Err.BADVERSION, path)
        self._touch(path, node, ch)
        node.data = data
        node.version = _next_version(node.version)
        node.mzxid = zxid
        node.mtime = time
        ch.triggers.append((path, EventType.NodeDataChanged))
        return node.stat(), ch

    def set_acl(
        self, path: str, acl: tuple[ACL, ...] | list[ACL], version: int, *, zxid: int,
        auth: tuple[Id, ...] | list[Id], ch: Change | None = None,
    ) -> tuple[Stat, Change]:
        ch = ch if ch is not None else Change()
        validate_path(path)
        fixed = fixup_acl(acl, auth)
        node = self._node(path)
        check_acl(node.acl, Perms.ADMIN, auth)
        if version != -1 and version != node.aversion:
            raise ZkError(Err.BADVERSION, path)
        self._touch(path, node, ch)
        node.acl = self.acls.intern(fixed)
        node.aversion = _next_version(node.aversion)
        return node.stat(), ch

    def check(self, path: str, version: int, *, auth: tuple[Id, ...] | list[Id]) -> None:
        validate_path(path)
        node = self._node(path)
        check_acl(node.acl, Perms.READ, auth)
        if version != -1 and version != node.version:
            raise ZkError(Err.BADVERSION, path)

    def kill_session(self, session: int, zxid: int, ch: Change | None = None) -> Change:
        """Delete a closed or expired session's ephemerals."""
        ch = ch if ch is not None else Change()
        for path in sorted(self.ephemerals.get(session, ()), reverse=True):
            if path in self.nodes:
                self._delete_node(path, zxid, ch)
        self.ephemeral_capacity.pop(session, None)
        return ch

    def delete_unchecked(self, path: str, zxid: int, ch: Change | None = None) -> Change:
        """Delete without ACL or version checks (container and TTL cleanup)."""
        ch = ch if ch is not None else Change()
        node = self._node(path)
        if node.children:
            raise ZkError(Err.NOTEMPTY, path)
        self._delete_node(path, zxid, ch)
        return ch


def _next_version(v: int) -> int:
    return v + 1 if v < 0x7FFFFFFF else -0x80000000


class View:
    """The head tree as a server sees it after applying writes up to some zxid.

    Built from the undo logs of the writes the server has not applied (oldest
    first); reads fall through to the head where nothing was changed since.
    """

    def __init__(self, tree: DataTree, pending: list[list[Undo]]) -> None:
        self.tree = tree
        self.before: dict[str, NodeState | None] = {}
        self.child_at: dict[str, dict[str, bool]] = {}
        for undo in reversed(pending):  # newest first: the oldest write's record wins
            for rec in reversed(undo):
                kind, path = rec[0], rec[1]
                if kind == "set":
                    self.before[path] = rec[2]
                elif kind == "add":
                    self.before[path] = None
                    self.child_at.setdefault(parent_of(path), {})[name_of(path)] = False
                else:
                    self.before[path] = rec[2].snapshot()
                    self.child_at.setdefault(parent_of(path), {})[name_of(path)] = True

    def get(self, path: str) -> Node | NodeState | None:
        path = "/" if path == "" else path
        if path in self.before:
            return self.before[path]
        return self.tree.nodes.get(path)

    def children(self, path: str) -> set[str]:
        path = "/" if path == "" else path
        if self.get(path) is None:
            return set()
        head = self.tree.nodes.get(path)
        kids = set(head.children) if head is not None and head.children else set()
        for name, present in self.child_at.get(path, {}).items():
            if present:
                kids.add(name)
            else:
                kids.discard(name)
        return kids
