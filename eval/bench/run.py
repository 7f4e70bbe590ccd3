"""The benchmark run: per corpus size, each system indexed and served in fresh processes, plus cold starts and embedding speed."""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from eval.bench.corpus import Corpus, lee_articles, make_corpus
from eval.bench.embedding import retrieval_quality, throughput
from eval.cache import CachedEmbedder
from eval.dataset import load
from rag.embed import load_embedder
from rag.errors import RagError
from rag.settings import EMBED_RUNTIMES, Settings

SYSTEMS = ("newsqa", "llamaindex")
SEEDS = Path(__file__).resolve().parents[2] / "seeds"
COLD_QUESTION = "What did Hochstein warn Hezbollah?"
FILL_BATCH = 256
STAND_IN_POOL = 2000  # texts the model embeds for `--stand-in-vectors` (about 40 s on 2 cores)
STAND_IN_NOISE = 0.03  # per dimension: a stand-in's cosine to its pool vector is about 0.86


class BenchError(RagError):
    """A measurement process failed."""


def queries(n: int) -> list[str]:
    """The eval set's questions, then questions made from the Lee corpus's opening sentences, `n` in all."""
    out = [q.question for q in load()]
    for text in lee_articles():
        out.append("What happened when " + " ".join(text.split()[:12]).rstrip(".,;:") + "?")
    return out[:n]


def run_bench(settings: Settings, sizes: Sequence[int], work: Path, *, n_queries: int = 200, ask_queries: int = 50,
              cold_runs: int = 3, embed_sample: int = 512, baseline: bool = True, progress: bool = True,
              stand_in: bool = False, index_runs: int = 3,
              checkpoint: Callable[[dict], None] | None = None) -> dict:
    """Measure everything; returns JSON-ready results. `work` keeps corpora, cached embeddings and indexes.
    `checkpoint` is handed the results so far after each size, so a failure later loses none of them.

    Each system indexes each size `index_runs` times, the systems taking turns (which goes first alternates),
    and its indexing figures are the median run's: one run of either can be 15% off on a busy machine.

    With `stand_in`, the vectors both systems index are stand-ins (`StandInEmbedder`), kept apart from the
    model's own: indexing throughput at a size whose embedding would take an hour, where the query and
    recall figures mean little."""
    systems = SYSTEMS if baseline else SYSTEMS[:1]
    model_cache = str(settings.model_cache_dir)
    cache = work / ("embeddings-stand-in" if stand_in else "embeddings")
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "settings": {"embed_model": settings.embed_model, "embed_runtime": settings.embed_runtime,
                     "chunk_tokens": settings.chunk_tokens, "top_k": settings.top_k, "queries": n_queries,
                     "ask_queries": ask_queries, "cold_runs": cold_runs, "index_runs": index_runs,
                     "stand_in_vectors": stand_in},
        "sizes": {},
    }
    qs = queries(n_queries)
    steps = len(sizes) * len(systems) * (index_runs + 2) + 2
    with tqdm(total=steps, desc="bench", unit="step", file=sys.stderr, disable=None if progress else True) as bar:
        for size in sizes:
            bar.set_postfix_str(f"{size} chunks: corpus")
            corpus = make_corpus(work / "corpora" / str(size), size, settings)
            if stand_in:
                _fill_stand_in(cache, work / "embeddings", embedded_texts(corpus), settings, progress)
            else:
                _fill(cache, embedded_texts(corpus), settings, progress)
            row: dict = {"chunks": len(corpus.chunk_texts), "articles": corpus.articles,
                         "real_articles": corpus.real_articles}
            jobs = {system: {"system": system, "corpus": str(corpus.folder),
                             "index_dir": str(work / "index" / f"{system}-{size}"), "cache": str(cache),
                             "chunks": len(corpus.chunk_texts), "top_k": settings.top_k, "queries": qs,
                             "ask_queries": ask_queries, "model_cache": model_cache,
                             "embed_runtime": settings.embed_runtime} for system in systems}
            runs: dict[str, list[dict]] = {system: [] for system in systems}
            for turn in range(index_runs):
                for system in (systems if turn % 2 == 0 else systems[::-1]):
                    shutil.rmtree(jobs[system]["index_dir"], ignore_errors=True)
                    bar.set_postfix_str(f"{size} chunks: {system} index, run {turn + 1} of {index_runs}")
                    runs[system].append(_job({**jobs[system], "step": "index"}, work, settings))
                    bar.update()
            for system in systems:
                job, index_dir = jobs[system], Path(jobs[system]["index_dir"])
                indexed = median_run(runs[system])
                bar.set_postfix_str(f"{size} chunks: {system} serve")
                served = _job({**job, "step": "serve"}, work, settings)
                bar.update()
                bar.set_postfix_str(f"{size} chunks: {system} cold ask")
                cold = cold_start(system, index_dir, cold_runs, settings)
                bar.update()
                chunks = len(corpus.chunk_texts)
                row[system] = {**indexed, **served, "cold_ask_s": cold, "index_chunks_per_s": chunks / indexed["index_s"],
                               # like for like: LlamaIndex is handed the chunks, so count ours without chunking
                               "index_unchunked_chunks_per_s": chunks / (indexed["index_s"] - indexed.get("chunking_s", 0)),
                               "index_runs_s": [r["index_s"] for r in runs[system]]}
            results["sizes"][str(size)] = row
            if checkpoint:
                checkpoint(results)
        bar.set_postfix_str("cold ask on the seeds")
        results["cold_seeds"] = cold_seeds(settings, work, cold_runs)
        bar.update()
        bar.set_postfix_str("embedding runtimes")
        sample = make_corpus(work / "corpora" / str(sizes[0]), sizes[0], settings).chunk_texts[:embed_sample]
        results["embedding"] = {
            "sample_chunks": len(sample),
            "chunks_per_s": throughput(sample, model_cache),
            "quality": {r: retrieval_quality(r, work, model_cache, settings.top_k) for r in EMBED_RUNTIMES},
        }
        bar.update()
    return results


