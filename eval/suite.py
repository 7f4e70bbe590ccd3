"""The evaluation suite: every question through each system, scored by every metric.

Systems: `newsqa:<mode>` for each mode asked for, and the plain-LlamaIndex baseline on the same
Chroma data (`llamaindex:dense`, plus `llamaindex:citation-query-engine` when an LLM mode is run).
Each system's metrics are pooled over all its questions, and again over each split ("tune",
"heldout") and each kind.
"""
from __future__ import annotations

import hashlib
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from tqdm import tqdm

from eval.baseline import LlamaIndexBaseline
from eval.cache import CachedEmbedder
from eval.bench.measure import nearest_rank
from eval.dataset import SPLITS, Question, load
from eval.metrics import checker as checker_metric
from eval.metrics.citations import AlceCounts, SupportJudge, alce, validity
from eval.metrics.consistency import consistent_groups
from eval.metrics.correctness import correct, coverage, lead_correct, nearest_correct, yes_no_stated
from eval.metrics.faithfulness import checker_judge, llm_judged, offline
from eval.metrics.refusal import refusal_scores
from eval.metrics.retrieval import article_rank, gold_spans, mrr, passage_rank, recall_at
from rag.answer import make_chat_model
from rag.cite import CitationChecker
from rag.embed import load_embedder
from rag.errors import ConfigError, IndexMismatchError
from rag.index import build_index
from rag.llm import ChatModel
from rag.pipeline import Assistant
from rag.settings import Settings
from rag.types import Answer

Ask = Callable[[str], Answer]


def judge_model(settings: Settings) -> ChatModel:
    """The LLM judge: the configured endpoint's model, else the installed local model (`rag models install`),
    even when RAG_LOCAL_MODEL picks another model to answer (SmolLM2, say), so every system has the same judge."""
    from rag.answer import make_chat_model
    from rag.models import qwen_path

    if settings.endpoint_configured:
        settings = settings.replace(mode="openai")
    else:
        installed = qwen_path(settings)
        settings = settings.replace(mode="local", local_model=installed if installed.is_file() else settings.local_model)
    judge = make_chat_model(settings)
    assert judge is not None
    return judge


def open_assistant(settings: Settings, sync: bool = False) -> Assistant:
    """The assistant to evaluate. With `sync`, the index is the evaluation's own: it is brought in line with
    `settings.corpus`, and remade when it was built with another embedding model."""
    try:
        assistant = Assistant(settings)
    except IndexMismatchError:
        if not sync:
            raise
        build_index(settings, load_embedder(settings), rebuild=True)  # the evaluation's own index: remade
        assistant = Assistant(settings)
    if sync:
        assistant.reindex()
    return assistant


def run(settings: Settings, modes: Sequence[str], questions_path: Path, *, baseline: bool = True,
        judge: bool = False, progress: bool = True, sync: bool = False, split: str = "all",
        assistant: Assistant | None = None, calibrate: bool = True) -> dict[str, object]:
    """Evaluate each mode (and the baseline) on the question set; returns the results as JSON-ready data.

    With `sync`, the index is first brought in line with `settings.corpus`; with `split` "tune" or
    "heldout", only that split's questions are asked; an open `assistant` is reused as it is.
    Raises:
        ConfigError: the question set names articles that are not in the index.
    """
    questions = load(questions_path, split)
    if not questions:
        raise ConfigError(f"No questions in {questions_path}" + (f" in split {split}." if split != "all" else "."))
    assistant = assistant or open_assistant(settings, sync)
    originals = {a.doc_id: assistant.article_text(a.doc_id) or "" for a in assistant.articles()}
    missing = sorted({d for q in questions for d in q.doc_ids} - set(originals))
    if missing:
        raise ConfigError(
            f"The question set names {len(missing)} article(s) not in the index at {settings.index_dir} "
            f"(e.g. {missing[0]}). Index the articles it was written for (RAG_CORPUS, RAG_INDEX_DIR) and run again.")
    checker = CitationChecker(CachedEmbedder(assistant.embedder), assistant.reader.analyser)  # spans recur
    support = checker_judge(checker)
    judge_chat = judge_model(settings) if judge else None
    suffix = "+strict" if settings.strict else ""
    systems: dict[str, Ask] = {f"newsqa:{m}{suffix}": streamed(assistant, m, settings.top_k) for m in modes}
    skipped = None
    if baseline and not assistant.index.vectors.documents:
        skipped = (f"the plain-LlamaIndex baseline reads chunk texts from Chroma, and the index at {settings.index_dir} "
                   "keeps none there: it is left out (`RAG_CHROMA_DOCUMENTS=true rag index --rebuild` includes it)")
        print(f"note: {skipped}.", file=sys.stderr)
        baseline = False
    if baseline:
        plain = LlamaIndexBaseline(assistant, settings.top_k, originals)
        systems[plain.DENSE] = plain.ask
        llm_mode = next((m for m in modes if m in ("local", "openai")), None)
        if llm_mode:
            chat = make_chat_model(settings.replace(mode=llm_mode))
            systems[plain.CITED] = plain.citation_engine(chat.endpoint)  # type: ignore[union-attr]
    results = {
        "dataset": {"path": shown(questions_path), "sha256": hashlib.sha256(Path(questions_path).read_bytes()).hexdigest(),
                    "questions": len(questions), "answerable": sum(q.answerable for q in questions),
                    "kinds": dict(sorted(Counter(q.kind for q in questions).items())), "split": split,
                    "splits": {s: sum(q.split == s for q in questions) for s in SPLITS}},
        "settings": {"top_k": settings.top_k, "strict": settings.strict, "embed_model": settings.embed_model,
                     "llm_model": settings.llm_model if "openai" in modes else None},
        "systems": {},
        "baseline_skipped": skipped,
    }
    for name, ask in systems.items():
        results["systems"][name] = evaluate(name, ask, questions, originals, support, judge_chat, settings.top_k,
                                            progress=progress)
    results["checker_calibration"] = None
    if calibrate:
        try:  # the labelled pairs quote the seed articles: calibrate only where they are indexed
            results["checker_calibration"] = checker_metric.calibrate(checker_metric.load_pairs(originals), checker)
        except ValueError:
            pass
    return results


