"""Ingestion under hostile input, by property-based testing (hypothesis).

Each example is a folder of generated files: articles in odd encodings and line endings, with
zero-width, right-to-left and combining characters and very long lines, among random bytes,
empty and whitespace-only files, files over the size limit, and links out of the folder. The
properties: every file is either indexed or reported as skipped with a reason (never both,
never neither); an indexed article's text is exactly its file's text; every chunk and
sentence points at exactly its text; and, through the real index, the good files can be found.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import make_settings
from rag.chunk import chunk_article, sentence_spans
from rag.embed import token_counter
from rag.index import build_index, open_index
from rag.ingest import scan_folder
from rag.retrieve import Retriever

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


@st.composite
def a_file(draw: st.DrawFn) -> tuple[str, bytes | None]:
    """(kind, content): content None for a link out of the folder."""
    kind = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "latin-1", "utf-16", "cp1252", "bytes", "empty",
                                 "blank", "huge", "link-out"]))
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
        path = folder / ("sub" if i % 3 == 0 else "") / f"f{i:02d}_{kind}{'.md' if i % 4 == 0 else '.txt'}"
        if content is None:
            os.symlink(outside, path)
        else:
            path.write_bytes(content)
    return folder


def check_scan(folder: Path) -> list:
    scan = scan_folder(folder, LIMIT)
    files = {p for p in folder.rglob("*") if p.suffix in (".txt", ".md")}
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
        assert article.text == article.path.read_bytes().decode("utf-8"), "the text is the file's, unchanged"
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
    assert {s.path for s in report.skipped} == {p for p in folder.rglob("*") if p.suffix in (".txt", ".md")} - {
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
