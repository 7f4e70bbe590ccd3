"""rag.text: the one definition of terms, names, figures, negation and the refusal phrase."""
from __future__ import annotations

import pytest

from rag.prompts import CANNOT_ANSWER, REFUSAL_WEAK_EVIDENCE
from rag.text import figures, has_terms, name_phrases, names, negated_terms, says_cannot_answer, terms, with_digits


@pytest.mark.parametrize("text", [CANNOT_ANSWER + ".", REFUSAL_WEAK_EVIDENCE, "the articles DON’T say who won.",
                                  "Sorry: the articles do not say."])
def test_the_refusal_phrase_is_recognised_however_it_is_written(text: str) -> None:
    assert says_cannot_answer(text)


@pytest.mark.parametrize("text", ["The articles say the talks failed.", "Articles don't always say it.", ""])
def test_other_sentences_are_not_refusals(text: str) -> None:
    assert not says_cannot_answer(text)


def test_negation_covers_the_words_after_its_cue_up_to_a_clause_break() -> None:
    assert negated_terms("The US will not condemn Israel", 3) == set(terms("condemn Israel"))
    assert negated_terms("He didn't go, but Hochstein travelled to Beirut", 6) == set(terms("go"))
    assert negated_terms("Didn't the US warn Israel?", 6, skip=2) == set()
    assert negated_terms("Gallant warned Hochstein", 6) == set()


def test_names_skip_sentence_openers_and_keep_acronyms() -> None:
    assert names("However, Hochstein met the AMWU and G7 envoys in Beirut.") == ["Hochstein", "AMWU", "G7", "Beirut"]
    assert name_phrases("Amos Hochstein met Middle East Eye reporters.") == ["Amos Hochstein", "Middle East Eye"]


def test_figures_and_number_words() -> None:
    assert figures("1,200 people and 3.5 percent") == ["1,200", "3.5"]
    assert with_digits("two soldiers and one tank") == "2 soldiers and 1 tank"


def test_terms_match_across_inflections_and_demonyms() -> None:
    assert has_terms(terms("Israeli"), set(terms("Israel struck")))
    assert not has_terms(terms("Hamas"), set(terms("Hezbollah fired")))


def test_british_and_american_spellings_are_one_term() -> None:
    assert terms("the Defence Minister's organisation") == terms("the defense minister's organization")
    assert terms("a programme of 100 metres") == terms("a program of 100 meters")
    assert terms("buses") != terms("busses")  # breame's pairs that are other words are left alone


def test_a_country_s_demonym_is_the_country_s_term() -> None:
    assert terms("Israeli officials and Lebanese troops") == terms("Israel officials and Lebanon troops")
    assert terms("the Israelis") == terms("Israel")
    assert terms("Swiss") == terms("Switzerland") and terms("Iranians") == terms("Iran")
    assert terms("French") != terms("francs") and terms("Indian Ocean") != terms("India Ocean")  # exceptions
    assert terms("American") == ["american"]  # "United States" is two words: left alone


def test_initials_written_with_dots_are_one_word() -> None:
    assert terms("U.S. officials met U.N. envoys") == terms("US officials met UN envoys")


def test_the_term_mappings_are_those_terms_version_was_set_for() -> None:
    """A new release of breame or countryinfo changes what `terms` gives; saved BM25 indexes must then be rebuilt,
    so raise rag.text.TERMS_VERSION and this hash together."""
    import hashlib
    import json

    import Stemmer
    from breame.data.spelling_constants import BRITISH_ENGLISH_SPELLINGS

    from rag.text import SPELLING_EXCEPTIONS, TERMS_VERSION, demonyms

    spellings = BRITISH_ENGLISH_SPELLINGS.items()
    mappings = {"spellings": sorted((b, a) for b, a in spellings if b not in SPELLING_EXCEPTIONS),
                "demonyms": sorted(demonyms(Stemmer.Stemmer("english").stemWords).items())}
    assert (TERMS_VERSION, hashlib.sha256(json.dumps(mappings).encode()).hexdigest()[:16]) == (4, "e88603e21ba6aa0c")