def streamed(assistant: Assistant, mode: str, top_k: int) -> Ask:
    """Ask as the chat and `rag ask --stream` do, so the Answer's timing holds the time to its first words."""
    def ask(question: str) -> Answer:
        return assistant.respond(question, mode=mode, top_k=top_k).answer()
    return ask


def evaluate(name: str, ask: Ask, questions: Sequence[Question], originals: dict[str, str], support: SupportJudge,
             judge_chat: ChatModel | None, k: int, *, progress: bool = True) -> dict[str, object]:
    """One system over every question: per-question rows, the pooled metrics, the same for each split
    (with counts), and answer correctness by kind."""
    rows = []
    for q in tqdm(questions, desc=f"{name:<36}", unit="q", file=sys.stderr, disable=None if progress else True):
        started = time.perf_counter()
        try:
            answer, error = ask(q.question), None
        except Exception as exc:  # noqa: BLE001 - one failed question must not lose the whole run
            error = f"{type(exc).__name__}: {exc}"
            answer = Answer(q.question, f"(error) {error}", False, name, (), (), (), reason=error)
        seconds = time.perf_counter() - started
        rows.append({**_row(q, answer, originals, support, judge_chat, seconds), "error": error})
    splits = {s: [r for r in rows if r["split"] == s] for s in SPLITS}
    return {"metrics": _pool(rows, k), "counts": tally(rows),
            "splits": {s: {"metrics": _pool(part, k), "counts": tally(part)} for s, part in splits.items() if part},
            "kinds": _kinds(rows), "questions": rows}


def _row(q: Question, answer: Answer, originals: dict[str, str], support: SupportJudge,
         judge_chat: ChatModel | None, seconds: float) -> dict[str, object]:
    valid, total = validity(answer, originals)
    counts = alce(answer, support)
    faithful = offline(answer, support)
    judged = llm_judged(answer, judge_chat) if judge_chat else None
    return {
        "id": q.id, "group": q.group, "split": q.split, "kind": q.kind, "question": q.question,
        "answerable": q.answerable, "expected": [alts[0] for alts in q.key_facts], "expected_yes_no": q.expected,
        "answered": answer.answered, "correct": correct(q, answer), "yes_no_stated": yes_no_stated(q, answer),
        "lead_correct": lead_correct(q, answer), "nearest_correct": nearest_correct(q, answer),
        "fact_coverage": round(coverage(q, answer), 3) if q.answerable else None,
        "article_rank": article_rank(answer.passages, q.doc_ids) if q.answerable else None,
        "passage_rank": passage_rank(answer.passages, gold_spans(q, originals)) if q.answerable else None,
        "citations_valid": valid, "citations_total": total, "alce": counts.__dict__,
        "faithful": list(faithful), "llm_judged": list(judged) if judged else None,
        "seconds": round(seconds, 3), "answer": answer.text,
        "first_words_seconds": round(answer.timing.first_words if answer.timing else seconds, 3),
    }


