"""The differential harness and its corpus, checked against a real ZooKeeper."""

from __future__ import annotations

import os

import pytest
from kazoo.protocol.states import EventType, KeeperState, WatchedEvent, ZnodeStat

from zkexplore.testing.differential import (
    TRACE_DIR,
    _Normalizer,
    _Watcher,
    diff_traces,
    load_corpus,
    load_trace,
    run_scenario,
)

CORPUS = load_corpus()


def test_corpus_has_a_stored_real_trace_for_every_scenario():
    assert len(CORPUS) >= 85
    stored = {f[:-5] for f in os.listdir(os.path.join(TRACE_DIR, "real")) if f.endswith(".json")}
    assert stored == set(CORPUS), "scenarios and stored traces differ"
    for name in CORPUS:
        assert load_trace("real", name), f"{name}: empty trace"
        assert CORPUS[name].doc, f"{name}: say what the scenario shows in its docstring"


def test_corpus_covers_the_promised_ground():
    tags = {tag for sc in CORPUS.values() for tag in sc.tags}
    assert {"basic", "versions", "ephemeral", "sequential", "watches", "multi", "acl",
            "sessions", "faults", "extended", "raw", "persistent"} <= tags, tags
    names = set(CORPUS)
    assert {"session_expiry", "leader_kill_keeps_session"} <= names


def test_normalizer_keeps_order_and_epochs():
    n = _Normalizer()
    assert n.zxid(0) == 0
    assert n.zxid((1 << 32) | 5) == "+0"
    assert n.zxid((1 << 32) | 9) == "+4"
    assert n.zxid((1 << 32) | 3) == "-2"
    assert n.zxid((2 << 32) | 1) == "e+1:1"
    assert n.add_session(0xABC) == "s1" and n.add_session(0xDEF) == "s2"
    st = ZnodeStat(1 << 32 | 5, 1 << 32 | 6, 1700000000000, 1700000000001, 1, 0, 0, 0xDEF, 3, 0, 1 << 32 | 5)
    out = n.stat(st)
    assert out["ephemeralOwner"] == "s2" and out["mzxid"] == "+1" and out["ctime"] == "T"
    assert n.value(b"\xff\x00") == "hex:ff00" and n.value(b"ok") == "b:ok"


def test_watchers_leave_out_kazoos_farewell_on_stop():
    """kazoo hands the watches left at stop() a NONE/CLOSED event of its own, or not,
    depending on which of its threads wins; the server's events are all kept."""
    w = _Watcher()
    w(WatchedEvent(EventType.NONE, KeeperState.CLOSED, None))
    lost = WatchedEvent(EventType.NONE, KeeperState.CONNECTING, None)
    deleted = WatchedEvent(EventType.DELETED, KeeperState.CONNECTED, "/a")
    w(lost)
    w(deleted)
    assert w.events == [lost, deleted]


def test_diff_shows_the_difference():
    a = [["call", "get", "b:x"], ["events", "w", []]]
    b = [["call", "get", "b:y"], ["events", "w", []]]
    assert diff_traces(a, a) == ""
    d = diff_traces(a, b)
    assert '-  ["call", "get", "b:x"]' in d and '+  ["call", "get", "b:y"]' in d


@pytest.mark.real
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_real_zookeeper_matches_stored_trace(real_ensemble, name):
    trace = run_scenario(CORPUS[name], real_ensemble)
    diff = diff_traces(load_trace("real", name), trace, ("stored real", "real now"))
    assert not diff, diff


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_simulated_ensemble_matches_real_trace(sim_ensemble, name):
    trace = run_scenario(CORPUS[name], sim_ensemble)
    diff = diff_traces(load_trace("real", name), trace, ("real ZooKeeper", "SimEnsemble"))
    assert not diff, diff
