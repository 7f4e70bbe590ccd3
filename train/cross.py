"""Train a cross-encoder: the bundled MiniLM reading a question and a sentence together, scoring whether it answers.

`ask` reads it through `rag.rerank` (docs/tuning-log.md, "The cross-encoder in `ask`"), from the int8
ONNX export this module writes (`--onnx`).

The pairs come from `train/data/lee-human-questions.jsonl`: 3,300 questions about the Lee articles 0-149 written by
helper sessions reading the articles, never the evaluation sets, in the ways people ask (reworded, typed into a
search box, a person described by role, why and how, yes-no) with the number of the sentence that answers (1,950),
and near misses the article does not answer (1,350; 750 of them, the third round, written to look answered by one
sentence, their "decoy"); and from `train/data/lee-broad-questions.jsonl`: 600 broad ones ("What happened at Hill
Top?") with the sentence that says what happened. For an answerable question the positive is its sentence; the
negatives are two of the article's sentences nearest to it by the embedding (hard negatives), two more at random and
the two best BM25 hits in other articles, never a copy of the answering sentence there (the Lee corpus carries some
stories twice; the shipped weights were trained before that rule, docs/tuning-log.md). A near miss gets its decoy and
its article's nearest sentences, four in all, and the BM25 hits, all negative. A broad question is answered by many of
its article's sentences, so its four negatives come from other articles: the two best BM25 hits and two at random. The
model is MiniLM's encoder over "question [SEP] sentence", mean-pooled as the sentence encoder was trained, with a linear
score, fitted with binary cross-entropy (AdamW, learning rate 5e-5, warm-up a tenth, two epochs of batches of 32: 24,528
pairs, about 30 minutes on 2 cores).

A fourth model, not shipped (docs/tuning-log.md, "Facts told in passing"), adds
`train/data/lee-passing-questions.jsonl`: 721 questions answered by a fact told in passing, each listing in "also" every
other sentence of its article that answers it (positives too, never negatives), and relabels as positives the negatives
that helpers judged to answer (`train/data/lee-judged-negatives.jsonl`, `relabel`): 29,537 pairs, about 40 minutes. A
fifth, not shipped either, adds to those the 971 near misses of `python -m train.swap --out FILE` (a name swapped for
another of its kind): 5,592 questions, 33,394 pairs, about 35 minutes. A sixth, not shipped, adds to the fifth's the 371
questions with an echo as their decoy (`train/data/lee-echo-questions.jsonl`): 5,963 questions, 36,019 pairs, about 36
minutes.

A seventh (docs/tuning-log.md, "A cross-encoder that reads the sentence before"), `--context`: the shipped recipe with
each sentence read with the start of the one before it ("sentence [SEP] previous", as `rag.rerank` reads it when the
ONNX file's metadata says so), so that "They occurred in the middle of a residential area…" can answer a question
about the strikes the sentence before names; and the sentence after each answer, which then reads the answer as its
context, as one more negative: 26,223 pairs, about 31 minutes. Exporting its torch weights again (`--from`) needs
`--context` again, or the file will not say that the model reads the sentence before.

    python -m train.cross --onnx                      # train, and write rag/weights/cross-encoder.onnx
    python -m train.cross --out ce.pt --onnx out.onnx # keep the torch weights too; --from ce.pt exports them again
    # the fourth model: --questions train/data/lee-{human,broad,passing}-questions.jsonl
    #                   --judged train/data/lee-judged-negatives.jsonl
    # the fifth: the fourth's, with the file train.swap wrote added to --questions
    # the sixth: the fifth's, with train/data/lee-echo-questions.jsonl added to --questions
    # the seventh: the shipped recipe with --context
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.embed import Embedder, bundled_model_path, load_embedder
from rag.rerank import CONTEXT_KEY, CONTEXT_VALUE, MAX_TOKENS, WEIGHTS, with_previous  # one format for training, `ask`
from rag.settings import Settings
from train.questions import article_sentences

if TYPE_CHECKING:
    import bm25s

HUMAN_QUESTIONS = Path(__file__).with_name("data") / "lee-human-questions.jsonl"
# 600 broad questions ("What happened to…?", a subject typed into a search box) with the sentence that says what
# happened; many of the article's sentences answer them, so their negatives come from other articles (`_broad_pairs`)
BROAD_QUESTIONS = Path(__file__).with_name("data") / "lee-broad-questions.jsonl"
# 1,650 more, not in the shipped model: 900 in half-remembered words, 750 near misses. A model trained with them and
# the broad ones, the broad ones' negatives then from their own articles, refused worse (docs/tuning-log.md, "The
# cross-encoder in `ask`"); without the broad ones they are untried
MORE_QUESTIONS = Path(__file__).with_name("data") / "lee-human-questions-more.jsonl"
# 721 questions answered by a fact told in passing (a clause of a sentence about something else: "...after an
# airstrike in Beirut killed Hezbollah leader Hassan Nasrallah"), 161 of them yes-no, 149 about a fact told twice,
# and 134 near misses about a thing mentioned in passing; each answerable one lists in "also" every other sentence
# of its article that answers it, so that none of them is taught as a wrong answer
PASSING_QUESTIONS = Path(__file__).with_name("data") / "lee-passing-questions.jsonl"
# negatives a helper judged, read with the sentence before: those that do answer (a fact told twice, a copy of the
# story in another article, a pronoun's sentence) are relabelled positive (`relabel`)
JUDGED_NEGATIVES = Path(__file__).with_name("data") / "lee-judged-negatives.jsonl"
# answerable questions, each with an echo of its own article as its "decoy": a sentence that says the thing asked
# about happened ("…the warnings Hochstein delivered to Hezbollah") without what was asked (what he warned), the
# answer the last three models took for one (docs/tuning-log.md, "A sixth model")
ECHO_QUESTIONS = Path(__file__).with_name("data") / "lee-echo-questions.jsonl"
NEAREST_NEGATIVES = 2  # of the article's sentences nearest the question (all four for a near miss)
RANDOM_NEGATIVES = 2
BM25_NEGATIVES = 2
MIN_WORDS = 4  # shorter sentences are never negatives


@dataclass(frozen=True)
class Pair:
    question: str
    sentence: str
    label: float


def read_rows(path: Path) -> list[dict]:
    """The rows of a JSON-lines file: question rows (doc_id, sentence: a number or null for a near miss, question,
    style) or judged negatives (question, sentence, answers)."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def make_pairs(rows: list[dict], sentences: dict[str, list[str]], embedder: Embedder, seed: int = 7) -> list[Pair]:
    """Positive and negative pairs (see the module's docstring)."""
    import bm25s

    rng = random.Random(seed)
    # the broad questions' own generator (any seed apart from `seed`; 11 trained the shipped weights), so adding them
    # leaves the other questions' pairs as they were
    broad_rng = random.Random(seed + 4)
    corpus = [(doc, text) for doc, texts in sentences.items() for text in texts]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([t for _, t in corpus], stopwords="en", show_progress=False), show_progress=False)
    pairs: list[Pair] = []
    for row in rows:
        doc, question, answer = row["doc_id"], row["question"], row["sentence"]
        texts = sentences[doc]
        if row.get("style") == "broad":
            if answer is None:
                raise ValueError(f"the broad question {question!r} ({doc}) names no sentence: a broad question needs "
                                 "the sentence that says what happened (or give it another style)")
            pairs.extend(_broad_pairs(row, texts[answer], corpus, retriever, broad_rng))
            continue
        # "also": the article's other sentences that answer it on their own, positives too and never negatives
        answering = [] if answer is None else [answer, *row.get("also", [])]
        pairs.extend(Pair(question, texts[k], 1.0) for k in answering)
        own = [k for k, t in enumerate(texts) if k not in answering and len(t.split()) >= MIN_WORDS]
        if own:
            vectors = embedder.embed([question] + [texts[k] for k in own])
            nearest = [own[k] for k in np.argsort(-(vectors[1:] @ vectors[0]))]
            near = nearest[: NEAREST_NEGATIVES if answer is not None else NEAREST_NEGATIVES + RANDOM_NEGATIVES]
            decoy = row.get("decoy")  # the sentence a near miss was written to look answered by
            if decoy is not None and decoy in own and decoy not in near:
                near = [decoy, *near[:-1]]
            rest = [k for k in own if k not in near]
            chosen = near + (rng.sample(rest, min(RANDOM_NEGATIVES, len(rest))) if answer is not None else [])
            pairs.extend(Pair(question, texts[k], 0.0) for k in chosen)
        if row.get("style") == "swapped":  # made by `train.swap` with a name from another article, which may answer it
            continue
        others = _other_articles_hits(question, doc, {texts[k] for k in answering}, corpus, retriever,
                                      k=10)[:BM25_NEGATIVES]
        pairs.extend(Pair(question, text, 0.0) for text in others)
    return pairs


