"""Smaller desktop parts: translations, GGUF header reading, single instance, crash reports, history."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.gui
REPO = Path(__file__).resolve().parents[2]


def test_translations_complete_and_built() -> None:
    import importlib.util
    import shutil
    import sys

    if not (Path(sys.executable).with_name("pyside6-lrelease").exists() or shutil.which("pyside6-lrelease")):
        pytest.skip("pyside6-lrelease is not installed")
    spec = importlib.util.spec_from_file_location("translations", REPO / "packaging" / "translations.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert module.check() == []


def test_every_tr_string_is_in_the_ts_file() -> None:
    """A string added to the code without running `translations.py update` is caught here."""
    import re
    import xml.etree.ElementTree as ET

    sources = {m.findtext("source") for m in ET.parse(REPO / "resources/translations/wenku_zh_CN.ts").iter("message")}
    pattern = re.compile(r'(?:self\.tr|QCoreApplication\.translate\("\w+",)\(?\s*"((?:[^"\\]|\\.)*)"\s*[,)]')
    missing = []
    for path in (REPO / "desktop").glob("*.py"):
        for text in pattern.findall(path.read_text(encoding="utf-8")):
            text = text.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
            if text not in sources:
                missing.append((path.name, text))
    assert not missing


def _gguf(path: Path, *, arch: str = "llama", file_type: int = 15, context: int = 8192) -> Path:
    def string(s: str) -> bytes:
        data = s.encode()
        return struct.pack("<Q", len(data)) + data

    kvs = [
        string("general.architecture") + struct.pack("<I", 8) + string(arch),
        string("general.name") + struct.pack("<I", 8) + string("Tiny Test"),
        string("general.file_type") + struct.pack("<I", 4) + struct.pack("<I", file_type),
        string(f"{arch}.context_length") + struct.pack("<I", 4) + struct.pack("<I", context),
        string(f"{arch}.block_count") + struct.pack("<I", 4) + struct.pack("<I", 12),
        string("tokenizer.ggml.tokens") + struct.pack("<I", 9) + struct.pack("<IQ", 8, 2) + string("a") + string("b"),
        string("tokenizer.ggml.scores") + struct.pack("<I", 9) + struct.pack("<IQ", 6, 2) + struct.pack("<ff", 0, 1),
    ]
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs))
    return path


def test_gguf_header(tmp_path: Path) -> None:
    from core.llm.gguf import NotGguf, read_gguf

    info = read_gguf(_gguf(tmp_path / "m.gguf"))
    assert (info.name, info.architecture, info.quantization, info.context_length, info.layers) == (
        "Tiny Test", "llama", "Q4_K_M", 8192, 12)
    (tmp_path / "x.gguf").write_bytes(b"not a model")
    with pytest.raises(NotGguf):
        read_gguf(tmp_path / "x.gguf")


def test_preferences_show_gguf_facts(qtbot: Any, tmp_path: Path) -> None:
    from desktop.preferences import PreferencesDialog
    from desktop.settings import AppSettings

    dialog = PreferencesDialog(AppSettings(), data_dir=tmp_path, workspace=None, runtime={"device": "cpu"},
                               default_model_path=str(tmp_path / "missing.gguf"))
    qtbot.addWidget(dialog)
    assert "not installed" in dialog.model_facts.text()
    dialog.add_model(str(_gguf(tmp_path / "tiny.gguf")))
    assert "Q4_K_M" in dialog.model_facts.text() and "8192" in dialog.model_facts.text()
    dialog.gpu_mode.setCurrentIndex(dialog.gpu_mode.findData("layers"))
    dialog.gpu_layers.setValue(7)
    dialog._accept()
    assert dialog.settings.chat_model_path.endswith("tiny.gguf")
    assert dialog.settings.gpu_layers_for_engine() == 7
    assert "CPU" in dialog.running.text()


def test_single_instance(qtbot: Any, tmp_path: Path) -> None:
    from desktop.single_instance import SingleInstance, notify_running

    assert not notify_running(tmp_path)
    server = SingleInstance(tmp_path)
    with qtbot.waitSignal(server.raise_requested, timeout=5000):
        assert notify_running(tmp_path)
    assert not notify_running(tmp_path / "other")
    files = [str(tmp_path / "报告 2024.pdf"), str(tmp_path / "b.pdf")]
    with qtbot.waitSignal(server.files_opened, timeout=5000) as opened:
        assert notify_running(tmp_path, files)  # "Open with Wenku" while Wenku runs
    assert opened.args == [files]
    server.close()


def test_crash_log_is_offered_once(tmp_path: Path) -> None:
    from desktop import crash_report

    assert crash_report.take_previous_crash(tmp_path) is None
    log = crash_report.crash_log(tmp_path)
    log.parent.mkdir(parents=True)
    log.write_text("Fatal Python error: Segmentation fault\n  File \"llama.py\", line 1\n", encoding="utf-8")
    assert "Segmentation fault" in (crash_report.take_previous_crash(tmp_path) or "")
    assert crash_report.take_previous_crash(tmp_path) is None
    assert list(log.parent.glob("crash-*.log"))


def test_history_round_trip(tmp_path: Path) -> None:
    from desktop.history import History, to_markdown

    history = History(tmp_path, "工作区")
    history.add_turn({"question": "q1", "answer": "a1 [1]", "citations": [
        {"marker": 1, "doc": "d.pdf", "page": 3, "span": [0, 5], "snippet": "snip"}]})
    again = History(tmp_path, "工作区")
    assert again.turns()[0]["answer"] == "a1 [1]"
    again.new_conversation()
    assert History(tmp_path, "工作区").turns() == []
    moved = again.rename("other")
    assert moved.conversations[0]["turns"][0]["question"] == "q1" and not again.path.exists()
    labels = {"title": "Conversation", "question": "Question", "answer": "Answer", "sources": "Sources",
              "page": "page %1"}
    assert "- [1] d.pdf, page 3: snip" in to_markdown("w", moved.conversations[0]["turns"], labels)


def test_viewer_highlights_ocr_line_boxes_and_text_spans(qtbot: Any, tmp_path: Path) -> None:
    """Scanned pages: the citation's OCR line boxes are painted; text pages: the span is searched."""
    from desktop.source_viewer import SourceViewer
    from tests.core.pdfs import scanned_pdf, text_pdf

    viewer = SourceViewer()
    qtbot.addWidget(viewer)
    scan = scanned_pdf(tmp_path / "scan.pdf", "The ferry leaves at nine.")
    viewer.open_source(scan, "scan.pdf", 1, (0, 10), "The ferry leaves at nine.")
    assert viewer.highlight_rects == [] and "could not be located" in viewer.note.text()
    viewer.open_source(scan, "scan.pdf", 1, (0, 10), "The ferry leaves at nine.", [(50.0, 50.0, 300.0, 70.0)])
    assert viewer.highlight_rects == [(50.0, 50.0, 300.0, 70.0)]
    assert viewer.note.text() == "The cited passage is highlighted."

    page_text = "Alpha line one.\nThe bridge was restored in 1987."
    pdf = text_pdf(tmp_path / "t.pdf", [page_text])
    start = page_text.index("The bridge")
    viewer.open_source(pdf, "t.pdf", 1, (start, len(page_text)), "")
    assert len(viewer.highlight_rects) >= 1
    top = min(r[1] for r in viewer.highlight_rects)
    assert top > 55, "the highlight must be on the second line, not the first"


