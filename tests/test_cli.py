"""The `rag` command as a user runs it: answers with sources, one-line errors, never a traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import HOCHSTEIN, ROOT, original


def rag(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | env
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], cwd=cwd, env=environment, capture_output=True, text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_ask_prints_the_answer_then_numbered_sources(seed_settings) -> None:
    done = rag("ask", "What did Hochstein warn Hezbollah?", RAG_INDEX_DIR=str(seed_settings.index_dir))
    assert done.returncode == 0, done.stderr
    answer, sources = done.stdout.split("\nSources:\n")
    assert "stand by Israel" in answer and "[1]" in answer
    assert "US pushes for halt in Lebanon fighting" in sources and "Middle East Eye" in sources and HOCHSTEIN in sources
    assert done.stderr == ""


@pytest.mark.slow
def test_ask_json_gives_citations_with_exact_offsets(seed_settings) -> None:
    done = rag("ask", "--json", "How many Israelis have been displaced?", RAG_INDEX_DIR=str(seed_settings.index_dir))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["answered"] is True
    for c in data["citations"]:
        assert original(c["doc_id"])[c["start"] : c["end"]] == c["quote"]
    assert "60,000" in data["text"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("index", "/no/such/folder"), "No folder /no/such/folder"),
        (("index", "--replace"), "--replace needs the folder to index in place of the others"),
        (("ask", ""), "The question is empty"),
        (("ask", "   "), "The question is empty"),
    ],
)
def test_user_mistakes_get_one_line_and_a_nonzero_exit(tmp_path, args, message) -> None:
    done = rag(*args, RAG_INDEX_DIR=str(tmp_path / "index"))
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {message}") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.slow
def test_ask_without_an_index_or_articles_says_how_to_build_one(tmp_path) -> None:
    done = rag("ask", "What did Hochstein warn Hezbollah?", cwd=tmp_path)
    assert done.returncode == 2
    assert "No index at .rag" in done.stderr and "rag index" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_bad_setting_is_named_in_the_error(tmp_path) -> None:
    done = rag("ask", "Who is Hochstein?", RAG_TOP_K="many", RAG_INDEX_DIR=str(tmp_path))
    assert done.returncode == 2 and "RAG_TOP_K must be a whole number, got 'many'" in done.stderr


@pytest.mark.slow
def test_index_reports_counts_and_warns_once_per_bad_file(tmp_path) -> None:
    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "story.txt").write_text("Flood hits town\nThe river burst its banks on Monday, officials said.\n")
    (corpus / "broken.txt").write_bytes(b"\xff\xfe\x00\x00garbage")
    done = rag("index", str(corpus), RAG_INDEX_DIR=str(tmp_path / "index"))
    assert done.returncode == 0, done.stderr
    assert "1 added" in done.stdout and "1 skipped" in done.stdout
    assert done.stderr.count("broken.txt") == 1 and done.stderr.startswith("warning: skipped")
    again = rag("index", str(corpus), RAG_INDEX_DIR=str(tmp_path / "index"))
    assert "1 unchanged" in again.stdout and "0 chunks embedded" in again.stdout


def test_calling_main_again_adds_no_second_log_handler(tmp_path) -> None:
    import logging

    from rag.cli import main

    for _ in range(3):
        main(["--index-dir", str(tmp_path / "none"), "status"])
    assert sum(getattr(h, "newsqa_cli", False) for h in logging.getLogger("rag").handlers) == 1


def test_help_lists_every_command_including_those_the_chat_and_evaluation_register() -> None:
    """As a user runs it, from the repository (where a stale newsqa.egg-info may sit first on sys.path)."""
    done = rag("--help")
    assert done.returncode == 0, done.stderr
    listed = [line.split()[0] for line in done.stdout.splitlines() if line.startswith("    ") and line[4] != " "]
    assert listed == ["index", "add", "ask", "status", "models", "bench", "eval", "ui"]
    assert "unavailable" not in done.stdout
    for command, option in (("ui", "--share"), ("eval", "--sets"), ("bench", "--cold-runs")):
        helped = rag(command, "--help")
        assert helped.returncode == 0 and option in helped.stdout, helped.stderr
        assert helped.stdout.startswith(f"usage: rag {command} [-h]")
