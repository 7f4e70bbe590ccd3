"""The benchmark: its corpora, its embedding cache on disk, and one small end-to-end run beside plain LlamaIndex."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from eval.bench.corpus import make_corpus
from eval.cache import KEYS_FILE, VECTORS_FILE, CachedEmbedder
from rag.settings import Settings
from tests.conftest import ROOT, CountingEmbedder

# Real news corpora, and `rag bench` run end to end.
pytestmark = pytest.mark.slow


def test_corpora_are_real_news_first_reproducible_and_each_a_prefix_of_the_next(tmp_path) -> None:
    settings = Settings.from_env({})
    small = make_corpus(tmp_path / "small", 700, settings)
    large = make_corpus(tmp_path / "large", 1500, settings)
    assert len(small.chunk_texts) >= 700 and len(large.chunk_texts) >= 1500
    assert small.real_articles == 305 and small.articles > 305  # five seeds and the 300 Lee articles, then mixes
    assert large.chunk_texts[: len(small.chunk_texts)] == small.chunk_texts
    assert make_corpus(tmp_path / "small", 700, settings) == small  # reused from its manifest
    files = {p.stem: p.read_text() for p in large.folder.glob("*.txt")}
    assert len(files) == large.articles
    mixed = [text for stem, text in files.items() if stem.startswith("mix_")]
    assert mixed and all(len(text) > 200 for text in mixed)
    everything = "\n".join(files.values())
    assert all(t in everything for t in large.chunk_texts[::50])


def test_after_the_bench_fills_its_cache_indexing_embeds_nothing(tmp_path, embedder) -> None:
    """Indexing is timed with every vector cached: newsqa embeds each chunk after its title (searchable_text),
    LlamaIndex the bare chunk, and a miss for either would time the embedding model instead."""
    from eval.bench.run import _fill, embedded_texts
    from rag.index import build_index

    settings = Settings.from_env({})
    corpus = make_corpus(tmp_path / "corpus", 400, settings)
    assert corpus.search_texts != corpus.chunk_texts and len(corpus.search_texts) == len(corpus.chunk_texts)
    _fill(tmp_path / "cache", embedded_texts(corpus), settings, progress=False)  # as run_bench does
    counting = CountingEmbedder(embedder)
    report = build_index(settings.replace(corpus=corpus.folder, index_dir=tmp_path / "index"),
                         CachedEmbedder(counting, tmp_path / "cache"), rebuild=True)
    assert report.chunks_embedded == len(corpus.chunk_texts)
    assert counting.texts == []  # every text the indexer embedded was a cache hit


def test_stand_in_vectors_are_cached_apart_for_every_text_and_look_like_the_model_s(tmp_path, embedder) -> None:
    """`rag bench --stand-in-vectors`: the model embeds only a pool of texts (into its own cache); every text then
    has a stand-in in a separate cache, so that indexing embeds nothing and the model's cache stays true."""
    from eval.bench.run import _fill_stand_in, embedded_texts
    from rag.index import build_index

    settings = Settings.from_env({})
    corpus = make_corpus(tmp_path / "corpus", 400, settings)
    texts = embedded_texts(corpus)
    _fill_stand_in(tmp_path / "stand-in", tmp_path / "model", texts, settings, progress=False, pool_size=100)
    model = CachedEmbedder(CountingEmbedder(embedder), tmp_path / "model")
    assert len(model) == 100 < len(set(texts))
    counting = CountingEmbedder(embedder)
    stand_in = CachedEmbedder(counting, tmp_path / "stand-in")
    assert stand_in.missing(texts) == []
    report = build_index(settings.replace(corpus=corpus.folder, index_dir=tmp_path / "index"), stand_in, rebuild=True)
    assert report.chunks_embedded == len(corpus.chunk_texts) and counting.texts == []
    unseen = [t for t in dict.fromkeys(texts)][-50:]  # beyond the pool: not the model's vectors, but near one
    vectors, own = stand_in.embed(unseen), embedder.embed(unseen)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(vectors, own, atol=1e-3)
    pool = model.embed(list(dict.fromkeys(texts))[:100])
    assert (vectors @ pool.T).max(axis=1).min() > 0.75  # each is its pool vector plus noise


