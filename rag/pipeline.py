"""The pipeline: question → hybrid retrieval → answerer → Answer. `ask()` is the public entry point."""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal

from rag.answer import Answerer, make_answerer, make_chat_model, make_judge_model, resolve_mode
from rag.chronology import with_chronology
from rag.confirm import SecondOpinion
from rag.embed import Embedder, load_embedder
from rag.errors import ClosedError, FilterError, IndexMissingError, QuestionError
from rag.extractive import ExtractiveAnswerer
from rag.followup import Turn, standalone_question
from rag.index import Index, build_index, index_exists, index_folders, open_index
from rag.llm import Chat, ChatModel
from rag.prompts import CORRECTED_NOTE, NAMED_NOTE
from rag.read import Reader
from rag.rerank import load_reranker
from rag.resolve import named_question, role_phrases
from rag.response import Response
from rag.retrieve import Retriever
from rag.scope import no_match, scope
from rag.settings import Settings, check_top_k
from rag.spell import corrected, truecased
from rag.stale import mark_stale, stale_files
from rag.types import Answer, ArticleInfo, Filters, FolderInfo, IndexReport, Passage, StaleFile, Timing

log = logging.getLogger("rag")


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A question made ready to answer: the answerer, the question as it is read, its passages, a note naming the
    corrections, and `answer` when it is already known (the refusal of filters that leave no article, or the
    extractive answerer's verdict, which choosing a reading computed, for the reading kept; with a second opinion,
    only an answer: a refusal is the judge's to look at)."""

    answerer: Answerer
    question: str
    passages: list[Passage]
    note: str = ""
    answer: Answer | None = None


JUDGE = "judge"  # the key of mode extractive's second opinion among an Assistant's chat models (never a mode's name)
MAX_CACHED = 4  # Assistants `ask()` keeps open, one per configuration; the least recently used is closed


class Assistant:
    """An open index with its embedding model and answerers: reuse one to answer many questions quickly.

    Safe to share between threads (the chat in the browser serves several users with one).
    Each call may pick its own mode, strictness and top_k; the answerer for each mode is made once.
    `close()` (or the end of a `with Assistant(settings) as a:` block) releases the index's SQLite
    connection and Chroma client and the chat models it made; an embedder or chat passed in stays the caller's.
    """

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None, chat: Chat | None = None) -> None:
        """Open the index at `settings.index_dir`, building it from `settings.corpus` if there is none.

        Args:
            settings: what to open and how to answer.
            embedder: embeds questions and sentences (and builds a missing index) instead of the model
                `settings.embed_model` names; its `name` must be the one the index was built with.
            chat: writes the answers of the LLM modes (`openai`, `local`) and rewrites follow-ups, instead
                of the endpoint or local model the settings name (no server is started for it); with it,
                mode `auto` means `openai`. In mode `extractive` with RAG_CONFIRM=on it gives the second opinion
                instead of the local model (`rag.confirm`).
        Raises:
            IndexMissingError: no index and no corpus folder to build one from.
            IndexMismatchError: the index was built with another embedding model.
            ConfigError, LLMError: the settings' mode cannot answer (a missing key, a broken local model).
        """
        self._lock = threading.RLock()
        self._closed = False
        self._retired: list[Index] = []  # indexes replaced by a re-index, closed with the Assistant
        self._chats: dict[str, Chat | None] = {}
        self._answerers: dict[tuple[str, bool], Answerer] = {}
        self._given_chat = chat
        self.settings = settings.replace(mode="openai") if chat is not None and settings.mode == "auto" else settings
        self.embedder = embedder if embedder is not None else load_embedder(settings)
        # one parser and its cache, shared by every mode's answerer
        self.reader = Reader(self.embedder, reranker=load_reranker(settings), rerank_weight=settings.rerank_weight)
        if not index_exists(settings):
            if not Path(settings.corpus).is_dir():
                raise IndexMissingError(
                    f"No index at {settings.index_dir}, and no folder {settings.corpus} to build one from. "
                    "Run `rag index PATH` with your article folder, or set RAG_CORPUS."
                )
            log.info("no index at %s yet: building it from %s", settings.index_dir, settings.corpus)
            build_index(settings, self.embedder)
        self._open()
        try:
            self.answerer_for()  # a missing key or a broken local model shows up now, not at the first question
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the index (SQLite connection, Chroma client) and the chat models this Assistant made.

        A second call does nothing. Asking a closed Assistant raises `ClosedError`. The embedder and a
        `chat` passed in are left open (their owner closes them), as is the local model's server, which
        every Assistant of the process shares and which stops when the process exits.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            made = [c for c in self._chats.values() if isinstance(c, ChatModel) and c is not self._given_chat]
            self._chats.clear()
            self._answerers.clear()
            indexes = [*self._retired, *([self.index] if hasattr(self, "index") else [])]
            self._retired.clear()
        for chat in made:
            chat.close()
        for index in indexes:
            index.close()

    @property
    def closed(self) -> bool:
        """Whether `close()` has been called."""
        return self._closed

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def mode(self) -> str:
        """The concrete answer mode of the settings (`auto` resolved)."""
        return resolve_mode(self.settings)

    @property
    def answerer(self) -> Answerer:
        """The answerer for the settings' own mode and strictness."""
        return self.answerer_for()

    @property
    def chat(self) -> Chat | None:
        """The LLM of the settings' mode (None for `extractive`)."""
        return self._chat(self.settings)

    def answerer_for(self, mode: str | None = None, strict: bool | None = None) -> Answerer:
        """The answerer for `mode` and `strict` (default: the settings'), made on first use.

        Raises:
            ConfigError: the mode needs an endpoint that is not configured.
            LLMError: the local model cannot be started.
        """
        return self._answerer(self._variant(mode, strict))

    def _answerer(self, settings: Settings) -> Answerer:
        key = (resolve_mode(settings), settings.strict)
        with self._lock:
            self._check_open()
            if key not in self._answerers:
                chat = self._judge(settings) if key[0] == "extractive" else self._chat(settings)
                self._answerers[key] = make_answerer(settings, self.embedder, chat, self.reader)
            return self._answerers[key]

    def ask(
        self, question: str, *, top_k: int | None = None, history: Sequence[Turn] = (),
        mode: str | None = None, strict: bool | None = None, filters: Filters | None = None,
    ) -> Answer:
        """Answer one question; see `rag.ask` for the details (`filters`: the articles it may be answered from)."""
        started = time.perf_counter()
        ready = self._prepare(question, top_k, history, mode, strict, filters)
        answer = ready.answer if ready.answer is not None else ready.answerer.answer(ready.question, ready.passages)
        answer = self._finished(answer, question, filters, ready.note)
        took = time.perf_counter() - started
        return dataclasses.replace(answer, timing=Timing(took, took))  # no words before the whole answer

    def ask_stream(
        self, question: str, *, top_k: int | None = None, history: Sequence[Turn] = (),
        mode: str | None = None, strict: bool | None = None, filters: Filters | None = None,
    ) -> Iterator[str | Answer]:
        """The answer's text as it is written, then the checked Answer; see `rag.ask_stream`."""
        started = time.perf_counter()
        ready = self._prepare(question, top_k, history, mode, strict, filters)
        first_words = None
        pieces = (iter((ready.answer.text, ready.answer)) if ready.answer is not None
                  else ready.answerer.stream(ready.question, ready.passages))
        for piece in pieces:
            if isinstance(piece, Answer):
                piece = self._finished(piece, question, filters, ready.note)
                took = time.perf_counter() - started
                yield dataclasses.replace(piece, timing=Timing(took if first_words is None else first_words, took))
                return
            if first_words is None and piece.strip():
                first_words = time.perf_counter() - started
            yield piece

    def read(self, question: str, *, top_k: int | None = None) -> tuple[str, list[Passage]]:
        """The question as the answerers read it (capitals restored, misspelt words corrected: `rag.spell`; a
        person described by role read as named when that finds an answer: `rag.resolve`) and the passages retrieved
        for it, as `ask` has them (for calibrating on exactly what `ask` scores)."""
        ready = self._prepare(question, top_k, (), None, None)
        return ready.question, ready.passages

    def respond(
        self, question: str, *, top_k: int | None = None, history: Sequence[Turn] = (),
        mode: str | None = None, strict: bool | None = None, filters: Filters | None = None,
    ) -> Response:
        """The answer as it is written: iterate the Response for the text, then `.answer()` for the checked Answer."""
        return Response(self.ask_stream(question, top_k=top_k, history=history, mode=mode, strict=strict,
                                        filters=filters))

    def articles(self) -> list[ArticleInfo]:
        """Every indexed article (title, outlet, file, chunks), by doc_id."""
        return self._index().store.articles()

    def article_text(self, doc_id: str) -> str | None:
        """An indexed article's original text (what citation offsets refer to), or None."""
        return self._index().store.article_text(doc_id)

    def duplicate_groups(self) -> list[tuple[str, ...]]:
        """The groups of near-duplicate indexed articles (doc_ids), found at index time."""
        return self._index().store.duplicate_groups()

    def stale(self, doc_ids: Iterable[str] | None = None) -> list[StaleFile]:
        """The indexed articles (these, or all) whose files changed or vanished since indexing."""
        return stale_files(sorted(self._index().store.files(doc_ids).values(), key=lambda record: record.doc_id))

    def _finished(self, answer: Answer, asked: str, filters: Filters | None, note: str = "") -> Answer:
        """The answer checked against the files, with the question as typed, its filters, `note` (what the question
        was corrected to) before the answerer's own note and, if the question asks about order, its dates."""
        answer = with_chronology(self._checked_against_files(answer))
        note = " ".join(n for n in (note, answer.note) if n)
        return dataclasses.replace(answer, asked=asked, filters=filters, note=note)

    def _checked_against_files(self, answer: Answer) -> Answer:
        """The answer, with the retrieved articles whose files changed since indexing listed and their citations marked.

        Only those articles' files are looked at, with one stat each unless one differs (then it is hashed).
        """
        return mark_stale(answer, self.stale({p.doc_id for p in answer.passages} | {c.doc_id for c in answer.citations}))

    def folders(self) -> list[FolderInfo]:
        """The article folders the index holds, in the order they were added, with their article counts."""
        return list(index_folders(self._index().store))

    def reindex(self) -> IndexReport:
        """Bring the index in line with every folder it holds (only changes are embedded)."""
        self._check_open()
        report = build_index(self.settings, self.embedder)
        with self._lock:
            self._open()
        return report

    def _prepare(
        self, question: str, top_k: int | None, history: Sequence[Turn], mode: str | None, strict: bool | None,
        filters: Filters | None = None,
    ) -> Prepared:
        """The question made ready: the answerer; the question as it stands alone (its misspelt words corrected,
        `rag.spell`, when the reader then finds an answer, its capitals restored if it was typed without them, and a
        person it describes by role read as the person the passages describe so, `rag.resolve`, when it finds no
        answer as asked and then does); its passages; a note naming the corrections; and the answer when it is
        already known (if the filters leave no article, the refusal that says so)."""
        question = _check_question(question, self.settings.max_question_chars)
        if top_k is not None:
            check_top_k(top_k)
        with self._lock:
            self._check_open()
            if self.index.store.generation() != self.index.lexical.generation:  # re-indexed since opened
                self._open()
            retriever, lexical = self.retriever, self.index.lexical
        settings = self._variant(mode, strict)  # once per question: a variant is a new, validated Settings
        answerer = self._answerer(settings)
        standalone = standalone_question(question, history, self._chat(settings)) if history else question
        within = scope(retriever.store, filters)  # None without filters: no look-up at all
        if within is not None and not within.doc_ids:
            text = no_match(retriever.store, within.filters)
            return Prepared(answerer, standalone, [], "", Answer(standalone, text, False, answerer.mode, (), (), (),
                                                                reason=text))
        k, only = top_k or self.settings.top_k, None if within is None else within.doc_ids
        passages = retriever.retrieve(standalone, k, only=only)
        # typed without capitals: the passages give them back (retrieval ignores case, the reader's parser does not)
        standalone = truecased(standalone, [p.text for p in passages]) or standalone
        # the reader's verdict decides both readings below; in mode extractive it comes from the answerer itself, and
        # its verdict on the reading kept is the answer: it is not computed twice (with a second opinion, unless it
        # is a refusal, which the judge is then asked about)
        own = answerer.extractive if isinstance(answerer, SecondOpinion) else answerer
        reuse = isinstance(own, ExtractiveAnswerer)
        extractive = own if reuse else ExtractiveAnswerer(settings, self.reader)

        def ready(read: str, found: list[Passage], verdict: Answer | None, note: str = "") -> Prepared:
            final = reuse and verdict is not None and (own is answerer or verdict.answered)
            return Prepared(answerer, read, found, note, verdict if final else None)

        fixed = corrected(standalone, [text for p in passages for text in (p.title, p.text)], known=lexical.knows)
        if fixed is not None:
            # kept only if it finds an answer: "Sinwar", which no article has, is not asked about as "Sinai"
            found = retriever.retrieve(fixed, k, only=only)
            verdict = extractive.answer(fixed, found)
            if verdict.answered:
                return ready(fixed, found, verdict, CORRECTED_NOTE.format(question=fixed))
        # "the US envoy" read as the person the passages describe so ("US envoy Amos Hochstein"), retrieved again,
        # when the question as asked finds no answer; kept only if it finds one
        if role_phrases(standalone, self.reader.analyser):
            as_asked = extractive.answer(standalone, passages)
            if as_asked.answered:
                return ready(standalone, passages, as_asked)
            named = named_question(standalone, [p.text for p in passages], self.reader.analyser)
            if named is not None:
                found = retriever.retrieve(named, k, only=only)
                verdict = extractive.answer(named, found)
                if verdict.answered:
                    return ready(named, found, verdict, NAMED_NOTE.format(question=named))
            return ready(standalone, passages, as_asked)
        return ready(standalone, passages, None)

    def _variant(self, mode: str | None, strict: bool | None) -> Settings:
        if mode in (None, self.settings.mode) and strict in (None, self.settings.strict):
            return self.settings
        return self.settings.replace(mode=mode, strict=strict)

    def _chat(self, settings: Settings) -> Chat | None:
        mode = resolve_mode(settings)
        with self._lock:
            self._check_open()
            if mode not in self._chats:
                given = self._given_chat is not None and mode != "extractive"
                self._chats[mode] = self._given_chat if given else make_chat_model(settings)
            return self._chats[mode]

    def _judge(self, settings: Settings) -> Chat | None:
        """Mode `extractive`'s second opinion with RAG_CONFIRM=on (`rag.confirm`): the chat passed in, else the local
        model; None otherwise. Never the chat that rewrites follow-ups: in mode `extractive` that stays the rules."""
        if settings.confirm != "on":
            return None
        with self._lock:
            self._check_open()
            if JUDGE not in self._chats:
                self._chats[JUDGE] = self._given_chat if self._given_chat is not None else make_judge_model(settings)
            return self._chats[JUDGE]

    def _open(self) -> None:
        old = getattr(self, "index", None)
        self.index = open_index(self.settings, self.embedder)
        self.retriever = Retriever(self.index, self.embedder)
        self._answerers.clear()  # they hold the BM25 index just replaced
        if old is not None:  # a question in another thread may still be reading it: closed with the Assistant
            self._retired.append(old)

    def _index(self) -> Index:
        with self._lock:
            self._check_open()
            return self.index

    def _check_open(self) -> None:
        if self._closed:
            raise ClosedError(
                "This Assistant is closed (by close(), or at the end of its `with` block). "
                "Open a new one with Assistant(settings), or call rag.ask(), which opens one as needed."
            )


