"""`rag eval`: run the suite, write results JSON + markdown report + PNG chart, gate, or compare two runs."""
from __future__ import annotations

import datetime
import json
import os
import platform
from collections.abc import Sequence
from pathlib import Path

from eval import compare, report, suite
from eval.dataset import DEFAULT_PATH
from eval.gate import GATE_TOP_K
from eval.gate import check as gate_check
from rag.errors import ConfigError
from rag.settings import Settings

RESULTS = Path(__file__).with_name("results")
SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def run_eval(settings: Settings, modes: Sequence[str], *, questions: str | None, baseline: bool, judge: bool,
             out: str | None, gate: bool, argv: Sequence[str]) -> int:
    """Run, write `<out>/<timestamp>.json|.md|.png`, print the headline; 1 if the gate fails."""
    if judge and not settings.endpoint_configured:
        raise ConfigError("--judge needs an LLM endpoint: set OPENAI_API_KEY or OPENAI_BASE_URL (and RAG_LLM_MODEL).")
    path = Path(questions) if questions else DEFAULT_PATH
    if not path.is_file():
        raise ConfigError(f"No question set at {path}. Pass --questions with a JSONL file like eval/questions.jsonl.")
    if gate and (settings.top_k, settings.strict) != (GATE_TOP_K, False):
        print(f"note: the gate's thresholds are for top-k {GATE_TOP_K} without --strict; evaluating with those.")
        settings = settings.replace(top_k=GATE_TOP_K, strict=False)
    if questions is None:  # the default set is about the seed articles: evaluate on an index of them, kept apart
        settings = settings.replace(corpus=SEEDS, index_dir=Path(settings.index_dir) / "eval-seeds")
    results = suite.run(settings, modes, path, baseline=baseline, judge=judge, sync=questions is None)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    results["created"] = stamp
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
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


def compare_files(old: str, new: str) -> int:
    """Print the change of every metric, then the regressions; 1 if there are any."""
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
            "citation_validity", "citation_recall", "citation_precision", "faithfulness_offline", "p50_seconds"]
    names = list(results["systems"])
    lines = ["metric".ljust(22) + "".join(n[:34].ljust(36) for n in names)]
    for key in keys:
        values = [results["systems"][n]["metrics"].get(key) for n in names]
        lines.append(key.ljust(22) + "".join(("–" if v is None else f"{v:g}").ljust(36) for v in values))
    c = results["checker_calibration"]
    if c:
        lines.append(f"checker on {c['pairs']} labelled pairs: precision {c['precision']}, recall {c['recall']}")
    return "\n".join(lines)
