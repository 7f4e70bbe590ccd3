"""Rerank: a cross-encoder reads the question and a sentence together and scores whether the sentence answers it.

The reader's logistic regression (`rag.read`) sees the question and a sentence only through features computed apart
(cosine of two embeddings, shared rare words, who is subject): it cannot tell "Hochstein warned Hezbollah that…" from
"Hezbollah warned Hochstein…" beyond the parser's one feature, nor that "the union boss" is the "national secretary".
The cross-encoder is the bundled MiniLM fine-tuned (`python -m train.cross`) on 3,900 questions that helper sessions
wrote in people's words about the Lee articles 0-149 (never an evaluation set), with the sentence that answers (600
of them broad, "What happened at Hill Top?") and near misses the articles do not answer. Exported to ONNX and
quantised to int8 (`rag/weights/cross-encoder.onnx`, about 23 MB), it needs onnxruntime and the bundled tokenizer,
not torch.

It reads only the reader's best few sentences (`Reader.model_score`): one pair per call, so that a pair's int8 score
never depends on the pairs read with it.
"""
from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.embed import bundled_model_path, word_pieces
from rag.errors import ConfigError
from rag.settings import Settings

WEIGHTS = Path(__file__).with_name("weights") / "cross-encoder.onnx"
MAX_TOKENS = 128  # question and sentence together, as in training (train.cross)
# A model trained with `python -m train.cross --context` says so in its ONNX metadata: it reads each sentence followed
# by the start of the one before it, as one segment ("sentence [SEP] previous"), and so must `ask`.
CONTEXT_KEY = "reads"
CONTEXT_VALUE = "sentence [SEP] previous"
CONTEXT_WORDS = 25  # of the sentence before
# One session on two threads: 8 pairs in 22 ms against 20 ms on two single-threaded sessions side by side, and one
# session fewer to load at a cold start (about 70 ms)
MAX_THREADS = 2


def with_previous(sentence: str, previous: str) -> str:
    """The second segment a context-reading model reads: the sentence, then the start of the one before it."""
    return f"{sentence} [SEP] {' '.join(previous.split()[:CONTEXT_WORDS])}"


class CrossEncoder:
    """Scores (question, sentence) pairs: a logit, higher when the sentence answers the question."""

    def __init__(self, model_dir: Path, onnx_file: Path = WEIGHTS) -> None:
        if not onnx_file.is_file():
            raise ConfigError(f"The cross-encoder's weights are missing at {onnx_file}. Reinstall newsqa, or "
                              "rebuild them with `python -m train.cross --onnx` (about 30 minutes on 2 cores).")
        self._model_dir = model_dir
        self._onnx_file = onnx_file
        self._lock = threading.Lock()

    @functools.cached_property
    def _tokenizer(self) -> object:
        return word_pieces(self._model_dir, MAX_TOKENS)  # longest first, as transformers' tokenizer did in training

    @functools.cached_property
    def _session(self) -> object:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, min(MAX_THREADS, os.cpu_count() or 1))
        options.inter_op_num_threads = 1
        return onnxruntime.InferenceSession(str(self._onnx_file), options, providers=["CPUExecutionProvider"])

    @functools.cached_property
    def reads_context(self) -> bool:
        """Whether the model was trained to read each sentence with the one before it (its ONNX metadata)."""
        with self._lock:
            session = self._session
        meta = session.get_modelmeta().custom_metadata_map  # type: ignore[attr-defined]
        return meta.get(CONTEXT_KEY) == CONTEXT_VALUE

    def scores(self, question: str, sentences: Sequence[str], previous: Sequence[str] | None = None) -> np.ndarray:
        """The logit of each (question, sentence) pair, in the order given; `previous`, the sentence before each
        ("" for none), is read only by a model trained with it."""
        if not sentences:
            return np.zeros(0)
        if previous is not None and self.reads_context:
            sentences = [with_previous(s, p) for s, p in zip(sentences, previous, strict=True)]
        with self._lock:  # the first call loads the session; later calls find it made
            session = self._session
        encodings = self._tokenizer.encode_batch([(question, s) for s in sentences])  # type: ignore[attr-defined]
        return np.array([_run(session, e) for e in encodings])


def load_reranker(settings: Settings) -> CrossEncoder | None:
    """The cross-encoder the settings ask for: None when `rerank_weight` is 0."""
    return CrossEncoder(bundled_model_path()) if settings.rerank_weight else None


def _run(session: object, encoding: object) -> float:
    """One pair per call: int8 quantises each call's activations with one scale."""
    feed = {name: np.asarray([getattr(encoding, attr)], dtype=np.int64) for name, attr in
            (("input_ids", "ids"), ("attention_mask", "attention_mask"), ("token_type_ids", "type_ids"))}
    return float(session.run(None, feed)[0][0])  # type: ignore[attr-defined]
