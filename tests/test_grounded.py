"""The reader in front of an LLM (`reader_gate`): no LLM call when the reader refuses, and the reader's quoted
sentences when the LLM declines or writes nothing the passages support. The chat model is an in-process
object (what a user's own model looks like); the real local model's figures come from `rag eval --mode local`."""
from __future__ import annotations

import html
from collections.abc import Iterator, Sequence

import pytest

from conftest import original
from fake_openai import passage_number
from rag.errors import ConfigError
from rag.llm import Message
from rag.pipeline import Assistant
from rag.prompts import CANNOT_ANSWER, QUOTED_INSTEAD, QUOTED_NOTE
from rag.settings import Settings
from rag.types import Answer
from ui.render import answer_html

QUESTION = "What did Hochstein warn Hezbollah?"
WARNING = "stand by Israel"
OFF_TOPIC = "What is the capital of Australia?"  # the seeds never say: the reader refuses


class Chat:
    """Replies with `reply` ("{n}" becomes the number of the passage holding the warning) and counts its calls."""

    name = "scripted"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.calls = 0

    def complete(self, messages: Sequence[Message], *, max_tokens: int | None = None) -> str:
        self.calls += 1
        self.n = passage_number({"messages": list(messages)}, WARNING)
        return self.reply.format(n=self.n)

    def stream(self, messages: Sequence[Message], *, max_tokens: int | None = None) -> Iterator[str]:
        words = self.complete(messages, max_tokens=max_tokens).split(" ")
        yield from [w + " " for w in words[:-1]] + words[-1:]


def ask(settings: Settings, chat: Chat, question: str, stream: bool = False) -> tuple[Answer, list[str]]:
    with Assistant(settings, chat=chat) as assistant:
        if not stream:
            return assistant.ask(question), []
        *pieces, answer = assistant.ask_stream(question)
    assert isinstance(answer, Answer) and all(isinstance(p, str) for p in pieces)
    return answer, pieces


def assert_quoted(answer: Answer) -> None:
    """The reader's answer: verbatim sentences at their exact offsets, every one supported."""
    assert answer.answered and answer.citations and all(s.supported for s in answer.sentences)
    for c in answer.citations:
        assert original(c.doc_id)[c.start : c.end] == c.quote


@pytest.mark.parametrize("stream", [False, True])
def test_when_the_reader_refuses_the_llm_is_not_called(seed_settings: Settings, stream: bool) -> None:
    chat = Chat("Canberra is the capital [1].")
    answer, pieces = ask(seed_settings.replace(mode="local"), chat, OFF_TOPIC, stream)
    assert not answer.answered and answer.text.startswith(CANNOT_ANSWER) and answer.mode == "local"
    assert chat.calls == 0
    near = answer.nearest  # the gate's refusal is the reader's: it shows the sentence that came nearest
    assert near is not None and original(near.doc_id)[near.start : near.end] == near.quote
    assert not stream or "".join(pieces) == answer.text


def test_a_supported_llm_answer_is_kept(seed_settings: Settings) -> None:
    chat = Chat("Hochstein warned that the US will stand by Israel and not condemn it publicly [{n}].")
    answer, _ = ask(seed_settings.replace(mode="local"), chat, QUESTION)
    assert chat.calls == 1 and answer.mode == "local"
    assert answer.text.startswith("Hochstein warned that the US will stand by Israel")
    assert answer.sentences[0].supported and any(WARNING in c.quote for c in answer.citations)


@pytest.mark.parametrize("reply", [
    CANNOT_ANSWER + ".",  # the model declines although the reader found the answer
    "Hochstein praised Hezbollah for its restraint and promised it three billion dollars [{n}].",  # unsupported
])
@pytest.mark.parametrize("stream", [False, True])
def test_the_reader_s_sentences_stand_in_for_a_declined_or_unsupported_answer(
    seed_settings: Settings, reply: str, stream: bool
) -> None:
    chat = Chat(reply)
    settings = seed_settings.replace(mode="local")
    answer, pieces = ask(settings, chat, QUESTION, stream)
    extractive, _ = ask(settings.replace(mode="extractive"), Chat(""), QUESTION)
    assert chat.calls == 1 and answer.mode == "local"
    assert_quoted(answer)
    assert answer.text == extractive.text and answer.citations == extractive.citations
    # asked or streamed, the Answer says that the articles' sentences replace the model's, and so does its text
    assert answer.note == QUOTED_NOTE and not extractive.note
    assert str(answer).startswith(QUOTED_NOTE) and html.escape(QUOTED_NOTE) in answer_html(answer)
    if stream:  # the model's words were shown as they came: a note then says what replaces them
        shown = "".join(pieces)
        assert shown.startswith(reply.split(" ")[0]) and shown.endswith(QUOTED_INSTEAD + answer.text)


def test_the_gate_is_off_for_an_endpoint_unless_asked(seed_settings: Settings) -> None:
    reply = "Canberra is the capital [1]."
    off, _ = ask(seed_settings.replace(mode="openai"), chat := Chat(reply), OFF_TOPIC)
    assert chat.calls == 1 and off.answered  # "auto": an endpoint's model decides for itself
    on, _ = ask(seed_settings.replace(mode="openai", reader_gate="on"), chat := Chat(reply), OFF_TOPIC)
    assert chat.calls == 0 and not on.answered
    local_off, _ = ask(seed_settings.replace(mode="local", reader_gate="off"), chat := Chat(CANNOT_ANSWER + "."), QUESTION)
    assert chat.calls == 1 and not local_off.answered  # without the gate, the model's refusal stands


def test_reader_gate_is_read_from_the_environment_and_checked() -> None:
    assert Settings.from_env({"RAG_READER_GATE": "off"}).reader_gate == "off"
    with pytest.raises(ConfigError, match="RAG_READER_GATE"):
        Settings.from_env({"RAG_READER_GATE": "sometimes"}).validate()


@pytest.mark.parametrize("stream", [False, True])
def test_the_model_reads_the_reader_s_order_and_the_answer_keeps_retrieval_s(seed_settings: Settings, stream) -> None:
    """Retrieval ranks the warning's passage below another; the model is shown it as [1], its [1] cites it,
    and the Answer lists the passages shown in retrieval's order."""
    settings = seed_settings.replace(mode="openai")  # no gate: the model's own answer
    chat = Chat("Hochstein warned that the US will stand by Israel and not condemn it publicly [{n}].")
    answer, _ = ask(settings, chat, QUESTION, stream)
    with Assistant(settings, chat=Chat("")) as assistant:
        retrieved = assistant.retriever.retrieve(QUESTION, settings.top_k)
    assert WARNING not in retrieved[0].text
    assert chat.n == 1
    assert answer.sentences[0].supported and WARNING in answer.citations[0].quote
    assert [p.id for p in answer.passages] == [p.id for p in retrieved]
