"""Ingest: read every article under a folder (.txt/.md, saved .html pages), find its text, metadata and page furniture."""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from rag.errors import CorpusError
from rag.extract import NO_ARTICLE, extract_page
from rag.frontmatter import split_front_matter
from rag.types import Article, Metadata, SkippedFile, Span

log = logging.getLogger("rag")

INGEST_VERSION = 2  # bump when parsing changes: the next `rag index` then re-reads every article
HTML_SUFFIXES = (".html", ".htm")
SUFFIXES = (".txt", ".md", *HTML_SUFFIXES)
TITLE_MAX_CHARS = 200
DERIVED_TITLE_WORDS = 12

# Line-level page furniture: (label, pattern, words). A line matching one is kept on disk but never retrieved or
# cited. Patterns are anchored or narrow so that real reporting does not match. An unanchored pattern lists the
# words one of which every match holds, case-folded: a line with none of them is not searched, which spares the
# slow searches on every line of article text (they were most of what reading a folder cost).
FURNITURE_PATTERNS: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    ("read-more link", re.compile(r"^(read more|read also|also read|related|see also|more on this)\s*:", re.I), ()),
    ("newsletter sign-up", re.compile(r"^(sign up|subscribe)\b", re.I), ()),
    ("republishing footer", re.compile(r"republish(ing)? this (content|article)|all rights reserved", re.I),
     ("republish", "all rights reserved")),
    ("outlet footer", re.compile(r"^[A-Z][\w&.' -]{1,60}? delivers independent\b"), ()),
    ("social prompt", re.compile(r"^(follow us on|share this (article|story)|click here to)\b", re.I), ()),
    ("advertisement", re.compile(r"^advertisement$", re.I), ()),
    ("cookie notice", re.compile(r"^(we|this (web)?site|our (web)?site) uses? cookies\b", re.I), ()),
)
NEWSLETTER = re.compile(r"\bnewsletters?\b", re.I)  # needs "newsletter"
NEWSLETTER_MAX_WORDS = 12
COOKIE_BUTTON = re.compile(  # needs "cookie"
    r"\b(accept|allow|manage|reject) (all )?cookies\b|\bcookie (settings|preferences)\b", re.I)
MIN_PROSE_WORDS = 8  # a page counts as an article only if some extracted line is a sentence at least this long
OUTLET_FOOTER = re.compile(r"^(?P<outlet>[A-Z][\w&.' -]{1,60}?) delivers\b")
OUTLET_LINE = re.compile(r"^(The )?([A-Z][\w&.'-]*)( [A-Z][\w&.'-]*){0,5}$")
SENTENCE_END = re.compile(r"[.!?\"”’')]$")


@dataclass(frozen=True)
class Scan:
    """What a folder holds: the articles that can be indexed and the files skipped, with reasons."""

    articles: tuple[Article, ...]
    skipped: tuple[SkippedFile, ...]


def scan_folder(folder: Path, max_bytes: int) -> Scan:
    """Read every .txt/.md/.html/.htm file under `folder` (recursively, hidden entries skipped).

    Args:
        folder: the corpus folder.
        max_bytes: files larger than this are skipped.
    Returns:
        The readable articles, sorted by path, and the skipped files with reasons
        (each also logged once as a warning).
    Raises:
        CorpusError: the folder does not exist or is not a directory.
    """
    folder = Path(folder)
    check_folder(folder)
    root = folder.resolve()
    articles: list[Article] = []
    skipped: list[SkippedFile] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or path.suffix.lower() not in SUFFIXES:
            continue
        if path.is_dir():
            continue
        problem = _problem_with_location(path, root)
        result = read_article(path, max_bytes) if problem is None else problem
        if isinstance(result, str):
            skipped.append(SkippedFile(path, result))
        elif result.doc_id in seen:
            skipped.append(SkippedFile(path, f"same name as {seen[result.doc_id]}; rename one of them"))
        else:
            seen[result.doc_id] = path
            articles.append(result)
    for item in skipped:
        log.warning("skipped %s: %s", item.path, item.reason)
    return Scan(tuple(articles), tuple(skipped))


def check_folder(folder: Path) -> None:
    """Raise CorpusError unless `folder` is a directory."""
    if not folder.exists():
        raise CorpusError(f"No folder {folder}. Pass the folder that holds your articles, e.g. `rag index seeds/`.")
    if not folder.is_dir():
        raise CorpusError(f"{folder} is a file, not a folder. Pass the folder that holds your articles.")


def _problem_with_location(path: Path, root: Path) -> str | None:
    """A reason to skip a path that escapes the folder through a link, else None."""
    try:
        resolved = path.resolve()
    except OSError as exc:
        return f"cannot be resolved ({exc.strerror or exc})"
    if not resolved.is_relative_to(root):
        return f"is a link to {resolved}, outside the corpus folder; copy the file in instead"
    if not resolved.is_file():
        return "is not a regular file"
    return None


