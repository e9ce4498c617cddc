"""End-to-end GUI tests: workspaces, drag-and-drop import, streamed answers with citation chips,
the source viewer, cancelling, language switching, and history across restarts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from core.datatypes import SearchRequest
from tests.core.pdfs import many_pages_pdf, text_pdf

pytestmark = pytest.mark.gui

BRIDGE = [
    "The Lanford river bridge is a stone arch bridge in the north of the valley.",
    ("The Lanford river bridge was restored in 1987 by the county engineers after the great flood. "
     "The restoration cost 2.4 million dollars and took two years."),
]
TEA = ["The Qingshi tea cooperative grows green tea on terraced hills.\nIt was founded in 1956 by eleven families."]


def drop_files(window: Any, paths: list[Path]) -> None:
    """Simulate dropping real files onto the window (QDragEnter + QDrop with file URLs)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    target = window.centralWidget()
    enter = QDragEnterEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    assert target is not None


def create_workspace(qtbot: Any, window: Any, name: str) -> None:
    with qtbot.waitSignal(window.documents_loaded, timeout=30000):
        window.create_workspace(name, "en")
    assert window.workspace == name


def test_import_ask_cite_and_restart(qtbot: Any, make_window: Any, real_embedder: Any, tmp_path: Path) -> None:
    first = text_pdf(tmp_path / "bridge.pdf", BRIDGE)
    second = text_pdf(tmp_path / "tea.pdf", TEA)
    window = make_window(real_embedder, delay_s=0.05)
    create_workspace(qtbot, window, "history")
    assert "history" in window.workspaces.list.item(0).text()

    with qtbot.waitSignal(window.import_finished, timeout=120000) as blocker:
        drop_files(window, [first, second])
        assert window.documents.progress.isVisible()
    assert blocker.args[0].count("added") == 2
    qtbot.waitUntil(lambda: window.documents.table.rowCount() == 2, timeout=10000)
    names = {window.documents.table.item(r, 0).text() for r in range(2)}
    assert names == {"bridge.pdf", "tea.pdf"}
    row = next(r for r in range(2) if window.documents.table.item(r, 0).text() == "bridge.pdf")
    assert window.documents.table.item(row, 1).text() == "2"  # pages
    qtbot.waitUntil(lambda: "2 documents" in window.workspaces.list.item(0).text(), timeout=10000)

    # A question the documents cannot answer is refused, with the closest passages offered (refused
    # turns are not used as conversation history, so the next question stands alone).
    with qtbot.waitSignal(window.answer_finished, timeout=60000) as refused:
        window.ask("What is the airspeed velocity of an unladen swallow?")
    assert refused.args[0]["refused"]
    refusal = window.chat.turn_widgets[-1]
    assert refusal.property("kind") == "refusal" and refusal.header.isVisible()
    assert refusal.header.text() == "Not found in your documents"
    assert refusal.chips_title.text() == "Closest passages:" and refusal.chip_buttons

    # Ask by typing and pressing Enter; the answer streams in, then citation chips appear.
    window.chat.question.setFocus()
    qtbot.keyClicks(window.chat.question, "When was the Lanford river bridge restored?")
    partial: list[str] = []
    window.chat._flush_timer.timeout.connect(lambda: partial.append(window.chat.turn_widgets[-1].answer_label.text()))
    with qtbot.waitSignal(window.answer_finished, timeout=60000) as answered:
        qtbot.keyClick(window.chat.question, Qt.Key.Key_Return)
        assert window.chat.stop_button.isEnabled()
    turn = answered.args[0]
    assert not turn["refused"] and "1987" in turn["answer"]
    assert any("▍" in text for text in partial), "the answer was not shown while streaming"
    widget = window.chat.turn_widgets[-1]
    assert widget.chip_buttons, "no citation chips"
    chip = widget.chip_buttons[0]
    assert chip.text().startswith("[") and "bridge.pdf" in chip.text()
    assert chip.accessibleName().startswith("Source 1")

    # Clicking the chip opens the cited page with the passage highlighted.
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.viewer.isVisible() and window.viewer.path is not None, timeout=10000)
    assert window.viewer.page_number == 2
    assert window.viewer.highlight_rects, "the cited passage is not highlighted"
    assert "page 2" in window.viewer.title.text()
    assert window.grab().save(str(tmp_path / "source-viewer.png"))  # for a look by eye
    zoom = window.viewer.zoom
    window.viewer.set_zoom(+1)
    assert window.viewer.zoom > zoom and window.viewer.highlight_rects
    window.viewer.show_page(1)
    assert window.viewer.highlight_rects == [] and "page 2" in window.viewer.note.text()

    markdown = window.conversation_markdown()
    assert "When was the Lanford river bridge restored?" in markdown and "bridge.pdf" in markdown
    window.export_conversation(str(tmp_path / "chat.md"))
    assert "1987" in (tmp_path / "chat.md").read_text(encoding="utf-8")

    # Restart: a new window on the same data dir shows the conversation again.
    window.close()
    again = make_window(real_embedder)
    assert again.workspace == "history"
    assert len(again.chat.turn_widgets) == 2
    assert again.chat.turn_widgets[0].property("kind") == "refusal"
    assert "1987" in again.chat.turn_widgets[1].answer_label.text()
    assert again.chat.turn_widgets[1].chip_buttons
    again.new_conversation()
    assert again.chat.turn_widgets == []
    assert again.chat.conversations.count() == 2  # the new one and the earlier one
    earlier = again.chat.conversations.itemData(1)
    assert "What is the airspeed" in again.chat.conversations.itemText(1)
    again.select_conversation(earlier)
    assert len(again.chat.turn_widgets) == 2 and again.history.current["id"] == earlier


