"""The article store: original texts, chunks and index metadata in one SQLite file.

An article counts as indexed only once its row says `complete = 1`, which is written in
the same transaction as its chunks, after its vectors are in Chroma. A run that dies
half-way leaves `complete = 0`, and the next run redoes that article.

`text` is the article text every offset points into (for an HTML page, the extracted article, not the
page). An index written before articles had a date, author and URL gets those columns, empty, when it is
opened; the next `rag index` fills them (a new INGEST_VERSION makes it re-read every article).

An index holds one or more article folders (`folders`: the resolved path, the prefix of its articles'
ids, and the parsing layout its articles were indexed with); each article row names its folder. Rows
written before folders were recorded have no folder until `rag index` files them (`rag.index`).
`minhash` is the article's MinHash signature (`rag.duplicates`), empty until computed; `duplicates` maps
each member of a group of near-duplicate articles to the group's first. `size` and `mtime_ns` are the
article's file's when it was read, to notice cheaply that it changed (`rag.stale`).
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.chunk import searchable_text
from rag.types import Article, ArticleInfo, Chunk, SkippedFile, Span

STORE_FILE = "store.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    doc_id TEXT PRIMARY KEY, path TEXT NOT NULL, title TEXT NOT NULL, outlet TEXT,
    sha256 TEXT NOT NULL, text TEXT NOT NULL, complete INTEGER NOT NULL DEFAULT 0,
    date TEXT, author TEXT, url TEXT, folder TEXT, minhash BLOB, size INTEGER, mtime_ns INTEGER);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ord INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, sentences TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS folders (path TEXT PRIMARY KEY, prefix TEXT NOT NULL UNIQUE, layout TEXT);
CREATE TABLE IF NOT EXISTS skipped (folder TEXT NOT NULL, path TEXT NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS duplicates (doc_id TEXT PRIMARY KEY, first TEXT NOT NULL);
"""
# articles columns newer than the first schema, with their types: added to old stores on open
ADDED_COLUMNS = {"date": "TEXT", "author": "TEXT", "url": "TEXT", "folder": "TEXT", "minhash": "BLOB",
                 "size": "INTEGER", "mtime_ns": "INTEGER"}


@dataclass(frozen=True)
class StoredFolder:
    """An article folder the index holds: its resolved path, its articles' id prefix, the layout they were indexed with."""

    path: str
    prefix: str
    layout: str | None = None


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as stored, with its article's title, outlet, date (ISO 8601), author and URL."""

    id: str
    doc_id: str
    title: str
    outlet: str | None
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...]
    date: str | None = None
    author: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class FileRecord:
    """An indexed article's file: where it is, the folder it belongs to, and its hash, size and mtime when indexed."""

    doc_id: str
    path: str
    folder: str | None
    sha256: str
    size: int | None = None
    mtime_ns: int | None = None


