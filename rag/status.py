"""Status: what an index holds and how it stands against the files (`rag status`).

Folders with their article counts, near-duplicate groups, articles whose files changed or vanished
since indexing, files added to a folder since, and the files the last run skipped. Reads the store and
the folders only: no model, no Chroma, nothing written.
"""
from __future__ import annotations

from pathlib import Path

from rag.errors import IndexMissingError
from rag.index import duplicate_groups, index_folders
from rag.ingest import SUFFIXES
from rag.settings import Settings
from rag.stale import stale_files
from rag.store import Store
from rag.types import IndexStatus


def index_status(settings: Settings) -> IndexStatus:
    """The status of the index at `settings.index_dir`.

    Raises:
        IndexMissingError: nothing has been indexed there.
    """
    index_dir = Path(settings.index_dir)
    if not Store.exists(index_dir):
        raise IndexMissingError(f"No index at {index_dir}. Run `rag index FOLDER` to build one.")
    store = Store.open(index_dir)
    try:
        folders = index_folders(store)
        articles = store.articles()
        files = store.files()
        skipped = store.skipped()
        known = {record.path for record in files.values()} | {str(s.path) for s in skipped}
        new = sorted(str(path) for f in folders for path in _article_files(Path(f.path)) if str(path) not in known)
        return IndexStatus(
            index_dir=str(index_dir),
            embed_model=store.get_meta("embed_model"),
            folders=folders,
            articles=len(articles),
            chunks=sum(a.chunks for a in articles),
            duplicates=duplicate_groups(store),
            stale=tuple(stale_files(sorted(files.values(), key=lambda record: record.path))),
            new_files=tuple(new),
            skipped=tuple(skipped),
            unfiled=len(store.unfiled_paths()),
            missing_folders=tuple(f.path for f in folders if not Path(f.path).is_dir()),
        )
    finally:
        store.close()


def _article_files(folder: Path) -> list[Path]:
    """The files `rag index` would read in `folder` (as `rag.ingest.scan_folder` finds them), unread."""
    if not folder.is_dir():
        return []
    return [
        path for path in folder.rglob("*")
        if path.suffix.lower() in SUFFIXES and not any(part.startswith(".") for part in path.relative_to(folder).parts)
        and not path.is_dir()
    ]
