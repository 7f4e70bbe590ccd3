"""Report: a results file as markdown (headline table, checker calibration, every failure) and a PNG chart."""
from __future__ import annotations

from pathlib import Path

HEADLINE = [  # (metric, what it means), in the order the table shows them
    ("article_recall@1", "a gold article ranked first"),
    ("article_recall@{k}", "a gold article in the top {k}"),
    ("article_mrr", "mean reciprocal rank of the first gold article"),
    ("passage_recall@{k}", "a gold passage in the top {k}"),
    ("passage_mrr", "mean reciprocal rank of the first gold passage"),
    ("answer_correct", "answerable questions answered with every key fact and a supporting article cited"),
    ("fact_coverage", "share of key facts stated, answerable questions"),
    ("lead_correct", "answerable questions one sentence answers (not comparison, which-first, multi) whose first "
                     "sentence alone states every key fact, citing a supporting article"),
    ("nearest_correct", "answerable questions one sentence answers, refused with a nearest sentence shown: that sentence "
                        "states every key fact, from a supporting article"),
    ("refusal_precision", "refusals that were right"),
    ("refusal_recall", "unanswerable questions refused"),
    ("refusal_accuracy", "answered when answerable, refused when not"),
    ("unanswerable_correct", "unanswerable questions refused, or their false premise corrected with a citation"),
    ("paraphrase_consistency", "paraphrase groups (2+ phrasings) whose phrasings are all right or all wrong"),
    ("yes_no_stated", "yes-no questions whose answer opens with the expected yes or no"),
    ("citation_validity", "citations whose quote is at their offsets (invalid markers count as wrong)"),
    ("citation_recall", "ALCE: sentences supported by their cited passages together"),
    ("citation_precision", "ALCE: citations needed by a supported sentence"),
    ("faithfulness_offline", "sentences the retrieved passages support (offline checker)"),
    ("faithfulness_llm", "statements the passages support (LLM judge, RAGAS-style)"),
    ("errors", "questions that failed with an error (shown as failures below)"),
    ("p50_seconds", "median seconds per question"),
    ("p95_seconds", "95th percentile of seconds per question"),
    ("p50_first_words_seconds", "median seconds to the answer's first words (streamed; a system that does not stream: its whole answer)"),
    ("p95_first_words_seconds", "95th percentile of seconds to the first words"),
]
CHARTED = ["article_recall@{k}", "passage_recall@{k}", "answer_correct", "refusal_recall", "citation_validity",
           "citation_recall", "citation_precision", "faithfulness_offline"]


def markdown(results: dict, command: str) -> str:
    """The whole report: what was run, the headline table, the checker's calibration, and every failure."""
    k = results["settings"]["top_k"]
    systems = results["systems"]
    names = list(systems)
    d = results["dataset"]
    kinds = ", ".join(f"{n} {kind}" for kind, n in d["kinds"].items())
    splits = d.get("splits", {})
    corpus = results.get("corpus") or {}
    where = (f"Corpus: `{corpus['name']}` (`{corpus['folder']}`), index `{corpus['index_dir']}`.  "
             if corpus.get("name") else f"Corpus: the configured index `{corpus['index_dir']}`.  " if corpus else None)
    lines = [
        f"# newsqa evaluation, {results['created']}", "",
        f"Command: `{command}`  ",
        f"Questions: `{d['path']}`, {d['questions']} ({d['answerable']} answerable; {kinds}), "
        f"sha256 `{d['sha256'][:12]}`  ",
        f"Split: {d.get('split', 'all')} ({', '.join(f'{n} {s}' for s, n in splits.items())}; a question's "
        "paraphrase group decides its split, one group in three held out).  " if splits else None,
        where,
        f"Top-k {k}; embedding model {results['settings']['embed_model']}. Machine: {results['machine']}.", "",
        "## Headline", "",
        "| metric | " + " | ".join(f"`{n}`" for n in names) + " | meaning |",
        "|---|" + "---|" * len(names) + "---|",
    ]
    lines = [line for line in lines if line is not None]  # no line for what an older results file lacks
    for key, meaning in HEADLINE:
        metric = key.format(k=k)
        values = [systems[n]["metrics"].get(metric) for n in names]
        if all(v is None for v in values):
            continue
        lines.append(f"| {metric} | " + " | ".join("–" if v is None else f"{v:g}" for v in values)
                     + f" | {meaning.format(k=k)} |")
    lines += ["", "`llamaindex:*` is the baseline: plain LlamaIndex on the same Chroma collection (dense top-k; "
              "the top chunk as the answer, or `CitationQueryEngine` with the same LLM). "
              "Citation recall/precision and offline faithfulness use the project's checker as the judge.", ""]
    lines += _splits(results, k) + _kinds(systems)
    if results["checker_calibration"]:
        lines += _calibration(results["checker_calibration"])
    else:
        lines += ["## The offline checker", "", "Not calibrated in this run: its labelled pairs quote the seed "
                  "articles, which are not in this index.", ""]
    for name in names:
        lines += _failures(name, systems[name]["questions"])
    return "\n".join(lines) + "\n"


