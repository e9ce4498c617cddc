"""A workspace on disk: its folder, its inter-process lock, its settings and document manifest.

Layout of ``<data>/workspaces/<name>/``::

    workspace.json   settings that change the meaning of the index (schema, embedding model, dim),
                     and where the index lives (``store``: see :mod:`core.store.factory`)
    manifest.json    the documents that are fully imported (the source of truth)
    shard/           the Qdrant Edge shard (points carry the doc_id of their document), unless
                     ``store`` names another folder or a Qdrant server collection
    .lock            held (flock / msvcrt) while a process has the workspace open

Consistency rule: a document's points are written and flushed *before* its manifest entry is
committed (atomic rename), and old points are deleted *after*. On open, points whose doc_id is not
in the manifest are orphans of an interrupted import and are deleted, so a killed import leaves the
document either fully present or absent.

Not thread-safe by itself: the engine serialises writers with its own lock.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from core.datatypes import DocumentRecord
from core.errors import (
    InvalidWorkspaceName,
    WorkspaceExists,
    WorkspaceIncompatible,
    WorkspaceLocked,
    WorkspaceNotFound,
)
from core.fileio import write_json_atomic

#: 2: the settings may name a ``store`` (another shard folder or a Qdrant server). Workspaces
#: without one are still written as 1, so an older Wenku keeps opening them; one that has a store
#: entry is 2, so an older Wenku refuses it instead of opening an empty shard in its place.
SCHEMA_VERSION = 2
MAX_NAME_LENGTH = 64
_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def validate_name(name: str) -> str:
    """Return the stripped name or raise :class:`InvalidWorkspaceName` saying why."""
    stripped = name.strip()
    if not stripped:
        raise InvalidWorkspaceName("a workspace name cannot be empty")
    if len(stripped) > MAX_NAME_LENGTH:
        raise InvalidWorkspaceName(f"a workspace name has at most {MAX_NAME_LENGTH} characters")
    if _FORBIDDEN.search(stripped):
        raise InvalidWorkspaceName(
            f"invalid workspace name {name!r}: slashes, colons, control characters and "
            '\\ * ? " < > | are not allowed'
        )
    if stripped.startswith(".") or ".." in stripped:
        raise InvalidWorkspaceName(f"invalid workspace name {name!r}: it may not start with '.' or contain '..'")
    return stripped


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class _FileLock:
    """An exclusive, non-blocking lock on a file, released when the process dies."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        handle = open(self._path, "a+", encoding="utf-8")
        try:
            if sys.platform == "win32":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            handle.close()
            raise WorkspaceLocked(
                f"the workspace at {self._path.parent} is open in another Wenku process; close it there first"
            ) from error
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is None:
            return
        if sys.platform == "win32":
            import msvcrt

            self._handle.seek(0)
            msvcrt.locking(self._handle.fileno(), msvcrt.LK_UNLCK, 1)
        self._handle.close()
        self._handle = None


class WorkspaceFolder:
    """One workspace's folder: settings, manifest and lock. The shard is opened by the store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self._lock = _FileLock(path / ".lock")
        self.settings: dict[str, Any] = {}
        self._documents: dict[str, DocumentRecord] = {}

    # --- life cycle -------------------------------------------------------------------------

    @classmethod
    def create(cls, root: Path, name: str, settings: dict[str, Any]) -> WorkspaceFolder:
        path = root / validate_name(name)
        if path.exists():
            raise WorkspaceExists(f"a workspace named {name!r} already exists")
        root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".creating-", dir=root))
        write_json_atomic(staging / "workspace.json", {"schema": _schema(settings), "created": now_iso(), **settings})
        write_json_atomic(staging / "manifest.json", {"schema": SCHEMA_VERSION, "documents": []})
        try:
            os.rename(staging, path)
        except OSError as error:
            shutil.rmtree(staging, ignore_errors=True)
            raise WorkspaceExists(f"a workspace named {name!r} already exists") from error
        return cls(path)

    @classmethod
    def open_existing(cls, root: Path, name: str) -> WorkspaceFolder:
        path = root / validate_name(name)
        if not (path / "workspace.json").is_file():
            raise WorkspaceNotFound(f"no workspace named {name!r} (see 'wenku workspaces')")
        folder = cls(path)
        folder._lock.acquire()
        try:
            folder._load()
        except BaseException:
            folder._lock.release()
            raise
        return folder

    def update_settings(self, drop: tuple[str, ...] = (), **changes: Any) -> None:
        """Change settings in ``workspace.json`` atomically, removing the keys in ``drop`` (caller
        holds the workspace lock)."""
        settings = {key: value for key, value in {**self.settings, **changes}.items() if key not in drop}
        settings["schema"] = max(int(settings.get("schema", 1)), _schema(settings))
        write_json_atomic(self.path / "workspace.json", settings)
        self.settings = settings

    def _load(self) -> None:
        self.settings = json.loads((self.path / "workspace.json").read_text(encoding="utf-8"))
        if int(self.settings.get("schema", 0)) > SCHEMA_VERSION:
            raise WorkspaceIncompatible(
                f"workspace {self.name!r} was written by a newer Wenku (schema {self.settings['schema']})"
            )
        manifest = json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))
        self._documents = {d["doc_id"]: DocumentRecord(**d) for d in manifest["documents"]}

    def close(self) -> None:
        self._lock.release()

    # --- manifest -----------------------------------------------------------------------------

    @property
    def shard_path(self) -> Path:
        """The default embedded shard folder; the settings' ``store`` entry may name another
        folder or a server (:func:`core.store.factory.current` says which)."""
        return self.path / "shard"

    def documents(self) -> list[DocumentRecord]:
        return sorted(self._documents.values(), key=lambda d: (d.file_name.lower(), d.source_path))

    def document(self, doc_id: str) -> DocumentRecord | None:
        return self._documents.get(doc_id)

    def find_by_source(self, source_path: str) -> DocumentRecord | None:
        return next((d for d in self._documents.values() if d.source_path == source_path), None)

    def find_by_sha(self, sha256: str) -> DocumentRecord | None:
        return next((d for d in self._documents.values() if d.sha256 == sha256), None)

    def commit(self, *, add: DocumentRecord | None = None, remove: list[str] | None = None) -> None:
        """Atomically add and/or remove manifest entries (the commit point of an import)."""
        documents = dict(self._documents)
        for doc_id in remove or []:
            documents.pop(doc_id, None)
        if add is not None:
            documents[add.doc_id] = add
        write_json_atomic(
            self.path / "manifest.json",
            {"schema": SCHEMA_VERSION, "documents": [asdict(d) for d in documents.values()]},
        )
        self._documents = documents


def _schema(settings: dict[str, Any]) -> int:
    return 2 if "store" in settings else 1


def list_names(root: Path) -> list[str]:
    """Names of the workspaces under ``root`` (folders with a ``workspace.json``)."""
    if not root.is_dir():
        return []
    return sorted(
        (p.name for p in root.iterdir() if not p.name.startswith(".") and (p / "workspace.json").is_file()),
        key=str.lower,
    )


def read_summary(root: Path, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Settings and manifest documents of a workspace, read without taking its lock."""
    path = root / validate_name(name)
    if not (path / "workspace.json").is_file():
        raise WorkspaceNotFound(f"no workspace named {name!r} (see 'wenku workspaces')")
    settings = json.loads((path / "workspace.json").read_text(encoding="utf-8"))
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    return settings, list(manifest["documents"])
