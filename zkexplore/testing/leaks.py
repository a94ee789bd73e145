"""Check that nothing started inside a block outlives it: processes, threads,
sockets (ports) and temp dirs.

Linux only (it reads ``/proc``).  Use :class:`LeakCheck` as a context manager, or
the ``no_leaks`` pytest fixture from :mod:`zkexplore.testing.fixtures`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field

__all__ = ["LeakCheck", "Leaks", "descendants", "socket_inodes"]


def descendants(pid: int | None = None) -> set[int]:
    """Pids of every living descendant of ``pid`` (default: this process)."""
    root = os.getpid() if pid is None else pid
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
        except OSError:
            continue
        # the command name may hold spaces and parens: split after the last ')'
        fields = stat[stat.rfind(")") + 2 :].split()
        if fields and fields[0] == "Z":
            continue  # a zombie is dead already
        children.setdefault(int(fields[1]), []).append(int(entry))
    out: set[int] = set()
    todo = [root]
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in out:
                out.add(c)
                todo.append(c)
    return out


def socket_inodes(pids: set[int]) -> set[int]:
    """Inodes of the sockets that these processes hold open."""
    out = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                out.add(int(target[8:-1]))
    return out


def _tcp_sockets(inodes: set[int], state: str) -> dict[int, tuple[int, int]]:
    """inode -> (local port, remote port), for TCP sockets among ``inodes`` in a
    state of /proc/net/tcp ("0A" listening, "01" established)."""
    out = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[3] == state and int(parts[9]) in inodes:
                        local, remote = (int(a.rsplit(":", 1)[1], 16) for a in parts[1:3])
                        out[int(parts[9])] = (local, remote)
        except OSError:
            continue
    return out


def _listening_ports(inodes: set[int]) -> dict[int, int]:
    """inode -> port, for TCP sockets in LISTEN state among ``inodes``."""
    return {inode: local for inode, (local, _) in _tcp_sockets(inodes, "0A").items()}


def connections_between(pids: set[int]) -> list[tuple[int, int]]:
    """(pid, pid) for each established loopback TCP connection that runs directly
    from one of these processes to another (an end on each side)."""
    ends: dict[int, int] = {}  # local port -> owning pid
    for pid in pids:
        for local, _ in _tcp_sockets(socket_inodes({pid}), "01").values():
            ends[local] = pid
    out = []
    for pid in pids:
        for _, remote in _tcp_sockets(socket_inodes({pid}), "01").values():
            other = ends.get(remote)
            if other is not None and other != pid:
                out.append((pid, other))
    return sorted(out)


@dataclass
class Leaks:
    """What outlived the block."""

    processes: list[str] = field(default_factory=list)
    threads: list[str] = field(default_factory=list)
    sockets: int = 0
    listening_ports: list[int] = field(default_factory=list)
    temp_entries: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.processes or self.threads or self.sockets or self.listening_ports or self.temp_entries
        )

    def __str__(self) -> str:
        parts = []
        if self.processes:
            parts.append(f"processes: {self.processes}")
        if self.threads:
            parts.append(f"threads: {self.threads}")
        if self.sockets:
            parts.append(f"{self.sockets} open sockets (listening on {self.listening_ports})")
        if self.temp_entries:
            parts.append(f"temp entries: {self.temp_entries}")
        return "; ".join(parts) or "no leaks"


class LeakCheck:
    """Record what exists on entry; on exit, wait up to ``grace`` seconds for
    everything new to go away, then report what remains in :attr:`leaks`.

    While inside, :mod:`tempfile` creates its files under a private directory, so
    temp dirs made by other processes running side by side do not count.

    Examples
    --------
    >>> with LeakCheck() as check:
    ...     pass
    >>> bool(check.leaks)
    False
    """

    def __init__(self, grace: float = 10.0) -> None:
        self.grace = grace
        self.leaks = Leaks()

    def __enter__(self) -> "LeakCheck":
        self._pids = descendants()
        self._threads = set(threading.enumerate())
        self._sockets = socket_inodes({os.getpid()})
        self._old_tempdir = tempfile.tempdir
        self.tempdir = tempfile.mkdtemp(prefix="zkexplore-leakcheck-")
        tempfile.tempdir = self.tempdir
        return self

    def _now(self) -> Leaks:
        pids = descendants() - self._pids
        procs = []
        for pid in sorted(pids):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
            except OSError:
                continue
            procs.append(f"{pid}: {cmd[:120]}")
        threads = [t.name for t in threading.enumerate() if t not in self._threads and t.is_alive()]
        inodes = socket_inodes({os.getpid(), *pids}) - self._sockets
        ports = sorted(_listening_ports(inodes).values())
        try:
            temp = sorted(os.listdir(self.tempdir))
        except OSError:
            temp = []
        return Leaks(procs, threads, len(inodes), ports, temp)

    def __exit__(self, *exc: object) -> None:
        tempfile.tempdir = self._old_tempdir
        deadline = time.monotonic() + self.grace
        while True:
            leaks = self._now()
            if not leaks or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.leaks = leaks
        shutil.rmtree(self.tempdir, ignore_errors=True)