def _splits(results: dict, k: int) -> list[str]:
    """Every headline metric again for each split, one table per system (all, tune, heldout)."""
    lines = ["## By split", "", "The same metrics on the tuning split and on the held-out split (nothing is tuned "
             "on it: its figures are the ones to trust).", ""]
    for name, data in results["systems"].items():
        parts = {"all": data, **data.get("splits", {})}
        if len(parts) < 2:
            continue
        lines += [f"`{name}`", "", "| metric | " + " | ".join(f"{p} ({v['counts']['questions']})" if "counts" in v
                                                           else p for p, v in parts.items()) + " |",
                  "|---|" + "---|" * len(parts)]
        for key, _ in HEADLINE:
            metric = key.format(k=k)
            values = [v["metrics"].get(metric) for v in parts.values()]
            if all(v is None for v in values):
                continue
            lines.append(f"| {metric} | " + " | ".join("–" if v is None else f"{v:g}" for v in values) + " |")
        lines.append("")
    return lines


def _kinds(systems: dict) -> list[str]:
    """Answer correctness by kind of question (a refusal for the unanswerable kinds)."""
    names = [n for n in systems if systems[n].get("kinds")]
    if not names:
        return []
    kinds = sorted({kind for n in names for kind in systems[n]["kinds"]})
    lines = ["## Answer correctness by kind", "",
             "Right: every key fact stated and a supporting article cited; for the unanswerable kinds, a refusal "
             "(a false premise may also be corrected, with a citation). Cells: all (tune / heldout).", "",
             "| kind | questions | " + " | ".join(f"`{n}`" for n in names) + " |", "|---|---|" + "---|" * len(names)]
    for kind in kinds:
        entries = [systems[n]["kinds"].get(kind) for n in names]
        first = next(e for e in entries if e)
        cells = ["–" if e is None else f"{e['answer_correct']:g} ({_g(e['tune'])} / {_g(e['heldout'])})"
                 for e in entries]
        lines.append(f"| {kind} | {first['questions']} | " + " | ".join(cells) + " |")
    return lines + [""]


def _g(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def _calibration(c: dict) -> list[str]:
    lines = [
        "## The offline checker, calibrated", "",
        f"On {c['pairs']} hand-labelled (sentence, passage) pairs in `eval/checker_pairs.jsonl` "
        f"({c['supported_pairs']} supported), at the checker's threshold {c['threshold']}: "
        f"**precision {c['precision']}, recall {c['recall']}** (F1 {c['f1']}, accuracy {c['accuracy']}) "
        "for \"supported\".", "",
        "| kind | pairs | judged right |", "|---|---|---|",
    ]
    lines += [f"| {kind} | {v['pairs']} | {v['judged_right']} |" for kind, v in c["by_kind"].items()]
    lines += ["", "| threshold | precision | recall | F1 | accuracy |", "|---|---|---|---|---|"]
    lines += [f"| {t} | {v['precision']} | {v['recall']} | {v['f1']} | {v['accuracy']} |" for t, v in c["grid"].items()]
    if c.get("two_fold"):
        lines += ["", "Two-fold check of the threshold (chosen for F1 on half the pairs, measured on the other half): "
                  + "; ".join(f"threshold {f['threshold']}: precision {f['precision']}, recall {f['recall']}"
                              for f in c["two_fold"]) + "."]
    if c["wrong"]:
        lines += ["", "Judged wrong at the threshold:", ""]
        lines += [f"- {w['id']} ({w['kind']}, labelled {'supported' if w['labelled'] else 'unsupported'}): "
                  f"{w['sentence']}" for w in c["wrong"]]
    return lines + [""]


def _failures(name: str, rows: list[dict]) -> list[str]:
    wrong = [r for r in rows if not r["correct"]]
    lines = [f"## Failures: `{name}` ({len(wrong)} of {len(rows)})", ""]
    if not wrong:
        return lines + ["None.", ""]
    lines += ["| id | kind | split | question | expected | answer given |", "|---|---|---|---|---|---|"]
    for r in wrong:
        expected = ("; ".join(r["expected"]) if r["answerable"] else
                    "(a refusal, or the correction: " + "; ".join(r["expected"]) + ")" if r["kind"] == "false-premise"
                    and r["expected"] else "(a refusal)")
        lines.append(f"| {r['id']} | {r['kind']} | {r.get('split', '')} | {_cell(r['question'])} | {_cell(expected)} "
                     f"| {_cell(r['answer'], 300)} |")
    return lines + [""]


def _cell(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chart(results: dict, path: Path) -> None:
    """Grouped bars: the main metrics (0 to 1) for each system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = results["settings"]["top_k"]
    metrics = [m.format(k=k) for m in CHARTED]
    names = list(results["systems"])
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(12, 4.8))
    for i, name in enumerate(names):
        values = [results["systems"][name]["metrics"].get(m) for m in metrics]
        bars = ax.bar([x + i * width for x in range(len(metrics))], [v or 0.0 for v in values], width, label=name)
        ax.bar_label(bars, labels=["–" if v is None else f"{v:.2f}" for v in values], fontsize=7, padding=1)
    ax.set_xticks([x + width * (len(names) - 1) / 2 for x in range(len(metrics))], metrics, rotation=20, ha="right")
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("score (higher is better)")
    ax.set_title(f"newsqa vs plain LlamaIndex, {results['dataset']['questions']} questions, top-k {k}")
    ax.legend(fontsize=8, loc="upper right", ncols=len(names))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
