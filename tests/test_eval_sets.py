"""Question sets: splits, paraphrase consistency, false premises, yes/no, named corpora, `rag eval --sets`."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import HOCHSTEIN, ROOT, SEEDS, original
from eval import cli, report
from eval import sets as sets_module
from eval.bench.corpus import lee_articles
from eval.corpora import materialise
from eval.dataset import Question, load, split_of
from eval.metrics.consistency import consistency, consistent_groups
from eval.metrics.correctness import correct, lead_correct, nearest_correct, yes_no_stated
from eval.suite import evaluate
from rag.errors import ConfigError
from rag.settings import Settings
from rag.types import Answer, AnswerSentence, Citation

TEXT = original(HOCHSTEIN)
WARNING = "Hochstein warned the Lebanese officials"


def row(**changes: object) -> dict:
    base = {"id": "x1", "question": "Q?", "kind": "single", "answerable": True, "key_facts": [["pentagon"]],
            "doc_ids": [HOCHSTEIN], "passages": ["p"], "note": ""}
    return {**base, **changes}


def write_set(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def answer(text: str, answered: bool = True, doc_id: str | None = HOCHSTEIN) -> Answer:
    at = TEXT.find(WARNING)
    cites = (Citation(1, doc_id, "t", None, WARNING, at, at + len(WARNING)),) if doc_id else ()
    return Answer("q", text, answered, "x", cites, (AnswerSentence(text, (1,) if doc_id else (), True),), ())


REFUSAL = answer("The articles don't say.", answered=False, doc_id=None)


# --- splits ---------------------------------------------------------------------------------------

def test_the_split_is_the_groups_hash_about_a_third_held_out_and_stable() -> None:
    groups = [f"group-{i}" for i in range(3000)]
    held = [g for g in groups if split_of(g) == "heldout"]
    assert 0.30 < len(held) / len(groups) < 0.37
    assert all(split_of(g) == ("heldout" if int(hashlib.sha256(g.encode()).hexdigest(), 16) % 3 == 0 else "tune")
               for g in groups)
    assert [split_of(g) for g in groups] == [split_of(g) for g in groups]  # no state, no randomness
    # pinned: a change of the rule would silently move questions between the splits
    assert [split_of(g) for g in ("q01", "q02", "sg01", "lg01")] == ["heldout", "tune", "tune", "tune"]


def test_all_phrasings_of_a_group_share_a_split_and_the_split_is_computed_not_read(tmp_path: Path) -> None:
    rows = [row(id=f"s{g}{i}", group=f"g{g}", split="tune") for g in range(60) for i in range(3)]
    rows.append(row(id="lone", expected="No "))
    questions = load(write_set(tmp_path / "s.jsonl", rows))
    by_group: dict[str, set[str]] = {}
    for q in questions:
        by_group.setdefault(q.group, set()).add(q.split)
    assert all(len(splits) == 1 for splits in by_group.values())
    assert {"tune", "heldout"} == {s for splits in by_group.values() for s in splits}  # a stored "split" is ignored
    lone = questions[-1]
    assert (lone.group, lone.expected, lone.split) == ("lone", "no", split_of("lone"))
    assert Question("q9", "Q?", "single", True, (), (), ()).group == "q9"  # the group defaults to the id
    tune, held = load(tmp_path / "s.jsonl", "tune"), load(tmp_path / "s.jsonl", "heldout")
    assert {q.split for q in tune} == {"tune"} and {q.split for q in held} == {"heldout"}
    assert sorted(q.id for q in tune + held) == sorted(q.id for q in questions)


def test_a_broken_line_is_a_clear_error(tmp_path: Path) -> None:
    bad = write_set(tmp_path / "b.jsonl", [row()])
    bad.write_text(bad.read_text() + '{"id": "x2", "question": "Q?"}\n')
    with pytest.raises(ConfigError, match="line 2"):
        load(bad)
    with pytest.raises(ConfigError, match="split"):
        load(bad, "test")


# --- consistency, false premises, yes/no --------------------------------------------------------

def test_paraphrase_consistency_on_a_table_of_verdicts() -> None:
    verdicts = [("a", True), ("a", True), ("a", True),  # all right: consistent
                ("b", False), ("b", False),             # all wrong: consistent
                ("c", True), ("c", False),              # mixed
                ("d", False), ("d", True), ("d", True),  # mixed
                ("e", True)]                            # one phrasing: not counted
    assert consistent_groups(verdicts) == (2, 4)
    assert consistency(verdicts) == 0.5
    assert consistency([("e", True), ("f", False)]) is None


def test_a_false_premise_is_right_refused_or_corrected_with_a_citation_never_echoed() -> None:
    q = Question("f1", "Why did Austin meet Gallant in Tel Aviv?", "false-premise", False,
                 (("pentagon",),), (HOCHSTEIN,), ())
    assert correct(q, REFUSAL)
    assert correct(q, answer("They met at the Pentagon, not in Tel Aviv."))
    assert not correct(q, answer("They met at the Pentagon, not in Tel Aviv.", doc_id="other"))  # wrong source
    assert not correct(q, answer("They met at the Pentagon.", doc_id=None))                      # no citation
    assert not correct(q, answer("Austin met Gallant in Tel Aviv to discuss Hezbollah."))          # echoes premise
    no_facts = Question("f2", "Q?", "false-premise", False, (), (HOCHSTEIN,), ())
    assert correct(no_facts, REFUSAL) and not correct(no_facts, answer("Anything at all."))
    plain = Question("u1", "Q?", "unanswerable", False, (("pentagon",),), (HOCHSTEIN,), ())
    assert correct(plain, REFUSAL) and not correct(plain, answer("At the Pentagon."))  # only a refusal


@pytest.mark.parametrize("text, expected, stated", [
    ("Yes, the US would back Israel.", "yes", True),
    ("  \"Yes.\" Hochstein said so.", "yes", True),
    ("No. Austin said the opposite.", "no", True),
    ("No, he did not.", "yes", False),
    ("Yesterday Hochstein warned them.", "yes", False),  # the first word must be "yes" itself
    ("Hochstein warned them: yes.", "yes", False),
    ("Nobody said so.", "no", False),
])
def test_yes_no_stated_reads_the_first_word(text: str, expected: str, stated: bool) -> None:
    q = Question("y1", "Did Hochstein warn them?", "yes-no", True, (("warn",),), (HOCHSTEIN,), (), expected=expected)
    assert yes_no_stated(q, answer(text)) is stated


def test_yes_no_stated_is_false_for_a_refusal_and_none_for_other_questions() -> None:
    q = Question("y1", "Q?", "yes-no", True, (), (HOCHSTEIN,), (), expected="yes")
    assert yes_no_stated(q, REFUSAL) is False
    assert yes_no_stated(Question("s1", "Q?", "single", True, (), (), ()), answer("Yes.")) is None
    assert yes_no_stated(Question("y2", "Q?", "yes-no", True, (), (), ()), answer("Yes.")) is None  # no expected


def two_sentences(first: str, second: str, first_doc: str = HOCHSTEIN) -> Answer:
    at = TEXT.find(WARNING)
    cites = (Citation(1, first_doc, "t", None, WARNING, at, at + len(WARNING)),
             Citation(2, HOCHSTEIN, "t", None, WARNING, at, at + len(WARNING)))
    return Answer("q", f"{first} [1] {second} [2]", True, "x", cites,
                  (AnswerSentence(first, (1,), True), AnswerSentence(second, (2,), True)), ())


def test_lead_correct_asks_the_first_sentence_alone_for_every_key_fact_and_a_right_source() -> None:
    q = Question("s1", "Where did they meet?", "single", True, (("pentagon",), ("gallant", "yoav")), (HOCHSTEIN,), ())
    lead_right = two_sentences("Austin met Gallant at the Pentagon.", "They talked for an hour.")
    lead_wrong = two_sentences("They talked for an hour.", "Austin met Gallant at the Pentagon.")
    assert correct(q, lead_right) and lead_correct(q, lead_right)
    assert correct(q, lead_wrong) and not lead_correct(q, lead_wrong)  # right, but only in the second sentence
    split = two_sentences("Austin met Gallant.", "They met at the Pentagon.")
    assert correct(q, split) and not lead_correct(q, split)  # the facts spread over two sentences
    elsewhere = two_sentences("Austin met Gallant at the Pentagon.", "More.", first_doc="other")
    assert not lead_correct(q, elsewhere)  # the first sentence cites no supporting article
    assert lead_correct(q, REFUSAL) is False
    replied = two_sentences("No.", "Austin met Gallant at the Pentagon.")  # a bare reply, then the sentence
    assert lead_correct(q, replied)


def test_lead_correct_is_none_where_one_sentence_cannot_answer() -> None:
    both = two_sentences("Austin met Gallant at the Pentagon.", "More.")
    for kind in ("comparison", "which-first", "multi"):
        assert lead_correct(Question("c1", "Q?", kind, True, (("pentagon",),), (HOCHSTEIN,), ()), both) is None
    assert lead_correct(Question("u1", "Q?", "unanswerable", False, (), (HOCHSTEIN,), ()), REFUSAL) is None


def test_nearest_correct_asks_whether_a_refusal_s_nearest_sentence_states_the_answer() -> None:
    import dataclasses

    q = Question("s1", "Who warned the Lebanese officials?", "single", True, (("hochstein",),), (HOCHSTEIN,), ())
    at = TEXT.find(WARNING)
    near = Citation(1, HOCHSTEIN, "t", None, WARNING, at, at + len(WARNING))
    assert nearest_correct(q, dataclasses.replace(REFUSAL, nearest=near)) is True
    assert nearest_correct(q, REFUSAL) is None  # nothing shown (a baseline's or an LLM's own refusal): not counted
    several = Question("c1", "Q?", "comparison", True, (("hochstein",),), (HOCHSTEIN,), ())
    assert nearest_correct(several, dataclasses.replace(REFUSAL, nearest=near)) is None  # one sentence cannot
    elsewhere = dataclasses.replace(near, doc_id="other")
    assert nearest_correct(q, dataclasses.replace(REFUSAL, nearest=elsewhere)) is False  # not a supporting article
    missing = Question("s2", "Q?", "single", True, (("pentagon",),), (HOCHSTEIN,), ())
    assert nearest_correct(missing, dataclasses.replace(REFUSAL, nearest=near)) is False
    assert nearest_correct(q, answer("Hochstein warned them.")) is None  # answered
    assert nearest_correct(Question("u1", "Q?", "unanswerable", False, (), (), ()), REFUSAL) is None


def test_tally_counts_refusals_that_show_a_nearest_sentence_and_reads_rows_from_before_the_metric() -> None:
    from eval.suite import tally

    rows = [{"id": "a", "answerable": True, "correct": False, "answered": False, "nearest_correct": True},
            {"id": "b", "answerable": True, "correct": False, "answered": False, "nearest_correct": False},
            {"id": "c", "answerable": True, "correct": True, "answered": True, "nearest_correct": None},
            {"id": "d", "answerable": True, "correct": False, "answered": False}]  # a row written before the metric
    counts = tally(rows)
    assert (counts["answerable_refused"], counts["nearest_correct"]) == (2, 1)


# --- pooled by split and by kind ------------------------------------------------------------------

SET = [row(id="a1", group="ga", question="Where did they meet?"), row(id="a2", group="ga", question="meeting place?"),
       row(id="b1", group="q01", question="Which building?"), row(id="b2", group="q01", question="what building"),
       row(id="y1", kind="yes-no", expected="yes", group="gy", question="Did they meet at the Pentagon?"),
       row(id="u1", kind="unanswerable", answerable=False, group="gu", question="Who won the cup?"),
       row(id="f1", kind="false-premise", answerable=False, group="gf", question="Why did they meet in Tel Aviv?")]
# groups: ga, gy, gf are "tune"; q01 and gu are "heldout" (pinned above by the rule)


def fake_system(right: set[str]):
    """A system that answers the questions whose ids are in `right` correctly, and the rest wrongly."""
    by_text = {r["question"]: r for r in SET}

    def ask(text: str) -> Answer:
        r = by_text[text]
        if r["id"] not in right:
            return answer("They met in Tel Aviv.")
        return REFUSAL if r["kind"] == "unanswerable" else answer("Yes: at the Pentagon.")

    return ask


def test_metrics_are_pooled_for_all_questions_each_split_and_each_kind(tmp_path: Path) -> None:
    questions = load(write_set(tmp_path / "set.jsonl", SET))
    assert {q.id: q.split for q in questions} == {"a1": "tune", "a2": "tune", "b1": "heldout", "b2": "heldout",
                                                  "y1": "tune", "u1": "heldout", "f1": "tune"}
    out = evaluate("newsqa:fake", fake_system({"a1", "a2", "b1", "y1", "f1"}), questions, {},
                   lambda queries: [True] * len(queries), None, 5, progress=False)
    m, n = out["metrics"], out["counts"]
    assert (n["answerable"], n["answerable_correct"], n["unanswerable"], n["unanswerable_correct"]) == (5, 4, 2, 1)
    assert m["answer_correct"] == 0.8 and m["refusal_recall"] == 0.0 and m["unanswerable_correct"] == 0.5
    assert m["paraphrase_consistency"] == 0.5 and (n["paraphrase_consistent"], n["paraphrase_groups"]) == (1, 2)
    assert m["yes_no_stated"] == 1.0 and m["p95_seconds"] is not None
    assert m["lead_correct"] == 0.8 and (n["lead_correct"], n["one_sentence"]) == (4, 5)
    tune, held = out["splits"]["tune"], out["splits"]["heldout"]
    assert (tune["counts"]["questions"], held["counts"]["questions"]) == (4, 3)
    assert tune["metrics"]["answer_correct"] == 1.0 and held["metrics"]["answer_correct"] == 0.5
    assert tune["metrics"]["paraphrase_consistency"] == 1.0 and held["metrics"]["paraphrase_consistency"] == 0.0
    assert held["metrics"]["yes_no_stated"] is None and held["metrics"]["unanswerable_correct"] == 0.0
    kinds = out["kinds"]
    assert kinds["single"] == {"questions": 4, "correct": 3, "answer_correct": 0.75, "tune": 1.0, "heldout": 0.5}
    assert kinds["false-premise"]["answer_correct"] == 1.0 and kinds["unanswerable"]["answer_correct"] == 0.0
    results = {"created": "now", "machine": "m", "settings": {"top_k": 5, "embed_model": "e"},
               "dataset": {"path": "set.jsonl", "sha256": "0" * 64, "questions": 7, "answerable": 5,
                           "kinds": {"single": 4}, "split": "all", "splits": {"tune": 4, "heldout": 3}},
               "corpus": {"name": "seeds", "folder": "seeds", "index_dir": ".rag/x"},
               "systems": {"newsqa:fake": out}, "checker_calibration": None}
    md = report.markdown(results, "rag eval")
    assert "## By split" in md and "| answer_correct | 0.8 | 1 | 0.5 |" in md
    assert "## Answer correctness by kind" in md and "| single | 4 | 0.75 (1 / 0.5) |" in md
    assert "(a refusal, or the correction: pentagon)" not in md  # f1 was right, so it is not among the failures
    assert "| u1 | unanswerable | heldout |" in md


# --- corpora --------------------------------------------------------------------------------------

def test_the_seeds_plus_lee_corpus_is_written_once_in_the_working_folder(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    named = materialise("seeds+lee")
    assert named.folder == tmp_path / ".rag" / "eval-corpora" / "seeds+lee"
    assert named.index_dir == tmp_path / ".rag" / "eval-corpora" / "seeds+lee.index"
    files = sorted(p.name for p in named.folder.iterdir())
    assert len(files) == 305 and files[5] == "lee_000.txt" and files[-1] == "lee_299.txt"
    assert (named.folder / "lee_007.txt").read_text(encoding="utf-8") == \
        f"ABC news, Lee corpus article 7\n{lee_articles()[7]}\n"
    assert (named.folder / f"{HOCHSTEIN}.txt").read_text(encoding="utf-8") == original(HOCHSTEIN)
    # once: an unchanged file is not rewritten; a changed one is restored, a stray one removed
    kept, changed = named.folder / "lee_001.txt", named.folder / "lee_002.txt"
    os.utime(kept, (1, 1))
    changed.write_text("edited", encoding="utf-8")
    (named.folder / "stray.txt").write_text("x", encoding="utf-8")
    assert materialise("seeds+lee") == named
    assert kept.stat().st_mtime == 1
    assert changed.read_text(encoding="utf-8").startswith("ABC news, Lee corpus article 2")
    assert len(list(named.folder.iterdir())) == 305
    seeds = materialise("seeds")
    assert seeds.folder == SEEDS and seeds.index_dir == tmp_path / ".rag" / "eval-corpora" / "seeds.index"
    settings = named.settings(Settings.from_env({}))
    assert (settings.corpus, settings.index_dir) == (named.folder, named.index_dir)
    assert settings.collection != Settings.from_env({}).collection  # apart on a shared Chroma server too
    with pytest.raises(ValueError, match="unknown corpus"):
        materialise("lee")


# --- the command ----------------------------------------------------------------------------------

def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(argv)


def test_the_command_line_reads_sets_corpus_and_split() -> None:
    args = parse("--sets", "--split", "tune", "--mode", "extractive", "local")
    assert args.sets and args.split == "tune" and args.modes == ["extractive", "local"] and args.corpus is None
    args = parse("--questions", "eval/sets/lee.jsonl", "--corpus", "seeds+lee", "--split", "heldout")
    assert (args.questions, args.corpus, args.split) == ("eval/sets/lee.jsonl", "seeds+lee", "heldout")
    assert not args.sets
    assert parse().split == "all" and parse().modes == ["extractive"] and not parse().sets
    for wrong in (["--corpus", "lee"], ["--split", "test"]):
        with pytest.raises(SystemExit):
            parse(*wrong)


def test_the_command_routes_sets_and_refuses_clashing_options(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(sets_module, "run_sets", lambda settings, modes, **kw: calls.append((modes, kw)) or 0)
    settings = Settings.from_env({})
    assert cli.dispatch(parse("--sets", "--split", "heldout", "--out", "o"), settings, ["eval", "--sets"]) == 0
    assert calls == [(["extractive"], {"out": "o", "split": "heldout", "judge": False, "argv": ["eval", "--sets"]})]
    for clash in (["--corpus", "seeds"], ["--questions", "q.jsonl"], ["--gate"]):
        with pytest.raises(ConfigError, match="--sets"):
            cli.dispatch(parse("--sets", *clash), settings, [])
    with pytest.raises(ConfigError, match="--split"):
        cli.dispatch(parse("--gate", "--split", "tune"), settings, [])


def test_sets_skips_a_missing_set_and_still_writes_its_summary(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    plan = [("absent", tmp_path / "absent.jsonl", ("seeds",))]
    code = sets_module.run_sets(Settings.from_env({}), ["extractive"], out=str(tmp_path / "out"), plan=plan,
                                home=tmp_path / "corpora", argv=["eval", "--sets"])
    assert code == 0 and "skipping the set absent" in capsys.readouterr().out
    summary = json.loads(next((tmp_path / "out").glob("*-sets.json")).read_text())
    assert summary["skipped"][0]["set"] == "absent" and summary["rows"] == []
    assert summary["command"] == "rag eval --sets"
    assert "Skipped the set `absent`" in next((tmp_path / "out").glob("*-sets.md")).read_text()
    assert not (tmp_path / "corpora").exists()  # nothing to run: no corpus written, no model loaded


def test_the_summary_has_a_row_per_mode_set_corpus_split_and_the_distractor_change(tmp_path: Path) -> None:
    questions = load(write_set(tmp_path / "set.jsonl", SET))
    judge = lambda queries: [True] * len(queries)  # noqa: E731

    def run(right: set[str]) -> dict:
        return {"systems": {f"newsqa:{mode}": evaluate(mode, fake_system(right), questions, {}, judge, None, 5,
                                                       progress=False) for mode in ("extractive", "local")}}

    runs = [{"set": "mine", "corpus": "seeds", "results": run({"a1", "a2", "b1", "b2", "y1", "f1"})},
            {"set": "mine", "corpus": "seeds+lee", "results": run({"a1", "a2", "b1", "y1"})},
            {"set": "lee", "corpus": "seeds+lee", "results": run(set())}]
    rows = sets_module.summary_rows(runs)
    assert len(rows) == 2 * 3 * 3  # 2 modes x 3 (set, corpus) runs x 3 splits (all, tune, heldout)
    assert {(r["set"], r["corpus"], r["split"]) for r in rows if r["mode"] == "local"} == {
        (s, c, p) for s, c in (("mine", "seeds"), ("mine", "seeds+lee"), ("lee", "seeds+lee"))
        for p in ("all", "tune", "heldout")}
    changes = sets_module.distractor_changes(rows)
    assert len(changes) == 2 * 3 and all(c["set"] == "mine" for c in changes)
    held = next(c for c in changes if c["mode"] == "extractive" and c["split"] == "heldout")["figures"]
    assert held["answer_correct"] == {"seeds": 1.0, "seeds+lee": 0.5, "change": -0.5}
    assert held["paraphrase_consistency"]["change"] == -1.0
    assert len(sets_module.summary_rows(runs, "tune")) == 2 * 3 and \
        {r["split"] for r in sets_module.summary_rows(runs, "tune")} == {"tune"}
    md = sets_module.markdown({"created": "now", "machine": "m", "command": "rag eval --sets", "modes": ["extractive"],
                               "split": "all", "settings": {"top_k": 5, "strict": False, "embed_model": "e"},
                               "rows": rows, "changes": changes, "skipped": [], "errors": [], "runs": runs})
    assert "| extractive | mine | seeds | heldout | 3 | 100.0% (2/2) |" in md
    assert "| extractive | mine | **heldout** | 100.0 → 50.0 (-50.0 pts) |" in md
    assert "## Answer correctness by kind" in md


def test_the_pooled_rows_add_up_every_set_s_counts_per_corpus_and_split(tmp_path: Path) -> None:
    questions = load(write_set(tmp_path / "set.jsonl", SET))
    judge = lambda queries: [True] * len(queries)  # noqa: E731

    def run(right: set[str]) -> dict:
        return {"systems": {"newsqa:extractive": evaluate("extractive", fake_system(right), questions, {}, judge,
                                                          None, 5, progress=False)}}

    runs = [{"set": "mine", "corpus": "seeds", "results": run({"a1", "a2", "b1", "b2", "y1", "f1"})},
            {"set": "mine", "corpus": "seeds+lee", "results": run({"a1", "a2", "b1", "y1"})},
            {"set": "lee", "corpus": "seeds+lee", "results": run(set())}]
    rows = sets_module.summary_rows(runs)
    pooled = {(r["corpus"], r["split"]): r for r in sets_module.pooled_rows(rows)}
    assert set(pooled) == {(c, p) for c in ("seeds", "seeds+lee", "seeds+lee (seed sets)")
                           for p in ("all", "tune", "heldout")}
    for split in ("all", "tune", "heldout"):
        mine, lee = (next(r for r in rows if (r["set"], r["corpus"], r["split"]) == (name, "seeds+lee", split))
                     for name in ("mine", "lee"))
        both = pooled[("seeds+lee", split)]
        assert both["sets"] == ["mine", "lee"] and pooled[("seeds+lee (seed sets)", split)]["sets"] == ["mine"]
        for key, value in both["counts"].items():
            assert value == mine["counts"][key] + lee["counts"][key]
        c = both["counts"]
        assert both["answer_correct"] == round(c["answerable_correct"] / c["answerable"], 3)
        assert pooled[("seeds+lee (seed sets)", split)]["counts"] == mine["counts"]
        assert pooled[("seeds", split)]["counts"] == next(
            r["counts"] for r in rows if (r["set"], r["corpus"], r["split"]) == ("mine", "seeds", split))
    assert pooled[("seeds", "all")]["p50_seconds"] is None  # a median does not add up
    md = sets_module.markdown({"created": "now", "machine": "m", "command": "rag eval --sets", "modes": ["extractive"],
                               "split": "all", "settings": {"top_k": 5, "strict": False, "embed_model": "e"},
                               "rows": rows, "pooled": sets_module.pooled_rows(rows), "changes": [], "skipped": [],
                               "errors": [], "runs": runs})
    c = pooled[("seeds+lee", "heldout")]["counts"]
    assert "## Pooled over the sets" in md
    assert (f"| extractive | seeds+lee | heldout | 2 | {c['questions']} | "
            f"{100 * c['answerable_correct'] / c['answerable']:.1f}% ({c['answerable_correct']}/{c['answerable']}) |") in md


def test_a_question_that_raised_is_listed_and_fails_the_run(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    questions = load(write_set(tmp_path / "set.jsonl", SET))
    right = fake_system({"a1", "a2", "b1", "b2", "y1", "f1"})

    def ask(text: str) -> Answer:
        if text == questions[0].question:
            raise RuntimeError("the reader fell over")
        return right(text)

    judge = lambda queries: [True] * len(queries)  # noqa: E731
    results = {"systems": {"newsqa:extractive": evaluate("extractive", ask, questions, {}, judge, None, 5,
                                                         progress=False)}}
    runs = [{"set": "mine", "corpus": "seeds", "results": results}]
    failed = sets_module.failed_questions(runs)
    assert failed == [{"mode": "extractive", "set": "mine", "corpus": "seeds", "id": questions[0].id,
                       "error": "RuntimeError: the reader fell over"}]
    md = sets_module.markdown({"created": "now", "machine": "m", "command": "rag eval --sets", "modes": ["extractive"],
                               "split": "all", "settings": {"top_k": 5, "strict": False, "embed_model": "e"},
                               "rows": sets_module.summary_rows(runs), "changes": [], "skipped": [], "errors": [],
                               "failed": failed, "runs": runs})
    assert "**1 question(s) failed with an error**" in md and "the reader fell over" in md
    # and the run's exit code says so: run_sets with the suite's run replaced by these results
    monkeypatch.setattr(sets_module, "materialise", lambda corpus, home=None: _Named(tmp_path))
    monkeypatch.setattr(sets_module.suite, "open_assistant", lambda settings, sync=True: None)
    monkeypatch.setattr(sets_module.suite, "run", lambda *a, **k: results)
    plan = [("mine", tmp_path / "set.jsonl", ("seeds",))]
    code = sets_module.run_sets(Settings.from_env({}), ["extractive"], out=str(tmp_path / "out"), plan=plan,
                                progress=False)
    assert code == 1 and "1 question(s) failed with an error" in capsys.readouterr().err


class _Named:
    """A corpus as `materialise` gives it, for a run whose questions are answered by a stand-in."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.index_dir = folder, folder / "index"

    def settings(self, settings: Settings) -> Settings:
        return settings


