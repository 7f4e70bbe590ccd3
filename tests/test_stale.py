"""The index stays true to the files: articles edited or deleted since indexing are flagged next to the answer
(ask(), `rag ask`, the chat and its panel) until `rag index` is run; a file touched but unchanged is not."""
from __future__ import annotations

import json
import os
import shutil

import pytest

from rag.format import format_answer
from rag.index import build_index
from rag.pipeline import Assistant
from rag.types import StaleFile
from tests.conftest import HOCHSTEIN, SEEDS, make_settings
from tests.test_cli import rag
from ui.app import source_panel
from ui.chat import respond
from ui.render import cite_href

WARNING = "Hochstein warned the Lebanese officials"
DISPLACED = "003_7dc90b1bd24fe7e6"


def test_an_edited_or_deleted_article_is_flagged_next_to_the_answer_until_reindexed(tmp_path, corpus_copy, embedder) -> None:
    settings = make_settings(tmp_path, corpus_copy)
    helper = Assistant(settings)
    hochstein = corpus_copy / f"{HOCHSTEIN}.txt"
    fresh = helper.ask("What did Hochstein warn Hezbollah?")
    assert fresh.stale == () and not any(c.stale for c in fresh.citations)

    later = hochstein.stat().st_mtime_ns + 5_000_000_000
    os.utime(hochstein, ns=(later, later))  # touched, not changed: the hash says it is the same
    assert helper.ask("What did Hochstein warn Hezbollah?").stale == ()

    hochstein.write_text(hochstein.read_text().replace("stand by Israel", "stand beside Israel"))
    answer = helper.ask("What did Hochstein warn Hezbollah?")
    assert answer.stale == (StaleFile(HOCHSTEIN, str(hochstein), "changed"),)
    cited = {c.doc_id: c.stale for c in answer.citations}
    assert cited[HOCHSTEIN] is True and not any(stale for doc_id, stale in cited.items() if doc_id != HOCHSTEIN)
    data = json.loads(json.dumps(answer.to_dict(), default=str))  # what `rag ask --json` prints
    assert data["stale"] == [{"doc_id": HOCHSTEIN, "path": str(hochstein), "change": "changed"}]
    assert {c["doc_id"]: c["stale"] for c in data["citations"]} == cited

    shown = format_answer(answer)  # what `rag ask` prints
    assert "the file changed since indexing: run `rag index`" in shown
    assert f"Note: 1 of the articles this answer was drawn from no longer matches the index: {hochstein}" in " ".join(
        shown.split())

    *_, (messages, _) = respond(helper, "What did Hochstein warn Hezbollah?", [], mode="extractive")  # the chat
    html = messages[-1]["content"]
    assert 'class="stale-warning"' in html and "the file changed since indexing" in html and 'class="cite stale"' in html
    citation = next(c for c in answer.citations if c.doc_id == HOCHSTEIN)
    panel = source_panel(helper, cite_href(citation))
    assert "The file changed since indexing: this is the text as indexed" in panel

    (corpus_copy / f"{DISPLACED}.txt").unlink()
    gone = helper.ask("How many Israelis have been displaced?")
    assert StaleFile(DISPLACED, str(corpus_copy / f"{DISPLACED}.txt"), "deleted") in gone.stale
    assert "the file was deleted since indexing" in format_answer(gone)

    build_index(settings, embedder)  # the fix the messages name
    again = helper.ask("What did Hochstein warn Hezbollah?")
    assert again.stale == () and "stand beside Israel" in " ".join(c.quote for c in again.citations)


@pytest.mark.slow
def test_rag_ask_says_when_a_cited_file_changed_since_indexing(tmp_path) -> None:
    folder = tmp_path / "news"
    shutil.copytree(SEEDS, folder)
    env = {"RAG_INDEX_DIR": str(tmp_path / "index")}
    assert rag("index", str(folder), **env).returncode == 0
    path = folder / f"{HOCHSTEIN}.txt"
    path.write_text(path.read_text().replace("stand by Israel", "stand beside Israel"))
    done = rag("ask", "What did Hochstein warn Hezbollah?", **env)
    assert done.returncode == 0, done.stderr
    answer, sources = done.stdout.split("\nSources:\n")
    assert "no longer matches the index" in answer and "Run `rag index`" in answer
    assert f"({HOCHSTEIN}, characters" in sources and "the file changed since indexing: run `rag index`" in sources
    assert WARNING in done.stdout  # the quote is still shown, marked, not hidden


def test_a_refusal_s_nearest_sentence_is_marked_stale_with_its_article_and_printed_as_json() -> None:
    from rag.stale import mark_stale
    from rag.types import Answer, Citation

    near = Citation(0, HOCHSTEIN, "US pushes for halt", None, "Hochstein warned", 10, 26)
    refusal = Answer("Q?", "The articles don't say.", False, "extractive", (), (), (), nearest=near)
    changed = StaleFile(HOCHSTEIN, f"seeds/{HOCHSTEIN}.txt", "changed")
    marked = mark_stale(refusal, [changed])
    assert marked.nearest is not None and marked.nearest.stale and marked.stale == (changed,)
    assert not mark_stale(refusal, [StaleFile("other", "seeds/other.txt", "deleted")]).nearest.stale
    data = json.loads(json.dumps(marked.to_dict(), default=str))  # what `rag ask --json` prints
    assert data["nearest"]["quote"] == "Hochstein warned" and data["nearest"]["stale"] is True
    assert data["citations"] == [] and data["answered"] is False
