"""Chat: one user's conversation, turned into the messages the chat shows, as the answer streams.

Kept apart from the page layout so it can be tested without a browser. Every failure
ends as a readable message in the conversation; the app goes on serving.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rag.errors import LLMError, RagError
from rag.pipeline import Assistant
from rag.types import Answer, Filters
from ui.render import answer_html, error_html, pending_html, streaming_html

log = logging.getLogger("rag.ui")
IN_CHAT_HINT = " In this chat, you can pick “extractive” under Settings to answer without an LLM."


@dataclass(frozen=True)
class Exchange:
    """One question and what the chat showed for it (`answer` is None when answering failed)."""

    question: str
    html: str
    answer: Answer | None = None


Message = dict[str, str]


def messages(history: Sequence[Exchange], pending: Exchange | None = None) -> list[Message]:
    """The chat's messages for a conversation, with the exchange in progress (if any) last."""
    shown = [*history, pending] if pending else list(history)
    return [m for e in shown for m in ({"role": "user", "content": e.question},
                                       {"role": "assistant", "content": e.html})]


def respond(
    assistant: Assistant, question: str, history: Sequence[Exchange], *, mode: str | None = None,
    top_k: int | None = None, strict: bool | None = None, since: str = "", until: str = "", outlet: str = "",
) -> Iterator[tuple[list[Message], list[Exchange]]]:
    """Answer `question` as a follow-up of `history`, yielding (messages, history) as the answer streams.

    `since`, `until` and `outlet` are the filter fields as typed (empty: no filter; see `rag.types.Filters`).
    The last yield holds the finished exchange: the checked answer with its citations, a
    refusal, or the error message (a date that is not a date is one).
    """
    started = time.perf_counter()
    earlier = [e.answer for e in history if e.answer is not None]
    yield messages(history, Exchange(question, pending_html())), list(history)
    written = ""
    try:
        filters = Filters(since or None, until or None, outlet or None) or None
        response = assistant.respond(question, top_k=top_k, history=earlier, mode=mode, strict=strict, filters=filters)
        for piece in response:
            written += piece
            yield messages(history, Exchange(question, streaming_html(written))), list(history)
        answer = response.answer()  # a stream cut short is an IncompleteAnswerError, said below like any RagError
        done = Exchange(question, answer_html(answer, time.perf_counter() - started), answer)
    except LLMError as exc:
        done = Exchange(question, error_html(str(exc) + IN_CHAT_HINT))
    except RagError as exc:
        done = Exchange(question, error_html(str(exc)))
    except Exception as exc:  # noqa: BLE001 - a bug must not take the chat down for everyone
        log.exception("answering %r failed", question)
        done = Exchange(question, error_html(
            f"Something went wrong inside newsqa ({type(exc).__name__}). The app is still running: ask again, "
            "and if it keeps happening, the server's log has the details."))
    history = [*history, done]
    yield messages(history), history
