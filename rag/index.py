"""Index: bring the store, Chroma and BM25 in line with the article folders, embedding only what changed."""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.chunk import CHUNK_VERSION, TokenCounter, chunk_articles, searchable_text
from rag.duplicates import SIGNATURE_VERSION, near_duplicate_groups, signature
from rag.embed import Embedder, token_counter
from rag.errors import CorpusError, IndexBusyError, IndexMismatchError, IndexMissingError
from rag.ingest import INGEST_VERSION, Scan, check_folder, scan_folder
from rag.lexical import BM25_DIR, LexicalIndex
from rag.settings import Settings
from rag.store import STORE_FILE, FileRecord, Store, StoredFolder
from rag.types import Article, Chunk, DuplicateGroup, FolderInfo, IndexReport, SkippedFile
from rag.vectors import VectorIndex

log = logging.getLogger("rag")
LOCK_FILE = "index.lock"
BATCH_CHUNKS = 256  # chunks embedded and written together
TOKENIZE_ARTICLES = 64  # articles whose text is tokenized in one batch (on every core) before chunking
Progress = Callable[[int, int, str], None]


@dataclass
class Index:
    """An open index: the store, the vectors and the BM25 index, all built by one embedding model."""

    store: Store
    vectors: VectorIndex
    lexical: LexicalIndex

    def close(self) -> None:
        """Close the SQLite connection and the Chroma client (the BM25 index goes with the last reference)."""
        self.store.close()
        self.vectors.close()


def build_index(
    settings: Settings, embedder: Embedder, folder: Path | None = None, *, replace: bool = False,
    rebuild: bool = False, progress: Progress | None = None,
) -> IndexReport:
    """Bring the index in line with its article folders, or add one.

    An index remembers every folder it was given. With `folder`, that folder is indexed beside the
    others (its articles' ids get a prefix, e.g. `news/story`, unless it is the index's first folder);
    with `replace`, it becomes the only one (an article it shares with a dropped folder, same id and
    content, is kept, not embedded again). Without `folder`, every folder the index holds is
    re-indexed (a new index: `settings.corpus`). In each folder, new and changed articles (by content
    hash) are chunked and embedded; deleted ones are dropped; unchanged ones are left alone. Files that
    cannot be read are skipped with a warning and listed in the report.

    Args:
        settings: where the index lives and how to chunk.
        embedder: the embedding model (must match the one that built an existing index).
        folder: an article folder to index (added to the folders the index holds).
        replace: index `folder` in place of every other folder (their articles are dropped).
        rebuild: drop the existing index first (e.g. to switch embedding model); every folder is indexed again.
        progress: called as progress(done, total, doc_id) after each batch of articles.
    Raises:
        CorpusError: no such folder, a folder inside one the index holds (or holding one), or a folder
            the index holds is gone. IndexBusyError: another process is indexing.
        IndexMismatchError: the index was built with another model (use rebuild=True).
    """
    started = time.perf_counter()
    if folder is not None:
        check_folder(Path(folder))  # a mistyped path fails before the index is touched
    elif replace:
        raise CorpusError("--replace needs the folder to index in place of the others, e.g. `rag index --replace news/`.")
    index_dir = Path(settings.index_dir)
    with _exclusive(index_dir):
        store = Store.open(index_dir)
        vectors: VectorIndex | None = None
        try:
            _file_unfiled(store)
            plan = _plan(store.folders(), settings, Path(folder) if folder is not None else None, replace, rebuild)
            scans = [_scan(f, given, settings) for f, given in plan.sync]
            skipped = tuple(  # as the user named them, like the warnings
                SkippedFile((given or Path(f.path)) / s.path.relative_to(f.path), s.reason)
                for (f, given), scan in zip(plan.sync, scans) for s in scan.skipped
            )
            if rebuild:
                store.close()
                _drop(settings)
                store = Store.open(index_dir)
            _check_model(store, settings, embedder.name)
            vectors = VectorIndex.open(settings, embedder.name, create=True)
            store.set_meta("embed_model", embedder.name)
            # a folder dropped by a run that stopped half-way has articles left: they go now, as the user asked then
            dropped = (*plan.dropped, *store.orphan_folders())
            report = _sync(store, vectors, [f for f, _ in plan.sync], scans, dropped, settings, embedder, progress)
            duplicates, folders = _finish(store, index_dir)
        finally:
            _close(store, vectors)
    return IndexReport(**report, skipped=skipped, seconds=time.perf_counter() - started, folders=folders,
                       dropped_folders=plan.dropped, duplicates=duplicates)


