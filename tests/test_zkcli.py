"""ZooKeeper's own shell, zkCli.sh, sees the same thing from ``zkexplore sim`` as from real servers.

One zkCli.sh process per ensemble reads a whole command script from stdin (zkCli 3.8 reads
commands line by line from a non-terminal stdin when JLine is missing, as on Debian; one JVM for
the script instead of one per command).  Its stdout and stderr go into one pipe: zkCli prints
"Created ..." and the error texts on stderr, the rest on stdout, each ``println`` flushed at
once, so the merged stream keeps the order in which the main thread printed.  The normalised
transcripts of the simulated and the real ensemble must be identical; see :func:`normalise`
for what is normalised and why.
"""

from __future__ import annotations

import difflib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from zkexplore.ensembles._zkinstall import find_zookeeper
from zkexplore.testing.fixtures import SIM_SEED

# the base64 SHA-1 digests of "user:pw" and "other:secret", as digest ACLs want them
USER_DIGEST = "user:2Om+GBbT2q/tS6pdvACZbbm7/1A="
OTHER_DIGEST = "other:8q+cqA9FicvypK1WV0YuCD5XdXU="

#: Everything happens under /t (fresh for each run), so that zxids seen in the transcript all
#: come from this script.  Every command that fires a watch is followed by ``sync /`` before the
#: next ``sync``: the client's event thread prints the WatchedEvent before it runs the sync
#: callback, so the event is printed before "Sync is OK" (see `normalise`).  /t/ip, which this
#: session cannot read, is deleted on its own: deleteall lists children, which needs READ, and the
#: fixture's wipe would stumble on it too.
SCRIPT = f"""\
create /t
get /t
create /t/data hello
create /t/q "two words"
get /t/q
create -e /t/e1 one
create -e /t/e2 two
create -s /t/seq- a
create -s /t/seq- b
create -e -s /t/eseq- c
create -c /t/box
create /t/box/item x
ls /t
ls -s /t
ls -R /t
get -s /t/data
stat /t/e1
stat /t/box
getEphemerals /t
getEphemerals
getAllChildrenNumber /t
getAllChildrenNumber /
get -w /t/data
set /t/data world
sync /
set -s -v 1 /t/data again
set -v 1 /t/data stale
get -s /t/data
ls -w /t/box
create /t/box/item2
sync /
stat -w /t/later
create /t/later
sync /
addWatch -m PERSISTENT_RECURSIVE /t/r
create /t/r
create /t/r/a 1
set /t/r/a 2
create /t/r/a/b
delete /t/r/a/b
sync /
delete -v 5 /t/data
delete -v 2 /t/data
stat /t/data
get /missing
create /a/b/c
delete /t
stat /missing
ls /missing
set /missing x
create /t/box
getAcl /t
create /t/x xdata
setAcl -v 5 /t/x world:anyone:r
setAcl /t/x world:anyone:r
getAcl /t/x
set /t/x nope
get /t/x
create /t/ip i
setAcl -s /t/ip ip:10.1.2.3:cdrwa
get /t/ip
create /t/noauth n auth::cdrwa
addauth digest user:pw
whoami
create /t/d secret digest:{USER_DIGEST}:cdrwa
getAcl /t/d
get /t/d
setAcl /t/d digest:{OTHER_DIGEST}:cdrwa
get /t/d
getAcl /t/d
addauth digest other:secret
get /t/d
getAcl -s /t/d
create /t/au x auth::cdrwa
getAcl /t/au
whoami
delete /t/ip
deleteall /t
sync /
ls /
printwatches off
quit
"""

ZKCLI_TIMEOUT = 90.0  # seconds for a whole script (it takes 0.3-0.7 s)

# zkCli.sh passes $CLIENT_JVMFLAGS $JVMFLAGS to its JVM: a short-lived client needs neither
# the optimising JIT nor a big heap, and the class-data archive speeds up class loading (the
# whole script takes 0.3-0.6 s either way here; the flags save a few tens of ms).
FAST_JVM = "-XX:TieredStopAtLevel=1 -Xshare:auto -XX:+UseSerialGC -Xms16m -Xss512k"


