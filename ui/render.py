"""Render: Answers, articles and errors as the HTML the chat shows (pure functions, no Gradio).

Every piece of article or model text is escaped here. A citation is a link whose address
carries what is needed to show it: `#cite=<doc_id>&s=<start>&e=<end>&q=<digest of quote>`.
The side panel reads the article from the index by doc_id and highlights `[start, end)`
only if that text still has the quote's digest: highlighting the wrong sentence is worse
than highlighting none.
"""
from __future__ import annotations

import hashlib
import html
import urllib.parse
from collections.abc import Sequence
from pathlib import PurePath
from typing import NamedTuple

from rag.prompts import NEAREST_HEADING
from rag.types import Answer, ArticleInfo, Citation, StaleFile

CITE_PREFIX = "#cite="
ARTICLE_PREFIX = "#article="
REFUSAL_ICON = "ⓘ"
REINDEX_HINT = "Re-index (under “Indexed articles”, or run <code>rag index</code>) to bring the index up to date."


class SourceRef(NamedTuple):
    """What a link in the chat points at: an article, and optionally a cited span of it."""

    doc_id: str
    start: int | None = None
    end: int | None = None
    digest: str | None = None


def quote_digest(quote: str) -> str:
    """A short fingerprint of a quote, to tell whether an article still has it at the same offsets."""
    return hashlib.sha1(quote.encode("utf-8")).hexdigest()[:12]


def cite_href(c: Citation) -> str:
    query = urllib.parse.urlencode({"s": c.start, "e": c.end, "q": quote_digest(c.quote)})
    return f"{CITE_PREFIX}{urllib.parse.quote(c.doc_id, safe='')}&{query}"


def article_href(doc_id: str) -> str:
    return ARTICLE_PREFIX + urllib.parse.quote(doc_id, safe="")


def parse_ref(ref: str) -> SourceRef | None:
    """The SourceRef in a link's address, or None if it is not one of ours (or is malformed)."""
    ref = ref.strip()
    if ref.startswith(ARTICLE_PREFIX):
        doc_id = urllib.parse.unquote(ref[len(ARTICLE_PREFIX):])
        return SourceRef(doc_id) if doc_id else None
    if not ref.startswith(CITE_PREFIX):
        return None
    doc_part, _, query = ref[len(CITE_PREFIX):].partition("&")
    fields = dict(urllib.parse.parse_qsl(query))
    try:
        start, end = int(fields["s"]), int(fields["e"])
    except (KeyError, ValueError):
        return None
    doc_id = urllib.parse.unquote(doc_part)
    if not doc_id or not 0 <= start <= end or not fields.get("q"):
        return None
    return SourceRef(doc_id, start, end, fields["q"])


def _esc(text: str) -> str:
    """Escaped text for a chat message, on one line: the chat reads messages as markdown, where a blank
    line would end the HTML block and let what follows be read as markdown (links, images)."""
    return html.escape(" ".join(text.split()))


def _source_line(title: str, outlet: str | None, date: str | None = None) -> str:
    return _esc(title) + "".join(f" · {_esc(x)}" for x in (outlet, date) if x)


def _cite_link(c: Citation) -> str:
    tip = f"“{c.quote}” — {c.title}" + "".join(f", {x}" for x in (c.outlet, c.date) if x) + (" (the file changed since indexing)"
                                                                                  if c.stale else "")
    return (f'<a class="{"cite stale" if c.stale else "cite"}" href="{html.escape(cite_href(c))}" title="{_esc(tip)}">'
            f"[{c.n}]</a>")


def pending_html() -> str:
    return '<div class="answer pending"><span class="status">Searching the articles…</span></div>'


def streaming_html(text: str) -> str:
    """The model's words so far (markers not yet checked, so not yet links)."""
    return (f'<div class="answer streaming"><p class="answer-text">{_esc(text)}</p>'
            '<span class="status">writing… citations are checked when it is done</span></div>')


def error_html(message: str) -> str:
    return f'<div class="answer error"><p><strong>Could not answer.</strong> {_esc(message)}</p></div>'


