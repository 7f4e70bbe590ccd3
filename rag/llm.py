"""LLM: the one path to a chat model, through the `openai` client (OpenAI, or any compatible server).

Every failure becomes an `LLMError` whose message says what to do. Rate limits, 5xx
replies, timeouts and dropped connections are retried with exponential backoff by the
client (`llm_retries` times, honouring `Retry-After`) before that.
"""
from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from rag.errors import ConfigError, ContextTooLongError, LLMError
from rag.settings import Settings

if TYPE_CHECKING:
    from openai import OpenAI

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": "…"}
NO_KEY = "not-needed"  # local servers ignore the key, but the client insists on one
FALLBACK = "Or answer offline with --mode extractive."


@dataclass(frozen=True)
class Endpoint:
    """Where the chat model is: `base_url` None means OpenAI itself."""

    base_url: str | None
    model: str
    api_key: str = field(default=NO_KEY, repr=False)

    @property
    def where(self) -> str:
        """The endpoint for messages: scheme, host, port and path only (never a password or token in the URL)."""
        if not self.base_url:
            return "api.openai.com"
        url = urllib.parse.urlsplit(split_login(self.base_url)[0])
        return urllib.parse.urlunsplit((url.scheme, url.netloc, url.path, "", ""))


def openai_endpoint(settings: Settings) -> Endpoint:
    """The endpoint of mode `openai`: OPENAI_BASE_URL (or OpenAI itself) with RAG_LLM_MODEL.

    Raises:
        ConfigError: neither OPENAI_API_KEY nor OPENAI_BASE_URL is set.
    """
    if not settings.endpoint_configured:
        raise ConfigError(
            "Mode 'openai' needs OPENAI_API_KEY (for OpenAI) or OPENAI_BASE_URL (for a compatible server such as "
            "vLLM, Ollama or llama.cpp). Set one, or use --mode local or --mode extractive."
        )
    return Endpoint(settings.openai_base_url, settings.llm_model, settings.openai_api_key or NO_KEY)


class Chat(Protocol):
    """What writes answers and rewrites follow-ups: `ChatModel`, or any object with these members
    (pass one to `rag.pipeline.Assistant(settings, chat=...)`)."""

    @property
    def name(self) -> str: ...

    def complete(self, messages: Sequence[Message], *, max_tokens: int | None = None) -> str: ...

    def stream(self, messages: Sequence[Message], *, max_tokens: int | None = None) -> Iterator[str]: ...


