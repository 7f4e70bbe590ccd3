"""`rag eval --sets`: the whole quality picture in one run and one summary.

For each mode, without the LlamaIndex baseline:
- eval/questions.jsonl, eval/sets/seeds-fresh.jsonl, seeds-unseen.jsonl and fresh-1206-seeds.jsonl on the corpus
  "seeds";
- the same four on "seeds+lee": the 300 Lee corpus articles beside the seeds, as distractors;
- eval/sets/lee.jsonl, lee-fresh.jsonl, lee-unseen.jsonl, who-is.jsonl, fresh-1203.jsonl, fresh-1203b.jsonl,
  fresh-1203c.jsonl, fresh-1204.jsonl, fresh-1204b.jsonl and fresh-1206-lee.jsonl on "seeds+lee".
A set whose file is missing is skipped, and the summary says so. Each (mode, set, corpus, split) is one
row of the summary; for each set run on both corpora, the change of every figure from "seeds" to
"seeds+lee" is reported per split (the held-out one is the figure to trust).
"""
from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from eval import suite
from eval.cli import check_judge, machine, stamp_now
from eval.corpora import CORPORA, materialise
from eval.dataset import DEFAULT_PATH, SPLITS
from rag.errors import ConfigError
from rag.settings import Settings

SETS_DIR = Path(__file__).with_name("sets")
# (set, file, corpora it runs on); `eval.calibrate` tunes on the tuning part of each but who-is
PLAN: tuple[tuple[str, Path, tuple[str, ...]], ...] = (
    ("questions", DEFAULT_PATH, ("seeds", "seeds+lee")),
    ("seeds-fresh", SETS_DIR / "seeds-fresh.jsonl", ("seeds", "seeds+lee")),
    ("lee", SETS_DIR / "lee.jsonl", ("seeds+lee",)),
    ("lee-fresh", SETS_DIR / "lee-fresh.jsonl", ("seeds+lee",)),  # written 2026-12-02; its held-out part unseen
    # written 2026-12-02 by a helper that never ran the system; measured whole before and after that session's
    # changes, never tuned on (docs/evaluation.md)
    ("seeds-unseen", SETS_DIR / "seeds-unseen.jsonl", ("seeds", "seeds+lee")),
    ("lee-unseen", SETS_DIR / "lee-unseen.jsonl", ("seeds+lee",)),
    # written 2026-12-03 by a helper that never ran the system; it then chose the name-only version of the reader's
    # description score (docs/how-it-works.md, "A question that asks who someone is")
    ("who-is", SETS_DIR / "who-is.jsonl", ("seeds+lee",)),
    # written 2026-12-03 by a helper that never ran the system (paraphrased questions, each fact also typed as a
    # search), measured whole before anything looked at it (docs/evaluation.md)
    ("fresh-1203", SETS_DIR / "fresh-1203.jsonl", ("seeds+lee",)),
    ("fresh-1203b", SETS_DIR / "fresh-1203b.jsonl", ("seeds+lee",)),
    ("fresh-1203c", SETS_DIR / "fresh-1203c.jsonl", ("seeds+lee",)),
    ("fresh-1204", SETS_DIR / "fresh-1204.jsonl", ("seeds+lee",)),  # written 2026-12-04, the same way
    ("fresh-1204b", SETS_DIR / "fresh-1204b.jsonl", ("seeds+lee",)),  # and another, that night
    # written 2026-12-06 the same way (the seeds, and 12 Lee articles of 150-299 drawn at random), measured whole once
    # in mode extractive, with and without its opt-in second opinion, and in mode local, before anything looked at the
    # answers (docs/evaluation.md)
    ("fresh-1206-seeds", SETS_DIR / "fresh-1206-seeds.jsonl", ("seeds", "seeds+lee")),
    ("fresh-1206-lee", SETS_DIR / "fresh-1206-lee.jsonl", ("seeds+lee",)),
)
# sets kept for measuring: labelling their answers (`eval.sentences collect`) would spend them
MEASURE_ONLY = frozenset({"lee-fresh", "seeds-unseen", "lee-unseen", "who-is", "fresh-1203", "fresh-1203b",
                          "fresh-1203c", "fresh-1204", "fresh-1204b", "fresh-1206-seeds", "fresh-1206-lee"})