def test_cancel_import_and_generation(qtbot: Any, make_window: Any, real_embedder: Any, tmp_path: Path) -> None:
    small = text_pdf(tmp_path / "bridge.pdf", BRIDGE)
    big = many_pages_pdf(tmp_path / "inventory.pdf", 200)  # long enough that the cancel lands mid-indexing
    window = make_window(real_embedder, delay_s=0.3)
    create_workspace(qtbot, window, "cancel")
    with qtbot.waitSignal(window.import_finished, timeout=120000):
        window.import_paths([str(small)])

    # Cancel a long import while it indexes; the app keeps answering meanwhile.
    window.import_paths([str(big)])
    qtbot.waitUntil(lambda: window.import_job is not None and window.import_job.latest.stage == "embedding",
                    timeout=60000)
    qtbot.waitUntil(lambda: "Indexing by meaning" in window.documents.progress.label.text(), timeout=5000)
    qtbot.waitUntil(lambda: "left" in window.documents.progress.label.text(), timeout=90000)  # ETA after a batch
    with qtbot.waitSignal(window.answer_finished, timeout=60000) as during:
        window.ask("When was the Lanford river bridge restored?")
    assert window.import_job is not None, "the import should still be running"
    assert "1987" in during.args[0]["answer"]
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        qtbot.mouseClick(window.documents.progress.cancel_button, Qt.MouseButton.LeftButton)
    assert not window.documents.progress.isVisible()
    qtbot.wait(500)
    assert window.import_job is None, "a cancelled import must not restart by itself"
    statuses = [window.documents.table.item(r, 4).text() for r in range(window.documents.table.rowCount())]
    assert any("continues with the next import" in text for text in statuses) or len(statuses) == 1

    # Stop a generation with Esc once text is streaming.
    with qtbot.waitSignal(window.answer_finished, timeout=60000) as stopped:
        window.ask("When was the Lanford river bridge restored?")
        qtbot.waitUntil(lambda: bool(window.chat._pending), timeout=30000)
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert stopped.args[0]["cancelled"]
    assert window.chat.turn_widgets[-1].status.text() == "Stopped."
    assert window.chat.send_button.isEnabled()


