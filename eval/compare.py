"""Compare two results files: which metrics dropped, and which questions went from right to wrong."""
from __future__ import annotations

TOLERANCE = 0.005  # a drop smaller than this is rounding, not a regression
LOWER_IS_BETTER = {"p50_seconds", "p95_seconds", "p50_first_words_seconds", "p95_first_words_seconds"}
# a share of what the system refuses: answering one more question right can lower it, so it is never a regression
OF_REFUSALS = {"nearest_correct"}


def regressions(old: dict, new: dict) -> list[str]:
    """One line per regression (a metric down, or a question now wrong), for every system in both files."""
    lines = []
    for name in sorted(set(old["systems"]) & set(new["systems"])):
        before, after = old["systems"][name], new["systems"][name]
        for metric, was in before["metrics"].items():
            now = after["metrics"].get(metric)
            if was is None or metric in LOWER_IS_BETTER or metric in OF_REFUSALS or metric == "errors":
                continue
            if now is None:
                lines.append(f"{name}: {metric} {was:g} -> undefined")
            elif now < was - TOLERANCE:
                lines.append(f"{name}: {metric} {was:g} -> {now:g}")
        was_right = {r["id"] for r in before["questions"] if r["correct"]}
        for r in after["questions"]:
            if r["id"] in was_right and not r["correct"]:
                lines.append(f"{name}: {r['id']} now wrong: {r['question']} -> {r['answer'][:160]}")
    return lines


def table(old: dict, new: dict) -> str:
    """Every metric of every common system, old -> new."""
    lines = ["| system | metric | before | after | change |", "|---|---|---|---|---|"]
    for name in sorted(set(old["systems"]) & set(new["systems"])):
        for metric, was in old["systems"][name]["metrics"].items():
            now = new["systems"][name]["metrics"].get(metric)
            if was is None or now is None:
                continue
            lines.append(f"| {name} | {metric} | {was:g} | {now:g} | {now - was:+.3f} |")
    return "\n".join(lines)