RESULTS = Path("eval") / "results"  # relative to the working folder
# (metric, column heading, the counts it is a share of: numerator, denominator)
FIGURES = (
    ("answer_correct", "answerable: right, right source", ("answerable_correct", "answerable")),
    ("refusal_recall", "unanswerable: refused", ("unanswerable_refused", "unanswerable")),
    ("unanswerable_correct", "unanswerable: right (refused, or premise corrected)",
     ("unanswerable_correct", "unanswerable")),
    ("lead_correct", "one-sentence answerable: right in the first sentence", ("lead_correct", "one_sentence")),
    ("nearest_correct", "one-sentence answerable refused: the nearest sentence shown answers",
     ("nearest_correct", "answerable_refused")),
    ("paraphrase_consistency", "paraphrase consistency (groups)", ("paraphrase_consistent", "paraphrase_groups")),
    ("yes_no_stated", "yes/no stated", ("yes_no_stated", "yes_no")),
    ("p50_seconds", "p50 s", None),
    ("p95_seconds", "p95 s", None),
)


def run_sets(settings: Settings, modes: Sequence[str], *, out: str | None = None, split: str = "all",
             judge: bool = False, argv: Sequence[str] = (), plan: Sequence[tuple[str, Path, tuple[str, ...]]] = PLAN,
             home: Path | None = None, progress: bool = True) -> int:
    """Run every set of `plan` on its corpora; write `<out>/<timestamp>-sets.json|.md`; 1 if a set could not run or a
    question's answer raised."""
    check_judge(settings, judge)
    skipped = []
    for name, path, _ in plan:
        if not Path(path).is_file():
            print(f"note: skipping the set {name}: there is no file {suite.shown(path)}")
            skipped.append({"set": name, "path": suite.shown(path), "reason": "no such file"})
    runs, errors = [], []
    for corpus in CORPORA:
        sets = [(name, Path(path)) for name, path, corpora in plan if corpus in corpora and Path(path).is_file()]
        if not sets:
            continue
        named = materialise(corpus, home)
        corpus_settings = named.settings(settings)
        print(f"corpus {corpus}: {suite.shown(named.folder)}, index {suite.shown(named.index_dir)}", file=sys.stderr)
        assistant = suite.open_assistant(corpus_settings, sync=True)
        for name, path in sets:
            try:
                results = suite.run(corpus_settings, modes, path, baseline=False, judge=judge, progress=progress,
                                    split=split, assistant=assistant, calibrate=False)
            except ConfigError as exc:  # e.g. a set naming articles this corpus lacks: the other sets still run
                print(f"error: the set {name} on {corpus}: {exc}", file=sys.stderr)
                errors.append({"set": name, "corpus": corpus, "error": str(exc)})
                continue
            runs.append({"set": name, "corpus": corpus, "results": results})
    rows = summary_rows(runs, split)
    failed = failed_questions(runs)
    summary = {
        "created": stamp_now(), "machine": machine(), "command": "rag " + " ".join(argv), "modes": list(modes),
        "split": split, "settings": {"top_k": settings.top_k, "strict": settings.strict,
                                     "embed_model": settings.embed_model},
        "rows": rows, "pooled": pooled_rows(rows), "changes": distractor_changes(rows), "skipped": skipped,
        "errors": errors, "failed": failed,
        "runs": runs,
    }
    folder = Path(out) if out else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / f"{summary['created']}-sets"
    base.with_suffix(".json").write_text(json.dumps(summary, indent=1, ensure_ascii=False), encoding="utf-8")
    text = markdown(summary)
    base.with_suffix(".md").write_text(text, encoding="utf-8")
    print(text.split("\n## Answer correctness by kind")[0])
    print(f"Wrote {base}.json and {base}.md")
    if failed:
        print(f"error: {len(failed)} question(s) failed with an error (counted as refusals above), listed in {base}.md; "
              f"the first: {failed[0]['set']} on {failed[0]['corpus']}, {failed[0]['id']}: {failed[0]['error']}. "
              "`rag ask` on that question shows the traceback's cause.", file=sys.stderr)
    return 1 if errors or failed else 0