def read_article(path: Path, max_bytes: int) -> Article | str:
    """Read one article file; return the Article (with the file's size and mtime), or a one-line reason why it cannot be used."""
    try:
        stat = path.stat()  # before reading: a file changed while it is read is then found changed later, not missed
        size = stat.st_size
        if size > max_bytes:
            return f"is {size / 1048576:.1f} MB, over the {max_bytes / 1048576:.1f} MB limit (raise RAG_MAX_FILE_MB)"
        raw = path.read_bytes()
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not raw.strip():
        return "is empty"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "is UTF-16 text; convert it to UTF-8, e.g. `iconv -f utf-16 -t utf-8`"
    if b"\x00" in raw[:8192]:
        return ("looks binary (it contains NUL bytes); only plain-text .txt/.md articles and saved .html/.htm "
                "pages can be indexed")
    if path.suffix.lower() in HTML_SUFFIXES:
        article = parse_page(path, raw)
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return (
                f"is not UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start}); "
                "convert it, e.g. `iconv -f latin1 -t utf-8`"
            )
        article = parse_article(path, text)
    return article if isinstance(article, str) else dataclasses.replace(
        article, size=stat.st_size, mtime_ns=stat.st_mtime_ns)


def parse_article(path: Path, text: str) -> Article | str:
    """A .txt/.md article: its front matter (if any), then body lines and furniture, and its title and outlet.

    The article's text is `text` after the front matter; the front matter's fields win over
    what the text itself suggests (the headline line, an outlet sign-off).
    """
    front = split_front_matter(text)
    if isinstance(front, str):
        return front
    meta, start = (front.meta, front.end) if front else (Metadata(), 0)
    article_text = text[start:]
    lines = _lines(article_text)
    if not lines:
        return "is empty" if front is None else "has no article text after its front matter"
    body, furniture, outlet = _classify(article_text, lines)
    if not body:
        return "has no article text once page furniture is removed"
    return Article(
        doc_id=path.stem,
        path=path,
        title=meta.title or _title(article_text, body),
        outlet=meta.outlet or outlet,
        text=article_text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        body=tuple(body),
        furniture=tuple(furniture),
        date=meta.date,
        author=meta.author,
        url=meta.url,
    )


def parse_page(path: Path, raw: bytes) -> Article | str:
    """A saved web page: the article text trafilatura extracts, less any furniture lines it kept, and its metadata.

    The article's text is those lines alone, one paragraph a line, so that the chat shows a clean
    article and every offset points into it.
    """
    page = extract_page(raw)
    if isinstance(page, str):
        return page
    body, _, outlet = _classify(page.text, _lines(page.text))
    kept = [page.text[span.start : span.end] for span in body]
    if not any(_is_prose(line) for line in kept):
        return NO_ARTICLE
    text = "\n".join(kept)
    spans = _lines(text)
    return Article(
        doc_id=path.stem,
        path=path,
        title=page.meta.title or _title(text, spans),
        outlet=page.meta.outlet or outlet,
        text=text,
        sha256=hashlib.sha256(raw).hexdigest(),
        body=tuple(spans),
        date=page.meta.date,
        author=page.meta.author,
        url=page.meta.url,
    )


def _classify(text: str, lines: list[Span]) -> tuple[list[Span], list[tuple[Span, str]], str | None]:
    """The body lines, the furniture lines with their labels, and the outlet a sign-off or footer names."""
    furniture: list[tuple[Span, str]] = []
    body: list[Span] = []
    outlet: str | None = None
    last = lines[-1] if lines else None
    for span in lines:
        line = text[span.start : span.end]
        label = furniture_label(line)
        if label is None and span is last and len(lines) > 2 and _is_outlet_line(line):
            label, outlet = "outlet sign-off", line.strip()
        footer = OUTLET_FOOTER.match(line.strip()) if label else None
        if footer and outlet is None:
            outlet = footer.group("outlet")
        if label:
            furniture.append((span, label))
        else:
            body.append(span)
    return body, furniture, outlet


def furniture_label(line: str) -> str | None:
    """The kind of page furniture `line` is, or None for article text."""
    stripped = line.strip().lstrip("#>*- ").strip()
    folded = stripped.casefold()
    for label, pattern, words in FURNITURE_PATTERNS:
        if (not words or any(w in folded for w in words)) and pattern.search(stripped):
            return label
    if "newsletter" in folded and NEWSLETTER.search(stripped) and len(stripped.split()) <= NEWSLETTER_MAX_WORDS:
        return "newsletter sign-up"
    if "cookie" in folded and COOKIE_BUTTON.search(stripped) and len(stripped.split()) <= NEWSLETTER_MAX_WORDS:
        return "cookie notice"
    return None


def _is_prose(line: str) -> bool:
    """A line that reads as a sentence of reporting, not a menu entry or a link."""
    return len(line.split()) >= MIN_PROSE_WORDS and bool(SENTENCE_END.search(line.strip()))


def _is_outlet_line(line: str) -> bool:
    """A short closing line such as "The Wall Street Journal"."""
    stripped = line.strip()
    return bool(OUTLET_LINE.match(stripped)) and not SENTENCE_END.search(stripped)


def _lines(text: str) -> list[Span]:
    """Spans of the non-blank lines, whitespace trimmed, offsets into `text`."""
    spans = []
    for match in re.finditer(r"[^\r\n]+", text):
        line = match.group()
        stripped = line.strip()
        if stripped:
            start = match.start() + (len(line) - len(line.lstrip()))
            spans.append(Span(start, start + len(stripped)))
    return spans


def _title(text: str, body: list[Span]) -> str:
    """The headline line where the file has one, otherwise the lead's opening words."""
    first = text[body[0].start : body[0].end].lstrip("\ufeff#").strip()
    if len(body) > 1 and len(first) <= TITLE_MAX_CHARS and not SENTENCE_END.search(first):
        return first
    words = first.split()
    if len(words) <= DERIVED_TITLE_WORDS:
        return first.rstrip(".")
    return " ".join(words[:DERIVED_TITLE_WORDS]).rstrip(",;:") + "…"

