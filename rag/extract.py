"""Extract: a saved web page's article text and metadata, with trafilatura (navigation, ads and comments left out)."""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from rag.types import Metadata

# htmldate's "extensive search" guesses a date from any text on the page (a "© 2021" footer becomes
# 2021-01-01); a wrong date is worse than none, so only the page's date markup counts.
DATE_PARAMS = {"extensive_search": False, "original_date": True}
# trafilatura's time grows faster than the page: 40,000 elements take ~5 s on one core. A news page has a few
# thousand; a page far beyond that is not one article, and is skipped rather than stalling the index run.
MAX_ELEMENTS = 30_000
# Page furniture removed before trafilatura reads the page: its main extractor leaves most of it out by itself,
# but on a short article its fallbacks take in the cookie banner, ads and share bar around it.
FURNITURE_TAGS = frozenset({"nav", "header", "footer", "aside", "form", "button", "noscript", "iframe", "template"})
FURNITURE_NAME = re.compile(  # a class or id word, e.g. class="share-bar", id="ad-top", class="comments"
    r"(?:^|[\s_-])(?:cookies?|consent|gdpr|share|sharing|social|adverts?|advertisement|ads?|sponsored|promo|related|"
    r"recommended|newsletter|subscribe|signup|comments?|disqus|breadcrumbs?|most-read)(?:$|[\s_-])", re.I)
NEVER_FURNITURE = frozenset({"html", "head", "body", "article", "main"})
# A furniture-named element holding most of the page's paragraphs, and at least this many words of them, is taken
# for the article in an oddly named wrapper (class="story ad-free") and kept.
ARTICLE_WORDS = 80
NO_ARTICLE = ("has no article text that could be extracted (an empty page, or only menus and links); "
              "if it is an article, save the complete page again, or copy its text into a .txt file")


@dataclass(frozen=True)
class Page:
    """The article extracted from an HTML page: its text (paragraphs one per line) and metadata."""

    text: str
    meta: Metadata


def extract_page(raw: bytes) -> Page | str:
    """The article text and metadata of one saved HTML page, or a one-line reason why there is none.

    Args:
        raw: the page's bytes (the encoding is detected from its `<meta charset>` or its content).
    Returns:
        The Page, or a reason fit for a skipped-file warning.
    """
    import trafilatura

    try:
        tree = trafilatura.load_html(raw)
        if tree is None:
            return ("is not readable HTML (no page structure could be parsed); check that it is a saved web page, "
                    "or rename it to .txt if it is plain text")
        elements = sum(1 for _ in tree.iter())
        if elements > MAX_ELEMENTS:
            return (f"has {elements:,} HTML elements, far more than one article's page (the limit is {MAX_ELEMENTS:,}); "
                    "save the article's own page, or copy its text into a .txt file")
        found = trafilatura.extract_metadata(copy.deepcopy(tree), date_config=DATE_PARAMS)  # from the whole page
        meta = Metadata(
            title=_clean(found.title),
            outlet=_clean(found.sitename),
            author=_clean(found.author),
            date=_clean(found.date),
            url=_canonical(tree) or _clean(found.url),
        )
        document = trafilatura.bare_extraction(
            _without_furniture(tree), include_comments=False, include_images=False, include_links=False,
        )
    except Exception as exc:  # noqa: BLE001 - a page that breaks the parser must not stop the whole index run
        return f"could not be parsed as HTML ({type(exc).__name__}: {exc}); check that it is a saved web page"
    text = getattr(document, "text", None) or ""
    if not text.strip():
        return NO_ARTICLE
    return Page(text, meta)


def _without_furniture(tree: Any) -> Any:
    """The page less its navigation, cookie banner, ads, share bars, related links and comments (changed in place).

    An element is furniture by its tag or by a word of its class or id; one that holds the headline or
    the article, or most of the page's paragraph text (ARTICLE_WORDS or more), always stays.
    """
    page_words = _paragraph_words(tree)
    doomed = []
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag in NEVER_FURNITURE:
            continue
        named = f"{element.get('class', '')} {element.get('id', '')}"
        if element.tag not in FURNITURE_TAGS and not FURNITURE_NAME.search(named):
            continue
        if element.find(".//h1") is not None or element.find(".//article") is not None:
            continue
        words = _paragraph_words(element)
        if words >= ARTICLE_WORDS and 2 * words >= page_words:
            continue
        doomed.append(element)
    for element in doomed:
        if element.getparent() is not None:  # not already gone with an ancestor
            element.drop_tree()
    return tree


def _paragraph_words(element: Any) -> int:
    """How many words the `<p>` elements in `element` hold."""
    return sum(len(p.text_content().split()) for p in element.iter("p"))


def _canonical(tree: Any) -> str | None:
    """The page's `<link rel="canonical">` address, if it is an absolute http(s) URL."""
    hrefs = tree.xpath(
        "//link[contains(concat(' ', normalize-space(translate(@rel, 'CANOIL', 'canoil')), ' '), ' canonical ')]/@href"
    )
    for href in hrefs:
        href = str(href).strip()
        if urlsplit(href).scheme in ("http", "https") and urlsplit(href).netloc:
            return href
    return None


def _clean(value: object) -> str | None:
    """A metadata value with its whitespace collapsed, or None when there is none."""
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None
