"""Add: save web pages, named or listed in an RSS/Atom feed, into an article folder as .html files, then index it.

Each page is fetched once (rag.fetch), checked to hold an article the way `rag index` reads one
(rag.ingest.parse_page), marked with the addresses it came from, and written whole (a temporary file,
then a link to a name no other file has). The marks make re-runs idempotent: an address already saved
in the folder is not fetched again.
"""
from __future__ import annotations

import html
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote, urlsplit

from rag.errors import ConfigError, CorpusError, FetchError
from rag.fetch import Fetched, Fetcher, check_url
from rag.ingest import HTML_SUFFIXES, SUFFIXES, parse_page
from rag.settings import Settings
from rag.store import Store
from rag.types import Article, IndexReport

if TYPE_CHECKING:
    from rag.embed import Embedder

DEFAULT_LIMIT = 20  # feed items taken per feed, newest first as the feed lists them
SOURCE_META = "newsqa:url"  # <meta name="newsqa:url" content="…">: an address the saved page was fetched from
# (no mark of when it was fetched: htmldate would take that date for the article's publication date)
MARK_BYTES = 16_384  # the marks sit at the top of the page's <head>; only this much of a file is read for them
SOURCE_MARK = re.compile(rb'<meta name="newsqa:url" content="([^"]*)">')
NAME_CHARS = 60  # the longest file name made from a title, before ".html"
# Where the marks go: after the page's charset declaration (so it stays early), else the top of <head>.
HEAD_ANCHORS = tuple(re.compile(p, re.I) for p in (rb"<meta[^>]*charset[^>]*>", rb"<head(?:\s[^>]*)?>",
                                                   rb"<html(?:\s[^>]*)?>", rb"<!doctype[^>]*>"))
Outcome = Literal["saved", "already saved", "failed"]


@dataclass(frozen=True)
class Added:
    """What became of one address: saved as `path`, already saved in `path`, or failed (`reason` says why)."""

    url: str
    outcome: Outcome
    path: Path | None = None
    title: str | None = None
    reason: str | None = None  # for a failure: the address, what happened and what to do


@dataclass(frozen=True)
class FeedItem:
    """One article a feed lists: its address, and its title and date where the feed gives them."""

    url: str
    title: str | None = None
    date: str | None = None  # ISO date, e.g. "2024-02-27"; None when the feed's date does not parse


@dataclass(frozen=True)
class FeedRead:
    """A feed that was read: its title, how many articles it lists and how many were taken (up to the limit)."""

    url: str
    title: str | None
    listed: int
    taken: int


@dataclass(frozen=True)
class AddReport:
    """One `rag add` run: the folder saved into, each address's outcome, the feeds read, and the indexing run."""

    folder: Path
    results: tuple[Added, ...]
    feeds: tuple[FeedRead, ...]
    index: IndexReport | None  # None when nothing could be saved, so nothing was indexed

    @property
    def failed(self) -> tuple[Added, ...]:
        return tuple(r for r in self.results if r.outcome == "failed")

    def summary(self) -> str:
        """One line: how many pages were saved where, how many were there already, how many failed."""
        saved = sum(r.outcome == "saved" for r in self.results)
        known = sum(r.outcome == "already saved" for r in self.results)
        failed = len(self.failed)
        tail = "" if self.index else " Nothing was indexed."
        return (f"Added {saved} page{'' if saved == 1 else 's'} to {self.folder} ({known} already saved, "
                f"{failed} failed{': see the errors above' if failed else ''}).{tail}")


