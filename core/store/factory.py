"""Which vector store a workspace uses, from its settings: the one place stores are constructed.

A workspace's ``workspace.json`` may hold a ``store`` entry; without one it is the embedded Qdrant
Edge shard in ``shard/`` (every workspace made before servers were supported)::

    {"kind": "embedded", "folder": "shard-3fa2c1d0"}
    {"kind": "qdrant", "url": "https://qdrant.example:6333", "collection": "wenku_9c1e...",
     "api_key_env": "WENKU_QDRANT_API_KEY", "api_key_file": null, "timeout": 10.0}

The API key is never written into the settings: they name where to read it at open time, an
environment variable (default ``WENKU_QDRANT_API_KEY``) or a key file (first line; keep it
readable by you only). ``url`` may also be ``local:/folder``, qdrant-client's local mode (pure
Python, same API as a server; for tests and trials, see :mod:`core.store.qdrant_server`).

Pure functions; any thread.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from core.errors import StoreUnavailable, UserError
from core.store import VectorStore

log = logging.getLogger(__name__)

EMBEDDED = "embedded"
SERVER = "qdrant"
DEFAULT_FOLDER = "shard"
DEFAULT_API_KEY_ENV = "WENKU_QDRANT_API_KEY"
#: Folder name prefix of the copies the index builder makes (core.store.edge_index).
INDEX_COPY_PREFIX = f"{DEFAULT_FOLDER}-hnsw-"
#: Settings keys naming a store to delete: the half-written target of an interrupted migration,
#: the store a finished migration left, the shard an index build replaced. Deleted on open.
PENDING_DELETION = ("migrating_to", "retired_store", "replaced_shard")


class InvalidStore(UserError):
    """A store given by the user is neither ``embedded`` nor a Qdrant URL."""


def store_settings(
    target: str,
    *,
    api_key_env: str | None = None,
    api_key_file: str | Path | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """The settings entry for a new store: ``embedded`` (a fresh shard folder) or a Qdrant URL
    (a fresh collection name). Validates the form only; nothing is contacted."""
    from core.store.qdrant_server import DEFAULT_TIMEOUT, LOCAL_PREFIX, MEMORY

    target = target.strip()
    if target == EMBEDDED:
        return {"kind": EMBEDDED, "folder": f"{DEFAULT_FOLDER}-{uuid.uuid4().hex[:8]}"}
    if target.startswith(LOCAL_PREFIX):
        folder = Path(target[len(LOCAL_PREFIX):]).expanduser()
        if not str(folder):
            raise InvalidStore("local: needs a folder, e.g. local:/path/to/qdrant-local")
        url = f"{LOCAL_PREFIX}{folder.resolve()}"
    elif target.startswith(("http://", "https://")):
        url = target.rstrip("/")
    elif target == MEMORY:
        raise InvalidStore("an in-memory Qdrant would lose the workspace when Wenku exits; give a server URL")
    else:
        raise InvalidStore(f"unknown store {target!r}: use 'embedded', a Qdrant URL (https://host:6333) "
                           "or local:/folder (qdrant-client's local mode, for trials)")
    return {
        "kind": SERVER,
        "url": url,
        "collection": f"wenku_{uuid.uuid4().hex}",
        "api_key_env": api_key_env or (None if api_key_file else DEFAULT_API_KEY_ENV),
        "api_key_file": str(Path(api_key_file).expanduser().resolve()) if api_key_file else None,
        "timeout": float(timeout or DEFAULT_TIMEOUT),
    }


def current(settings: dict[str, Any]) -> dict[str, Any]:
    """A workspace's store entry (the default embedded shard when it has none)."""
    store = settings.get("store")
    return dict(store) if isinstance(store, dict) else {"kind": EMBEDDED, "folder": DEFAULT_FOLDER}


def describe(store: dict[str, Any]) -> str:
    """``embedded`` or the server URL (never a key)."""
    return EMBEDDED if store.get("kind", EMBEDDED) == EMBEDDED else str(store["url"])


def same_place(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two entries are the same kind of store at the same place (embedded, or one URL)."""
    return describe(a) == describe(b)


def api_key(store: dict[str, Any]) -> str | None:
    """The API key named by a server entry: read from its key file, else its environment variable."""
    key_file = store.get("api_key_file")
    if key_file:
        try:
            lines = Path(key_file).read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise StoreUnavailable(f"cannot read the Qdrant API key file {key_file}: {error.strerror}") from error
        return lines[0].strip() if lines and lines[0].strip() else None
    env = store.get("api_key_env")
    return (os.environ.get(env) or None) if env else None


def embedded_folder(store: dict[str, Any], workspace_path: Path) -> Path:
    """The shard folder of an ``embedded`` entry."""
    return workspace_path / str(store.get("folder", DEFAULT_FOLDER))


def index_copy_entry() -> dict[str, Any]:
    """The entry of a new shard folder for the index builder's copy (a name only it uses)."""
    return {"kind": EMBEDDED, "folder": f"{INDEX_COPY_PREFIX}{uuid.uuid4().hex[:8]}"}


def leftover_shards(workspace_path: Path, entries: list[dict[str, Any]]) -> list[Path]:
    """Index builder copies in a workspace that none of its settings' entries names: a copy a
    crash or a cancel left before it became the store (see :mod:`core.store.edge_index`). Other
    folders are never touched (a shard kept by ``migrate --keep-source`` is named by nothing)."""
    named = {embedded_folder(e, workspace_path).name for e in entries if e.get("kind", EMBEDDED) == EMBEDDED}
    return sorted(path for path in workspace_path.glob(f"{INDEX_COPY_PREFIX}*")
                  if path.is_dir() and path.name not in named)


def open_store(store: dict[str, Any], workspace_path: Path, dimension: int, *, create: bool = False) -> VectorStore:
    """Open (``create``: make if missing) the store an entry names, for the workspace at ``workspace_path``."""
    if store.get("kind", EMBEDDED) == EMBEDDED:
        from core.store.edge import EdgeStore

        return EdgeStore(embedded_folder(store, workspace_path), dimension)
    from core.store.qdrant_server import QdrantServerStore, ServerLocation

    location = ServerLocation(str(store["url"]), api_key(store), float(store.get("timeout") or 10.0))
    return QdrantServerStore(location, str(store["collection"]), dimension, create=create)


def destroy_store(store: dict[str, Any], workspace_path: Path) -> None:
    """Delete what an entry names: the shard folder, or the collection on the server (must be closed)."""
    if store.get("kind", EMBEDDED) == EMBEDDED:
        shutil.rmtree(embedded_folder(store, workspace_path), ignore_errors=True)
        return
    from core.store.qdrant_server import ServerLocation, drop_collection

    location = ServerLocation(str(store["url"]), api_key(store), float(store.get("timeout") or 10.0))
    drop_collection(location, str(store["collection"]))
    log.info("event=collection_dropped url=%s collection=%s", store["url"], store["collection"])
