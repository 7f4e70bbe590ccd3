"""Hybrid retrieval: fusion arithmetic, and the right article for a list of questions (embedded Chroma and a server)."""
from __future__ import annotations

import shutil

import pytest

from rag.index import build_index, open_index
from rag.retrieve import Retriever, protected_fusion, reciprocal_rank_fusion
from tests.conftest import HOCHSTEIN, SEEDS, make_settings


@pytest.fixture(scope="module")
def lee_retriever(lee_settings, embedder) -> Retriever:
    return Retriever(open_index(lee_settings, embedder), embedder)


@pytest.fixture(scope="module", params=["embedded", pytest.param("server", marks=pytest.mark.slow)])
def retriever(request, seed_settings, embedder, tmp_path_factory) -> Retriever:
    """Hybrid search over the seeds, with the vectors in embedded Chroma or in a `chroma run` server."""
    settings = seed_settings
    if request.param == "server":
        settings = make_settings(tmp_path_factory.mktemp("seeds-server"), chroma_url=request.getfixturevalue("chroma_server"))
        build_index(settings, embedder)
    return Retriever(open_index(settings, embedder), embedder)


def test_rrf_rewards_agreement_between_rankings() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]], k=60)
    assert [i for i, _ in fused] == ["b", "c", "a", "d"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[3][1] == pytest.approx(1 / 63)


def test_rrf_of_one_ranking_keeps_its_order() -> None:
    assert [i for i, _ in reciprocal_rank_fusion([["x", "y", "z"]])] == ["x", "y", "z"]


@pytest.mark.parametrize(
    ("question", "doc_id"),
    [
        ("What did Hochstein warn Hezbollah?", "000_290ddbd9adc3a4b1"),
        ("Which outlet first reported the blunt warnings?", "000_290ddbd9adc3a4b1"),
        ("Who killed Hassan Nasrallah?", "001_22ffd0278ad700fd"),
        ("What did Mick Mulroy say?", "001_22ffd0278ad700fd"),
        ("Did Hezbollah reject the US proposals?", "002_c2ca303522c8726a"),
        ("maritime boundary 2022", "002_c2ca303522c8726a"),
        ("How many Israelis have been displaced?", "003_7dc90b1bd24fe7e6"),
        ("Fuad Shukr", "003_7dc90b1bd24fe7e6"),
        ("Who attended the talks at the Kirya headquarters?", "004_e726e0349f755961"),
        ("What did Netanyahu tell the envoy about returning residents?", "004_e726e0349f755961"),
    ],
)
def test_the_right_article_is_in_the_top_three(retriever, question, doc_id) -> None:
    passages = retriever.retrieve(question, 3)
    assert doc_id in [p.doc_id for p in passages]


def test_passages_carry_scores_offsets_and_no_furniture(retriever) -> None:
    passages = retriever.retrieve("MEE newsletter sign up", 5)
    assert len(passages) == 5
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    for p in passages:
        assert "Sign up to get" not in p.text and "newsletter" not in p.text.lower()
        assert p.dense_score is not None or p.lexical_score is not None
        assert p.end - p.start == len(p.text)


@pytest.mark.parametrize(
    "rankings, keep, expected_head",
    [
        # both lists agree: plain fusion
        ([["a", "b", "c"], ["a", "b", "c"]], 2, ["a", "b"]),
        # 'x' is BM25's best hit and nowhere in the dense list; 'c', 'd' are middling in both and would win RRF
        ([["a", "c", "d", "e"], ["x", "c", "d", "e"]], 3, ["a", "c", "x"]),
        # a dense-only best hit survives the same way
        ([["y", "c", "d"], ["b", "c", "d"]], 2, ["y", "b"]),
    ],
)
def test_the_best_hit_of_either_list_survives_fusion(rankings, keep, expected_head) -> None:
    order = protected_fusion(rankings, keep=keep, protected=1)
    assert sorted(order[:keep]) == sorted(expected_head)
    assert sorted(order) == sorted({i for r in rankings for i in r})  # nothing lost, nothing doubled


def test_plain_rrf_would_have_dropped_the_single_list_hit() -> None:
    fused = [i for i, _ in reciprocal_rank_fusion([["a", "c", "d", "e"], ["x", "c", "d", "e"]])]
    assert "x" not in fused[:3]  # the failure protected_fusion exists for


def test_near_duplicate_passages_collapse_into_one_that_names_the_others(tmp_path, embedder) -> None:
    folder = tmp_path / "news"
    shutil.copytree(SEEDS, folder)
    text = (folder / f"{HOCHSTEIN}.txt").read_text(encoding="utf-8")
    (folder / "copy-of-mee.txt").write_text(text, encoding="utf-8")
    (folder / "syndicated-mee.txt").write_text(text.replace("Hochstein warned", "Hochstein cautioned"), encoding="utf-8")
    settings = make_settings(tmp_path, corpus=folder)
    build_index(settings, embedder)
    index = open_index(settings, embedder)
    passages = Retriever(index, embedder).retrieve("What did Hochstein warn Hezbollah?", 5)
    copies = {HOCHSTEIN, "copy-of-mee", "syndicated-mee"}
    texts = [p.text for p in passages]
    assert len(set(texts)) == len(texts)
    first = next(p for p in passages if p.doc_id in copies)
    assert set(first.also_in) | {first.doc_id} == copies
    assert sum(p.doc_id in copies for p in passages) <= 2  # at most the two distinct chunks of the same story


def test_the_outlet_and_title_are_searchable(retriever) -> None:
    passages = retriever.retrieve("Middle East Eye", 3)
    assert passages[0].outlet == "Middle East Eye"


@pytest.mark.slow
@pytest.mark.parametrize(
    "question, doc_ids",
    [
        ("Who is the national secretary of the AMWU?", {"lee_117", "lee_120", "lee_135"}),
        ("What did Claire Richards say about the rain?", {"lee_000"}),
        ("Which chief did Pakistan arrest, Hafiz Mohammed Saeed?", {"lee_001"}),
        ("Doug Cameron Qantas", {"lee_117", "lee_120", "lee_135", "lee_195"}),
    ],
)
def test_exact_names_are_found_among_300_unrelated_articles(lee_retriever, question, doc_ids) -> None:
    passages = lee_retriever.retrieve(question, 5)
    assert {p.doc_id for p in passages} & doc_ids


def test_with_a_small_top_k_the_best_hits_of_each_list_come_first() -> None:
    rankings = [["a", "c", "d", "e"], ["x", "y", "c", "d"]]
    assert protected_fusion(rankings, keep=1)[:1] == ["a"] or protected_fusion(rankings, keep=1)[:1] == ["x"]
    assert sorted(protected_fusion(rankings, keep=2)[:2]) == ["a", "x"]  # each list's best, before any second
