"""Where Wenku keeps things: the one module that knows paths.

Data directory precedence: an explicit ``data_dir`` argument (CLI ``--data-dir``), then the
``WENKU_HOME`` environment variable, then the platform's user data dir (platformdirs). Resources
(prompts, samples) are found in a source checkout, an installed wheel or a PyInstaller bundle.
Pure functions; any thread may call them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "Wenku"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The root data directory (created if missing)."""
    if override is not None:
        root = Path(override)
    elif os.environ.get("WENKU_HOME"):
        root = Path(os.environ["WENKU_HOME"])
    else:
        import platformdirs

        root = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    root = root.expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    return root


def workspaces_dir(root: Path) -> Path:
    return root / "workspaces"


def uploads_dir(root: Path) -> Path:
    """Files uploaded through the local API (``wenku serve``), one folder per workspace: the
    documents' source files, kept so a re-upload is recognised and the source can be shown."""
    return root / "uploads"


def models_dir(root: Path) -> Path:
    """Where assembled/imported model files live. ``WENKU_MODELS`` overrides it.

    Shared between data dirs through the override, so tests with throwaway data dirs need not
    assemble the 1.1 GB default model again each time.
    """
    override = os.environ.get("WENKU_MODELS")
    return Path(override).expanduser().resolve() if override else root / "models"


def bundled_models_dir() -> Path | None:
    """The read-only ``models/`` folder of a frozen bundle built with models, else ``None``.

    ``packaging/build.py --with-models`` puts the assembled default GGUF and the embedding model
    there so a fresh install answers offline on first start without copying 1 GB into the user's
    data folder.
    """
    frozen_root = getattr(sys, "_MEIPASS", None)
    if not frozen_root:
        return None
    folder = Path(frozen_root, "models")
    return folder if folder.is_dir() else None


def resource_path(*parts: str) -> Path:
    """Path of a file under ``resources/`` in a checkout, a wheel, or a frozen bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root, "resources", *parts)
    import resources

    return Path(resources.__file__).parent.joinpath(*parts)
