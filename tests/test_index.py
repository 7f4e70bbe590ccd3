"""Indexing in real Chroma (embedded, and a `chroma run` server on 127.0.0.1): incremental re-index, deletions, model mismatch, interrupted runs, the lock."""
from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from rag.chunk import searchable_text
from rag.errors import IndexBusyError, IndexMismatchError, IndexMissingError
from rag.index import LOCK_FILE, build_index, open_index
from rag.retrieve import Retriever
from tests.conftest import HOCHSTEIN, CountingEmbedder, make_settings

CHANGED = "002_c2ca303522c8726a"


def test_reindexing_embeds_only_the_changed_article_and_drops_deleted_ones(
    tmp_path, corpus_copy, embedder, chroma_url
) -> None:
    settings = make_settings(tmp_path, corpus_copy, chroma_url)
    first = build_index(settings, CountingEmbedder(embedder))
    assert len(first.added) == 5 and first.chunks_embedded > 5

    counting = CountingEmbedder(embedder)
    again = build_index(settings, counting)
    assert (again.unchanged, again.chunks_embedded, counting.calls) == (first.added, 0, [])

    path = corpus_copy / f"{CHANGED}.txt"
    path.write_text(path.read_text() + "\nHezbollah said on Friday it would study a new French proposal.\n")
    (corpus_copy / f"{HOCHSTEIN}.txt").unlink()
    counting = CountingEmbedder(embedder)
    report = build_index(settings, counting)
    assert report.updated == (CHANGED,)
    assert report.removed == (HOCHSTEIN,)
    assert report.added == ()
    index = open_index(settings, embedder)
    changed_chunks = [c for c in index.store.chunks(index.lexical.ids).values() if c.doc_id == CHANGED]
    assert sorted(counting.texts) == sorted(searchable_text(c.title, c.outlet, c.text) for c in changed_chunks)
    assert index.vectors.count() == len(index.lexical.ids)

    passages = Retriever(index, embedder).retrieve("French proposal Hezbollah would study", 3)
    assert passages[0].doc_id == CHANGED and "French proposal" in passages[0].text
    every = Retriever(index, embedder).retrieve("What did Hochstein warn Hezbollah?", 20)
    assert HOCHSTEIN not in {p.doc_id for p in every}


def test_an_index_built_with_another_model_is_refused(tmp_path, embedder, chroma_url) -> None:
    settings = make_settings(tmp_path, chroma_url=chroma_url)
    build_index(settings, CountingEmbedder(embedder, name="some-other-model"))
    with pytest.raises(IndexMismatchError, match="some-other-model") as error:
        open_index(settings, embedder)
    assert "rag index --rebuild" in str(error.value)
    with pytest.raises(IndexMismatchError):
        build_index(settings, embedder)
    report = build_index(settings, embedder, rebuild=True)
    assert len(report.added) == 5
    assert open_index(settings, embedder).vectors.count() == report.chunks_embedded


class FailingEmbedder(CountingEmbedder):
    """The real embedder, failing on one article (a crash half-way through indexing)."""

    def __init__(self, inner, fail_on: str) -> None:
        super().__init__(inner)
        self.fail_on = fail_on

    def embed(self, texts):
        if any(self.fail_on in t for t in texts):
            raise RuntimeError("simulated crash")
        return super().embed(texts)


def test_an_interrupted_run_leaves_no_half_article_and_the_next_run_repairs_it(
    tmp_path, embedder, chroma_url, monkeypatch
) -> None:
    monkeypatch.setattr("rag.index.BATCH_CHUNKS", 1)  # one article per batch: the crash lands after three
    settings = make_settings(tmp_path, chroma_url=chroma_url)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_index(settings, FailingEmbedder(embedder, fail_on="Naim Qassem"))  # a sentence of 003
    index = open_index(settings, embedder)
    complete = {a.doc_id for a in index.store.articles()}
    assert len(complete) == 3 and "003_7dc90b1bd24fe7e6" not in complete
    passages = Retriever(index, embedder).retrieve("Naim Qassem large losses on both sides", 10)
    assert all(p.doc_id in complete for p in passages)

    counting = CountingEmbedder(embedder)
    report = build_index(settings, counting)
    assert "003_7dc90b1bd24fe7e6" in report.added + report.updated
    assert set(report.unchanged) == complete
    assert open_index(settings, embedder).vectors.count() == len(open_index(settings, embedder).lexical.ids)


def test_a_second_indexer_is_refused_while_one_holds_the_lock(tmp_path, embedder) -> None:
    settings = make_settings(tmp_path)
    lock = Path(settings.index_dir) / LOCK_FILE
    lock.parent.mkdir(parents=True)
    with open(lock, "w") as handle:
        handle.write("4242")
        handle.flush()
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(IndexBusyError, match="4242"):
            build_index(settings, embedder)
    assert len(build_index(settings, embedder).added) == 5


def test_opening_a_missing_index_says_how_to_build_one(tmp_path, embedder) -> None:
    with pytest.raises(IndexMissingError, match="rag index"):
        open_index(make_settings(tmp_path), embedder)


