"""What `rag ask` prints (`rag.format.format_answer`): a refusal names the articles it came closest to."""
from __future__ import annotations

from rag.format import format_answer
from rag.prompts import NEAREST_HEADING
from rag.types import Answer, Citation, Passage, Span, StaleFile


def test_a_refusal_names_the_closest_articles_by_title_outlet_and_id_once_each() -> None:
    def passage(n: int, doc: str, title: str, outlet: str | None) -> Passage:
        return Passage(f"{doc}#{n}", doc, title, outlet, "Some text.", 0, 10, (Span(0, 10),), 1.0 / (n + 1))

    envoy = ("Envoy lands in Israel", "The Times of Israel")
    passages = (passage(0, "a1", *envoy), passage(1, "a1", *envoy), passage(2, "b2", "Strike kills leader", None),
                passage(3, "c3", "Talks", "WSJ"), passage(4, "d4", "Fourth", None))
    shown = format_answer(Answer("Q?", "The articles don't say.", False, "extractive", (), (), passages))
    assert shown.splitlines()[-4:] == ["Closest articles:", "  Envoy lands in Israel, The Times of Israel (a1)",
                                       "  Strike kills leader (b2)", "  Talks, WSJ (c3)"]


def test_a_refusal_shows_the_nearest_sentence_with_its_source_before_the_closest_articles() -> None:
    text = "Gallant met Hochstein. Military Secretary Guy Markizano attended the talks."
    p = Passage("a1#0", "a1", "Envoy lands in Israel", "The Times of Israel", text, 0, len(text),
                (Span(0, 22), Span(23, len(text))), 0.5)
    near = Citation(1, "a1", p.title, p.outlet, text[23:], 23, len(text))
    shown = format_answer(Answer("Q?", "The articles don't say.", False, "extractive", (), (), (p,), nearest=near))
    lines = shown.splitlines()
    at = lines.index(NEAREST_HEADING)
    assert lines[at + 1] == "  “Military Secretary Guy Markizano attended the talks.”"
    assert lines[at + 2] == "  Envoy lands in Israel, The Times of Israel (a1, characters 23-75)"
    assert lines.index("Closest articles:") > at + 2


def test_a_nearest_sentence_from_a_changed_file_says_so_under_its_source() -> None:
    text = "Gallant met Hochstein."
    p = Passage("a1#0", "a1", "Envoy lands in Israel", None, text, 0, len(text), (Span(0, len(text)),), 0.5)
    near = Citation(1, "a1", p.title, None, text, 0, len(text), stale=True)
    gone = StaleFile("a1", "news/a1.txt", "deleted")
    shown = format_answer(Answer("Q?", "The articles don't say.", False, "extractive", (), (), (p,), nearest=near,
                                 stale=(gone,)))
    lines = shown.splitlines()
    at = lines.index("  Envoy lands in Israel (a1, characters 0-22)")
    assert lines[at + 1] == f"  {gone.describe()}: run `rag index`"
    fresh = format_answer(Answer("Q?", "The articles don't say.", False, "extractive", (), (), (p,),
                                 nearest=Citation(1, "a1", p.title, None, text, 0, len(text))))
    assert "run `rag index`" not in fresh
