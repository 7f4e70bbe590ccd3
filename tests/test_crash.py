"""Crash-safe indexing: `rag index` killed with SIGKILL at random moments, then run again; two indexers at once.

After every kill the index must be usable and honest: an article counts as indexed only
with all of its chunks in the store and all of its vectors in Chroma, and search never
returns a chunk of a half-indexed article. The next run reports the repair and leaves the
store, Chroma and BM25 holding exactly the same chunks.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, make_settings
from eval.bench.corpus import make_corpus
from rag.index import LOCK_FILE, open_index
from rag.retrieve import Retriever
from rag.settings import Settings

# Indexing processes started and killed.
pytestmark = pytest.mark.slow

KILLS = int(os.environ.get("RAG_CRASH_KILLS", "6"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 100 articles (the seeds, real ABC news, recombined news): a run takes several seconds."""
    return make_corpus(tmp_path_factory.mktemp("crash") / "articles", 500, Settings.from_env({})).folder


def index_command(settings: Settings) -> list[str]:
    return [sys.executable, "-m", "rag.cli", "--index-dir", str(settings.index_dir), "index", str(settings.corpus)]


def check_consistent(settings: Settings, embedder) -> set[str]:
    """The invariants that must hold after any crash; returns the complete articles."""
    index = open_index(settings, embedder)
    try:
        complete = {a.doc_id for a in index.store.articles()}
        ids, _ = index.store.all_chunks()
        stored = index.store.chunks(ids)
        assert {c.doc_id for c in stored.values()} <= complete
        for doc_id in complete:  # a complete article has every vector, and only its own
            in_store = {i for i, c in stored.items() if c.doc_id == doc_id}
            in_chroma = set(index.vectors.collection.get(where={"doc_id": doc_id}, include=[])["ids"])
            assert in_store and in_store == in_chroma, doc_id
        assert set(index.lexical.ids) == set(ids)
        for passage in Retriever(index, embedder).retrieve("Hezbollah ceasefire talks", 20):
            assert passage.doc_id in complete  # never a chunk of a half-indexed article
        return complete
    finally:
        index.store.close()


def test_sigkill_at_random_moments_never_leaves_a_half_article(tmp_path, corpus, embedder) -> None:
    settings = make_settings(tmp_path, corpus)
    rng = random.Random(int(os.environ.get("RAG_CRASH_SEED", "7")))
    started = time.perf_counter()
    subprocess.run(index_command(settings), check=True, capture_output=True, cwd=ROOT)  # a full run, for its length
    full = time.perf_counter() - started
    files = {p.stem for p in corpus.glob("*.txt")}
    assert check_consistent(settings, embedder) == files
    kills, half_done = [], []
    for round_ in range(KILLS):
        for path in sorted(corpus.glob("*.txt")):  # every article changes: the next run re-embeds them all
            path.write_text(path.read_text() + f"\nUpdated in round {round_}: Hezbollah said talks would go on.\n")
        process = subprocess.Popen(index_command(settings), cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        at = rng.uniform(0.5, full * 0.9)
        time.sleep(at)
        assert process.poll() is None, "the run ended before the kill: the test would prove nothing"
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills.append(round(at, 2))
        half_done.append(len(files - check_consistent(settings, embedder)))
    done = subprocess.run(index_command(settings), capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert check_consistent(settings, embedder) == files, f"killed at {kills} s"
    assert any(half_done), "no kill landed while articles were being written"
    assert "Repaired" in done.stdout, done.stdout
    print(f"killed at {kills} s of a {full:.1f} s run, leaving {half_done} articles not complete; "
          f"then: {done.stdout.strip()}")


def test_a_second_indexer_waits_its_turn_with_a_clear_message(tmp_path, corpus) -> None:
    settings = make_settings(tmp_path, corpus)
    first = subprocess.Popen(index_command(settings), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = Path(settings.index_dir) / LOCK_FILE
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text().strip() == str(first.pid)):
        assert time.monotonic() < deadline and first.poll() is None, "the first indexer never took the lock"
        time.sleep(0.05)
    second = subprocess.run(index_command(settings), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert second.returncode == 2
    assert second.stderr.strip() == (
        f"error: The index at {settings.index_dir} is being written by pid {first.pid}. "
        "Wait for that `rag index` to finish."
    )
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert "added" in out
    again = subprocess.run(index_command(settings), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and " 0 added, 0 updated" in again.stdout