def answer_html(answer: Answer, seconds: float | None = None) -> str:
    """A checked Answer: sentences with clickable citations, unsupported ones marked, then the sources."""
    footer = _footer(answer, seconds)
    if not answer.answered:
        closest = list({p.doc_id: p for p in answer.passages}.values())[:3]
        links = ", ".join(f'<a class="article-link" href="{html.escape(article_href(p.doc_id))}">'
                          f"{_esc(p.title)}</a>" for p in closest)
        more = f'<p class="closest">Closest articles: {links}</p>' if links else ""
        if answer.nearest is not None:
            c = answer.nearest
            more = (f'<p class="nearest">{_esc(NEAREST_HEADING)} <q class="quote">{_esc(c.quote)}</q> '
                    f"<a class=\"article-link\" href=\"{html.escape(cite_href(c))}\">"
                    f"{_source_line(c.title, c.outlet, c.date)}</a>{_stale_mark(answer, c)}</p>{more}")
        return (f'<div class="answer final refusal"><p class="answer-text"><span class="refusal-icon">{REFUSAL_ICON}'
                f"</span> {_esc(answer.text)}</p>{_stale(answer)}{more}{footer}</div>")
    by_n = {c.n: c for c in answer.citations}
    parts = []
    for s in answer.sentences:
        links = "".join(_cite_link(by_n[n]) for n in s.citations if n in by_n)
        if s.supported:
            parts.append(f'<span class="sentence supported">{_esc(s.text)}</span>{links}')
        else:
            why = "not supported by the passage it cites" if s.citations else "cites no passage that supports it"
            parts.append(f'<span class="sentence unsupported" title="{why}">{_esc(s.text)}</span>{links}'
                         f'<span class="unsupported-flag" title="{why}">unsupported</span>')
    body = " ".join(parts) if parts else _esc(answer.text)
    note = f'<p class="answer-note">{_esc(answer.note)}</p>' if answer.note else ""
    return (f'<div class="answer final mode-{html.escape(answer.mode)}">{note}<p class="answer-text">{body}</p>'
            f"{_chronology(answer)}{_stale(answer)}{_checked(answer)}{_sources(answer)}{footer}</div>")


def _chronology(answer: Answer) -> str:
    """The cited articles' dates in order, when the question asks about order (`rag.chronology`)."""
    return f'<p class="chronology">{_esc(answer.chronology)}</p>' if answer.chronology else ""


def _stale(answer: Answer) -> str:
    """A warning when articles the answer was drawn from changed on disk since they were indexed."""
    if not answer.stale:
        return ""
    files = ", ".join(f"{_file_name(s.path)} ({s.describe().removeprefix('the file ')})" for s in answer.stale)
    return (f'<p class="stale-warning">{len(answer.stale)} of the articles this answer was drawn from no longer '
            f"match the index: {_esc(files)}. What is quoted from them is the text as indexed. {REINDEX_HINT}</p>")


def _checked(answer: Answer) -> str:
    if answer.mode == "extractive" or not answer.sentences:
        return ""  # extractive answers are verbatim quotes: supported by construction
    supported = sum(s.supported for s in answer.sentences)
    kind = "all-supported" if supported == len(answer.sentences) else "some-unsupported"
    text = f"Checked: {supported} of {len(answer.sentences)} sentences supported by the passages they cite."
    if answer.invalid_citations:
        text += f" {answer.invalid_citations} citation marker(s) pointed at no passage and were dropped."
    return f'<p class="checked {kind}">{html.escape(text)}</p>'


def _sources(answer: Answer) -> str:
    if not answer.citations:
        return ""
    items = "".join(f"<li>{_cite_link(c)} <strong>{_source_line(c.title, c.outlet, c.date)}</strong>{_also_in(c)}"
                    f"{_stale_mark(answer, c)}"
                    f'<br><q class="quote">{_esc(c.quote)}</q></li>' for c in answer.citations)
    return f'<ol class="sources">{items}</ol>'


def _stale_mark(answer: Answer, c: Citation) -> str:
    """What happened to a cited article's file since indexing, and the fix, beside the citation."""
    if not c.stale:
        return ""
    why = next((s.describe() for s in answer.stale if s.doc_id == c.doc_id), "the file changed since indexing")
    return f' <span class="stale">{_esc(why)}: run <code>rag index</code> or Re-index</span>'


def _also_in(c: Citation) -> str:
    """The other articles that carry the same passage (near-duplicates collapsed at retrieval)."""
    return f' <span class="also-in">also in {_esc(", ".join(c.also_in))}</span>' if c.also_in else ""


