"""Four-letter words as an operator reads them: watch listings, ephemerals by
session, node and watch counts.  Session ids in the answers become the trial's
labels; only lines that do not depend on ports, times or latencies are kept."""

import re

from ...client import add_watch
from ..differential import Trial, scenario


def _sessions(t: Trial, text: str) -> str:
    return re.sub(r"0x[0-9a-f]+", lambda m: str(t.norm.session(int(m.group(0), 16))), text)


def _ephemerals(t: Trial, dump: str) -> dict[str, object]:
    """dump's "ephemeral nodes dump" section: its header and, by session label, the
    sorted paths (ZooKeeper prints sessions and paths in hash order)."""
    section = dump.split("ephemeral nodes dump:", 1)[1].split("Connections dump:", 1)[0]
    header = ""
    by_session: dict[str, list[str]] = {}
    current: list[str] = []
    for line in section.splitlines():
        if line.startswith("Sessions with Ephemerals"):
            header = line
        elif line.startswith("0x"):
            current = by_session.setdefault(str(t.norm.session(int(line.rstrip(":"), 16))), [])
        elif line.startswith("\t"):
            current.append(line.strip())
    return {"header": header, "sessions": {k: sorted(v) for k, v in sorted(by_session.items())}}


def _listing(t: Trial, text: str) -> dict[str, list[str]]:
    """wchp or wchc as {heading: sorted items}, session ids as labels (ZooKeeper
    prints both levels in hash order, of paths and of connection objects)."""
    out: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        item = _sessions(t, line.strip())
        if line.startswith("\t"):
            current.append(item)
        else:
            current = out.setdefault(item, [])
    return {k: sorted(v) for k, v in sorted(out.items())}


def _keys(text: str, keys: tuple[str, ...], sep: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        k, _, v = line.partition(sep)
        if k.strip() in keys:
            out[k.strip()] = v.strip()
    return out


@scenario(tags=("four-letter", "watches"))
def four_letter_watch_listings(t: Trial) -> None:
    """wchs, wchp and wchc list data and exists watches (persistent ones included)
    but never child watches; mntr's zk_watch_count counts every watch."""
    a = t.client("a")
    b = t.client("b")
    a.create(t.path("n"))
    a.create(t.path("m"))
    a.get(t.path("n"), watch=t.watcher("a-n"))
    a.exists(t.path("missing"), watch=t.watcher("a-missing"))
    a.get_children(t.path(), watch=t.watcher("a-children"))
    b.get(t.path("n"), watch=t.watcher("b-n"))
    add_watch(b, t.path("m"), t.watcher("b-m"))
    add_watch(b, t.path(), t.watcher("b-rec"), recursive=True)
    s = t.ensemble.servers[0]
    t.record("wchs", s.four_letter("wchs"))
    t.record("wchp", _listing(t, s.four_letter("wchp")))
    t.record("wchc", _listing(t, s.four_letter("wchc")))
    t.record("mntr", _keys(s.four_letter("mntr"), ("zk_watch_count",), "\t"))
    t.record("other-server-wchs", t.ensemble.servers[1].four_letter("wchs"))


@scenario(tags=("four-letter", "ephemeral"))
def four_letter_counts(t: Trial) -> None:
    """Node and ephemeral counts as srvr, mntr and dump give them (ZooKeeper counts
    the root twice: it is stored as "" and as "/"); dump lists ephemerals by
    session on a follower too; ruok and isro."""
    a = t.client("a")
    b = t.client("b")
    a.create(t.path("e1"), ephemeral=True)
    a.create(t.path("e2"), ephemeral=True)
    b.create(t.path("p"))
    b.create(t.path("p", "e3"), ephemeral=True)
    for i, s in enumerate(t.ensemble.servers[:2]):
        t.do(f"sync-{i}", t.client(f"syncer{i}", server=s).sync, t.path())
        srvr = _keys(s.four_letter("srvr"), ("Node count",), ":")
        mntr = _keys(s.four_letter("mntr"), ("zk_znode_count", "zk_ephemerals_count"), "\t")
        t.record(f"server-{i}-counts", {**srvr, **mntr})
        t.record(f"server-{i}-ephemerals", _ephemerals(t, s.four_letter("dump")))
    b.delete(t.path("p", "e3"))
    t.do("sync-after-delete", a.sync, t.path())
    t.record("after-delete", _keys(t.ensemble.servers[0].four_letter("mntr"),
                                   ("zk_znode_count", "zk_ephemerals_count"), "\t"))
    s = t.ensemble.servers[0]
    t.record("ruok", s.four_letter("ruok"))
    t.record("isro", s.four_letter("isro"))
