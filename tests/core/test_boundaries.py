"""Architecture rules: the core never imports Qt, and nothing reaches the network."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_core_imports_and_runs_without_pyside6() -> None:
    code = (
        "import sys, tempfile\n"
        "sys.modules['PySide6'] = None  # any import of PySide6 now fails\n"
        "import core, core.cli, core.engine, core.ingest.pipeline, core.store.edge, core.llm.llama\n"
        "from core import Engine\n"
        "from core.embeddings.hashing import HashingEmbedder\n"
        "e = Engine.create(tempfile.mkdtemp(), embedder=HashingEmbedder(), ocr=None)\n"
        "e.create_workspace('w'); e.close()\n"
        "assert not [m for m in sys.modules if m.startswith('PySide6') and sys.modules[m] is not None]\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_no_source_file_in_core_mentions_qt_or_hub_downloads() -> None:
    for path in (REPO / "core").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "PySide6" not in text, path
        for forbidden in ("hf_hub_download", "snapshot_download", "urlopen(", "requests.get("):
            assert forbidden not in text, (path, forbidden)


def test_the_network_guard_is_active() -> None:
    import socket

    import pytest

    with pytest.raises(AssertionError, match="network access attempted"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