class Store:
    """SQLite-backed store of articles and chunks (one per index folder)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._add_missing_columns()
        self._lock = threading.Lock()

    @classmethod
    def exists(cls, index_dir: Path) -> bool:
        return (index_dir / STORE_FILE).exists()

    @classmethod
    def open(cls, index_dir: Path) -> Store:
        index_dir.mkdir(parents=True, exist_ok=True)
        return cls(index_dir / STORE_FILE)

    def close(self) -> None:
        self._db.close()

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def generation(self) -> int:
        """A counter bumped by every change to the chunks (the BM25 index records it)."""
        return int(self.get_meta("generation") or 0)

    def states(self, folder: str) -> dict[str, tuple[str, bool]]:
        """doc_id -> (sha256, complete) for every article of `folder` the store knows."""
        rows = self._db.execute("SELECT doc_id, sha256, complete FROM articles WHERE folder = ?", (folder,)).fetchall()
        return {doc_id: (sha, bool(done)) for doc_id, sha, done in rows}

    def folders(self) -> list[StoredFolder]:
        """The folders the index holds, in the order they were first indexed."""
        rows = self._db.execute("SELECT path, prefix, layout FROM folders ORDER BY rowid").fetchall()
        return [StoredFolder(*row) for row in rows]

    def add_folder(self, folder: StoredFolder) -> None:
        """Remember a folder (one already known keeps its prefix and layout)."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO folders VALUES (?, ?, ?)", (folder.path, folder.prefix, folder.layout))

    def set_folder_layout(self, path: str, layout: str) -> None:
        with self._lock:
            self._db.execute("UPDATE folders SET layout = ? WHERE path = ?", (layout, path))

    def drop_folder(self, path: str) -> None:
        """Forget a folder and its skipped files (its articles must be deleted first)."""
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM folders WHERE path = ?", (path,))
            self._db.execute("DELETE FROM skipped WHERE folder = ?", (path,))

    def folder_counts(self) -> dict[str, int]:
        """folder path -> number of completely indexed articles."""
        rows = self._db.execute("SELECT folder, COUNT(*) FROM articles WHERE complete = 1 GROUP BY folder").fetchall()
        return {folder: n for folder, n in rows if folder is not None}

    def orphan_folders(self) -> list[str]:
        """Folders that articles name but the index no longer holds (a drop that stopped half-way)."""
        rows = self._db.execute("SELECT DISTINCT folder FROM articles WHERE folder IS NOT NULL "
                                "AND folder NOT IN (SELECT path FROM folders)")
        return sorted(row[0] for row in rows)

    def unfiled_paths(self) -> list[str]:
        """The paths of articles indexed before folders were recorded (they have no folder yet)."""
        return [row[0] for row in self._db.execute("SELECT path FROM articles WHERE folder IS NULL")]

    def file_unfiled(self, folder: str) -> None:
        """Give every article without a folder this one."""
        with self._lock:
            self._db.execute("UPDATE articles SET folder = ? WHERE folder IS NULL", (folder,))

    def set_skipped(self, folder: str, skipped: Sequence[SkippedFile]) -> None:
        """Replace the list of files the last run skipped in `folder`."""
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM skipped WHERE folder = ?", (folder,))
            self._db.executemany("INSERT INTO skipped VALUES (?, ?, ?)", [(folder, str(s.path), s.reason) for s in skipped])

    def skipped(self) -> list[SkippedFile]:
        """The files the last run of each folder skipped, with their reasons."""
        rows = self._db.execute("SELECT path, reason FROM skipped ORDER BY folder, path").fetchall()
        return [SkippedFile(Path(path), reason) for path, reason in rows]

    def files(self, doc_ids: Iterable[str] | None = None) -> dict[str, FileRecord]:
        """Where each article's file is and what it held when indexed (every article when `doc_ids` is None)."""
        query = "SELECT doc_id, path, folder, sha256, size, mtime_ns FROM articles"
        wanted = list(dict.fromkeys(doc_ids)) if doc_ids is not None else None
        if wanted is not None:
            if not wanted:
                return {}
            query += f" WHERE doc_id IN ({','.join('?' * len(wanted))})"
        return {row[0]: FileRecord(*row) for row in self._db.execute(query, wanted or ())}

    def unsigned_chunks(self) -> dict[str, list[str]]:
        """The chunk texts of every complete article that has no MinHash signature yet."""
        rows = self._db.execute(
            "SELECT c.doc_id, c.text FROM chunks c JOIN articles a USING (doc_id) "
            "WHERE a.complete = 1 AND a.minhash IS NULL ORDER BY c.doc_id, c.ord"
        )
        out: dict[str, list[str]] = {}
        for doc_id, text in rows:
            out.setdefault(doc_id, []).append(text)
        return out

    def set_signatures(self, signatures: Mapping[str, bytes]) -> None:
        with self._lock, self._transaction():
            self._db.executemany("UPDATE articles SET minhash = ? WHERE doc_id = ?",
                                 [(sig, doc_id) for doc_id, sig in signatures.items()])

    def clear_signatures(self) -> None:
        with self._lock:
            self._db.execute("UPDATE articles SET minhash = NULL")

    def signatures(self) -> dict[str, bytes]:
        """doc_id -> MinHash signature of every complete article that has one."""
        rows = self._db.execute("SELECT doc_id, minhash FROM articles WHERE complete = 1 AND minhash IS NOT NULL")
        return dict(rows.fetchall())

    def set_duplicate_groups(self, groups: Sequence[Sequence[str]]) -> None:
        """Replace the recorded groups of near-duplicate articles."""
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM duplicates")
            self._db.executemany("INSERT INTO duplicates VALUES (?, ?)",
                                 [(doc_id, group[0]) for group in groups for doc_id in group])

    def duplicate_groups(self) -> list[tuple[str, ...]]:
        """The recorded groups of near-duplicate articles, each sorted by doc_id (its first is the one listed against)."""
        groups: dict[str, list[str]] = {}
        rows = self._db.execute(  # an article deleted since (a run that stopped half-way) is left out
            "SELECT d.doc_id, d.first FROM duplicates d JOIN articles a USING (doc_id) WHERE a.complete = 1 "
            "ORDER BY d.first, d.doc_id"
        )
        for doc_id, first in rows:
            groups.setdefault(first, []).append(doc_id)
        return [tuple(members) for members in groups.values() if len(members) > 1]

    def begin_articles(self, articles: Sequence[Article], folder: str) -> None:
        """Record that these articles of `folder` are being (re)indexed: their old chunks go, none is complete."""
        with self._lock, self._transaction():
            self._db.executemany("DELETE FROM chunks WHERE doc_id = ?", [(a.doc_id,) for a in articles])
            self._db.executemany(
                "INSERT OR REPLACE INTO articles (doc_id, path, title, outlet, sha256, text, complete, date, author, url, "
                "folder, size, mtime_ns) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
                [(a.doc_id, str(a.path), a.title, a.outlet, a.sha256, a.text, a.date, a.author, a.url, folder, a.size,
                  a.mtime_ns) for a in articles],
            )
            self._bump()

    def refile(self, articles: Sequence[Article], folder: str) -> None:
        """Record where unchanged articles are now and their files' size and mtime (a file moved within its folder
        or touched, or a folder indexed in another's place)."""
        with self._lock, self._transaction():
            self._db.executemany(
                "UPDATE articles SET path = ?, folder = ?, size = ?, mtime_ns = ? WHERE doc_id = ? "
                "AND (path IS NOT ? OR folder IS NOT ? OR size IS NOT ? OR mtime_ns IS NOT ?)",
                [(str(a.path), folder, a.size, a.mtime_ns, a.doc_id, str(a.path), folder, a.size, a.mtime_ns)
                 for a in articles],
            )

    def finish_articles(self, chunks: Mapping[str, Sequence[Chunk]]) -> None:
        """Store each article's chunks and mark it complete, all in one transaction."""
        with self._lock, self._transaction():
            self._db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (c.id, c.doc_id, c.ord, c.start, c.end, c.text, json.dumps([[s.start, s.end] for s in c.sentences]))
                    for part in chunks.values()
                    for c in part
                ],
            )
            self._db.executemany("UPDATE articles SET complete = 1 WHERE doc_id = ?", [(d,) for d in chunks])
            self._bump()

    def delete_article(self, doc_id: str) -> None:
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            self._db.execute("DELETE FROM articles WHERE doc_id = ?", (doc_id,))
            self._bump()

    def all_chunks(self) -> tuple[list[str], list[str]]:
        """Ids and searchable texts (`chunk.searchable_text`) of every chunk of every complete article, in a stable order."""
        rows = self._db.execute(
            "SELECT c.id, a.title, a.outlet, c.text FROM chunks c JOIN articles a USING (doc_id) WHERE a.complete = 1 "
            "ORDER BY c.doc_id, c.ord"
        ).fetchall()
        return [r[0] for r in rows], [searchable_text(r[1], r[2], r[3]) for r in rows]

    def chunks(self, ids: Iterable[str]) -> dict[str, StoredChunk]:
        """The stored chunks with these ids (unknown ids are left out)."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self._db.execute(
            f'SELECT c.id, c.doc_id, a.title, a.outlet, c.start, c."end", c.text, c.sentences, a.date, a.author, a.url '
            f"FROM chunks c JOIN articles a USING (doc_id) WHERE a.complete = 1 AND c.id IN ({marks})",
            wanted,
        ).fetchall()
        return {
            r[0]: StoredChunk(*r[:7], tuple(Span(a, b) for a, b in json.loads(r[7])), *r[8:])  # type: ignore[arg-type]
            for r in rows
        }

    def outlets(self) -> list[str]:
        """The distinct outlets of the completely indexed articles, sorted."""
        rows = self._db.execute("SELECT DISTINCT outlet FROM articles WHERE complete = 1 AND outlet IS NOT NULL")
        return sorted(row[0] for row in rows)

    def matching(self, since: str | None, until: str | None, outlets: Sequence[str] | None) -> list[str]:
        """The complete articles dated `since` … `until` (ISO dates, inclusive; either may be None) and, unless
        `outlets` is None, from one of `outlets`. A date bound leaves out articles with no date."""
        query, values = "SELECT doc_id FROM articles WHERE complete = 1", []
        if since:
            query, values = query + " AND substr(date, 1, 10) >= ?", [*values, since]
        if until:
            query, values = query + " AND substr(date, 1, 10) <= ?", [*values, until]
        if outlets is not None:
            query, values = query + f" AND outlet IN ({','.join('?' * len(outlets))})", [*values, *outlets]
        return [row[0] for row in self._db.execute(query, values)]

    def article_count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM articles WHERE complete = 1").fetchone()[0])

    def date_range(self) -> tuple[str | None, str | None, int]:
        """The earliest and latest article dates, and how many complete articles have no date."""
        first, last, undated = self._db.execute(
            "SELECT MIN(substr(date, 1, 10)), MAX(substr(date, 1, 10)), SUM(date IS NULL) FROM articles WHERE complete = 1"
        ).fetchone()
        return first, last, int(undated or 0)

    def chunk_ids(self, doc_ids: Iterable[str]) -> list[str]:
        """The ids of these articles' chunks."""
        wanted = list(dict.fromkeys(doc_ids))
        out: list[str] = []
        for i in range(0, len(wanted), 900):  # SQLite's limit on bound values
            part = wanted[i : i + 900]
            out += [r[0] for r in self._db.execute(f"SELECT id FROM chunks WHERE doc_id IN ({','.join('?' * len(part))})", part)]
        return out

    def article_text(self, doc_id: str) -> str | None:
        """The article's text as indexed (what citations point into), or None if the store does not have it."""
        row = self._db.execute("SELECT text FROM articles WHERE doc_id = ?", (doc_id,)).fetchone()
        return None if row is None else row[0]

    def articles(self) -> list[ArticleInfo]:
        """Every completely indexed article, by doc_id."""
        rows = self._db.execute(
            "SELECT a.doc_id, a.path, a.title, a.outlet, COUNT(c.id), a.date, a.author, a.url FROM articles a "
            "LEFT JOIN chunks c USING (doc_id) WHERE a.complete = 1 GROUP BY a.doc_id ORDER BY a.doc_id"
        ).fetchall()
        return [ArticleInfo(*row) for row in rows]

    def _add_missing_columns(self) -> None:
        """Bring a store written by an older version up to the current schema (new columns start empty)."""
        present = {row[1] for row in self._db.execute("PRAGMA table_info(articles)")}
        for column, kind in ADDED_COLUMNS.items():
            if column not in present:
                try:
                    self._db.execute(f"ALTER TABLE articles ADD COLUMN {column} {kind}")
                except sqlite3.OperationalError as exc:  # another process opening the same old store added it first
                    if "duplicate column" not in str(exc):
                        raise

    def _bump(self) -> None:
        self._db.execute(
            "INSERT INTO meta VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN … COMMIT, or ROLLBACK when the block raises."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
