"""Chunk: split articles into sentences and sentence-aware chunks with exact character offsets."""
from __future__ import annotations

import bisect
import functools
import importlib.util
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

from rag.types import Article, Chunk, Span

CHUNK_VERSION = 3  # bump when chunking or the searchable text changes: the next `rag index` then redoes every article
TokenCounter = Callable[[str], list[int]]


PUNKT_FILES = ("collocations.tab", "sent_starters.txt", "abbrev_types.txt", "ortho_context.tab")


@functools.cache
def sentence_tokenizer() -> object:
    """English Punkt sentence tokenizer, from the parameters llama-index ships (no download).

    The four parameter files are read directly: `nltk.data.path`, which every user of nltk in the process
    shares, is left as it is."""
    from nltk.tabdata import PunktDecoder
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    spec = importlib.util.find_spec("llama_index.core")
    assert spec is not None and spec.submodule_search_locations, "llama-index-core is not installed"
    folder = Path(spec.submodule_search_locations[0]) / "_static" / "nltk_cache" / "tokenizers" / "punkt_tab" / "english"
    read = {name: (folder / name).read_text(encoding="utf-8").splitlines(keepends=True) for name in PUNKT_FILES}
    decode, params = PunktDecoder(), PunktParameters()
    params.collocations = set(decode.tab2tups(read["collocations.tab"]))
    params.sent_starters = decode.txt2set(read["sent_starters.txt"])
    params.abbrev_types = decode.txt2set(read["abbrev_types.txt"])
    params.ortho_context = decode.tab2intdict(read["ortho_context.tab"])
    return PunktSentenceTokenizer(params)


def searchable_text(title: str, outlet: str | None, text: str) -> str:
    """What search sees of a chunk: its article's title and outlet, then its text.

    Both retrievers index this, so "Middle East Eye" or a headline word finds the article's chunks;
    citations still point into the chunk's own text.
    """
    heading = f"{title} ({outlet})" if outlet else title
    return f"{heading}\n{text}"


def sentence_spans(article: Article) -> list[Span]:
    """Every sentence of the article's body, as offsets into `article.text`.

    Sentences never cross a line break: news paragraphs are lines, and a headline
    line is a sentence of its own.
    """
    tokenizer = sentence_tokenizer()
    spans: list[Span] = []
    for line in article.body:
        text = article.text[line.start : line.end]
        for start, end in tokenizer.span_tokenize(text):  # type: ignore[attr-defined]
            spans.append(Span(line.start + start, line.start + end))
    return spans


def body_blocks(article: Article) -> list[Span]:
    """Runs of consecutive body lines with no page furniture between them."""
    furniture_starts = sorted(span.start for span, _ in article.furniture)
    blocks: list[Span] = []
    start = end = None
    for line in article.body:
        interrupted = start is not None and any(end <= f < line.start for f in furniture_starts)
        if start is None or interrupted:
            if start is not None:
                blocks.append(Span(start, end))  # type: ignore[arg-type]
            start = line.start
        end = line.end
    blocks.append(Span(start, end))  # type: ignore[arg-type]
    return blocks


def chunk_articles(
    articles: Sequence[Article], count_tokens: TokenCounter, chunk_tokens: int, overlap: int
) -> list[list[Chunk]]:
    """`chunk_article` for each article, with every block of them tokenized in one batch (on every core)."""
    blocks = [article.text[b.start : b.end] for article in articles for b in body_blocks(article)]
    spans = dict(zip(blocks, count_tokens.spans_of(blocks))) if hasattr(count_tokens, "spans_of") else {}
    return [chunk_article(article, count_tokens, chunk_tokens, overlap, spans) for article in articles]