def test_an_open_assistant_sees_articles_indexed_after_it_opened(tmp_path, corpus_copy, embedder, chroma_url) -> None:
    from rag.pipeline import Assistant

    settings = make_settings(tmp_path, corpus_copy, chroma_url)
    helper = Assistant(settings)
    assert not helper.ask("What did the mayor of Springfield announce about the bridge?").answered
    (corpus_copy / "bridge.txt").write_text(
        "Springfield bridge to close\nThe mayor of Springfield announced the bridge will close for repairs in May.\n"
    )
    build_index(settings, embedder)
    answer = helper.ask("What did the mayor of Springfield announce about the bridge?")
    assert answer.answered and answer.citations[0].doc_id == "bridge"


def test_an_index_from_before_article_dates_opens_and_the_next_run_fills_them_in(tmp_path, embedder) -> None:
    import sqlite3

    from rag.chunk import CHUNK_VERSION
    from rag.store import STORE_FILE

    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "carpark.md").write_text("---\ndate: 2024-03-20\noutlet: Kingsbridge Gazette\n---\n"
                                       "Quay car park to close\nThe quay car park will close for three weeks from 8 April.\n")
    settings = make_settings(tmp_path, folder)
    build_index(settings, embedder)
    # what an earlier version left: no date, author, url or folder columns, no folders, its own parsing version
    with sqlite3.connect(Path(settings.index_dir) / STORE_FILE) as db:
        for column in ("date", "author", "url", "folder"):
            db.execute(f"ALTER TABLE articles DROP COLUMN {column}")
        db.execute("DROP TABLE folders")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('layout', ?)",
                   (f"1/{CHUNK_VERSION}/{settings.chunk_tokens}/{settings.chunk_overlap}",))

    index = open_index(settings, embedder)  # still answers, without dates
    [passage] = Retriever(index, embedder).retrieve("When will the quay car park close?", 1)
    assert (passage.doc_id, passage.date) == ("carpark", None)
    index.store.close()

    report = build_index(settings, embedder)  # parsing changed: every article is read again
    assert report.updated == ("carpark",) and report.repaired == ()
    index = open_index(settings, embedder)
    assert [(f.path, f.prefix) for f in index.store.folders()] == [(str(folder), "")]  # found from the files' paths
    [info] = index.store.articles()
    assert (info.date, info.outlet) == ("2024-03-20", "Kingsbridge Gazette")
    [passage] = Retriever(index, embedder).retrieve("When will the quay car park close?", 1)
    assert passage.date == "2024-03-20"


def test_chunk_texts_go_to_chroma_only_when_asked(tmp_path, embedder) -> None:
    plain = make_settings(tmp_path / "plain")
    build_index(plain, embedder)
    index = open_index(plain, embedder)
    stored = index.vectors.collection.get(limit=3, include=["documents", "metadatas"])
    assert not index.vectors.documents and stored["documents"] in (None, [None] * 3)
    assert all(m["doc_id"] for m in stored["metadatas"])  # the filters' metadata is there either way
    index.store.close()
    index.vectors.close()
    with pytest.raises(IndexMismatchError, match="keeps no chunk texts in Chroma.*--rebuild"):
        build_index(plain.replace(chroma_documents=True), embedder)

    texts = make_settings(tmp_path / "texts", chroma_documents=True)
    build_index(texts, embedder)
    index = open_index(texts, embedder)
    stored = index.vectors.collection.get(limit=3, include=["documents"])
    assert index.vectors.documents and all(stored["documents"])
    index.store.close()
    index.vectors.close()


def test_a_bm25_index_saved_with_older_terms_is_rebuilt_and_finds_either_spelling(
    tmp_path, embedder, monkeypatch
) -> None:
    import json

    import bm25s
    import Stemmer

    import rag.lexical
    from rag.lexical import BM25_DIR, IDS_FILE, LexicalIndex
    from rag.text import TERMS_VERSION

    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text("Ministry talks\nThe defence ministry met the envoy on Monday to discuss the border.\n")
    settings = make_settings(tmp_path, folder)
    plain = Stemmer.Stemmer("english")  # terms as version 1 made them: no spellings read as American
    with monkeypatch.context() as patch:
        patch.setattr(rag.lexical, "terms_of", lambda texts: bm25s.tokenize(
            list(texts), stopwords="en", stemmer=plain, return_ids=True, show_progress=False))
        build_index(settings, embedder)
    ids_file = Path(settings.index_dir) / BM25_DIR / IDS_FILE
    meta = json.loads(ids_file.read_text())
    del meta["terms"]  # as written before terms were versioned
    ids_file.write_text(json.dumps(meta))
    saved = LexicalIndex.load(Path(settings.index_dir))
    assert saved is not None and saved.terms_version == 1 and saved.query("defense", 5) == []  # "defenc" there
    index = open_index(settings, embedder)
    assert index.lexical.terms_version == TERMS_VERSION  # rebuilt in memory on opening
    assert len(index.lexical.query("defense", 5)) == len(index.lexical.query("defence", 5)) == 1
    build_index(settings, embedder)  # and `rag index` writes it again with today's terms
    assert json.loads(ids_file.read_text())["terms"] == TERMS_VERSION