def ask(
    question: str, *, settings: Settings | None = None, history: Sequence[Turn] = (), stream: Literal[False] = False,
    since: str | dt.date | None = None, until: str | dt.date | None = None, outlet: str | None = None,
    filters: Filters | None = None, top_k: int | None = None, mode: str | None = None, strict: bool | None = None,
    **options: object,
) -> Answer:
    """Answer a question about the indexed articles, citing the passages that support it.

    The first call builds the index from `settings.corpus` if there is none (an existing index
    keeps the folders it was given; see `rag.index.build_index`).

    Args:
        question: what to ask, e.g. "What did Hochstein warn Hezbollah?".
        settings: the settings to use (default: `Settings.from_env()`).
        history: earlier turns of the conversation (Answers, or chat messages
            `{"role": "user" | "assistant", "content": …}`): a follow-up such as
            "What did he warn them about next?" is rewritten to stand alone.
        stream: no longer supported (a TypeError says so): `ask` always returns an Answer;
            `ask_stream(...)` takes the same arguments and yields the text as it arrives, then the Answer.
        since, until: answer only from articles dated on or after `since` / on or before `until`
            ("2024-06-01", or a month "2024-06" or year "2024", or a `datetime.date`; both inclusive).
            Articles with no known date are left out by either.
        outlet: answer only from this outlet's articles: its name in any case, with or without
            "The", or its initials ("WSJ" for The Wall Street Journal).
        filters: the same as one `rag.types.Filters` (instead of since/until/outlet).
        top_k, mode, strict: for this question only (default: the settings'); they reuse the
            open Assistant of the other settings instead of opening another.
        **options: overrides of other settings, e.g. `index_dir=".rag"`, `corpus="seeds"`: each
            configuration has its own Assistant (the `MAX_CACHED` most recent stay open; see `close`).
    Returns:
        An Answer. A question the articles do not answer gives `answered=False` with a
        text starting "The articles don't say", not an exception. Each of
        `answer.sentences` says which citations it carries and whether they support it.
        `answer.stale` lists retrieved articles whose files changed or vanished since
        indexing; a citation into one has `stale=True`. When the filters leave no article,
        the refusal says so (and what dates and outlets the index holds).
    Raises:
        QuestionError: the question is empty or too long.
        FilterError: a date is not a date (the message names it and the format).
        LLMError: the LLM endpoint is unreachable, times out, stays rate limited, or
            replies with nothing usable (the message says what to do).
        RagError: the settings, the folder or the index cannot be used.
    """
    if stream:
        raise TypeError(
            "ask(..., stream=True) is gone: ask() always returns the checked Answer. For the text as it is written, "
            "call respond(...) with the same arguments: iterate it for the text, then .answer() gives the Answer."
        )
    filters = _filters(filters, since, until, outlet)
    return assistant(_settings(settings, options)).ask(
        question, history=history, filters=filters, top_k=top_k, mode=mode, strict=strict
    )


