"""Questions about documents in the other language: the question is also searched translated."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from core import Engine, crosslingual
from core.cancel import CancelToken
from core.datatypes import AnswerDone, AskRequest, Passage, SearchRequest, Span
from core.embeddings.hashing import HashingEmbedder
from core.llm import ChatMessage, OpeningProbe
from core.llm.scripted import ScriptedChatModel
from core.prompts import refusal
from tests.core import pdfs

ENGLISH_PAGES = [
    "The harbour ferry to Gull Island leaves every morning at 06:45 from pier three.",
    "Winter storms close the coastal road between November and February.",
]
CHINESE_PAGES = ["青石镇茶叶合作社成立于二零零九年，有社员六十户。", "合作社每年春季举办采茶节。"]
#: What the fake model "translates" (a real model is used in the test marked ``model``).
TRANSLATIONS = {"渡轮早上几点开往海鸥岛？": "What time does the ferry to Gull Island leave in the morning?"}


class TranslatingModel(ScriptedChatModel):
    """The scripted model, plus translations of the questions in :data:`TRANSLATIONS`."""

    def __init__(self) -> None:
        super().__init__(refusal("en"))
        self.translation_requests = 0

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int, cancel: CancelToken,
               probe: OpeningProbe | None = None) -> Iterator[str]:
        prompt = messages[-1].content
        if prompt.startswith(("Translate the following question", "把下面的问题翻译")):
            self.translation_requests += 1
            yield next((english for chinese, english in TRANSLATIONS.items() if chinese in prompt), "")
            return
        yield from super().stream(messages, max_tokens=max_tokens, cancel=cancel, probe=probe)


@pytest.fixture
def model() -> TranslatingModel:
    return TranslatingModel()


@pytest.fixture
def engine(data_dir: Path, tmp_path: Path, model: TranslatingModel) -> Iterator[Engine]:
    engine = Engine.create(data_dir, embedder=HashingEmbedder(), chat_model=model, ocr=None)
    engine.create_workspace("w")
    engine.ingest("w", [pdfs.text_pdf(tmp_path / "ferry.pdf", ENGLISH_PAGES),
                        pdfs.text_pdf(tmp_path / "tea.pdf", CHINESE_PAGES, fontname="china-s")])
    yield engine
    engine.close()


def test_a_chinese_question_finds_the_english_page_through_its_translation(engine: Engine,
                                                                           model: TranslatingModel) -> None:
    question = "渡轮早上几点开往海鸥岛？"
    plain = engine.search(SearchRequest("w", question, top_k=2))
    assert all(p.doc == "tea.pdf" for p in plain)  # hashing vectors and BM25 cannot cross scripts
    translated = engine.search(SearchRequest("w", question, top_k=2, translate=True))
    assert (translated[0].doc, translated[0].page) == ("ferry.pdf", 1)
    engine.search(SearchRequest("w", question, top_k=2, translate=True))
    assert model.translation_requests == 1  # cached


def test_ask_gives_the_model_the_english_page_found_through_the_translation(engine: Engine) -> None:
    done = [e for e in engine.ask(AskRequest("w", "渡轮早上几点开往海鸥岛？")) if isinstance(e, AnswerDone)][0]
    # The scripted model matches words, so it cannot answer across languages; the real one can
    # (the test marked ``model`` below). What matters here: the English page reached the prompt.
    assert (done.passages[0].doc, done.passages[0].page) == ("ferry.pdf", 1)


def test_no_translation_when_the_workspace_holds_one_language(data_dir: Path, tmp_path: Path,
                                                              model: TranslatingModel) -> None:
    with Engine.create(data_dir, embedder=HashingEmbedder(), chat_model=model, ocr=None) as engine:
        engine.create_workspace("w")
        engine.ingest("w", [pdfs.text_pdf(tmp_path / "tea.pdf", CHINESE_PAGES, fontname="china-s")])
        engine.search(SearchRequest("w", "合作社哪一年成立？", top_k=2, translate=True))
        assert model.translation_requests == 0
        engine.ingest("w", [pdfs.text_pdf(tmp_path / "ferry.pdf", ENGLISH_PAGES)])  # languages re-read
        engine.search(SearchRequest("w", "渡轮早上几点开往海鸥岛？", top_k=2, translate=True))
        assert model.translation_requests == 1


def test_engine_setting_turns_translation_off_for_questions(engine: Engine, model: TranslatingModel) -> None:
    engine.translate_queries = False
    list(engine.ask(AskRequest("w", "渡轮早上几点开往海鸥岛？")))
    assert model.translation_requests == 0


def test_a_translation_in_the_wrong_language_is_not_used() -> None:
    class Echo(ScriptedChatModel):
        def stream(self, messages: Sequence[ChatMessage], **_: object) -> Iterator[str]:  # type: ignore[override]
            yield "渡轮几点开？"  # not English

    translator = crosslingual.QueryTranslator()
    assert translator.translate("渡轮几点开？", "en", Echo, CancelToken()) is None
    assert translator.export() == {"en\t渡轮几点开？": ""}  # remembered as unusable: not asked again


def test_translations_round_trip_through_export() -> None:
    translator = crosslingual.QueryTranslator({"en\t问题": "A question"})
    assert translator.translate("问题", "en", lambda: pytest.fail("cached: no model needed"), CancelToken()) == "A question"
    assert crosslingual.QueryTranslator(translator.export()).export() == translator.export()


def _page(doc: str, page: int, text: str, similarity: float) -> list[Passage]:
    return [Passage("id-" + doc, doc, page, Span(0, len(text)), text, similarity, similarity=similarity)]


def test_merge_keeps_each_ranking_and_interleaves_by_similarity_above_the_language_level() -> None:
    original = [_page("zh.pdf", 1, "合作社成立于二零零九年", 0.93), _page("zh.pdf", 2, "采茶节在春季", 0.90),
                _page("zh.pdf", 4, "茶园", 0.91)]
    translated = [_page("en.pdf", 1, "The ferry leaves at 06:45", 0.90), _page("zh.pdf", 3, "渡轮", 0.99),
                  _page("en.pdf", 2, "Storms close the road", 0.80)]
    level = {"zh": 0.91, "en": 0.89}
    merged = crosslingual.merge_page_lists(original, translated, 4, "en", level)
    # en.pdf 1 is 0.01 above its level; zh.pdf 1 is 0.02 above, zh.pdf 2 0.01 below; the
    # translation's Chinese hit is not taken; zh.pdf 4 stays after zh.pdf 2 (the fused order).
    assert [(g[0].doc, g[0].page) for g in merged] == [("zh.pdf", 1), ("en.pdf", 1), ("zh.pdf", 2), ("zh.pdf", 4)]
    # en.pdf 2 (0.09 below its level) is not taken even with room for it: nothing there answers.
    roomy = crosslingual.merge_page_lists(original, translated, 6, "en", level)
    assert ("en.pdf", 2) not in [(g[0].doc, g[0].page) for g in roomy] and len(roomy) == 4
    # Without levels the raw similarities decide (a tie keeps the question's own page first).
    assert [(g[0].doc, g[0].page) for g in crosslingual.merge_page_lists(original, translated, 4, "en")] == [
        ("zh.pdf", 1), ("zh.pdf", 2), ("zh.pdf", 4), ("en.pdf", 1)]


def test_document_languages() -> None:
    assert crosslingual.document_languages([["The ferry leaves."], ["渡轮早上开。", "合作社"], []]) == {"en", "zh"}


@pytest.mark.model
@pytest.mark.slow
def test_real_model_translates_a_chinese_question_about_an_english_page(data_dir: Path, tmp_path: Path,
                                                                        real_embedder: object) -> None:
    english = [f"Section {n}. " + text for n, text in enumerate([
        "The harbour ferry to Gull Island leaves every morning at 06:45 from pier three.",
        "The town library lends telescopes to members for two weeks at a time.",
        "Winter storms close the coastal road between November and February.",
    ], 1)]
    chinese = ["青石镇茶叶合作社成立于二零零九年，有社员六十户。", "合作社每年春季举办采茶节，游客可以参观茶园。",
               "镇上的渡口每天有三班船开往对岸的村庄。"]
    with Engine.create(data_dir, embedder=real_embedder, ocr=None, threads=2) as engine:  # type: ignore[arg-type]
        engine.create_workspace("w")
        engine.ingest("w", [pdfs.text_pdf(tmp_path / "harbour.pdf", english),
                            pdfs.text_pdf(tmp_path / "tea.pdf", chinese, fontname="china-s")])
        done = [e for e in engine.ask(AskRequest("w", "开往海鸥岛的渡轮早上几点出发？")) if isinstance(e, AnswerDone)][0]
        translations = [v for k, v in engine.query_translator.export().items() if k.startswith("en\t")]
        assert translations and all(crosslingual.detect_language(t) == "en" for t in translations)
        assert ("harbour.pdf", 1) in {(p.doc, p.page) for p in done.passages}
        assert not done.refused and "06:45" in done.answer
        assert ("harbour.pdf", 1) in {(c.doc, c.page) for c in done.citations}
