"""`rag eval` and `rag bench`, registered with the `rag` command through the `newsqa.commands` entry points
(pyproject.toml).

`rag` loads this module on every run to build its parser, so it stays light: the options of `rag eval` are
declared (from eval/cli.py) only when `rag eval` runs, and the suite, the benchmark and the eval extra's
packages are imported only by their handlers, after the check that the extra is installed.
"""
from __future__ import annotations

import argparse
import sys

from rag.settings import Settings

# What the eval extra brings, as the modules its commands import (pyproject.toml lists the distributions).
NEEDS = ["matplotlib", "gensim", "llama_index.vector_stores.chroma", "llama_index.embeddings.huggingface",
         "llama_index.llms.openai_like", "llama_index.retrievers.bm25"]


def register_eval(sub: argparse._SubParsersAction) -> None:
    """Add `rag eval`; its options live with the code that reads them (eval/cli.py), declared only when it runs."""
    ev = sub.add_parser("eval", help="measure answers, citations, retrieval and refusals on a question set",
                        add_help=False)
    ev.set_defaults(run=run_eval, declare=lambda: _eval_arguments(ev))


def _eval_arguments(ev: argparse.ArgumentParser) -> None:
    """Declare the options of `rag eval` (eval.cli's own light module, no extra needed) and its --help."""
    from eval.cli import add_arguments

    ev.add_argument("-h", "--help", action="help", help="show this help message and exit")
    add_arguments(ev)


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    from rag.cli import require_extra

    if not args.compare:  # comparing two results files reads JSON only
        require_extra("eval", "The evaluation", NEEDS)
    from eval.cli import dispatch

    return dispatch(args, settings)


def register_bench(sub: argparse._SubParsersAction) -> None:
    """Add `rag bench`, its options and its handler."""
    bench = sub.add_parser("bench", help="indexing and query speed and memory beside plain LlamaIndex, by corpus size")
    bench.add_argument("--sizes", nargs="+", type=int, default=None, metavar="CHUNKS",
                       help="corpus sizes in chunks (default 1000 10000 100000)")
    bench.add_argument("--queries", type=int, default=200, help="queries timed per size (default 200)")
    bench.add_argument("--cold-runs", type=int, default=3, help="new-process runs per cold-start figure (median)")
    bench.add_argument("--index-runs", type=int, default=3,
                       help="indexing runs per system and size, the systems taking turns (the median run counts)")
    bench.add_argument("--embed-sample", type=int, default=512, help="chunks timed per embedding runtime")
    bench.add_argument("--no-baseline", action="store_true", help="skip plain LlamaIndex")
    bench.add_argument("--out", help="where results go (default eval/results/)")
    bench.add_argument("--work", help="corpora, cached embeddings and indexes (default .artifacts/bench/)")
    bench.add_argument("--stand-in-vectors", action="store_true",
                       help="index stand-in vectors (the model's vectors of 2,000 chunks, with noise) instead of "
                            "embedding every chunk: indexing speed at 100k without an hour of embedding; "
                            "query and recall figures then mean little")
    bench.set_defaults(run=run_bench)


def run_bench(args: argparse.Namespace, settings: Settings) -> int:
    from rag.cli import require_extra

    require_extra("eval", "The benchmark", NEEDS)
    from eval.bench.cli import DEFAULT_SIZES, bench

    return bench(settings, args.sizes or DEFAULT_SIZES, out=args.out, work=args.work, baseline=not args.no_baseline,
                 queries=args.queries, cold_runs=args.cold_runs, embed_sample=args.embed_sample,
                 stand_in=args.stand_in_vectors, index_runs=args.index_runs, argv=sys.argv[1:])
