"""The cross-encoder: it reads question and sentence together, its scores do not depend on their company, and the
reader adds it only where it was asked to."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.embed import bundled_model_path
from rag.errors import ConfigError
from rag.read import RERANK_TOP, Reader, Sentence
from rag.rerank import CONTEXT_WORDS, WEIGHTS, CrossEncoder, load_reranker, with_previous
from rag.settings import Settings

QUESTION = "What did the US envoy warn Hezbollah?"
ANSWER = ("“The US will stand by Israel and not condemn them publicly if it launches an offensive against Hezbollah,” "
          "Hochstein warned the Lebanese officials, according to the Arab official.")
# the same words, but Hezbollah does the warning: a bag of words cannot tell them apart
REVERSED = "Hezbollah warned the US envoy Amos Hochstein that it would answer any Israeli offensive."
OFF_TOPIC = "The Reserve Bank left interest rates unchanged at its monthly board meeting in Sydney."


@pytest.fixture(scope="module")
def reranker() -> CrossEncoder:
    return CrossEncoder(bundled_model_path())


def test_the_shipped_weights_are_an_int8_onnx_file_of_tens_of_megabytes() -> None:
    assert WEIGHTS.is_file() and 10e6 < WEIGHTS.stat().st_size < 40e6


def test_the_sentence_that_answers_outscores_one_on_the_same_event_and_one_off_topic(reranker) -> None:
    answer, same_event, off = reranker.scores("How many people died in the Israeli strike on Beirut?", [
        "The strike on a Beirut suburb killed six people, the Lebanese health ministry said.",
        "Israel said the strike on Beirut targeted a senior Hezbollah commander.",
        OFF_TOPIC,
    ])
    assert answer > same_event + 2 and answer > off + 2


def test_a_broad_question_is_read_as_answered_by_the_sentence_that_says_what_happened(reranker) -> None:
    """The first model scored the closing -2 and under the bar; trained with broad questions, the shipped one reads it
    as an answer (docs/tuning-log.md, "Broad questions, and the cross-encoder on by default"), while the toll's
    price, a detail on the same bridge, is not."""
    closed, price = reranker.scores("What happened to the Tamsin Bridge in Harlow?", [
        "The Tamsin Bridge in Harlow was closed on Friday after engineers found cracks in its central span.",
        "Drivers will pay two pounds for each crossing.",
    ])
    assert closed > 1 and price < -2


@pytest.mark.xfail(strict=True, reason="known limit (docs/tuning-log.md, 'Facts told in passing'): the shipped model "
                   "scores the clause -0.58; the fourth model, trained with questions answered in passing, reads it "
                   "(+3.25) but is not shipped")
def test_a_fact_told_in_passing_is_read_as_an_answer(reranker) -> None:
    """A fact told in a clause of a sentence about something else is an answer; a sentence on the same man that does
    not say it is none."""
    passing, background = reranker.scores("Did an Israeli strike in Beirut kill the Hezbollah leader?", [
        "Officials were scrambling on Sunday to save their ceasefire push after an Israeli airstrike in Beirut killed "
        "Hezbollah leader Hassan Nasrallah.",
        "Hassan Nasrallah led Hezbollah for more than three decades and rarely appeared in public.",
    ])
    assert passing > 1 and background < 0


def test_by_default_the_cross_encoder_is_on() -> None:
    settings = Settings.from_env({})
    assert settings.rerank_weight == 0.25 and settings.min_answer_score == 0.38  # chosen together (README)
    assert isinstance(load_reranker(settings), CrossEncoder)


@pytest.mark.xfail(strict=True, reason="known limit (docs/tuning-log.md, 'The cross-encoder in ask'): mean-pooled "
                   "MiniLM reads words together but not who did what to whom, nor a reason beside an echo of the "
                   "question; the reader's role feature and the answer check stay for that")
def test_it_tells_a_reversal_and_an_echo_from_the_answer(reranker) -> None:
    answer, reversed_ = reranker.scores(QUESTION, [ANSWER, REVERSED])
    reason, echo = reranker.scores("Why did Hezbollah reject the proposals?", [
        "Hezbollah rejected the proposals as unrealistic because they did not include a ceasefire in Gaza.",
        "Hezbollah rejected the proposals, according to two sources.",
    ])
    assert answer > reversed_ and reason > echo


def test_a_pair_s_score_does_not_depend_on_the_pairs_read_with_it(reranker) -> None:
    alone = reranker.scores(QUESTION, [ANSWER])[0]
    together = reranker.scores(QUESTION, [OFF_TOPIC, REVERSED, ANSWER, OFF_TOPIC * 6])
    assert together[2] == alone and reranker.scores(QUESTION, []).shape == (0,)


def test_missing_weights_name_the_command_that_rebuilds_them(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="train.cross --onnx"):
        CrossEncoder(bundled_model_path(), tmp_path / "none.onnx")


def test_weight_zero_loads_no_cross_encoder_and_a_bad_weight_is_refused() -> None:
    assert load_reranker(Settings.from_env({}).replace(rerank_weight=0.0)) is None
    assert isinstance(load_reranker(Settings.from_env({}).replace(rerank_weight=0.5)), CrossEncoder)
    with pytest.raises(ConfigError, match="RAG_RERANK_WEIGHT"):
        Settings.from_env({"RAG_RERANK_WEIGHT": "-1"})


def test_the_reader_adds_the_weighted_logit_to_the_log_odds_of_the_sentences_read(embedder, analyser, reranker) -> None:
    """Its best RERANK_TOP sentences by the regression get their own logit; every other sentence the lowest of those,
    so an unread sentence never overtakes a read one for what the cross-encoder did not see."""
    plain, mixed = Reader(embedder, analyser), Reader(embedder, analyser, reranker=reranker, rerank_weight=0.5)
    texts = [ANSWER, REVERSED, OFF_TOPIC] + [f"The council met on day {n} to discuss parking fees." for n in range(9)]
    sentences = [Sentence(t) for t in texts]
    p, q = plain.model_score(QUESTION, sentences), mixed.model_score(QUESTION, sentences)
    top = np.argsort(-p, kind="stable")[:RERANK_TOP]
    logits = np.full(len(texts), 0.0)
    logits[top] = reranker.scores(QUESTION, [texts[i] for i in top])
    logits[[i for i in range(len(texts)) if i not in top]] = logits[top].min()
    expected = 1 / (1 + np.exp(-(np.log(p / (1 - p)) + 0.5 * logits)))
    assert np.allclose(q, expected) and len(texts) > RERANK_TOP
    unweighted = Reader(embedder, analyser, reranker=reranker, rerank_weight=0.0)
    assert np.array_equal(unweighted.model_score(QUESTION, sentences), p)


def test_a_model_reads_the_sentence_before_only_if_its_file_says_it_was_trained_to(reranker, tmp_path) -> None:
    """The shipped model was trained on sentences alone: the sentence before is not shown to it. A model file marked
    by `train.cross --context` (`mark_context`) reads "sentence [SEP] previous", as it was trained, and keeps the
    metadata the quantiser wrote."""
    import onnx

    from train.cross import mark_context

    sentence, before = "They occurred in a residential area, killing and wounding civilians.", (
        "Israel launched strikes on the southern suburbs of Beirut on Friday.")
    question = "Were civilians hurt in the Friday strikes on Beirut?"
    assert not reranker.reads_context
    assert np.array_equal(reranker.scores(question, [sentence], [before]), reranker.scores(question, [sentence]))
    marked = tmp_path / "marked.onnx"
    marked.write_bytes(WEIGHTS.read_bytes())
    mark_context(marked)
    shipped_keys = {p.key for p in onnx.load(str(WEIGHTS)).metadata_props}
    assert shipped_keys | {"reads"} == {p.key for p in onnx.load(str(marked)).metadata_props}
    reading = CrossEncoder(bundled_model_path(), marked)
    assert reading.reads_context
    with_before = reading.scores(question, [sentence], [before])
    assert np.array_equal(with_before, reranker.scores(question, [with_previous(sentence, before)]))
    assert not np.array_equal(with_before, reading.scores(question, [sentence]))


def test_the_reader_gives_a_context_reading_model_the_sentence_before_not_the_title(embedder, tmp_path) -> None:
    from rag.read import in_context
    from rag.types import Passage, Span
    from train.cross import mark_context

    marked = tmp_path / "marked.onnx"
    marked.write_bytes(WEIGHTS.read_bytes())
    mark_context(marked)
    model = CrossEncoder(bundled_model_path(), marked)
    text = "Israel struck Beirut's suburbs on Friday. They killed and wounded civilians in a residential area."
    passage = Passage(id="d:0", doc_id="d", title="Strikes on Beirut", outlet=None, text=text, start=0,
                      end=len(text), sentences=(Span(0, 41), Span(42, len(text))), score=1.0)
    sentence = in_context(passage, passage.sentences[1], passage.sentences[0])
    assert (sentence.previous, sentence.context) == (text[:41], f"Strikes on Beirut\n{text[:41]}")
    question = "Were civilians hurt in the Friday strikes on Beirut?"
    alone = Reader(embedder).score(question, [sentence])
    reader = Reader(embedder, reranker=model, rerank_weight=1.0)
    p = np.clip(alone, 1e-6, 1 - 1e-6)
    expected = model.scores(question, [sentence.text], [text[:41]])
    assert reader.score(question, [sentence]) == pytest.approx(1 / (1 + np.exp(-(np.log(p / (1 - p)) + expected))))


def test_the_context_read_is_the_sentence_then_the_start_of_the_one_before() -> None:
    assert with_previous("It rained.", "") == "It rained. [SEP] "
    long = " ".join(f"w{i}" for i in range(40))
    assert with_previous("It rained.", long) == "It rained. [SEP] " + " ".join(f"w{i}" for i in range(CONTEXT_WORDS))
