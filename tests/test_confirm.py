"""A second opinion on the reader's refusals (`rag.confirm`): the LLM's yes or no, read from log-probabilities,
on whether the reader's nearest sentence answers. In-process chat models stand in where the verdict must be known;
the real llama.cpp server (the bundled SmolLM2) gives the log-probabilities in `test_local.py`, and a real HTTP server
on loopback that refuses or ignores them is met here."""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from conftest import original
from fake_openai import FakeOpenAI, completion, error
from rag.confirm import Confirmer, confirm_messages, yes_no_log_odds
from rag.errors import ConfigError, LLMError
from rag.llm import ChatModel, Endpoint, Message
from rag.pipeline import Assistant
from rag.prompts import CANNOT_ANSWER, CONFIRMED_NOTE, QUOTED_NOTE
from rag.settings import Settings

OFF_TOPIC = "What is the capital of Australia?"  # the seeds never say: the reader refuses, a sentence nearest


def test_the_log_odds_count_every_spelling_of_yes_and_no() -> None:
    top = [("Yes", np.log(0.5)), (" yes", np.log(0.1)), ("No", np.log(0.2)), ("Maybe", np.log(0.2))]
    assert yes_no_log_odds(top) == pytest.approx(np.log(0.6) - np.log(0.2))
    assert yes_no_log_odds([("no", np.log(0.9))]) == pytest.approx(-20.0 - np.log(0.9))  # "yes" missing: -20
    assert yes_no_log_odds([("Yes.", np.log(0.3)), ("no", np.log(0.3))]) == pytest.approx(0.0)
    assert yes_no_log_odds([("Maybe", np.log(0.9))]) == 0.0  # neither listed


class Judging:
    """An in-process chat model with log-probabilities: "yes" at probability `yes` to every confirm request; its
    answers (`reply`) are counted apart from its judgements."""

    name = "judging"

    def __init__(self, yes: float, reply: str = "") -> None:
        self.yes = yes
        self.reply = reply
        self.judged: list[str] = []
        self.calls = 0

    def first_token_logprobs(self, messages: Sequence[Message], top: int) -> list[tuple[str, float]]:
        self.judged.append(messages[-1]["content"])
        return [("Yes", float(np.log(self.yes))), ("No", float(np.log(1 - self.yes)))][:top]

    def complete(self, messages: Sequence[Message], *, max_tokens: int | None = None) -> str:
        self.calls += 1
        return self.reply

    def stream(self, messages: Sequence[Message], *, max_tokens: int | None = None) -> Iterator[str]:
        yield self.complete(messages, max_tokens=max_tokens)


def ask(settings: Settings, chat: object, question: str, stream: bool = False):  # noqa: ANN201 - an Answer
    with Assistant(settings, chat=chat) as assistant:  # type: ignore[arg-type]
        if not stream:
            return assistant.ask(question)
        *_, answer = assistant.ask_stream(question)
        return answer


def test_the_confirmer_says_yes_when_yes_is_likelier() -> None:
    assert Confirmer(Judging(0.7)).answers("Q?", "S.")
    assert not Confirmer(Judging(0.3)).answers("Q?", "S.")
    asked = confirm_messages("Who won?", "Smith won the race.")
    assert "Question: Who won?" in asked[-1]["content"] and "Sentence: Smith won the race." in asked[-1]["content"]


@pytest.mark.parametrize("stream", [False, True])
def test_the_llm_s_no_keeps_the_refusal_and_the_llm_writes_nothing(seed_settings: Settings, stream: bool) -> None:
    chat = Judging(0.2, "Canberra is the capital [1].")
    answer = ask(seed_settings.replace(mode="local", confirm="on"), chat, OFF_TOPIC, stream)
    assert not answer.answered and answer.text.startswith(CANNOT_ANSWER) and chat.calls == 0
    assert len(chat.judged) == 1 and answer.nearest is not None and answer.nearest.quote in chat.judged[0]


