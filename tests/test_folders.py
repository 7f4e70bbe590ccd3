"""Several folders in one index (real Chroma, the real embedder): added beside each other, re-indexed together,
replaced or forgotten only when asked, and never a silent loss."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rag.errors import CorpusError
from rag.index import build_index, forget_folder, open_index
from rag.pipeline import Assistant
from rag.retrieve import Retriever
from tests.conftest import SEEDS, CountingEmbedder, make_settings
from tests.test_cli import rag

MYNEWS = {
    "bridge.txt": "Springfield bridge to close\nThe mayor of Springfield announced the bridge will close for repairs in May.\n",
    "library.txt": "Library extends hours\nThe Springfield library will open until 9pm on weekdays from next month.\n",
}
OTHER = {
    "ferry.txt": "Ferry to resume\nThe harbour master said the Kingsbridge ferry will run again from 3 June.\n",
    # the same file name as in mynews/, another story: the two must not be confused
    "bridge.txt": "Shelbyville bridge reopens\nShelbyville council reopened its bridge on Tuesday after repairs "
                  "costing two million pounds.\n",
}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path / "mynews", MYNEWS), write(tmp_path / "other", OTHER)


def top_doc(settings, embedder, question: str) -> str:
    index = open_index(settings, embedder)
    try:
        return Retriever(index, embedder).retrieve(question, 1)[0].doc_id
    finally:
        index.store.close()


@pytest.mark.slow
def test_a_second_folder_is_added_beside_the_first_and_a_plain_rag_index_keeps_both(tmp_path, folders) -> None:
    mynews, other = folders
    env = {"RAG_INDEX_DIR": str(tmp_path / "index")}
    first = rag("index", str(mynews), **env)
    assert first.returncode == 0, first.stderr
    assert "2 added" in first.stdout

    second = rag("index", str(other), **env)
    assert second.returncode == 0, second.stderr
    assert "2 added, 0 updated, 0 removed, 0 unchanged" in second.stdout
    assert (f"The index holds 2 folders: {mynews} (2 articles), {other} (2 articles, ids other/…)."
            in second.stdout)

    for question, doc_id in [("What did the mayor of Springfield announce about the bridge?", "bridge"),
                             ("When will the Kingsbridge ferry run again?", "other/ferry"),
                             ("Which council reopened its bridge after repairs?", "other/bridge")]:
        asked = rag("ask", "--json", question, **env)
        assert asked.returncode == 0, asked.stderr
        answer = json.loads(asked.stdout)
        assert answer["answered"] and answer["citations"][0]["doc_id"] == doc_id, (question, answer["text"])

    again = rag("index", **env)  # no path: every folder the index holds, not RAG_CORPUS
    assert again.returncode == 0, again.stderr
    assert "0 added, 0 updated, 0 removed, 4 unchanged" in again.stdout and "2 folders" in again.stdout


def test_a_file_removed_from_one_folder_is_dropped_and_the_other_folder_is_untouched(
    tmp_path, folders, embedder, chroma_url
) -> None:
    mynews, other = folders
    settings = make_settings(tmp_path, mynews, chroma_url)
    build_index(settings, embedder)
    build_index(settings, embedder, other)
    (other / "ferry.txt").unlink()
    (mynews / "library.txt").write_text(MYNEWS["library.txt"].replace("9pm", "10pm"))
    report = build_index(settings, embedder)
    assert (report.removed, report.updated, report.unchanged) == (("other/ferry",), ("library",), ("bridge", "other/bridge"))
    assert [(f.path, f.articles) for f in report.folders] == [(str(mynews), 2), (str(other), 1)]
    index = open_index(settings, embedder)
    assert {a.doc_id for a in index.store.articles()} == {"bridge", "library", "other/bridge"}
    assert index.vectors.count() == len(index.lexical.ids)
    index.store.close()
    assert top_doc(settings, embedder, "Which council reopened its bridge after repairs?") == "other/bridge"


def test_a_folder_inside_one_the_index_holds_is_refused_and_nothing_changes(tmp_path, folders, embedder) -> None:
    mynews, _ = folders
    inner = write(mynews / "2024", {"fair.txt": "County fair opens\nThe county fair opened on Saturday with 40 stalls.\n"})
    settings = make_settings(tmp_path, mynews)
    build_index(settings, embedder)
    with pytest.raises(CorpusError) as inside:
        build_index(settings, embedder, inner)
    assert f"{inner} is inside {mynews}, which the index already holds" in str(inside.value)
    assert f"rag index --replace {inner}" in str(inside.value)
    with pytest.raises(CorpusError, match=f"{tmp_path} holds {mynews}, which the index already holds"):
        build_index(settings, embedder, tmp_path)
    report = build_index(settings, embedder)
    assert (report.added, report.removed, len(report.unchanged)) == ((), (), 3)


def test_a_folder_that_is_gone_is_named_and_only_forget_drops_its_articles(tmp_path, folders, embedder) -> None:
    mynews, other = folders
    settings = make_settings(tmp_path, mynews)
    build_index(settings, embedder)
    build_index(settings, embedder, other)
    shutil.rmtree(other)
    with pytest.raises(CorpusError) as gone:
        build_index(settings, embedder)
    assert f"The folder {other}, which the index at {settings.index_dir} holds, is gone" in str(gone.value)
    assert f"rag index --forget {other}" in str(gone.value)
    assert top_doc(settings, embedder, "When will the Kingsbridge ferry run again?") == "other/ferry"  # still there

    report = forget_folder(settings, embedder, other)
    assert report.removed == ("other/bridge", "other/ferry") and report.dropped_folders == (str(other),)
    assert f"No longer indexed: {other}." in report.summary()
    assert [f.path for f in report.folders] == [str(mynews)]
    with pytest.raises(CorpusError, match=f"holds no folder {other}; it holds: {mynews}"):
        forget_folder(settings, embedder, other)
    assert build_index(settings, embedder).unchanged == ("bridge", "library")


def test_replace_drops_the_other_folders_but_keeps_what_the_new_one_shares(tmp_path, folders, embedder) -> None:
    mynews, other = folders
    settings = make_settings(tmp_path, mynews)
    build_index(settings, embedder)
    build_index(settings, embedder, other)
    moved = tmp_path / "moved" / "mynews"  # the same articles in another place, one of them edited
    shutil.copytree(mynews, moved)
    (moved / "library.txt").write_text(MYNEWS["library.txt"].replace("9pm", "10pm"))
    counting = CountingEmbedder(embedder)
    report = build_index(settings, counting, moved, replace=True)
    assert report.unchanged == ("bridge",) and report.updated == ("library",)
    assert report.removed == ("other/bridge", "other/ferry")
    assert report.dropped_folders == (str(mynews), str(other))
    assert all("Springfield library" in text for text in counting.texts)  # only the edited article was embedded
    index = open_index(settings, embedder)
    assert {a.doc_id: a.path for a in index.store.articles()} == {
        "bridge": str(moved / "bridge.txt"), "library": str(moved / "library.txt")}
    index.store.close()
    again = build_index(settings, embedder)  # the index now holds the new place only, under the first folder's ids
    assert [(f.path, f.prefix) for f in again.folders] == [(str(moved), "")]
    assert (again.unchanged, again.removed) == (("bridge", "library"), ())


def test_a_replace_that_stopped_half_way_is_finished_by_the_next_run(tmp_path, folders, embedder, monkeypatch) -> None:
    mynews, other = folders
    settings = make_settings(tmp_path, mynews)
    build_index(settings, embedder)
    build_index(settings, embedder, other)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C after the dropped folder is forgotten, before its articles go

    monkeypatch.setattr("rag.vectors.VectorIndex.delete", crash)
    with pytest.raises(KeyboardInterrupt):
        build_index(settings, embedder, other, replace=True)
    monkeypatch.undo()
    report = build_index(settings, embedder)
    assert report.removed == ("bridge", "library") and [f.path for f in report.folders] == [str(other)]
    index = open_index(settings, embedder)
    assert {a.doc_id for a in index.store.articles()} == {"other/bridge", "other/ferry"}
    index.store.close()


def test_the_assistant_reindexes_every_folder_and_builds_the_configured_one_on_first_use(
    tmp_path, folders, embedder
) -> None:
    mynews, other = folders
    settings = make_settings(tmp_path, mynews)
    helper = Assistant(settings)  # no index yet: built from settings.corpus
    assert [(f.path, f.prefix, f.articles) for f in helper.folders()] == [(str(mynews), "", 2)]
    build_index(settings, embedder, other)
    (other / "ferry.txt").write_text(OTHER["ferry.txt"].replace("3 June", "10 June"))
    report = helper.reindex()  # the chat's button
    assert report.updated == ("other/ferry",) and len(report.unchanged) == 3
    answer = helper.ask("When will the Kingsbridge ferry run again?")
    assert answer.citations[0].doc_id == "other/ferry" and "10 June" in answer.citations[0].quote


def test_ask_with_default_settings_builds_the_seeds_on_first_use_and_remembers_them(tmp_path) -> None:
    settings = make_settings(tmp_path)  # corpus: seeds/
    answer = Assistant(settings).ask("What did Hochstein warn Hezbollah?")
    assert answer.answered
    assert [(f.path, f.articles) for f in Assistant(settings).folders()] == [(str(SEEDS), 5)]
