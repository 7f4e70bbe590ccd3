"""Run the question set through ask() and print how many are answered correctly and refused rightly.

    python -m eval.run [--mode extractive|local|openai] [--strict] [--top-k 5] [--show-failures]
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from eval.dataset import DEFAULT_PATH, load
from eval.score import originals, score, summarize
from rag.pipeline import assistant
from rag.settings import MODES, Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--top-k", type=int)
    parser.add_argument("--mode", choices=MODES)
    parser.add_argument("--strict", action="store_true", help="drop unsupported sentences")
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()
    settings = Settings.from_env(top_k=args.top_k, mode=args.mode, strict=args.strict or None)
    helper = assistant(settings)
    texts = originals(helper.index.store)
    outcomes, latencies = [], []
    for q in load(args.questions):
        started = time.perf_counter()
        answer = helper.ask(q.question)
        latencies.append(time.perf_counter() - started)
        outcome = score(q, answer, texts)
        outcomes.append(outcome)
        if args.show_failures and not outcome.correct:
            print(f"FAIL {q.id} [{q.kind}] {q.question}\n     -> {answer.text[:300]}\n")
    summary = summarize(outcomes)
    summary["mode"] = helper.mode
    summary["p50_ms"] = round(1000 * statistics.median(latencies), 1)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
