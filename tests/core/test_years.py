"""Years named by questions and answers, and the mismatch that withdraws an answer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from core import prompts
from core.api.schemas import answer_out
from core.datatypes import AnswerChecking, AnswerDone, AskRequest, YearMismatch
from core.years import source_year_mismatch, year_mismatch, years_in
from tests.core import pdfs


def test_years_are_read_in_ascii_full_width_and_chinese_digits() -> None:
    assert years_in("2022年下半年征兵，１９９８年，二〇二一年，in 2005.") == {"2022", "1998", "2021", "2005"}
    assert years_in("12022 号, 3000 米, 20221 元, 1850 年, 二〇二一") == set()


def test_an_answer_naming_only_other_years_is_a_mismatch() -> None:
    assert year_mismatch("2022年下半年征兵报名截止时间是什么时候", "2021年下半年征兵工作从8月15日开始 [2]") == \
        YearMismatch(asked=("2022",), answered=("2021",))
    assert year_mismatch("What was Intel's revenue in 2022?", "In 2021 and 2020 it was $79bn [1].") == \
        YearMismatch(asked=("2022",), answered=("2020", "2021"))
    assert year_mismatch("2022年英特尔全年营收", "760亿美元 [1]") is None, "no year in the answer"
    assert year_mismatch("英特尔全年营收", "2021年为790亿美元 [1]") is None, "no year asked"
    assert year_mismatch("2022年营收", "2022年为630亿美元，2021年为790亿美元 [1]") is None, "the year asked is named"
    assert year_mismatch("二〇二二年的冠军是谁", "2022年的冠军是郑钦文 [1]") is None


def test_the_engine_withdraws_an_answer_about_another_year_before_checking_it(fake_engine, tmp_path: Path) -> None:
    pdfs.text_pdf(tmp_path / "bridge.pdf", ["The bridge was restored in 2019 at a cost of 4.5 million pounds."])
    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [tmp_path / "bridge.pdf"])
    events = list(fake_engine.ask(AskRequest("w", "How much did the bridge restoration in 2021 cost?")))
    done = events[-1]
    assert isinstance(done, AnswerDone) and done.refused and done.withdrawn
    assert done.year_mismatch == YearMismatch(asked=("2021",), answered=("2019",))
    assert done.answer == prompts.refusal("en") and "2019" in (done.withdrawn_answer or "") and done.passages
    assert not any(isinstance(e, AnswerChecking) for e in events), "no model check is needed"
    assert prompts.refusal_note(done) == \
        "The answer found is about 2019, not 2021 as asked, so it was withdrawn."
    assert prompts.refusal_note(replace(done, language="zh")) == "找到的回答说的是2019年，而不是问题问的2021年，因此已撤回。"
    out = answer_out(done)
    assert out.withdrawn and out.year_mismatch is not None and out.year_mismatch.answered == ["2019"]
    done = list(fake_engine.ask(AskRequest("w", "How much did the bridge restoration in 2019 cost?")))[-1]
    assert isinstance(done, AnswerDone) and not done.refused and done.year_mismatch is None and "2019" in done.answer


DIRECTORS = "历届春晚导演 1983年春晚总导演：黄一鹤、邓在军 1984年春晚总导演：黄一鹤、张淑芬 1987年春晚总导演：邓在军"


def test_a_bare_answer_copied_from_text_about_another_year_is_a_mismatch() -> None:
    passages = [DIRECTORS, "节目单在2023年1月20日公布。"]
    assert source_year_mismatch("2023年央视春晚总导演是谁", "黄一鹤、邓在军", passages) == \
        YearMismatch(asked=("2023",), answered=("1983",))
    # Every place the answer could come from is dated: "黄一鹤、" opens the 1983 and the 1984 line.
    assert source_year_mismatch("2023年央视春晚总导演是谁", "黄一鹤、", passages) == \
        YearMismatch(asked=("2023",), answered=("1983", "1984"))


def test_an_answer_giving_the_questions_year_to_another_years_fact_is_a_mismatch() -> None:
    passages = ["2013年9月以《小宇宙33号》入围第48届金钟奖。2016年以公路电影《一路顺风》入围第53届金马奖最佳男配角奖。"]
    assert source_year_mismatch("2015年林郁智以什么入围第53届金马奖？", "2015年林郁智以公路电影《一路顺风》入围第53届金马奖。",
                                passages) == YearMismatch(asked=("2015",), answered=("2016",))
    assert source_year_mismatch("2016年林郁智以什么入围第53届金马奖？", "2016年林郁智以公路电影《一路顺风》入围第53届金马奖。",
                                passages) is None


def test_a_source_dated_with_the_year_asked_or_not_dated_keeps_the_answer() -> None:
    passages = [DIRECTORS, "张三是中国导演。2023年春晚总导演：于蕾。"]
    assert source_year_mismatch("1987年春晚总导演是谁", "邓在军", [DIRECTORS]) is None, "one copy is the 1987 line"
    assert source_year_mismatch("2023年春晚总导演是谁", "于蕾 [2]", passages) is None, "dated with the year asked"
    assert source_year_mismatch("2023年谁是中国导演", "张三是中国导演", passages) is None, "its sentence names no year"
    assert source_year_mismatch("春晚总导演是谁", "黄一鹤、邓在军", passages) is None, "no year asked"
    assert source_year_mismatch("2023年春晚总导演是谁", "1983年是黄一鹤", passages) is None, "the answer's own year decides"
    assert source_year_mismatch("2023年春晚总导演是谁", "刘德华", passages) is None, "copied from nowhere"


def test_the_engine_withdraws_a_chinese_answer_copied_from_another_years_line(fake_engine, tmp_path: Path,
                                                                               monkeypatch) -> None:
    from core.llm.scripted import ScriptedChatModel

    fake_engine.create_workspace("w")
    fake_engine.ingest("w", [pdfs.text_pdf(tmp_path / "gala.pdf", [DIRECTORS], fontname="china-s")])
    monkeypatch.setattr(ScriptedChatModel, "stream", lambda self, messages, **kw: iter(["黄一鹤、邓在军 [1]"]))
    done = list(fake_engine.ask(AskRequest("w", "2023年央视春晚总导演是谁？")))[-1]
    assert isinstance(done, AnswerDone) and done.refused and done.withdrawn
    assert done.year_mismatch == YearMismatch(asked=("2023",), answered=("1983",))
    assert prompts.refusal_note(done) == "找到的回答说的是1983年，而不是问题问的2023年，因此已撤回。"
    done = list(fake_engine.ask(AskRequest("w", "1983年央视春晚总导演是谁？")))[-1]
    assert isinstance(done, AnswerDone) and not done.refused and done.answer == "黄一鹤、邓在军 [1]"
