"""One measurement in a fresh process: index a corpus, or serve queries from an index, with one system.

Run as `python -m eval.bench.measure JOB.json`; prints one line of JSON. A fresh process per
measurement keeps each system's peak memory and its imports out of the other's figures.

Systems:
- `newsqa`: `rag.build_index` on the corpus folder (scan, chunk, embed, SQLite store, Chroma,
  persisted BM25), then an `Assistant` in extractive mode.
- `llamaindex`: plain LlamaIndex defaults on the same chunks: `VectorStoreIndex` over
  `ChromaVectorStore` (embedded Chroma) and `BM25Retriever` (persisted); hybrid is its
  `QueryFusionRetriever` with reciprocal-rank fusion; its "ask" is a query engine with
  `response_mode="no_text"` (retrieval, no LLM). LlamaIndex is given our chunks as
  `TextNode`s: its default splitter counts tokens with tiktoken, which downloads its
  vocabulary and cannot run here.
At indexing, both read chunk vectors from the same on-disk cache, so the figure is the
indexing work itself; embedding speed is measured on its own (`embedding.py`).
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

LLAMA_COLLECTION = "llamaindex_bench"


def rss_mb() -> float:
    """This process's resident memory now, in MiB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    """This process's peak resident memory so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1048576


def nearest_rank(ordered: Sequence[float], q: float) -> float:
    """The q-quantile (0 < q <= 1) of sorted values, by the nearest-rank method."""
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    return {"p50_ms": round(statistics.median(ms), 2), "p95_ms": round(nearest_rank(ms, 0.95), 2)}


def timed(fn: Callable[[str], object], queries: Sequence[str]) -> dict[str, float]:
    fn(queries[0])  # warm-up: lazy loads are not query latency
    times = []
    for q in queries:
        started = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - started)
    return percentiles(times)


# --- newsqa -------------------------------------------------------------------------------

def newsqa_settings(job: dict) -> object:
    from rag.settings import Settings

    return Settings.from_env(
        {}, corpus=job["corpus"], index_dir=job["index_dir"], mode="extractive", top_k=job["top_k"],
        model_cache=job.get("model_cache"), embed_runtime=job["embed_runtime"],
    )


def newsqa_index(job: dict) -> dict:
    from eval.cache import CachedEmbedder
    from rag.embed import load_embedder
    from rag.index import build_index

    settings = newsqa_settings(job)
    embedder = CachedEmbedder(load_embedder(settings), Path(job["cache"]))
    _preload()  # libraries load before the clock starts, as LlamaIndex's imports do below
    before = rss_mb()
    started = time.perf_counter()
    report = build_index(settings, embedder, rebuild=True)
    seconds = time.perf_counter() - started
    assert report.chunks_embedded == job["chunks"], (report.chunks_embedded, job["chunks"])
    peak = peak_mb()
    return {"index_s": seconds, "chunking_s": _chunking_seconds(settings), "rss_before_mb": before, "peak_mb": peak,
            "disk_mb": disk_mb(Path(job["index_dir"]))}


def _chunking_seconds(settings: object) -> float:
    """How long reading and chunking the corpus takes on its own (LlamaIndex is handed the chunks)."""
    from rag.embed import token_counter
    from rag.index import _batches
    from rag.ingest import scan_folder

    started = time.perf_counter()
    articles = scan_folder(Path(settings.corpus), settings.max_file_bytes).articles  # type: ignore[attr-defined]
    for _ in _batches(articles, token_counter(), settings):  # type: ignore[arg-type] - chunked as `rag index` does
        pass
    return time.perf_counter() - started


def _preload() -> None:
    """Import what indexing imports lazily, so that neither system's clock counts loading a library."""
    import bm25s  # noqa: F401
    import chromadb  # noqa: F401
    import datasketch  # noqa: F401
    from llama_index.core.node_parser import SentenceSplitter  # noqa: F401 - rag.chunk's splitter

    from rag.chunk import sentence_tokenizer
    from rag.embed import token_counter

    sentence_tokenizer(), token_counter()


def newsqa_serve(job: dict) -> dict:
    from rag.pipeline import Assistant
    from rag.retrieve import DEPTH_PER_RESULT, MIN_DEPTH

    settings = newsqa_settings(job)
    before = rss_mb()
    assistant = Assistant(settings)
    queries, k = job["queries"], job["top_k"]
    n = max(MIN_DEPTH, DEPTH_PER_RESULT * k)  # what the hybrid retriever asks of each side
    index, embedder = assistant.index, assistant.embedder
    return {
        "dense": timed(lambda q: index.vectors.query(embedder.embed([q])[0], n), queries),
        "bm25": timed(lambda q: index.lexical.query(q, n), queries),
        "hybrid": timed(lambda q: assistant.retriever.retrieve(q, k), queries),
        "ask": timed(lambda q: assistant.ask(q), queries[: job["ask_queries"]]),
        "rss_before_mb": before, "rss_serving_mb": rss_mb(),
    }