def ask_stream(
    question: str, *, settings: Settings | None = None, history: Sequence[Turn] = (),
    since: str | dt.date | None = None, until: str | dt.date | None = None, outlet: str | None = None,
    filters: Filters | None = None, top_k: int | None = None, mode: str | None = None, strict: bool | None = None,
    **options: object,
) -> Iterator[str | Answer]:
    """Like `ask`, but yields the answer's text as the model writes it (str pieces), then the final Answer.

    The final Answer is checked exactly as `ask` checks it, so nothing is lost by
    streaming; its text may differ from the streamed text, because the markers are
    renumbered to the checked citations (and, with `strict`, unsupported sentences go).
    """
    filters = _filters(filters, since, until, outlet)
    return assistant(_settings(settings, options)).ask_stream(
        question, history=history, filters=filters, top_k=top_k, mode=mode, strict=strict
    )


def respond(
    question: str, *, settings: Settings | None = None, history: Sequence[Turn] = (),
    since: str | dt.date | None = None, until: str | dt.date | None = None, outlet: str | None = None,
    filters: Filters | None = None, top_k: int | None = None, mode: str | None = None, strict: bool | None = None,
    **options: object,
) -> Response:
    """Like `ask`, but the answer as it is written: iterate the Response for the text as it arrives, then
    `.answer()` gives the checked Answer (`rag.response.Response`). Takes the same arguments as `ask`."""
    return Response(ask_stream(question, settings=settings, history=history, since=since, until=until, outlet=outlet,
                               filters=filters, top_k=top_k, mode=mode, strict=strict, **options))


