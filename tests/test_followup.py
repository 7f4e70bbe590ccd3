"""Follow-up questions: rewritten to stand alone before retrieval; earlier answers keep their citations."""
from __future__ import annotations

import pytest

from conftest import HOCHSTEIN
from fake_openai import ScriptedChat
from rag.followup import messages_of, rule_rewrite, standalone_question
from rag.pipeline import Assistant

FIRST = "What did Hochstein warn Hezbollah?"


@pytest.mark.parametrize(
    ("question", "previous", "rewritten"),
    [
        ("What did he warn them about next?", FIRST, "What did Hochstein warn Hezbollah about next?"),
        ("What did they demand?", "What did Hochstein tell Hezbollah?", "What did Hezbollah demand?"),
        ("What was his background?", "Who is Mick Mulroy?", "What was Mick Mulroy’s background?"),
        ("What happened next?", FIRST, "What happened next? (Hochstein, Hezbollah)"),
        ("What did Gallant say?", FIRST, "What did Gallant say?"),
        ("What did he say?", "what happened?", "What did he say?"),
    ],
)
def test_rule_rewrite(question: str, previous: str, rewritten: str) -> None:
    assert rule_rewrite(question, previous) == rewritten


def test_history_can_be_answers_or_chat_messages(seed_assistant: Assistant) -> None:
    first = seed_assistant.ask(FIRST)
    as_messages = [{"role": "user", "content": FIRST}, {"role": "assistant", "content": first.text}]
    assert messages_of([first]) == as_messages
    assert standalone_question("And him?", [first]) == standalone_question("And him?", as_messages)


def test_a_follow_up_is_answered_from_the_right_article_and_earlier_citations_stay(seed_assistant: Assistant) -> None:
    first = seed_assistant.ask(FIRST)
    before = first.citations
    follow = seed_assistant.ask("What did he warn them about?", history=[first])
    assert follow.question == "What did Hochstein warn Hezbollah about?"
    assert follow.answered and any(c.doc_id == HOCHSTEIN for c in follow.citations)
    assert first.citations == before  # a new turn never renumbers an earlier one


def test_with_an_llm_its_rewrite_is_used() -> None:
    chat = ScriptedChat("Rewritten question: What did Amos Hochstein warn Hezbollah about next?")
    rewritten = standalone_question("What did he warn them about next?", [{"role": "user", "content": FIRST}], chat)
    assert rewritten == "What did Amos Hochstein warn Hezbollah about next?"
    assert "Last question: What did he warn them about next?" in chat.requests[0][-1]["content"]


@pytest.mark.parametrize(
    "reply", ["What did he warn them about next?", "Paris is the capital of France.", "x" * 500]
)
def test_an_unusable_llm_rewrite_falls_back_to_the_rule(reply: str) -> None:
    chat = ScriptedChat(reply)
    rewritten = standalone_question("What did he warn them about next?", [{"role": "user", "content": FIRST}], chat)
    assert len(chat.requests) == 1  # the LLM was asked, and its reply set aside
    assert rewritten == "What did Hochstein warn Hezbollah about next?"
