"""`rag bench`: run the benchmark and write `<out>/bench-<timestamp>.json|.md|.png`."""
from __future__ import annotations

import datetime
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from eval.bench import report
from eval.bench.run import run_bench
from rag.errors import ConfigError
from rag.settings import Settings

RESULTS = Path("eval/results")
WORK = Path(".artifacts/bench")
DEFAULT_SIZES = (1000, 10000, 100000)


def bench(settings: Settings, sizes: Sequence[int], *, out: str | None, work: str | None, baseline: bool,
          queries: int, cold_runs: int = 3, embed_sample: int = 512, stand_in: bool = False,
          index_runs: int = 3, argv: Sequence[str] = ()) -> int:
    """Run the benchmark, print its tables, and write them with the JSON and the chart."""
    if not sizes or any(s < 100 for s in sizes):
        raise ConfigError(f"--sizes must be chunk counts of at least 100, got {list(sizes)}.")
    if queries < 10:
        raise ConfigError(f"--queries must be at least 10, got {queries}.")
    if cold_runs < 1 or index_runs < 1 or embed_sample < 8:
        raise ConfigError("--cold-runs and --index-runs must be at least 1, and --embed-sample at least 8.")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path(out) if out else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / f"bench-{stamp}"
    partial = base.with_suffix(".partial.json")  # the sizes measured so far, should a later step fail

    def checkpoint(so_far: dict) -> None:  # written whole or not at all; a full disk only costs the copy
        try:
            ready = partial.with_suffix(".tmp")
            ready.write_text(json.dumps({**so_far, "created": stamp, "partial": True}, indent=1))
            os.replace(ready, partial)
        except OSError as exc:
            print(f"warning: could not keep the sizes measured so far in {partial}: {exc}", file=sys.stderr)

    try:
        results = run_bench(settings, sorted(set(sizes)), Path(work) if work else WORK, n_queries=queries,
                            baseline=baseline, cold_runs=cold_runs, embed_sample=embed_sample, stand_in=stand_in,
                            index_runs=index_runs, checkpoint=checkpoint)
    except BaseException:  # a failed step, or Ctrl-C: say where the finished sizes are
        if partial.exists():
            print(f"note: the sizes measured before the run stopped are kept in {partial}", file=sys.stderr)
        raise
    results["created"] = stamp
    base.with_suffix(".json").write_text(json.dumps(results, indent=1))
    partial.unlink(missing_ok=True)
    text = report.markdown(results, "rag " + " ".join(argv))
    base.with_suffix(".md").write_text(text)
    report.chart(results, base.with_suffix(".png"))
    print(text)
    print(f"Wrote {base}.json, {base}.md and {base}.png")
    return 0
