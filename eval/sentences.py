"""An LLM's real answer sentences, for labelling by hand, and what the checker and a judge make of them.

    python -m eval.sentences collect --mode local --split tune --out eval/checker_sentences_local.jsonl
    python -m eval.sentences collect --mode local --questions eval/sets/lee.jsonl --corpus seeds+lee --out …
    python -m eval.sentences collect --questions eval/checker_questions_lee.jsonl --corpus seeds+lee --split all --out …
    (label each row's "supported" by reading its sentence against its passage: true, false)
    python -m eval.sentences report eval/checker_sentences_local.jsonl [--judge]

`collect` asks every question of the sets that run on the corpus (`--corpus`, default the seeds; or only the
set `--questions`) in the given mode and writes one row per answer sentence that cites a passage: the
sentence, the passage it cites (the retrieved chunk that holds the citation), the checker's verdict when the
answer was made (`checker`), the question's `split` and the `corpus`, and `supported: null` for the label.
Rows are appended as they come; questions already in the file are skipped, so a run can be resumed and
labels already given are kept.

`report` gives the checker's precision and recall of "supported" on the labelled rows: as it judged them in
the answer (`checker`), and re-judged against the one cited passage, for all rows and for each split. With `--judge`, the LLM judge (the
configured endpoint, else the local model) answers a yes/no support question for each row
(`SUPPORT_PROMPT`), and its agreement with the labels is reported beside the checker's.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eval.corpora import CORPORA, materialise
from eval.dataset import load
from eval.sets import MEASURE_ONLY, PLAN
from eval.suite import open_assistant
from rag.settings import Settings
from rag.types import Answer, Passage

SUPPORT_PROMPT = """Passage from a news article:
{passage}

Claim: {sentence}

