"""`rag status` as a user runs it: the folders and their article counts, near-duplicates, and the files changed,
deleted, added or skipped since indexing, against an index built by the real pipeline."""
from __future__ import annotations

import json
import shutil

from rag.index import build_index
from rag.store import Store
from tests.conftest import SEEDS, make_settings
from tests.test_cli import rag

HOCHSTEIN_FILE = "000_290ddbd9adc3a4b1.txt"


def test_status_lists_folders_duplicates_and_what_changed_since_indexing(tmp_path, embedder) -> None:
    news, wire = tmp_path / "news", tmp_path / "wire"
    shutil.copytree(SEEDS, news)
    (news / "broken.txt").write_bytes(b"\xff\xfe\x00\x00garbage")
    wire.mkdir()
    shutil.copy(SEEDS / HOCHSTEIN_FILE, wire / "hochstein-copy.txt")
    settings = make_settings(tmp_path, news)
    build_index(settings, embedder)
    build_index(settings, embedder, wire)
    env = {"RAG_INDEX_DIR": str(settings.index_dir)}
    store = Store.open(settings.index_dir)
    chunks = len(store.all_chunks()[0])
    store.close()

    fresh = rag("status", **env)
    assert fresh.returncode == 0, fresh.stderr
    assert fresh.stdout.splitlines() == [
        f"Index at {settings.index_dir}: 6 articles, {chunks} chunks, embedded with sentence-transformers/all-MiniLM-L6-v2.",
        "Folders (2):",
        f"  {news}: 5 articles",
        f"  {wire}: 1 article, ids wire/…",
        "Near-duplicates (1, all kept):",
        f"  wire/hochstein-copy.txt ≈ {HOCHSTEIN_FILE}",
        "Skipped by the last run (1):",
        f"  {news / 'broken.txt'}: is UTF-16 text; convert it to UTF-8, e.g. `iconv -f utf-16 -t utf-8`",
        "The index is up to date with its folders.",
    ]

    (news / "001_22ffd0278ad700fd.txt").write_text("Rewritten.\nThe story was rewritten after indexing.\n")
    (news / "002_c2ca303522c8726a.txt").unlink()
    (wire / "new.txt").write_text("Ferry to resume\nThe harbour master said the ferry will run again from 3 June.\n")
    behind = rag("status", **env)
    assert behind.returncode == 0, behind.stderr
    assert (f"Changed since indexing (2; run `rag index`):\n"
            f"  {news / '001_22ffd0278ad700fd.txt'}: the file changed since indexing\n"
            f"  {news / '002_c2ca303522c8726a.txt'}: the file was deleted since indexing\n"
            f"Not indexed yet (1; run `rag index`):\n"
            f"  {wire / 'new.txt'}\n") in behind.stdout
    assert behind.stdout.rstrip().endswith("The index is behind its folders: run `rag index`.")

    data = json.loads(rag("status", "--json", **env).stdout)
    assert [(f["path"], f["prefix"], f["articles"]) for f in data["folders"]] == [(str(news), "", 5), (str(wire), "wire/", 1)]
    assert [(s["doc_id"], s["change"]) for s in data["stale"]] == [
        ("001_22ffd0278ad700fd", "changed"), ("002_c2ca303522c8726a", "deleted")]
    assert data["duplicates"] == [{"doc_ids": ["000_290ddbd9adc3a4b1", "wire/hochstein-copy"],
                                   "files": [HOCHSTEIN_FILE, "wire/hochstein-copy.txt"]}]

    build_index(settings, embedder)
    again = rag("status", **env)
    assert "Changed since indexing" not in again.stdout and "Not indexed yet" not in again.stdout
    assert f"  {news}: 4 articles" in again.stdout and f"  {wire}: 2 articles, ids wire/…" in again.stdout
    assert again.stdout.rstrip().endswith("The index is up to date with its folders.")

    shutil.rmtree(wire)
    gone = rag("status", **env)
    assert f"  {wire}: 2 articles, ids wire/… (gone: put it back, or `rag index --forget` it)" in gone.stdout


def test_status_without_an_index_says_how_to_build_one(tmp_path) -> None:
    done = rag("status", RAG_INDEX_DIR=str(tmp_path / "index"))
    assert done.returncode == 2
    assert done.stderr == f"error: No index at {tmp_path / 'index'}. Run `rag index FOLDER` to build one.\n"