class ChatModel:
    """A chat model behind an OpenAI-compatible endpoint, with the settings' sampling and timeouts.

    `client`: an `openai.OpenAI` client to send the requests through (its own base URL, key, timeout
    and HTTP transport then apply; `endpoint` still names the model and the server in messages).
    """

    def __init__(self, endpoint: Endpoint, settings: Settings, client: OpenAI | None = None) -> None:
        from openai import DefaultHttpxClient, OpenAI

        self.endpoint = endpoint
        self._settings = settings
        if client is not None:
            self._client: OpenAI = client
            return
        base_url, login = split_login(endpoint.base_url)
        self._client = OpenAI(
            api_key=endpoint.api_key,
            base_url=base_url,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_retries,
            # a user:password in the URL is sent as HTTP basic auth, so that no URL (in a log, say) carries it
            http_client=DefaultHttpxClient(auth=login) if login else None,
        )

    @property
    def name(self) -> str:
        return self.endpoint.model

    def close(self) -> None:
        """Close the HTTP connections of its client (idempotent)."""
        self._client.close()

    def complete(self, messages: Sequence[Message], *, max_tokens: int | None = None) -> str:
        """The model's whole reply.

        Raises:
            ContextTooLongError: the messages do not fit the model's context.
            LLMError: the endpoint failed or the reply is empty or malformed.
        """
        response = self._create(self._request(messages, max_tokens))
        choices = getattr(response, "choices", None)
        if not isinstance(choices, list) or not choices or getattr(choices[0], "message", None) is None:
            raise self._malformed()
        return _non_empty(choices[0].message.content, self.endpoint)

    def stream(self, messages: Sequence[Message], *, max_tokens: int | None = None) -> Iterator[str]:
        """The model's reply, piece by piece as it arrives.

        Raises:
            ContextTooLongError, LLMError: as `complete`; also when the stream breaks off midway.
        """
        import httpx
        import openai

        try:
            chunks = self._client.chat.completions.create(**self._request(messages, max_tokens), stream=True)
        except openai.OpenAIError as exc:
            raise self._explain(exc) from None
        received = finished = False
        try:
            for chunk in chunks:
                choices = getattr(chunk, "choices", None) or []
                if not isinstance(choices, list):
                    raise self._malformed()
                for choice in choices:
                    finished = finished or bool(getattr(choice, "finish_reason", None))
                text = getattr(getattr(choices[0], "delta", None), "content", None) if choices else None
                if text:
                    received = received or bool(text.strip())
                    yield text
        except (openai.APIConnectionError, httpx.HTTPError, ValueError) as exc:  # the connection went midway
            raise self._cut(type(exc).__name__) from None
        except openai.OpenAIError as exc:  # an error event inside the stream
            raise self._explain(exc) from None
        if not received:
            _non_empty("", self.endpoint)
        if not finished:  # the stream ended without the model saying it had finished
            raise self._cut("no finish_reason")

    def first_token_logprobs(self, messages: Sequence[Message], top: int) -> list[tuple[str, float]]:
        """The `top` likeliest first tokens of the reply, each with its log-probability, read greedily.

        Raises:
            LLMError: the endpoint failed, or refused or ignored `logprobs` (it cannot give log-probabilities).
        """
        request = dict(self._request(messages, 1), temperature=0.0, logprobs=True, top_logprobs=top)
        response = self._create(request, refused=self._no_logprobs)  # e.g. a model that gives no log-probabilities
        choices = getattr(response, "choices", None)
        listed = getattr(choices[0], "logprobs", None) if isinstance(choices, list) and choices else None
        content = getattr(listed, "content", None) or []
        alternatives = getattr(content[0], "top_logprobs", None) if content else None
        if not alternatives:
            raise self._no_logprobs()
        return [(str(t.token), float(t.logprob)) for t in alternatives]

    def _create(self, request: dict[str, object], refused: Callable[[], LLMError] | None = None) -> object:
        """The endpoint's response to one (non-streamed) request, its failures as LLMErrors; `refused`: the error for
        a request the endpoint rejects as bad (HTTP 400), instead of the endpoint's own explanation."""
        import openai

        try:
            return self._client.chat.completions.create(**request)
        except openai.BadRequestError as exc:
            raise (refused() if refused is not None else self._explain(exc)) from None
        except openai.OpenAIError as exc:
            raise self._explain(exc) from None
        except ValueError:  # a body that is not JSON
            raise self._malformed() from None

    def _no_logprobs(self) -> LLMError:
        return LLMError(f"The model at {self.endpoint.where} gave no log-probabilities, which the second opinion on "
                        "refusals needs (llama.cpp, vLLM and OpenAI's chat models give them). Set RAG_CONFIRM=off.")

    def _request(self, messages: Sequence[Message], max_tokens: int | None) -> dict[str, object]:
        return {
            "model": self.endpoint.model,
            "messages": list(messages),
            "temperature": self._settings.llm_temperature,
            "max_tokens": max_tokens or self._settings.llm_max_tokens,
        }

    def _malformed(self) -> LLMError:
        return LLMError(f"The model at {self.endpoint.where} sent a malformed reply (no answer in it). {FALLBACK}")

    def _cut(self, detail: str) -> LLMError:
        return LLMError(f"The reply from {self.endpoint.where} broke off midway ({detail}). Ask again. {FALLBACK}")

    def _explain(self, exc: Exception) -> LLMError:
        """The user-facing error for an exception from the openai client."""
        import openai

        where, retries, timeout = self.endpoint.where, self._settings.llm_retries, self._settings.llm_timeout
        tried = f" (tried {retries + 1} times)" if retries else ""
        if isinstance(exc, openai.APITimeoutError):
            return LLMError(f"The model at {where} did not answer within {timeout:g} s{tried}. "
                            f"Raise RAG_LLM_TIMEOUT, or check the server. {FALLBACK}")
        if isinstance(exc, openai.APIConnectionError):
            return LLMError(f"Cannot reach the model at {where}{tried}. Start the server or fix OPENAI_BASE_URL. "
                            f"{FALLBACK}")
        if isinstance(exc, openai.AuthenticationError):
            return LLMError(f"The endpoint {where} rejected the API key (HTTP 401). Check OPENAI_API_KEY.")
        if isinstance(exc, openai.RateLimitError):
            return LLMError(f"The endpoint {where} is rate limiting requests (HTTP 429){tried}. "
                            f"Wait a minute and ask again, or raise RAG_LLM_RETRIES.")
        if isinstance(exc, openai.NotFoundError):
            return LLMError(f"The endpoint {where} has no model {self.endpoint.model!r} (HTTP 404). "
                            "Set RAG_LLM_MODEL to a model it serves.")
        if isinstance(exc, openai.BadRequestError) and _is_context_overflow(exc):
            return ContextTooLongError(f"The question and its passages do not fit the context of {self.name!r} at "
                                       f"{where}. Lower RAG_TOP_K, or use a model with a longer context.")
        if isinstance(exc, openai.APIStatusError):
            return LLMError(f"The model at {where} failed with HTTP {exc.status_code}{tried}. "
                            f"Check the server, then ask again. {FALLBACK}")
        return LLMError(f"The model at {where} sent a reply that could not be read ({type(exc).__name__}). {FALLBACK}")


def split_login(url: str | None) -> tuple[str | None, tuple[str, str] | None]:
    """`http://user:pass@host/v1` → (`http://host/v1`, (user, pass)); other URLs unchanged, with no login."""
    if not url:
        return url, None
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    netloc = parts.netloc.rpartition("@")[2]
    login = (urllib.parse.unquote(parts.username or ""), urllib.parse.unquote(parts.password or ""))
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc)), login


def _is_context_overflow(exc: Exception) -> bool:
    """OpenAI says `context_length_exceeded`; llama.cpp and vLLM say so in words."""
    body = getattr(exc, "body", None)
    code = str(body.get("code") or body.get("type") or "") if isinstance(body, dict) else ""
    text = f"{code} {exc}".lower()
    return "context_length" in text or "context size" in text or "exceed_context" in text or "maximum context" in text


def _non_empty(text: str | None, endpoint: Endpoint) -> str:
    if not text or not text.strip():
        raise LLMError(f"The model at {endpoint.where} sent an empty reply. Ask again. {FALLBACK}")
    return text
