"""One settings object, read from the environment (`RAG_*`) and passed explicitly."""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import ConfigError

DEFAULT_EMBED_MODEL = "all-MiniLM-L6-v2"
MODES = ("auto", "extractive", "local", "openai")
READER_GATES = ("auto", "on", "off")
CONFIRMS = ("auto", "on", "off")
EMBED_RUNTIMES = ("onnx", "onnx-int8", "torch")
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Settings:
    """Everything the pipeline can be told. Build it with `Settings.from_env()`.

    Fields map to environment variables named `RAG_<FIELD>` (upper case), e.g.
    `RAG_TOP_K=8`. `openai_api_key` and `openai_base_url` read the standard
    `OPENAI_API_KEY` / `OPENAI_BASE_URL`.
    """

    corpus: Path = Path("seeds")  # the folder a new index is built from; an index then remembers its folders (rag.index)
    index_dir: Path = Path(".rag")
    chroma_url: str | None = None
    collection: str = "newsqa_articles"
    # Also keep each chunk's text in Chroma (a new collection only), for tools that read the collection directly,
    # such as LlamaIndex's ChromaVectorStore (the evaluation's baseline). newsqa reads texts from its own store;
    # Chroma's full-text index of them is two thirds of its indexing time.
    chroma_documents: bool = False
    embed_model: str = DEFAULT_EMBED_MODEL
    # How the local model runs: onnxruntime float32 (default: the torch model's vectors, without
    # torch), onnxruntime int8 (fastest, for bulk indexing; costs answer quality, see README
    # "Speed and scale"), or sentence-transformers on torch. ONNX files are exported once into model_cache.
    embed_runtime: str = "onnx"
    model_cache: Path | None = None  # default: $XDG_CACHE_HOME/newsqa (~/.cache/newsqa)
    mode: str = "auto"
    top_k: int = 5
    max_file_mb: float = 5.0
    chunk_tokens: int = 200
    chunk_overlap: int = 40
    max_answer_sentences: int = 3
    llm_passage_sentences: int = 3  # an LLM is shown each passage's best sentences only (0: whole passages)
    max_question_chars: int = 2000
    # The extractive answerer refuses when no sentence's reader score (the probability that it answers
    # the question) reaches this; chosen by cross-validation on the tuning questions with
    # `python -m eval.calibrate` (README, "Evaluation").
    min_answer_score: float = 0.38
    # How much the cross-encoder (rag/rerank.py) counts beside the reader's regression: its logit, times this, is
    # added to the regression's log-odds for the sentences it reads. 0 leaves it out (and unloaded; then use
    # min_answer_score 0.39). Chosen with min_answer_score 0.38 by cross-validation (docs/tuning-log.md,
    # "Broad questions, and the cross-encoder on by default").
    rerank_weight: float = 0.25
    # Answers written by an LLM (modes `openai` and `local`); see README, "Answer modes".
    # The reader gates the LLM: "on" refuses without calling the LLM when no sentence reaches min_answer_score,
    # and quotes the reader's sentences when the LLM declines or writes nothing the passages support;
    # "auto" is "on" in mode `local` (a small model the reader out-judges) and "off" in mode `openai`.
    reader_gate: str = "auto"
    # Before the gate refuses, the LLM is asked whether the reader's best sentence answers (rag/confirm.py); its yes
    # lets the answer through. "auto": in mode `local` with Qwen installed or RAG_LOCAL_MODEL, not the bundled
    # SmolLM2 (measured with Qwen2.5-Coder-1.5B only); "on": whenever the reader gates an LLM (its endpoint must give
    # log-probabilities; with RAG_READER_GATE=off there is no refusal to confirm), and in mode `extractive`, where
    # the installed local model (or RAG_LOCAL_MODEL's) is asked, about 1 s a refusal; "off": never.
    confirm: str = "auto"
    strict: bool = False  # drop sentences the cited passages do not support
    llm_model: str = DEFAULT_OPENAI_MODEL  # the model name sent to the endpoint in mode `openai`
    llm_temperature: float = 0.0
    llm_max_tokens: int = 300
    llm_timeout: float = 60.0  # seconds per request
    llm_retries: int = 3  # retries (with backoff) after a rate limit, a 5xx or a dropped connection
    local_model: Path | None = None  # a GGUF file for mode `local` (default: the bundled SmolLM2-135M-Instruct)
    local_ctx: int = 4096  # the local model's context window, in tokens
    # llama.cpp keeps the last prompt and reads only what differs: first words 0.78 of the time with Qwen on 2 cores
    # (`python -m eval.bench.prompt_cache`), but an answer's wording may then depend on the question asked before
    # (docs/answer-modes.md, "The prompt cache")
    local_prompt_cache: bool = True
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = field(default=None, repr=False)  # may carry user:password
    # The chat in the browser (`rag ui`); see README, "Chat in the browser".
    ui_host: str = "127.0.0.1"  # 0.0.0.0 exposes it to the network: set ui_auth then
    ui_port: int = 7860  # 0 picks a free port
    ui_share: bool = False  # a public gradio.live link (needs internet); off unless asked
    ui_auth: str | None = field(default=None, repr=False)  # "user:password" to require a login
    ui_concurrency: int = 4  # answers computed at once; more users wait in the queue
    # `rag add` (rag.fetch): seconds for one whole fetch, connection to last byte; one try, no retries.
    # Pages larger than max_file_mb are refused as they arrive (they could not be indexed).
    fetch_timeout: float = 15.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read `RAG_*` variables (and `OPENAI_*`), then apply keyword overrides.

        Each layer overrides the one below only where it gives a value: defaults, then the
        environment, then `overrides`. An override of None is not given (a CLI flag left out,
        an option not passed), so it never resets what the environment set.

        Raises:
            ConfigError: a variable or override has a value of the wrong type, or names no setting.
        """
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            name = f.name.upper() if f.name.startswith("openai_") else f"RAG_{f.name.upper()}"
            raw = env.get(name)
            if raw not in (None, ""):
                values[f.name] = _parse(f.name, name, raw, f.type)
        return cls._layered(values, overrides)

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed (None leaves a field as it is).

        The copy starts from this object's values, not from the defaults or the environment,
        so `replace(mode=m, strict=None)` keeps `strict` whatever it was.
        """
        current = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return type(self)._layered(current, changes)

    @classmethod
    def _layered(cls, values: dict[str, object], overrides: Mapping[str, object]) -> Settings:
        """`values` with every override that is not None laid over it, checked; the one place layers meet."""
        types = {f.name: f.type for f in dataclasses.fields(cls)}
        merged = dict(values)
        for key, value in overrides.items():
            if key not in types:  # a misspelt option is an error even when its value is None
                raise ConfigError(f"Unknown option {key!r}. Known options: {', '.join(_field_names())}.")
            if value is None:  # not given: the layer below stands
                continue
            ftype = types[key]
            merged[key] = _parse(key, key, value, ftype) if isinstance(value, str) else _coerce(key, value, ftype)
        settings = cls(**merged)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise ConfigError for values no pipeline can run with."""
        if self.mode not in MODES:
            raise ConfigError(f"Unknown mode {self.mode!r}. Use one of: {', '.join(MODES)} (RAG_MODE or --mode).")
        check_top_k(self.top_k)
        if self.reader_gate not in READER_GATES:
            raise ConfigError(f"Unknown reader_gate {self.reader_gate!r}. Use one of: {', '.join(READER_GATES)} "
                              "(RAG_READER_GATE).")
        if self.confirm not in CONFIRMS:
            raise ConfigError(f"Unknown confirm {self.confirm!r}. Use one of: {', '.join(CONFIRMS)} "
                              "(RAG_CONFIRM).")
        if self.embed_runtime not in EMBED_RUNTIMES:
            raise ConfigError(
                f"Unknown embed_runtime {self.embed_runtime!r}. Use one of: {', '.join(EMBED_RUNTIMES)} "
                "(RAG_EMBED_RUNTIME)."
            )
        if self.chunk_overlap >= self.chunk_tokens:
            raise ConfigError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than chunk_tokens ({self.chunk_tokens})."
            )
        if self.max_answer_sentences < 1:
            raise ConfigError(f"max_answer_sentences must be at least 1, got {self.max_answer_sentences} "
                              "(RAG_MAX_ANSWER_SENTENCES).")
        if not 0 <= self.min_answer_score <= 1:
            raise ConfigError(f"min_answer_score is a probability between 0 and 1, got {self.min_answer_score} "
                              "(RAG_MIN_ANSWER_SCORE).")
        if not 0 <= self.rerank_weight <= 4:
            raise ConfigError(f"rerank_weight must be between 0 (no cross-encoder) and 4, got {self.rerank_weight} "
                              "(RAG_RERANK_WEIGHT).")
        if self.max_file_mb <= 0:
            raise ConfigError(f"max_file_mb must be positive, got {self.max_file_mb} (RAG_MAX_FILE_MB).")
        if self.llm_passage_sentences < 0:
            raise ConfigError(f"llm_passage_sentences must be 0 (whole passages) or more, got "
                              f"{self.llm_passage_sentences} (RAG_LLM_PASSAGE_SENTENCES).")
        if self.llm_timeout <= 0:
            raise ConfigError(f"llm_timeout must be positive, got {self.llm_timeout} (RAG_LLM_TIMEOUT, seconds).")
        if not 0 <= self.llm_retries <= 10:
            raise ConfigError(f"llm_retries must be between 0 and 10, got {self.llm_retries} (RAG_LLM_RETRIES).")
        if self.llm_max_tokens < 16:
            raise ConfigError(f"llm_max_tokens must be at least 16, got {self.llm_max_tokens} (RAG_LLM_MAX_TOKENS).")
        if not 0 <= self.ui_port <= 65535:
            raise ConfigError(f"ui_port must be between 0 and 65535, got {self.ui_port} (RAG_UI_PORT or --port).")
        if self.ui_auth is not None and not self.ui_login:
            raise ConfigError("RAG_UI_AUTH must look like user:password, with neither part empty.")
        if not 1 <= self.ui_concurrency <= 64:
            raise ConfigError(f"ui_concurrency must be between 1 and 64, got {self.ui_concurrency} (RAG_UI_CONCURRENCY).")
        if not 0 < self.fetch_timeout <= 600:
            raise ConfigError(f"fetch_timeout must be above 0 and at most 600 seconds, got {self.fetch_timeout} "
                              "(RAG_FETCH_TIMEOUT).")
        if self.local_ctx < 512:
            raise ConfigError(f"local_ctx must be at least 512 tokens, got {self.local_ctx} (RAG_LOCAL_CTX).")

    @property
    def endpoint_configured(self) -> bool:
        """Whether an OpenAI key or an OpenAI-compatible endpoint is set (what mode `auto` looks for)."""
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def ui_login(self) -> tuple[str, str] | None:
        """(user, password) from `ui_auth`, or None when no login is asked for (or it is malformed)."""
        user, sep, password = (self.ui_auth or "").partition(":")
        return (user, password) if sep and user and password else None

    @property
    def model_cache_dir(self) -> Path:
        """Where exported models are kept: `model_cache`, else $XDG_CACHE_HOME/newsqa."""
        if self.model_cache is not None:
            return Path(self.model_cache).expanduser()
        return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "newsqa"

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


def check_top_k(top_k: int) -> None:
    """Raise ConfigError unless 1 <= top_k <= 100 (the setting, or a per-question value)."""
    if not 1 <= top_k <= 100:
        raise ConfigError(f"top_k must be between 1 and 100, got {top_k} (RAG_TOP_K or --top-k).")


def _field_names() -> list[str]:
    return [f.name for f in dataclasses.fields(Settings)]


def _parse(key: str, source: str, raw: str, ftype: object) -> object:
    """Turn an environment string into the field's type."""
    text = str(ftype)
    try:
        if "Path" in text:
            return Path(raw).expanduser()
        if text == "int":
            return int(raw)
        if text == "float":
            return float(raw)
        if text == "bool":
            if raw.strip().lower() not in _TRUE + _FALSE:
                raise ValueError(raw)
            return raw.strip().lower() in _TRUE
    except ValueError:
        kind = {"int": "a whole number", "bool": "true or false"}.get(text, "a number")
        raise ConfigError(f"{source} must be {kind}, got {raw!r}.") from None
    return raw


def _coerce(key: str, value: object, ftype: object) -> object:
    text = str(ftype)
    if "Path" in text and isinstance(value, (str, os.PathLike)):
        return Path(value)
    if text == "bool" and not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}.")
    if text == "int" and (not isinstance(value, int) or isinstance(value, bool)):
        raise ConfigError(f"{key} must be a whole number, got {value!r}.")
    if text == "float" and not isinstance(value, (int, float)):
        raise ConfigError(f"{key} must be a number, got {value!r}.")
    return value