def test_the_disk_cache_serves_a_new_process_and_survives_a_torn_append(tmp_path, embedder) -> None:
    texts = ["one sentence about Hezbollah.", "another about Lebanon.", "a third."]
    first = CachedEmbedder(CountingEmbedder(embedder), tmp_path)
    vectors = first.embed(texts)
    again = CountingEmbedder(embedder)
    assert np.array_equal(CachedEmbedder(again, tmp_path).embed(texts), vectors) and again.calls == []

    folder = next(tmp_path.iterdir())
    with open(folder / VECTORS_FILE, "ab") as handle:  # a crash mid-append: half a row, no key
        handle.write(b"\0" * 700)
    repaired = CachedEmbedder(CountingEmbedder(embedder), tmp_path)
    assert len(repaired) == 3
    repaired.embed(["a fourth text"])
    reloaded = CachedEmbedder(CountingEmbedder(embedder), tmp_path)
    assert len(reloaded) == 4 and len((folder / KEYS_FILE).read_text().split()) == 4
    assert np.allclose(reloaded.embed(texts), vectors) and reloaded.missing(texts + ["a fourth text"]) == []


def test_rag_bench_measures_both_systems_and_writes_json_table_and_chart(tmp_path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "rag.cli", "bench", "--sizes", "100", "250", "--queries", "10", "--cold-runs", "1",
         "--index-runs", "2", "--embed-sample", "16", "--work", str(tmp_path / "work"), "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(next(out.glob("bench-*.json")).read_text())
    assert sorted(results["sizes"], key=int) == ["100", "250"]
    for row in results["sizes"].values():
        for system in ("newsqa", "llamaindex"):
            figures = row[system]
            assert figures["index_chunks_per_s"] > 0 and figures["cold_ask_s"] > 0
            assert len(figures["index_runs_s"]) == 2 and figures["index_s"] == min(figures["index_runs_s"])
            assert 0 < figures["hybrid"]["p50_ms"] <= figures["hybrid"]["p95_ms"]
            assert figures["peak_mb"] > 50 and figures["rss_serving_mb"] > 50
    speeds = results["embedding"]["chunks_per_s"]
    assert set(speeds) == {"onnx-int8", "onnx", "torch", "llamaindex-huggingface"} and min(speeds.values()) > 0
    quality = results["embedding"]["quality"]["onnx-int8"]
    assert quality["questions"] == 54 and quality["hybrid_passage_recall@5"] > 0.9
    assert results["cold_seeds"]["median_s"] > 0
    table = next(out.glob("bench-*.md")).read_text()
    assert "| hybrid query p50 / p95 (ms) |" in table and "plain LlamaIndex" in table and "×" in table
    assert table.count("Indexing runs (s), the systems taking turns: newsqa ") == 2
    assert next(out.glob("bench-*.png")).stat().st_size > 10_000
    assert not list(out.glob("*.partial.json"))  # the sizes so far are kept only until the whole run is written


def test_the_cold_start_on_the_seeds_builds_its_own_index_whatever_the_work_folder_held(tmp_path) -> None:
    from eval.bench.run import SEEDS, cold_seeds

    moved = tmp_path / "seeds-since-moved"  # an earlier run's index of a seeds folder that is gone now
    shutil.copytree(SEEDS, moved)
    env = {**os.environ, "RAG_INDEX_DIR": str(tmp_path / "work" / "index" / "seeds")}
    subprocess.run([sys.executable, "-m", "rag.cli", "index", str(moved)], check=True, capture_output=True, env=env,
                   cwd=ROOT)
    shutil.rmtree(moved)
    cold = cold_seeds(Settings.from_env({}), tmp_path / "work", runs=1)
    assert cold["runs"] == 1 and cold["median_s"] > 0


def test_a_failure_late_in_the_bench_keeps_the_sizes_already_measured(tmp_path, monkeypatch, capsys) -> None:
    from eval.bench import run
    from eval.bench.cli import bench

    def fails(*args, **kwargs):  # the step after the sizes, failing as a broken install would make it
        raise run.BenchError("the cold start on the seeds failed: (stderr)")

    monkeypatch.setattr(run, "cold_seeds", fails)
    out = tmp_path / "out"
    with pytest.raises(run.BenchError, match="cold start"):
        bench(Settings.from_env({}), [100], out=str(out), work=str(tmp_path / "work"), baseline=False, queries=10,
              cold_runs=1, index_runs=1, embed_sample=8)
    partial = next(out.glob("bench-*.partial.json"))
    kept = json.loads(partial.read_text())
    assert kept["partial"] is True and list(kept["sizes"]) == ["100"]
    assert kept["sizes"]["100"]["newsqa"]["index_chunks_per_s"] > 0
    assert not list(out.glob("bench-*[0-9].json")) and not list(out.glob("*.tmp"))  # nothing finished, nothing torn
    assert str(partial) in capsys.readouterr().err
