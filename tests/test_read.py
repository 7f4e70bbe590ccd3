"""The trained reader: probabilities that do not depend on their company, and missing weights said plainly."""
from __future__ import annotations

import json

import numpy as np
import pytest

from rag.errors import ConfigError
from rag.read import FEATURES, WEIGHTS, Reader, Sentence, word_weight

ANSWER = Sentence("“The US will stand by Israel and not condemn them publicly if it launches an offensive against "
                  "Hezbollah,” Hochstein warned the Lebanese officials, according to the Arab official.")
OFF_TOPIC = Sentence("The Reserve Bank left interest rates unchanged at its monthly board meeting in Sydney.")
WRONG_PARTY = "What did Hochstein warn Hamas?"


@pytest.fixture(scope="module")
def reader(embedder) -> Reader:
    return Reader(embedder)


def test_scores_are_probabilities_and_the_answer_wins(reader) -> None:
    scores = reader.score("What did Hochstein warn Hezbollah?", [OFF_TOPIC, ANSWER])
    assert scores.shape == (2,) and np.all((0 <= scores) & (scores <= 1))
    assert scores[1] > 0.5 > scores[0]


def test_a_name_the_sentence_lacks_lowers_the_score(reader) -> None:
    right = reader.score("What did Hochstein warn Hezbollah?", [ANSWER])[0]
    wrong = reader.score(WRONG_PARTY, [ANSWER])[0]
    assert wrong < right


def test_lower_case_and_punctuation_do_not_change_the_score_much(reader) -> None:
    a = reader.score("What did Hochstein warn Hezbollah?", [ANSWER])[0]
    b = reader.score("what did hochstein warn hezbollah", [ANSWER])[0]
    assert abs(a - b) < 0.05


def test_a_score_does_not_depend_on_what_else_is_scored(reader) -> None:
    alone = reader.score("What did Hochstein warn Hezbollah?", [ANSWER])[0]
    crowded = reader.score("What did Hochstein warn Hezbollah?", [OFF_TOPIC] * 7 + [ANSWER] + [OFF_TOPIC] * 5)[7]
    assert alone == pytest.approx(crowded, abs=1e-6)  # so a folder's size cannot move a refusal


def test_rare_words_weigh_more_than_common_ones() -> None:
    assert word_weight("hochstein") > word_weight("warn") > word_weight("said") >= word_weight("the") == 0


def test_nothing_to_score_gives_nothing(reader) -> None:
    assert reader.score("Who?", []).shape == (0,)


def test_missing_or_mismatched_weights_say_how_to_refit(tmp_path, embedder) -> None:
    with pytest.raises(ConfigError, match="python -m train.fit"):
        Reader(embedder, tmp_path / "none.json")
    other = json.loads(WEIGHTS.read_text())
    other["features"] = [*FEATURES, "something else"]
    (tmp_path / "other.json").write_text(json.dumps(other))
    with pytest.raises(ConfigError, match="other features"):
        Reader(embedder, tmp_path / "other.json")
