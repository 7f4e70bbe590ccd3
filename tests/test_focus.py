"""What an LLM is shown: the passages ordered by the reader's best sentence, each cut to the sentences the reader
scores best, verbatim, gaps marked."""
from __future__ import annotations

import pytest

from rag.generate import GAP, OPENS_WITH_PRONOUN, answer_messages, focus
from rag.read import Reader, contexts
from rag.retrieve import Retriever
from rag.index import open_index


@pytest.fixture(scope="module")
def passages_and_reader(seed_settings, embedder):
    retriever = Retriever(open_index(seed_settings, embedder), embedder)
    question = "What did Hochstein warn Hezbollah?"
    return question, retriever.retrieve(question, 5), Reader(embedder)


@pytest.mark.parametrize("keep", [1, 2, 3])
def test_each_passage_shows_at_most_keep_of_its_own_sentences_in_order(passages_and_reader, keep) -> None:
    question, passages, reader = passages_and_reader
    shown = focus(question, passages, reader, keep)
    assert sorted(p.id for p, _ in shown) == sorted(p.id for p in passages)
    for p, text in shown:
        sentences = [p.quote(s) for s in p.sentences]
        kept = [s for s in sentences if s in text]
        # exactly the `keep` best by the reader, and the sentence before each of those that opens with a pronoun
        scores = reader.model_score(question, contexts(p))
        best = sorted(range(len(sentences)), key=lambda i: -scores[i])[:keep]
        wanted = set(best) | {i - 1 for i in best if i > 0 and OPENS_WITH_PRONOUN.match(sentences[i])}
        assert kept == [sentences[i] for i in sorted(wanted)]
        assert [text.index(s) for s in kept] == sorted(text.index(s) for s in kept)  # article order
        rest = text
        for s in kept:
            rest = rest.replace(s, "")
        assert set(rest.split()) <= {GAP}  # nothing but the sentences and the gap marks
        if len(kept) < len(sentences):
            assert GAP in text


def test_the_answering_sentence_is_kept(passages_and_reader) -> None:
    question, passages, reader = passages_and_reader
    shown = "\n".join(text for _, text in focus(question, passages, reader, 2))
    assert "The US will stand by Israel and not condemn them publicly" in shown


def test_a_sentence_that_opens_with_a_pronoun_is_shown_with_the_one_that_names_who_it_is(passages_and_reader) -> None:
    question, passages, reader = passages_and_reader
    by_doc = [(p, text) for p, text in focus(question, passages, reader, 3) if "He warned Hochstein" in text]
    assert by_doc, "the Times of Israel passage's sentence about Gallant's warning should be among the best three"
    p, text = by_doc[0]
    sentences = [p.quote(s) for s in p.sentences]
    k = next(i for i, s in enumerate(sentences) if s.startswith("He warned Hochstein"))
    assert "Gallant" in sentences[k - 1] and sentences[k - 1] + " " + sentences[k] in text  # together, in order


@pytest.mark.parametrize(("sentence", "opens"), [
    ("He warned Hochstein that the chances were fading.", True),
    ("“It is time for these deals to close,” he said.", True),  # who "he" is, and what "it" is, come before
    ("Itamar Ben-Gvir said the offensive must go on.", False),
    ("“They will pay,” Gallant said.", True),
    ("Hezbollah said it would respond.", False),
    ("Their leader was killed on Friday.", True),
    ("Hello, said the envoy.", False),
])
def test_which_sentences_open_with_a_pronoun(sentence: str, opens: bool) -> None:
    assert bool(OPENS_WITH_PRONOUN.match(sentence)) is opens


def test_passages_are_ordered_by_their_best_sentence_and_the_answer_comes_first(passages_and_reader) -> None:
    question, passages, reader = passages_and_reader
    shown = focus(question, passages, reader, 0)
    assert [text for _, text in shown] == [p.text for p, _ in shown]  # keep 0: whole passages
    best = [max(reader.score(question, contexts(p))) for p, _ in shown]
    assert best == sorted(best, reverse=True)
    assert shown[0][0].outlet == "Middle East Eye"
    assert "The US will stand by Israel" in shown[0][1]
    # retrieval ranks that passage lower: without the reordering, the model would read another one first
    assert passages[0].outlet != "Middle East Eye"


def test_shown_texts_replace_the_passages_in_the_prompt_and_whole_passages_are_the_default(passages_and_reader) -> None:
    question, passages, reader = passages_and_reader
    whole = answer_messages(question, passages, 3)[1]["content"]
    shown = focus(question, passages, reader, 1)
    short = answer_messages(question, [p for p, _ in shown], 3, [text for _, text in shown])[1]["content"]
    assert all(p.text in whole for p in passages)
    assert len(short) < len(whole) / 2


def test_the_reader_reads_each_sentence_as_the_extractive_answerer_does(passages_and_reader) -> None:
    from rag.extractive import _candidates, _sentence

    _, passages, _ = passages_and_reader
    read = {(p.doc_id, span.start): sentence for p in passages for span, sentence in zip(p.sentences, contexts(p))}
    candidates = _candidates(passages)
    assert candidates
    for c in candidates:
        assert read[(c.passage.doc_id, c.span.start)] == _sentence(c)