def test_language_switches_live(qtbot: Any, make_window: Any, hashing_embedder: Any) -> None:
    from desktop import i18n

    window = make_window(hashing_embedder)
    create_workspace(qtbot, window, "lang")
    assert window.chat.send_button.text() == "Ask"
    assert window.documents.add_button.text() == "Add documents…"
    i18n.set_language("zh")
    qtbot.waitUntil(lambda: window.chat.send_button.text() == "提问", timeout=5000)  # LanguageChange is posted
    assert window.documents.add_button.text() == "添加文档…"
    assert window.workspaces.title.text() == "工作区"
    assert "0 个文档" in window.workspaces.list.item(0).text()
    assert window.file_menu.title() == "文件(&F)"
    i18n.set_language("en")
    qtbot.waitUntil(lambda: window.chat.send_button.text() == "Ask", timeout=5000)

    # Through Preferences, as a user does it: applied at once, remembered for the next start.
    import copy

    from desktop.settings import load_settings

    chosen = copy.deepcopy(window.settings)
    chosen.ui_language = "zh"
    window.apply_preferences(chosen, str(window.data_dir))
    qtbot.waitUntil(lambda: window.chat.send_button.text() == "提问", timeout=5000)
    assert window.model_label.text().startswith("对话模型")
    assert load_settings(window.data_dir).ui_language == "zh"