def add_pages(
    settings: Settings, urls: Sequence[str] = (), feeds: Sequence[str] = (), *, folder: Path | None = None,
    limit: int = DEFAULT_LIMIT, embedder: Embedder | None = None, on_result: Callable[[Added], None] | None = None,
) -> AddReport:
    """Fetch web pages (and the articles feeds list) into an article folder as .html files, then index the folder.

    Each address is tried once; one that fails (unreachable, slow, an error status, not HTML, too
    large, no article in it) is reported and the others proceed. Nothing is written for a failure.

    Args:
        settings: the index, the fetch timeout (`fetch_timeout`) and size limit (`max_file_mb`).
        urls: page addresses (http or https).
        feeds: RSS or Atom feed addresses; each feed's first `limit` articles are added.
        folder: where the pages go (created if need be); default: the index's first folder, or
            `settings.corpus` when there is no index yet.
        limit: the most articles taken from each feed.
        embedder: the embedding model (default: the one the settings name, loaded only if something is indexed).
        on_result: called with each address's outcome as soon as it is known.
    Returns:
        The AddReport; its `index` is the indexing run, None if no page could be saved.
    Raises:
        CorpusError: no address given, or no folder to save into (or one that would be indexed twice).
        ConfigError: `limit` below 1.
    """
    if not urls and not feeds:
        raise CorpusError("Name what to add: `rag add URL…` for pages, or `rag add --feed FEED_URL` for a feed's articles.")
    if limit < 1:
        raise ConfigError(f"--limit must be at least 1, got {limit}.")
    target, to_index = choose_folder(settings, folder)
    known = saved_addresses(target)
    # article ids are file names (without suffix) across the whole indexed folder: a new page takes a free one
    taken = {path.stem.lower() for root in {target, to_index} if root.is_dir() for path in _article_files(root)}
    results: list[Added] = []
    read: list[FeedRead] = []

    def report(result: Added) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    with Fetcher(settings) as fetcher:
        items = [FeedItem(url) for url in urls]
        for feed in feeds:
            try:
                title, listed = read_feed(fetcher, feed)
            except FetchError as exc:
                report(Added(feed, "failed", reason=str(exc)))
                continue
            read.append(FeedRead(feed, title, len(listed), min(limit, len(listed))))
            items += listed[:limit]
        for item in _unique(items):
            report(_add_one(fetcher, item, target, known, taken))
    index = None
    if any(r.outcome != "failed" for r in results):
        from rag.embed import load_embedder
        from rag.index import build_index

        index = build_index(settings, embedder or load_embedder(settings), to_index)
    return AddReport(target, tuple(results), tuple(read), index)


def choose_folder(settings: Settings, folder: Path | None) -> tuple[Path, Path]:
    """The folder pages are saved into, and the folder indexed after (the indexed folder holding it, or itself).

    Raises:
        CorpusError: no folder named and the default one does not exist; a file in its place; or a
            folder holding one the index holds (its articles would be indexed twice).
    """
    held = _held_folders(settings)
    if folder is None:
        folder = held[0] if held else Path(settings.corpus)
        if not folder.is_dir():
            raise CorpusError(f"No folder {folder} to save the pages into. Name one with `rag add --folder DIR URL…` "
                              "(it is created if need be).")
    if folder.exists() and not folder.is_dir():
        raise CorpusError(f"{folder} is a file, not a folder. Name the folder to save the pages into with --folder.")
    where = folder.expanduser().resolve()
    for other in held:
        if where.is_relative_to(other):
            return folder, other  # inside (or at) a folder the index holds: re-index that folder
        if other.is_relative_to(where):
            raise CorpusError(f"{folder} holds {other}, which the index already holds: its articles would be indexed "
                              f"twice. Save the pages into {other} (`--folder {other}`) or a folder beside it.")
    return folder, folder


def _held_folders(settings: Settings) -> list[Path]:
    """The folders the index holds, first indexed first; none when there is no index."""
    index_dir = Path(settings.index_dir)
    if not Store.exists(index_dir):
        return []
    store = Store.open(index_dir)
    try:
        return [Path(f.path) for f in store.folders()]
    finally:
        store.close()


