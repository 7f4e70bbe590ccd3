"""The installed Qwen2.5-Coder-1.5B-Instruct (`rag models install`) end to end, on the tracker's acceptance question, and
the prompt cache's benchmark (`python -m eval.bench.prompt_cache`) on two questions.

`make test` installs the model first (`make local-model`, once per machine), and `.ci/run` sets RAG_REQUIRE_QWEN=1,
so in CI a missing model fails instead of skipping; elsewhere (`make check`, plain pytest) these skip without it.
The figures for many questions come from `rag eval --mode local` (docs/answer-modes.md). With the model, this
fails if the answer does not cite the Middle East Eye article's warning with a supported, exactly-offset citation.
"""
from __future__ import annotations

import os

import pytest

from conftest import original
from rag.models import qwen_path
from rag.pipeline import Assistant
from rag.settings import Settings
from rag.types import Answer

QWEN = qwen_path(Settings.from_env())
if not QWEN.is_file() and os.environ.get("RAG_REQUIRE_QWEN") == "1":
    raise RuntimeError(f"RAG_REQUIRE_QWEN=1 but Qwen is not installed at {QWEN}: run `make local-model`")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not QWEN.is_file(), reason=f"Qwen is not installed at {QWEN} (`rag models install`)"),
]
QUESTION = "What did Hochstein warn Hezbollah?"


@pytest.mark.parametrize("stream", [False, True])
def test_the_headline_question_cites_middle_east_eye_exactly(seed_settings: Settings, stream: bool) -> None:
    settings = seed_settings.replace(mode="local", local_model=str(QWEN), llm_timeout=300.0)
    with Assistant(settings) as assistant:
        if stream:
            *pieces, answer = assistant.ask_stream(QUESTION)
            assert "".join(pieces).strip()
        else:
            answer = assistant.ask(QUESTION)
    assert isinstance(answer, Answer) and answer.answered and answer.mode == "local"
    for c in answer.citations:
        assert original(c.doc_id)[c.start : c.end] == c.quote
    by_n = {c.n: c for c in answer.citations}
    warning = [s for s in answer.sentences if s.supported
               and any(by_n[n].outlet == "Middle East Eye" and "Hochstein" in by_n[n].quote for n in s.citations)]
    assert warning, answer.text
    assert answer.timing is not None and answer.timing.first_words <= answer.timing.answer


def test_the_prompt_cache_bench_times_both_ways_and_prints_its_figures(capsys: pytest.CaptureFixture) -> None:
    """`python -m eval.bench.prompt_cache` on two questions: both runs reach the model, and the summary says so."""
    import json

    from eval.bench import prompt_cache

    assert prompt_cache.main(["--questions", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["questions"] == 2 and summary["model_asked_both_ways"] >= 1, lines
    assert 0 < summary["first_words_p50_on"] <= summary["answer_p50_on"]
    assert 0 < summary["first_words_p50_off"] <= summary["answer_p50_off"]
    assert summary["answers_worded_differently"] in (0, 1, 2) and len(lines) == 3, lines  # one line a question