def _pool(rows: list[dict], k: int) -> dict[str, float | None]:
    answerable = [r for r in rows if r["answerable"]]
    a_ranks = [r["article_rank"] for r in answerable]
    p_ranks = [r["passage_rank"] for r in answerable]
    counts = sum((AlceCounts(**r["alce"]) for r in rows), AlceCounts())
    supported, claims = (sum(r["faithful"][i] for r in rows) for i in (0, 1))
    judged = [r["llm_judged"] for r in rows if r["llm_judged"]]
    first_words = sorted(r.get("first_words_seconds", r["seconds"]) for r in rows)  # reports older than streaming: the whole answer
    valid, total = (sum(r[key] for r in rows) for key in ("citations_valid", "citations_total"))
    n = tally(rows)
    return {
        "article_recall@1": _round(recall_at(a_ranks, 1)), f"article_recall@{k}": _round(recall_at(a_ranks, k)),
        "article_mrr": _round(mrr(a_ranks)),
        f"passage_recall@{k}": _round(recall_at(p_ranks, k)), "passage_mrr": _round(mrr(p_ranks)),
        "answer_correct": _round(n["answerable_correct"] / max(n["answerable"], 1)),
        "fact_coverage": _round(statistics.mean(r["fact_coverage"] for r in answerable)) if answerable else None,
        **{key: None if v is None else _round(v) for key, v in refusal_scores(
            [r["answerable"] for r in rows], [not r["answered"] for r in rows]).items()},
        "unanswerable_correct": _share(n["unanswerable_correct"], n["unanswerable"]),
        "yes_no_stated": _share(n["yes_no_stated"], n["yes_no"]),
        "lead_correct": _share(n["lead_correct"], n["one_sentence"]),
        "nearest_correct": _share(n["nearest_correct"], n["answerable_refused"]),
        "paraphrase_consistency": _share(n["paraphrase_consistent"], n["paraphrase_groups"]),
        "citation_validity": _round(valid / total) if total else None,
        "citation_recall": _round(counts.covered / counts.claims) if counts.claims else None,
        "citation_precision": _round(counts.precise / counts.citations) if counts.citations else None,
        "faithfulness_offline": _round(supported / claims) if claims else None,
        "faithfulness_llm": _round(sum(j[0] for j in judged) / max(sum(j[1] for j in judged), 1)) if judged else None,
        "llm_judged_answers": len(judged) if judged else None,
        "errors": sum(bool(r.get("error")) for r in rows),
        "p50_seconds": _round(statistics.median(r["seconds"] for r in rows)),
        "p95_seconds": _round(nearest_rank(sorted(r["seconds"] for r in rows), 0.95)),
        "p50_first_words_seconds": _round(statistics.median(first_words)),
        "p95_first_words_seconds": _round(nearest_rank(first_words, 0.95)),
    }


def tally(rows: list[dict]) -> dict[str, int]:
    """What the shares are shares of: questions, and how many of each kind were right."""
    unanswerable = [r for r in rows if not r["answerable"]]
    stated = [r["yes_no_stated"] for r in rows if r.get("yes_no_stated") is not None]
    lead = [r["lead_correct"] for r in rows if r.get("lead_correct") is not None]  # reports before it have none
    nearest = [r["nearest_correct"] for r in rows if r.get("nearest_correct") is not None]  # likewise
    consistent, groups = consistent_groups((r.get("group", r["id"]), r["correct"]) for r in rows)
    return {
        "questions": len(rows), "answerable": len(rows) - len(unanswerable),
        "answerable_correct": sum(r["correct"] for r in rows if r["answerable"]),
        "unanswerable": len(unanswerable), "unanswerable_refused": sum(not r["answered"] for r in unanswerable),
        "unanswerable_correct": sum(r["correct"] for r in unanswerable),
        "yes_no": len(stated), "yes_no_stated": sum(stated),
        "one_sentence": len(lead), "lead_correct": sum(lead),
        "answerable_refused": len(nearest), "nearest_correct": sum(nearest),
        "paraphrase_groups": groups, "paraphrase_consistent": consistent,
    }


def _kinds(rows: list[dict]) -> dict[str, dict[str, object]]:
    """Answer correctness by kind (a refusal for the unanswerable kinds), over all questions and each split."""
    out = {}
    for kind in sorted({r["kind"] for r in rows}):
        of_kind = [r for r in rows if r["kind"] == kind]
        entry: dict[str, object] = {"questions": len(of_kind), "correct": sum(r["correct"] for r in of_kind),
                                    "answer_correct": _share(sum(r["correct"] for r in of_kind), len(of_kind))}
        for s in SPLITS:
            part = [r["correct"] for r in of_kind if r["split"] == s]
            entry[s] = _share(sum(part), len(part))
        out[kind] = entry
    return out


def _share(part: int, whole: int) -> float | None:
    return _round(part / whole) if whole else None


def shown(path: Path) -> str:
    """The path relative to the working folder when it lies below it (reports travel between machines)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _round(x: float) -> float:
    return round(float(x), 3)
