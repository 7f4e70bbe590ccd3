"""The project's own small types: what the public API speaks (no llama-index or Chroma objects)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from rag.errors import FilterError

SHOWN_DUPLICATES = 5  # near-duplicate pairs named in an index summary
FILTER_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")  # YYYY-MM-DD, YYYY-MM or YYYY
FILTER_DATE_FORMAT = "YYYY-MM-DD (or YYYY-MM, YYYY), e.g. 2024-06-01"


@dataclass(frozen=True)
class Span:
    """A half-open character range `[start, end)` in an article's original text."""

    start: int
    end: int


@dataclass(frozen=True)
class Metadata:
    """What a file says about its article besides the text: from an HTML page's tags or a Markdown front matter.

    `date` is the publication date as ISO 8601 (`YYYY-MM-DD`); any field may be unknown (None).
    """

    title: str | None = None
    outlet: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Article:
    """One news article as read from disk.

    `text` is the article text every offset refers to: for a .txt/.md file, the file exactly as on
    disk (decoded as UTF-8) after its front matter, if it has one; for an HTML page, the article text
    extracted from it (no navigation, ads or comments). `sha256` is the hash of the whole file.
    `body` lists the line spans that are article text; page furniture (newsletter
    sign-ups, "Read more" links, footers) is left out of `body` but kept in `text`.
    `date` (ISO 8601, `YYYY-MM-DD`), `author` and `url` come from the page or the front matter.
    `size` and `mtime_ns` are the file's as it was read (to notice later, cheaply, that it changed).
    """

    doc_id: str
    path: Path
    title: str
    outlet: str | None
    text: str
    sha256: str
    body: tuple[Span, ...]
    furniture: tuple[tuple[Span, str], ...] = ()
    date: str | None = None
    author: str | None = None
    url: str | None = None
    size: int | None = None
    mtime_ns: int | None = None


@dataclass(frozen=True)
class Chunk:
    """A retrieval unit: consecutive sentences of one article, `text == article.text[start:end]`."""

    id: str
    doc_id: str
    ord: int
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...]


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its article's details and its retrieval scores.

    `score` is the fused (reciprocal rank fusion) score; `dense_score` is the cosine
    similarity and `lexical_score` the BM25 score, each None when that retriever
    did not return the passage. `also_in` names the articles whose near-identical
    passage was collapsed into this one. `date` (ISO 8601), `author` and `url` are the
    article's, where known.
    """

    id: str
    doc_id: str
    title: str
    outlet: str | None
    text: str
    start: int
    end: int
    sentences: tuple[Span, ...]
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None
    also_in: tuple[str, ...] = ()  # other articles that carry the same text (near-duplicates collapsed into this one)
    date: str | None = None
    author: str | None = None
    url: str | None = None

    def with_also_in(self, doc_id: str) -> Passage:
        """This passage, also found (near-identical) in article `doc_id`."""
        return dataclasses.replace(self, also_in=(*self.also_in, doc_id))

    def quote(self, span: Span) -> str:
        """The original text of `span`, which must lie inside this passage."""
        if not (self.start <= span.start <= span.end <= self.end):
            raise ValueError(f"span {span} is outside passage {self.id} [{self.start}, {self.end})")
        return self.text[span.start - self.start : span.end - self.start]


@dataclass(frozen=True)
class Citation:
    """A source the answer cites: `original_text[start:end] == quote` for article `doc_id`.

    `original_text` is the article's text as stored by the index (`Assistant.article_text`); for a
    .txt file without front matter it is the file itself. `date` (ISO 8601), `author` and `url`
    are the article's, where known.
    """

    n: int
    doc_id: str
    title: str
    outlet: str | None
    quote: str
    start: int
    end: int
    also_in: tuple[str, ...] = ()  # articles that carry the same passage
    date: str | None = None
    author: str | None = None
    url: str | None = None
    stale: bool = False  # the article's file changed or vanished since it was indexed (see `Answer.stale`)


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of the answer, the citation numbers it carries, and whether they support it.

    `text` has no markers. `supported` is True when the cited passages contain the
    sentence's names and figures and a passage span says what it says (see `rag.cite`);
    a sentence that says the articles are silent counts as supported and cites nothing.
    """

    text: str
    citations: tuple[int, ...]
    supported: bool


STALE_CHANGES = {  # StaleFile.change -> what the user is told
    "changed": "the file changed since indexing",
    "deleted": "the file was deleted since indexing",
    "unreadable": "the file can no longer be read",
}


@dataclass(frozen=True)
class StaleFile:
    """An indexed article whose file no longer holds what was indexed: `change` is "changed", "deleted" or "unreadable"."""

    doc_id: str
    path: str
    change: str

    def describe(self) -> str:
        """E.g. "the file changed since indexing"."""
        return STALE_CHANGES[self.change]


