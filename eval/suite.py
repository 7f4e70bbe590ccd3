"""The evaluation suite: every question through each system, scored by every metric.

Systems: `newsqa:<mode>` for each mode asked for, and the plain-LlamaIndex baseline on the same
Chroma data (`llamaindex:dense`, plus `llamaindex:citation-query-engine` when an LLM mode is run).
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
from eval.dataset import Question, load
from eval.metrics import checker as checker_metric
from eval.metrics.citations import AlceCounts, SupportJudge, alce, validity
from eval.metrics.correctness import correct, coverage
from eval.metrics.faithfulness import checker_judge, llm_judged, offline
from eval.metrics.refusal import refusal_scores
from eval.metrics.retrieval import article_rank, gold_spans, mrr, passage_rank, recall_at
from rag.answer import make_chat_model
from rag.cite import CitationChecker
from rag.embed import load_embedder
from rag.errors import ConfigError, IndexMismatchError
from rag.index import build_index
from rag.llm import ChatModel, openai_endpoint
from rag.pipeline import Assistant
from rag.settings import Settings
from rag.types import Answer

Ask = Callable[[str], Answer]


def run(settings: Settings, modes: Sequence[str], questions_path: Path, *, baseline: bool = True,
        judge: bool = False, progress: bool = True, sync: bool = False) -> dict[str, object]:
    """Evaluate each mode (and the baseline) on the question set; returns the results as JSON-ready data.

    With `sync`, the index is first brought in line with `settings.corpus`.
    Raises:
        ConfigError: the question set names articles that are not in the index.
    """
    questions = load(questions_path)
    try:
        assistant = Assistant(settings)
    except IndexMismatchError:
        if not sync:
            raise
        build_index(settings, load_embedder(settings), rebuild=True)  # the evaluation's own index: remade
        assistant = Assistant(settings)
    if sync:
        assistant.reindex()
    originals = {a.doc_id: assistant.article_text(a.doc_id) or "" for a in assistant.articles()}
    missing = sorted({d for q in questions for d in q.doc_ids} - set(originals))
    if missing:
        raise ConfigError(
            f"The question set names {len(missing)} article(s) not in the index at {settings.index_dir} "
            f"(e.g. {missing[0]}). Index the articles it was written for (RAG_CORPUS, RAG_INDEX_DIR) and run again.")
    checker = CitationChecker(CachedEmbedder(assistant.embedder))  # the same spans recur across questions
    support = checker_judge(checker)
    judge_chat = ChatModel(openai_endpoint(settings), settings) if judge else None
    suffix = "+strict" if settings.strict else ""
    systems: dict[str, Ask] = {
        f"newsqa:{m}{suffix}": (lambda q, m=m: assistant.ask(q, mode=m, top_k=settings.top_k)) for m in modes}
    if baseline:
        plain = LlamaIndexBaseline(assistant, settings.top_k, originals)
        systems[plain.DENSE] = plain.ask
        llm_mode = next((m for m in modes if m in ("local", "openai")), None)
        if llm_mode:
            chat = make_chat_model(settings.replace(mode=llm_mode))
            systems[plain.CITED] = plain.citation_engine(chat.endpoint)  # type: ignore[union-attr]
    results = {
        "dataset": {"path": _shown(questions_path), "sha256": hashlib.sha256(Path(questions_path).read_bytes()).hexdigest(),
                    "questions": len(questions), "answerable": sum(q.answerable for q in questions),
                    "kinds": dict(sorted(Counter(q.kind for q in questions).items()))},
        "settings": {"top_k": settings.top_k, "strict": settings.strict, "embed_model": settings.embed_model,
                     "llm_model": settings.llm_model if "openai" in modes else None},
        "systems": {},
    }
    for name, ask in systems.items():
        results["systems"][name] = evaluate(name, ask, questions, originals, support, judge_chat, settings.top_k,
                                            progress=progress)
    try:  # the labelled pairs quote the seed articles: calibrate only where they are indexed
        results["checker_calibration"] = checker_metric.calibrate(checker_metric.load_pairs(originals), checker)
    except ValueError:
        results["checker_calibration"] = None
    return results


def evaluate(name: str, ask: Ask, questions: Sequence[Question], originals: dict[str, str], support: SupportJudge,
             judge_chat: ChatModel | None, k: int, *, progress: bool = True) -> dict[str, object]:
    """One system over every question: per-question rows and the pooled metrics."""
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
    return {"metrics": _pool(rows, k), "questions": rows}


def _row(q: Question, answer: Answer, originals: dict[str, str], support: SupportJudge,
         judge_chat: ChatModel | None, seconds: float) -> dict[str, object]:
    valid, total = validity(answer, originals)
    counts = alce(answer, support)
    faithful = offline(answer, support)
    judged = llm_judged(answer, judge_chat) if judge_chat else None
    return {
        "id": q.id, "kind": q.kind, "question": q.question, "answerable": q.answerable,
        "expected": [alts[0] for alts in q.key_facts], "answered": answer.answered, "correct": correct(q, answer),
        "fact_coverage": round(coverage(q, answer), 3) if q.answerable else None,
        "article_rank": article_rank(answer.passages, q.doc_ids) if q.answerable else None,
        "passage_rank": passage_rank(answer.passages, gold_spans(q, originals)) if q.answerable else None,
        "citations_valid": valid, "citations_total": total, "alce": counts.__dict__,
        "faithful": list(faithful), "llm_judged": list(judged) if judged else None,
        "seconds": round(seconds, 3), "answer": answer.text,
    }


def _pool(rows: list[dict], k: int) -> dict[str, float | None]:
    answerable = [r for r in rows if r["answerable"]]
    a_ranks = [r["article_rank"] for r in answerable]
    p_ranks = [r["passage_rank"] for r in answerable]
    counts = sum((AlceCounts(**r["alce"]) for r in rows), AlceCounts())
    supported, claims = (sum(r["faithful"][i] for r in rows) for i in (0, 1))
    judged = [r["llm_judged"] for r in rows if r["llm_judged"]]
    valid, total = (sum(r[key] for r in rows) for key in ("citations_valid", "citations_total"))
    return {
        "article_recall@1": _round(recall_at(a_ranks, 1)), f"article_recall@{k}": _round(recall_at(a_ranks, k)),
        "article_mrr": _round(mrr(a_ranks)),
        f"passage_recall@{k}": _round(recall_at(p_ranks, k)), "passage_mrr": _round(mrr(p_ranks)),
        "answer_correct": _round(sum(r["correct"] for r in answerable) / max(len(answerable), 1)),
        "fact_coverage": _round(statistics.mean(r["fact_coverage"] for r in answerable)) if answerable else None,
        **{key: None if v is None else _round(v) for key, v in refusal_scores(
            [r["answerable"] for r in rows], [not r["answered"] for r in rows]).items()},
        "citation_validity": _round(valid / total) if total else None,
        "citation_recall": _round(counts.covered / counts.claims) if counts.claims else None,
        "citation_precision": _round(counts.precise / counts.citations) if counts.citations else None,
        "faithfulness_offline": _round(supported / claims) if claims else None,
        "faithfulness_llm": _round(sum(j[0] for j in judged) / max(sum(j[1] for j in judged), 1)) if judged else None,
        "llm_judged_answers": len(judged) if judged else None,
        "errors": sum(bool(r.get("error")) for r in rows),
        "p50_seconds": _round(statistics.median(r["seconds"] for r in rows)),
    }


def _shown(path: Path) -> str:
    """The path relative to the working folder when it lies below it (reports travel between machines)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _round(x: float) -> float:
    return round(float(x), 3)