def _finish(store: Store, index_dir: Path) -> tuple[tuple[DuplicateGroup, ...], tuple[FolderInfo, ...]]:
    """What every change to the index ends with: BM25 rebuilt from the store, then the duplicate groups and
    the folders it now holds (for the report)."""
    _refresh_lexical(store, index_dir)
    return record_duplicates(store), index_folders(store)


def _close(store: Store, vectors: VectorIndex | None) -> None:
    store.close()
    if vectors is not None:
        vectors.close()


def forget_folder(settings: Settings, embedder: Embedder, folder: Path) -> IndexReport:
    """Drop one folder the index holds, with all of its articles (e.g. a folder that was moved or deleted).

    Raises:
        CorpusError: the index holds no such folder. IndexBusyError: another process is indexing.
    """
    started = time.perf_counter()
    index_dir = Path(settings.index_dir)
    if not Store.exists(index_dir):
        raise IndexMissingError(f"No index at {index_dir}, so no folder to forget. Run `rag index FOLDER` to build one.")
    with _exclusive(index_dir):
        store = Store.open(index_dir)
        vectors: VectorIndex | None = None
        try:
            _file_unfiled(store)
            known = {f.path: f for f in store.folders()}
            target = _absolute(Path(folder))
            if target not in known:
                raise CorpusError(f"The index at {index_dir} holds no folder {target}; it holds: "
                                  f"{', '.join(known) or 'none'} (`rag status` lists them).")
            _check_model(store, settings, embedder.name)
            vectors = VectorIndex.open(settings, embedder.name, create=True)
            removed = sorted(store.states(target))
            vectors.delete(removed)
            for doc_id in removed:
                store.delete_article(doc_id)
            store.drop_folder(target)
            duplicates, folders = _finish(store, index_dir)
        finally:
            _close(store, vectors)
    return IndexReport(added=(), updated=(), removed=tuple(removed), unchanged=(), skipped=(), chunks_embedded=0,
                       seconds=time.perf_counter() - started, folders=folders, dropped_folders=(target,),
                       duplicates=duplicates)


@dataclass(frozen=True)
class _Plan:
    """The folders one run indexes (each with the path as the user gave it, if given), and those it drops."""

    sync: tuple[tuple[StoredFolder, Path | None], ...]
    dropped: tuple[str, ...] = ()


def _plan(known: list[StoredFolder], settings: Settings, folder: Path | None, replace: bool, rebuild: bool) -> _Plan:
    """Which folders to index: the one given (beside the others, or in their place), else every known one."""
    if folder is None:
        if not known:  # a new index: the configured folder
            check_folder(Path(settings.corpus))
            return _Plan(((StoredFolder(_absolute(Path(settings.corpus)), ""), Path(settings.corpus)),))
        _check_present(known, settings)
        return _Plan(tuple((f, None) for f in known))
    target = _absolute(folder)
    by_path = {f.path: f for f in known}
    if replace:
        chosen = by_path.get(target) or StoredFolder(target, "")
        return _Plan(((chosen, folder),), tuple(f.path for f in known if f.path != target))
    for other in known:
        if other.path != target and Path(target).is_relative_to(other.path):
            raise CorpusError(
                f"{folder} is inside {other.path}, which the index already holds, so its articles are indexed "
                f"already. Run `rag index` to re-index every folder, or `rag index --replace {folder}` to keep only {folder}."
            )
        if other.path != target and Path(other.path).is_relative_to(target):
            raise CorpusError(
                f"{folder} holds {other.path}, which the index already holds: its articles would be indexed twice. "
                f"Run `rag index --replace {folder}` to index {folder} in its place."
            )
    chosen = by_path.get(target) or StoredFolder(target, _new_prefix(Path(target), {f.prefix for f in known}))
    others = [f for f in known if f.path != target] if rebuild else []  # a rebuild redoes every folder
    _check_present(others, settings)
    return _Plan(((chosen, folder), *((f, None) for f in others)))


