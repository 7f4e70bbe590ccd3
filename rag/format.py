"""Format: an Answer as plain text, for the terminal (`rag ask`) and `str(answer)`."""
from __future__ import annotations

import textwrap

from rag.prompts import NEAREST_HEADING
from rag.types import Answer, Citation


def format_answer(answer: Answer) -> str:
    """The answer, then a numbered list of its sources with their quotes."""
    lines = [textwrap.fill(answer.note, width=100)] if answer.note else []
    lines += [textwrap.fill(answer.text, width=100), ""]
    if answer.chronology:
        lines += [textwrap.fill(answer.chronology, width=100), ""]
    if answer.filters and answer.answered:
        lines += [f"Searched only the articles matching: {answer.filters.describe()}.", ""]
    if answer.stale:
        files = "; ".join(f"{s.path} ({s.describe().removeprefix('the file ')})" for s in answer.stale)
        lines += [textwrap.fill(
            f"Note: {len(answer.stale)} of the articles this answer was drawn from no longer match{'es' if len(answer.stale) == 1 else ''} "
            f"the index: {files}. What is quoted from them is the text as indexed. Run `rag index` to bring the index "
            "up to date.", width=100, break_long_words=False, break_on_hyphens=False), ""]  # paths stay whole
    if answer.mode != "extractive" and answer.sentences:  # LLM-written: show what the checker found
        lines.append(f"Checked ({answer.mode}): {sum(s.supported for s in answer.sentences)} of "
                     f"{len(answer.sentences)} sentences supported by the passages they cite.")
        for s in answer.sentences:
            mark = "supported  " if s.supported else "UNSUPPORTED"
            cites = "".join(f"[{n}]" for n in s.citations) or "(no citation)"
            lines.append(textwrap.fill(f"{mark} {cites} {s.text}", width=100, subsequent_indent=" " * 12))
        if answer.invalid_citations:
            lines.append(f"{answer.invalid_citations} citation marker(s) pointed at no passage and were dropped.")
        lines.append("")
    if answer.citations:
        lines.append("Sources:")
        for c in answer.citations:
            lines.append(f"  [{c.n}] {_located(c)}")
            if c.stale:
                lines.append(f"      {_stale_reason(answer, c.doc_id)}: run `rag index`")
            if c.also_in:
                lines.append(f"      the same text is also in: {', '.join(c.also_in)}")
            lines.append(textwrap.fill(f"“{c.quote}”", width=100, initial_indent="      ", subsequent_indent="      "))
    elif answer.passages:  # a refusal: where a reader could look next, by title as the chat shows them
        if answer.nearest is not None:
            c = answer.nearest
            lines.append(NEAREST_HEADING)
            lines.append(textwrap.fill(f"“{c.quote}”", width=100, initial_indent="  ", subsequent_indent="  "))
            lines.append(f"  {_located(c)}")
            if c.stale:
                lines.append(f"  {_stale_reason(answer, c.doc_id)}: run `rag index`")
            lines.append("")
        lines.append("Closest articles:")
        for p in list({p.doc_id: p for p in answer.passages}.values())[:3]:
            lines.append(f"  {p.title}{''.join(f', {x}' for x in (p.outlet, p.date) if x)} ({p.doc_id})")
    if answer.timing is not None:
        t = answer.timing
        lines += ["", f"Time: first words after {t.first_words:.1f} s, checked answer after {t.answer:.1f} s."
                  if t.first_words < t.answer else f"Time: {t.answer:.1f} s."]
    return "\n".join(lines).rstrip()


def _located(c: Citation) -> str:
    """Where a quote is: its article's title, outlet and date where known, its id and character offsets."""
    known = "".join(f", {x}" for x in (c.outlet, c.date) if x)
    return f"{c.title}{known} ({c.doc_id}, characters {c.start}-{c.end})"


def _stale_reason(answer: Answer, doc_id: str) -> str:
    """What happened to a cited article's file, e.g. "the file changed since indexing"."""
    return next((s.describe() for s in answer.stale if s.doc_id == doc_id), "the file changed since indexing")