def with_context(pairs: list[Pair], rows: list[dict], sentences: dict[str, list[str]]) -> list[Pair]:
    """Each pair's sentence with the sentence before it in its article; and, for every question with an answering
    sentence, the sentence after it as a negative (it reads the answer as its context, and must not score as one)."""
    previous: dict[str, str] = {}
    for texts in sentences.values():
        for k, text in enumerate(texts):
            previous.setdefault(text, texts[k - 1] if k else "")
    out = [Pair(p.question, with_previous(p.sentence, previous.get(p.sentence, "")), p.label) for p in pairs]
    for row in rows:
        answer = row["sentence"]
        if answer is None or row.get("style") == "broad":
            continue
        texts = sentences[row["doc_id"]]
        after = answer + 1
        if after < len(texts) and after not in row.get("also", []) and len(texts[after].split()) >= MIN_WORDS:
            out.append(Pair(row["question"], with_previous(texts[after], texts[answer]), 0.0))
    return out


def relabel(pairs: list[Pair], judged: list[dict]) -> list[Pair]:
    """The pairs with every negative that a judgement row ({"question", "sentence", "answers"}) says answers made a
    positive; the others as they were."""
    answers = {(row["question"], row["sentence"]) for row in judged if row["answers"]}
    return [Pair(p.question, p.sentence, 1.0) if (p.question, p.sentence) in answers else p for p in pairs]