def zkcli_path() -> str:
    install = find_zookeeper()
    path = os.path.join(install.bin_dir or "/usr/share/zookeeper/bin", "zkCli.sh")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no zkCli.sh at {path} (install Debian's zookeeper package)")
    return path


def run_zkcli(hosts: str, script: str, timeout: float = ZKCLI_TIMEOUT) -> tuple[int, str]:
    """Feed ``script`` to one zkCli.sh connected to ``hosts``: (exit code, stdout+stderr).

    ``-waitforconnection`` makes zkCli wait for the session before it reads a command, so the
    connection's WatchedEvent always comes first.
    """
    env = dict(os.environ, JVMFLAGS=FAST_JVM, CLIENT_JVMFLAGS="")
    # zkCli.sh runs java as a child of bash: a session of its own lets a timeout kill both
    proc = subprocess.Popen(
        [zkcli_path(), "-server", hosts, "-waitforconnection"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=env, start_new_session=True,
    )
    try:
        out, _ = proc.communicate(script.encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"zkCli.sh did not finish within {timeout} s; it printed:\n{out.decode(errors='replace')}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, out.decode("utf-8", errors="replace")


_ZXID = re.compile(r"^([cmp]Zxid) = 0x([0-9a-f]+)$")
_TIME = re.compile(r"^([cm]time) = .+$")
_OWNER = re.compile(r"^ephemeralOwner = (0x[0-9a-f]+)$")
_EVENT_HEADS = ("WATCHER::", "WatchedEvent ")
# lines after which every event printed before them has been printed
_BARRIERS = ("Welcome to ZooKeeper!", "Sync is OK")


def normalise(output: str) -> list[str]:
    """zkCli's transcript with what legitimately differs between two ensembles replaced.

    - ``SLF4J:`` lines are dropped: they are the JVM's logging setup complaining about the
      classpath (no binding), printed by whichever thread logs first, not the server's answer.
    - ``Connecting to HOSTS``: the ports are free ports chosen at run time.
    - zxids become offsets from the first zxid of the transcript (``+n``, or ``e+k:n`` in a later
      epoch): the real ensemble has served earlier tests, so its counter does not start where a
      fresh simulation's does, but each write of the script (failed ones included) must take the
      same number of zxids on both.
    - ``ctime``/``mtime``: wall clock (second resolution) on one side, the simulation's clock on
      the other.
    - ``ephemeralOwner``: session ids are made of server id and time; any non-zero owner becomes
      ``<session N>`` numbered in order of appearance (0x0 stays).
    - Watch notifications are printed by the client's event thread while the main thread prints
      the next command's output, so their place among the other lines varies from run to run
      (it did against the real servers).  Each is moved to just before the next barrier: "Sync
      is OK" (the event thread prints the event before it runs the sync's callback) or "Welcome"
      (``-waitforconnection``).  The events keep their order (one event thread).
    """
    lines = output.splitlines()
    events: list[str] = []
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        # ZooKeeperMain.printMessage prints "\n" + msg in one println: a blank line then msg
        if line == "" and i + 1 < len(lines) and lines[i + 1].startswith(_EVENT_HEADS):
            events += ["", lines[i + 1]]
            i += 2
            continue
        if line in _BARRIERS:
            kept += events
            events = []
        kept.append(line)
        i += 1
    kept += events

    out: list[str] = []
    base: int | None = None
    sessions: dict[str, str] = {}
    for line in kept:
        if line.startswith("SLF4J:"):
            continue
        if line.startswith("Connecting to "):
            line = "Connecting to <hosts>"
        elif m := _ZXID.match(line):
            zxid = int(m.group(2), 16)
            if base is None:
                base = zxid
            if zxid >> 32 == base >> 32:
                line = f"{m.group(1)} = {zxid - base:+d}"
            else:
                line = f"{m.group(1)} = e{(zxid >> 32) - (base >> 32):+d}:{zxid & 0xFFFFFFFF}"
        elif m := _TIME.match(line):
            line = f"{m.group(1)} = <time>"
        elif (m := _OWNER.match(line)) and int(m.group(1), 16) != 0:
            owner = sessions.setdefault(m.group(1), f"<session {len(sessions) + 1}>")
            line = f"ephemeralOwner = {owner}"
        out.append(line)
    return out


def transcript_diff(real: list[str], sim: list[str]) -> str:
    return "\n".join(difflib.unified_diff(real, sim, "real ZooKeeper", "zkexplore sim", lineterm="", n=4))


@pytest.fixture(scope="module")
def sim_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``zkexplore sim --size 3`` on free ports, in a subprocess; its hosts string."""
    err_path = tmp_path_factory.mktemp("zkcli") / "sim.stderr"
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zkexplore", "sim", "--size", "3", "--port", "0", "--seed", str(SIM_SEED)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
        )
    try:
        first: list[bytes] = []
        reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(60)
        hosts = first[0].decode().strip() if first else ""
        if not re.fullmatch(r"127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){2}", hosts):
            pytest.fail(f"zkexplore sim printed {hosts!r}, not 3 loopback servers; stderr:\n"
                        f"{err_path.read_text(errors='replace')}")
        yield hosts
        assert proc.poll() is None, f"zkexplore sim died: {err_path.read_text(errors='replace')}"
    finally:
        if proc.poll() is None:
            proc.terminate()  # SIGTERM: the sim stops its servers and exits
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)
        proc.stdout.close()  # type: ignore[union-attr]


def test_normalise_moves_watch_events_to_the_next_sync():
    out = "\n".join([
        "SLF4J: Failed to load class", "Connecting to 127.0.0.1:1,127.0.0.1:2",
        "", "WATCHER::", "", "WatchedEvent state:SyncConnected type:None path:null",
        "Welcome to ZooKeeper!",
        "", "WATCHER::", "Created /t/r", "", "WatchedEvent state:SyncConnected type:NodeCreated path:/t/r",
        "", "", "WATCHER::", "", "WatchedEvent state:SyncConnected type:NodeCreated path:/t/r/a",
        "Sync is OK",
        "cZxid = 0x300000010", "ctime = Fri Dec 04 17:22:39 UTC 2026", "pZxid = 0x30000000e",
        "mZxid = 0x400000001", "ephemeralOwner = 0x3000033602d0000", "ephemeralOwner = 0x0",
    ])
    ev = "WatchedEvent state:SyncConnected type:"
    assert normalise(out) == [
        "Connecting to <hosts>",
        "", "WATCHER::", "", ev + "None path:null",
        "Welcome to ZooKeeper!",
        "Created /t/r", "",
        "", "WATCHER::", "", ev + "NodeCreated path:/t/r", "", "WATCHER::", "", ev + "NodeCreated path:/t/r/a",
        "Sync is OK",
        "cZxid = +0", "ctime = <time>", "pZxid = -2", "mZxid = e+1:1",
        "ephemeralOwner = <session 1>", "ephemeralOwner = 0x0",
    ]


@pytest.mark.real
def test_zkcli_sees_the_same_on_sim_and_real(real3, sim_hosts):
    t0 = time.monotonic()
    rc_real, out_real = run_zkcli(real3.hosts, SCRIPT)
    t1 = time.monotonic()
    rc_sim, out_sim = run_zkcli(sim_hosts, SCRIPT)
    took = f"zkCli.sh took {t1 - t0:.1f} s against the real servers, {time.monotonic() - t1:.1f} s against the sim"
    real, sim = normalise(out_real), normalise(out_sim)

    # the script did what it is meant to show, on the real servers
    assert "Welcome to ZooKeeper!" in real, out_real
    for expected in ("type:NodeDataChanged path:/t/data", "type:NodeChildrenChanged path:/t/box",
                     "type:NodeCreated path:/t/later", "type:NodeDeleted path:/t/r/a/b",
                     "Insufficient permission : /t/x", "Node not empty: /t",
                     "version No is not valid : /t/data", "Created /t/seq-0000000005"):
        assert any(expected in line for line in real), f"{expected!r} not in\n{out_real}"

    diff = transcript_diff(real, sim)
    assert not diff, f"zkCli.sh output differs ({took}; script:\n{SCRIPT})\n{diff}"
    assert rc_sim == rc_real, took


@pytest.mark.real
def test_normalised_real_transcript_is_repeatable(real3):
    """The normalisation hides all that varies between two runs against the same servers."""
    first = normalise(run_zkcli(real3.hosts, SCRIPT)[1])
    second = normalise(run_zkcli(real3.hosts, SCRIPT)[1])
    assert first == second, transcript_diff(first, second)