def test_workspace_rename_delete_and_preferences(qtbot: Any, make_window: Any, hashing_embedder: Any,
                                                 monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QMessageBox

    from desktop.main_window import central_widget_names

    window = make_window(hashing_embedder)
    create_workspace(qtbot, window, "alpha")
    create_workspace(qtbot, window, "beta")
    with qtbot.waitSignal(window.documents_loaded, timeout=30000):
        window.rename_workspace("beta", "gamma", "zh")
    assert window.workspace == "gamma" and set(window.workspaces.names()) == {"alpha", "gamma"}
    assert "中文" in window.workspaces.list.currentItem().text()

    # An engine error becomes a translated sentence, with the details one click away.
    window.create_workspace("bad/name", "en")
    qtbot.waitUntil(lambda: window.last_box is not None and window.last_box.isVisible(), timeout=10000)
    box = window.last_box
    assert box.text().startswith("That workspace name cannot be used.")
    assert "InvalidWorkspaceName" in box.detailedText()
    copy = next(b for b in box.buttons() if b.text() == "Copy details")
    copy.click()
    assert "bad/name" in QApplication.clipboard().text() and box.isVisible()
    box.close()

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(window.workspaces_loaded, timeout=30000):
        window.workspaces.ask_delete()
    assert window.workspaces.names() == ["alpha"] and window.workspace == "alpha"

    # Preferences: answer language and PII masking are stored; controls are named for screen readers.
    dialog = window.open_preferences()
    dialog.answer_language.setCurrentIndex(dialog.answer_language.findData("zh"))
    dialog.pii.setChecked(True)
    dialog._accept()
    assert window.settings.answer_language == "zh"
    assert window.settings.workspace("alpha")["pii_masking"] is True
    from desktop.settings import load_settings

    assert load_settings(window.data_dir).workspace("alpha")["pii_masking"] is True
    unnamed = [name for name in central_widget_names(window) if name.startswith("<unnamed")]
    assert not unnamed, f"controls without an accessible name: {unnamed}"


def test_document_actions_failures_and_keyboard(qtbot: Any, make_window: Any, hashing_embedder: Any,
                                                tmp_path: Path) -> None:
    good = text_pdf(tmp_path / "bridge.pdf", BRIDGE)
    broken = tmp_path / "notes.pdf"
    broken.write_text("this is not a PDF at all", encoding="utf-8")
    window = make_window(hashing_embedder)
    create_workspace(qtbot, window, "docs")
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        window.documents.add_requested.emit([str(good), str(broken)])  # what "Add documents…" emits
    qtbot.waitUntil(lambda: window.documents.table.rowCount() == 2, timeout=10000)
    failed_row = next(r for r in range(2) if window.documents.table.item(r, 0).text() == "notes.pdf")
    assert window.documents.table.item(failed_row, 4).text() == "Failed: The file is not a PDF."
    assert "Import finished: 1 added, 0 unchanged, 1 failed." in window.statusBar().currentMessage()

    # Re-import the good document, then remove it.
    good_row = 1 - failed_row
    window.documents.table.selectRow(good_row)
    assert window.documents.reimport_button.isEnabled() and window.documents.remove_button.isEnabled()
    with qtbot.waitSignal(window.import_finished, timeout=60000) as again:
        qtbot.mouseClick(window.documents.reimport_button, Qt.MouseButton.LeftButton)
    assert again.args[0].count("added") == 1
    qtbot.waitUntil(lambda: window.documents.table.rowCount() == 2, timeout=10000)
    good_row = next(r for r in range(2) if window.documents.table.item(r, 0).text() == "bridge.pdf")
    window.documents.table.selectRow(good_row)
    with qtbot.waitSignal(window.documents_loaded, timeout=30000):
        qtbot.mouseClick(window.documents.remove_button, Qt.MouseButton.LeftButton)
    assert [window.documents.table.item(r, 0).text() for r in range(window.documents.table.rowCount())] == ["notes.pdf"]

    # Keyboard: Ctrl+L focuses the question box; Shift+Enter is a new line, not a question.
    window.activateWindow()
    window.documents.table.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.chat.question.hasFocus(), timeout=3000)
    qtbot.keyClicks(window.chat.question, "first line")
    qtbot.keyClick(window.chat.question, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(window.chat.question, "second line")
    assert window.chat.question.toPlainText() == "first line\nsecond line"
    assert window.chat.turn_widgets == []


def test_answer_stays_with_its_workspace(qtbot: Any, make_window: Any, hashing_embedder: Any, tmp_path: Path) -> None:
    from desktop.history import History

    window = make_window(hashing_embedder, delay_s=0.1)
    create_workspace(qtbot, window, "first")
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        window.import_paths([str(text_pdf(tmp_path / "bridge.pdf", BRIDGE))])
    with qtbot.waitSignal(window.answer_finished, timeout=60000):
        window.ask("When was the Lanford river bridge restored?")
        qtbot.waitUntil(lambda: bool(window.chat._pending), timeout=30000)
        create_workspace(qtbot, window, "second")  # switching stops the answer
    assert window.workspace == "second" and window.chat.turn_widgets == []
    assert window.chat.send_button.isEnabled()
    assert History(window.data_dir, "first").turns()[0]["cancelled"]
    assert History(window.data_dir, "second").turns() == []


def test_the_chat_says_while_the_answer_is_checked(qtbot: Any, make_window: Any, hashing_embedder: Any,
                                                   tmp_path: Path) -> None:
    """Between the last token and the verdict the model checks its answer (seconds on a CPU): the
    chat says so, and the notice is gone once the answer is final."""
    window = make_window(hashing_embedder)
    create_workspace(qtbot, window, "first")
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        window.import_paths([str(text_pdf(tmp_path / "bridge.pdf", BRIDGE))])
    notices: list[str] = []
    shown = window.chat.set_notice
    window.chat.set_notice = lambda text: (notices.append(text), shown(text))  # type: ignore[method-assign]
    with qtbot.waitSignal(window.answer_finished, timeout=60000):
        window.ask("When was the Lanford river bridge restored?")
    assert window.tr("Checking the answer against the passages…") in notices
    assert notices[-1] == "" and window.chat.notice.isHidden()


class _BrokenModel:
    """A chat model that fails mid-answer, as a native library error would."""

    device = "cpu"
    context_length = 4096

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 3)

    def stream(self, messages: Any, *, max_tokens: int, cancel: Any, probe: Any = None) -> Any:
        yield "The bridge "
        raise RuntimeError("llama_decode returned -3")