@dataclass(frozen=True)
class Timing:
    """How long an answer took, in seconds from the question: its first words, and the checked answer."""

    first_words: float
    answer: float


@dataclass(frozen=True)
class Filters:
    """Which articles a question may be answered from (an empty Filters: all of them).

    `since` and `until` bound the article's date, both inclusive, and may be given as `YYYY-MM-DD`, `YYYY-MM`
    or `YYYY` (or a `datetime.date`); they are kept as full ISO dates: `since="2024-06"` is 2024-06-01 and
    `until="2024-06"` is 2024-06-30. An article with no known date is left out by a date filter (nothing
    says it falls inside). `outlet` names the outlet as the index stores it, in any case, without "The",
    or by its initials ("WSJ"; see `rag.decompose.outlet_names`).

    Raises:
        FilterError: a date is not a date, or `since` is after `until`.
    """

    since: str | None = None
    until: str | None = None
    outlet: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "since", _filter_date("since", self.since, last=False))
        object.__setattr__(self, "until", _filter_date("until", self.until, last=True))
        object.__setattr__(self, "outlet", (self.outlet or "").strip() or None)
        if self.since and self.until and self.since > self.until:
            raise FilterError(f"The filter asks for articles since {self.since} but until {self.until}, which is "
                              "earlier: no date can match. Swap the two dates.")

    def __bool__(self) -> bool:
        return any((self.since, self.until, self.outlet))

    def describe(self) -> str:
        """E.g. "since 2024-06-01, outlet WSJ"."""
        named = (("since", self.since), ("until", self.until), ("outlet", self.outlet))
        return ", ".join(f"{name} {value}" for name, value in named if value)


