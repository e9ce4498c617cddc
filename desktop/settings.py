"""The desktop app's own settings: app preferences and per-workspace GUI settings.

Stored as JSON with a schema version in ``<data>/desktop/`` (atomic writes through
:func:`core.fileio.write_json_atomic`), next to the engine's data so one data folder holds
everything. The data folder location itself lives in the user's config folder (``location.json``),
because it must be known before the data folder is. Pure functions and plain dataclasses; any
thread may call them, but the GUI only writes from the GUI thread.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from core.fileio import write_json_atomic

#: 2: the chat model on a server (``chat_server_*``; the API key is not in this file, see
#: :func:`api_key_path`). Version 1 files load with those fields at their defaults (off).
SCHEMA_VERSION = 2


@dataclass
class AppSettings:
    """Preferences that apply to the whole app."""

    ui_language: str = "system"  # system | zh | en
    answer_language: str = "auto"  # auto (follow the question) | zh | en
    chat_model_path: str = ""  # empty: the default catalogue model
    gpu_mode: str = "auto"  # auto | layers | off
    gpu_layers: int = 20
    threads: int = 0  # 0: automatic
    context_length: int = 4096
    workspaces: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {language, pii_masking}
    last_workspace: str = ""
    # A chat model on an OpenAI-compatible server instead of the local GGUF (off by default). When
    # on, questions and the passages found leave this machine; the window says so in a banner.
    chat_server_enabled: bool = False
    chat_server_url: str = ""  # e.g. http://127.0.0.1:8080/v1
    chat_server_model: str = ""  # empty: the server's first model
    chat_server_context: int = 0  # 0: what the server reports, else 4096

    def uses_chat_server(self) -> bool:
        """Whether answers are generated on a server (switched on and an address given)."""
        return self.chat_server_enabled and bool(self.chat_server_url.strip())

    def gpu_layers_for_engine(self) -> int | None:
        """What to give the llama.cpp adapter: None (auto), 0 (CPU) or a layer count."""
        if self.gpu_mode == "off":
            return 0
        if self.gpu_mode == "layers":
            return max(0, int(self.gpu_layers))
        return None

    def workspace(self, name: str) -> dict[str, Any]:
        """Per-workspace GUI settings with defaults filled in."""
        return {"language": "mixed", "pii_masking": False, **self.workspaces.get(name, {})}


def settings_path(data_dir: Path) -> Path:
    return data_dir / "desktop" / "settings.json"


def load_settings(data_dir: Path) -> AppSettings:
    """Read the settings, tolerating a missing or damaged file (defaults then)."""
    try:
        raw = json.loads(settings_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return AppSettings()
    if not isinstance(raw, dict):
        return AppSettings()
    raw = migrate(raw)
    known = {f.name for f in fields(AppSettings)}
    return AppSettings(**{k: v for k, v in raw.items() if k in known})


def migrate(raw: dict[str, Any]) -> dict[str, Any]:
    """Bring a settings document of an older schema up to :data:`SCHEMA_VERSION`.

    1 → 2 only adds the ``chat_server_*`` fields, whose defaults (off) are right for every old
    file, and drops a ``chat_server_api_key`` should one ever appear there (keys live in
    :func:`api_key_path`). A newer file keeps the fields this version knows.
    """
    raw = dict(raw)
    raw.pop("chat_server_api_key", None)
    if int(raw.get("schema", 1) or 1) < 2:
        raw.update(chat_server_enabled=False)
    raw["schema"] = max(SCHEMA_VERSION, int(raw.get("schema", 1) or 1))
    return raw


def save_settings(data_dir: Path, settings: AppSettings) -> None:
    path = settings_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, {"schema": SCHEMA_VERSION, **asdict(settings)})


def _config_dir() -> Path:
    import platformdirs

    override = os.environ.get("WENKU_CONFIG")
    return Path(override) if override else Path(platformdirs.user_config_dir("Wenku", appauthor=False))


def _location_file() -> Path:
    return _config_dir() / "location.json"


def api_key_path() -> Path:
    """Where the chat server's API key is kept: ``chat-server.key`` in the user's config folder
    (``WENKU_CONFIG`` overrides it), readable by this user only (0600 on Linux; on Windows the
    folder is already private to the user).

    Not in ``settings.json``: the data folder may be shared, synced or backed up, and the key is
    a credential, so it stays in a per-user folder outside it.
    """
    return _config_dir() / "chat-server.key"


def read_api_key() -> str:
    """The stored API key, or "" (no file, unreadable file)."""
    try:
        return api_key_path().read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def write_api_key(key: str) -> None:
    """Store the key (created 0600, replaced atomically), or delete the file for an empty key."""
    target = api_key_path()
    key = key.strip()
    if not key:
        target.unlink(missing_ok=True)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(target.name + ".tmp")
    temp.unlink(missing_ok=True)
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    os.replace(temp, target)


def chosen_data_dir() -> str | None:
    """The data folder picked in Preferences, used when neither --data-dir nor WENKU_HOME is set."""
    try:
        value = json.loads(_location_file().read_text(encoding="utf-8")).get("data_dir")
    except (OSError, ValueError):
        return None
    return str(value) if value else None


def choose_data_dir(path: str) -> None:
    """Remember a new data folder for the next start."""
    target = _location_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(target, {"data_dir": path})
