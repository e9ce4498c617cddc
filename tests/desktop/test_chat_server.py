"""The chat model on a server in the GUI: the settings and key file, Preferences round trip, the
banner that says answers leave the machine (checked in the window's pixels, en and zh), and
answers and failures through a fake server on loopback."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.core.chat_server import Behaviour, chat_server
from tests.core.pdfs import text_pdf

pytestmark = pytest.mark.gui
BRIDGE = ["The Lanford river bridge was restored in 1987 by the county engineers after the great flood."]


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's config folder (where the key file goes), throwaway."""
    path = tmp_path / "config"
    monkeypatch.setenv("WENKU_CONFIG", str(path))
    monkeypatch.delenv("WENKU_CHAT_API_KEY", raising=False)
    return path


def test_settings_round_trip_and_a_version_1_file(data_dir: Path) -> None:
    from desktop.settings import SCHEMA_VERSION, AppSettings, load_settings, save_settings, settings_path

    assert not AppSettings().chat_server_enabled and not AppSettings().uses_chat_server()
    settings = AppSettings(chat_server_enabled=True, chat_server_url="http://gpu-box:8000/v1",
                           chat_server_model="Qwen/Qwen2.5-7B-Instruct", chat_server_context=32768)
    save_settings(data_dir, settings)
    assert load_settings(data_dir) == settings and settings.uses_chat_server()
    saved = json.loads(settings_path(data_dir).read_text(encoding="utf-8"))
    assert saved["schema"] == SCHEMA_VERSION == 2 and "key" not in json.dumps(saved).lower()
    # A file written by the previous version: the server stays off, everything else is kept.
    settings_path(data_dir).write_text(json.dumps({"schema": 1, "ui_language": "zh", "threads": 3}), encoding="utf-8")
    old = load_settings(data_dir)
    assert (old.ui_language, old.threads, old.chat_server_enabled, old.chat_server_url) == ("zh", 3, False, "")
    settings_path(data_dir).write_text(json.dumps({"schema": 2, "chat_server_api_key": "leaked"}), encoding="utf-8")
    assert not hasattr(load_settings(data_dir), "chat_server_api_key")


def test_the_api_key_is_kept_private_outside_the_data_folder(config_dir: Path, data_dir: Path) -> None:
    from desktop.settings import api_key_path, read_api_key, write_api_key

    assert read_api_key() == ""
    write_api_key("  sk-secret  ")
    assert api_key_path() == config_dir / "chat-server.key" and not str(api_key_path()).startswith(str(data_dir))
    assert read_api_key() == "sk-secret"
    if os.name == "posix":
        assert stat.S_IMODE(api_key_path().stat().st_mode) == 0o600
    write_api_key("sk-other")
    assert read_api_key() == "sk-other" and not list(config_dir.glob("*.tmp"))
    write_api_key("")
    assert not api_key_path().exists() and read_api_key() == ""


def test_preferences_round_trip(qtbot: Any, make_window: Any, hashing_embedder: Any, data_dir: Path) -> None:
    from desktop.settings import load_settings, read_api_key

    window = make_window(hashing_embedder)
    dialog = window.open_preferences()
    assert not dialog.server_group.isChecked(), "off by default"
    assert dialog.server_group.title() == "Chat model on a server"
    assert "sent to it" in dialog.server_note.text() and "chat-server.key" in dialog.server_note.text()
    dialog.server_group.setChecked(True)
    dialog.server_url.setText("localhost:8080")  # no scheme: refused, the dialog stays open
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.isVisible() and dialog.server_problem.isVisible() and "http" in dialog.server_problem.text()
    dialog.server_url.setText("http://gpu-box:8000")
    dialog.server_model.setText("qwen2.5:7b")
    dialog.server_key.setText("sk-typed")
    dialog.server_context.setValue(8192)
    assert dialog.server_key.echoMode() == dialog.server_key.EchoMode.Password
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert not dialog.isVisible()

    saved = load_settings(window.data_dir)
    assert (saved.chat_server_enabled, saved.chat_server_url, saved.chat_server_model, saved.chat_server_context) == \
        (True, "http://gpu-box:8000", "qwen2.5:7b", 8192)
    assert read_api_key() == "sk-typed"
    assert "sk-typed" not in (window.data_dir / "desktop" / "settings.json").read_text(encoding="utf-8")
    assert window.remote_banner.isVisible() and "gpu-box:8000" in window.remote_banner.text()

    again = window.open_preferences()  # shows what was saved
    assert again.server_group.isChecked() and again.server_url.text() == "http://gpu-box:8000"
    assert again.server_model.text() == "qwen2.5:7b" and again.server_key.text() == "sk-typed"
    assert again.server_context.value() == 8192
    again.server_group.setChecked(False)  # switched off again: the banner goes, the key stays
    again.buttons.button(again.buttons.StandardButton.Ok).click()
    assert not window.remote_banner.isVisible() and not load_settings(window.data_dir).chat_server_enabled
    assert read_api_key() == "sk-typed"


def _banner_pixels(window: Any) -> int:
    from PySide6.QtGui import QColor

    from desktop.main_window import REMOTE_BANNER_COLOUR

    image = window.grab().toImage()
    target = QColor(REMOTE_BANNER_COLOUR).rgb() & 0xFFFFFF
    return sum(1 for x in range(0, image.width(), 4) for y in range(0, min(image.height(), 200), 2)
               if image.pixel(x, y) & 0xFFFFFF == target)


