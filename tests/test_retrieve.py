"""Hybrid retrieval: fusion arithmetic, and the right article for a list of questions (embedded Chroma and a server)."""
from __future__ import annotations

import pytest

from rag.index import build_index, open_index
from rag.retrieve import Retriever, reciprocal_rank_fusion
from tests.conftest import make_settings


@pytest.fixture(scope="module", params=["embedded", "server"])
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