def test_failed_answer_and_engine_restart(qtbot: Any, qapp: Any, data_dir: Path, hashing_embedder: Any,
                                          tmp_path: Path) -> None:
    import copy

    from core import Engine, paths
    from desktop.engine_host import EngineHost
    from desktop.main_window import MainWindow
    from desktop.settings import load_settings
    from desktop.tasks import Tasks

    root = paths.data_dir(data_dir)
    created: list[Any] = []

    def factory(folder: Path, settings: Any) -> Any:
        created.append(settings.threads)
        return Engine.create(folder, embedder=hashing_embedder, chat_model=_BrokenModel(), ocr=None)

    tasks = Tasks()
    host = EngineHost(tasks, root, load_settings(root), factory)
    window = MainWindow(host, tasks, root, load_settings(root))
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.workspaces_loaded, timeout=30000):
        host.start()
    create_workspace(qtbot, window, "broken")
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        window.import_paths([str(text_pdf(tmp_path / "bridge.pdf", BRIDGE))])
    with qtbot.waitSignal(window.answer_finished, timeout=60000) as failed:
        window.ask("When was the Lanford river bridge restored?")
    assert "llama_decode returned -3" in failed.args[0]["error"]
    turn = window.chat.turn_widgets[-1]
    assert turn.property("kind") == "error" and turn.details_button.isVisible()
    assert turn.status.text() == "The answer failed."
    turn.details_button.click()
    assert "llama_decode" in QApplication.clipboard().text()

    # Changing an engine setting recreates the engine in the background; the workspace stays open.
    chosen = copy.deepcopy(window.settings)
    chosen.threads = 3
    with qtbot.waitSignal(window.workspaces_loaded, timeout=30000):
        window.apply_preferences(chosen, str(root))
    assert created == [0, 3] and window.workspace == "broken"
    qtbot.waitUntil(lambda: window.documents.table.rowCount() == 1, timeout=10000)
    window.close()


def test_open_with_wenku_imports_into_a_new_workspace(qtbot: Any, make_window: Any, hashing_embedder: Any,
                                                      tmp_path: Path) -> None:
    """Files given on the command line (the desktop's "Open with") wait for the engine; with no
    workspace yet, one is created for them and they are imported."""
    window = make_window(hashing_embedder)
    assert window.workspace is None
    pdf = text_pdf(tmp_path / "bridge.pdf", BRIDGE)
    with qtbot.waitSignal(window.import_finished, timeout=60000):
        window.open_files([str(pdf)])
    assert window.workspace == "My documents"
    qtbot.waitUntil(lambda: window.documents.table.rowCount() == 1, timeout=30000)
    assert not window.pending_open


def _reporting_model(report: dict[str, Any]) -> Any:
    """The scripted chat model, reporting the device a real load on some GPU machine would report."""
    from core.llm.scripted import ScriptedChatModel
    from core.prompts import refusal

    class Reporting(ScriptedChatModel):
        device = report["device"]

        def device_report(self) -> dict[str, Any]:
            return dict(report)

    return Reporting(refusal("en"))


CUDA_REPORT = {"device": "cuda", "cuda_build": True, "gpu_layers": 28, "total_layers": 28, "n_gpu_layers": 29,
               "vram_free_mib": 20000, "vram_total_mib": 24576, "gpu_name": "NVIDIA GeForce RTX 4090", "reason": "",
               "fallback_reason": "", "loaded": True}


