"""Small file helpers shared by the workspace, the import pipeline and model install.

Pure functions; any thread may call them.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from core.errors import DiskFull, EmptyFile, SourceMissing


def sha256_file(path: Path, block_size: int = 8 << 20) -> str:
    """Hex sha256 of a file, read in blocks (constant memory for any file size)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(block_size), b""):
            digest.update(block)
    return digest.hexdigest()


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that a reader (or a crash) sees either the old file or the new one."""
    tmp: Path | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        tmp = Path(tmp_name)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as error:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        if error.errno == errno.ENOSPC:
            raise DiskFull(f"the disk is full: could not write {path}") from error
        raise


def read_head(path: Path, size: int = 4096) -> bytes:
    """The first ``size`` bytes of a file to import, or the specific error: missing, unreadable,
    empty. Any thread."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(size)
    except FileNotFoundError as error:
        raise SourceMissing(f"{path}: the file does not exist") from error
    except OSError as error:
        raise SourceMissing(f"{path}: cannot read the file ({error.strerror})") from error
    if not head:
        raise EmptyFile(f"{path.name}: the file is empty (0 bytes)")
    return head