@pytest.mark.parametrize("stream", [False, True])
def test_the_llm_s_yes_answers_with_a_note_that_says_so(seed_settings: Settings, stream: bool) -> None:
    """The yes lets the reader's answer through: the LLM writes it (here unsupported, so the reader's quoted sentences
    stand in), and the note says that the local model judged it, then that the articles' sentences stand in."""
    chat = Judging(0.9, "Canberra is the capital [1].")
    settings = seed_settings.replace(mode="local", confirm="on")
    answer = ask(settings, chat, OFF_TOPIC, stream)
    assert answer.answered and chat.calls == 1 and len(chat.judged) == 1
    assert answer.note == f"{CONFIRMED_NOTE} {QUOTED_NOTE}"
    for c in answer.citations:
        assert original(c.doc_id)[c.start : c.end] == c.quote
    refused = ask(settings.replace(confirm="off"), Judging(0.9), OFF_TOPIC)
    assert not refused.answered and refused.nearest is not None
    assert answer.citations[0].quote == refused.nearest.quote  # the sentence judged leads the answer


@pytest.mark.parametrize("stream", [False, True])
def test_a_supported_llm_answer_let_through_carries_the_note(seed_settings: Settings, stream: bool) -> None:
    settings = seed_settings.replace(mode="local", confirm="on")
    near = ask(settings.replace(confirm="off"), Judging(0.9), OFF_TOPIC).nearest
    assert near is not None
    answer = ask(settings, Judging(0.9, f"{near.quote} [1]"), OFF_TOPIC, stream)
    assert answer.answered and answer.note == CONFIRMED_NOTE and answer.sentences[0].supported
    assert answer.text.startswith(near.quote)  # the model's words, not the reader's stand-in


@pytest.mark.parametrize("stream", [False, True])
def test_mode_extractive_asks_for_a_second_opinion_only_when_confirm_is_on(seed_settings: Settings,
                                                                           stream: bool) -> None:
    """RAG_CONFIRM=on in mode extractive: the judge's yes answers with the reader's sentences and the note, its no
    keeps the refusal; the judge writes nothing. Under "auto" it is not asked, and neither is an answer the reader
    finds on its own (a confirmed answer is the reader's own answer with no bar)."""
    settings = seed_settings.replace(mode="extractive", confirm="on")
    yes = Judging(0.9, "Canberra is the capital [1].")
    answer = ask(settings, yes, OFF_TOPIC, stream)
    assert answer.answered and answer.mode == "extractive" and answer.note == CONFIRMED_NOTE
    assert len(yes.judged) == 1 and yes.calls == 0
    for c in answer.citations:
        assert original(c.doc_id)[c.start : c.end] == c.quote
    no = Judging(0.2)
    refused = ask(settings, no, OFF_TOPIC, stream)
    assert not refused.answered and refused.text.startswith(CANNOT_ANSWER) and len(no.judged) == 1
    assert refused.nearest is not None and refused.nearest.quote in no.judged[0]
    assert answer.citations[0].quote == refused.nearest.quote  # the sentence judged leads the answer
    unasked = Judging(0.9)
    assert not ask(settings.replace(confirm="auto"), unasked, OFF_TOPIC, stream).answered and unasked.judged == []
    sure = Judging(0.9)
    found = ask(settings, sure, "What did Hochstein warn Hezbollah?", stream)
    assert found.answered and found.note == "" and sure.judged == []


def test_a_corrected_reading_the_reader_answers_is_not_judged_and_keeps_its_note(seed_settings: Settings) -> None:
    """With a second opinion, the reading kept by choosing one (here the misspelt names corrected) is answered as
    the reader answered it: no judge asked, the correction's note alone, the same answer as without confirm."""
    from rag.prompts import CORRECTED_NOTE

    typed = "what did hochstien warn hezbolla"
    judge = Judging(0.9)
    answer = ask(seed_settings.replace(mode="extractive", confirm="on"), judge, typed)
    plain = ask(seed_settings.replace(mode="extractive"), Judging(0.9), typed)
    assert answer.answered and judge.judged == [] and answer.text == plain.text
    assert answer.note == CORRECTED_NOTE.format(question=answer.question) == plain.note