def _broad_pairs(row: dict, answer_text: str, corpus: list[tuple[str, str]], retriever: bm25s.BM25,
                 rng: random.Random) -> list[Pair]:
    """A broad question ("What happened to…?") is answered by many of its article's sentences, so its negatives come
    from other articles only: the two best BM25 hits and two at random, none the answer's own text."""
    doc, question = row["doc_id"], row["question"]
    others = _other_articles_hits(question, doc, {answer_text}, corpus, retriever, k=20)
    drawn: list[str] = []
    for _ in range(10):  # a draw of six almost always gives two; a small corpus may need more
        drawn += [text for d, text in rng.sample(corpus, min(len(corpus), 3 * RANDOM_NEGATIVES))
                  if d != doc and len(text.split()) >= MIN_WORDS and text != answer_text and text not in drawn]
        if len(drawn) >= RANDOM_NEGATIVES:
            break
    negatives = others[:BM25_NEGATIVES] + drawn[:RANDOM_NEGATIVES]
    return [Pair(question, answer_text, 1.0)] + [Pair(question, text, 0.0) for text in negatives]


def _other_articles_hits(question: str, doc: str, positives: set[str], corpus: list[tuple[str, str]],
                         retriever: bm25s.BM25, k: int) -> list[str]:
    """BM25's best `k` sentences for the question that lie in other articles than `doc`, best first, never a copy of
    an answering sentence (the Lee corpus carries some stories twice)."""
    import bm25s

    hits, _ = retriever.retrieve(bm25s.tokenize([question], stopwords="en", show_progress=False),
                                 k=min(k, len(corpus)), show_progress=False)
    return [corpus[int(i)][1] for i in hits[0] if corpus[int(i)][0] != doc and corpus[int(i)][1] not in positives]