def _check_present(folders: Sequence[StoredFolder], settings: Settings) -> None:
    """Raise CorpusError, naming the fixes, if a folder the index holds is gone."""
    gone = [f.path for f in folders if not Path(f.path).is_dir()]
    if gone:
        raise CorpusError(
            f"The folder {gone[0]}, which the index at {settings.index_dir} holds, is gone (moved or deleted?). "
            f"Put it back, or drop its articles with `rag index --forget {gone[0]}`, or index another folder "
            "in place of everything with `rag index --replace FOLDER`."
        )


def _new_prefix(folder: Path, taken: set[str]) -> str:
    """The doc-id prefix of a folder added to an index: none for the first folder, else its name and a slash."""
    if "" not in taken:
        return ""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", folder.name).strip("-.") or "folder"
    prefix, n = f"{name}/", 2
    while prefix in taken:
        prefix, n = f"{name}-{n}/", n + 1
    return prefix


def _absolute(folder: Path) -> str:
    return str(folder.expanduser().resolve())


def _scan(folder: StoredFolder, given: Path | None, settings: Settings) -> Scan:
    """The folder's articles, with ids carrying its prefix; their paths and the skipped files' made absolute."""
    where = given if given is not None else Path(folder.path)
    scan = scan_folder(where, settings.max_file_bytes)
    root = Path(folder.path)
    articles = tuple(
        dataclasses.replace(a, doc_id=folder.prefix + a.doc_id, path=root / a.path.relative_to(where))
        for a in scan.articles
    )
    return Scan(articles, tuple(dataclasses.replace(s, path=root / s.path.relative_to(where)) for s in scan.skipped))


def _file_unfiled(store: Store) -> None:
    """Give articles indexed before folders were recorded their folder: the one that holds all their files."""
    paths = store.unfiled_paths()
    if not paths:
        return
    parents = [str(Path(p).expanduser().resolve().parent) for p in paths]
    folder = os.path.commonpath(parents)
    known = {f.path: f for f in store.folders()}
    if folder not in known:
        store.add_folder(StoredFolder(folder, _new_prefix(Path(folder), {f.prefix for f in known}),
                                      store.get_meta("layout")))
    store.file_unfiled(folder)


def index_folders(store: Store) -> tuple[FolderInfo, ...]:
    """The folders an index holds, with how many of their articles are indexed."""
    counts = store.folder_counts()
    return tuple(FolderInfo(f.path, f.prefix, counts.get(f.path, 0)) for f in store.folders())


def record_duplicates(store: Store) -> tuple[DuplicateGroup, ...]:
    """Sign the articles that have no MinHash signature yet, then find and record the near-duplicate groups."""
    if store.get_meta("minhash") != SIGNATURE_VERSION:
        store.clear_signatures()
        store.set_meta("minhash", SIGNATURE_VERSION)
    store.set_signatures({doc_id: signature(texts) for doc_id, texts in store.unsigned_chunks().items()})
    groups = near_duplicate_groups(store.signatures())
    store.set_duplicate_groups(groups)
    return duplicate_groups(store)


def duplicate_groups(store: Store) -> tuple[DuplicateGroup, ...]:
    """The recorded groups of near-duplicate articles, with their files as the user knows them."""
    groups = store.duplicate_groups()
    files = store.files(doc_id for group in groups for doc_id in group)
    prefixes = {f.path: f.prefix for f in store.folders()}
    return tuple(DuplicateGroup(group, tuple(_shown_file(files[d], prefixes) for d in group)) for group in groups)


def _shown_file(record: FileRecord, prefixes: dict[str, str]) -> str:
    """An article's file relative to its folder, with the folder's id prefix: `b.txt`, `other/b.txt`."""
    if record.folder is None or not Path(record.path).is_relative_to(record.folder):
        return Path(record.path).name
    return prefixes.get(record.folder, "") + Path(record.path).relative_to(record.folder).as_posix()


def _refresh_lexical(store: Store, index_dir: Path) -> None:
    lexical = LexicalIndex.load(index_dir)
    if lexical is None or not lexical.current(store.generation()):
        ids, texts = store.all_chunks()
        LexicalIndex.build(ids, texts, store.generation()).save(index_dir)


