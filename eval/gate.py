"""The CI gate: fail when a metric of the offline evaluation falls below its threshold in eval/thresholds.toml."""
from __future__ import annotations

import tomllib
from pathlib import Path

THRESHOLDS = Path(__file__).with_name("thresholds.toml")
GATE_TOP_K = 5  # the thresholds were measured at this top-k (metric names such as article_recall@5 carry it)


def check(results: dict, path: Path = THRESHOLDS) -> list[str]:
    """One line per metric below its threshold (or missing from the results); [] when all pass."""
    # a question that raised counts as a refusal in every figure, so the figures alone would hide it
    failures = [f"{name}: {data['metrics']['errors']} question(s) failed with an error; the report's failure table "
                "shows each, and `rag ask` on one shows why"
                for name, data in results["systems"].items() if data.get("metrics", {}).get("errors")]
    for section, limits in tomllib.loads(path.read_text(encoding="utf-8")).items():
        if section == "checker_calibration":
            values = results["checker_calibration"] or {}
        elif section in results["systems"]:
            values = results["systems"][section]["metrics"]
        else:
            failures.append(f"{section}: not in this run (run `rag eval` with that mode)")
            continue
        for metric, minimum in limits.items():
            value = values.get(metric)
            if value is None or value < minimum:
                failures.append(f"{section}: {metric} = {value} is below its threshold {minimum}")
    return failures
