"""Ingestion: titles, outlets, page furniture, and bad files skipped with one clear warning."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rag.chunk import chunk_article, sentence_spans
from rag.embed import token_counter
from rag.errors import CorpusError
from rag.ingest import scan_folder
from tests.conftest import SEEDS
from tests.pages import DATA, FURNITURE, PARAGRAPHS

MB = 1024 * 1024


@pytest.fixture(scope="module")
def seeds() -> dict:
    scan = scan_folder(SEEDS, 5 * MB)
    assert not scan.skipped
    return {a.doc_id: a for a in scan.articles}


@pytest.mark.parametrize(
    ("doc_id", "title", "outlet"),
    [
        ("000_290ddbd9adc3a4b1", "US pushes for halt in Lebanon fighting in meeting with Israeli defence minister",
         "Middle East Eye"),
        ("001_22ffd0278ad700fd", "US pushes to resurrect ceasefire talks with Hezbollah", "The Wall Street Journal"),
        ("002_c2ca303522c8726a",
         "Hezbollah refuses US advances but willing to engage in diplomacy to prevent escalation of conflict", None),
        ("003_7dc90b1bd24fe7e6",
         "Only further military action against Hezbollah would make it safe for displaced…", None),
    ],
)
def test_title_is_the_headline_or_the_lead_and_outlet_comes_from_the_text(seeds, doc_id, title, outlet) -> None:
    article = seeds[doc_id]
    assert (article.title, article.outlet) == (title, outlet)


@pytest.mark.parametrize(
    ("doc_id", "furniture"),
    [
        ("000_290ddbd9adc3a4b1", ["New MEE newsletter: Jerusalem Dispatch", "Sign up to get the latest insights",
                                  "Middle East Eye delivers independent"]),
        ("001_22ffd0278ad700fd", ["The Wall Street Journal"]),
        ("003_7dc90b1bd24fe7e6", ["Read more: Trump", "Read more: Seven sentenced"]),
    ],
)
def test_page_furniture_is_never_in_a_chunk_but_stays_in_the_original(seeds, doc_id, furniture) -> None:
    article = seeds[doc_id]
    chunks = chunk_article(article, token_counter(), 200, 40)
    marked = [article.text[s.start : s.end] for s, _ in article.furniture]
    for piece in furniture:
        assert piece in article.text
        assert any(line.startswith(piece) for line in marked), f"{piece!r} not marked as furniture"
        assert not any(piece in c.text for c in chunks), f"{piece!r} leaked into a chunk"
    # Reporting that merely mentions an outlet stays in: 000 cites Middle East Eye in the body.
    if doc_id == "000_290ddbd9adc3a4b1":
        assert any("Middle East Eye first reported" in c.text for c in chunks)


def test_every_chunk_and_sentence_points_at_the_original_text(seeds) -> None:
    count = token_counter()
    for article in seeds.values():
        chunks = chunk_article(article, count, 120, 20)
        assert len(chunks) >= 2
        for c in chunks:
            assert article.text[c.start : c.end] == c.text
            assert len(count(c.text)) <= 120
            assert all(c.start <= s.start < s.end <= c.end for s in c.sentences)


def test_sentences_do_not_break_at_abbreviations(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Headline here\nMr. Biden met Dr. Smith at 3 p.m. on Oct. 7. Then he left.\n")
    article = scan_folder(tmp_path, MB).articles[0]
    sentences = [article.text[s.start : s.end] for s in sentence_spans(article)]
    assert sentences == ["Headline here", "Mr. Biden met Dr. Smith at 3 p.m. on Oct. 7.", "Then he left."]


def test_crlf_and_markdown_files_keep_exact_offsets(tmp_path: Path) -> None:
    text = "# Storm hits coast\r\n\r\nThe storm hit on Monday.\r\nOfficials said 40 homes flooded.\r\n"
    (tmp_path / "storm.md").write_bytes(text.encode())
    article = scan_folder(tmp_path, MB).articles[0]
    assert article.title == "Storm hits coast"
    assert article.text == text
    sentences = [article.text[s.start : s.end] for s in sentence_spans(article)]
    assert sentences[1:] == ["The storm hit on Monday.", "Officials said 40 homes flooded."]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "is empty"),
        ("blank.txt", b"  \n\n \t\n", "is empty"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks binary"),
        ("latin1.txt", "Caf\u00e9 owners protest\nThe caf\u00e9 closed.".encode("latin-1"), "not UTF-8"),
        ("huge.txt", b"word " * (MB // 4), "over the 0.2 MB limit"),
        ("furniture.txt", b"Read more: Something else\nSign up to our newsletter", "no article text"),
    ],
)
def test_bad_files_are_skipped_with_one_warning_and_the_rest_index(tmp_path, caplog, name, content, reason) -> None:
    (tmp_path / "good.txt").write_text("Good headline\nA perfectly fine article sentence.\n")
    (tmp_path / name).write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="rag"):
        scan = scan_folder(tmp_path, MB // 5)
    assert [a.doc_id for a in scan.articles] == ["good"]
    assert [(s.path.name, reason in s.reason) for s in scan.skipped] == [(name, True)]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and name in warnings[0] and reason in warnings[0]


def test_links_out_of_the_folder_and_hidden_files_are_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("Secret headline\nDo not index me.\n")
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "ok.txt").write_text("Fine headline\nFine text here.\n")
    os.symlink(outside, folder / "link.txt")
    (folder / ".hidden.txt").write_text("Hidden headline\nHidden.\n")
    scan = scan_folder(folder, MB)
    assert [a.doc_id for a in scan.articles] == ["ok"]
    assert [s.path.name for s in scan.skipped] == ["link.txt"]
    assert "outside the corpus folder" in scan.skipped[0].reason


@pytest.mark.parametrize("make", [lambda p: p / "missing", lambda p: (p / "f.txt").write_text("x") and p / "f.txt"])
def test_a_missing_folder_or_a_file_is_a_clear_error(tmp_path, make) -> None:
    with pytest.raises(CorpusError, match="folder"):
        scan_folder(make(tmp_path), MB)


def test_sentences_with_two_spaces_between_them_chunk_to_exact_offsets(tmp_path: Path) -> None:
    # news wire text (gensim's Lee corpus) puts two spaces after a full stop; SentenceSplitter
    # used to glue such sentences together ("Top.A new"), making chunks found nowhere in the article
    sentence = "The fire moved towards the town of Hill Top in the afternoon.  A new blaze closed the highway.  "
    (tmp_path / "wire.txt").write_text("Bushfires near Sydney\n" + sentence * 40 + "\nMore later.\n")
    article = scan_folder(tmp_path, MB).articles[0]
    chunks = chunk_article(article, token_counter(), 60, 10)
    assert len(chunks) > 5
    for c in chunks:
        assert article.text[c.start : c.end] == c.text
        assert "Top.A" not in c.text


# --- Saved web pages (.html/.htm) and Markdown front matter ---

@pytest.fixture(scope="module")
def pages() -> dict:
    scan = scan_folder(DATA, 5 * MB)
    assert not scan.skipped
    return {a.path.name: a for a in scan.articles}


@pytest.mark.parametrize("name", sorted(PARAGRAPHS))
def test_a_saved_page_gives_exactly_its_article_paragraphs_and_no_furniture(pages, name) -> None:
    article = pages[name]
    assert article.text.split("\n") == PARAGRAPHS[name]  # entities decoded (&pound; is £), no tags, nothing else
    chunks = chunk_article(article, token_counter(), 60, 10)
    for piece in FURNITURE[name]:
        assert piece not in article.text, f"{piece!r} leaked into the text"
    assert all(article.text[c.start : c.end] == c.text for c in chunks)
    assert [article.text[s.start : s.end] for s in article.body] == PARAGRAPHS[name]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("harbour.html", ("Harbour wall repairs to cost £4.2m after winter storms", "The Coastal Courier",
                          "Eleanor Marsh", "2024-03-14", "https://www.coastalcourier.example/news/2024/03/harbour-wall-repairs")),
        ("brief.html", ("Lifeboat crew rescue two kayakers off Bolt Head", "South Hams Today", "Priya Natarajan",
                        "2024-03-16", "https://southhamstoday.example/news/lifeboat-kayakers-bolt-head")),
        # windows-1252 bytes, the date from <meta name="date">, the title without its " - Valley Gazette" tail
        ("ferry.htm", ("Island ferry fares to rise by 8% from April", "Valley Gazette", "Owen Price", "2024-02-27",
                       "https://valleygazette.example/2024/02/27/ferry-fares")),
    ],
)
def test_a_saved_page_gives_its_title_outlet_author_date_and_canonical_url(pages, name, expected) -> None:
    article = pages[name]
    # the canonical link wins over og:url, which carries a tracking parameter; the date is the published one,
    # not article:modified_time
    assert (article.title, article.outlet, article.author, article.date, article.url) == expected
    assert article.doc_id == Path(name).stem


def test_a_page_without_a_date_has_none_rather_than_its_copyright_year(tmp_path: Path) -> None:
    (tmp_path / "fair.html").write_text(
        "<html><head><title>Town fair returns</title></head><body><nav><a href='/'>Home</a></nav><article>"
        "<h1>Town fair returns</h1><p>The town fair returned to the green on Saturday after a five-year break, "
        "drawing more than three thousand people.</p></article><footer>© 2021 Example Media.</footer></body></html>"
    )
    article = scan_folder(tmp_path, MB).articles[0]
    assert (article.title, article.date, article.url) == ("Town fair returns", None, None)
    assert "2021" not in article.text and "Home" not in article.text


def test_an_article_in_a_wrapper_with_a_furniture_sounding_class_is_kept(tmp_path: Path) -> None:
    paragraphs = [f"The harbour commission said on {day} that the new breakwater would be finished by the autumn, "
                  "two years later than planned, after tenders for the stone came in far above the budget set in 2021."
                  for day in ("Monday", "Tuesday", "Friday")]
    (tmp_path / "breakwater.html").write_text(
        "<html><head><title>Breakwater delayed</title></head><body><h1>Breakwater delayed</h1>"
        f"<div class='story-body ad-free'>{''.join(f'<p>{p}</p>' for p in paragraphs)}</div>"
        "<div class='ad-slot'><p>Advertisement: cheap flights to Spain this weekend only.</p></div></body></html>"
    )
    article = scan_folder(tmp_path, MB).articles[0]
    assert article.text.split("\n")[-3:] == paragraphs and "cheap flights" not in article.text


FRONT = "---\ntitle: Storm closes the coast road\ndate: 2024-03-14\noutlet: The Coastal Courier\n" \
        "url: https://coastalcourier.example/storm\nauthor: [Eleanor Marsh, Tom Reed]\n---\n"
BODY = "Storm closes the coast road\n\nThe coast road closed on Monday after the storm.\nIt reopens in May.\n"


@pytest.mark.parametrize(
    ("front", "meta"),
    [
        (FRONT, ("Storm closes the coast road", "The Coastal Courier", "2024-03-14",
                 "https://coastalcourier.example/storm", "Eleanor Marsh, Tom Reed")),
        # CRLF line ends, a timestamp for a date, other key names, "..." closing, keys in capitals
        ("---\r\nHeadline: Coast road shut\r\nDate: 2024-03-14T07:30:00Z\r\nsource: Courier\r\n"
         "link: https://c.example/s\r\nbyline: Eleanor Marsh\r\n...\r\n",
         ("Coast road shut", "Courier", "2024-03-14", "https://c.example/s", "Eleanor Marsh")),
        ("\ufeff---\ndate: '2024-03-14'\n---\n", ("Storm closes the coast road", None, "2024-03-14", None, None)),
        ("---\n---\n", ("Storm closes the coast road", None, None, None, None)),  # empty: nothing to say
    ],
)
@pytest.mark.parametrize("suffix", [".md", ".txt"])
def test_front_matter_gives_metadata_and_is_not_part_of_the_text(tmp_path, front, meta, suffix) -> None:
    (tmp_path / f"storm{suffix}").write_text(front + BODY, newline="")
    article = scan_folder(tmp_path, MB).articles[0]
    assert (article.title, article.outlet, article.date, article.url, article.author) == meta
    assert article.text == BODY and not article.title.startswith("---")
    sentences = [article.text[s.start : s.end] for s in sentence_spans(article)]
    assert sentences == ["Storm closes the coast road", "The coast road closed on Monday after the storm.",
                         "It reopens in May."]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("---\ntitle: Storm: closes road\n---\n" + BODY, "malformed front matter (YAML error on line 2 of the file"),
        ("---\ntitle: [unclosed\n---\n" + BODY, "malformed front matter (YAML error"),
        ("---\njust a line of text\n---\n" + BODY, "it is not `key: value` lines"),
        ("---\ntitle:\n  nested: map\n---\n" + BODY, "`title` must be one line of text, not a dict"),
        ("---\ndate: 14th of March\n---\n" + BODY, "front matter date '14th of March' that is not a date; write it as YYYY-MM-DD"),
        ("---\ndate: 2024\n---\n" + BODY, "front matter date '2024' that is not a date"),
        ("---\ntitle: Storm\n" + BODY, "no `---` line closes its front matter"),
        ("---\ntitle: Storm\n---\n\n  \n", "has no article text after its front matter"),
    ],
)
def test_malformed_front_matter_skips_the_file_with_a_reason_that_says_what_to_fix(tmp_path, caplog, content, reason) -> None:
    (tmp_path / "good.md").write_text(BODY)
    (tmp_path / "bad.md").write_text(content)
    with caplog.at_level(logging.WARNING, logger="rag"):
        scan = scan_folder(tmp_path, MB)
    assert [a.doc_id for a in scan.articles] == ["good"]
    assert [s.path.name for s in scan.skipped] == ["bad.md"]
    assert reason in scan.skipped[0].reason, scan.skipped[0].reason
    assert len(caplog.records) == 1 and "bad.md" in caplog.records[0].getMessage()


def test_a_horizontal_rule_later_in_a_markdown_file_is_not_front_matter(tmp_path: Path) -> None:
    text = "# Storm hits coast\n\nThe storm hit on Monday.\n\n---\n\nOfficials said 40 homes flooded.\n"
    (tmp_path / "storm.md").write_text(text)
    article = scan_folder(tmp_path, MB).articles[0]
    assert (article.title, article.text, article.date) == ("Storm hits coast", text, None)


NAV = "".join(f"<li><a href='/s{i}'>Section {i}</a></li>" for i in range(30))


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.html", b"", "is empty"),
        ("blank.htm", b"\n  \n", "is empty"),
        ("no-body.html", b"<!DOCTYPE html><html><head><title>Hi</title></head><body></body></html>",
         "has no article text that could be extracted"),
        ("menus.html", f"<html><body><header><a href='/'>The Courier</a></header><nav><ul>{NAV}</ul></nav>"
                       "<div class='cookies'>We use cookies to improve your experience and show you ads.</div>"
                       "<footer>(c) 2024 Courier Media. All rights reserved.</footer></body></html>".encode(),
         "has no article text that could be extracted"),
        ("headline-only.html", b"<html><body><h1>Harbour wall repairs to cost four million</h1></body></html>",
         "has no article text that could be extracted"),
        ("script-only.html", b"<html><head><script>var story = 'The council met on Monday and agreed to repair "
                             b"the wall before winter.';</script></head><body></body></html>",
         "has no article text that could be extracted"),
        ("photo.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "looks binary"),
        ("noise.html", bytes((i * 131 + 7) % 255 + 1 for i in range(5000)), "is not readable HTML"),
        ("utf16.html", "<html><body><p>Le café a fermé.</p></body></html>".encode("utf-16"), "is UTF-16 text"),
        ("huge.html", b"<html><body><article>" + b"<p>The council met again on Tuesday.</p>" * 6000
                      + b"</article></body></html>", "over the 0.2 MB limit"),
        ("sprawling.html", b"<html><body>" + b"<br>" * 35000 + b"</body></html>",
         "HTML elements, far more than one article's page"),
    ],
)
def test_a_bad_page_is_skipped_with_a_reason_naming_what_to_do(tmp_path, caplog, name, content, reason) -> None:
    (tmp_path / "good.html").write_bytes((DATA / "harbour.html").read_bytes())
    (tmp_path / name).write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="rag"):
        scan = scan_folder(tmp_path, MB // 5)
    assert [a.doc_id for a in scan.articles] == ["good"]
    assert [s.path.name for s in scan.skipped] == [name]
    assert reason in scan.skipped[0].reason, scan.skipped[0].reason
    warnings = [r.getMessage() for r in caplog.records if r.name == "rag"]
    assert len(warnings) == 1 and name in warnings[0] and reason in warnings[0]


def test_a_page_and_a_text_file_with_the_same_name_are_not_both_indexed(tmp_path: Path) -> None:
    (tmp_path / "harbour.html").write_bytes((DATA / "harbour.html").read_bytes())
    (tmp_path / "harbour.txt").write_text("Harbour notes\nThe harbour wall will be repaired in May.\n")
    scan = scan_folder(tmp_path, MB)
    assert [a.path.name for a in scan.articles] == ["harbour.html"]
    assert [s.path.name for s in scan.skipped] == ["harbour.txt"] and "rename one of them" in scan.skipped[0].reason


def test_pieces_are_counted_from_one_tokenization_exactly_as_on_their_own() -> None:
    from rag.chunk import _PieceCounter

    count = token_counter()
    text = "Hochstein warned Hezbollah: the US won't condemn Israel.\nUnbelievably, 1,200 troops moved. Éclair café."
    pieces = count_pieces = _PieceCounter(count, text, count.spans(text))
    words = "".join(ch if ch.isalnum() else " " for ch in text).split()
    cuts = [w[:k] for w in words for k in range(1, len(w))] + [w[k:] for w in words for k in range(1, len(w))]
    for piece in [text, text.split("\n")[0], "\n" + text.split("\n")[1], "Unbelievably, 1,200 troops moved. ",
                  "elievably, 1,2", "café.", "", "not in the text at all", *cuts]:
        assert len(count_pieces(piece)) == len(count(piece)), piece
    assert isinstance(pieces("Hochstein warned Hezbollah:"), range)  # read off the offsets, not encoded again


WORDS = ["cookie", "Cookies", "COOKIE", "settings", "accept", "all", "newsletter", "Newsletters", "republish",
         "Republishing", "this", "article", "All", "rights", "reserved", "RESERVED", "Read", "more:", "sign", "up",
         "We", "use", "site", "uses", "Middle", "East", "Eye", "delivers", "independent", "advertisement", "Hochstein",
         "warned", "Hezbollah", "ſite", "##", "-", "the", "report", "cookies"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=14))
@example(["COOKIE", "settings"])
@example(["accept", "all", "Cookies"])
@example(["All", "rights", "RESERVED"])
@example(["Republishing", "this", "article"])
@example(["the", "Newsletters"])
@example(["We", "use", "cookies"])
def test_a_line_is_labelled_as_the_patterns_alone_label_it(words: list[str]) -> None:
    # furniture_label skips a pattern's search when the line lacks every word the pattern needs: never a different label
    from rag.ingest import COOKIE_BUTTON, FURNITURE_PATTERNS, NEWSLETTER, NEWSLETTER_MAX_WORDS, furniture_label

    line = " ".join(words)
    stripped = line.strip().lstrip("#>*- ").strip()
    expected = next((label for label, pattern, _ in FURNITURE_PATTERNS if pattern.search(stripped)), None)
    if expected is None and len(stripped.split()) <= NEWSLETTER_MAX_WORDS:
        expected = ("newsletter sign-up" if NEWSLETTER.search(stripped)
                    else "cookie notice" if COOKIE_BUTTON.search(stripped) else None)
    assert furniture_label(line) == expected
