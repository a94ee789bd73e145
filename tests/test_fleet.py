"""Fleets of actors, the recipe views, the checker and the control panel."""

from __future__ import annotations

import random
import re
import time

import pytest

from zkexplore.actors import Fleet
from zkexplore.model.checkers import check_mutex, wakeups_per_release
from zkexplore.widgets import ControlPanel, ElectionView, EnsembleView, LockView, Timeline


def server_watches(ensemble, prefix: str) -> dict[int, set[str]]:
    """What the servers say: session -> data/exists watches under ``prefix`` (wchc)."""
    out: dict[int, set[str]] = {}
    for s in ensemble.servers:
        if s.state != "up":
            continue
        sid = None
        for line in s.four_letter("wchc").splitlines():
            if line.startswith("0x"):
                sid = int(line, 16)
            elif line.startswith("\t") and sid is not None and line.strip().startswith(prefix):
                out.setdefault(sid, set()).add(line.strip())
    return out


def server_queue(zk, path: str) -> list[tuple[int, str, int]]:
    """What the tree says: (seq, name, owner) of the lock's children, fresh."""
    zk.sync(path)
    out = []
    for name in zk.get_children(path):
        st = zk.exists(f"{path}/{name}")
        if st is not None:
            out.append((int(name[-10:]), name, st.ephemeralOwner))
    return sorted(out)


def views_agree(view: LockView, ensemble, reader, path: str) -> str:
    """'' when the view's queue, holder and watch arrows match the server; else why not.

    The lock's children's cversion is read before and after: a comparison made while
    the queue moved says nothing either way and is reported as such (the caller tries
    again), while a disagreement that holds still is a failure."""
    reader.sync(path)
    before = reader.exists(path).cversion
    q = view.model()
    truth = server_queue(reader, path)
    watches = server_watches(ensemble, path + "/")
    if reader.exists(path).cversion != before:
        return "the queue moved while it was compared"
    mine = [(e.seq, e.name, e.owner) for e in q.entries]
    if mine != truth:
        return f"queue {mine} != server {truth}"
    if truth and (q.holder is None or q.holder.seq != truth[0][0]):
        return f"holder {q.holder} != lowest sequence {truth[0]}"
    arrows = {e.owner: {e.watches} for e in q.entries if e.watches}
    if watches != arrows:
        return f"arrows {arrows} != server watches {watches}"
    return ""