def test_the_second_opinion_of_mode_extractive_rewrites_no_follow_up(seed_settings: Settings) -> None:
    """In mode extractive, follow-ups are read by the rules whether or not an LLM judges: the judge (the chat passed
    in) is not asked to rewrite them."""
    judge = Judging(0.9, "What did Hochstein warn Hamas?")
    with Assistant(seed_settings.replace(mode="extractive", confirm="on"), chat=judge) as assistant:
        first = assistant.ask("What did Hochstein warn Hezbollah?")
        assistant.ask("Who did he meet?", history=[first])
    assert judge.calls == 0


def test_mode_extractive_with_confirm_on_needs_an_installed_model(tmp_path) -> None:
    """No model installed and none named: not the bundled SmolLM2, which was never measured as a judge, but an error
    that names the install command and the way out."""
    from rag.answer import make_judge_model

    with pytest.raises(ConfigError, match=r"rag models install.*RAG_LOCAL_MODEL.*RAG_CONFIRM=off"):
        make_judge_model(Settings(model_cache=tmp_path / "cache", mode="extractive", confirm="on"))


def test_auto_asks_an_installed_or_named_model_never_the_bundled_one(tmp_path) -> None:
    """"auto" in mode local: the bundled SmolLM2 (no model installed in this cache) is not asked, a GGUF named by
    RAG_LOCAL_MODEL is; in mode openai, none is, unless confirm is "on"."""
    from rag.answer import make_confirmer

    settings = Settings(model_cache=tmp_path / "cache")
    assert make_confirmer(settings, "local", Judging(0.9)) is None
    named = tmp_path / "own.gguf"
    named.write_bytes(b"GGUF" + bytes(12))
    assert isinstance(make_confirmer(settings.replace(local_model=named), "local", Judging(0.9)), Confirmer)
    assert make_confirmer(settings.replace(local_model=named), "openai", Judging(0.9)) is None
    assert isinstance(make_confirmer(settings.replace(confirm="on"), "openai", Judging(0.9)), Confirmer)
    assert make_confirmer(settings.replace(local_model=named, confirm="off"), "local", Judging(0.9)) is None


def test_confirm_is_off_without_the_gate_and_on_asks_for_log_probabilities(seed_settings: Settings) -> None:
    from fake_openai import ScriptedChat

    chat = Judging(0.9, "Canberra is the capital [1].")
    answer = ask(seed_settings.replace(mode="openai", confirm="on"), chat, OFF_TOPIC)  # no gate: nothing to confirm
    assert chat.judged == [] and chat.calls == 1 and answer.answered
    with pytest.raises(ConfigError, match="RAG_CONFIRM=on needs a chat model that gives log-probabilities"):
        ask(seed_settings.replace(mode="local", confirm="on"), ScriptedChat("x"), OFF_TOPIC)
    quiet = ask(seed_settings.replace(mode="local"), ScriptedChat("x"), OFF_TOPIC)  # "auto": none to be had
    assert not quiet.answered


def test_confirm_is_read_from_the_environment_and_checked() -> None:
    assert Settings.from_env({"RAG_CONFIRM": "off"}).confirm == "off"
    assert Settings.from_env({}).confirm == "auto"
    with pytest.raises(ConfigError, match="RAG_CONFIRM"):
        Settings.from_env({"RAG_CONFIRM": "maybe"}).validate()


@pytest.mark.parametrize("reply", [error(400, "logprobs are not supported with this model"), completion("yes")])
def test_an_endpoint_that_refuses_or_ignores_log_probabilities_is_a_clear_error(reply) -> None:
    """A server that rejects `logprobs` (HTTP 400), or answers without them: either way the message names the
    setting that turns the second opinion off."""
    with FakeOpenAI(reply) as server:
        chat = ChatModel(Endpoint(server.url, "scripted"), Settings(llm_retries=0))
        try:
            with pytest.raises(LLMError, match="gave no log-probabilities.*RAG_CONFIRM=off"):
                Confirmer(chat).answers("Q?", "S.")
        finally:
            chat.close()
        sent = server.requests[0]
    assert sent["logprobs"] is True and sent["top_logprobs"] == 20 and sent["max_tokens"] == 1
    assert sent["temperature"] == 0.0