def failed_questions(runs: Sequence[dict]) -> list[dict]:
    """Every question whose answer raised an error: `suite.evaluate` records it as a refusal and goes on, so
    the figures alone would hide it (a crash in the answerer reads as a perfect refusal rate)."""
    return [{"mode": system.removeprefix("newsqa:"), "set": run["set"], "corpus": run["corpus"], "id": row["id"],
             "error": row["error"]}
            for run in runs for system, data in run["results"]["systems"].items()
            for row in data["questions"] if row.get("error")]


def summary_rows(runs: Sequence[dict], split: str = "all") -> list[dict]:
    """One row per (mode, set, corpus, split): the figures and the counts behind them."""
    rows = []
    for run in runs:
        for system, data in run["results"]["systems"].items():
            for part_name in ("all", *SPLITS) if split == "all" else (split,):
                part = data if part_name == "all" else data.get("splits", {}).get(part_name)
                if not part:
                    continue
                rows.append({"mode": system.removeprefix("newsqa:"), "set": run["set"], "corpus": run["corpus"],
                             "split": part_name, **{m: part["metrics"].get(m) for m, _, _ in FIGURES},
                             "counts": part["counts"]})
    return rows


def pooled_rows(rows: Sequence[dict]) -> list[dict]:
    """Every set's counts added up, per (mode, corpus, split): one figure over hundreds of questions where a set's
    held-out part has 3 to 21 of a kind, so that one question moves it 5 to 30 points. On "seeds+lee" a second row
    pools only the sets that also ran on "seeds", so the two corpora's figures compare like with like."""
    on_seeds = {r["set"] for r in rows if r["corpus"] == "seeds"}
    pools: dict[tuple[str, str, str], list[dict]] = {}
    for r in rows:
        pools.setdefault((r["mode"], r["corpus"], r["split"]), []).append(r)
        if r["corpus"] == "seeds+lee" and r["set"] in on_seeds:
            pools.setdefault((r["mode"], "seeds+lee (seed sets)", r["split"]), []).append(r)
    out = []
    for (mode, corpus, split), members in pools.items():
        counts = {k: sum(m["counts"][k] for m in members) for k in members[0]["counts"]}
        figures = {m: (round(counts[of[0]] / counts[of[1]], 3) if counts[of[1]] else None) if of else None
                   for m, _, of in FIGURES}
        out.append({"mode": mode, "corpus": corpus, "split": split, "sets": [m["set"] for m in members],
                    **figures, "counts": counts})
    return out


def distractor_changes(rows: Sequence[dict]) -> list[dict]:
    """For each (mode, set, split) run on both corpora: every figure on "seeds", on "seeds+lee", and the change."""
    by_key = {(r["mode"], r["set"], r["split"], r["corpus"]): r for r in rows}
    changes = []
    for (mode, name, split, corpus), before in by_key.items():
        after = by_key.get((mode, name, split, "seeds+lee"))
        if corpus != "seeds" or after is None:
            continue
        changes.append({"mode": mode, "set": name, "split": split, "figures": {
            m: {"seeds": before[m], "seeds+lee": after[m],
                "change": None if before[m] is None or after[m] is None else round(after[m] - before[m], 3)}
            for m, _, _ in FIGURES}})
    return changes


