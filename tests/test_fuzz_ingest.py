"""Ingestion under hostile input, by property-based testing (hypothesis).

Each example is a folder of generated files: articles in odd encodings and line endings, with
zero-width, right-to-left and combining characters and very long lines, among random bytes,
empty and whitespace-only files, files over the size limit, and links out of the folder; and
saved web pages (.html/.htm) of generated text wrapped in a cookie banner, navigation, ads, a
share bar, related links and comments, some cut off mid-tag, in several encodings. The
properties: every file is either indexed or reported as skipped with a reason (never both,
never neither); a text article's text is exactly its file's text (after any front matter);
no page furniture reaches a page's text; every chunk and sentence points at exactly its text;
and, through the real index, the good files can be found.
"""
from __future__ import annotations

import html
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import make_settings
from rag.chunk import chunk_article, sentence_spans
from rag.embed import token_counter
from rag.index import build_index, open_index
from rag.ingest import HTML_SUFFIXES, SUFFIXES, scan_folder
from rag.retrieve import Retriever

pytestmark = pytest.mark.slow  # 150 generated folders, and 12 indexed

LIMIT = 64 * 1024  # the size limit for these folders: "huge" files are just over it
ODD = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u202e", "\u200f", "\u061c", "\u0301", "\u00a0", "\u2028", "\u0085",
       "\t", "\x0b", "\x0c", "\x1b", "\x00"]
WORDS = ["Hezbollah", "Hochstein", "Israel", "ceasefire", "Beirut", "said", "the", "on", "Monday", "1,200",
         "מלחמה", "حزب", "الله", "停火", "Ελλάδα", "😀", "naïve", "Straße", "U.S.", "Dr.", "p.m."]

word = st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=12))
sentence = st.builds(lambda ws, odd, end: " ".join(ws) + odd + end,
                     st.lists(word, min_size=1, max_size=25), st.sampled_from(["", *ODD]), st.sampled_from([".", "?", "!", "", "…"]))
paragraph = st.lists(sentence, min_size=1, max_size=8).map(" ".join)
long_line = st.integers(min_value=2_000, max_value=20_000).map(lambda n: ("Beirut talks " * n)[:n])


@st.composite
def article_text(draw: st.DrawFn) -> str:
    newline = draw(st.sampled_from(["\n", "\r\n", "\r", "\n\n", "\u2028"]))
    parts = [draw(st.text(max_size=80))] + draw(st.lists(st.one_of(paragraph, long_line), min_size=0, max_size=6))
    text = newline.join(parts)
    return draw(st.sampled_from(["", "\ufeff"])) + text + draw(st.sampled_from(["", newline]))


# Words that only page furniture carries: none may reach an indexed page's text.
FURNITURE_WORDS = ("Cookiezq", "Navzq", "Advertzq", "Sharezq", "Relatedzq", "Commentzq", "Footerzq")


@st.composite
def html_page(draw: st.DrawFn) -> bytes:
    """A saved news page: generated paragraphs (maybe none) inside realistic furniture, maybe cut off."""
    paragraphs = draw(st.lists(st.one_of(paragraph, long_line), min_size=0, max_size=5))
    title = draw(st.text(max_size=60))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "cp1252", "latin-1"]))
    head = draw(st.sampled_from([
        "", '<meta property="article:published_time" content="2024-03-14T07:30:00Z">',
        '<meta property="article:published_time" content="not a date">', '<meta name="date" content="2024-13-45">',
        '<link rel="canonical" href="https://news.example/a?b=1">', '<link rel="canonical" href="/relative">',
        '<meta property="og:site_name" content="">',
    ]))
    esc = html.escape
    article = "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    page = (
        f'<!DOCTYPE html><html><head><meta charset="{encoding}"><title>{esc(title)}</title>{head}</head><body>'
        '<div class="cookie-banner"><p>Cookiezq: we use cookies to show you personalised advertising on this '
        'site.</p><button>Accept all cookies</button></div>'
        f'<header><nav>{"".join(f"<a href=/s{i}>Navzq {i}</a> " for i in range(draw(st.integers(0, 12))))}</nav></header>'
        '<div class="ad-slot"><p>Advertzq: luxury flats from £199,000, book a viewing today and save.</p></div>'
        f'<main><article><h1>{esc(title)}</h1><div class="share-bar"><a href="#">Sharezq on Facebook</a></div>'
        f'{article}</article><aside class="related"><a href="/r">Relatedzq: another story that happened this '
        'week in town.</a></aside><section class="comments"><div class="comment"><p>Commentzq: this is a disgrace '
        'and the council should resign at once over it.</p></div></section></main>'
        '<footer><p>Footerzq Media Ltd. Registered office in town, all content is ours.</p></footer></body></html>'
    )
    data = page.encode(encoding, errors="replace")
    if draw(st.booleans()):  # broken HTML: the download stopped part-way
        data = data[: draw(st.integers(0, len(data)))]
    return data


