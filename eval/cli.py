"""`rag eval`: run the suite, write results JSON + markdown report + PNG chart, gate, or compare two runs.

`add_arguments` declares every option of `rag eval` and `dispatch` runs it, so the command's options live
here with the code that reads them; `python -m eval` is the same command on its own. The suite is imported
only when it runs: declaring the options costs `rag` nothing.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

from eval.corpora import CORPORA, SEEDS
from eval.dataset import DEFAULT_PATH, SPLITS
from eval.gate import GATE_TOP_K
from eval.gate import check as gate_check
from rag.errors import ConfigError, RagError
from rag.settings import MODES, Settings

RESULTS = Path("eval") / "results"  # under the working folder, as for --sets and calibrate, never the package


def add_arguments(ev: argparse.ArgumentParser) -> None:
    """Every option of `rag eval`."""
    ev.add_argument("--mode", nargs="+", choices=[m for m in MODES if m != "auto"], default=["extractive"],
                    dest="modes", help="modes to evaluate, side by side (default: extractive)")
    ev.add_argument("--top-k", type=int, help="passages to retrieve (RAG_TOP_K, default 5)")
    ev.add_argument("--strict", action="store_true", help="evaluate with strict checking (RAG_STRICT)")
    ev.add_argument("--questions", help="the question set (default eval/questions.jsonl)")
    ev.add_argument("--corpus", choices=CORPORA,
                    help="evaluate on this corpus, indexed in .rag/eval-corpora/ (default: seeds for the default "
                         "set, else the configured index)")
    ev.add_argument("--split", choices=("all", *SPLITS), default="all",
                    help="only the questions of this split (default all; tuning uses tune only)")
    ev.add_argument("--sets", action="store_true",
                    help="the whole quality picture: every question set on seeds and on seeds+lee, one summary")
    ev.add_argument("--no-baseline", action="store_true", help="skip the plain-LlamaIndex baseline")
    ev.add_argument("--judge", action="store_true", help="also judge faithfulness with an LLM: the configured endpoint's, else the local model (rag models install)")
    ev.add_argument("--out", help="where results go (default eval/results/ under the current folder)")
    ev.add_argument("--gate", action="store_true", help="exit 1 if a metric is below eval/thresholds.toml")
    ev.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"),
                    help="compare two results files instead of running (exit 1 on regressions)")


def dispatch(args: argparse.Namespace, settings: Settings, argv: Sequence[str] | None = None) -> int:
    """Run `rag eval` with parsed options: compare, the sets, or one run."""
    argv = sys.argv[1:] if argv is None else argv
    if args.compare:
        return compare_files(*args.compare)
    if args.sets:
        clash = [flag for flag, given in (("--questions", args.questions), ("--corpus", args.corpus),
                                          ("--gate", args.gate)) if given]
        if clash:
            raise ConfigError(f"--sets picks its own question sets and corpora; drop {', '.join(clash)}.")
        from eval.sets import run_sets

        return run_sets(settings, args.modes, out=args.out, split=args.split, judge=args.judge, argv=argv)
    return run_eval(settings, args.modes, questions=args.questions, baseline=not args.no_baseline, judge=args.judge,
                    out=args.out, gate=args.gate, argv=argv, corpus=args.corpus, split=args.split)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m eval [options]`: `rag eval` on its own (with `--index-dir`)."""
    parser = argparse.ArgumentParser(prog="python -m eval", description="Evaluate newsqa on question sets.")
    parser.add_argument("--index-dir", help="where the index lives (RAG_INDEX_DIR, default .rag)")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(index_dir=args.index_dir, top_k=args.top_k, strict=args.strict or None)
        return dispatch(args, settings, ["eval", *(sys.argv[1:] if argv is None else argv)])
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run_eval(settings: Settings, modes: Sequence[str], *, questions: str | None, baseline: bool, judge: bool,
             out: str | None, gate: bool, argv: Sequence[str], corpus: str | None = None,
             split: str = "all") -> int:
    """Run, write `<out>/<timestamp>.json|.md|.png`, print the headline; 1 if the gate fails."""
    from eval import report, suite
    from eval.corpora import materialise

    check_judge(settings, judge)
    path = Path(questions) if questions else DEFAULT_PATH
    if not path.is_file():
        raise ConfigError(f"No question set at {path}. Pass --questions with a JSONL file like eval/questions.jsonl.")
    if gate and split != "all":
        raise ConfigError("--gate's thresholds are for the whole question set; drop --split.")
    if gate and (settings.top_k, settings.strict) != (GATE_TOP_K, False):
        print(f"note: the gate's thresholds are for top-k {GATE_TOP_K} without --strict; evaluating with those.")
        settings = settings.replace(top_k=GATE_TOP_K, strict=False)
    if corpus:  # a named corpus, in its own folder and index
        named = materialise(corpus)
        settings = named.settings(settings)
        where = {"name": corpus, "folder": suite.shown(named.folder), "index_dir": suite.shown(named.index_dir)}
    elif questions is None:  # the default set is about the seed articles: evaluate on an index of them, kept apart
        settings = settings.replace(corpus=SEEDS, index_dir=Path(settings.index_dir) / "eval-seeds",
                                    chroma_documents=True)  # the baseline reads the chunk texts from Chroma
        where = {"name": "seeds", "folder": suite.shown(SEEDS), "index_dir": suite.shown(settings.index_dir)}
    else:
        where = {"name": None, "folder": None, "index_dir": suite.shown(settings.index_dir)}
    results = suite.run(settings, modes, path, baseline=baseline, judge=judge, sync=questions is None or bool(corpus),
                        split=split)
    results["corpus"] = where
    stamp = stamp_now()
    results["created"] = stamp
    results["machine"] = machine()
    command = "rag " + " ".join(argv)
    folder = Path(out) if out else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / stamp
    base.with_suffix(".json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    base.with_suffix(".md").write_text(report.markdown(results, command), encoding="utf-8")
    report.chart(results, base.with_suffix(".png"))
    print(_headline(results))
    print(f"\nWrote {base}.json, {base}.md and {base}.png")
    if gate:
        failures = gate_check(results)
        for line in failures:
            print(f"GATE FAILED: {line}")
        if failures:
            return 1
        print("Gate passed: every metric is at or above its threshold in eval/thresholds.toml.")
    return 0


def check_judge(settings: Settings, judge: bool) -> None:
    """--judge uses the configured endpoint, else the installed local model; with neither, say what to do."""
    from rag.models import qwen_path

    if judge and not settings.endpoint_configured and not settings.local_model and not qwen_path(settings).is_file():
        raise ConfigError("--judge needs an LLM: install the local one with `rag models install`, or set "
                          "OPENAI_API_KEY or OPENAI_BASE_URL (and RAG_LLM_MODEL).")


def stamp_now() -> str:
    return datetime.datetime.now().strftime("%Y%m%d-%H%M%S")


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def compare_files(old: str, new: str) -> int:
    """Print the change of every metric, then the regressions; 1 if there are any."""
    from eval import compare

    try:
        before, after = (json.loads(Path(p).read_text(encoding="utf-8")) for p in (old, new))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Cannot read results file: {exc}. Pass two files written by `rag eval`.") from None
    print(compare.table(before, after))
    lines = compare.regressions(before, after)
    print("\n" + ("\n".join(f"REGRESSION {line}" for line in lines) if lines else "No regressions."))
    return 1 if lines else 0


def _headline(results: dict) -> str:
    k = results["settings"]["top_k"]
    keys = [f"article_recall@{k}", f"passage_recall@{k}", "answer_correct", "refusal_recall", "refusal_precision",
            "citation_validity", "citation_recall", "citation_precision", "faithfulness_offline",
            "paraphrase_consistency", "yes_no_stated", "p50_seconds"]
    names = list(results["systems"])
    lines = ["metric".ljust(22) + "".join(n[:34].ljust(36) for n in names)]
    for key in keys:
        values = [results["systems"][n]["metrics"].get(key) for n in names]
        if all(v is None for v in values):
            continue
        lines.append(key.ljust(22) + "".join(("–" if v is None else f"{v:g}").ljust(36) for v in values))
    for split in ("tune", "heldout"):
        values = [results["systems"][n].get("splits", {}).get(split, {}).get("metrics", {}).get("answer_correct")
                  for n in names]
        if any(v is not None for v in values):
            lines.append(f"correct, {split}".ljust(22)
                         + "".join(("–" if v is None else f"{v:g}").ljust(36) for v in values))
    c = results["checker_calibration"]
    if c:
        lines.append(f"checker on {c['pairs']} labelled pairs: precision {c['precision']}, recall {c['recall']}")
    return "\n".join(lines)