def _filter_date(name: str, value: object, last: bool) -> str | None:
    """`value` as a full ISO date: a month or a year is its first day (`last`: its last day)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    match = FILTER_DATE.fullmatch(str(value).strip())
    try:
        if match is None:
            raise ValueError
        year, month, day = int(match[1]), int(match[2] or (12 if last else 1)), match[3]
        first = dt.date(year, month, int(day or 1))
        if day is None and last:  # a month's last day is the day before the next month's first
            return (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).isoformat()
        return first.isoformat()
    except ValueError:
        raise FilterError(f"The {name} date {value!r} is not a date. Write it as {FILTER_DATE_FORMAT}.") from None


@dataclass(frozen=True)
class Answer:
    """What `ask()` returns. A refusal is an Answer with `answered=False`, never an exception.

    `text` carries `[n]` markers that refer to `citations[i].n`; `citations` lists only
    the sources some sentence cites; `passages` lists everything retrieved, cited or not;
    `reason` says why the answer was refused. `question` is the question answered: a follow-up ("What did he
    say next?") rewritten to stand alone, a misspelt question corrected, or one typed without capitals given them
    (`rag.spell`); `asked` keeps the words the user typed. `invalid_citations` counts the markers an
    LLM wrote that point at no passage (they are dropped from `text`). `stale` lists the retrieved
    articles whose files changed or vanished since they were indexed: their quotes are the indexed
    text, which the file may no longer hold (`rag index` brings the index up to date). `filters` are those
    the articles were searched with (None: none). `chronology`, when the question asks about order: the cited articles'
    dates, earliest first, when they differ, and the dates the cited passages state (`rag.chronology`); else "".
    `note` says what a misspelt question was read as (`rag.prompts.CORRECTED_NOTE`), or a question that described a
    person by role (`NAMED_NOTE`), and when an LLM mode answers
    with the articles' own sentences because the model's answer was not supported (`rag.prompts.QUOTED_NOTE`), or
    gives an answer the reader would have refused because the model judged that it answers
    (`rag.prompts.CONFIRMED_NOTE`, `rag.confirm`); else "".
    `nearest`, on a refusal because no sentence reached the bar for an answer (`Settings.min_answer_score`), is the
    sentence that came closest, quoted exactly like a citation: "the articles don't say" then still shows where
    they come nearest, so a reader can judge for themselves; it is not part of the answer (`text` cites nothing).
    """

    question: str
    text: str
    answered: bool
    mode: str
    citations: tuple[Citation, ...]
    sentences: tuple[AnswerSentence, ...]
    passages: tuple[Passage, ...]
    reason: str = ""
    invalid_citations: int = 0
    timing: Timing | None = None  # set by `ask()` / `ask_stream()`
    stale: tuple[StaleFile, ...] = ()  # set by `ask()` / `ask_stream()`
    filters: Filters | None = None  # set by `ask()` / `ask_stream()`
    chronology: str = ""  # set by `ask()` / `ask_stream()`
    asked: str = ""  # the question as the user typed it; `question` is the one answered (a follow-up made whole,
    # misspelt words corrected, capitals restored)
    note: str = ""  # shown above the text: what a misspelt or role-describing question was read as; the reader's
    # quotes in an LLM's place
    nearest: Citation | None = None  # a refusal on weak evidence: the sentence the reader scored best, quoted exactly, n 0
    # (it did not reach the bar for an answer; shown so that a reader can judge it), else None

    def __str__(self) -> str:
        """The answer as `rag ask` prints it: its text, then its sources with their quotes."""
        from rag.format import format_answer

        return format_answer(self)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (what `rag ask --json` prints)."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ArticleInfo:
    """An indexed article, without its text (`path` is the file it was read from)."""

    doc_id: str
    path: str
    title: str
    outlet: str | None
    chunks: int
    date: str | None = None
    author: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class SkippedFile:
    """A file that was not indexed, and why."""

    path: Path
    reason: str


def count_articles(n: int) -> str:
    """"1 article", "2 articles"."""
    return f"{n} article{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class FolderInfo:
    """An article folder an index holds: its resolved path, the prefix of its articles' ids ("" for the
    index's first folder, e.g. "news/" for another), and how many of its articles are indexed."""

    path: str
    prefix: str
    articles: int


@dataclass(frozen=True)
class DuplicateGroup:
    """Articles that tell the same story almost word for word; every one stays indexed.

    `doc_ids` are sorted, and the others are listed against the first; `files` are their files, each
    relative to its folder and with the folder's id prefix (`b.txt`, `other/b.txt`).
    """

    doc_ids: tuple[str, ...]
    files: tuple[str, ...]

    def pairs(self) -> list[str]:
        """"b.txt ≈ a.txt" for each article after the first."""
        return [f"{name} ≈ {self.files[0]}" for name in self.files[1:]]


@dataclass(frozen=True)
class IndexReport:
    """What one indexing run did, and the folders the index holds after it."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[SkippedFile, ...]
    chunks_embedded: int
    seconds: float
    repaired: tuple[str, ...] = ()  # articles an interrupted run had left half-indexed, now redone
    folders: tuple[FolderInfo, ...] = ()
    dropped_folders: tuple[str, ...] = ()  # folders no longer indexed (`--replace`, `--forget`)
    duplicates: tuple[DuplicateGroup, ...] = ()  # near-duplicate articles in the index after the run

    def summary(self) -> str:
        """What was added, updated, removed, left alone and skipped, how long it took, and the folders held."""
        counts = (f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
                  f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped")
        repaired = (f" Repaired {len(self.repaired)} article(s) that an interrupted run had left half-indexed."
                    if self.repaired else "")
        dropped = f" No longer indexed: {', '.join(self.dropped_folders)}." if self.dropped_folders else ""
        folders = ""
        if len(self.folders) > 1:
            held = ", ".join(f"{f.path} ({count_articles(f.articles)}{f', ids {f.prefix}…' if f.prefix else ''})"
                             for f in self.folders)
            folders = f" The index holds {len(self.folders)} folders: {held}."
        return (f"Indexed: {counts}; {self.chunks_embedded} chunks embedded in {self.seconds:.1f} s."
                f"{repaired}{dropped}{folders}{self._duplicates()}")

    def _duplicates(self, shown: int = SHOWN_DUPLICATES) -> str:
        pairs = [pair for group in self.duplicates for pair in group.pairs()]
        if not pairs:
            return ""
        more = f" and {len(pairs) - shown} more (`rag status` lists them)" if len(pairs) > shown else ""
        return (f" {len(pairs)} near-duplicate{'s' if len(pairs) > 1 else ''}: {', '.join(pairs[:shown])}{more} "
                "(all kept; an answer shows a passage they share once, with the others as \"also in\").")


@dataclass(frozen=True)
class IndexStatus:
    """What an index holds and how it stands against the files (`rag status`).

    `stale`: indexed articles whose files changed or vanished since; `new_files`: article files in a
    folder that no run has indexed or skipped yet; `skipped`: the files each folder's last run skipped;
    `unfiled`: articles indexed before folders were recorded (the next `rag index` files them);
    `missing_folders`: folders the index holds that are gone.
    """

    index_dir: str
    embed_model: str | None
    folders: tuple[FolderInfo, ...]
    articles: int
    chunks: int
    duplicates: tuple[DuplicateGroup, ...]
    stale: tuple[StaleFile, ...]
    new_files: tuple[str, ...]
    skipped: tuple[SkippedFile, ...]
    unfiled: int = 0
    missing_folders: tuple[str, ...] = ()

    @property
    def up_to_date(self) -> bool:
        """Whether the index holds exactly what its folders hold (nothing changed, vanished or new)."""
        return not (self.stale or self.new_files or self.unfiled or self.missing_folders)
