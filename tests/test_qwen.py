"""The installed Qwen2.5-Coder-1.5B-Instruct (`rag models install`) end to end, on the tracker's acceptance question.

`make test` installs the model first (`make local-model`, once per machine), and `.ci/run` sets RAG_REQUIRE_QWEN=1,
so in CI a missing model fails instead of skipping; elsewhere (`make check`, plain pytest) these skip without it.
The figures for many questions come from `rag eval --mode local` (README, "Answer modes"). With the model, this
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
