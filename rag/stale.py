"""Stale: notice indexed articles whose files changed or vanished since they were indexed.

Cheap first: a file whose size and modification time are those recorded when it was read is taken as
unchanged (one `stat`, no read). Only when either differs is the file hashed, so a file that was touched
or copied back unchanged is not reported. `ask()` checks only the articles of the passages it retrieved;
`rag status` checks every article.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Iterable, Sequence

from rag.store import FileRecord
from rag.types import Answer, StaleFile

READ_BYTES = 1 << 20


def stale_files(records: Iterable[FileRecord]) -> list[StaleFile]:
    """The articles whose files no longer hold what was indexed, in the order given."""
    out = []
    for record in records:
        change = _change(record)
        if change is not None:
            out.append(StaleFile(record.doc_id, record.path, change))
    return out


def mark_stale(answer: Answer, stale: Sequence[StaleFile]) -> Answer:
    """The answer with its stale articles listed and each citation into one of them marked `stale`."""
    if not stale:
        return answer
    doc_ids = {s.doc_id for s in stale}
    citations = tuple(dataclasses.replace(c, stale=c.doc_id in doc_ids) for c in answer.citations)
    nearest = answer.nearest and dataclasses.replace(answer.nearest, stale=answer.nearest.doc_id in doc_ids)
    return dataclasses.replace(answer, citations=citations, stale=tuple(stale), nearest=nearest)


def _change(record: FileRecord) -> str | None:
    """"deleted", "unreadable" or "changed", or None while the file holds what was indexed."""
    try:
        stat = os.stat(record.path)
    except FileNotFoundError:
        return "deleted"
    except OSError:
        return "unreadable"
    if (stat.st_size, stat.st_mtime_ns) == (record.size, record.mtime_ns):
        return None
    digest = hashlib.sha256()
    try:
        with open(record.path, "rb") as handle:
            while block := handle.read(READ_BYTES):
                digest.update(block)
    except FileNotFoundError:
        return "deleted"
    except OSError:
        return "unreadable"
    return None if digest.hexdigest() == record.sha256 else "changed"