def markdown(summary: dict) -> str:
    s = summary["settings"]
    lines = [
        f"# newsqa question sets, {summary['created']}", "",
        f"Command: `{summary['command']}`  ",
        f"Modes: {', '.join(summary['modes'])}; split: {summary['split']}; top-k {s['top_k']}"
        f"{', strict' if s['strict'] else ''}; embedding model {s['embed_model']}. Machine: {summary['machine']}.  ",
        "Corpora: `seeds` is the five seed articles; `seeds+lee` adds the 300 ABC news articles of gensim's Lee "
        "corpus, distractors for the seed sets. Split: a question's paraphrase group decides it (sha256 of the "
        "group, one in three held out); figures to trust are the held-out ones, which nothing is tuned on.", "",
    ]
    for item in summary["skipped"]:
        lines.append(f"Skipped the set `{item['set']}`: no file `{item['path']}`.  ")
    for item in summary["errors"]:
        lines.append(f"**Could not run** the set `{item['set']}` on `{item['corpus']}`: {item['error']}  ")
    failed = summary.get("failed", [])  # reports before 2026-12-03 have none
    if failed:
        lines.append(f"**{len(failed)} question(s) failed with an error**, counted below as refusals (so every "
                     "figure is suspect):  ")
        lines += [f"- {f['mode']}, `{f['set']}` on `{f['corpus']}`, {f['id']}: {f['error']}  " for f in failed[:10]]
        if len(failed) > 10:
            lines.append(f"- and {len(failed) - 10} more (the JSON lists every one)  ")
    if summary["skipped"] or summary["errors"] or failed:
        lines.append("")
    lines += ["## Summary", "",
              "| mode | set | corpus | split | questions | " + " | ".join(h for _, h, _ in FIGURES) + " |",
              "|---|---|---|---|---|" + "---|" * len(FIGURES)]
    for r in summary["rows"]:
        cells = [_figure(r, m, of) for m, _, of in FIGURES]
        lines.append(f"| {r['mode']} | {r['set']} | {r['corpus']} | {r['split']} | {r['counts']['questions']} | "
                     + " | ".join(cells) + " |")
    pooled = summary.get("pooled", [])  # reports before 2026-12-04 have none
    if pooled:
        lines += ["", "## Pooled over the sets", "",
                  "Every set's questions counted together (the held-out rows are the figures to trust); "
                  "`seeds+lee (seed sets)` pools only the sets run on both corpora.", "",
                  "| mode | corpus | split | sets | questions | "
                  + " | ".join(h for m, h, of in FIGURES if of) + " |",
                  "|---|---|---|---|---|" + "---|" * sum(1 for *_, of in FIGURES if of)]
        for r in pooled:
            cells = [_figure(r, m, of) for m, _, of in FIGURES if of]
            lines.append(f"| {r['mode']} | {r['corpus']} | {r['split']} | {len(r['sets'])} | {r['counts']['questions']} | "
                         + " | ".join(cells) + " |")
    lines += ["", "## From seeds to seeds+lee (300 distractor articles)", ""]
    if summary["changes"]:
        lines += ["| mode | set | split | " + " | ".join(h for _, h, _ in FIGURES) + " |",
                  "|---|---|---|" + "---|" * len(FIGURES)]
        for c in sorted(summary["changes"], key=lambda c: (c["split"] != "heldout", c["mode"], c["set"])):
            cells = [_change(c["figures"][m], percent=of is not None) for m, _, of in FIGURES]
            split = f"**{c['split']}**" if c["split"] == "heldout" else c["split"]
            lines.append(f"| {c['mode']} | {c['set']} | {split} | " + " | ".join(cells) + " |")
    else:
        lines.append("No set ran on both corpora.")
    lines += ["", "## Answer correctness by kind", "",
              "Right: answered with every key fact and a supporting article cited; for the unanswerable kinds, "
              "refused (a false premise may also be corrected, with a citation).", "",
              "| mode | set | corpus | kind | questions | right | " + " | ".join(SPLITS) + " |",
              "|---|---|---|---|---|---|" + "---|" * len(SPLITS)]
    for run in summary["runs"]:
        for system, data in run["results"]["systems"].items():
            for kind, k in data["kinds"].items():
                lines.append(f"| {system.removeprefix('newsqa:')} | {run['set']} | {run['corpus']} | {kind} | "
                             f"{k['questions']} | {_percent(k['answer_correct'])} ({k['correct']}) | "
                             + " | ".join(_percent(k[s]) for s in SPLITS) + " |")
    return "\n".join(lines) + "\n"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _figure(row: dict, metric: str, of: tuple[str, str] | None) -> str:
    value = row[metric]
    if of is None:
        return "–" if value is None else f"{value:g}"
    part, whole = (row["counts"][key] for key in of)
    return "–" if value is None else f"{_percent(value)} ({part}/{whole})"


def _change(figure: dict, percent: bool) -> str:
    before, after, change = figure["seeds"], figure["seeds+lee"], figure["change"]
    if change is None:
        return "–"
    if percent:
        return f"{100 * before:.1f} → {100 * after:.1f} ({100 * change:+.1f} pts)"
    return f"{before:g} → {after:g} ({change:+.3f})"
