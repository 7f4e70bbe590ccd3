"""Index: bring the store, Chroma and BM25 in line with the article folder, embedding only what changed."""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.chunk import CHUNK_VERSION, TokenCounter, chunk_article, searchable_text
from rag.embed import Embedder, token_counter
from rag.errors import IndexBusyError, IndexMismatchError, IndexMissingError
from rag.ingest import INGEST_VERSION, Scan, scan_folder
from rag.lexical import BM25_DIR, LexicalIndex
from rag.settings import Settings
from rag.store import STORE_FILE, Store
from rag.types import Article, Chunk, IndexReport
from rag.vectors import VectorIndex

log = logging.getLogger("rag")
LOCK_FILE = "index.lock"
BATCH_CHUNKS = 256  # chunks embedded and written together
Progress = Callable[[int, int, str], None]


@dataclass
class Index:
    """An open index: the store, the vectors and the BM25 index, all built by one embedding model."""

    store: Store
    vectors: VectorIndex
    lexical: LexicalIndex


def build_index(
    settings: Settings, embedder: Embedder, folder: Path | None = None, *, rebuild: bool = False,
    progress: Progress | None = None,
) -> IndexReport:
    """Index every article under `folder` (default `settings.corpus`).

    New and changed articles (by content hash) are chunked and embedded; deleted ones are
    dropped; unchanged ones are left alone. Files that cannot be read are skipped with a
    warning and listed in the report.

    Args:
        settings: where the index lives and how to chunk.
        embedder: the embedding model (must match the one that built an existing index).
        folder: the article folder.
        rebuild: drop the existing index first (e.g. to switch embedding model).
        progress: called as progress(done, total, doc_id) after each batch of articles.
    Raises:
        CorpusError: no such folder. IndexBusyError: another process is indexing.
        IndexMismatchError: the index was built with another model (use rebuild=True).
    """
    started = time.perf_counter()
    folder = Path(folder or settings.corpus)
    scan = scan_folder(folder, settings.max_file_bytes)
    index_dir = Path(settings.index_dir)
    with _exclusive(index_dir):
        if rebuild:
            _drop(settings)
        store = Store.open(index_dir)
        try:
            _check_model(store, settings, embedder.name)
            vectors = VectorIndex.open(settings, embedder.name, create=True)
            store.set_meta("embed_model", embedder.name)
            report = _sync(store, vectors, scan, settings, embedder, progress)
            lexical = LexicalIndex.load(index_dir)
            if lexical is None or lexical.generation != store.generation():
                ids, texts = store.all_chunks()
                LexicalIndex.build(ids, texts, store.generation()).save(index_dir)
        finally:
            store.close()
    return IndexReport(**report, skipped=scan.skipped, seconds=time.perf_counter() - started)


def _sync(
    store: Store, vectors: VectorIndex, scan: Scan, settings: Settings, embedder: Embedder,
    progress: Progress | None,
) -> dict:
    layout = f"{INGEST_VERSION}/{CHUNK_VERSION}/{settings.chunk_tokens}/{settings.chunk_overlap}"
    states = store.states()
    if store.get_meta("layout") not in (None, layout):  # parsing or chunking changed: redo every article
        states = {doc_id: ("", False) for doc_id in states}
    store.set_meta("layout", layout)
    articles = {a.doc_id: a for a in scan.articles}
    removed = sorted(set(states) - set(articles))
    vectors.delete(removed)
    for doc_id in removed:
        store.delete_article(doc_id)
    todo = [a for a in articles.values() if states.get(a.doc_id) != (a.sha256, True)]
    interrupted = {doc_id for doc_id, (_, complete) in states.items() if not complete}
    count_tokens: TokenCounter = token_counter()  # type: ignore[assignment]
    embedded = done = 0
    for batch in _batches(todo, count_tokens, settings):
        # the batch's articles are marked incomplete until their vectors and chunks are all in
        store.begin_articles([article for article, _ in batch])
        vectors.delete([a.doc_id for a, _ in batch if a.doc_id in states])  # old or half-written vectors go first
        chunks = [c for _, article_chunks in batch for c in article_chunks]
        texts = [searchable_text(a.title, a.outlet, c.text) for a, article_chunks in batch for c in article_chunks]
        vectors.add(chunks, embedder.embed(texts))
        store.finish_articles({article.doc_id: article_chunks for article, article_chunks in batch})
        embedded += len(chunks)
        done += len(batch)
        if progress:
            progress(done, len(todo), batch[-1][0].doc_id)
    changed = {a.doc_id for a in todo}
    return {
        "added": tuple(sorted(d for d in changed if d not in states)),
        "updated": tuple(sorted(d for d in changed if d in states)),
        "removed": tuple(removed),
        "unchanged": tuple(sorted(set(articles) - changed)),
        "repaired": tuple(sorted(interrupted & changed)),
        "chunks_embedded": embedded,
    }


def _batches(
    articles: Sequence[Article], count_tokens: TokenCounter, settings: Settings
) -> Iterator[list[tuple[Article, list[Chunk]]]]:
    """The articles with their chunks, in groups of about BATCH_CHUNKS chunks: Chroma and SQLite take
    one large write far faster than many small ones."""
    batch: list[tuple[Article, list[Chunk]]] = []
    size = 0
    for article in articles:
        chunks = chunk_article(article, count_tokens, settings.chunk_tokens, settings.chunk_overlap)
        batch.append((article, chunks))
        size += len(chunks)
        if size >= BATCH_CHUNKS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def open_index(settings: Settings, embedder: Embedder) -> Index:
    """Open an existing index for searching.

    Raises:
        IndexMissingError: nothing has been indexed at `settings.index_dir`.
        IndexMismatchError: it was built with another embedding model.
    """
    index_dir = Path(settings.index_dir)
    if not Store.exists(index_dir):
        raise IndexMissingError(f"No index at {index_dir}. Run `rag index` first (or call rag.build_index()).")
    store = Store.open(index_dir)
    _check_model(store, settings, embedder.name)
    vectors = VectorIndex.open(settings, embedder.name, create=False)
    lexical = LexicalIndex.load(index_dir)
    if lexical is None or lexical.generation != store.generation():
        ids, texts = store.all_chunks()  # stale or missing (e.g. an interrupted run): rebuild in memory
        lexical = LexicalIndex.build(ids, texts, store.generation())
    return Index(store, vectors, lexical)


def index_exists(settings: Settings) -> bool:
    return Store.exists(Path(settings.index_dir))


def _check_model(store: Store, settings: Settings, name: str) -> None:
    built_with = store.get_meta("embed_model")
    if built_with is not None and built_with != name:
        raise IndexMismatchError(
            f"The index at {settings.index_dir} was built with embedding model {built_with!r}, but the settings ask "
            f"for {name!r}; mixing them would make search meaningless. Set RAG_EMBED_MODEL (or RAG_EMBED_RUNTIME) back, or rebuild with "
            "`rag index --rebuild`."
        )


def _drop(settings: Settings) -> None:
    index_dir = Path(settings.index_dir)
    VectorIndex.drop(settings)
    for name in (STORE_FILE, f"{STORE_FILE}-wal", f"{STORE_FILE}-shm"):
        (index_dir / name).unlink(missing_ok=True)
    shutil.rmtree(index_dir / BM25_DIR, ignore_errors=True)


@contextlib.contextmanager
def _exclusive(index_dir: Path) -> Iterator[None]:
    """Hold the index's write lock, or fail at once naming the holder."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK_FILE
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise IndexBusyError(
                f"The index at {index_dir} is being written by pid {holder}. Wait for that `rag index` to finish."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
