"""Native crashes (llama.cpp, MuPDF, Qdrant Edge, Qt) are written by faulthandler to
``<data>/logs/crash.log``; the next start finds a non-empty log and offers it to the user.

:func:`take_previous_crash` must run before :func:`enable` (which truncates the log). Main thread,
at start-up.
"""

from __future__ import annotations

import faulthandler
import time
from pathlib import Path
from typing import TextIO

_HANDLE: list[TextIO] = []


def crash_log(data_dir: Path) -> Path:
    return data_dir / "logs" / "crash.log"


def take_previous_crash(data_dir: Path) -> str | None:
    """The previous run's crash report, if any; the log is moved aside so it is offered once."""
    path = crash_log(data_dir)
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
    if not text:
        return None
    path.rename(path.with_name(f"crash-{time.strftime('%Y%m%d-%H%M%S')}.log"))
    return text


def enable(data_dir: Path) -> None:
    """Send this run's native crash tracebacks to the crash log."""
    path = crash_log(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - kept open for the whole process
    _HANDLE.append(handle)
    faulthandler.enable(handle, all_threads=True)
