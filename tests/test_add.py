"""`rag add URL…` and `rag add --feed FEED_URL` against a real HTTP server on 127.0.0.1.

The server serves the example pages of tests/data (with their cookie banners, ads, share bars and comments),
an RSS and an Atom feed listing them (tests/data/feed.rss, feed.atom), and the ways a fetch goes wrong: a
404, a server too slow to answer, a PDF, a page with no article, pages over the size limit. Everything goes
through the real CLI, the real embedding model and a real index; nothing is faked.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rag.add import file_stem
from rag.cli import main
from rag.fetch import USER_AGENT
from rag.store import Store
from tests.pages import DATA, FURNITURE, PARAGRAPHS

HARBOUR = "/news/2024/03/harbour-wall-repairs"
LIFEBOAT = "/news/lifeboat-kayakers-bolt-head"
FERRY = "/islands/ferry-fares"  # served without a canonical link or a date: the fetched address and the feed's date are kept
HARBOUR_CANONICAL = "https://www.coastalcourier.example/news/2024/03/harbour-wall-repairs"
SLOW_SECONDS = 3.0
TIMEOUT = "0.5"  # RAG_FETCH_TIMEOUT in these tests
SIZE_LIMIT_MB = "0.1"  # RAG_MAX_FILE_MB in the tests of large pages
MENU_PAGE = (b"<!DOCTYPE html><html><head><title>Sections</title></head><body><nav><ul>"
             + b"".join(b'<li><a href="/%s">%s</a></li>' % (s, s) for s in (b"news", b"sport", b"weather", b"jobs"))
             + b"</ul></nav></body></html>")


def ferry_without_address() -> bytes:
    """ferry.htm as a site might serve it: no canonical link, and no date (in its markup or its byline)."""
    page = (DATA / "ferry.htm").read_text(encoding="utf-8").replace(" | Tuesday, 27 February 2024", "")
    page = "\n".join(line for line in page.splitlines() if 'rel="canonical"' not in line and 'name="date"' not in line)
    return page.encode("utf-8")


def big_page() -> bytes:
    paragraph = "<p>The council met again on Tuesday to discuss the harbour, the ferry and the quay car park.</p>\n"
    return f"<html><head><title>Long</title></head><body><article>{paragraph * 2000}</article></body></html>".encode()


@dataclass
class Site:
    """The test server's address and the requests it answered (path, User-Agent)."""

    url: str
    requests: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, path: str) -> str:
        return self.url + path

    def fetched(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p.split("?")[0] == path)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """A real HTTP server on a free 127.0.0.1 port, for the module."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    where = Site(f"http://127.0.0.1:{server.server_address[1]}")

    def feed(name: str) -> bytes:
        return (DATA / name).read_text(encoding="utf-8").replace("{site}", where.url).encode("utf-8")

    routes: dict[str, tuple[int, str | None, bytes | None]] = {  # path: status, Content-Type, body
        HARBOUR: (200, "text/html; charset=utf-8", (DATA / "harbour.html").read_bytes()),
        LIFEBOAT: (200, "text/html", (DATA / "brief.html").read_bytes()),
        FERRY: (200, "text/html", ferry_without_address()),
        "/feed.rss": (200, "application/rss+xml; charset=utf-8", feed("feed.rss")),
        "/feed.atom": (200, "application/atom+xml", feed("feed.atom")),
        "/report.pdf": (200, "application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
        "/sections": (200, "text/html", MENU_PAGE),
        "/big": (200, "text/html", big_page()),
        "/big-unannounced": (200, "text/html", big_page()),  # no Content-Length: the limit applies as it arrives
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            path = self.path.split("?")[0]
            where.requests.append((self.path, self.headers.get("User-Agent", "")))
            if path == "/slow":
                time.sleep(SLOW_SECONDS)
            if path == "/old-address":
                self.send_response(301)
                self.send_header("Location", HARBOUR)
                self.end_headers()
                return
            status, kind, body = routes.get(path, (404, "text/html", b"<html><body><h1>Not found</h1></body></html>"))
            if path == "/slow":
                status, kind, body = routes[HARBOUR]
            self.send_response(status)
            if kind:
                self.send_header("Content-Type", kind)
            if path != "/big-unannounced":
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout, a size limit)
                pass

        def log_message(self, *args: object) -> None:
            pass

    server.RequestHandlerClass = Handler
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield where
    server.shutdown()
    server.server_close()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No RAG_* variable from the machine; an index in tmp_path; answers written without an LLM. Returns the index dir."""
    import os

    for name in list(os.environ):
        if name.startswith(("RAG_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # RAG_CORPUS's default, seeds/, does not exist here
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_MODE", "extractive")
    monkeypatch.setenv("RAG_FETCH_TIMEOUT", TIMEOUT)
    return tmp_path / "index"


def rag(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`rag ARGS…` run in this process: exit code, stdout, stderr."""
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def articles(index_dir: Path) -> dict[str, tuple[str, str | None, str | None, str]]:
    """The indexed articles: doc_id -> (title, date, url, text)."""
    store = Store.open(index_dir)
    try:
        return {a.doc_id: (a.title, a.date, a.url, store.article_text(a.doc_id) or "") for a in store.articles()}
    finally:
        store.close()


def html_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.slow
def test_added_pages_are_saved_clean_indexed_and_cited(site, env, tmp_path, capsys) -> None:
    news = tmp_path / "news"
    code, out, err = rag(capsys, "add", "--folder", str(news), site(HARBOUR), site(LIFEBOAT))
    assert (code, err) == (0, "")
    harbour = news / "harbour-wall-repairs-to-cost-4-2m-after-winter-storms.html"
    lifeboat = news / "lifeboat-crew-rescue-two-kayakers-off-bolt-head.html"
    assert f"saved {site(HARBOUR)} as {harbour}" in out and f"saved {site(LIFEBOAT)} as {lifeboat}" in out
    assert "Indexed: 2 added" in out and f"Added 2 pages to {news} (0 already saved, 0 failed)." in out
    assert html_files(news) == [harbour.name, lifeboat.name]  # no temporary file left behind
    assert all(agent == USER_AGENT for _, agent in site.requests)

    held = articles(env)
    title, date, url, text = held["harbour-wall-repairs-to-cost-4-2m-after-winter-storms"]
    assert (title, date, url) == ("Harbour wall repairs to cost £4.2m after winter storms", "2024-03-14", HARBOUR_CANONICAL)
    assert text.split("\n") == PARAGRAPHS["harbour.html"]  # the article alone: its own canonical address, kept
    for piece in FURNITURE["harbour.html"] + FURNITURE["brief.html"]:
        assert all(piece not in t for *_, t in held.values()), f"{piece!r} reached the index"

    code, out, _ = rag(capsys, "ask", "--json", "How much will the emergency repairs to the harbour wall cost?")
    answer = json.loads(out)
    assert code == 0 and answer["answered"] and "£4.2 million" in answer["text"]
    cited = answer["citations"][0]
    assert (cited["doc_id"], cited["url"], cited["date"]) == (
        "harbour-wall-repairs-to-cost-4-2m-after-winter-storms", HARBOUR_CANONICAL, "2024-03-14")
    for c in answer["citations"]:
        assert held[c["doc_id"]][3][c["start"] : c["end"]] == c["quote"]

    code, out, _ = rag(capsys, "status", "--json")
    status = json.loads(out)
    assert [(f["path"], f["articles"]) for f in status["folders"]] == [(str(news), 2)] and status["new_files"] == []


@pytest.mark.slow
def test_a_feed_adds_its_articles_once_keeping_each_address_and_the_feeds_date(site, env, tmp_path, capsys) -> None:
    news = tmp_path / "news"
    code, out, err = rag(capsys, "add", "--folder", str(news), "--feed", site("/feed.rss"))
    assert code == 1  # the feed's withdrawn article is a 404; its three others are added
    assert err.splitlines() == [f"error: {site('/news/quay-car-park')}: the server answered 404 Not Found: there is no "
                                "page at this address; check it (a feed may list an article since taken down)."]
    assert "feed Coast and Islands News: 4 articles listed" in out
    assert f"Added 3 pages to {news} (0 already saved, 1 failed: see the errors above)." in out
    assert html_files(news) == ["harbour-wall-repairs-to-cost-4-2m-after-winter-storms.html",
                                "island-ferry-fares-to-rise-by-8-from-april.html",
                                "lifeboat-crew-rescue-two-kayakers-off-bolt-head.html"]
    held = articles(env)
    _, date, url, text = held["island-ferry-fares-to-rise-by-8-from-april"]
    assert (date, url) == ("2024-02-27", site(FERRY))  # the page gives neither: the feed's date, the fetched address
    assert text.split("\n") == PARAGRAPHS["ferry.htm"]
    code, out, _ = rag(capsys, "ask", "--json", "How much will the adult return ticket to Holm Island cost?")
    cited = json.loads(out)["citations"][0]
    assert (cited["url"], cited["date"]) == (site(FERRY), "2024-02-27") and "£13.50" in cited["quote"]

    # again, and through the Atom feed listing two of the same articles under other addresses: nothing new is saved
    pages_before = {p: site.fetched(p) for p in (HARBOUR, LIFEBOAT, FERRY)}
    code, out, err = rag(capsys, "add", "--folder", str(news), "--feed", site("/feed.rss"), "--feed", site("/feed.atom"))
    assert code == 1 and err.count("error:") == 1  # the 404, tried once more
    assert f"Added 0 pages to {news} (4 already saved, 1 failed" in out
    assert "Indexed: 0 added, 0 updated, 0 removed, 3 unchanged" in out
    assert {p: site.fetched(p) for p in (HARBOUR, LIFEBOAT, FERRY)} == {
        HARBOUR: pages_before[HARBOUR], FERRY: pages_before[FERRY],
        LIFEBOAT: pages_before[LIFEBOAT] + 1,  # the Atom feed's address differs: fetched, found by its canonical link
    }
    assert len(html_files(news)) == 3


@pytest.mark.slow
def test_limit_takes_the_feeds_first_articles_and_an_atom_feeds_relative_links_resolve(site, env, tmp_path,
                                                                                       capsys) -> None:
    news = tmp_path / "news"
    code, out, err = rag(capsys, "add", "--folder", str(news), "--limit", "1", "--feed", site("/feed.atom"))
    assert (code, err) == (0, "")
    assert "feed Valley Gazette: islands: 2 articles listed, the first 1 taken (--limit)" in out
    assert html_files(news) == ["island-ferry-fares-to-rise-by-8-from-april.html"]
    _, date, url, _ = articles(env)["island-ferry-fares-to-rise-by-8-from-april"]
    assert (date, url) == (None, site(FERRY))  # the entry's malformed date is not guessed at


@pytest.mark.slow
def test_each_bad_address_gets_one_clear_error_and_the_good_one_is_still_added(site, env, tmp_path, capsys,
                                                                               monkeypatch) -> None:
    monkeypatch.setenv("RAG_MAX_FILE_MB", SIZE_LIMIT_MB)
    news = tmp_path / "news"
    unreachable = "http://127.0.0.1:9/news/story"  # the discard port: nothing listens
    bad = [site("/missing"), site("/slow"), site("/report.pdf"), site("/sections"), site("/big"),
           site("/big-unannounced"), site("/feed.rss"), unreachable, "ftp://example.com/story.html", "harbour.html"]
    started = time.monotonic()
    code, out, err = rag(capsys, "add", "--folder", str(news), *bad[:5], site("/old-address"), *bad[5:])
    assert time.monotonic() - started < SLOW_SECONDS + 30
    assert code == 1
    errors = err.splitlines()
    assert len(errors) == len(bad) and all(line.startswith("error: ") for line in errors)
    for url, line, says in zip(bad, errors, [
        "the server answered 404 Not Found: there is no page at this address",
        f"no complete answer within {TIMEOUT} s (RAG_FETCH_TIMEOUT)",
        "is application/pdf, not a web page; `rag add` saves HTML pages only",
        "the page has no article text that could be extracted",
        "is 0.2 MB, over the 0.1 MB limit for one article (RAG_MAX_FILE_MB); nothing was saved",
        "is over the 0.1 MB limit for one article (RAG_MAX_FILE_MB)",
        f"is a feed (application/rss+xml), not a page; add its articles with `rag add --feed {site('/feed.rss')}`",
        "could not be fetched (ConnectError",
        "not a web address; only http:// and https:// addresses can be added",
        "not a web address",
    ]):
        assert line.startswith(f"error: {url}: ") and says in line, (url, line)
    # the redirected address was saved, under the article's own address
    assert html_files(news) == ["harbour-wall-repairs-to-cost-4-2m-after-winter-storms.html"]
    assert f"Added 1 page to {news} (0 already saved, {len(bad)} failed" in out
    assert list(articles(env)) == ["harbour-wall-repairs-to-cost-4-2m-after-winter-storms"]


def test_nothing_is_indexed_or_created_when_every_address_fails(site, env, tmp_path, capsys) -> None:
    news = tmp_path / "news"
    code, out, err = rag(capsys, "add", "--folder", str(news), site("/missing"), "--feed", site(HARBOUR))
    assert code == 1
    assert f"error: {site(HARBOUR)}: is a web page, not an RSS or Atom feed; add the page itself with `rag add" in err
    assert "Nothing was indexed." in out and not news.exists() and not env.exists()


@pytest.mark.slow
def test_without_folder_pages_go_to_the_indexs_first_folder(site, env, tmp_path, capsys) -> None:
    code, _, err = rag(capsys, "add", site(HARBOUR))
    assert code == 2 and err == ("error: No folder seeds to save the pages into. Name one with "
                                 "`rag add --folder DIR URL…` (it is created if need be).\n")
    mynews, other = tmp_path / "mynews", tmp_path / "other"
    for folder in (mynews, other):
        folder.mkdir()
        (folder / "bridge.txt").write_text(f"{folder.name} bridge to close\nThe mayor of {folder.name} said the "
                                           "bridge will close for repairs in May.\n")
        assert rag(capsys, "index", str(folder))[0] == 0
    code, out, err = rag(capsys, "add", site(HARBOUR))
    assert (code, err) == (0, "")
    assert (mynews / "harbour-wall-repairs-to-cost-4-2m-after-winter-storms.html").is_file()
    assert "Indexed: 1 added, 0 updated, 0 removed, 1 unchanged" in out  # only that folder was re-indexed
    assert "harbour-wall-repairs-to-cost-4-2m-after-winter-storms" in articles(env)

    # inside an indexed folder: that folder is re-indexed; the page takes a name no article there has
    (other / "lifeboat-crew-rescue-two-kayakers-off-bolt-head.txt").write_text("Lifeboat day\nThe lifeboat station "
                                                                              "opens its doors to visitors in June.\n")
    code, out, _ = rag(capsys, "add", "--folder", str(other / "web"), site(LIFEBOAT))
    assert code == 0 and "Indexed: 2 added, 0 updated, 0 removed, 1 unchanged, 0 skipped" in out
    assert (other / "web" / "lifeboat-crew-rescue-two-kayakers-off-bolt-head-2.html").is_file()
    assert {"other/lifeboat-crew-rescue-two-kayakers-off-bolt-head",
            "other/lifeboat-crew-rescue-two-kayakers-off-bolt-head-2"} <= set(articles(env))
    code, _, err = rag(capsys, "add", "--folder", str(tmp_path), site(FERRY))  # holds both: indexed twice
    assert code == 2 and f"{tmp_path} holds {mynews}, which the index already holds" in err


def test_a_page_is_never_saved_over_another_article(site, env, tmp_path, capsys) -> None:
    news = tmp_path / "news"
    news.mkdir()
    mine = news / "harbour-wall-repairs-to-cost-4-2m-after-winter-storms.txt"
    mine.write_text("My notes on the harbour\nThe wall needs work, I think.\n")
    code, out, _ = rag(capsys, "add", "--folder", str(news), site(HARBOUR))
    assert code == 0
    assert html_files(news) == [mine.name.replace(".txt", "-2.html"), mine.name]
    assert mine.read_text().startswith("My notes")
    assert {"harbour-wall-repairs-to-cost-4-2m-after-winter-storms",
            "harbour-wall-repairs-to-cost-4-2m-after-winter-storms-2"} == set(articles(env))


@pytest.mark.parametrize(("title", "url", "stem"), [
    ("Harbour wall repairs to cost £4.2m after winter storms", "http://x/a", "harbour-wall-repairs-to-cost-4-2m-after-winter-storms"),
    ("../../etc/passwd", "http://x/a", "etc-passwd"),
    (".hidden", "http://x/a", "hidden"),
    ("Café owner’s “big” day", "http://x/a", "cafe-owners-big-day"),
    ("Mayor's 'plan'", "http://x/a", "mayors-plan"),
    ("Ποσειδώνας", "http://x/news/2024/tide-tables.html", "tide-tables"),  # no ASCII in the title: the address
    (None, "http://x/a%20b/..%2F..%2Fsecret", "secret"),
    (None, "https://news.example/", "news-example"),
    ("///", "http://[::1]/", "1"),
    ("A very long headline " * 10, "http://x/a", "a-very-long-headline-a-very-long-headline-a-very-long"),
])
def test_file_names_are_safe_words_from_the_title_or_the_address(title, url, stem) -> None:
    assert file_stem(title, url) == stem
