"""zkCli-style commands on a kazoo client: ``ls``, ``get``, ``stat``, ``create``,
``set``, ``delete``, ``deleteall``.

:func:`run_command` parses one command line and runs it, returning the text zkCli
would print (or a one-line error).  It raises nothing for ZooKeeper errors or bad
input: errors come back as :class:`CommandResult` with ``ok=False`` and a message
naming the path or argument that was wrong.  A read-only client's refusal
(:class:`~zkexplore.errors.ReadOnlyError`) is reported the same way.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadArgumentsError,
    BadVersionError,
    KazooException,
    NoAuthError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
)
from kazoo.protocol.states import ZnodeStat

from . import client as zkx
from .errors import ReadOnlyError

__all__ = ["run_command", "CommandResult", "format_stat", "format_data", "COMMANDS"]

COMMANDS = {
    "ls": "ls [-s] [-R] path",
    "get": "get [-s] path",
    "stat": "stat path",
    "create": "create [-e] [-s] [-c] path [data]",
    "set": "set [-v version] path data",
    "delete": "delete [-v version] path",
    "deleteall": "deleteall path",
    "help": "help",
}


@dataclass(frozen=True)
class CommandResult:
    """What a command printed; ``ok`` is False for errors; ``changed`` lists paths
    the command created, changed or deleted (for views to highlight)."""

    ok: bool
    text: str
    changed: tuple[str, ...] = ()


def format_stat(st: ZnodeStat) -> str:
    """A stat as zkCli prints it."""
    import time

    def t(ms: int) -> str:
        return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(ms / 1000))

    return "\n".join([
        f"cZxid = 0x{st.czxid:x}", f"ctime = {t(st.ctime)}", f"mZxid = 0x{st.mzxid:x}",
        f"mtime = {t(st.mtime)}", f"pZxid = 0x{st.pzxid:x}", f"cversion = {st.cversion}",
        f"dataVersion = {st.version}", f"aclVersion = {st.aversion}",
        f"ephemeralOwner = 0x{st.ephemeralOwner & 0xFFFFFFFFFFFFFFFF:x}",
        f"dataLength = {st.dataLength}", f"numChildren = {st.numChildren}",
    ])  # fmt: skip


def format_data(data: bytes | None) -> tuple[str, str]:
    """(kind, text): ``("null", "null")``, ``("json", pretty)``, ``("text", str)`` or
    ``("binary", hex dump)``."""
    import json

    if data is None:
        return "null", "null"
    try:
        text = data.decode("utf-8")
        if any(not c.isprintable() and c not in "\n\r\t" for c in text):
            raise UnicodeDecodeError("utf-8", data, 0, 1, "control characters")
    except UnicodeDecodeError:
        lines = []
        for i in range(0, min(len(data), 512), 16):
            chunk = data[i : i + 16]
            hexes = " ".join(f"{b:02x}" for b in chunk)
            ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
            lines.append(f"{i:04x}  {hexes:<47}  {ascii_}")
        if len(data) > 512:
            lines.append(f"... {len(data) - 512} more bytes")
        return "binary", "\n".join(lines)
    stripped = text.strip()
    if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
        try:
            return "json", json.dumps(json.loads(stripped), indent=2, sort_keys=True)
        except ValueError:
            pass
    return "text", text


def _err(msg: str) -> CommandResult:
    return CommandResult(False, msg)


def _ls_recursive(zk: KazooClient, path: str) -> list[str]:
    out = [path]
    for kid in sorted(zk.get_children(path)):
        out += _ls_recursive(zk, f"{path.rstrip('/')}/{kid}")
    return out


def run_command(zk: KazooClient, line: str) -> CommandResult:
    """Run one zkCli-style command line.

    Examples
    --------
    >>> run_command(zk, "create -e /hello world").text              # doctest: +SKIP
    'Created /hello'
    >>> run_command(zk, "get /missing").text                        # doctest: +SKIP
    'Node does not exist: /missing'
    """
    try:
        words = shlex.split(line)
    except ValueError as e:
        return _err(f"cannot parse {line!r}: {e}")
    if not words:
        return CommandResult(True, "")
    cmd, args = words[0], words[1:]
    flags = {a for a in args if a.startswith("-") and len(a) == 2 and a[1].isalpha()}
    rest = [a for a in args if a not in flags]
    version = -1
    if "-v" in flags:
        if not rest or not rest[0].lstrip("-").isdigit():
            return _err(f"{cmd}: -v needs a version number")
        version = int(rest.pop(0))
    if cmd == "help":
        return CommandResult(True, "\n".join(COMMANDS.values()))
    if cmd not in COMMANDS:
        return _err(f"unknown command {cmd!r}; commands: {', '.join(COMMANDS)}")
    if not rest:
        return _err(f"usage: {COMMANDS[cmd]}")
    path = rest[0]
    if not path.startswith("/"):
        return _err(f"Path must start with / character: {path!r}")
    try:
        if cmd == "ls":
            if "-R" in flags:
                return CommandResult(True, "\n".join(_ls_recursive(zk, path)))
            kids, st = zk.get_children(path, include_data=True)
            text = "[" + ", ".join(sorted(kids)) + "]"
            return CommandResult(True, text + ("\n" + format_stat(st) if "-s" in flags else ""))
        if cmd == "get":
            data, st = zk.get(path)
            text = format_data(data)[1]
            return CommandResult(True, text + ("\n" + format_stat(st) if "-s" in flags else ""))
        if cmd == "stat":
            st = zk.exists(path)
            if st is None:
                raise NoNodeError(path)
            return CommandResult(True, format_stat(st))
        if cmd == "create":
            data = rest[1].encode() if len(rest) > 1 else None
            if "-c" in flags:
                made = zkx.create_container(zk, path, data or b"")
            else:
                made = zk.create(path, data if data is not None else b"", ephemeral="-e" in flags,
                                 sequence="-s" in flags)
            return CommandResult(True, f"Created {made}", (made,))
        if cmd == "set":
            if len(rest) < 2:
                return _err(f"usage: {COMMANDS['set']}")
            zk.set(path, rest[1].encode(), version=version)
            return CommandResult(True, "", (path,))
        if cmd == "delete":
            zk.delete(path, version=version)
            return CommandResult(True, "", (path,))
        if cmd == "deleteall":
            zk.delete(path, recursive=True)
            return CommandResult(True, "", (path,))
    except ReadOnlyError as e:
        return _err(str(e))
    except NoNodeError:
        return _err(f"Node does not exist: {path}")
    except NodeExistsError:
        return _err(f"Node already exists: {path}")
    except NotEmptyError:
        return _err(f"Node not empty: {path}")
    except BadVersionError:
        return _err(f"version No is not valid : {path}")
    except NoAuthError:
        return _err(f"Insufficient permission : {path}")
    except BadArgumentsError:
        return _err(f"Bad arguments: {path}")
    except (KazooException, ValueError) as e:
        return _err(f"{cmd} {path}: {type(e).__name__}: {e}")
    return _err(f"usage: {COMMANDS[cmd]}")
