"""Four-letter words of a simulated server, in ZooKeeper 3.8's formats.

``ruok srvr stat mntr cons wchc wchp wchs dump envi conf isro`` (plus ``crst``,
``srst``, ``dirs``, ``gtmk``, ``stmk``).  Watch listings show data and exists
watches only, as ZooKeeper's do; ``mntr``'s ``zk_watch_count`` counts all.
"""

from __future__ import annotations

import platform
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cluster import Cluster, Conn, ServerCore

__all__ = ["answer", "NOT_SERVING"]

NOT_SERVING = "This ZooKeeper instance is not currently serving requests\n"


def _mode(cluster: "Cluster", s: "ServerCore") -> str:
    if s.ro:
        return "read-only"
    if len(cluster.servers) == 1:
        return "standalone"
    return {"leader": "leader", "follower": "follower"}.get(s.role, "looking")


def _version(cluster: "Cluster") -> str:
    return f"Zookeeper version: {cluster.config.version}, built on 2026-01-01 00:00 UTC"


def _node_count(cluster: "Cluster") -> int:
    """``DataTree.getNodeCount()``: ZooKeeper stores the root under "" and "/", and
    counts it twice."""
    return len(cluster.tree) + 1


def _stats(cluster: "Cluster", s: "ServerCore") -> list[str]:
    lines = [
        "Latency min/avg/max: 0/0.0/0",
        f"Received: {s.stats['received']}",
        f"Sent: {sum(c.sent for c in s.conns) + s.stats['sent']}",
        f"Connections: {len(s.conns)}",
        "Outstanding: 0",
        f"Zxid: 0x{s.applied:x}",
        f"Mode: {_mode(cluster, s)}",
        f"Node count: {_node_count(cluster)}",
    ]
    if s.role == "leader" and len(cluster.servers) > 1:
        lines.append("Proposal sizes last/min/max: -1/-1/-1")
    return lines


def _conn_line(c: "Conn", full: bool) -> str:
    head = f" /{c.peer[0]}:{c.peer[1]}[{1 if c.state == 'open' else 0}](queued=0,recved={c.received},sent={c.sent}"
    if not full or c.session is None:
        return head + ")"
    return (
        f"{head},sid=0x{c.session.id:x},lop={c.last_op},est={int(c.established * 1000)},"
        f"to={c.timeout},lcxid=0x0,lzxid=0x{c.last_zxid:x},lresp=0,llat=0,minlat=0,avglat=0,maxlat=0)"
    )