@pytest.mark.slow
def test_sets_runs_a_set_on_its_corpus_end_to_end(tmp_path: Path) -> None:
    subset = write_set(tmp_path / "q.jsonl", [json.loads(line) for line in
                                              (ROOT / "eval" / "questions.jsonl").read_text().splitlines()[:4]])
    plan = [("first-four", subset, ("seeds",))]
    settings = Settings.from_env({}, index_dir=str(tmp_path / "unused"))
    code = sets_module.run_sets(settings, ["extractive"], out=str(tmp_path / "out"), plan=plan,
                                home=tmp_path / "corpora", progress=False)
    summary = json.loads(next((tmp_path / "out").glob("*-sets.json")).read_text())
    assert code == 0 and (tmp_path / "corpora" / "seeds.index").is_dir() and not (tmp_path / "unused").exists()
    alls = [r for r in summary["rows"] if r["split"] == "all"]
    assert [(r["mode"], r["set"], r["corpus"], r["counts"]["questions"]) for r in alls] == [
        ("extractive", "first-four", "seeds", 4)]


@pytest.mark.slow
def test_a_set_on_a_named_corpus_and_one_split_through_the_command(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in (ROOT / "eval" / "questions.jsonl").read_text().splitlines()][:6]
    subset = write_set(tmp_path / "q.jsonl", rows)
    held = [r["id"] for r in rows if split_of(r.get("group") or r["id"]) == "heldout"]
    assert 0 < len(held) < len(rows)
    env = {**os.environ, "RAG_INDEX_DIR": str(tmp_path / "users-own"), "OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}
    run = subprocess.run([sys.executable, "-m", "eval", "--questions", str(subset), "--corpus", "seeds",
                          "--split", "heldout", "--no-baseline", "--out", "out"], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    data = json.loads(next((tmp_path / "out").glob("*.json")).read_text())
    assert [r["id"] for r in data["systems"]["newsqa:extractive"]["questions"]] == held
    assert data["corpus"]["name"] == "seeds" and data["dataset"]["split"] == "heldout"
    assert (tmp_path / ".rag" / "eval-corpora" / "seeds.index").is_dir() and not (tmp_path / "users-own").exists()
    assert "## By split" in next((tmp_path / "out").glob("*.md")).read_text()


def test_every_set_quotes_its_articles_and_its_passages_hold_its_key_facts() -> None:
    """Each answerable question of every set `rag eval --sets` runs: each passage is in one of its articles, word for
    word (spacing aside), and each key fact has a phrasing in its passages, so a right answer can be quoted."""
    from eval.bench.corpus import real_articles
    from eval.corpora import SEEDS
    from eval.dataset import load
    from eval.sets import PLAN

    def flat(text: str) -> str:
        return " ".join(text.split())

    articles = {p.stem: flat(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")}
    articles |= {stem: flat(text) for stem, text in real_articles()}
    for name, path, _ in PLAN:
        for q in load(path):
            assert not set(q.doc_ids) - set(articles), (name, q.id)
            if not q.answerable:
                continue
            for passage in q.passages:
                assert any(flat(passage) in articles[d] for d in q.doc_ids), (name, q.id, passage)
            said = " ".join(q.passages).lower().replace("’", "'")
            for phrasings in q.key_facts:
                assert any(p.lower().replace("’", "'") in said for p in phrasings), (name, q.id, phrasings)