def test_the_banner_says_plainly_that_answers_leave_the_machine(qtbot: Any, make_window: Any, hashing_embedder: Any,
                                                                  tmp_path: Path) -> None:
    from desktop import i18n

    window = make_window(hashing_embedder)
    assert not window.remote_banner.isVisible() and not window.remote_status.isVisible()
    assert _banner_pixels(window) == 0
    settings = window.settings
    settings.chat_server_enabled, settings.chat_server_url = True, "http://10.0.0.5:8080/v1"
    window.apply_preferences(settings, str(window.data_dir))
    qtbot.waitUntil(lambda: window.remote_banner.isVisible(), timeout=5000)
    assert window.remote_banner.text() == ("Answers are generated on 10.0.0.5:8080 — your questions and the passages "
                                           "found in your documents leave this machine.")
    assert window.remote_status.text() == "Answers from 10.0.0.5:8080"
    # Across the top of the window, in its own colour, wide and tall enough to see.
    assert window.remote_banner.geometry().top() < 60 and window.remote_banner.width() > window.width() * 0.9
    assert _banner_pixels(window) > 500
    assert window.grab().save(str(tmp_path / "remote-banner.png"))  # for a look by eye
    i18n.set_language("zh")
    qtbot.waitUntil(lambda: "10.0.0.5:8080" in window.remote_banner.text() and "离开" in window.remote_banner.text(),
                    timeout=5000)
    assert "本机" in window.remote_banner.text() and "10.0.0.5:8080" in window.remote_status.text()
    assert _banner_pixels(window) > 500
    assert window.grab().save(str(tmp_path / "remote-banner-zh.png"))
    i18n.set_language("en")


def test_the_server_model_is_built_from_the_settings_and_the_key_file() -> None:
    from core.errors import ChatServerUnreachable
    from desktop.engine_host import server_chat_model
    from desktop.settings import AppSettings, write_api_key

    write_api_key("sk-file")
    model = server_chat_model(AppSettings(chat_server_enabled=True, chat_server_url="http://gpu-box:8000",
                                          chat_server_model="m", chat_server_context=8192))
    assert model.config.base_url == "http://gpu-box:8000/v1" and model.config.api_key == "sk-file"
    assert model.context_length == 8192 and model.device == "remote"
    with pytest.raises(ChatServerUnreachable, match="not valid"):
        server_chat_model(AppSettings(chat_server_enabled=True, chat_server_url="gpu-box:8000"))


@pytest.mark.loopback
def test_answers_and_failures_through_a_server(qtbot: Any, data_dir: Path, hashing_embedder: Any, tmp_path: Path) -> None:
    from core import Engine, paths
    from desktop.engine_host import EngineHost, server_chat_model
    from desktop.main_window import MainWindow
    from desktop.settings import AppSettings, write_api_key
    from desktop.tasks import Tasks

    def factory(folder: Path, settings: AppSettings) -> Any:
        return Engine.create(folder, embedder=hashing_embedder, chat_model=server_chat_model(settings), ocr=None)

    with chat_server(Behaviour(key="sk-gui", pieces=["It was restored ", "in 1987 ", "[1]."])) as (url, _b):
        write_api_key("sk-gui")
        root = paths.data_dir(data_dir)
        settings = AppSettings(chat_server_enabled=True, chat_server_url=url, chat_server_model="test-model")
        tasks = Tasks()
        host = EngineHost(tasks, root, settings, factory)
        window = MainWindow(host, tasks, root, settings)
        qtbot.addWidget(window)
        window.show()
        with qtbot.waitSignal(window.workspaces_loaded, timeout=30000):
            host.start()
        qtbot.waitUntil(lambda: host.model_state == "ready", timeout=30000)  # the server was checked
        host_port = url.split("/")[2]
        assert window.device_label.text() == f"Device: server {host_port}"
        assert "passages found in your documents are sent there" in window.device_label.toolTip()
        assert host.model_name == f"test-model @ {host_port}" and window.remote_banner.isVisible()
        dialog = window.open_preferences()  # "Test connection" asks the server on the I/O pool
        dialog.server_test.click()
        qtbot.waitUntil(lambda: dialog.server_result.text().startswith("Connected"), timeout=10000)
        assert dialog.server_result.text() == f"Connected: model test-model on {host_port}."
        dialog.server_key.setText("sk-wrong")
        dialog.server_test.click()
        qtbot.waitUntil(lambda: "refused the API key" in dialog.server_result.text(), timeout=10000)
        assert dialog.server_result.text().startswith("The chat server refused the API key. Check the key in Preferences.")
        dialog.reject()
        with qtbot.waitSignal(window.documents_loaded, timeout=30000):
            window.create_workspace("w", "en")
        with qtbot.waitSignal(window.import_finished, timeout=60000):
            window.import_paths([str(text_pdf(tmp_path / "bridge.pdf", BRIDGE))])
        with qtbot.waitSignal(window.answer_finished, timeout=60000) as answered:
            window.ask("When was the Lanford river bridge restored?")
        turn = answered.args[0]
        assert "1987" in turn["answer"] and turn["citations"] and turn["device"] == "remote"
    # The server is gone: the turn shows a plain sentence, the details name the address.
    with qtbot.waitSignal(window.answer_finished, timeout=60000) as failed:
        window.ask("When was the Lanford river bridge restored?")
    assert failed.args[0]["error_kind"] == "ChatServerUnreachable" and host_port in failed.args[0]["error"]
    labels = window.chat.turn_widgets[-1].findChildren(type(window.remote_banner))
    assert any("The chat server cannot be reached" in label.text() for label in labels), [x.text() for x in labels]
    window.close()
