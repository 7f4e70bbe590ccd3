"""`python -m eval.failures`: how a tuning question's verdict is filed under a cause (the run itself takes minutes)."""
from __future__ import annotations

import json

import pytest

from eval.calibrate import tuning_runs
from eval.corpora import materialise
from eval.dataset import DEFAULT_PATH, load
from eval.failures import CAUSES, Case, cause
from eval.suite import open_assistant
from rag.extractive import candidate_sentences
from rag.settings import Settings
from rag.types import Passage, Span


def case(**changes: object) -> Case:
    fields = {"question": "Q?", "set": "s", "corpus": "seeds", "right_if_answered": False, "best": 0.5,
              "article_retrieved": True, "facts_in_passages": True, "rank_of_right_sentence": 0}
    return Case(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "expected"), [
    ({"right_if_answered": True, "best": 0.5}, "right"),
    ({"right_if_answered": True, "best": 0.2}, "refused"),
    ({"article_retrieved": False, "facts_in_passages": False, "rank_of_right_sentence": None}, "article missed"),
    ({"facts_in_passages": False, "rank_of_right_sentence": None}, "passage missed"),
    ({"rank_of_right_sentence": None}, "facts in several sentences"),
    ({"rank_of_right_sentence": 0}, "right one first, answer wrong"),
    ({"rank_of_right_sentence": 1}, "chosen wrong, right one 2nd or 3rd"),
    ({"rank_of_right_sentence": 2}, "chosen wrong, right one 2nd or 3rd"),
    ({"rank_of_right_sentence": 3}, "chosen wrong, right one deeper"),
])
def test_each_case_is_filed_under_the_first_cause_that_fits(changes: dict, expected: str) -> None:
    assert cause(case(**changes), threshold=0.39) == expected
    assert expected in CAUSES


def test_candidate_sentences_are_the_passage_s_sentences_with_the_one_before_as_context() -> None:
    text = "Hochstein landed in Israel on Monday for talks. He warned Hezbollah that the US would stand by Israel."
    first, second = Span(0, 47), Span(48, len(text))
    passage = Passage("a#0", "a", "Envoy lands", "Outlet", text, 0, len(text), (first, second), 1.0)
    found, sentences = candidate_sentences([passage])
    assert found == [("a", text[:47]), ("a", text[48:])] and [s.text for s in sentences] == [t for _, t in found]
    assert sentences[1].context == f"Envoy lands\n{text[:47]}"


@pytest.mark.slow
def test_each_tuning_question_is_read_as_ask_reads_it_and_answered_once(tmp_path, monkeypatch) -> None:
    # what eval.calibrate and eval.failures both read: held-out questions never, the question as `ask` reads it, the
    # best sentence's score (the one a threshold compares), and, for eval.failures, answerable questions alone
    questions = load(DEFAULT_PATH)
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    lines = {json.loads(line)["id"]: line for line in text.splitlines() if line.strip()}
    tune = [q for q in questions if q.split == "tune" and q.answerable][:2]
    unanswerable = next(q for q in questions if q.split == "tune" and not q.answerable)
    held = next(q for q in questions if q.split == "heldout")
    asked = tmp_path / "few.jsonl"
    asked.write_text("".join(lines[q.id] + "\n" for q in (*tune, unanswerable, held)), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the eval corpus's index is written here
    settings = Settings.from_env({})
    plan = (("seeds", (asked,)),)
    runs = list(tuning_runs(settings, plan=plan))
    assert [r.question.id for r in runs] == [q.id for q in (*tune, unanswerable)]
    assistant = open_assistant(materialise("seeds").settings(settings).replace(mode="extractive"), sync=True)
    for run in runs:
        assert (run.set, run.corpus) == ("few", "seeds")
        read, passages = assistant.read(run.question.question, top_k=settings.top_k)
        assert run.read == read and [p.id for p in run.passages] == [p.id for p in passages]
        _, sentences = candidate_sentences(list(run.passages))
        assert run.best == pytest.approx(float(run.reader.score(run.read, sentences).max()))
        assert run.answer.answered  # as if the threshold were 0
    assert [r.question.id for r in tuning_runs(settings, plan=plan, answerable_only=True)] == [q.id for q in tune]