@pytest.mark.parametrize("report, status, detail", [
    (CUDA_REPORT, "Device: GPU (CUDA) 28/28 layers", "Video memory: 20000 MiB free of 24576 MiB (NVIDIA GeForce RTX 4090)"),
    ({**CUDA_REPORT, "gpu_layers": 12, "reason": "not_enough_vram", "vram_free_mib": 900},
     "Device: GPU (CUDA) 12/28 layers", "Not every layer fits in the free video memory"),
    ({**CUDA_REPORT, "device": "cpu", "gpu_layers": 0, "n_gpu_layers": 0, "reason": "cuda_init_failed",
      "fallback_reason": "RuntimeError: ggml_cuda_init: failed to initialize CUDA"},
     "Device: CPU (CUDA unavailable: CUDA failed to start)", "failed to initialize CUDA"),
])
def test_status_bar_and_preferences_show_where_the_model_runs(qtbot: Any, data_dir: Path, hashing_embedder: Any,
                                                              report: dict[str, Any], status: str, detail: str) -> None:
    from core import Engine, paths
    from desktop import i18n
    from desktop.engine_host import EngineHost
    from desktop.main_window import MainWindow
    from desktop.settings import load_settings
    from desktop.tasks import Tasks

    root = paths.data_dir(data_dir)
    tasks = Tasks()
    host = EngineHost(tasks, root, load_settings(root), lambda folder, _s: Engine.create(
        folder, embedder=hashing_embedder, chat_model=_reporting_model(report), ocr=None))
    window = MainWindow(host, tasks, root, load_settings(root))
    qtbot.addWidget(window)
    window.show()
    host.start()
    qtbot.waitUntil(lambda: host.model_state == "ready", timeout=30000)
    assert window.device_label.text() == status
    assert detail in window.device_label.toolTip()
    dialog = window.open_preferences()
    assert status.removeprefix("Device: ") in dialog.running.text() and detail in dialog.running.text()
    dialog.reject()
    i18n.set_language("zh")
    qtbot.waitUntil(lambda: window.device_label.text().startswith("设备"), timeout=5000)
    assert "CUDA" in window.device_label.text() and window.device_label.text() != status
    i18n.set_language("en")
    window.close()


def test_the_status_bar_says_while_the_search_index_is_built(qtbot: Any, make_window: Any, hashing_embedder: Any,
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A big import's HNSW index is built in the background (thresholds lowered for a small PDF):
    the status bar says so, in pixels, and stops saying so when it is done; questions work meanwhile."""
    import threading
    import time

    from core.store import edge_index

    release = threading.Event()
    real = edge_index.optimize_in_child

    def held(folder: Any, dimension: int, cancel: Any, **kwargs: Any) -> Any:
        while not release.is_set() and not cancel.cancelled:
            time.sleep(0.05)
        return real(folder, dimension, cancel, **kwargs)

    monkeypatch.setattr(edge_index, "optimize_in_child", held)
    window = make_window(hashing_embedder)
    builder = window.host.engine.vector_index
    builder.threshold, builder.indexing_threshold_kb = 10, 1
    create_workspace(qtbot, window, "big")
    from tests.core.test_vector_index import QUERY, _varied_pdf

    with qtbot.waitSignal(window.import_finished, timeout=120000):
        window.import_paths([str(_varied_pdf(tmp_path / "ledgers.pdf", 30, 1))])
    qtbot.waitUntil(lambda: window.index_label.isVisible() and window.documents.table.rowCount() == 1, timeout=10000)
    assert window.index_label.text() == "Building the search index…"
    assert "Searches and questions work meanwhile" in window.index_label.toolTip()
    assert window.grab().save(str(tmp_path / "index-building.png"))  # for a look by eye
    # In the status bar at the bottom, and drawn: its pixels hold more than the background.
    corner = window.index_label.mapTo(window, window.index_label.rect().topLeft())
    assert corner.y() > window.height() * 0.8
    label = window.grab(window.index_label.rect().translated(corner)).toImage()
    colours = {label.pixel(x, y) for x in range(0, label.width(), 2) for y in range(label.height())}
    assert len(colours) > 3
    assert window.host.engine.search(SearchRequest("big", QUERY, 3))
    release.set()
    qtbot.waitUntil(lambda: not window.index_label.isVisible(), timeout=60000)
    assert builder.last_result["big"].startswith("built in ")
    assert window.host.engine.index_status("big").unindexed_vectors == 0