def read_feed(fetcher: Fetcher, url: str) -> tuple[str | None, list[FeedItem]]:
    """A feed's title and the articles it lists (in its order, usually newest first), with their dates.

    Raises:
        FetchError: the feed could not be fetched, or is not RSS or Atom.
    """
    import feedparser

    fetched = fetcher.get(url, "feed")
    # a stream, never bytes or a string: feedparser would take those for a file name or an address and open it
    parsed = feedparser.parse(io.BytesIO(fetched.body), response_headers={"content-location": fetched.final_url})
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
        problem = parsed.get("bozo_exception")
        raise FetchError(f"{url}: is not an RSS or Atom feed ({problem or 'no feed items found'}); use the address of "
                         "the site's feed (often linked as RSS), or add pages with `rag add URL…`.")
    items = []
    for entry in parsed.entries:
        link = entry.get("link") or ""
        if not link:
            continue
        when = entry.get("published_parsed") or entry.get("updated_parsed")  # None when the feed's date is malformed
        date = f"{when.tm_year:04d}-{when.tm_mon:02d}-{when.tm_mday:02d}" if when else None
        items.append(FeedItem(link, _one_line(entry.get("title")), date))
    return _one_line(parsed.feed.get("title")), items


def saved_addresses(folder: Path) -> dict[str, Path]:
    """The addresses pages under `folder` were fetched from (their newsqa:url marks), with each page's file."""
    known: dict[str, Path] = {}
    if not folder.is_dir():
        return known
    for path in sorted(_article_files(folder)):
        if path.suffix.lower() not in HTML_SUFFIXES:
            continue
        try:
            with open(path, "rb") as handle:
                head = handle.read(MARK_BYTES)
        except OSError:
            continue
        for match in SOURCE_MARK.finditer(head):
            known.setdefault(html.unescape(match.group(1).decode("ascii", "replace")), path)
    return known


def _add_one(fetcher: Fetcher, item: FeedItem, folder: Path, known: dict[str, Path], taken: set[str]) -> Added:
    """Fetch one address, check that it holds an article, and save it (unless the folder has it already)."""
    try:
        address = check_url(item.url)
        if address in known and known[address].exists():
            return Added(item.url, "already saved", known[address])
        fetched = fetcher.get(address, "page")
        page = _marked_page(fetched, item)
        addresses = _addresses(fetched, page[1].url)
        for other in addresses:
            if other in known and known[other].exists():  # the same page under another address
                return Added(item.url, "already saved", known[other])
        body, article = page
        path = _save(folder, body, file_stem(article.title, fetched.final_url), taken)
    except FetchError as exc:
        return Added(item.url, "failed", reason=str(exc))
    except OSError as exc:
        return Added(item.url, "failed", reason=f"{item.url}: could not be saved in {folder} "
                                                f"({exc.strerror or exc}); check that the folder is writable.")
    for other in addresses:
        known.setdefault(other, path)
    return Added(item.url, "saved", path, article.title)