def test_data_folder_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--data-dir beats WENKU_HOME beats the folder chosen in Preferences beats the platform default."""
    from desktop.app import resolve_data_dir
    from desktop.settings import choose_data_dir, chosen_data_dir

    monkeypatch.setenv("WENKU_CONFIG", str(tmp_path / "config"))
    assert chosen_data_dir() is None
    choose_data_dir(str(tmp_path / "chosen"))
    assert chosen_data_dir() == str(tmp_path / "chosen")
    monkeypatch.setenv("WENKU_HOME", str(tmp_path / "home"))
    assert resolve_data_dir(None) == (tmp_path / "home").resolve()
    assert resolve_data_dir(str(tmp_path / "explicit")) == (tmp_path / "explicit").resolve()
    monkeypatch.delenv("WENKU_HOME")
    assert resolve_data_dir(None) == (tmp_path / "chosen").resolve()


def test_a_refusal_over_absent_names_says_which_in_the_answer_language() -> None:
    from core.datatypes import AnswerDone, Timings
    from desktop.history import turn_from_answer

    done = AnswerDone(question="q", language="zh", answer="在您的文档中没有找到答案。", refused=True, citations=(),
                      passages=(), timings=Timings(), device="cpu", missing_names=("流浪地球2",))
    assert turn_from_answer("q", done)["answer"] == "在您的文档中没有找到答案。\n您的文档中没有提到：“流浪地球2”。"


def test_a_withdrawn_answer_says_the_check_doubted_it_in_the_answer_language() -> None:
    from core.datatypes import AnswerDone, Timings
    from desktop.history import turn_from_answer

    for language, refusal in (("zh", "在您的文档中没有找到答案。"), ("en", "I could not find the answer in your documents.")):
        done = AnswerDone(question="q", language=language, answer=refusal, refused=True, citations=(), passages=(),
                          timings=Timings(), device="cpu", withdrawn=True, withdrawn_answer="阿扎伦卡 [2]")
        shown = turn_from_answer("q", done)["answer"]
        assert shown.startswith(refusal + "\n") and ("撤回" in shown if language == "zh" else "withdrawn" in shown)
        assert "阿扎伦卡" not in shown
