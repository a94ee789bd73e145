"""Sessions: expiry and what it does to ephemerals and watches."""

from ..differential import Trial, scenario


@scenario(tags=("sessions", "faults"), faults=True)
def session_expiry(t: Trial) -> None:
    """A server-side expiry: the client sees LOST, its ephemerals vanish for others."""
    victim = t.client("victim")
    other = t.client("other")
    victim.create(t.path("eph"), b"v", ephemeral=True)
    victim.create(t.path("keep"), b"k")
    other.exists(t.path("eph"), watch=t.watcher("eph"))
    old = victim.client_id[0]
    t.ensemble.expire_session(victim)
    t.events("eph", 1)
    t.states("victim", 3)  # SUSPENDED, LOST, then CONNECTED with a new session
    t.record("new-session", victim.client_id[0] != old)
    t.do("eph-gone", other.exists, t.path("eph"))
    t.do("persistent-kept", other.exists, t.path("keep"))
    t.do("children", other.get_children, t.path())


@scenario(tags=("sessions",))
def session_ids(t: Trial) -> None:
    """Every client gets its own session id; its high byte is the id of the server
    that created it."""
    a = t.client("a", timeout=10.0)
    b = t.client("b", timeout=1.0)
    c = t.client("c", timeout=600.0)
    t.record("distinct", len({a.client_id[0], b.client_id[0], c.client_id[0]}) == 3)
    t.record("server-in-high-byte", [(zk.client_id[0] >> 56) for zk in (a, b, c)])
