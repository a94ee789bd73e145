"""What is drawn: node count, kinds, colours by owner, labels, '+N more', flashes."""

from __future__ import annotations

import time

import matplotlib

matplotlib.use("Agg")

import networkx as nx  # noqa: E402
import pytest  # noqa: E402

from zkexplore.commands import format_data, run_command  # noqa: E402
from zkexplore.model import LiveTree  # noqa: E402
from zkexplore.render import MORE, display_graph, draw_tree, render_png, tree_layout  # noqa: E402
from zkexplore.render.tree import owner_color, short_name  # noqa: E402


def drawn(ax) -> dict[str, int]:
    """Markers drawn per kind."""
    out = {}
    for c in ax.collections:
        gid = c.get_gid() or ""
        if gid.startswith("kind:"):
            out[gid[5:]] = len(c.get_offsets())
    return out


def labels(ax) -> list[str]:
    return [t.get_text() for t in ax.texts if t.get_gid() == "label"]


def sample_graph(n_children: int = 3) -> nx.DiGraph:
    g = nx.DiGraph(root="/")
    g.add_node("/", name="/", kind="persistent", owner=0, depth=0)
    g.add_node("/app", name="app", kind="persistent", owner=0, depth=1)
    g.add_edge("/", "/app")
    for i in range(n_children):
        p = f"/app/n{i}"
        g.add_node(p, name=f"n{i}", kind="persistent", owner=0, depth=2)
        g.add_edge("/app", p)
    g.add_node("/app/lock-0000000007", name="lock-0000000007", kind="ephemeral-sequential", owner=0xA1, depth=2)
    g.add_node("/app/member", name="member", kind="ephemeral", owner=0xB2, depth=2)
    g.add_node("/app/box", name="box", kind="container", owner=0, depth=2)
    for p in ("/app/lock-0000000007", "/app/member", "/app/box"):
        g.add_edge("/app", p)
    return g


def test_kinds_counts_and_labels():
    g = sample_graph()
    ax = draw_tree(g)
    assert drawn(ax) == {"persistent": 5, "ephemeral-sequential": 1, "ephemeral": 1, "container": 1}
    assert sorted(labels(ax)) == sorted(["/", "app", "n0", "n1", "n2", "lock-#7", "member", "box"])
    edges = next(c for c in ax.collections if c.get_gid() == "edges")
    assert len(edges.get_segments()) == g.number_of_edges()


def test_ephemerals_take_their_owners_colour():
    g = sample_graph()
    ax = draw_tree(g)
    eph = next(c for c in ax.collections if c.get_gid() == "kind:ephemeral")
    from matplotlib.colors import to_rgba

    assert tuple(eph.get_facecolors()[0]) == pytest.approx(to_rgba(owner_color(0xB2)))
    assert owner_color(0xB2) != owner_color(0xA1)


def test_wide_nodes_fold_into_more():
    g = sample_graph(n_children=40)
    d = display_graph(g, max_children=10)
    more = [n for n in d if d.nodes[n].get("kind") == MORE]
    assert len(more) == 1 and d.nodes[more[0]]["count"] == 33
    ax = draw_tree(d)
    assert [t.get_text() for t in ax.texts if t.get_gid() == "more"] == ["+33 more"]
    assert sum(drawn(ax).values()) == d.number_of_nodes() - 1


def test_depth_limit_and_filter():
    g = sample_graph()
    assert set(display_graph(g, max_depth=1)) == {"/", "/app"}
    only = display_graph(g, include=lambda p: "member" in p)
    assert set(only) == {"/", "/app", "/app/member"}


def test_flash_halo_for_recent_changes_only():
    g = sample_graph()
    ax = draw_tree(g, flash={"/app/n1": 0.2, "/app/n2": 5.0}, flash_seconds=2.0)
    halo = next(c for c in ax.collections if c.get_gid() == "flash")
    assert len(halo.get_offsets()) == 1


def test_layout_is_tidy_and_stable():
    g = sample_graph()
    pos = tree_layout(g)
    assert pos["/"][1] == 0 and pos["/app"][1] == -1 and pos["/app/n0"][1] == -2
    xs = [pos[c][0] for c in g.successors("/app")]
    assert pos["/app"][0] == pytest.approx((min(xs) + max(xs)) / 2)
    # sequential nodes first, in number order; a new sibling moves only later ones
    g.add_node("/app/n9", name="n9", kind="persistent", depth=2)
    g.add_edge("/app", "/app/n9")
    pos2 = tree_layout(g)
    assert pos2["/app/lock-0000000007"] == pos["/app/lock-0000000007"]
    assert pos2["/app/box"] == pos["/app/box"]