@st.composite
def a_file(draw: st.DrawFn) -> tuple[str, bytes | None]:
    """(kind, content): content None for a link out of the folder."""
    kind = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "latin-1", "utf-16", "cp1252", "bytes", "empty",
                                 "blank", "huge", "link-out", "page", "page", "page-bytes"]))
    if kind == "page":
        return kind, draw(html_page())
    if kind == "page-bytes":
        return kind, draw(st.binary(min_size=1, max_size=4000))
    if kind == "bytes":
        return kind, draw(st.binary(min_size=1, max_size=4000))
    if kind == "empty":
        return kind, b""
    if kind == "blank":
        return kind, draw(st.sampled_from([b" ", b"\n\n", b"\r\n \t\r\n", "\u3000\n".encode()]))
    if kind == "huge":
        return kind, b"Hezbollah said. " * (LIMIT // 16 + 1)
    if kind == "link-out":
        return kind, None
    text = draw(article_text())
    return kind, text.encode(kind, errors="replace") if kind != "utf-8" else text.encode("utf-8", "surrogatepass")


def write_folder(root: Path, files: list[tuple[str, bytes | None]]) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    folder = root / "articles"
    (folder / "sub").mkdir(parents=True)
    outside = root / "outside.txt"
    outside.write_text("A secret file outside the corpus folder.\n")
    for i, (kind, content) in enumerate(files):
        suffix = (".htm" if i % 2 else ".html") if kind.startswith("page") else (".md" if i % 4 == 0 else ".txt")
        path = folder / ("sub" if i % 3 == 0 else "") / f"f{i:02d}_{kind}{suffix}"
        if content is None:
            os.symlink(outside, path)
        else:
            path.write_bytes(content)
    return folder


def check_scan(folder: Path) -> list:
    scan = scan_folder(folder, LIMIT)
    files = {p for p in folder.rglob("*") if p.suffix in SUFFIXES}
    indexed = {a.path for a in scan.articles}
    skipped = {s.path for s in scan.skipped}
    assert indexed | skipped == files and not indexed & skipped, "every file is indexed or reported, once"
    assert all(s.reason for s in scan.skipped)
    for s in scan.skipped:
        if "link-out" in s.path.name:
            assert "outside the corpus folder" in s.reason
        if "huge" in s.path.name:
            assert "over the" in s.reason
    count = token_counter()
    for article in scan.articles:
        if article.path.suffix in HTML_SUFFIXES:
            assert not any(word in article.text for word in FURNITURE_WORDS), article.text
        else:
            original = article.path.read_bytes().decode("utf-8")
            assert article.text == original or (original.lstrip("\ufeff").startswith("---") and original.endswith(
                article.text)), "the text is the file's, unchanged (after any front matter)"
        assert "link-out" not in article.path.name and "huge" not in article.path.name
        spans = sentence_spans(article)
        for span in spans:
            assert 0 <= span.start < span.end <= len(article.text)
        for chunk in chunk_article(article, count, 60, 10):  # type: ignore[arg-type]
            assert chunk.text and article.text[chunk.start : chunk.end] == chunk.text
            for s in chunk.sentences:
                assert chunk.start <= s.start < s.end <= chunk.end
    return list(scan.articles)


FUZZ = settings(max_examples=int(os.environ.get("RAG_FUZZ_EXAMPLES", "150")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])


@FUZZ
@given(files=st.lists(a_file(), min_size=1, max_size=12))
def test_every_file_is_indexed_exactly_or_reported(tmp_path_factory, files) -> None:
    check_scan(write_folder(tmp_path_factory.mktemp("fuzz"), files))


@settings(max_examples=int(os.environ.get("RAG_FUZZ_INDEX_EXAMPLES", "12")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(files=st.lists(a_file(), min_size=1, max_size=6))
def test_good_files_index_and_can_be_found_among_bad_ones(tmp_path_factory, embedder, files) -> None:
    root = tmp_path_factory.mktemp("fuzzindex")
    folder = write_folder(root, files)
    (folder / "known.txt").write_text("Ceasefire talks\nHochstein met Berri in Beirut on Monday to discuss a ceasefire.\n")
    articles = check_scan(folder)
    config = make_settings(root, folder, max_file_mb=LIMIT / 1048576)
    report = build_index(config, embedder)
    assert set(report.added) == {a.doc_id for a in articles}
    assert {s.path for s in report.skipped} == {p for p in folder.rglob("*") if p.suffix in SUFFIXES} - {
        a.path for a in articles}
    index = open_index(config, embedder)
    assert index.vectors.count() == len(index.lexical.ids) == len(index.store.all_chunks()[0])
    top = Retriever(index, embedder).retrieve("Hochstein met Berri in Beirut", 3)
    assert top and top[0].doc_id == "known"
    for passage in top:
        original = (folder / f"{passage.doc_id}.txt")
        text = next(a.text for a in articles if a.doc_id == passage.doc_id)
        assert text[passage.start : passage.end] == passage.text, original
    index.store.close()