# --- plain LlamaIndex ---------------------------------------------------------------------

def _chroma(job: dict) -> object:
    import chromadb

    client = chromadb.PersistentClient(
        path=str(Path(job["index_dir"]) / "chroma"), settings=chromadb.Settings(anonymized_telemetry=False)
    )
    return client


def llamaindex_index(job: dict) -> dict:
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.core.schema import TextNode
    from llama_index.retrievers.bm25 import BM25Retriever
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from eval.bench.embedding import cached_llama_embedding

    texts = json.loads((Path(job["corpus"]) / "corpus.json").read_text())["chunk_texts"][: job["chunks"]]
    embed_model = cached_llama_embedding(Path(job["cache"]), job.get("model_cache"), job["embed_runtime"])
    before = rss_mb()
    started = time.perf_counter()
    client = _chroma(job)
    collection = client.get_or_create_collection(LLAMA_COLLECTION)
    nodes = [TextNode(text=t, id_=f"chunk-{i}") for i, t in enumerate(texts)]
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
    VectorStoreIndex(nodes, storage_context=storage, embed_model=embed_model)
    dense_s = time.perf_counter() - started
    BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=job["top_k"]).persist(str(Path(job["index_dir"]) / "bm25"))
    seconds = time.perf_counter() - started
    return {"index_s": seconds, "index_dense_only_s": dense_s, "rss_before_mb": before, "peak_mb": peak_mb(),
            "disk_mb": disk_mb(Path(job["index_dir"]))}


def llamaindex_open(index_dir: Path, top_k: int) -> tuple[object, object, object, object]:
    """The index, dense retriever, BM25 retriever and hybrid retriever, as plain LlamaIndex loads them."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.core.retrievers import QueryFusionRetriever
    from llama_index.retrievers.bm25 import BM25Retriever
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from eval.baseline import llamaindex_embedding

    client = _chroma({"index_dir": index_dir})
    store = ChromaVectorStore(chroma_collection=client.get_collection(LLAMA_COLLECTION))
    index = VectorStoreIndex.from_vector_store(store, embed_model=llamaindex_embedding())
    dense = index.as_retriever(similarity_top_k=top_k)
    bm25 = BM25Retriever.from_persist_dir(str(Path(index_dir) / "bm25"))
    bm25.similarity_top_k = top_k
    hybrid = QueryFusionRetriever(
        [dense, bm25], similarity_top_k=top_k, num_queries=1, mode="reciprocal_rerank", use_async=False,
        llm=MockLLM(),  # never called with num_queries=1; passed so no global LLM is looked up
    )
    return index, dense, bm25, hybrid


def llamaindex_engine(dense: object) -> object:
    """A query engine that retrieves and writes no text (no LLM): `response_mode="no_text"`."""
    from llama_index.core.llms import MockLLM
    from llama_index.core.query_engine import RetrieverQueryEngine
    from llama_index.core.response_synthesizers.no_text import NoText

    # NoText is built directly: as_query_engine(llm=…) does not hand the LLM to it, and it would
    # then look up the global default LLM (OpenAI), which needs a key
    return RetrieverQueryEngine(retriever=dense, response_synthesizer=NoText(llm=MockLLM()))


def llamaindex_serve(job: dict) -> dict:
    before = rss_mb()
    index, dense, bm25, hybrid = llamaindex_open(Path(job["index_dir"]), job["top_k"])
    engine = llamaindex_engine(dense)
    queries = job["queries"]
    return {
        "dense": timed(dense.retrieve, queries),
        "bm25": timed(bm25.retrieve, queries),
        "hybrid": timed(hybrid.retrieve, queries),
        "ask": timed(engine.query, queries[: job["ask_queries"]]),
        "rss_before_mb": before, "rss_serving_mb": rss_mb(),
    }


JOBS = {
    ("newsqa", "index"): newsqa_index,
    ("newsqa", "serve"): newsqa_serve,
    ("llamaindex", "index"): llamaindex_index,
    ("llamaindex", "serve"): llamaindex_serve,
}


def main(argv: Sequence[str]) -> int:
    job = json.loads(Path(argv[0]).read_text())
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    result = JOBS[(job["system"], job["step"])](job)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