def _filters(filters: Filters | None, since: object, until: object, outlet: str | None) -> Filters | None:
    """One Filters from either the object or the keywords (checked now, before any model is loaded)."""
    if filters is not None and any(x is not None for x in (since, until, outlet)):
        raise FilterError("Give the filters either as since/until/outlet or as filters=Filters(...), not both.")
    return filters or Filters(since, until, outlet) or None  # type: ignore[arg-type]


def _settings(settings: Settings | None, options: dict[str, object]) -> Settings:
    base = settings or Settings.from_env()
    return base.replace(**options) if options else base


_open_assistants: OrderedDict[Settings, Assistant] = OrderedDict()  # least recently used first
_open_lock = threading.Lock()


def assistant(settings: Settings) -> Assistant:
    """The Assistant for these settings, opened once and reused by `ask()` (settings are frozen, so hashable).

    The `MAX_CACHED` most recently used stay open; an older one is closed when another configuration
    needs a place, and `close()` closes them all. To hold one for as long as you need it, open your
    own: `with Assistant(settings) as a: ...`.
    """
    with _open_lock:  # held while opening, so that two threads never open the same index twice
        found = _open_assistants.get(settings)
        if found is not None and not found.closed:
            _open_assistants.move_to_end(settings)
            return found
        _open_assistants.pop(settings, None)  # closed by its user: open it again
        made = _open_assistants[settings] = Assistant(settings)
        evicted = []
        while len(_open_assistants) > MAX_CACHED:
            evicted.append(_open_assistants.popitem(last=False)[1])
    for old in evicted:
        old.close()
    return made


def close() -> None:
    """Close every Assistant `ask()` has opened (the next `ask()` opens what it needs again).

    Call it when done asking, e.g. before deleting an index folder; nothing closes them at exit.
    """
    with _open_lock:
        opened = list(_open_assistants.values())
        _open_assistants.clear()
    for made in opened:
        made.close()


def _check_question(question: str, max_chars: int) -> str:
    if not isinstance(question, str) or not question.strip():
        raise QuestionError('The question is empty. Ask something about the articles, e.g. "What did Hochstein warn Hezbollah?".')
    # zero-width and direction marks (format characters) go; other control characters become spaces
    cleaned = " ".join("".join(
        "" if unicodedata.category(ch) == "Cf" else ch if ch.isprintable() else " " for ch in question
    ).split())
    if len(cleaned) > max_chars:
        raise QuestionError(
            f"The question is {len(cleaned):,} characters long; ask it in at most {max_chars:,} (RAG_MAX_QUESTION_CHARS)."
        )
    if not cleaned:
        raise QuestionError("The question has no printable characters. Type the question as plain text.")
    return cleaned