def eventually(check, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    why = check()
    while why and time.monotonic() < deadline:
        time.sleep(0.05)
        why = check()
    return why


def test_lock_view_follows_the_queue_through_crashes_and_pauses(ensemble):
    path = "/locks/view"
    fleet = Fleet(ensemble, session_timeout=4.0)
    reader = ensemble.client()
    reader.ensure_path(path)
    view = LockView(ensemble.client(), path, fleet=fleet, fps=10)
    rng = random.Random(7)
    try:
        # holds and gaps long next to one comparison, so the queue stands still between moves
        lockers = fleet.lockers(5, path, hold=1.0, gap=0.5, repeats=2)
        busy = 0
        for step in range(14):
            live = [a for a in lockers if a.state in ("waiting", "holding")]
            busy += bool(live)
            r = rng.random()
            if live and r < 0.15:
                rng.choice(live).crash()
            elif live and r < 0.3:
                rng.choice(live).pause(rng.uniform(0.2, 1.0))
            why = eventually(lambda: views_agree(view, ensemble, reader, path))
            assert not why, f"step {step}: {why}"
            time.sleep(0.2)
        assert busy >= 8, "the lock was idle for most of the steps"
        report = check_mutex(fleet.history, path)
        assert report.ok, str(report)
        frame = view.render()
        assert frame[:4] == b"\x89PNG"
    finally:
        view.close()
        fleet.stop()


def test_herd_wakes_everyone_the_recipe_wakes_one(sim3):
    reader = sim3.client()
    for kind, expected in (("naive_locker", [4, 3, 2, 1, 0]), ("locker", [1, 1, 1, 1, 0])):
        assert wakeups_per_release(*herd(sim3, reader, kind)) == expected, kind


def herd(ensemble, reader, kind: str):
    """One holder for 2 s, four waiters queued behind it; the history and the path."""
    fleet = Fleet(ensemble)
    path = f"/locks/{kind}"
    first = fleet.add(kind, path, hold=2.0)
    actors = [first]
    try:
        fleet.wait_until(lambda: first.state == "holding", 10)
        actors += [fleet.add(kind, path, hold=0.4) for _ in range(4)]
        fleet.wait_until(lambda: len(reader.get_children(path)) == 5, 10,
                         "every waiter queued before the first release")
        fleet.wait_until(lambda: all(a.state == "done" for a in actors), 30)
        return fleet.history, path
    finally:
        fleet.stop()


def test_a_holders_crash_counts_as_the_release_its_expiry_makes(sim3):
    fleet = Fleet(sim3, session_timeout=1.0)
    path = "/locks/crashed-holder"
    first = fleet.add("locker", path, hold=30.0)
    try:
        fleet.wait_until(lambda: first.state == "holding", 10)
        others = [fleet.add("locker", path, hold=0.2) for _ in range(2)]
        fleet.wait_until(lambda: all(a.state == "waiting" for a in others), 10)
        first.crash()
        fleet.wait_until(lambda: all(a.state == "done" for a in others), 20)
        assert wakeups_per_release(fleet.history, path) == [1, 1, 0]
    finally:
        fleet.stop()


def test_a_paused_actor_shows_paused_until_it_thaws(sim3):
    """A step its thread was in the middle of when the pause came (here: a state
    written during the pause) shows only once it thaws."""
    fleet = Fleet(sim3)
    actor = fleet.add("locker", "/locks/frozen", hold=30.0)
    try:
        fleet.wait_until(lambda: actor.state == "holding", 10)
        actor.pause(3.0)
        actor.state = "waiting"  # what an in-flight step of its thread would write
        assert actor.state == "paused"
        fleet.wait_until(lambda: actor.state != "paused", 10)
        assert actor.state == "waiting"
        actor.pause(0.3)
        actor.pause(3.0)  # a longer pause on top: the first thaw leaves it paused
        time.sleep(0.5)
        assert actor.state == "paused"
        fleet.wait_until(lambda: actor.state == "waiting", 10)
    finally:
        fleet.stop()


def test_election_view_shows_the_next_leader_within_a_second(ensemble):
    path = "/election/view"
    fleet = Fleet(ensemble, session_timeout=4.0)
    watcher = ensemble.client()
    view = ElectionView(ensemble.client(), path, fleet=fleet, fps=10)
    try:
        first, *_ = fleet.candidates(3, path)
        fleet.wait_until(lambda: first.state == "leader", 10, "first leads")
        fleet.wait_until(lambda: len(view.model().candidates) == 3, 10, "three candidates in the view")
        assert view.model().leader.owner == first.session_id
        # the next in line is whoever queued second, not whoever was started second
        second = next(a for a in fleet.actors if a.session_id == view.model().candidates[1].owner)
        node = view.model().leader.path
        gone = []
        watcher.exists(node, watch=lambda ev: gone.append(time.monotonic()))
        first.crash()
        fleet.wait_until(lambda: gone, 20, "the old leader's session to end")
        fleet.wait_until(lambda: view.model().leader is not None
                         and view.model().leader.owner == second.session_id, 5, "the view to move on")
        shown = time.monotonic()
        assert shown - gone[0] <= 1.0, f"the view showed the new leader {shown - gone[0]:.2f} s late"
        fleet.wait_until(lambda: second.state == "leader", 5, "second leads")
        fig = view.figure()
        assert second.name in fig.axes[0].get_title(loc="left")
    finally:
        view.close()
        fleet.stop()


def test_paused_holder_is_a_double_holder_and_fencing_rejects_it(ensemble):
    fleet = Fleet(ensemble, session_timeout=4.0)
    fenced = fleet.store(fenced=True)
    try:
        a = fleet.add("locker", "/locks/lease", hold=5.0, store=fenced)
        fleet.wait_until(lambda: a.state == "holding", 10)
        b = fleet.add("locker", "/locks/lease", hold=0.3, store=fenced)
        a.pause(10.0)  # longer than the 4 s session timeout plus a 2 s tick, and b's turn
        fleet.wait_until(lambda: a.state == "done" and b.state == "done", 30)
        report = check_mutex(fleet.history, "/locks/lease")
        assert not report.ok, "the checker must see two holders"
        v = report.violations[0]
        assert {v.first.process, v.second.process} == {a.name, b.name}
        assert [w["writer"] for w in fenced.writes] == [b.name], "the stale write must be rejected"
        rejected = [op for op in fleet.history if op.f == "write" and op.type == "fail"]
        assert rejected and rejected[0].process == a.name and "stale fencing token" in rejected[0].error
    finally:
        fleet.stop()


def test_no_pauses_no_violation_and_unfenced_store_takes_everything(sim3):
    fleet = Fleet(sim3)
    store = fleet.store(fenced=False)
    try:
        lockers = fleet.lockers(3, "/locks/calm", hold=0.1, repeats=2, store=store)
        fleet.wait_until(lambda: all(a.state == "done" for a in lockers), 20)
        assert check_mutex(fleet.history, "/locks/calm").ok
        assert len(store.writes) == 6
    finally:
        fleet.stop()


def test_readers_share_and_a_writer_excludes_them(sim3):
    fleet = Fleet(sim3)
    try:
        readers = fleet.many("reader", 2, "/locks/rw", hold=0.4, repeats=2)
        writer = fleet.add("writer", "/locks/rw", hold=0.2, repeats=2)
        actors = [*readers, writer]
        fleet.wait_until(lambda: all(a.state == "done" for a in actors), 20)
        report = check_mutex(fleet.history, "/locks/rw")
        assert report.ok, str(report)
        modes = sorted({(h.process, h.mode) for h in report.holds})
        assert modes == [(readers[0].name, "reader"), (readers[1].name, "reader"), (writer.name, "lock")]
        assert all(h.ended_by == "release" for h in report.holds) and len(report.holds) == 6
        r0, r1 = ([h for h in report.holds if h.process == r.name] for r in readers)
        assert any(a.start < b.end and b.start < a.end for a in r0 for b in r1), "readers never shared the lock"
    finally:
        fleet.stop()


def test_control_panel_every_action(ensemble):
    fleet = Fleet(ensemble, session_timeout=4.0)
    panel = ControlPanel(ensemble, fleet)
    ev = EnsembleView(ensemble, fleet)
    tl = Timeline(ensemble)
    try:
        panel.kind.value = "locker"
        panel.path.value = "/locks/panel"
        panel.hold.value = 0.2
        for _ in range(4):
            panel.add_actor.click()
        assert len(fleet.actors) == 4 and panel.actor.options == tuple(a.name for a in fleet.actors)

        def pick(i: int) -> str:
            panel.actor.value = fleet.actors[i].name
            return fleet.actors[i].name

        follower = next(s for s in ensemble.servers if s.role == "follower")
        panel.server.value = follower.id
        panel.pause_server.click()
        assert follower.state == "paused"
        panel.resume_server.click()
        assert follower.state == "up"
        panel.kill.click()
        assert follower.state == "down" and follower.role == "down"
        panel.start.click()
        assert follower.role in ("leader", "follower")
        panel.stop.click()
        assert follower.state == "down"
        panel.start.click()
        panel.isolate.value = (follower.id,)
        panel.partition.click()
        fleet.wait_until(lambda: follower.role == "looking", 15, "the isolated server to stop serving")
        assert ev.model()["groups"] is not None
        panel.heal.click()
        fleet.wait_until(lambda: follower.role == "follower", 30, "the server to rejoin")
        panel.latency.value = 50
        panel.apply_latency.click()
        panel.latency.value = 0
        panel.apply_latency.click()

        name = pick(0)
        panel.expire.click()
        fleet.wait_until(lambda: any(o.process == name and o.f == "session" and o.value["state"] == "LOST"
                                     for o in fleet.history), 10)
        name = pick(1)
        panel.crash.click()
        assert fleet.get(name).state == "crashed"
        name = pick(2)
        panel.seconds.value = 5.0
        panel.pause_actor.click()
        assert fleet.get(name).state == "paused"
        name = pick(3)
        panel.seconds.value = 0.5
        panel.cut.click()
        fleet.wait_until(lambda: any(o.process == name and o.f == "session" and o.value["state"] == "SUSPENDED"
                                     for o in fleet.history), 10)
        panel.leave.click()
        assert fleet.get(name).state == "left"

        errors = [m for m in panel.messages if not m.endswith("done")]
        assert not errors, errors
        faults = [o.f for o in ensemble.history.ops(process="nemesis") if o.type == "ok"]
        for f in ("pause", "resume", "kill", "start", "stop", "partition", "heal", "set_latency",
                  "expire_session"):
            assert f in faults, f"{f} was not recorded"
        for f in ("crash", "pause", "leave"):
            assert any(o.f == f and o.type == "ok" for o in fleet.history), f"{f} was not recorded"
        assert tl.render()[:4] == b"\x89PNG" and ev.render()[:4] == b"\x89PNG"
        model = ev.model()
        assert {s["id"] for s in model["servers"]} == {s.id for s in ensemble.servers}
        assert {c["name"] for c in model["clients"]} >= {a.name for a in fleet.actors if a.state != "left"}
    finally:
        ev.close()
        tl.close()
        fleet.stop()


def test_control_panel_on_a_remote_ensemble_explains_why_faults_are_off(sim3):
    from zkexplore import RemoteEnsemble

    with RemoteEnsemble(sim3.hosts) as prod:
        panel = ControlPanel(prod)
        assert panel.kill.disabled and panel.partition.disabled and panel.expire.disabled
        assert "disabled" in panel.output.value and re.search("does not run", panel.output.value)


def test_fleet_errors_are_clear(sim3):
    fleet = Fleet(sim3)
    with pytest.raises(ValueError, match="no actor kind 'wizard'"):
        fleet.add("wizard", "/x")
    with pytest.raises(ValueError, match="must start with '/'"):
        fleet.add("locker", "relative")
    with pytest.raises(KeyError, match="no actor named"):
        fleet.get("nobody")
    fleet.stop()
