"""Demo GIFs: rendered headlessly, opened, and checked frame by frame."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from zkexplore.demos import _write_gif, record


def frames_of(path: str) -> list[np.ndarray]:
    im = Image.open(path)
    out = []
    for i in range(im.n_frames):
        im.seek(i)
        out.append(np.asarray(im.convert("RGB")))
    return out


def top(frame: np.ndarray) -> np.ndarray:
    """The recipe part of a frame (above the timeline)."""
    return frame[: int(frame.shape[0] * 0.5)]


@pytest.mark.parametrize("name", ["lock", "election", "herd"])
def test_demo_gif_shows_every_change_of_holder(name, tmp_path):
    out = tmp_path / f"{name}.gif"
    result = record(name, str(out), seed=7)
    frames = frames_of(str(out))
    assert len(frames) == result.frames == len(result.meta)
    assert len(frames) >= 8
    for i, m in enumerate(result.meta):
        assert len(m["holders"]) == 1, f"{name}: frame {i} stood for holders {m['holders']}"
    holders = [m["holder"] for m in result.meta]
    changes = [i for i in range(1, len(holders)) if holders[i] != holders[i - 1]]
    assert len(changes) >= 2, f"{name}: the holder never changed: {holders}"
    for i in changes:
        assert not np.array_equal(top(frames[i]), top(frames[i - 1])), \
            f"{name}: frame {i} has a new holder ({holders[i - 1]} -> {holders[i]}) the picture does not show"
    distinct = {top(f).tobytes() for f in frames}
    assert len(distinct) >= len(set(holders)), "the animation does not move"


def test_identical_frames_fold_into_one_that_shows_longer(tmp_path):
    """A GIF writer merges a frame identical to the one before; the metadata must follow."""
    import io

    def png(color: str) -> bytes:
        buf = io.BytesIO()
        Image.new("RGB", (40, 30), color).save(buf, format="PNG")
        return buf.getvalue()

    frames = [png("white"), png("white"), png("red"), png("white"), png("white"), png("white")]
    meta = [{"holder": h} for h in (None, None, "a", None, None, "b")]
    out = tmp_path / "fold.gif"
    written = _write_gif(frames, meta, str(out), 100)
    assert [m["ms"] for m in written] == [200, 100, 300]
    assert [m["holders"] for m in written] == [[None], ["a"], [None, "b"]]
    assert len(frames_of(str(out))) == 3
    im = Image.open(out)
    durations = []
    for i in range(im.n_frames):
        im.seek(i)
        durations.append(im.info["duration"])
    assert durations == [200, 100, 300]


def test_lease_demo_shows_the_stale_holder_fenced_off(tmp_path):
    out = tmp_path / "lease.gif"
    result = record("lease", str(out), seed=3)
    holders = [m["holder"] for m in result.meta]
    assert holders.count("locker1") and holders.count("locker2")
    assert len(frames_of(str(out))) == result.frames


def test_demo_command(tmp_path):
    out = tmp_path / "f.gif"
    proc = subprocess.run([sys.executable, "-m", "zkexplore", "demo", "failover", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "frames" in proc.stdout and out.read_bytes()[:6] == b"GIF89a"
    bad = subprocess.run([sys.executable, "-m", "zkexplore", "demo", "nonsense", "--out", str(out)],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "invalid choice" in bad.stderr
