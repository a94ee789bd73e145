"""Nothing that an ensemble starts outlives it: processes, threads, ports, temp dirs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from zkexplore import LocalEnsemble
from zkexplore.testing.leaks import LeakCheck, descendants

pytestmark = pytest.mark.real


def test_local_ensemble_leaves_nothing_behind():
    with LeakCheck() as check:
        with LocalEnsemble(size=3) as ens:
            zk = ens.client(server=2)  # on the majority side, so it stays connected
            zk.create("/x", b"1", ephemeral=True)
            ens.set_latency(10)
            ens.partition([1])
            ens.servers[0].pause()
            ens.disconnect(zk)
            assert descendants(), "the servers should be running now"
    assert not check.leaks, str(check.leaks)


def test_leaves_nothing_behind_when_the_test_body_fails():
    with LeakCheck() as check:
        with pytest.raises(ZeroDivisionError):
            with LocalEnsemble(size=1) as ens:
                ens.client().create("/y")
                raise ZeroDivisionError("the test body fails")
    assert not check.leaks, str(check.leaks)


def test_leak_check_sees_a_leak():
    with LeakCheck(grace=0.2) as check:
        proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert check.leaks.processes and str(proc.pid) in check.leaks.processes[0]
    finally:
        proc.kill()
        proc.wait()


def test_killed_parent_takes_servers_and_temp_dirs_with_it(tmp_path):
    """A notebook kernel restart kills its process; the servers must not survive."""
    script = textwrap.dedent(
        """
        import os, sys, tempfile, time
        tempfile.tempdir = sys.argv[1]
        from zkexplore import LocalEnsemble
        ens = LocalEnsemble(size=3).start()
        print(" ".join(str(s.proc.pid) for s in ens.servers), flush=True)
        time.sleep(600)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 3 and os.listdir(tmp_path)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
    deadline = time.monotonic() + 15
    while any(os.path.exists(f"/proc/{p}") for p in pids) or os.listdir(tmp_path):
        assert time.monotonic() < deadline, "servers or temp dirs outlived their parent"
        time.sleep(0.1)
