"""Follow-up: rewrite a question that leans on the conversation into one that stands alone.

"What did he warn them about next?" after "What did Hochstein warn Hezbollah?" is
retrieved as "What did Hochstein warn Hezbollah about next?". With an LLM the model
rewrites it; without one (or when its rewrite is unusable) a rule puts the names of the
previous question in place of its pronouns.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

from rag.errors import LLMError
from rag.llm import Chat, Message
from rag.prompts import CONDENSE_SYSTEM_PROMPT, CONDENSE_USER_PROMPT
from rag.text import NAME_PHRASE, name_phrases, terms
from rag.types import Answer

Turn = Answer | Mapping[str, str]  # an earlier Answer, or a chat message {"role": …, "content": …}
SUBJECT_PRONOUNS = {"he": "", "him": "", "she": "", "her": "", "his": "’s"}
OTHER_PRONOUNS = {"they": "", "them": "", "their": "’s"}
PRONOUN = re.compile(r"\b(" + "|".join({**SUBJECT_PRONOUNS, **OTHER_PRONOUNS}) + r")\b", re.I)
MAX_REWRITE_CHARS = 400
HISTORY_TURNS = 6  # messages of the conversation the LLM sees

log = logging.getLogger("rag")


def messages_of(history: Sequence[Turn]) -> list[Message]:
    """The conversation as chat messages; an Answer becomes its question and its text."""
    out: list[Message] = []
    for turn in history:
        if isinstance(turn, Answer):
            out += [{"role": "user", "content": turn.question}, {"role": "assistant", "content": turn.text}]
        elif isinstance(turn.get("content"), str) and turn.get("role") in ("user", "assistant"):
            out.append({"role": str(turn["role"]), "content": str(turn["content"])})
    return out


def standalone_question(question: str, history: Sequence[Turn], chat: Chat | None = None) -> str:
    """`question` rewritten to stand alone, given the earlier turns (unchanged when there are none)."""
    messages = messages_of(history)
    previous = [m["content"] for m in messages if m["role"] == "user"]
    if not previous:
        return question
    if chat is not None:
        try:
            rewritten = _llm_rewrite(question, messages, chat)
        except LLMError as exc:
            log.warning("could not rewrite the follow-up question with the LLM (%s); using the names of the last one", exc)
            rewritten = None
        if rewritten:
            return rewritten
    return rule_rewrite(question, previous[-1])


def rule_rewrite(question: str, previous: str) -> str:
    """Replace pronouns with the previous question's names (the first for he/she, the next for they).

    A question with neither pronouns nor names of its own gets the previous names appended.
    """
    names = name_phrases(previous.split(maxsplit=1)[-1])
    if not names:
        return question
    subject, other = names[0], names[1] if len(names) > 1 else names[0]

    def name_for(m: re.Match[str]) -> str:
        word = m.group().lower()
        return subject + SUBJECT_PRONOUNS[word] if word in SUBJECT_PRONOUNS else other + OTHER_PRONOUNS[word]

    rewritten = PRONOUN.sub(name_for, question)
    if rewritten == question and not NAME_PHRASE.search(question.split(maxsplit=1)[-1]):
        rewritten = f"{question.rstrip()} ({', '.join(names)})"
    return rewritten


def _llm_rewrite(question: str, messages: Sequence[Message], chat: Chat) -> str | None:
    """The LLM's standalone question, or None when its reply does not look like a rewrite of this one."""
    history = "\n".join(f"{m['role'].capitalize()}: {' '.join(m['content'].split())}" for m in messages[-HISTORY_TURNS:])
    reply = chat.complete(
        [
            {"role": "system", "content": CONDENSE_SYSTEM_PROMPT},
            {"role": "user", "content": CONDENSE_USER_PROMPT.format(history=history, question=question)},
        ],
        max_tokens=80,
    )
    line = next((ln for ln in reply.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(rewritten question|question)\s*:\s*", "", line.strip(), flags=re.I).strip(" \"'“”")
    own = set(terms(question))
    kept = own & set(terms(line))
    if not line or len(line) > MAX_REWRITE_CHARS or (own and len(kept) < len(own) / 2) or PRONOUN.search(line):
        return None  # not a rewrite of this question, or one that still leans on the conversation
    return line