def _sync(
    store: Store, vectors: VectorIndex, folders: Sequence[StoredFolder], scans: Sequence[Scan], dropped: Sequence[str],
    settings: Settings, embedder: Embedder, progress: Progress | None,
) -> dict:
    """Bring each folder's articles in the store and Chroma in line with its scan; drop the `dropped` folders.

    The dropped folders are forgotten first; their articles are compared with the first folder's (the one
    indexed in their place): the same id with the same content is kept and moved over, the rest is removed.
    A run that stops half-way leaves those articles without a known folder; the next run drops them.
    """
    layout = f"{INGEST_VERSION}/{CHUNK_VERSION}/{settings.chunk_tokens}/{settings.chunk_overlap}"
    layouts = {f.path: f.layout for f in store.folders()}
    for path in dropped:  # first: the folder indexed in their place may take a dropped one's prefix
        store.drop_folder(path)
    for folder in folders:
        store.add_folder(folder)
    work = []
    for i, (folder, scan) in enumerate(zip(folders, scans)):
        states: dict[str, tuple[str, bool]] = {}
        for source in (folder.path, *(dropped if i == 0 else ())):
            own = store.states(source)
            if layouts.get(source) not in (None, layout):  # parsing or chunking changed: redo every article
                own = {doc_id: ("", complete) for doc_id, (_, complete) in own.items()}
            states.update(own)
        work.append((folder, scan, states))
    todo_total = sum(1 for _, scan, states in work for a in scan.articles if states.get(a.doc_id) != (a.sha256, True))
    count_tokens: TokenCounter = token_counter()  # type: ignore[assignment]
    added: list[str] = []
    updated: list[str] = []
    removed: list[str] = []
    unchanged: list[str] = []
    repaired: list[str] = []
    embedded = done = 0
    for folder, scan, states in work:
        articles = {a.doc_id: a for a in scan.articles}
        gone = sorted(set(states) - set(articles))
        vectors.delete(gone)
        for doc_id in gone:
            store.delete_article(doc_id)
        todo = [a for a in articles.values() if states.get(a.doc_id) != (a.sha256, True)]
        store.refile([a for a in articles.values() if states.get(a.doc_id) == (a.sha256, True)], folder.path)
        for batch in _batches(todo, count_tokens, settings):
            # the batch's articles are marked incomplete until their vectors and chunks are all in
            store.begin_articles([article for article, _ in batch], folder.path)
            vectors.delete([a.doc_id for a, _ in batch if a.doc_id in states])  # old or half-written vectors go first
            chunks = [c for _, article_chunks in batch for c in article_chunks]
            texts = [searchable_text(a.title, a.outlet, c.text) for a, article_chunks in batch for c in article_chunks]
            vectors.add(chunks, embedder.embed(texts))
            store.finish_articles({article.doc_id: article_chunks for article, article_chunks in batch})
            embedded += len(chunks)
            done += len(batch)
            if progress:
                progress(done, todo_total, batch[-1][0].doc_id)
        store.set_folder_layout(folder.path, layout)
        store.set_skipped(folder.path, scan.skipped)
        changed = {a.doc_id for a in todo}
        added += [d for d in changed if d not in states]
        updated += [d for d in changed if d in states]
        removed += gone
        unchanged += [d for d in articles if d not in changed]
        repaired += [d for d, (_, complete) in states.items() if not complete and d in changed]
    return {
        "added": tuple(sorted(added)),
        "updated": tuple(sorted(updated)),
        "removed": tuple(sorted(removed)),
        "unchanged": tuple(sorted(unchanged)),
        "repaired": tuple(sorted(repaired)),
        "chunks_embedded": embedded,
    }


def _batches(
    articles: Sequence[Article], count_tokens: TokenCounter, settings: Settings
) -> Iterator[list[tuple[Article, list[Chunk]]]]:
    """The articles with their chunks, in groups of about BATCH_CHUNKS chunks: Chroma and SQLite take
    one large write far faster than many small ones."""
    batch: list[tuple[Article, list[Chunk]]] = []
    size = 0
    for first in range(0, len(articles), TOKENIZE_ARTICLES):
        group = articles[first : first + TOKENIZE_ARTICLES]
        for article, chunks in zip(group, chunk_articles(group, count_tokens, settings.chunk_tokens,
                                                         settings.chunk_overlap)):
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
    try:
        _check_model(store, settings, embedder.name)
        vectors = VectorIndex.open(settings, embedder.name, create=False)
    except BaseException:
        store.close()
        raise
    lexical = LexicalIndex.load(index_dir)
    if lexical is None or not lexical.current(store.generation()):
        ids, texts = store.all_chunks()  # stale, missing (an interrupted run) or older terms: rebuild in memory
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