def _marked_page(fetched: Fetched, item: FeedItem) -> tuple[bytes, Article]:
    """The page's bytes with its source marks (and its address and date, where the page itself has none), and
    its article as `rag index` will read it.

    Raises:
        FetchError: the page is not HTML, or has no article text.
    """
    body = fetched.body
    if body[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in body[:8192]:
        raise FetchError(f"{fetched.url}: is not a text web page (binary or UTF-16 content); `rag add` saves HTML "
                         "pages only.")
    if not fetched.content_type and not re.search(rb"<(html|head|body|p)[\s>]", body[:MARK_BYTES], re.I):
        raise FetchError(f"{fetched.url}: does not look like a web page (no HTML tags, and the server did not say "
                         "what it is); `rag add` saves HTML pages only.")
    first = _article(fetched, body)
    tags = [f'<meta charset="{html.escape(fetched.charset)}">'] if fetched.charset else []
    tags += [f'<meta name="{SOURCE_META}" content="{html.escape(a)}">' for a in _addresses(fetched, first.url)]
    if first.url is None:  # the page names no address of its own: keep the one it was fetched from
        tags.append(f'<link rel="canonical" href="{html.escape(fetched.final_url)}">')
    if first.date is None and item.date:  # the feed's date for a page that gives none
        tags.append(f'<meta property="article:published_time" content="{item.date}">')
    # the server's charset goes first in <head> (it overrides the page's own, as in a browser); else the marks
    # follow the page's own charset declaration, which stays early
    marked = _insert_in_head(body, tags, HEAD_ANCHORS[1:] if fetched.charset else HEAD_ANCHORS)
    return marked, _article(fetched, marked)


def _article(fetched: Fetched, body: bytes) -> Article:
    """The article `rag index` would read from these bytes, or FetchError saying why there is none."""
    article = parse_page(Path("page.html"), body)
    if isinstance(article, str):
        raise FetchError(f"{fetched.url}: the page {article}. Nothing was saved.")
    return article


def _addresses(fetched: Fetched, canonical: str | None) -> list[str]:
    """Every address the page is known by: as asked, after redirects, and its own canonical one."""
    return list(dict.fromkeys(a for a in (fetched.url, fetched.final_url, canonical) if a))


def _insert_in_head(body: bytes, tags: Sequence[str], anchors: Sequence[re.Pattern[bytes]]) -> bytes:
    """`body` with `tags` placed after the first of `anchors` found near its top (else at the very top)."""
    block = ("\n" + "\n".join(tags) + "\n").encode("ascii", "xmlcharrefreplace")
    window = body[:MARK_BYTES]
    for anchor in anchors:
        found = anchor.search(window)
        if found:
            return body[: found.end()] + block + body[found.end() :]
    return block + body


def file_stem(title: str | None, url: str) -> str:
    """A safe file name (without suffix) for a page: its title, else its address's last part, as ASCII words.

    Only a-z, 0-9 and hyphens, at most NAME_CHARS long, so it can never leave the folder or be hidden.
    """
    parts = urlsplit(url)
    last = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", unquote(parts.path).rstrip("/").rsplit("/", 1)[-1])  # tide.html -> tide
    for source in (title, last, parts.hostname):
        slug = _slug(source or "")
        if slug:
            return slug
    return "page"


def _slug(text: str) -> str:
    text = re.sub(r"['’]", "", text)  # owner's -> owners, not owner-s
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) > NAME_CHARS:
        cut = slug[:NAME_CHARS]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[NAME_CHARS // 2 :] else cut
    return slug.strip("-")


def _save(folder: Path, body: bytes, stem: str, taken: set[str]) -> Path:
    """Write `body` whole as `folder/<stem>.html`, or `<stem>-2.html`…: never over another file, never half-written.

    The name is also none of the `taken` names, the other articles' in the indexed folder (`rag index` would
    skip one of two files with the same name); the name chosen is added to them.
    """
    folder.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=".newsqa-", suffix=".part", delete=False)
    try:
        with handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        n = 1
        while True:
            name = stem if n == 1 else f"{stem}-{n}"
            path = folder / f"{name}.html"
            if name.lower() not in taken:
                try:
                    os.link(handle.name, path)  # fails if the name was taken meanwhile: nothing is overwritten
                    taken.add(name.lower())
                    return path
                except FileExistsError:
                    pass
                except OSError:  # a file system without hard links: a rename, only to a name still free
                    if not path.exists():
                        os.replace(handle.name, path)
                        taken.add(name.lower())
                        return path
            n += 1
    finally:
        Path(handle.name).unlink(missing_ok=True)


def _article_files(folder: Path) -> Iterable[Path]:
    """The article files under `folder` as `rag index` finds them (hidden entries left out)."""
    for path in folder.rglob("*"):
        if path.suffix.lower() in SUFFIXES and not any(p.startswith(".") for p in path.relative_to(folder).parts):
            yield path


def _unique(items: Iterable[FeedItem]) -> list[FeedItem]:
    """Items with each address once (the first kept: a named URL, or the first feed to list it)."""
    seen: set[str] = set()
    unique = []
    for item in items:
        key = item.url.strip().split("#", 1)[0]
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _one_line(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None