def median_run(runs: Sequence[dict]) -> dict:
    """The run whose indexing time is the median (the lower middle one of an even count), with all it measured."""
    return sorted(runs, key=lambda r: r["index_s"])[(len(runs) - 1) // 2]


def embedded_texts(corpus: Corpus) -> tuple[str, ...]:
    """Every text either system embeds when it indexes the corpus: all are cached before indexing is timed,
    since a miss would time the embedding model instead."""
    return corpus.chunk_texts + corpus.search_texts


def _fill(cache: Path, texts: Sequence[str], settings: Settings, progress: bool, model: object | None = None) -> None:
    """Embed (once, on disk) every chunk text the corpus needs, with `model` (default: the settings' embedder)."""
    embedder = CachedEmbedder(model if model is not None else load_embedder(settings), cache)
    todo = embedder.missing(texts)
    with tqdm(total=len(todo), desc="embedding chunks (cached on disk)", unit="chunk", file=sys.stderr,
              disable=None if progress and todo else True, leave=False) as bar:
        for i in range(0, len(todo), FILL_BATCH):
            embedder.embed(todo[i : i + FILL_BATCH])
            bar.update(len(todo[i : i + FILL_BATCH]))


class StandInEmbedder:
    """Vectors that stand in for the model's: each text gets one of `pool` (vectors the model made for real
    chunks of the corpus), chosen by the text's hash, plus Gaussian noise (sigma STAND_IN_NOISE per dimension),
    normalised. They cluster as the model's do, so that Chroma's graph is built over a like distribution, and
    cost nothing to make; the same text always gets the same vector. Under the model's name, so that both
    systems' cache lookups find them."""

    def __init__(self, name: str, pool: np.ndarray) -> None:
        self.name = name
        self._pool = np.asarray(pool, dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            seed = int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:12], 16)
            vector = self._pool[seed % len(self._pool)] + np.random.default_rng(seed).normal(
                scale=STAND_IN_NOISE, size=self._pool.shape[1])
            rows.append(vector / np.linalg.norm(vector))
        return np.array(rows, dtype=np.float32)


def _fill_stand_in(cache: Path, model_cache: Path, texts: Sequence[str], settings: Settings, progress: bool,
                   pool_size: int = STAND_IN_POOL) -> None:
    """`_fill` `cache` with a stand-in vector (`StandInEmbedder`) for every text the corpus needs; the pool is the
    model's vectors of the first `pool_size` distinct texts, embedded once into the model's own cache."""
    model = CachedEmbedder(load_embedder(settings), model_cache)
    pool = model.embed(list(dict.fromkeys(texts))[:pool_size])
    _fill(cache, texts, settings, progress, model=StandInEmbedder(model.name, pool))


def _job(job: dict, work: Path, settings: Settings) -> dict:
    path = work / "job.json"
    path.write_text(json.dumps(job))
    done = subprocess.run([sys.executable, "-m", "eval.bench.measure", str(path)], capture_output=True, text=True,
                          env=_env(settings))
    if done.returncode != 0:
        raise BenchError(f"{job['system']} {job['step']} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _env(settings: Settings) -> dict[str, str]:
    """The environment of a measuring process: offline, with the run's model cache and embedding runtime."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "RAG_MODEL_CACHE": str(settings.model_cache_dir), "RAG_EMBED_RUNTIME": settings.embed_runtime}


def _wall(command: Sequence[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchError(f"`{' '.join(command)}` failed:\n{done.stderr[-3000:]}")
    return seconds


def cold_start(system: str, index_dir: Path, runs: int, settings: Settings) -> float:
    """Median wall time of a new process that opens the index and answers one question."""
    env = _env(settings)
    if system == "newsqa":
        command = [sys.executable, "-m", "rag.cli", "--index-dir", str(index_dir), "ask", "--mode", "extractive",
                   COLD_QUESTION]
    else:
        command = [sys.executable, "-m", "eval.bench.coldask", str(index_dir), COLD_QUESTION]
    return statistics.median(_wall(command, env) for _ in range(runs))


def cold_seeds(settings: Settings, work: Path, runs: int) -> dict[str, float]:
    """`rag ask` from a new process on an index of the seeds, as `make ask` runs it (index built first)."""
    index_dir = work / "index" / "seeds"
    shutil.rmtree(index_dir, ignore_errors=True)  # the bench's own: an index of a seeds folder since moved would fail
    env = {**_env(settings), "RAG_INDEX_DIR": str(index_dir), "RAG_CORPUS": str(SEEDS)}
    _wall([sys.executable, "-m", "rag.cli", "index", str(SEEDS)], env)  # raises BenchError with its stderr
    times = [_wall([sys.executable, "-m", "rag.cli", "ask", "--mode", "extractive", COLD_QUESTION], env)
             for _ in range(runs)]
    return {"median_s": statistics.median(times), "max_s": max(times), "runs": runs}