def _footer(answer: Answer, seconds: float | None) -> str:
    parts = [answer.mode, f"{len(answer.passages)} passages"]
    if answer.filters:
        parts.append(f"only articles {answer.filters.describe()}")
    if answer.timing is not None and answer.timing.first_words < answer.timing.answer:
        parts.append(f"first words {answer.timing.first_words:.1f} s")
    if seconds is not None:
        parts.append(f"{seconds:.1f} s")
    return f'<p class="meta">{html.escape(" · ".join(parts))}</p>'


def article_html(info: ArticleInfo | None, text: str | None, ref: SourceRef, stale: StaleFile | None = None) -> str:
    """The side panel: the whole article, with the cited span highlighted when it is still there.

    With `stale` (the article's file changed or vanished since indexing), a note says that this is the
    text as indexed, not as the file now is.
    """
    if info is None or text is None:
        return ('<div class="source missing"><p>This article is no longer in the index (it was removed or '
                "re-indexed). Ask the question again to get fresh citations.</p></div>")
    meta = " · ".join(x for x in (info.outlet, info.date, info.author, _file_name(info.path)) if x)
    head = (f'<div class="source-head"><div class="source-title">{html.escape(info.title)}</div>'
            f'<div class="source-meta">{html.escape(meta)}</div></div>')
    if stale is not None:
        head += (f'<p class="source-warning stale">{html.escape(stale.describe().capitalize())}: this is the text as '
                 f"indexed. {REINDEX_HINT}</p>")
    if ref.start is None or ref.end is None:
        return f'<div class="source">{head}<div class="source-text">{html.escape(text)}</div></div>'
    quote = text[ref.start:ref.end] if ref.end <= len(text) else ""
    if not quote or quote_digest(quote) != ref.digest:
        note = ('<p class="source-warning">This article has changed since the answer was written: the cited '
                "passage is no longer where it was, so nothing is highlighted. Ask the question again.</p>")
        return f'<div class="source">{head}{note}<div class="source-text">{html.escape(text)}</div></div>'
    where = f'<div class="source-meta">cited: characters {ref.start}–{ref.end}</div>'
    body = (html.escape(text[:ref.start]) + f'<mark class="cited">{html.escape(quote)}</mark>'
            + html.escape(text[ref.end:]))
    return f'<div class="source">{head}{where}<div class="source-text">{body}</div></div>'


def _file_name(path: str) -> str:
    """The file's name only: the page does not show where the server keeps its files."""
    return PurePath(path).name


def articles_html(articles: Sequence[ArticleInfo], duplicates: Sequence[Sequence[str]] = (),
                  stale: Sequence[StaleFile] = ()) -> str:
    """The sources view: every indexed article, each opening in the side panel, with a note for an article whose
    text is also in another (a near-duplicate, retrieved once) and for one whose file changed or vanished."""
    if not articles:
        return '<p class="articles-empty">No articles are indexed. Put .txt, .md or .html files in the folder and re-index.</p>'
    files = {a.doc_id: _file_name(a.path) for a in articles}
    notes: dict[str, list[str]] = {}
    for group in duplicates:
        for doc_id in group:
            others = [files.get(d, d) for d in group if d != doc_id]
            notes.setdefault(doc_id, []).append(f"same text as {', '.join(others)}")
    for s in stale:
        notes.setdefault(s.doc_id, []).append(f"{s.describe().removeprefix('the file ')}: re-index")
    rows = "".join(
        f'<tr><td><a class="article-link" href="{html.escape(article_href(a.doc_id))}">{html.escape(a.title)}</a></td>'
        f"<td>{html.escape(a.outlet or '')}</td><td>{html.escape(a.date or '')}</td>"
        f"<td>{html.escape(files[a.doc_id])}</td><td>{a.chunks}</td>"
        f'<td class="article-note">{html.escape("; ".join(notes.get(a.doc_id, [])))}</td></tr>'
        for a in articles
    )
    return ('<table class="articles"><thead><tr><th>title</th><th>outlet</th><th>date</th><th>file</th><th>chunks</th>'
            f"<th>note</th></tr></thead><tbody>{rows}</tbody></table>")


PANEL_PLACEHOLDER = ('<div class="source empty"><p>Click a citation such as <b>[1]</b> in an answer to see the '
                     "whole article here, with the cited passage highlighted.</p></div>")