Does the passage say what the claim says, with the same people doing the same things, and the same \
names and figures? Answer with one word: yes or no."""


def cited_passage(answer: Answer, n: int) -> Passage | None:
    """The retrieved passage that holds citation `n` of `answer`."""
    c = next((c for c in answer.citations if c.n == n), None)
    if c is None:
        return None
    return next((p for p in answer.passages if p.doc_id == c.doc_id and p.start <= c.start and c.end <= p.end), None)


def rows_of(answer: Answer, mode: str, question_id: str, split: str | None = None,
            corpus: str = "seeds") -> list[dict]:
    """One row per answer sentence that cites a passage."""
    rows = []
    for i, s in enumerate(answer.sentences):
        passage = cited_passage(answer, s.citations[0]) if s.citations else None
        if passage is None:
            continue
        rows.append({"id": f"{question_id}-{i}", "question": answer.question, "sentence": s.text,
                     "passage": passage.text, "doc_id": passage.doc_id, "mode": mode, "checker": s.supported,
                     "supported": None, "kind": f"{mode}-answer", "note": "", "split": split, "corpus": corpus})
    return rows


def collect(args: argparse.Namespace) -> int:
    out = Path(args.out)
    labelled = {}
    if out.is_file():
        for line in out.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                labelled[(row["question"], row["sentence"])] = row
    settings = materialise(args.corpus).settings(Settings.from_env()).replace(mode=args.mode)
    # the sets kept for measuring are left out: labelling their answers would spend them (`--questions` still can)
    plan = [(name, path) for name, path, corpora in PLAN if args.corpus in corpora and name not in MEASURE_ONLY]
    if args.questions:
        plan = [(Path(args.questions).stem, Path(args.questions))]
    assistant = open_assistant(settings, sync=True)
    done = {row["question"] for row in labelled.values()}  # asked by an earlier, interrupted run
    count = len(labelled)
    with out.open("a", encoding="utf-8") as sink:  # row by row: an interrupted run keeps what it collected
        for name, path in plan:
            if not Path(path).is_file():
                continue
            for q in load(Path(path), args.split):
                if q.question in done:
                    continue
                try:
                    answer = assistant.ask(q.question)
                except Exception as exc:  # noqa: BLE001 - one failed question must not lose the others
                    print(f"{q.id}: {type(exc).__name__}: {exc}", file=sys.stderr)
                    continue
                for row in rows_of(answer, args.mode, q.id, q.split, args.corpus):
                    if (row["question"], row["sentence"]) not in labelled:
                        sink.write(json.dumps(row, ensure_ascii=False) + "\n")
                        count += 1
                sink.flush()
                print(f"{q.id}: {count} sentences so far", file=sys.stderr)
    print(f"{count} sentences in {out}")
    return 0


def report(args: argparse.Namespace) -> int:
    from eval.metrics.checker import Pair, _scores
    from eval.metrics.faithfulness import checker_judge
    from rag.chunk import sentence_tokenizer
    from rag.analyse import Analyser
    from rag.cite import CitationChecker
    from rag.embed import load_embedder
    from rag.types import Span

    rows = [json.loads(line) for line in Path(args.file).read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("supported") is not None]
    if not rows:
        print(f"error: no labelled rows in {args.file}: set each row's \"supported\" to true or false first",
              file=sys.stderr)
        return 2
    settings = Settings.from_env()
    tokenizer = sentence_tokenizer()
    pairs = []
    for r in rows:
        spans = tuple(Span(a, b) for a, b in tokenizer.span_tokenize(r["passage"]))
        passage = Passage(r["id"], r["doc_id"], "", None, r["passage"], 0, len(r["passage"]), spans, 0.0)
        pairs.append(Pair(r["id"], r["sentence"], passage, bool(r["supported"]), r["kind"]))
    checker = CitationChecker(load_embedder(settings), Analyser())
    verdicts = {"checker_in_answer": [bool(r["checker"]) for r in rows],
                "checker_one_passage": checker_judge(checker)([(p.sentence, [p.passage]) for p in pairs])}
    if args.judge:
        verdicts["judge"], (judge_mode, judge_p50) = _judge(settings, pairs)
    parts = {"all": list(range(len(rows)))}
    for split in sorted({r.get("split") for r in rows if r.get("split")}, reverse=True):  # tune, heldout
        parts[split] = [i for i, r in enumerate(rows) if r.get("split") == split]
    result: dict[str, object] = {}
    for part, idx in parts.items():
        chosen = [pairs[i] for i in idx]
        scores = {"rows": len(idx), "labelled_supported": sum(p.supported for p in chosen)}
        for name, v in verdicts.items():
            scores[name] = _scores(chosen, [v[i] for i in idx])
        if part == "all":
            result.update(scores)
            if args.judge:
                result["judge"] = {"mode": judge_mode, **result["judge"], "p50_seconds": judge_p50}
        else:
            result.setdefault("by_split", {})[part] = scores
    print(json.dumps(result, indent=1))
    return 0


def _judge(settings: Settings, pairs: list) -> tuple[list[bool], tuple[str, float]]:
    """The LLM judge's yes/no verdict on each pair (an unreadable reply counts as "no"), its mode and p50 seconds."""
    import time

    from eval.suite import judge_model

    mode = "openai" if settings.endpoint_configured else "local"
    chat = judge_model(settings.replace(llm_max_tokens=16))
    verdicts, seconds = [], []
    for p in pairs:
        started = time.perf_counter()
        reply = chat.complete([{"role": "user", "content": SUPPORT_PROMPT.format(
            passage=p.passage.text, sentence=p.sentence)}])
        seconds.append(time.perf_counter() - started)
        verdicts.append(reply.strip().lower().startswith("yes"))
    seconds.sort()
    return verdicts, (mode, round(seconds[len(seconds) // 2], 2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect", help="answer the questions and write one row per cited answer sentence")
    c.add_argument("--mode", default="local", choices=["local", "openai"])
    c.add_argument("--split", default="tune", choices=["all", "tune", "heldout"])
    c.add_argument("--corpus", default="seeds", choices=list(CORPORA), help="the corpus (default seeds)")
    c.add_argument("--questions", help="only this question set (default: every set that runs on the corpus)")
    c.add_argument("--out", required=True)
    r = sub.add_parser("report", help="the checker's (and the judge's) precision and recall on labelled rows")
    r.add_argument("file")
    r.add_argument("--judge", action="store_true", help="also ask the LLM judge about each row")
    args = parser.parse_args(argv)
    return collect(args) if args.command == "collect" else report(args)


if __name__ == "__main__":
    sys.exit(main())
