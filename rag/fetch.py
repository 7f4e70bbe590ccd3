"""Fetch: one web address, politely (a User-Agent naming newsqa, a timeout, a size limit, one try, no retries).

Only `rag add` fetches, and only the addresses it is given (or a feed it is given lists): nothing else in
newsqa goes to the network for articles.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from types import TracebackType
from typing import Literal
from urllib.parse import urldefrag, urlsplit

from rag.errors import FetchError
from rag.settings import Settings

USER_AGENT = ("newsqa/0.1 (question answering over saved news; fetches only the pages and feeds its "
              "user names, once each)")  # honest and stable: a site can tell it apart
MAX_REDIRECTS = 5
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml",
                        "text/xml", "application/feed+xml", "application/x-rss+xml"})
ACCEPT = {
    "page": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
    "feed": "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.1",
}
Kind = Literal["page", "feed"]


@dataclass(frozen=True)
class Fetched:
    """One fetched address: where it led (after redirects), what the server said it is, and its bytes."""

    url: str  # as asked (without any #fragment)
    final_url: str  # after redirects
    content_type: str  # lower case, without parameters; "" when the server gave none
    charset: str | None  # from the Content-Type header, if it names one
    body: bytes


def check_url(url: str) -> str:
    """The address without its #fragment, if it is an absolute http(s) URL.

    Raises:
        FetchError: any other scheme, or no host.
    """
    address = urldefrag(url.strip()).url
    parts = urlsplit(address)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise FetchError(f"{url}: not a web address; only http:// and https:// addresses can be added, "
                         "e.g. `rag add https://example.com/news/story`.")
    return address


class Fetcher:
    """An HTTP client for one `rag add` run: each address is fetched once, within the settings' limits.

    Use as a context manager; `get(url, kind)` returns the Fetched response or raises FetchError
    with a message naming the address and what to do.
    """

    def __init__(self, settings: Settings) -> None:
        import httpx

        self.timeout = settings.fetch_timeout
        self.max_bytes = settings.max_file_bytes
        self.max_mb = settings.max_file_mb
        self._client = httpx.Client(
            timeout=httpx.Timeout(self.timeout), follow_redirects=True, max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": USER_AGENT},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._client.close()

    def get(self, url: str, kind: Kind) -> Fetched:
        """Fetch `url` as a web page or a feed: one try, the whole response within the timeout and size limit.

        Raises:
            FetchError: not an http(s) address, unreachable, timed out, an HTTP error status, a content type
                that is not a `kind`, or over the size limit. The message names the address.
        """
        import httpx

        address = check_url(url)
        deadline = time.monotonic() + self.timeout
        try:
            with self._client.stream("GET", address, headers={"Accept": ACCEPT[kind]}) as response:
                if response.status_code >= 400:
                    raise FetchError(f"{url}: {_status_advice(response.status_code, response.reason_phrase)}")
                content_type, charset = _content_type(response.headers.get("content-type", ""))
                _check_type(url, content_type, kind)
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise self._too_large(url, int(declared))
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > self.max_bytes:
                        raise self._too_large(url, None)
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("the whole response took too long")
                final_url = str(response.url)
        except httpx.TimeoutException:
            raise FetchError(f"{url}: no complete answer within {self.timeout:g} s (RAG_FETCH_TIMEOUT); the site may be "
                             "slow or down: try again later, or raise RAG_FETCH_TIMEOUT.") from None
        except httpx.TooManyRedirects:
            raise FetchError(f"{url}: redirected more than {MAX_REDIRECTS} times; open it in a browser to find the "
                             "article's own address and add that.") from None
        except httpx.UnsupportedProtocol:
            raise FetchError(f"{url}: redirected to an address that is not http(s); add the article's own "
                             "http(s) address.") from None
        except httpx.HTTPError as exc:  # connection refused, unknown host, reset, a broken response
            raise FetchError(f"{url}: could not be fetched ({type(exc).__name__}: {exc or 'no detail'}); check the "
                             "address and the connection, then try again.") from None
        return Fetched(address, final_url, content_type, charset, bytes(body))

    def _too_large(self, url: str, size: int | None) -> FetchError:
        size_text = f"is {size / 1048576:.1f} MB, over" if size is not None else "is over"
        return FetchError(f"{url}: {size_text} the {self.max_mb:g} MB limit for one article (RAG_MAX_FILE_MB); nothing "
                          "was saved. If it is one article, save its text into a .txt file in the folder instead.")


def _content_type(header: str) -> tuple[str, str | None]:
    """`text/html; charset=UTF-8` -> ("text/html", "UTF-8")."""
    kind, *params = header.split(";")
    charset = next((p.split("=", 1)[1].strip().strip("\"'") for p in params if p.strip().lower().startswith("charset=")),
                   None)
    return kind.strip().lower(), charset or None


def _check_type(url: str, content_type: str, kind: Kind) -> None:
    """Raise FetchError if the server says the address holds something other than a `kind` (a missing type passes)."""
    if not content_type or content_type == "application/octet-stream":
        return  # unlabelled: the content itself is judged once read
    if kind == "page" and content_type not in PAGE_TYPES:
        if content_type in FEED_TYPES - {"application/xml", "text/xml"}:
            raise FetchError(f"{url}: is a feed ({content_type}), not a page; add its articles with "
                             f"`rag add --feed {url}`.")
        raise FetchError(f"{url}: is {content_type}, not a web page; `rag add` saves HTML pages only. "
                         "Save the article's text into a .txt file in the folder instead.")
    if kind == "feed" and content_type not in FEED_TYPES:
        if content_type in PAGE_TYPES:
            raise FetchError(f"{url}: is a web page, not an RSS or Atom feed; add the page itself with `rag add {url}`, "
                             "or use the address of the site's feed (often linked as RSS).")
        raise FetchError(f"{url}: is {content_type}, not an RSS or Atom feed; use the address of the site's feed.")


def _status_advice(status: int, reason: str) -> str:
    """What an HTTP error status means for the user."""
    said = f"the server answered {status} {reason}".rstrip()
    if status == 404 or status == 410:
        return f"{said}: there is no page at this address; check it (a feed may list an article since taken down)."
    if status in (401, 403):
        return (f"{said}: the site does not let newsqa fetch this page (it may need a login or block automated "
                "fetching); save the page from your browser into the folder and run `rag index`.")
    if status == 429:
        return f"{said}: the site asks for fewer requests; try again later."
    if status >= 500:
        return f"{said}: the site failed; try again later."
    return f"{said}; check the address."
