"""One user's conversation in the chat, without a browser: streaming, follow-ups, and failures shown in the chat."""
from __future__ import annotations

from collections.abc import Iterator

from fake_openai import FakeOpenAI, ScriptedChat, passage_number
from rag.llm import Message
from rag.pipeline import Assistant
from rag.settings import Settings
from ui.chat import Exchange, messages, respond

QUESTION = "What did Hochstein warn Hezbollah?"


def last(steps: Iterator[tuple[list[dict], list[Exchange]]]) -> tuple[list[list[dict]], list[Exchange]]:
    """Every messages list shown along the way, and the history at the end."""
    shown, history = [], []
    for shown_now, history in steps:
        shown.append(shown_now)
    return shown, history


def test_an_answer_shows_searching_then_the_cited_answer(seed_assistant: Assistant) -> None:
    shown, history = last(respond(seed_assistant, QUESTION, [], mode="extractive"))
    assert "Searching the articles" in shown[0][-1]["content"] and shown[0][-2] == {"role": "user", "content": QUESTION}
    assert len(history) == 1 and history[0].answer is not None and history[0].answer.answered
    assert 'class="answer final' in shown[-1][-1]["content"] and 'class="cite"' in shown[-1][-1]["content"]
    assert shown[-1] == messages(history)


def test_a_follow_up_uses_the_conversation(seed_assistant: Assistant) -> None:
    _, history = last(respond(seed_assistant, QUESTION, [], mode="extractive"))
    first = history[0]
    _, history = last(respond(seed_assistant, "What did he warn them about next?", history, mode="extractive"))
    follow_up = history[-1].answer
    assert follow_up is not None and "Hochstein" in follow_up.question  # rewritten to stand alone
    assert history[0] is first  # the first answer is kept as it was shown
    assert [m["role"] for m in messages(history)] == ["user", "assistant"] * 2


def three_pieces(messages: list[Message]) -> list[str]:
    n = passage_number({"messages": messages}, "stand by Israel")
    return ["Hochstein warned ", "that the US will stand by Israel ", f"and not condemn it publicly [{n}]."]


def test_an_llm_answer_streams_word_by_word(seed_settings: Settings) -> None:
    with Assistant(seed_settings.replace(mode="extractive"), chat=ScriptedChat(three_pieces)) as assistant:
        shown, history = last(respond(assistant, QUESTION, [], mode="openai"))  # the chat object writes mode openai
    partial = [s[-1]["content"] for s in shown if 'class="answer streaming"' in s[-1]["content"]]
    assert len(partial) == 3 and "Hochstein warned" in partial[0] and "stand by Israel" not in partial[0]
    answer = history[0].answer
    assert answer is not None and answer.mode == "openai" and answer.sentences[0].supported
    assert "Checked: 1 of 1 sentences supported" in history[0].html


def test_an_endpoint_that_is_down_is_a_message_and_the_chat_goes_on(seed_settings: Settings) -> None:
    server = FakeOpenAI()
    url = server.url
    server.close()  # nothing listens there any more
    assistant = Assistant(seed_settings.replace(openai_base_url=url, llm_retries=0, llm_timeout=3, mode="extractive"))
    _, history = last(respond(assistant, QUESTION, [], mode="openai"))
    assert history[0].answer is None and 'class="answer error"' in history[0].html
    assert "Cannot reach" in history[0].html and "extractive" in history[0].html
    _, history = last(respond(assistant, QUESTION, history, mode="extractive"))
    assert history[1].answer is not None and history[1].answer.answered  # same chat, next question answered


def test_a_bad_question_is_a_message(seed_assistant: Assistant) -> None:
    _, history = last(respond(seed_assistant, "   ", [], mode="extractive"))
    assert history[0].answer is None and "The question is empty" in history[0].html


def test_a_bug_is_a_message_not_a_traceback(seed_settings: Settings) -> None:
    class Broken(Assistant):
        def ask_stream(self, *args: object, **kwargs: object):  # a defect somewhere below the chat
            raise KeyError("passages")

    shown, history = last(respond(Broken(seed_settings), QUESTION, [], mode="extractive"))
    html = history[0].html
    assert "Something went wrong inside newsqa (KeyError)" in html and "Traceback" not in html
