"""Errors shown to the user: every message says what happened and what to do."""
from __future__ import annotations


class RagError(Exception):
    """Base class: the CLI prints the message and exits non-zero; the UI shows it in the chat."""


class ConfigError(RagError):
    """A setting has a value that cannot be used."""


class CorpusError(RagError):
    """The article folder is missing or holds nothing that can be indexed."""


class IndexMissingError(RagError):
    """There is no index where the settings point."""


class IndexMismatchError(RagError):
    """The index was built with another embedding model than the settings ask for."""


class IndexBusyError(RagError):
    """Another process is writing the index."""


class QuestionError(RagError):
    """The question cannot be asked as given (empty, too long)."""


class FilterError(RagError):
    """A filter (`since`, `until`, `outlet`) cannot be used as given, e.g. a date that is not a date."""


class LLMError(RagError):
    """The LLM endpoint could not be used: unreachable, timed out, rate limited, or replied with nothing usable."""


class ContextTooLongError(LLMError):
    """The question and its passages do not fit the model's context window."""


class FetchError(RagError):
    """A web address could not be added: unreachable, refused, too slow, too large, or holding no article."""


class ClosedError(RagError):
    """An Assistant was used after `close()`."""


class IncompleteAnswerError(RagError):
    """The answer's text stopped before the checked Answer came (a bug, or a stream cut short)."""
