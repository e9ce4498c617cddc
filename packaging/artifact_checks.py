"""The smoke tests every built artifact goes through (bundle folder, AppImage, installed .deb).

Each artifact is started the way a user starts it, in a clean environment (no WENKU_/PYTHON
variables, offscreen Qt), with a throwaway data folder:
- the CLI: ``<program> … smoke --json`` (core/smoke.py) must exit 0, report every check ok and
  print nothing on stderr;
- the GUI: ``<program> … --screenshot OUT.png`` must exit 0, print nothing on stderr and draw a
  window that is not blank.
Used by packaging/build.py and packaging/linux/build_linux.py; they add the command prefix
(AppImage ``cli``, an unprivileged user) and extra environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

#: stderr lines a healthy run may print: the AppImage runtime's note when it unpacks (no FUSE).
ALLOWED_STDERR = ("wenku-appimage: first start without FUSE",)


def log(message: str) -> None:
    print(f"[smoke] {message}", flush=True)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a user's first start: no Wenku or Python variables, offscreen Qt."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("WENKU_", "PYTHON", "APPIMAGE")) and k != "VIRTUAL_ENV"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra or {})
    return env


def unexpected_stderr(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith(ALLOWED_STDERR)]


def check_cli(command: list[str], env: dict[str, str], label: str) -> dict[str, object]:
    """Run ``command`` (ending in ``smoke --json``) and demand a passing, quiet self test."""
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    seconds = round(time.perf_counter() - started, 1)
    noise = unexpected_stderr(result.stderr)
    if result.returncode != 0 or noise:
        raise RuntimeError(f"{label}: smoke test failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    report = json.loads(result.stdout)
    if not report.get("ok"):
        raise RuntimeError(f"{label}: smoke test failed: {report}")
    details = {c["name"]: c["detail"] for c in report["checks"]}
    log(f"{label}: CLI passed in {seconds} s ({details.get('import')}; answer {details.get('answer')})")
    return {"seconds": seconds, "checks": report["checks"]}


def check_gui(command: list[str], env: dict[str, str], screenshot: Path, label: str) -> dict[str, object]:
    """Run ``command`` (the GUI with ``--screenshot``) and check the exit, stderr and picture."""
    started = time.perf_counter()
    result = subprocess.run([*command, "--screenshot", str(screenshot)], capture_output=True, text=True, env=env,
                            timeout=600)
    seconds = round(time.perf_counter() - started, 1)
    noise = unexpected_stderr(result.stderr)
    if result.returncode != 0 or not screenshot.is_file() or noise:
        raise RuntimeError(f"{label}: GUI smoke test failed (exit {result.returncode}): {result.stderr}")
    colours = distinct_colours(screenshot)
    if colours < 16:
        raise RuntimeError(f"{label}: the GUI screenshot {screenshot} looks blank ({colours} colours)")
    log(f"{label}: GUI drew its window in {seconds} s ({colours} colours)")
    return {"seconds": seconds, "colours": colours}


def distinct_colours(png: Path) -> int:
    import pymupdf

    return int(pymupdf.Pixmap(str(png)).color_count())