def _covered(points, drawn, tol, tags=None, drawn_tags=None) -> list[bool]:
    """For each point: is some drawn row within ``tol`` on every axis (and of the
    same tag)?  Compared in chunks to keep the matrices small."""
    import numpy as np

    points, drawn = np.asarray(points, dtype=float), np.asarray(drawn, dtype=float)
    names: dict = {}
    tag_ids = np.array([names.setdefault(np.round(t, 6).tobytes(), len(names)) for t in tags]) if tags else None
    drawn_ids = (np.array([names.get(np.round(t, 6).tobytes(), -1) for t in drawn_tags])
                 if drawn_tags else None)
    out: list[bool] = []
    for i in range(0, len(points), 256):
        chunk = points[i : i + 256]
        near = np.all(np.abs(chunk[:, None, :] - drawn[None, :, :]) <= tol + 1e-9, axis=2)
        if tag_ids is not None:
            near &= tag_ids[i : i + 256, None] == drawn_ids[None, :]
        out.extend(near.any(axis=1).tolist())
    return out


def test_a_large_tree_draws_each_pixel_once_and_every_node_is_covered():
    """Beyond 2,000 nodes markers (and edges) that would fall on the same pixel are
    drawn once: far fewer artists, yet every node lies within a pixel of a marker
    of its kind and its owner's colour, and every edge of a drawn segment."""
    import numpy as np
    from matplotlib.colors import to_rgba

    from zkexplore.render.tree import _pixel_size

    g = nx.DiGraph(root="/")
    g.add_node("/", name="/", kind="persistent", owner=0, depth=0)
    for p in range(10):
        parent = f"/p{p}"
        g.add_node(parent, name=f"p{p}", kind="persistent", owner=0, depth=1)
        g.add_edge("/", parent)
        for i in range(1000):
            child = f"{parent}/c{i:04d}"
            owner = 0x10 + (i // 2) % 2 if i % 2 else 0  # two owners, side by side
            g.add_node(child, name=f"c{i:04d}", kind="ephemeral" if owner else "persistent",
                       owner=owner, depth=2)
            g.add_edge(parent, child)
    pos = tree_layout(g)
    ax = draw_tree(g, pos)
    pixel = _pixel_size(ax, pos)
    colls = {c.get_gid(): c for c in ax.collections if c.get_gid()}
    for kind in ("persistent", "ephemeral"):
        members = [n for n, a in g.nodes(data=True) if a["kind"] == kind]
        coll = colls[f"kind:{kind}"]
        assert coll.zkx_count == len(members)
        drawn_xy = np.asarray(coll.get_offsets())
        assert len(drawn_xy) < 0.7 * len(members)  # many fell on a pixel already drawn
        tags = drawn_tags = None
        if kind == "ephemeral":  # and of its owner's colour
            tags = [to_rgba(owner_color(g.nodes[m]["owner"])) for m in members]
            drawn_tags = [tuple(c) for c in coll.get_facecolors()]
        ok = _covered([pos[m] for m in members], drawn_xy, pixel, tags, drawn_tags)
        lost = [m for m, hit in zip(members, ok) if not hit]
        assert not lost, f"not under any drawn {kind} marker of their colour: {lost[:5]}"
    segs = np.asarray(colls["edges"].get_segments()).reshape(-1, 4)
    assert len(segs) < g.number_of_edges() / 3
    ok = _covered([(*pos[u], *pos[v]) for u, v in g.edges], segs, np.tile(pixel, 2))
    assert all(ok), "an edge is not under any drawn segment"
    assert render_png(ax)[:4] == b"\x89PNG"


def test_short_names():
    assert short_name("0123456789abcdef0123456789abcdef__lock__0000000042") == "__lock__#42"
    assert short_name("a" * 40).count("…") == 1
    assert short_name("0123456789abcdef0123456789abcdef-alice") == "-alice"
    assert short_name("0123456789abcdef0123456789abcdef").count("…") == 1


def test_png_is_a_real_picture(tmp_path):
    ax = draw_tree(sample_graph())
    out = tmp_path / "t.png"
    data = render_png(ax, str(out))
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and out.read_bytes() == data
    from matplotlib.image import imread

    img = imread(str(out))
    assert img.shape[0] > 200 and img.shape[1] > 400
    assert (img[..., :3] < 0.9).any(), "the picture is blank"


def test_format_data():
    assert format_data(None) == ("null", "null")
    assert format_data(b'{"b":1,"a":[1,2]}')[0] == "json"
    assert '"a": [' in format_data(b'{"b":1,"a":[1,2]}')[1]
    assert format_data(b"plain text") == ("text", "plain text")
    kind, text = format_data(bytes(range(20)))
    assert kind == "binary" and text.startswith("0000  00 01 02")


def test_commands_on_a_live_ensemble(ensemble):
    zk = ensemble.client()
    assert run_command(zk, "create /cmd hello").text == "Created /cmd"
    assert run_command(zk, "create /cmd again").text == "Node already exists: /cmd"
    assert run_command(zk, "create -e -s /cmd/e- x").text.startswith("Created /cmd/e-00000000")
    assert run_command(zk, "get /cmd").text == "hello"
    assert run_command(zk, "set -v 7 /cmd x").text == "version No is not valid : /cmd"
    assert run_command(zk, "set -v 0 /cmd bye").ok
    assert run_command(zk, "get -s /cmd").text.startswith("bye\ncZxid = 0x")
    assert run_command(zk, "delete /cmd").text == "Node not empty: /cmd"
    assert run_command(zk, "ls /cmd").text.startswith("[e-00000000")
    assert run_command(zk, "deleteall /cmd").ok
    assert run_command(zk, "stat /cmd").text == "Node does not exist: /cmd"
    assert not run_command(zk, "frobnicate /x").ok
    assert "usage" in run_command(zk, "get").text
    assert "start with /" in run_command(zk, "get relative").text


def test_tree_view_python_api(sim3, tmp_path):
    from zkexplore.widgets import TreeView

    zk = sim3.client()
    other = sim3.client()
    zk.create("/v/config", b'{"k": 1}', makepath=True)
    view = TreeView(zk, "/v", fps=20)
    try:
        view.tree.wait_loaded(10)
        other.create("/v/eph", b"x", ephemeral=True)
        deadline = time.monotonic() + 5
        while "/v/eph" not in view.tree and time.monotonic() < deadline:
            time.sleep(0.02)
        fig = view.figure()
        ax = fig.axes[0]
        assert drawn(ax) == {"persistent": 2, "ephemeral": 1}
        assert any(c.get_gid() == "flash" for c in ax.collections), "a new node flashes"
        assert "3 nodes" in ax.get_title(loc="left")
        view.select("/v/config")
        assert "json data" in view.inspector.value and "&quot;k&quot;: 1" in view.inspector.value
        r = view.run("create /v/made by-command")
        assert r.ok and "Created /v/made" in view.output.value
        bad = view.run("get /v/missing")
        assert not bad.ok and "Node does not exist" in view.output.value
        path = view.save(str(tmp_path / "view.png"))
        assert open(path, "rb").read(4) == b"\x89PNG"
        bundle = view._repr_mimebundle_()
        assert "image/png" in bundle and "application/vnd.jupyter.widget-view+json" in bundle
        deadline = time.monotonic() + 5
        while not view.image.value and time.monotonic() < deadline:
            time.sleep(0.02)
        assert view.image.value[:4] == b"\x89PNG", "the background thread draws frames"
    finally:
        view.close()
    assert view.tree.state == "closed"


def test_tree_view_refuses_writes_read_only(sim3):
    from zkexplore import RemoteEnsemble
    from zkexplore.widgets import TreeView

    sim3.client().create("/ro-view")
    with RemoteEnsemble(sim3.hosts) as prod:
        view = TreeView(prod.client(), "/ro-view")
        try:
            r = view.run("create /ro-view/x")
            assert not r.ok and "read-only" in r.text
        finally:
            view.close()


def test_livetree_graph_folds_without_building_the_whole_graph(sim3):
    zk = sim3.client()
    zk.create("/wide")
    for r in [zk.create_async(f"/wide/n{i:03d}") for i in range(200)]:
        r.get()
    tree = LiveTree(zk, "/wide").start()
    g = tree.graph(max_children=10, keep=lambda p: p == "/wide/n150")
    assert g.number_of_nodes() == 1 + 10 + 1
    assert "/wide/n150" in g and g.nodes["/wide/+more"]["count"] == 190
    tree.close()


def test_snapshot_command_draws_headlessly(sim3, tmp_path):
    import subprocess
    import sys

    zk = sim3.client()
    for i in range(30):
        zk.create(f"/snap/n{i:02d}", b"x", makepath=True)
    out = tmp_path / "snap.png"
    proc = subprocess.run(
        [sys.executable, "-m", "zkexplore", "snapshot", sim3.hosts, "--root", "/snap", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "31 read" in proc.stdout and "14 nodes drawn" in proc.stdout  # 12 shown + root + '+18 more'
    assert out.read_bytes()[:4] == b"\x89PNG"
    bad = subprocess.run(
        [sys.executable, "-m", "zkexplore", "snapshot", sim3.hosts, "--root", "/nope", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert bad.returncode != 0 and "/nope does not exist" in bad.stderr


def test_static_render_keeps_the_last_frame(tmp_path):
    """Executed headless and converted to static HTML, a closed view shows its last
    frame (with the node created after it was displayed)."""
    import base64

    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    last = tmp_path / "last.png"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in [
        "from zkexplore import SimEnsemble, TreeView\n"
        "ens = SimEnsemble(size=1, seed=1).start()\nzk = ens.client()\nview = TreeView(zk, '/')\nview",
        "zk.create('/made-later', b'x')\nview.tree.wait_loaded()\n"
        "import time\nwhile '/made-later' not in view.tree: time.sleep(0.02)",
        f"from zkexplore.widgets import close_all\nclose_all()\nopen({str(last)!r}, 'wb').write(view._png)\n"
        "ens.stop()",
    ]]
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert len(outputs) == 1 and set(outputs[0]["data"]) == {"image/png", "text/plain"}
    png = base64.b64decode(outputs[0]["data"]["image/png"])
    assert png == last.read_bytes(), "the saved output is not the view's last frame"
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert outputs[0]["data"]["image/png"].strip()[:200] in html.replace("\n", "")
