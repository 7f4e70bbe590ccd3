"""Labelling an LLM's real sentences: one row per cited sentence with the passage it cites, and the
checker's and a judge's precision and recall on the labelled rows."""
from __future__ import annotations

import json

import pytest

from eval import sentences
from eval.cli import check_judge
from fake_openai import FakeOpenAI, completion, passage_number
from rag.errors import ConfigError
from rag.pipeline import Assistant
from rag.settings import Settings

QUESTION = "What did Hochstein warn Hezbollah?"


def two_sentences(request: dict) -> object:
    n = passage_number(request, "stand by Israel")
    return completion(f"Hochstein warned that the US will stand by Israel and not condemn it publicly [{n}]. "
                      f"Hochstein warned that the US would send troops to Lebanon [{n}].")


@pytest.mark.slow  # answers the question set
def test_each_cited_sentence_becomes_a_row_with_the_passage_it_cites(seed_settings: Settings) -> None:
    with FakeOpenAI(two_sentences) as server:
        answer = Assistant(seed_settings.replace(mode="openai", openai_base_url=server.url, llm_retries=0)).ask(QUESTION)
    rows = sentences.rows_of(answer, "openai", "q1", "tune")
    assert [r["checker"] for r in rows] == [True, False]
    assert all(r["split"] == "tune" and r["corpus"] == "seeds" for r in rows)
    assert all("stand by Israel" in r["passage"] and r["supported"] is None for r in rows)
    for r in rows:  # the passage is the retrieved chunk, as it stands in the article
        assert r["passage"] in Assistant(seed_settings).article_text(r["doc_id"])


def test_the_report_scores_the_checker_against_the_labels(tmp_path, capsys) -> None:
    passage = "Hochstein said the US would stand by Israel. Gallant met Austin at the Pentagon."
    rows = [
        {"sentence": "Hochstein said the US would stand by Israel.", "checker": True, "supported": True},
        {"sentence": "Gallant met Austin at the Pentagon.", "checker": False, "supported": True},
        {"sentence": "Hochstein met Austin at the White House.", "checker": True, "supported": False},
        {"sentence": "Unlabelled.", "checker": True, "supported": None},
    ]
    path = tmp_path / "labels.jsonl"
    path.write_text("".join(json.dumps({"id": f"r{i}", "question": "q", "passage": passage, "doc_id": "d",
                                        "kind": "test", **r}) + "\n" for i, r in enumerate(rows)))
    assert sentences.main(["report", str(path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["rows"] == 3 and result["labelled_supported"] == 2
    assert result["checker_in_answer"]["precision"] == 0.5 and result["checker_in_answer"]["recall"] == 0.5
    assert result["checker_one_passage"]["recall"] == 1.0  # both true sentences are verbatim in the passage


def test_the_report_gives_each_split_apart(tmp_path, capsys) -> None:
    passage = "Hochstein said the US would stand by Israel. Gallant met Austin at the Pentagon."
    rows = [
        {"sentence": "Hochstein said the US would stand by Israel.", "checker": True, "supported": True, "split": "tune"},
        {"sentence": "Hochstein met Austin at the White House.", "checker": True, "supported": False,
         "split": "heldout"},
        {"sentence": "Gallant met Austin at the Pentagon.", "checker": True, "supported": True, "split": "heldout"},
    ]
    path = tmp_path / "labels.jsonl"
    path.write_text("".join(json.dumps({"id": f"r{i}", "question": "q", "passage": passage, "doc_id": "d",
                                        "kind": "test", **r}) + "\n" for i, r in enumerate(rows)))
    assert sentences.main(["report", str(path)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["rows"] == 3 and result["checker_in_answer"]["precision"] == 0.667
    assert result["by_split"]["tune"]["rows"] == 1 and result["by_split"]["tune"]["checker_in_answer"]["precision"] == 1.0
    assert result["by_split"]["heldout"]["labelled_supported"] == 1
    assert result["by_split"]["heldout"]["checker_in_answer"]["precision"] == 0.5


def test_a_file_without_labels_is_an_error_that_says_what_to_do(tmp_path, capsys) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps({"sentence": "s", "supported": None}) + "\n")
    assert sentences.main(["report", str(path)]) == 2
    assert "set each row's \"supported\"" in capsys.readouterr().err


def test_the_judge_needs_an_endpoint_or_the_installed_local_model(tmp_path) -> None:
    bare = Settings.from_env({}, model_cache=str(tmp_path))
    with pytest.raises(ConfigError, match="rag models install"):
        check_judge(bare, True)
    check_judge(bare, False)
    check_judge(bare.replace(openai_base_url="http://127.0.0.1:9/v1"), True)
