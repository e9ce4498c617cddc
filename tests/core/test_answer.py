"""Grounded answers with the scripted model: citations validated, refusals, languages, streaming."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core import answer as answering
from core import prompts
from core.answer import CitationFilter, citations_of, is_refusal, tidy
from core.cancel import CancelToken
from core.datatypes import AnswerChecking, AnswerDone, AskRequest, Passage, SourcesFound, Span, TokenDelta
from core.lang import detect_language
from tests.core import pdfs


def _stream(pieces: list[str], count: int) -> str:
    citation_filter = CitationFilter(count)
    return tidy("".join(citation_filter.feed(p) for p in pieces) + citation_filter.finish())


def test_valid_markers_pass_and_invalid_ones_are_dropped_while_streaming() -> None:
    assert _stream(["The bridge opened in 1832 [", "1", "]. It cost a lot [7]."], 2) == "The bridge opened in 1832 [1]. It cost a lot."
    assert _stream(["Both [1, 2] say so [", "2", "][3]"], 2) == "Both [1][2] say so [2]"
    assert _stream(["Unclosed at the end [1"], 2) == "Unclosed at the end [1"
    assert _stream(["数组下标 [0] 不是引用。"], 2) == "数组下标 不是引用。"
    assert _stream(["Brackets [like this] stay."], 2) == "Brackets [like this] stay."


def test_citations_map_markers_to_passages() -> None:
    passages = [
        Passage("d1", "a.pdf", 3, Span(10, 50), "first passage text", 0.9),
        Passage("d2", "b.pdf", 7, Span(0, 20), "second passage text", 0.8),
    ]
    citations = citations_of("Yes [2]. Also [1] and again [2].", passages)
    assert [(c.marker, c.doc, c.page, c.span) for c in citations] == [(2, "b.pdf", 7, Span(0, 20)), (1, "a.pdf", 3, Span(10, 50))]


@pytest.mark.parametrize("text", ["I could not find the answer in your documents.", "在您的文档中没有找到答案。", "", "  "])
def test_refusals_are_recognised(text: str) -> None:
    assert is_refusal(text)


def test_answers_are_not_refusals() -> None:
    assert not is_refusal("The bridge opened in 1832 [1].")


@pytest.mark.parametrize(
    ("question", "language"),
    [("What is Qdrant?", "en"), ("什么是 Qdrant Edge？", "zh"), ("青石镇在哪里", "zh"), ("Who founded 文库 in 2024?", "en")],
)
def test_language_detection(question: str, language: str) -> None:
    assert detect_language(question) == language


def test_prompt_templates_have_the_same_files_and_placeholders_in_every_language() -> None:
    for name in prompts.TEMPLATES:
        fields = {lang: prompts.placeholders(prompts.template(lang, name)) for lang in prompts.LANGUAGES}
        assert len(set(map(frozenset, fields.values()))) == 1, (name, fields)


def _ask(engine, question: str, **kwargs) -> tuple[list, AnswerDone]:
    events = list(engine.ask(AskRequest("w", question, **kwargs)))
    done = events[-1]
    assert isinstance(done, AnswerDone), events
    return events, done


def test_answer_streams_with_valid_citations(fake_engine, tmp_path: Path) -> None:
    pdfs.text_pdf(tmp_path / "bridge.pdf", [
        "The Marlow Bridge was completed in 1832 and spans the river Thames.",
        "The bridge was restored in 2019 at a cost of 4.5 million pounds.",
    ])
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [tmp_path / "bridge.pdf"])
    events, done = _ask(fake_engine, "When was the bridge restored and at what cost?")
    assert isinstance(events[0], SourcesFound)
    tokens = [e.text for e in events if isinstance(e, TokenDelta)]
    assert len(tokens) > 1 and "".join(tokens).strip() == done.answer
    assert not done.refused and done.language == "en" and done.device == "cpu"
    assert [(c.doc, c.page) for c in done.citations] == [("bridge.pdf", 2)]
    assert "2019" in done.answer


def test_the_models_own_odds_of_refusing_decide_before_any_text_is_shown(fake_engine, tmp_path: Path) -> None:
    """At or above the answerability floor the model's probability of opening with the refusal
    makes the answer a refusal before a token is shown; below it the answer stands and carries
    the probability (the eval sweeps floors over it)."""
    pdfs.text_pdf(tmp_path / "bridge.pdf", ["The bridge was restored in 2019 at a cost of 4.5 million pounds."])
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [tmp_path / "bridge.pdf"])
    model = fake_engine.chat_model()
    fake_engine.answerability_floor = 0.3
    model.opening_probability = 0.45
    events, done = _ask(fake_engine, "When was the bridge restored?")
    assert done.refused and done.judged_unanswerable and done.refusal_probability == 0.45
    assert not [e for e in events if isinstance(e, TokenDelta)] and done.passages
    model.opening_probability = 0.1
    _, done = _ask(fake_engine, "When was the bridge restored?")
    assert not done.refused and not done.judged_unanswerable and done.refusal_probability == 0.1
    fake_engine.answerability_floor = None  # off: only the model's own words refuse
    model.opening_probability = 0.99
    _, done = _ask(fake_engine, "When was the bridge restored?")
    assert not done.refused


def test_an_answer_the_model_doubts_when_checking_it_is_withdrawn(fake_engine, tmp_path: Path) -> None:
    """After the answer is written the model is asked whether the passages state it; at or above the
    verification floor its "no" withdraws the answer (a refusal that keeps the written text for the
    record), below it the answer stands and carries the doubt; with the check off nothing is asked."""
    pdfs.text_pdf(tmp_path / "bridge.pdf", ["The bridge was restored in 2019 at a cost of 4.5 million pounds."])
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [tmp_path / "bridge.pdf"])
    model = fake_engine.chat_model()
    fake_engine.verification_floor = {"en": 0.3, "zh": 0.3}
    model.unsupported_probability = 0.4
    events, done = _ask(fake_engine, "When was the bridge restored?")
    assert done.refused and done.withdrawn and done.unsupported_probability == 0.4
    assert done.answer == prompts.refusal("en") and done.citations == () and done.passages
    assert "2019" in (done.withdrawn_answer or "") and "[1]" in (done.withdrawn_answer or "")
    assert [e for e in events if isinstance(e, TokenDelta)], "the check runs once the answer is written"
    assert isinstance(events[-2], AnswerChecking) and not any(isinstance(e, TokenDelta) for e in events[-2:])
    assert prompts.refusal_note(done) == prompts.template("en", "withdrawn")
    model.unsupported_probability = 0.1
    _, done = _ask(fake_engine, "When was the bridge restored?")
    assert not done.refused and not done.withdrawn and done.unsupported_probability == 0.1
    assert done.withdrawn_answer is None and "2019" in done.answer
    fake_engine.verification_floor = None
    model.unsupported_probability = 0.99
    events, done = _ask(fake_engine, "When was the bridge restored?")
    assert not done.refused and done.unsupported_probability is None
    assert not any(isinstance(e, AnswerChecking) for e in events)


def test_the_answer_check_prompt_opens_like_the_answer_prompt() -> None:
    """The check must share the answer prompt's opening token for token (system prompt, then the
    passages), so llama.cpp re-reads only the question, the answer and the instruction."""
    passages = [Passage("d1", "a.pdf", 3, Span(0, 30), "The mirror is 2.4 metres wide.", 0.9),
                Passage("d2", "b.pdf", 1, Span(0, 9), "镜面直径 2.4 米。", 0.8)]
    for language in ("en", "zh"):
        asked = answering.build_messages("How wide is the mirror?", passages, language)
        check = answering.build_verification_messages("How wide is the mirror?", passages, language,
                                                      "It is 2.4 metres wide [1].")
        assert check[0] == asked[0]
        blocks = asked[1].content.index("镜面直径 2.4 米。") + len("镜面直径 2.4 米。")
        assert check[1].content[:blocks] == asked[1].content[:blocks]
        assert check[1].content.count("It is 2.4 metres wide.") == 1 and "wide [1]" not in check[1].content
        assert prompts.placeholders(prompts.template(language, "verify")) == {"passages", "question", "answer"}


def test_nothing_relevant_gives_a_refusal_with_the_closest_passages(fake_engine, tmp_path: Path) -> None:
    pdfs.text_pdf(tmp_path / "bridge.pdf", ["The Marlow Bridge was completed in 1832 and spans the river Thames."])
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [tmp_path / "bridge.pdf"])
    _, done = _ask(fake_engine, "量子计算机如何纠错？")
    assert done.refused and done.answer == prompts.refusal("zh") and done.citations == ()


def test_empty_workspace_refuses(fake_engine) -> None:
    fake_engine.create_workspace("w")
    _, done = _ask(fake_engine, "What is in here?")
    assert done.refused and done.passages == ()


def test_answer_language_can_be_forced(fake_engine, tmp_path: Path) -> None:
    fake_engine.create_workspace("w")
    _, done = _ask(fake_engine, "What is in here?", language="zh")
    assert done.language == "zh" and done.answer == prompts.refusal("zh")


def test_cancel_stops_generation(fake_engine, tmp_path: Path) -> None:
    pdfs.text_pdf(tmp_path / "bridge.pdf", ["The Marlow Bridge was completed in 1832 and spans the river Thames near the old mill."])
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [tmp_path / "bridge.pdf"])
    cancel = CancelToken()
    seen = []
    for event in fake_engine.ask(AskRequest("w", "When was the Marlow Bridge completed?"), cancel=cancel):
        seen.append(event)
        if isinstance(event, TokenDelta):
            cancel.cancel()
    done = seen[-1]
    assert isinstance(done, AnswerDone) and done.cancelled
    assert sum(isinstance(e, TokenDelta) for e in seen) == 1


def test_missing_workspace_is_an_event_not_an_exception(fake_engine) -> None:
    (event,) = list(fake_engine.ask(AskRequest("nope", "anything?")))
    assert event.kind == "WorkspaceNotFound" and "no workspace named" in event.error


def test_overlapping_and_touching_passages_of_a_page_are_merged() -> None:
    from core.answer import merge_passages

    a = Passage("d", "a.pdf", 1, Span(0, 40), "First sentence here. Second sentence.", 0.5, similarity=0.8)
    b = Passage("d", "a.pdf", 1, Span(21, 70), "Second sentence. Third one follows.", 0.9, similarity=0.85)
    c = Passage("d", "a.pdf", 1, Span(200, 240), "Far away text.", 0.7, similarity=0.7)
    d = Passage("d", "a.pdf", 2, Span(0, 30), "Other page.", 0.6, similarity=0.75)
    merged = merge_passages([a, b, c, d])
    assert [(p.page, p.span) for p in merged] == [(1, Span(0, 70)), (1, Span(200, 240)), (2, Span(0, 30))]
    assert merged[0].text == "First sentence here. Second sentence. Third one follows."
    assert merged[0].score == 0.9 and merged[0].similarity == 0.85


def test_follow_up_questions_are_rewritten_with_the_history(fake_engine, tmp_path: Path) -> None:
    from core.datatypes import Turn

    pdfs.text_pdf(tmp_path / "bridge.pdf", [
        "The Marlow Bridge was completed in 1832 and spans the river Thames.",
        "The Leeds canal was dug in 1774 by hand.",
    ])
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [tmp_path / "bridge.pdf"])
    history = (Turn("When was the Marlow Bridge completed?", "It was completed in 1832 [1]."),)
    events = list(fake_engine.ask(AskRequest("w", "Which river does it span?", history=history)))
    done = events[-1]
    assert isinstance(done, AnswerDone) and not done.refused
    assert done.question == "Which river does it span?"
    assert done.standalone_question == "When was the Marlow Bridge completed? Which river does it span?"
    assert done.citations[0].page == 1


def test_chat_command_keeps_history(tmp_path: Path, data_dir: Path) -> None:
    """`wenku chat` through a pipe, with the real embedder and the scripted model injected."""
    import subprocess
    import sys

    from tests.conftest import REPO, SCRIPTED_CLI

    pdfs.text_pdf(tmp_path / "bridge.pdf", ["The Marlow Bridge was completed in 1832 and spans the river Thames."])
    code = SCRIPTED_CLI
    run = lambda *args, stdin="": subprocess.run([sys.executable, "-c", code, "--data-dir", str(data_dir), *args],  # noqa: E731
                                                 cwd=REPO, input=stdin, capture_output=True, text=True, timeout=120)
    assert run("create", "w").returncode == 0
    assert run("ingest", "w", str(tmp_path / "bridge.pdf")).returncode == 0
    result = run("chat", "w", stdin="When was the Marlow Bridge completed?\nWhich river does it span?\nexit\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("[1] bridge.pdf, page 1") == 2
    assert "(understood as: When was the Marlow Bridge completed? Which river does it span?)" in result.stdout


def test_uncited_sentences_taken_from_a_passage_get_its_marker() -> None:
    from core.answer import ground_uncited

    passages = [
        Passage("d1", "a.pdf", 1, Span(0, 10), "The Marlow Bridge was completed in 1832 and spans the Thames.", 0.9),
        Passage("d2", "b.pdf", 4, Span(0, 10), "青石镇茶叶合作社成立于2009年。", 0.8),
    ]
    assert ground_uncited("The bridge was completed in 1832.", passages) == "The bridge was completed in 1832. [1]"
    assert ground_uncited("合作社成立于2009年。", passages) == "合作社成立于2009年。 [2]"
    assert ground_uncited("It was completed in 1832 [1]. Cats are mammals.", passages) == \
        "It was completed in 1832 [1]. Cats are mammals."
    # A bare figure is traced only to a passage holding all of it; a two-token name only to one
    # holding it word for word; a single word never.
    assert ground_uncited("2009年", passages) == "2009年 [2]"
    assert ground_uncited("1832", passages) == "1832 [1]"
    assert ground_uncited("2010年", passages) == "2010年"
    assert ground_uncited("Yes.", passages) == "Yes."
    assert ground_uncited("Thames", passages) == "Thames"
    assert ground_uncited("the thames.", passages) == "the thames. [1]"
    assert ground_uncited("青石", passages) == "青石 [2]"
    assert ground_uncited("石青", passages) == "石青"  # both characters occur, but not in this order
    assert ground_uncited("Marlow Thames", passages) == "Marlow Thames"


def _ask_bridge_with_reply(engine, tmp_path: Path, monkeypatch, reply: str, question: str):
    """Ask about a one-page bridge PDF with the scripted model answering ``reply`` verbatim."""
    from core.llm.scripted import ScriptedChatModel

    pdfs.text_pdf(tmp_path / "bridge.pdf", ["The Marlow Bridge was completed in 1832 and spans the river Thames."])
    engine.create_workspace("w")
    engine.ingest("w", [tmp_path / "bridge.pdf"])
    monkeypatch.setattr(ScriptedChatModel, "stream", lambda self, messages, **kw: iter([reply]))
    return _ask(engine, question)[1]


def test_an_answer_with_no_traceable_source_is_refused(fake_engine, tmp_path: Path, monkeypatch) -> None:
    done = _ask_bridge_with_reply(fake_engine, tmp_path, monkeypatch, "Probably around 1900, I think.",
                                  "When was the Marlow Bridge completed?")
    assert done.refused and done.citations == () and done.passages


def test_a_bare_name_from_a_passage_is_answered_with_its_citation(fake_engine, tmp_path: Path, monkeypatch) -> None:
    done = _ask_bridge_with_reply(fake_engine, tmp_path, monkeypatch, "River Thames",
                                  "Which river does the Marlow Bridge span?")
    assert not done.refused and done.answer == "River Thames [1]"
    assert [(c.doc, c.page) for c in done.citations] == [("bridge.pdf", 1)]


def test_grounding_works_line_by_line() -> None:
    from core.answer import ground_uncited

    passages = [Passage("d1", "a.pdf", 1, Span(0, 10), "Revenue grew 12% to 4.2 billion dollars in 2023.", 0.9)]
    text = "Key facts:\n- Revenue grew 12% in 2023.\n- The sky is blue today."
    assert ground_uncited(text, passages) == "Key facts:\n- Revenue grew 12% in 2023. [1]\n- The sky is blue today."


@pytest.mark.parametrize("answer, unfinished", [
    ("禁用物质是 [1]", True), ("成都大运会吉祥物是 [2]", True), ("The winner was [2].", True), ("答案：[1]", True),
    ("2009年 [1]", False), ("中场 [1]", False), ("The primary mirror is 2.4 metres wide [1].", False),
    ("他的名字是“张三”[1]", False), ("[1]", False), ("It is made of glass [1]", False),
])
def test_an_answer_that_stops_where_the_answer_should_start_is_unfinished(answer: str, unfinished: bool) -> None:
    assert answering.is_unfinished(answer) is unfinished


def _two_passages() -> list[Passage]:
    return [
        Passage("d1", "wiki.pdf", 2, Span(0, 60), "2016年以公路电影《一路顺风》入围第53届金马奖最佳男配角奖。纳豆说会跟林千又结婚。", 0.9),
        Passage("d2", "news.pdf", 9, Span(0, 40), "第53届金马奖于台北举行，最佳影片由《八月》获得。", 0.8),
    ]


def test_a_sentence_cited_to_the_wrong_passage_is_cited_to_the_one_it_was_copied_from() -> None:
    from core.answer import correct_citations

    answer = "2016年林郁智以公路电影《一路顺风》入围第53届金马奖最佳男配角奖。 [2]"
    assert correct_citations(answer, _two_passages()) == "2016年林郁智以公路电影《一路顺风》入围第53届金马奖最佳男配角奖。 [1]"
    # Several markers, none of them right, become the one that is.
    assert correct_citations("《一路顺风》入围最佳男配角奖[2][2]。", _two_passages()) == "《一路顺风》入围最佳男配角奖[1]。"
    assert correct_citations("He won. [3]", _two_passages()) == "He won. [3]"  # no passage holds it: unchanged


@pytest.mark.parametrize("answer", [
    "2016年林郁智以公路电影《一路顺风》入围第53届金马奖最佳男配角奖。 [1]",  # already right
    "金马奖在台北举行，林郁智获得提名。 [1]",  # no passage holds most of it: the model's choice stands
    "第53届金马奖 [2]",  # held by both: a tie keeps the cited passage
    "2016年 [2]",  # a bare figure moves only to a passage holding all of it; this one is in passage 1 ...
])
def test_a_sentence_stays_where_the_model_cited_it_unless_another_passage_clearly_holds_more(answer: str) -> None:
    from core.answer import correct_citations

    expected = "2016年 [1]" if answer == "2016年 [2]" else answer  # ... so it moves there
    assert correct_citations(answer, _two_passages()) == expected


def test_recitation_works_sentence_by_sentence_and_in_english() -> None:
    from core.answer import correct_citations

    passages = [
        Passage("d1", "a.pdf", 1, Span(0, 10), "The Marlow Bridge was completed in 1832 and spans the river Thames.", 0.9),
        Passage("d2", "a.pdf", 2, Span(0, 10), "The bridge was restored in 2019 at a cost of 4.5 million pounds.", 0.8),
    ]
    answer = "It was completed in 1832 and spans the Thames [2]. It was restored in 2019 [2].\n- Cost: 4.5 million pounds [1]"
    assert correct_citations(answer, passages) == (
        "It was completed in 1832 and spans the Thames [1]. It was restored in 2019 [2].\n- Cost: 4.5 million pounds [2]")


def test_the_engine_cites_the_page_a_chinese_sentence_was_copied_from(fake_engine, tmp_path: Path, monkeypatch) -> None:
    from core.llm.scripted import ScriptedChatModel

    bridge = "马洛桥于1832年建成，横跨泰晤士河。"
    pages = [bridge, "亨利赛艇会每年七月在泰晤士河上举行，吸引大量观众。"]
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [pdfs.text_pdf(tmp_path / "river.pdf", pages, fontname="china-s")])

    def cite_the_other_passage(self, messages, **kw):
        numbers = re.findall(r"^\[(\d+)\]（river\.pdf，第 (\d+) 页）", messages[-1].content, re.M)
        if not numbers:  # the sentence check
            return iter(["是"])
        wrong = next(number for number, page in numbers if page != "1")
        return iter([f"{bridge} [{wrong}]"])

    monkeypatch.setattr(ScriptedChatModel, "stream", cite_the_other_passage)
    done = _ask(fake_engine, "马洛桥是哪一年建成的？横跨哪条河？")[1]
    assert not done.refused
    assert [(c.doc, c.page) for c in done.citations] == [("river.pdf", 1)]


@pytest.mark.parametrize("question, language, yes_no", [
    ("Did Amazon declare or pay any cash dividends on its common stock?", "en", True),
    ("Did the company repurchase any common stock in the years 2017, 2018, or 2019?", "en", True),
    ("Is the page number for the Consolidated Statements of Comprehensive Income greater than 40?", "en", True),
    ("Did Amazon.com experience a net increase or decrease in cash?", "en", False),  # a choice between words
    ("What was the net income in 2019?", "en", False),
    ("丙烯颜料有毒吗？", "zh", True), ("该公司是否支付了股息", "zh", True), ("谁是2023年春晚的总导演？", "zh", False),
    ("牛佬原名叫什么？", "zh", False), ("他为什么要这么", "zh", False), ("你去么？", "zh", True),  # 什么 is no 么
])
def test_yes_no_questions_are_recognised(question: str, language, yes_no: bool) -> None:
    assert answering.is_yes_no_question(question, language) is yes_no


@pytest.mark.parametrize("no_probability, opens_with_no", [(0.4, True), (0.1, False)])
def test_a_yes_no_question_the_model_leans_no_on_is_answered_no(fake_engine, tmp_path: Path, no_probability: float,
                                                                 opens_with_no: bool) -> None:
    pdfs.text_pdf(tmp_path / "bridge.pdf", ["The Marlow Bridge was completed in 1832 and spans the river Thames."])
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [tmp_path / "bridge.pdf"])
    fake_engine.chat_model().no_probability = no_probability
    done = _ask(fake_engine, "Was the Marlow Bridge completed in 1833?")[1]
    assert not done.refused and done.no_probability == no_probability
    assert done.answer.startswith("No, ") is opens_with_no and done.answer.endswith("[1]")
    # Not a yes/no question, or a language without a yes/no floor: not asked.
    assert _ask(fake_engine, "When was the Marlow Bridge completed?")[1].no_probability is None
    fake_engine.yes_no_floor = None
    assert _ask(fake_engine, "Was the Marlow Bridge completed in 1833?")[1].no_probability is None