def chunk_article(
    article: Article, count_tokens: TokenCounter, chunk_tokens: int, overlap: int,
    tokenized: dict[str, list[tuple[int, int]]] | None = None,
) -> list[Chunk]:
    """Split one article into chunks with llama-index's SentenceSplitter, keeping exact offsets.

    Each body block (text between pieces of page furniture) is split on its own, so no chunk
    contains furniture; SentenceSplitter returns contiguous pieces of its input, which are
    located in the original text so that `article.text[chunk.start:chunk.end] == chunk.text`.

    Args:
        article: the article to split.
        count_tokens: the embedding model's tokenizer (chunk sizes are in its tokens).
        chunk_tokens: the most tokens a chunk may hold.
        overlap: tokens shared by consecutive chunks.
        tokenized: token offsets of block texts already tokenized (`chunk_articles`), by text.
    """
    from llama_index.core.node_parser import SentenceSplitter

    splitter = SentenceSplitter(
        chunk_size=chunk_tokens,
        chunk_overlap=overlap,
        paragraph_separator="\n",
        tokenizer=count_tokens,
        chunking_tokenizer_fn=_sentences_with_spaces,
    )
    sentences = sentence_spans(article)
    chunks: list[Chunk] = []
    for block in body_blocks(article):
        block_text = article.text[block.start : block.end]
        if hasattr(count_tokens, "spans"):  # the block is tokenized once; its pieces are counted from that
            spans = (tokenized or {}).get(block_text) or count_tokens.spans(block_text)  # type: ignore[attr-defined]
            splitter._tokenizer = _PieceCounter(count_tokens, block_text, spans)  # noqa: SLF001 - read by _token_size
        cursor = 0
        for piece in splitter.split_text(block_text):
            at = block_text.find(piece, cursor)
            if at < 0:  # overlap moved the piece's start before the cursor
                at = block_text.find(piece)
            assert at >= 0, "SentenceSplitter returned text that is not in the article"
            start, end = block.start + at, block.start + at + len(piece)
            cursor = at + 1
            chunks.append(
                Chunk(
                    id=f"{article.doc_id}:{len(chunks)}",
                    doc_id=article.doc_id,
                    ord=len(chunks),
                    start=start,
                    end=end,
                    text=piece,
                    sentences=_clip(sentences, start, end),
                )
            )
    return chunks


class _PieceCounter:
    """Token counts of pieces of one text from a single tokenization of it.

    A piece that starts and ends between words (a paragraph, a sentence, a clause: SentenceSplitter's pieces,
    which begin and end at whitespace or punctuation) has exactly the tokens that lie inside it, since the
    word-piece tokenizer splits text into words at whitespace and punctuation, normalises character by
    character, and then splits each word on its own. A piece that cuts a word is tokenized on its own."""

    def __init__(self, counter: TokenCounter, text: str, spans: Sequence[tuple[int, int]]) -> None:
        self._counter = counter
        self._text = text
        self._starts = [a for a, _ in spans]
        self._ends = [b for _, b in spans]

    def __call__(self, piece: str) -> Sequence[int]:
        at = self._text.find(piece)
        end = at + len(piece)
        if at < 0 or _inside_word(self._text, at) or _inside_word(self._text, end):
            return self._counter(piece)  # a piece of a word is tokenized as a word of its own: count it so
        first = bisect.bisect_left(self._ends, at + 1)  # the first token that ends inside the piece
        last = bisect.bisect_left(self._starts, end)  # the first token that starts at or after its end
        if (first < len(self._starts) and self._starts[first] < at) or (last > 0 and self._ends[last - 1] > end):
            return self._counter(piece)  # the piece cuts a token: count it on its own
        return range(max(0, last - first))


def _inside_word(text: str, at: int) -> bool:
    """Does position `at` fall between two characters of one word, as the word-piece tokenizer splits words
    (at whitespace and at punctuation: ASCII symbols and Unicode's P categories)?"""
    if at <= 0 or at >= len(text):
        return False
    return not (_word_edge(text[at - 1]) or _word_edge(text[at]))


def _word_edge(ch: str) -> bool:
    return ch.isspace() or (ch.isascii() and not ch.isalnum()) or unicodedata.category(ch).startswith("P")


def _sentences_with_spaces(text: str) -> list[str]:
    """Punkt's sentences, each keeping the whitespace after it, so that they join back into `text`.

    (Punkt's own `tokenize` drops that whitespace; SentenceSplitter would then glue
    "Top.  A new" into "Top.A new", a chunk that is nowhere in the article.)
    """
    starts = [start for start, _ in sentence_tokenizer().span_tokenize(text)]  # type: ignore[attr-defined]
    bounds = [0, *starts[1:], len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:]) if a < b] or [text]


def _clip(sentences: Sequence[Span], start: int, end: int) -> tuple[Span, ...]:
    """The sentences overlapping `[start, end)`, cut to that range."""
    return tuple(
        Span(max(s.start, start), min(s.end, end)) for s in sentences if s.start < end and s.end > start
    )