class CrossEncoder:
    """MiniLM's encoder over "question [SEP] sentence", mean-pooled, and a linear score (torch, CPU)."""

    def __init__(self, path: Path | None = None) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = path or bundled_model_path()
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        encoder = AutoModel.from_pretrained(str(path))

        class Scorer(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.encoder = encoder
                self.head = torch.nn.Linear(encoder.config.hidden_size, 1)

            def forward(self, input_ids, attention_mask, token_type_ids=None):  # noqa: ANN001, ANN202
                hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                      token_type_ids=token_type_ids).last_hidden_state
                mask = attention_mask.unsqueeze(-1).float()
                return self.head((hidden * mask).sum(1) / mask.sum(1))[:, 0]

        self.model = Scorer()

    def _batch(self, questions: list[str], sentences: list[str]) -> dict:
        return self.tokenizer(questions, sentences, truncation=True, max_length=MAX_TOKENS, padding=True,
                              return_tensors="pt")

    def logits(self, questions: list[str], sentences: list[str], batch: int = 64) -> np.ndarray:
        """The score (a logit) of each (question, sentence) pair."""
        import torch

        self.model.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(questions), batch):
                out.append(self.model(**self._batch(questions[i:i + batch], sentences[i:i + batch])).numpy())
        return np.concatenate(out) if out else np.zeros(0)

    def fit(self, pairs: list[Pair], epochs: int = 2, batch: int = 32, rate: float = 5e-5, seed: int = 0) -> None:
        import torch

        torch.manual_seed(seed)
        order = random.Random(seed)
        optimiser = torch.optim.AdamW(self.model.parameters(), lr=rate, weight_decay=0.01)
        steps = epochs * -(-len(pairs) // batch)
        warm = max(1, steps // 10)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1.0, s / warm) * max(0.0, 1 - s / steps))
        loss_of = torch.nn.BCEWithLogitsLoss()
        started, step = time.perf_counter(), 0
        for _ in range(epochs):
            index = list(range(len(pairs)))
            order.shuffle(index)
            self.model.train()
            for i in range(0, len(index), batch):
                chunk = [pairs[j] for j in index[i:i + batch]]
                scores = self.model(**self._batch([p.question for p in chunk], [p.sentence for p in chunk]))
                loss = loss_of(scores, torch.tensor([p.label for p in chunk]))
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
                step += 1
                if step % 100 == 0:
                    print(f"step {step}/{steps}, loss {loss.item():.3f}, {time.perf_counter() - started:.0f} s",
                          file=sys.stderr)

    def save(self, path: Path) -> None:
        import torch

        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(self.model.state_dict(), path)

    def load(self, path: Path) -> None:
        import torch

        self.model.load_state_dict(torch.load(path))

    def export(self, path: Path, context: bool = False) -> None:
        """Write the model to `path` as ONNX quantised to int8 (dynamic quantisation of the weights), as
        `rag.rerank.CrossEncoder` reads it; `context`: it was trained on sentences read with the one before."""
        import tempfile

        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic

        self.model.eval()
        names = ["input_ids", "attention_mask", "token_type_ids"]
        example = self.tokenizer(["Who won?"], ["The home side won."], return_tensors="pt")
        with tempfile.TemporaryDirectory() as folder:
            float32 = Path(folder) / "cross-encoder-float32.onnx"
            torch.onnx.export(self.model, tuple(example[n] for n in names), str(float32), input_names=names,
                              output_names=["score"], opset_version=17, dynamo=False,
                              dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "score": {0: "batch"}})
            path.parent.mkdir(parents=True, exist_ok=True)
            quantize_dynamic(str(float32), str(path), weight_type=QuantType.QInt8)
        if context:
            mark_context(path)


def mark_context(path: Path) -> None:
    """Say in the ONNX file's metadata that its model reads "sentence [SEP] previous" (`rag.rerank`)."""
    import onnx

    model = onnx.load(str(path))
    kept = [(p.key, p.value) for p in model.metadata_props if p.key != CONTEXT_KEY]  # the quantiser's own, for one
    del model.metadata_props[:]
    for key, value in [*kept, (CONTEXT_KEY, CONTEXT_VALUE)]:
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, nargs="+", default=[HUMAN_QUESTIONS, BROAD_QUESTIONS],
                        help=f"question files (the shipped model: {HUMAN_QUESTIONS.name} and {BROAD_QUESTIONS.name}; "
                             f"the fourth model adds {PASSING_QUESTIONS.name}; {MORE_QUESTIONS.name} adds 1,650)")
    parser.add_argument("--judged", type=Path, nargs="*", default=[],
                        help=f"judged negatives to relabel (the fourth model: {JUDGED_NEGATIVES.name}; none by "
                             "default)")
    parser.add_argument("--out", type=Path, help="where to write the weights (a torch state dict)")
    parser.add_argument("--onnx", type=Path, nargs="?", const=WEIGHTS, default=None,
                        help=f"also export them to ONNX, int8 (default path {WEIGHTS}, which `ask` reads)")
    parser.add_argument("--from", dest="start", type=Path, help="export these torch weights instead of training")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--context", action="store_true",
                        help="read each sentence with the one before it (\"sentence [SEP] previous\"), and take the "
                             "sentence after an answer as a negative")
    args = parser.parse_args(argv)
    if not (args.out or args.onnx):
        parser.error("give --out, --onnx or both")
    import torch

    torch.set_num_threads(2)
    model = CrossEncoder()
    if args.start:
        model.load(args.start)
    else:
        rows = [row for path in args.questions for row in read_rows(path)]
        sentences = article_sentences()
        pairs = make_pairs(rows, sentences, load_embedder(Settings.from_env({})))
        pairs = relabel(pairs, [row for path in args.judged for row in read_rows(path)])
        if args.context:
            pairs = with_context(pairs, rows, sentences)
        print(f"{len(rows)} questions, {len(pairs)} pairs ({int(sum(p.label for p in pairs))} positive)",
              file=sys.stderr)
        model.fit(pairs, epochs=args.epochs)
    if args.out:
        model.save(args.out)
        print(f"wrote {args.out}", file=sys.stderr)
    if args.onnx:
        model.export(args.onnx, context=args.context)
        print(f"wrote {args.onnx}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
