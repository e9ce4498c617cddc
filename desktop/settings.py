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

SCHEMA_VERSION = 1


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
    known = {f.name for f in fields(AppSettings)}
    return AppSettings(**{k: v for k, v in raw.items() if k in known})


def save_settings(data_dir: Path, settings: AppSettings) -> None:
    path = settings_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, {"schema": SCHEMA_VERSION, **asdict(settings)})


def _location_file() -> Path:
    import platformdirs

    override = os.environ.get("WENKU_CONFIG")
    base = Path(override) if override else Path(platformdirs.user_config_dir("Wenku", appauthor=False))
    return base / "location.json"


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