def answer(cluster: "Cluster", s: "ServerCore", word: str) -> str:
    """The text a server answers to ``word``."""
    serving = s.serving
    if word == "ruok":
        return "imok"
    if word == "isro":
        return "ro" if s.ro else "rw" if serving else "null"
    if word == "envi":
        return (
            "Environment:\n"
            f"zookeeper.version={cluster.config.version}, built on 2026-01-01 00:00 UTC\n"
            "host.name=localhost\n"
            "java.version=simulated (zkexplore)\n"
            f"os.name={platform.system()}\n"
            f"user.name=zkexplore\n"
        )
    if word == "conf":
        c = cluster.config
        lines = [
            f"clientPort={s.port}",
            "secureClientPort=-1",
            "dataDir=(in memory)",
            "dataDirSize=0",
            f"tickTime={c.tick_ms}",
            "maxClientCnxns=0",
            f"minSessionTimeout={c.min_session_timeout}",
            f"maxSessionTimeout={c.max_session_timeout}",
            f"serverId={s.id}",
        ]
        if len(cluster.servers) > 1:
            lines += [f"initLimit={c.init_limit}", f"syncLimit={c.sync_limit}", "electionAlg=3",
                      "electionPort=-1", "quorumPort=-1", "peerType=0"]
            lines += [f"server.{o.id}=127.0.0.1:0:0:participant" for o in cluster.servers]
        return "\n".join(lines) + "\n"
    if word in ("crst", "srst"):
        return "Connection stats reset.\n" if word == "crst" else "Server stats reset.\n"
    if word in ("dirs",):
        return "datadir_size: 0\nlogdir_size: 0\n"
    if word in ("gtmk", "stmk"):
        return "0\n"
    if not serving and not s.ro:
        return NOT_SERVING
    if word == "srvr":
        return "\n".join([_version(cluster), *_stats(cluster, s)]) + "\n"
    if word == "stat":
        lines = [_version(cluster), "Clients:"]
        lines += [_conn_line(c, False) for c in sorted(s.conns, key=lambda c: c.id)]
        lines += [""] + _stats(cluster, s)
        return "\n".join(lines) + "\n"
    if word == "cons":
        return "".join(_conn_line(c, True) + "\n" for c in sorted(s.conns, key=lambda c: c.id)) + "\n"
    if word == "mntr":
        tree = cluster.tree
        ephemerals = sum(len(v) for v in tree.ephemerals.values())
        size = sum(len(p) + len(n.data or b"") for p, n in tree.nodes.items())
        rows = [
            ("zk_version", f"{cluster.config.version}, built on 2026-01-01 00:00 UTC"),
            ("zk_server_state", _mode(cluster, s)),
            ("zk_avg_latency", "0.0"),
            ("zk_max_latency", "0"),
            ("zk_min_latency", "0"),
            ("zk_packets_received", str(s.stats["received"])),
            ("zk_packets_sent", str(sum(c.sent for c in s.conns))),
            ("zk_num_alive_connections", str(len(s.conns))),
            ("zk_outstanding_requests", "0"),
            ("zk_znode_count", str(_node_count(cluster))),
            ("zk_watch_count", str(s.watches.count())),
            ("zk_ephemerals_count", str(ephemerals)),
            ("zk_approximate_data_size", str(size)),
            ("zk_open_file_descriptor_count", str(len(s.conns) + 10)),
            ("zk_max_file_descriptor_count", "1048576"),
        ]
        if s.role == "leader":
            followers = len(cluster.members) - 1
            rows += [("zk_learners", str(followers)), ("zk_synced_followers", str(followers)),
                     ("zk_pending_syncs", "0"), ("zk_last_proposal_size", "-1"),
                     ("zk_max_proposal_size", "-1"), ("zk_min_proposal_size", "-1")]
        return "".join(f"{k}\t{v}\n" for k, v in rows)
    if word == "wchs":
        by_watcher = s.watches.data_paths_by_watcher()
        paths = {p for ps in by_watcher.values() for p in ps}
        total = sum(len(ps) for ps in by_watcher.values())
        return f"{len(by_watcher)} connections watching {len(paths)} paths\nTotal watches:{total}\n"
    if word == "wchc":
        out = []
        watching: dict[Any, Any] = s.watches.data_paths_by_watcher()  # connection -> paths
        for conn, paths in sorted(watching.items(), key=lambda kv: kv[0].id):
            sid = conn.session.id if conn.session else 0
            out.append(f"0x{sid:x}\n" + "".join(f"\t{p}\n" for p in sorted(paths)))
        return "".join(out) + "\n"
    if word == "wchp":
        out = []
        watched: dict[str, Any] = s.watches.data_watchers_by_path()  # path -> connections
        for path, conns in sorted(watched.items()):
            out.append(f"{path}\n" + "".join(
                f"\t0x{(c.session.id if c.session else 0):x}\n" for c in conns))
        return "".join(out) + "\n"
    if word == "dump":
        lines = ["SessionTracker dump:"]
        sessions = sorted(cluster.sessions.values(), key=lambda x: x.id)
        lines.append(f"Global Sessions({len(sessions)}):")
        for x in sessions:
            lines.append(f"0x{x.id:x}\t{x.timeout}ms")
        eph = cluster.tree.ephemerals
        lines.append("ephemeral nodes dump:")
        lines.append(f"Sessions with Ephemerals ({len(eph)}):")
        for sid in sorted(eph):
            lines.append(f"0x{sid:x}:")
            lines += [f"\t{p}" for p in sorted(eph[sid])]
        lines.append("Connections dump:")
        lines.append(f"Connections Sets ({len(s.conns)})")
        return "\n".join(lines) + "\n"
    return f"{word} is not executed because it is not in the whitelist.\n"
