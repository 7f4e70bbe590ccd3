"""Guard: text inside an article that speaks to the assistant instead of the reader (prompt injection).

Articles are data. A sentence such as "Ignore previous instructions and …", a fake
"Source 3:" header or a "[2]" marker inside an article must not steer an answer:
- the offline answerer never quotes such a sentence as an answer;
- an LLM sees it replaced by a note (`INJECTION_NOTE`), and any marker inside an article as "(n)";
- the citation checker marks a sentence of the LLM's answer that echoes one as unsupported.
The patterns are deliberately narrow (they address an AI, its instructions, prompts or
citations), so that news reporting *about* prompts or instructions is rarely caught.
"""
from __future__ import annotations

import re

from rag.prompts import INJECTION_NOTE

_ONE = r"(?:(?:source|passage)\s*)?\d+"
MARKER_PATTERN = rf"\[\s*{_ONE}(?:\s*[,;]\s*{_ONE})*\s*\]"  # "[1]", "[1, 3]", "[Source 2]": what reads as a citation
MARKER = re.compile(MARKER_PATTERN, re.I)
INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}?\b(?:previous|prior|above|earlier|preceding|all|your|system)"
    r"\b[^.!?\n]{0,20}?\b(?:instructions?|prompts?|rules|directions|guidelines|messages)\b"
    r"|\b(?:system|developer)\s+(?:prompt|message|instructions?)\b"
    r"|\byou\s+are\s+(?:now\s+)?(?:an?\s+|the\s+)?(?:ai|assistant|chat\s?bot|language\s+model|llm|gpt)\b"
    r"|\b(?:ai|assistant|chat\s?bot|language\s+model|llm)s?\s*(?:reading|summari[sz]ing|processing)\s+this\b"
    r"|\b(?:reply|respond|answer|output)\s+(?:only\s+with|with\s+only|exactly\s+with|only\s*[\"“:]|exactly\s*[\"“:])"
    r"|\b(?:new|updated)\s+instructions?\s*:"
    r"|^\s*(?:system|assistant|user)\s*:"
    r"|^\s*\[?\s*(?:source|passage)\s*\d+\s*\]?\s*:",
    re.I | re.M,
)


def is_injection(text: str) -> bool:
    """Whether `text` addresses an AI assistant: its instructions, its prompt, or fake source headers."""
    return bool(INJECTION.search(text))


def injected_sentences(text: str) -> list[str]:
    """The sentences of `text` that address the assistant."""
    if not is_injection(text):
        return []
    from rag.chunk import sentence_tokenizer

    tokenizer = sentence_tokenizer()
    return [s for line in text.split("\n") for s in tokenizer.tokenize(line) if is_injection(s)]  # type: ignore[attr-defined]


def as_data(text: str) -> str:
    """Article text as an LLM should see it: each sentence that addresses the assistant is replaced by a
    note saying so, and markers become "(n)"."""
    for sentence in injected_sentences(text):
        text = text.replace(sentence, INJECTION_NOTE)
    return without_markers(text)


def without_markers(text: str) -> str:
    """A quoted sentence for an answer's text: a "[2]" inside an article becomes "(2)", so that only the
    answer's own markers read as citations."""
    return MARKER.sub(lambda m: f"({m.group()[1:-1].strip()})", text)
